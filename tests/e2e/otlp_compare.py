#!/usr/bin/env python3
"""Compares what the Collector received from `record --otlp-endpoint` (decoded by
tests/collector/decode.py) with the recording's own files.

  otlp_compare.py METRICS RESOURCE SUMMARY_JSON MEMORY_END_JSON|- PID EXE SERVICE
                  [GC_JSON [GOROUTINES_TXT]]

METRICS is `decode.py metrics` output, RESOURCE `decode.py resource` output.  The
expected metrics are computed here from summary.json and memory_end.json, independently of
gomemtrace's encoder: every one must be there, with its kind, unit and value (exact), and
nothing else.  With GC_JSON, the pause histograms by reason come from its stop-the-world
slices (each pause's dur_ns and reason); with GOROUTINES_TXT (record --goroutines), the
goroutine count is its "goroutine profile: total N" and the leak suspects are
summary.json's goroutine_leaks.  Prints one "# ..." line per difference, then key=value
counts for the test.
"""
import json
import socket
import sys

INT64_MAX = (1 << 63) - 1
CUM = "sum/cumulative/monotonic"
UPDOWN = "sum/cumulative/nonmonotonic"


# The pause histogram's finite upper bounds in ns (README: OTLP export); le is inclusive.
PAUSE_BOUNDS_NS = [10000, 50000, 100000, 500000, 1000000, 5000000, 10000000, 50000000,
                   100000000]


def pause_histograms(*gc_jsons):
    """(name, attrs) -> expected histogram, from the gc.json files' whole STW slices."""
    by_reason = {}
    for gc_json in gc_jsons:
        for ev in json.load(open(gc_json))["traceEvents"]:
            a = ev.get("args", {})
            if ev.get("cat") != "stw" or ev.get("ph") != "X" or a.get("partial"):
                continue
            by_reason.setdefault(a["reason"], []).append(a["dur_ns"])
    e = {}
    for reason, durs in by_reason.items():
        counts = [0] * (len(PAUSE_BOUNDS_NS) + 1)
        for d in durs:
            counts[next((i for i, b in enumerate(PAUSE_BOUNDS_NS) if d <= b),
                        len(PAUSE_BOUNDS_NS))] += 1
        e[("gomemtrace.stw.pause.duration", "gomemtrace.stw.reason=" + reason)] = (
            "histogram/cumulative", "s",
            "count=%d sum=%s bounds=%s counts=%s" % (
                len(durs), repr(sum(durs) / 1e9),
                ",".join(repr(b / 1e9) for b in PAUSE_BOUNDS_NS),
                ",".join(str(c) for c in counts)))
    return e


def goroutine_metrics(summary, goroutines_txt):
    total = None
    for line in open(goroutines_txt):
        if line.startswith("goroutine profile: total "):
            total = int(line.split()[-1])
            break
    leaks = [g for g in summary.get("goroutine_leaks", [])]
    return {
        ("go.goroutine.count", "-"): (UPDOWN, "{goroutine}", total),
        ("gomemtrace.goroutine.leak.groups", "-"): ("gauge", "{group}", len(leaks)),
        ("gomemtrace.goroutine.leak.goroutines", "-"): (
            "gauge", "{goroutine}", sum(g["count"] for g in leaks)),
    }


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
                e[("go.memory.allocations", "-")] = (CUM, "{allocation}", r["Mallocs"])
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
    hist = {}
    if len(sys.argv) > 8:
        hist = pause_histograms(sys.argv[8])
        want.update(hist)
    if len(sys.argv) > 9:
        want.update(goroutine_metrics(summary, sys.argv[9]))
    got, times, dup = {}, set(), 0
    for line in open(metrics):
        svc, name, kind, unit, attrs, value, t = line.rstrip("\n").split("\t")
        if (name, attrs) in got:
            dup += 1
        got[(name, attrs)] = (kind, unit, value if kind.startswith("histogram") else
                              float(value), svc)
        times.add(int(t))
    missing = differ = 0
    for key, (kind, unit, value) in sorted(want.items()):
        g = got.get(key)
        if g is None:
            print(f"# missing {key}")
            missing += 1
            continue
        # Integers travel as sfixed64, durations as doubles: both compare exactly.
        if not isinstance(value, str):
            value = float(value)
        if g[0] != kind or g[1] != unit or g[2] != value or g[3] != service:
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
    print(f"pause_reasons={len(hist)}")
    print(f"summary_alloc_bytes={want[('gomemtrace.alloc.bytes', '-')][2]}")
    print(f"summary_gc_cycles={summary.get('gc_cycles', 0)}")
    print(f"missing={missing}")
    print(f"differ={differ}")
    print(f"extra={len(extra)}")
    print(f"duplicates={dup}")
    print(f"resource_bad={res_bad}")


if __name__ == "__main__":
    main()
