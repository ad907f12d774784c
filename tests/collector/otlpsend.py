#!/usr/bin/env python3
"""Sends one hand-built OTLP/HTTP request, to test the Collector chain without gomemtrace.

  otlpsend.py metrics|profiles BASEURL [--encoding json|proto] [--gzip] [--token T]
              [--service NAME] [--value N] [--header K=V]... [--expect STATUS]

BASEURL is e.g. http://127.0.0.1:4318; the path is /v1/metrics or /v1development/profiles.
It prints one line, "HTTP <status> [retry-after=<s>] <body>", and exits 0 when the status
is --expect (default 200), else 1.

The protobuf bodies are encoded here by hand from the field numbers in README.md, so that a
request the Collector accepts and writes back as expected also checks those numbers.

metrics:  resource service.name=NAME; gauge go.memory.used (By) = N, cumulative monotonic sum
          go.memory.allocated (By) = 2N, cumulative histogram gomemtrace.gc.pause.duration (s)
          with attribute reason=GC: count 3, sum 0.006, bounds [0.001, 0.01], counts [1,2,0].
profiles: resource service.name=NAME; one profile alloc_space/bytes, period 524288, one sample
          of value N whose stack is main.main -> main.caller -> main.leaf (main.leaf inlined
          into main.caller: one Location with two Lines), mapping /bin/app with attribute
          process.executable.build_id.go = "smoke-build-id".
"""
import argparse
import gzip
import json
import struct
import sys
import time
import urllib.error
import urllib.request

# ---- protobuf wire format (only what these two messages need) ----------------------


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(field, wiretype):
    return varint(field << 3 | wiretype)


def f_varint(field, v):
    return tag(field, 0) + varint(v) if v else b""


def f_fixed64(field, v):  # fixed64, sfixed64
    return tag(field, 1) + struct.pack("<Q", v & ((1 << 64) - 1)) if v else b""


def f_double(field, v):
    return tag(field, 1) + struct.pack("<d", v)


def f_len(field, payload):
    """Always emitted, even empty: a dictionary's zero entry must be present."""
    return tag(field, 2) + varint(len(payload)) + payload


def f_str(field, s):
    return f_len(field, s.encode()) if s else b""


def f_packed_varint(field, values):
    return f_len(field, b"".join(varint(v) for v in values)) if values else b""


def f_packed_fixed64(field, values):
    return f_len(field, b"".join(struct.pack("<Q", v) for v in values)) if values else b""


def f_packed_double(field, values):
    return f_len(field, b"".join(struct.pack("<d", v) for v in values)) if values else b""


def pb_anyvalue_str(s):  # AnyValue.string_value = 1
    return f_str(1, s)


def pb_keyvalue(k, v):  # KeyValue: key = 1, value = 2
    return f_str(1, k) + f_len(2, pb_anyvalue_str(v))


def pb_resource(attrs):  # Resource.attributes = 1
    return b"".join(f_len(1, pb_keyvalue(k, v)) for k, v in attrs.items())


def pb_scope(name):  # InstrumentationScope.name = 1
    return f_str(1, name)


# ---- the smoke requests -------------------------------------------------------------


def resource_attrs(service):
    return {"service.name": service, "service.instance.id": "smoke-1"}


def metrics_json(service, value, now):
    def kv(k, v):
        return {"key": k, "value": {"stringValue": v}}

    t = str(now)
    return {"resourceMetrics": [{
        "resource": {"attributes": [kv(k, v) for k, v in resource_attrs(service).items()]},
        "scopeMetrics": [{"scope": {"name": "gomemtrace"}, "metrics": [
            {"name": "go.memory.used", "unit": "By",
             "gauge": {"dataPoints": [{"timeUnixNano": t, "asInt": str(value)}]}},
            {"name": "go.memory.allocated", "unit": "By",
             "sum": {"aggregationTemporality": 2, "isMonotonic": True,
                 "dataPoints": [{"startTimeUnixNano": t, "timeUnixNano": t,
                         "asInt": str(2 * value)}]}},
            {"name": "gomemtrace.gc.pause.duration", "unit": "s",
             "histogram": {"aggregationTemporality": 2, "dataPoints": [{
                 "attributes": [kv("reason", "GC")],
                 "startTimeUnixNano": t, "timeUnixNano": t, "count": "3", "sum": 0.006,
                 "bucketCounts": ["1", "2", "0"], "explicitBounds": [0.001, 0.01]}]}},
        ]}]}]}


