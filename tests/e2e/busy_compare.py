#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""memory.json files read from a process allocating as fast as it can (the snapshot
fixture with -busy), against the fixture's runtime.ReadMemStats just before the first
read (memstats.json) and just after the last (memstats2.json):

  busy_compare.py MEMSTATS_JSON MEMSTATS2_JSON MEMORY_JSON...

Every read must give the heap figures, known to within 1 % (heap_uncertainty_bytes);
TotalAlloc (allocated bytes, which only grow) must lie between the two ReadMemStats and
grow from read to read, and so must NumGC.  Prints "# ..." lines and key=value counts."""
import json
import sys

before = json.load(open(sys.argv[1]))
after = json.load(open(sys.argv[2]))
reads = [json.load(open(p))["runtime"] for p in sys.argv[3:]]
given = within = bracketed = ordered = uncertain = 0
prev_total = before["TotalAlloc"]
prev_gc = before["NumGC"]
for i, r in enumerate(reads):
    total, unc, heap = r.get("TotalAlloc"), r.get("heap_uncertainty_bytes"), r.get("HeapAlloc")
    print(f"# read {i}: TotalAlloc {total} HeapAlloc {heap} uncertainty {unc} "
          f"heap_reads {r.get('heap_reads')} NumGC {r['NumGC']}")
    if total is None or heap is None or not r.get("heap_consistent"):
        continue
    given += 1
    if unc is not None and unc <= max(heap / 100, 64 << 10):
        within += 1
    if unc:
        uncertain += 1
    # Short by at most the uncertainty, never counted twice: within the bracket.
    if before["TotalAlloc"] <= total + (unc or 0) and total <= after["TotalAlloc"]:
        bracketed += 1
    if total >= prev_total and prev_gc <= r["NumGC"] <= after["NumGC"]:
        ordered += 1
    prev_total, prev_gc = total, r["NumGC"]
print(f"# ReadMemStats before: TotalAlloc {before['TotalAlloc']} NumGC {before['NumGC']}; "
      f"after: TotalAlloc {after['TotalAlloc']} NumGC {after['NumGC']}")
print(f"reads={len(reads)}")
print(f"given={given}")
print(f"within={within}")
print(f"bracketed={bracketed}")
print(f"ordered={ordered}")
print(f"uncertain={uncertain}")
print(f"allocated_mib={(after['TotalAlloc'] - before['TotalAlloc']) >> 20}")
print(f"gcs={after['NumGC'] - before['NumGC']}")
