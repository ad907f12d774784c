#!/usr/bin/env python3
# Compares two heap profiles the way a person would with `go tool pprof -raw`: the four
# sample values (alloc_objects, alloc_space, inuse_objects, inuse_space) summed per stack,
# a stack being its frames as pprof prints them (function@file:line, inlined frames
# expanded), samples whose values are all zero left out (runtime/pprof writes every
# bucket, even those whose objects came after a profile was written).  Prints key=value
# lines for tests/e2e/test_snapshot.c:
#   totals_a_K= totals_b_K=  (K = 0..3)   stacks_a= stacks_b=   stacks_differ=
# and the first differing stacks.
import collections
import re
import subprocess
import sys


def raw(go, path):
    out = subprocess.run([go, "tool", "pprof", "-raw", path], capture_output=True, text=True,
                         check=True).stdout
    types = out.split("\nSamples:\n")[1].split("\n")[0].split()
    if types != ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count",
                 "inuse_space/bytes"]:
        sys.exit("%s: sample types %s" % (path, types))
    samples = out.split("\nSamples:\n")[1].split("\nLocations\n")[0]
    locs_txt = out.split("\nLocations\n")[1].split("\nMappings\n")[0]
    locs, cur = {}, None
    for line in locs_txt.split("\n"):
        m = re.match(r"\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*)$", line)
        if m:
            cur = int(m.group(1))
            locs[cur] = []
            rest = m.group(2)
        else:
            rest = line.strip()
        if rest:
            f = rest.split()  # function [(inline)] file:line:col s=start
            where = [x for x in f[1:] if re.search(r":\d+:\d+$", x)]
            locs[cur].append(f[0] + "@" + (where[0].rsplit(":", 1)[0] if where else "?"))
    res = collections.defaultdict(lambda: [0, 0, 0, 0])
    for line in samples.split("\n")[1:]:
        m = re.match(r"\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+):\s*(.*)$", line)
        if not m:
            continue
        stack = tuple(fr for i in m.group(5).split() for fr in locs[int(i)])
        for k in range(4):
            res[stack][k] += int(m.group(k + 1))
    return {k: v for k, v in res.items() if any(v)}


go, a_path, b_path = sys.argv[1:4]
a, b = raw(go, a_path), raw(go, b_path)
for k in range(4):
    print("totals_a_%d=%d" % (k, sum(v[k] for v in a.values())))
    print("totals_b_%d=%d" % (k, sum(v[k] for v in b.values())))
print("stacks_a=%d" % len(a))
print("stacks_b=%d" % len(b))
bad = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
print("stacks_differ=%d" % len(bad))
for k in bad[:5]:
    print("differs: %s vs %s at %s" % (a.get(k), b.get(k), " <- ".join(k[:6])))
