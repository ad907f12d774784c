#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A realistic report.html for development and the size test: sample data following
user/out/report/DATA.md, inside the page embed.py builds (head + JSON + tail).

  report_sample.py OUT.html [--stacks N]     (N synthetic stacks, default 200)

Deterministic: random.Random(1)."""
import argparse
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(ROOT, "user", "out", "report")
sys.path.insert(0, REPORT)
import embed  # noqa: E402

ALLOC = ["runtime.mallocgc", "runtime.mallocgcSmallNoscan", "runtime.nextFreeFast",
         "runtime.makeslice", "runtime.growslice", "runtime.newobject"]
PKGS = ["main", "net/http", "encoding/json", "bufio", "checkout/cart", "checkout/db",
        "github.com/acme/cache", "strings", "bytes", "sync"]
VERBS = ["handle", "decode", "encode", "read", "write", "fill", "build", "parse", "load",
         "store", "serve", "flush", "grow", "copy", "merge", "scan"]
NOUNS = ["Request", "Cart", "Item", "Buffer", "Row", "Query", "Page", "Entry", "Token",
         "Header", "Body", "Batch"]


class Strings:
    """The page's string table: each frame name once."""

    def __init__(self):
        self.names, self.index = [], {}

    def __call__(self, name):
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
        return self.index[name]


def stacks(rng, n):
    """n synthetic stacks (root first, as (name, flags)) with [bytes, count] each."""
    funcs = [f"{rng.choice(PKGS)}.{rng.choice(VERBS)}{rng.choice(NOUNS)}" for _ in range(300)]
    out = []
    for _ in range(n):
        depth = rng.randint(3, 14)
        # Shared prefixes, so the graph has wide towers and thin tails.
        stack = [("runtime.main", 0), ("main.main", 0)]
        for d in range(depth):
            f = funcs[min(len(funcs) - 1, int(rng.paretovariate(1.2) * (d + 1) * 3) % len(funcs))]
            stack.append((f, 2 if rng.random() < 0.1 else 0))
        if rng.random() < 0.8:  # allocator frames near the leaves
            stack.append((rng.choice(ALLOC[3:]), 1))
            stack.append(("runtime.mallocgc", 1))
            if rng.random() < 0.5:
                stack.append((rng.choice(ALLOC[1:3]), 1))
        size = rng.choice([16, 32, 64, 128, 512, 4096, 32768])
        cnt = int(rng.paretovariate(1.1) * 10)
        out.append((stack, [size * cnt, cnt]))
    return out


def build_tree(st, samples, nvalues):
    """NODE arrays (DATA.md) from the stacks: children sorted by name."""
    root = {"name": "all", "flags": 0, "v": [0] * nvalues, "kids": {}}
    for stack, vals in samples:
        node = root
        for i in range(nvalues):
            node["v"][i] += vals[i]
        for name, flags in stack:
            node = node["kids"].setdefault((name, flags), {"name": name, "flags": flags,
                                                          "v": [0] * nvalues, "kids": {}})
            for i in range(nvalues):
                node["v"][i] += vals[i]

    def pack(n):
        kids = [pack(n["kids"][k]) for k in sorted(n["kids"])]
        return [st(n["name"]), n["v"], n["flags"], kids]
    return pack(root)