def metrics_proto(service, value, now):
    # NumberDataPoint: start_time_unix_nano = 2 (fixed64), time_unix_nano = 3 (fixed64),
    # as_int = 6 (sfixed64), attributes = 7.  Metric: name = 1, unit = 3, gauge = 5, sum = 7,
    # histogram = 9.  Sum: data_points = 1, aggregation_temporality = 2, is_monotonic = 3.
    gauge_dp = f_fixed64(3, now) + f_fixed64(6, value)
    gauge = f_len(1, gauge_dp)
    sum_dp = f_fixed64(2, now) + f_fixed64(3, now) + f_fixed64(6, 2 * value)
    sum_ = f_len(1, sum_dp) + f_varint(2, 2) + f_varint(3, 1)
    # HistogramDataPoint: start 2, time 3, count 4 (fixed64), sum 5 (double),
    # bucket_counts 6 (packed fixed64), explicit_bounds 7 (packed double), attributes 9.
    hist_dp = (f_fixed64(2, now) + f_fixed64(3, now) + f_fixed64(4, 3) + f_double(5, 0.006) +
           f_packed_fixed64(6, [1, 2, 0]) + f_packed_double(7, [0.001, 0.01]) +
           f_len(9, pb_keyvalue("reason", "GC")))
    hist = f_len(1, hist_dp) + f_varint(2, 2)
    metrics = (f_len(2, f_str(1, "go.memory.used") + f_str(3, "By") + f_len(5, gauge)) +
           f_len(2, f_str(1, "go.memory.allocated") + f_str(3, "By") + f_len(7, sum_)) +
           f_len(2, f_str(1, "gomemtrace.gc.pause.duration") + f_str(3, "s") + f_len(9, hist)))
    scope_metrics = f_len(1, pb_scope("gomemtrace")) + metrics  # ScopeMetrics: scope 1, metrics 2
    rm = f_len(1, pb_resource(resource_attrs(service))) + f_len(2, scope_metrics)
    return f_len(1, rm)  # ExportMetricsServiceRequest.resource_metrics = 1


# The profile's dictionary; index 0 of every table is the required zero entry.
STRINGS = ["", "alloc_space", "bytes", "main.leaf", "main.caller", "main.main",
       "/src/main.go", "/bin/app", "process.executable.build_id.go", "smoke-build-id"]
S = {s: i for i, s in enumerate(STRINGS)}
MAPPINGS = [None, dict(start=0x400000, limit=0x800000, file=S["/bin/app"], attrs=[1])]
ATTRS = [None, (S["process.executable.build_id.go"], "smoke-build-id")]
FUNCS = [None, S["main.leaf"], S["main.caller"], S["main.main"]]
# Location: mapping, address, lines [(function, line)], innermost (inlined) line first.
LOCS = [None, (1, 0x401000, [(1, 10), (2, 20)]), (1, 0x402000, [(3, 30)])]
STACKS = [[], [1, 2]]  # leaf first
PERIOD = 524288


def profiles_json(service, value, now):
    dictionary = {
        "stringTable": STRINGS,
        "mappingTable": [{}] + [{"memoryStart": str(m["start"]), "memoryLimit": str(m["limit"]),
                      "filenameStrindex": m["file"], "attributeIndices": m["attrs"]}
                     for m in MAPPINGS[1:]],
        "attributeTable": [{}] + [{"keyStrindex": k, "value": {"stringValue": v}}
                      for k, v in ATTRS[1:]],
        "functionTable": [{}] + [{"nameStrindex": n, "systemNameStrindex": n,
                     "filenameStrindex": S["/src/main.go"]} for n in FUNCS[1:]],
        "locationTable": [{}] + [{"mappingIndex": m, "address": str(a),
                      "lines": [{"functionIndex": f, "line": str(ln)} for f, ln in lines]}
                     for m, a, lines in LOCS[1:]],
        "stackTable": [{}] + [{"locationIndices": s} for s in STACKS[1:]],
        "linkTable": [{}],
    }
    vt = {"typeStrindex": S["alloc_space"], "unitStrindex": S["bytes"]}
    profile = {"sampleType": vt, "periodType": vt, "period": str(PERIOD),
           "timeUnixNano": str(now), "durationNano": "1000000000",
           "profileId": "0102030405060708090a0b0c0d0e0f10",
           "samples": [{"stackIndex": 1, "values": [str(value)]}]}
    return {"resourceProfiles": [{
        "resource": {"attributes": [{"key": k, "value": {"stringValue": v}}
                        for k, v in resource_attrs(service).items()]},
        "scopeProfiles": [{"scope": {"name": "gomemtrace"}, "profiles": [profile]}]}],
        "dictionary": dictionary}


