#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report.html's data object (user/out/report/DATA.md), parsed by Python's own JSON parser
and walked: key=value lines for tests/out/test_html.c.

  html_data.py DATA.json
"""
import json
import sys

d = json.load(open(sys.argv[1]))
strings = d["strings"]
flame = next(f for f in d["flames"] if f["id"] == "alloc")
root = flame["root"]
print(f"alloc_total_bytes={flame['total'][0]}")
print(f"alloc_total_count={flame['total'][1]}")

leaves, ok, flagged, inlined, mains = 0, 1, 0, 0, 0


def walk(node):
    global leaves, ok, flagged, inlined, mains
    name, values, flags, kids = node
    mains += strings[name] == "main.main"
    flagged += flags & 1
    inlined += (flags >> 1) & 1
    if kids and sum(k[1][0] for k in kids) > values[0]:
        ok = 0  # a node holds at least its children
    names = [strings[k[0]] for k in kids if strings[k[0]] != "[other stacks]"]
    if names != sorted(names):
        ok = 0  # children sorted by name, "[other stacks]" last
    own = values[0] - sum(k[1][0] for k in kids)
    leaves += own
    for k in kids:
        walk(k)


sys.setrecursionlimit(10000)
walk(root)


def depth(node):
    return 1 + max((depth(k) for k in node[3]), default=0)


print(f"depth={depth(root)}")
print(f"root_name_ok={int(strings[root[0]] == 'all')}")
print(f"leaves_sum_bytes={leaves}")
print(f"children_sum_ok={ok}")
print(f"alloc_flagged={flagged}")
print(f"inlined_flagged={inlined}")
print(f"main_nodes={mains}")
hot = d["hot_paths"]
print(f"hot_paths={len(hot)}")
for i, h in enumerate(hot):
    print(f"hot{i}_bytes={h['bytes']}")
    print(f"hot{i}_frames={len(h['frames'])}")
    print(f"hot{i}_alloc_frames={sum(f['func'].startswith('runtime.') for f in h['frames'])}")
    print(f"hot{i}_line={h['frames'][0]['line'] if h['frames'] else 0}")
    print(f"hot{i}_types={len(h['types'])}")
    print(f"hot{i}_type0_bytes={h['types'][0]['bytes'] if h['types'] else 0}")
    print(f"hot{i}_type_is_first={int(h['type'] == (h['types'][0]['type'] if h['types'] else None))}")
print(f"gc_null={int(d['gc'] is None)}")
print(f"version={d['version']}")
