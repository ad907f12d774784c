#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""memory.json (gomemtrace) against the fixture's runtime.ReadMemStats (memstats2.json,
read with no allocation since gomemtrace read it) and its memstats.json (GOGC, GOMEMLIMIT).
Prints key=value lines for the C test: <field>_ok=1 when within the issue's tolerance
(counts, GOGC, GOMEMLIMIT exact; bytes within 1 % or 1 MiB)."""
import json
import sys

ours = json.load(open(sys.argv[1]))
oracle = json.load(open(sys.argv[2]))
own = json.load(open(sys.argv[3]))
rt = ours.get("runtime", {})
bad = 0
EXACT = ["HeapObjects", "Mallocs", "Frees", "NumGC", "NumForcedGC", "LastGC", "PauseTotalNs"]
BYTES = ["HeapAlloc", "TotalAlloc", "HeapInuse", "HeapIdle", "HeapReleased", "HeapSys",
         "StackInuse", "StackSys", "MSpanSys", "MCacheSys", "BuckHashSys", "GCSys",
         "OtherSys", "Sys"]
for k in EXACT + BYTES:
    a, b = rt.get(k), oracle.get(k)
    ok = a is not None and b is not None and (
        a == b if k in EXACT else abs(a - b) <= max(b / 100, 1 << 20))
    if not ok:
        bad += 1
    print(f"# {k}: ours {a} ReadMemStats {b}{'' if ok else '  <-- differs'}")
print(f"fields_differ={bad}")
print(f"heapalloc_exact={1 if rt.get('HeapAlloc') == oracle.get('HeapAlloc') else 0}")
print(f"gogc_ok={1 if rt.get('GOGC') == own['GCPercent'] else 0}")
print(f"gomemlimit_ok={1 if rt.get('GOMEMLIMIT') == own['MemoryLimit'] else 0}")
print(f"nextgc_null={1 if rt.get('NextGC') is None and rt.get('NextGC_unavailable') else 0}")
print(f"consistent={1 if rt.get('heap_consistent') else 0}")
print(f"per_p={1 if rt.get('per_p_cached_spans_included') else 0}")
rss = ours.get("process", {}).get("rss_bytes") or 0
print(f"rss_kb={rss // 1024}")
print(f"cgroup={ours.get('process', {}).get('cgroup')}")
