#!/usr/bin/env python3
"""Checks the goroutine waits a snapshot printed against the runtime's own clock.

    wait_compare.py SNAPSHOT_STDOUT OWN_MEMSTATS_JSON T_BEFORE T_AFTER

The runtime stamps g.waitsince with the start of the GC that first finds a goroutine
waiting (work.tstart, nanotime()), and Go's traceback prints its "N minutes" as
(nanotime() - g.waitsince) / 1 minute.  The snapshot fixture parks its goroutines, then
runs runtime.GC() with the GC off afterwards, and writes runtime.ReadMemStats to
memstats.json: LastGC (Unix ns) is the end of that GC, so every parked goroutine's wait
began at most that GC's duration before LastGC.  T_BEFORE and T_AFTER (Unix seconds)
bracket the snapshot.  Each group of the snapshot's summary with a wait in seconds
("3.2 s", printed with one decimal) must then lie in
    [T_BEFORE - LastGC - 0.05, T_AFTER - LastGC + 1.0]
(1 s for the GC's own duration and a GC while the fixture parked).  Prints key=value:
  waits          groups with a wait in seconds
  waits_outside  of them, outside the bounds
  lo_ms, hi_ms   the bounds
Mismatches are printed as comment lines (#).
"""
import json
import re
import sys

out, memstats, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
last_gc = json.load(open(memstats))["LastGC"] / 1e9
lo, hi = t0 - last_gc - 0.05, t1 - last_gc + 1.0
waits = outside = 0
for line in open(out):
    m = re.match(r"^\s+(\d+)\s+(.+?)\s+(\d+\.\d) s\s+(\S+)\s*$", line)
    if not m:
        continue
    waits += 1
    w = float(m.group(3))
    if not lo <= w <= hi:
        outside += 1
        print("# %s [%s]: waited %.1f s, the runtime's clock says %.2f to %.2f s" %
              (m.group(4), m.group(2), w, lo, hi))
print("waits=%d" % waits)
print("waits_outside=%d" % outside)
print("lo_ms=%d" % (lo * 1000))
print("hi_ms=%d" % (hi * 1000))