def profiles_proto(service, value, now):
    d = b""
    for m in MAPPINGS:  # ProfilesDictionary.mapping_table = 1
        d += f_len(1, b"" if m is None else
               f_varint(1, m["start"]) + f_varint(2, m["limit"]) + f_varint(4, m["file"]) +
               f_packed_varint(5, m["attrs"]))
    for loc in LOCS:  # location_table = 2; Location: mapping 1, address 2, lines 3
        if loc is None:
            d += f_len(2, b"")
            continue
        m, a, lines = loc
        d += f_len(2, f_varint(1, m) + f_varint(2, a) +
               b"".join(f_len(3, f_varint(1, fn) + f_varint(2, ln)) for fn, ln in lines))
    for fn in FUNCS:  # function_table = 3; Function: name 1, system_name 2, filename 3
        d += f_len(3, b"" if fn is None else
               f_varint(1, fn) + f_varint(2, fn) + f_varint(3, S["/src/main.go"]))
    d += f_len(4, b"")  # link_table = 4: only the zero Link
    for s in STRINGS:  # string_table = 5 ("" is emitted too: an empty length-delimited field)
        d += f_len(5, s.encode())
    for a in ATTRS:  # attribute_table = 6; KeyValueAndUnit: key_strindex 1, value 2
        d += f_len(6, b"" if a is None else f_varint(1, a[0]) + f_len(2, pb_anyvalue_str(a[1])))
    for st in STACKS:  # stack_table = 7; Stack.location_indices = 1 (packed)
        d += f_len(7, f_packed_varint(1, st))
    vt = f_varint(1, S["alloc_space"]) + f_varint(2, S["bytes"])  # ValueType
    sample = f_varint(1, 1) + f_packed_varint(4, [value])  # Sample: stack_index 1, values 4
    profile = (f_len(1, vt) + f_len(2, sample) + f_fixed64(3, now) + f_varint(4, 10**9) +
           f_len(5, vt) + f_varint(6, PERIOD) + f_len(7, bytes(range(1, 17))))
    sp = f_len(1, pb_scope("gomemtrace")) + f_len(2, profile)  # ScopeProfiles: scope 1, profiles 2
    rp = f_len(1, pb_resource(resource_attrs(service))) + f_len(2, sp)
    return f_len(1, rp) + f_len(2, d)  # ExportProfilesServiceRequest: resource_profiles 1, dictionary 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("signal", choices=["metrics", "profiles"])
    ap.add_argument("base")
    ap.add_argument("--encoding", choices=["json", "proto"], default="json")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--token")
    ap.add_argument("--service", default="smoke")
    ap.add_argument("--value", type=int, default=123456)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--expect", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()

    now = time.time_ns()
    if a.signal == "metrics":
        path = "/v1/metrics"
        body = (json.dumps(metrics_json(a.service, a.value, now)).encode() if a.encoding == "json"
            else metrics_proto(a.service, a.value, now))
    else:
        path = "/v1development/profiles"
        body = (json.dumps(profiles_json(a.service, a.value, now)).encode() if a.encoding == "json"
            else profiles_proto(a.service, a.value, now))
    headers = {"Content-Type": "application/json" if a.encoding == "json" else "application/x-protobuf"}
    if a.gzip:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if a.token is not None:
        headers["Authorization"] = "Bearer " + a.token
    for h in a.header:
        k, _, v = h.partition("=")
        headers[k] = v
    req = urllib.request.Request(a.base.rstrip("/") + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=a.timeout) as r:
            status, rbody, retry = r.status, r.read(), r.headers.get("Retry-After")
    except urllib.error.HTTPError as e:
        status, rbody, retry = e.code, e.read(), e.headers.get("Retry-After")
    except OSError as e:
        print(f"otlpsend: {a.base}{path}: {e}", file=sys.stderr)
        return 1
    shown = rbody.decode(errors="replace") if a.encoding == "json" or not rbody else rbody.hex()
    ra = f" retry-after={retry}" if retry is not None else ""
    print(f"HTTP {status}{ra} {shown.strip()[:300]}")
    return 0 if status == a.expect else 1


if __name__ == "__main__":
    sys.exit(main())
