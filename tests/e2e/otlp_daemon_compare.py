#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the Collector received from `daemon --otlp-endpoint` against the daemon's own
interval sets:

  otlp_daemon_compare.py ALLOC_BYTES_POINTS PROFILES_JSONL TARGET_DIR [LAST_POINTS]

ALLOC_BYTES_POINTS is `decode.py metrics --name gomemtrace.alloc.bytes` output (one point
per request, in the order the Collector wrote them), PROFILES_JSONL what its file exporter
wrote for profiles (one request a line), TARGET_DIR the daemon's OUTDIR/<comm>-<pid>.  The k-th point must be the sum of
est_alloc_bytes over the first k intervals' summary.json (the metric is cumulative since
attach; summary.json prints rounded figures, hence 1 byte per interval of slack), the
points must come in order, once each, one per interval, and each interval's profiles once
(suffix_match: the points are those of the newest intervals, for a queue that dropped the
oldest).  Every interval's summary.json has the export's counters ("otlp_export"), the requests
sent never going down.  LAST_POINTS (`decode.py metrics --last`: the newest point of each
metric) must hold the pause histograms by reason of all the intervals' gc.json together,
and the goroutine count and leak suspects of the last interval's goroutines.txt and
summary.json (otlp_compare.py computes them).
Prints "# ..." lines and key=value counts."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from otlp_compare import goroutine_metrics, pause_histograms  # noqa: E402

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
# When the oldest were dropped: what arrived must be the newest intervals' sums.
tail = sums[len(sums) - len(vals):] if len(vals) <= len(sums) else []
print(f"suffix_match={int(len(tail) == len(vals) and all(abs(v - w) <= 1 + len(sums) for v, w in zip(vals, tail)))}")
print(f"intervals={len(ivs)}")
print(f"points={len(points)}")
print(f"differ={bad}")
print(f"in_order={int(times == sorted(times) and len(set(times)) == len(times))}")
print(f"profile_requests={len(profiles)}")

sent = [json.load(open(os.path.join(tdir, d, "summary.json"))).get("otlp_export")
        for d in ivs]
print(f"export_in_summary={sum(e is not None for e in sent)}")
seq = [e["requests_sent"] for e in sent if e]
print(f"export_sent_monotonic={int(seq == sorted(seq))}")
print(f"export_failures_max={max((e['failures'] for e in sent if e), default=0)}")
print(f"export_queued_max={max((e['requests_queued'] for e in sent if e), default=0)}")
if len(sys.argv) > 4:
    last = os.path.join(tdir, ivs[-1])
    want = pause_histograms(*[os.path.join(tdir, d, "gc.json") for d in ivs])
    nreasons = len(want)
    want.update(goroutine_metrics(json.load(open(os.path.join(last, "summary.json"))),
                                  os.path.join(last, "goroutines.txt")))
    got = {}
    for line in open(sys.argv[4]):
        svc, name, kind, unit, attrs, value, t = line.rstrip("\n").split("\t")
        got[(name, attrs)] = (kind, unit, value)
    last_bad = 0
    for key, (kind, unit, value) in sorted(want.items()):
        g = got.get(key)
        v = g[2] if g is None or kind.startswith("histogram") else float(g[2])
        if g is None or g[0] != kind or g[1] != unit or v != (
                value if isinstance(value, str) else float(value)):
            print(f"# last {key}: want {kind} {unit} {value}, got {g}")
            last_bad += 1
    extra = [k for k in got if k[0] == "gomemtrace.stw.pause.duration" and k not in want]
    for k in extra:
        print(f"# last: unexpected {k}")
    print(f"last_reasons={nreasons}")
    print(f"last_bad={last_bad + len(extra)}")
