#!/usr/bin/env python3
"""Compares what the Collector received from `record --otlp-endpoint` (decoded by
tests/collector/decode.py) with the recording's own files.

  otlp_compare.py METRICS RESOURCE SUMMARY_JSON MEMORY_END_JSON|- PID EXE SERVICE

METRICS is `decode.py metrics` output, RESOURCE `decode.py resource` output.  The
expected metrics are computed here from summary.json and memory_end.json, independently of
gomemtrace's encoder: every one must be there, with its kind, unit and value (exact), and
nothing else.  Prints one "# ..." line per difference, then key=value counts for the test.
"""
import json
import socket
import sys

INT64_MAX = (1 << 63) - 1
CUM = "sum/cumulative/monotonic"
UPDOWN = "sum/cumulative/nonmonotonic"


def expected(summary, mem):
    """(name, attrs) -> (kind, unit, value)."""
    e = {}
    if mem is not None:
        p, r = mem["process"], mem.get("runtime")
        if p.get("rss_bytes") is not None:
            e[("process.memory.usage", "-")] = (UPDOWN, "By", p["rss_bytes"])
        if r is not None:
            if r.get("Sys") is not None and r.get("HeapReleased") is not None and \
                    r.get("StackInuse") is not None:
                e[("go.memory.used", "go.memory.type=stack")] = (UPDOWN, "By", r["StackInuse"])
                e[("go.memory.used", "go.memory.type=other")] = (
                    UPDOWN, "By", r["Sys"] - r["HeapReleased"] - r["StackInuse"])
            if r["GOMEMLIMIT"] != INT64_MAX:
                e[("go.memory.limit", "-")] = (UPDOWN, "By", r["GOMEMLIMIT"])
            if r.get("TotalAlloc") is not None:
                e[("go.memory.allocated", "-")] = (CUM, "By", r["TotalAlloc"])
            if r.get("NextGC") is not None:
                e[("go.memory.gc.goal", "-")] = (UPDOWN, "By", r["NextGC"])
            e[("go.memory.gc.cycles", "-")] = (CUM, "{gc_cycle}", r["NumGC"])
            e[("go.config.gogc", "-")] = (UPDOWN, "%", r["GOGC"])
            if r.get("HeapAlloc") is not None:
                e[("gomemtrace.memory.heap.alloc", "-")] = ("gauge", "By", r["HeapAlloc"])
    if summary["mode"] == "sampled":
        e[("gomemtrace.alloc.bytes", "-")] = (CUM, "By", summary["est_alloc_bytes"])
        e[("gomemtrace.alloc.objects", "-")] = (CUM, "{allocation}", summary["est_alloc_objects"])
        e[("gomemtrace.heap.live", "-")] = ("gauge", "By", summary["est_inuse_bytes"])
    else:
        e[("gomemtrace.alloc.bytes", "-")] = (CUM, "By", summary["bytes"])
        e[("gomemtrace.alloc.objects", "-")] = (CUM, "{allocation}", summary["allocs"])
    if "gc_cycles" in summary:
        e[("gomemtrace.gc.cycles", "-")] = (CUM, "{gc_cycle}", summary["gc_cycles"])
        e[("gomemtrace.stw.pauses", "-")] = (CUM, "{pause}", summary["stw_pauses"])
        e[("gomemtrace.stw.duration", "-")] = (CUM, "s", summary["stw_total_ns"] / 1e9)
    e[("gomemtrace.drops", "-")] = (CUM, "{record}", summary["dropped"])
    return e


def main():
    metrics, resource, summary_path, mem_path, pid, exe, service = sys.argv[1:8]
    summary = json.load(open(summary_path))
    mem = None if mem_path == "-" else json.load(open(mem_path))
    want = expected(summary, mem)
    got, times, dup = {}, set(), 0
    for line in open(metrics):
        svc, name, kind, unit, attrs, value, t = line.rstrip("\n").split("\t")
        if (name, attrs) in got:
            dup += 1
        got[(name, attrs)] = (kind, unit, float(value), svc)
        times.add(int(t))
    missing = differ = 0
    for key, (kind, unit, value) in sorted(want.items()):
        g = got.get(key)
        if g is None:
            print(f"# missing {key}")
            missing += 1
            continue
        # Integers travel as sfixed64, durations as doubles: both compare exactly.
        if g[0] != kind or g[1] != unit or g[2] != float(value) or g[3] != service:
            print(f"# {key}: want {kind} {unit} {value} ({service}), got {g}")
            differ += 1
    extra = [k for k in got if k not in want]
    for k in extra:
        print(f"# unexpected {k}")
    res = {}
    for line in open(resource):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            res[k] = v
    want_res = {
        "service.name": service, "process.pid": pid, "process.executable.path": exe,
        "process.executable.name": exe.rsplit("/", 1)[-1], "process.runtime.name": "go",
        "process.runtime.version": summary["go_version"].split(" ")[0],
        "host.name": socket.gethostname(),
    }
    res_bad = 0
    for k, v in want_res.items():
        if res.get(k) != v:
            print(f"# resource {k}: want {v!r}, got {res.get(k)!r}")
            res_bad += 1
    iid = res.get("service.instance.id", "")
    if len(iid) != 36 or iid[14] != "4":
        print(f"# service.instance.id {iid!r} is not a UUID v4")
        res_bad += 1
    if mem is not None and times != {mem["time_unix_ns"]}:
        print(f"# point times {times}, memory_end.json time_unix_ns {mem['time_unix_ns']}")
        res_bad += 1
    print(f"checked={len(want)}")
    print(f"summary_alloc_bytes={want[('gomemtrace.alloc.bytes', '-')][2]}")
    print(f"summary_gc_cycles={summary.get('gc_cycles', 0)}")
    print(f"missing={missing}")
    print(f"differ={differ}")
    print(f"extra={len(extra)}")
    print(f"duplicates={dup}")
    print(f"resource_bad={res_bad}")


if __name__ == "__main__":
    main()
