#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the Collector received from `daemon --otlp-endpoint` against the daemon's own
interval sets:

  otlp_daemon_compare.py ALLOC_BYTES_POINTS PROFILES_JSONL TARGET_DIR

ALLOC_BYTES_POINTS is `decode.py metrics --name gomemtrace.alloc.bytes` output (one point
per request, in the order the Collector wrote them), PROFILES_JSONL what its file exporter
wrote for profiles (one request a line), TARGET_DIR the daemon's OUTDIR/<comm>-<pid>.  The k-th point must be the sum of
est_alloc_bytes over the first k intervals' summary.json (the metric is cumulative since
attach; summary.json prints rounded figures, hence 1 byte per interval of slack), the
points must come in order, once each, one per interval, and each interval's profiles once.
Prints "# ..." lines and key=value counts."""
import json
import os
import sys

points = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
profiles = [l for l in open(sys.argv[2]) if l.strip()]
tdir = sys.argv[3]
ivs = sorted(d for d in os.listdir(tdir) if not d.startswith("."))
sums, s = [], 0.0
for d in ivs:
    s += json.load(open(os.path.join(tdir, d, "summary.json")))["est_alloc_bytes"]
    sums.append(s)
vals = [float(p[5]) for p in points]
times = [int(p[6]) for p in points]
bad = 0
for k, (v, want) in enumerate(zip(vals, sums)):
    ok = abs(v - want) <= 1 + k
    bad += not ok
    print(f"# interval {k}: sent {v:.0f}, summary.json sums to {want:.0f}{'' if ok else '  <-- differs'}")
print(f"intervals={len(ivs)}")
print(f"points={len(points)}")
print(f"differ={bad}")
print(f"in_order={int(times == sorted(times) and len(set(times)) == len(times))}")
print(f"profile_requests={len(profiles)}")