def gc_section(rng):
    start, end = 0, 5_000_000_000
    cycles, pauses, series = [], [], {"heap live": [], "heap goal": [],
                                      "allocation rate": [], "goroutines": []}
    t, live = 100_000_000, 40 << 20
    for num in range(12, 32):  # 20 cycles
        c0 = t + rng.randint(60, 180) * 1_000_000
        c1 = c0 + rng.randint(2, 30) * 1_000_000
        if c1 >= end:
            break
        s1 = (c0, c0 + rng.randint(8_000, 90_000))
        s2 = (c1 - rng.randint(20_000, 400_000), c1)
        goal = live * 2
        cycles.append({"num": num, "start_ns": c0, "end_ns": c1, "stw": [list(s1), list(s2)],
                       "forced": num == 20, "heap_live_bytes": live, "heap_goal_bytes": goal})
        pauses.append({"start_ns": s1[0], "end_ns": s1[1], "reason": "GC sweep termination",
                       "gc": True})
        pauses.append({"start_ns": s2[0], "end_ns": s2[1], "reason": "GC mark termination",
                       "gc": True})
        live = max(8 << 20, live + rng.randint(-6, 9) * (1 << 20))
        t = c1
    others = ["stop the world (read mem stats)", "goroutine profile", "stop the world (GOMAXPROCS)"]
    while len(pauses) < 45:
        p0 = rng.randint(start, end - 2_000_000)
        pauses.append({"start_ns": p0, "end_ns": p0 + rng.randint(3_000, 2_000_000),
                       "reason": rng.choice(others), "gc": False})
    pauses.sort(key=lambda p: p["start_ns"])
    for k in range(101):
        tt = start + (end - start) * k // 100
        series["heap live"].append([tt, (30 << 20) + rng.randint(0, 50 << 20)])
        series["heap goal"].append([tt, 96 << 20])
        series["allocation rate"].append([tt, rng.randint(10 << 20, 200 << 20)])
        series["goroutines"].append([tt, 50 + k // 5 + rng.randint(0, 6)])
    units = {"heap live": "bytes", "heap goal": "bytes", "allocation rate": "bytes/s",
             "goroutines": "goroutines"}
    bounds = [10_000, 50_000, 100_000, 500_000, 1_000_000]
    counts = [0] * (len(bounds) + 1)
    durs = sorted(p["end_ns"] - p["start_ns"] for p in pauses)
    for d in durs:
        counts[next((i for i, b in enumerate(bounds) if d <= b), len(bounds))] += 1

    def pct(q):
        return durs[min(len(durs) - 1, int(q * len(durs)))]
    return {"start_ns": start, "end_ns": end, "cycles": cycles, "pauses": pauses,
            "series": [{"name": k, "unit": units[k], "points": v} for k, v in series.items()],
            "pause_hist": {"bounds_ns": bounds, "counts": counts},
            "percentiles_ns": {"p50": pct(.5), "p90": pct(.9), "p99": pct(.99), "max": durs[-1]}}


def frame(func, line):
    return {"func": func, "file": "/src/checkout/" + func.split(".")[0].split("/")[-1] + ".go",
            "line": line, "inlined": False}


def sample(n):
    rng = random.Random(1)
    st = Strings()
    st("all")
    samples = stacks(rng, n)
    alloc = build_tree(st, samples, 2)
    inuse = build_tree(st, [(s, [v[0] // 3]) for s, v in samples[: max(1, n // 2)]], 1)
    hot = sorted(samples, key=lambda s: -s[1][0])[:3]
    data = {
        "version": 1,
        "header": {"target": "checkout (PID 4242)", "binary": "/srv/checkout",
                   "go_version": "go1.26.8", "mode": "exact", "duration_s": 5.02,
                   "start_unix_ns": 1764930000000000000,
                   "what": "allocations while traced (5.0 s, every allocation)"},
        "memory": {"rss_bytes": 412 << 20, "cgroup_limit_bytes": 512 << 20,
                   "cgroup_usage_bytes": 430 << 20, "heap_alloc_bytes": 180 << 20,
                   "heap_inuse_bytes": 196 << 20, "heap_goal_bytes": 260 << 20,
                   "heap_sys_bytes": 300 << 20, "gogc": 100, "gomemlimit_bytes": None},
        "hot_paths": [{
            "bytes": v[0], "count": v[1], "type": "[]uint8",
            "types": [{"type": "[]uint8", "bytes": v[0] * 2 // 3, "count": v[1] // 2},
                      {"type": "main.Item", "bytes": v[0] // 3, "count": v[1] - v[1] // 2}],
            "frames": [dict(frame(name, 10 + i * 7), inlined=bool(fl & 2))
                       for i, (name, fl) in enumerate(reversed(s)) if not fl & 1],
            "sizes": [[64, rng.randint(1, 90)], [128, rng.randint(1, 90)],
                      [512, rng.randint(1, 90)], [4096, rng.randint(0, 20)]]}
            for s, v in hot],
        "strings": st.names,
        "flames": [
            {"id": "alloc", "title": "Allocated", "total": alloc[1], "root": alloc,
             "values": [{"name": "bytes", "unit": "bytes"}, {"name": "count", "unit": "objects"}]},
            {"id": "inuse", "title": "In use at the end", "total": inuse[1], "root": inuse,
             "values": [{"name": "bytes", "unit": "bytes"}]},
        ],
        "gc": gc_section(rng),
        "goroutines": {"total": 57 + 12, "groups": [
            {"count": 50, "state": "chan receive", "longest_wait_s": 2820.5,
             "where": "main.worker", "leak": True,
             "frames": [frame("runtime.gopark", 400), frame("main.worker", 9)]},
            {"count": 12, "state": "select", "longest_wait_s": 61.0,
             "where": "checkout/db.(*Pool).watch", "leak": True,
             "frames": [frame("runtime.selectgo", 300), frame("checkout/db.(*Pool).watch", 77)]},
            {"count": 4, "state": "IO wait", "longest_wait_s": None,
             "where": "net/http.(*conn).serve", "leak": False,
             "frames": [frame("internal/poll.runtime_pollWait", 345),
                        frame("net/http.(*conn).serve", 2039)]},
            {"count": 3, "state": "running", "longest_wait_s": None, "where": "main.main",
             "leak": False, "frames": [frame("main.main", 20)]}]},
        "leaks": [
            {"creator": "main.start", "wait_site": "main.worker", "wait_reason": "chan receive",
             "count": 50, "count_window_start": 10, "oldest_wait_s": 2820.5},
            {"creator": "checkout/db.Open", "wait_site": "checkout/db.(*Pool).watch",
             "wait_reason": "select", "count": 12, "count_window_start": 4,
             "oldest_wait_s": 61.0}],
        "types": [{"type": t, "bytes": rng.randint(1 << 10, 1 << 28), "count": rng.randint(1, 10**6)}
                  for t in ["[]uint8", "main.Item", "string", "map.bucket[string]int",
                            "checkout/cart.Cart", "<script>&amp;"]],
        "notes": ["12 allocation records lost (ring buffer full: --ringbuf-mb)",
                  "goroutine labels could not be read (no symbol runtime.labels)"],
    }
    data["types"].sort(key=lambda t: -t["bytes"])
    return data


def page(data):
    """The page as out_html.c writes it: head, the JSON with < escaped, tail."""
    def read(name):
        with open(os.path.join(REPORT, name), encoding="utf-8") as f:
            return f.read()
    head, tail = embed.page(read("template.html"), read("report.css"), read("report.js"))
    js = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    return head + js + tail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--stacks", type=int, default=200)
    a = ap.parse_args()
    text = page(sample(a.stacks))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"# {a.out}: {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
