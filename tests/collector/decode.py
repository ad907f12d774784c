#!/usr/bin/env python3
"""Decodes what the test Collector's file exporter wrote (format: json, one OTLP/JSON
message per line), for the e2e tests to compare against gomemtrace's own files.

  decode.py metrics FILE [--service S] [--name N] [--last]
      one line per data point, tab-separated:
        service  name  kind  unit  attrs  value  time_unix_nano
      kind: gauge | sum/cumulative/monotonic | sum/delta/nonmonotonic | histogram/cumulative ...
      attrs: k=v,k=v (sorted) or "-"; value: the number, or for a histogram
      "count=C sum=S bounds=b1,b2 counts=c1,c2,c3"
      --last keeps only the newest point per (service, name, attrs).

  decode.py resource FILE [--service S]
      the resource attributes of each metrics request, one "key=value" per line, a
      blank line after each resource.

  decode.py profiles FILE [--service S] [--folded]
      one line per profile:
        service  type/unit  samples=N  total=T  period=P  time=T0  duration=D  profile_id=HEX
      --folded: instead, per profile type, "service  type/unit  root;...;leaf  value", frames
      root first with inlined frames expanded (the shape of gomemtrace's *.folded files),
      identical stacks summed over all profiles of the file.

Each reference of a profile is checked against its dictionary (index ranges; index 0 of
every table the zero entry; string_table[0] == ""): the Collector passes broken
references through unchecked, so this is where an encoder bug shows.  A violation is
printed to stderr and the exit status is 2.  Exit 1 when nothing matched the filters.
"""
import argparse
import json
import sys


class Bad(Exception):
    pass


def records(path):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                # The file exporter writes whole lines; a torn last line means the
                # Collector was killed between write and flush.
                raise Bad(f"{path}:{n}: not JSON ({e})")


def anyvalue(v, strings=None):
    """OTLP/JSON AnyValue -> Python value (int64 come as strings)."""
    if not v:
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "stringValueStrindex" in v:
        i = int(v["stringValueStrindex"])
        if strings is None or not 0 <= i < len(strings):
            raise Bad(f"string_value_strindex {i} out of range")
        return strings[i]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [anyvalue(x, strings) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return attrmap(v["kvlistValue"].get("values", []), strings)
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def attrmap(kvs, strings=None):
    """KeyValue list -> dict; profiles carry keys/values as string-table references."""
    out = {}
    for kv in kvs or []:
        if "key" in kv:
            k = kv["key"]
        else:
            i = int(kv.get("keyStrindex", 0))
            if strings is None or not 0 < i < len(strings):
                raise Bad(f"key_strindex {i} out of range")
            k = strings[i]
        out[k] = anyvalue(kv.get("value"), strings)
    return out


def fmt_attrs(d):
    return ",".join(f"{k}={d[k]}" for k in sorted(d)) or "-"


def num(dp):
    if "asInt" in dp:
        return int(dp["asInt"])
    if "asDouble" in dp:
        return float(dp["asDouble"])
    return 0  # proto3 JSON omits zero


TEMPORALITY = {1: "delta", 2: "cumulative"}


def metric_points(m):
    """Yields (kind, attrs, value, time) for each data point of a metric."""
    for kind in ("gauge", "sum", "histogram", "exponentialHistogram", "summary"):
        if kind in m:
            body = m[kind]
            break
    else:
        return
    label = kind
    if kind in ("sum", "histogram", "exponentialHistogram"):
        label += "/" + TEMPORALITY.get(int(body.get("aggregationTemporality", 0)), "unspecified")
    if kind == "sum":
        label += "/monotonic" if body.get("isMonotonic") else "/nonmonotonic"
    for dp in body.get("dataPoints", []):
        if kind in ("gauge", "sum"):
            value = num(dp)
        elif kind == "histogram":
            value = "count=%d sum=%s bounds=%s counts=%s" % (
                int(dp.get("count", 0)), repr(float(dp.get("sum", 0))),
                ",".join(repr(float(b)) for b in dp.get("explicitBounds", [])),
                ",".join(str(int(c)) for c in dp.get("bucketCounts", [])))
        else:
            value = "count=%d sum=%s" % (int(dp.get("count", 0)), repr(float(dp.get("sum", 0))))
        yield label, attrmap(dp.get("attributes")), value, int(dp.get("timeUnixNano", 0))


def cmd_metrics(a):
    rows = []
    for rec in records(a.file):
        for rm in rec.get("resourceMetrics", []):
            svc = attrmap(rm.get("resource", {}).get("attributes")).get("service.name", "")
            if a.service is not None and svc != a.service:
                continue
            for sm in rm.get("scopeMetrics", []):
                for m in sm.get("metrics", []):
                    if a.name is not None and m.get("name") != a.name:
                        continue
                    for kind, attrs, value, t in metric_points(m):
                        rows.append((svc, m.get("name", ""), kind, m.get("unit", "") or "-",
                                 fmt_attrs(attrs), value, t))
    if a.last:
        newest = {}
        for r in rows:
            key = (r[0], r[1], r[4])
            if key not in newest or r[6] >= newest[key][6]:
                newest[key] = r
        rows = sorted(newest.values(), key=lambda r: (r[0], r[1], r[4]))
    for r in rows:
        print("\t".join(str(x) for x in r))
    return 0 if rows else 1


def cmd_resource(a):
    n = 0
    for rec in records(a.file):
        for rm in rec.get("resourceMetrics", []):
            attrs = attrmap(rm.get("resource", {}).get("attributes"))
            if a.service is not None and attrs.get("service.name") != a.service:
                continue
            for k in sorted(attrs):
                print(f"{k}={attrs[k]}")
            print()
            n += 1
    return 0 if n else 1


def check_index(table, i, what):
    i = int(i)
    if not 0 <= i < len(table):
        raise Bad(f"{what} {i} out of range (table has {len(table)})")
    return i


def is_zero(entry):
    """The zero entry of a dictionary table: no field set (pdata writes {"value":{}} for
    the zero KeyValueAndUnit)."""
    def empty(x):
        if isinstance(x, dict):
            return all(empty(v) for v in x.values())
        if isinstance(x, list):
            return all(empty(v) for v in x)
        return x in (None, 0, "", "0", False)
    return empty(entry)


class Dictionary:
    def __init__(self, d):
        self.strings = d.get("stringTable", [])
        self.mappings = d.get("mappingTable", [])
        self.locations = d.get("locationTable", [])
        self.functions = d.get("functionTable", [])
        self.links = d.get("linkTable", [])
        self.attributes = d.get("attributeTable", [])
        self.stacks = d.get("stackTable", [])
        if not self.strings or self.strings[0] != "":
            raise Bad('string_table[0] must be ""')
        for name in ("mappings", "locations", "functions", "links", "attributes", "stacks"):
            t = getattr(self, name)
            if not t:
                raise Bad(f"{name} table lacks its zero entry")
            if not is_zero(t[0]):
                raise Bad(f"{name}[0] is not the zero value: {t[0]}")
        for i, m in enumerate(self.mappings):
            self.s(m.get("filenameStrindex", 0), f"mapping {i} filename")
            for ai in m.get("attributeIndices", []):
                check_index(self.attributes, ai, f"mapping {i} attribute index")
        for i, f in enumerate(self.functions):
            for k in ("nameStrindex", "systemNameStrindex", "filenameStrindex"):
                self.s(f.get(k, 0), f"function {i} {k}")
        for i, loc in enumerate(self.locations):
            check_index(self.mappings, loc.get("mappingIndex", 0), f"location {i} mapping index")
            for ln in loc.get("lines", []):
                check_index(self.functions, ln.get("functionIndex", 0), f"location {i} function index")
        for i, st in enumerate(self.stacks):
            for li in st.get("locationIndices", []):
                check_index(self.locations, li, f"stack {i} location index")
        for i, at in enumerate(self.attributes):
            self.s(at.get("keyStrindex", 0), f"attribute {i} key")
            self.s(at.get("unitStrindex", 0), f"attribute {i} unit")

    def s(self, i, what="string index"):
        return self.strings[check_index(self.strings, i, what)]

    def frames(self, stack_index):
        """Frame names of a stack, root first, inlined frames expanded."""
        st = self.stacks[check_index(self.stacks, stack_index, "sample stack index")]
        out = []
        # location_indices: leaf first; Location.lines: innermost (inlined) first.
        for li in reversed(st.get("locationIndices", [])):
            loc = self.locations[int(li)]
            for ln in reversed(loc.get("lines", [])):
                fn = self.functions[int(ln.get("functionIndex", 0))]
                out.append(self.s(fn.get("nameStrindex", 0)) or "?")
            if not loc.get("lines"):
                out.append("0x%x" % int(loc.get("address", 0)))
        return out


def cmd_profiles(a):
    lines = []
    folded = {}
    for rec in records(a.file):
        d = Dictionary(rec.get("dictionary", {}))
        for rp in rec.get("resourceProfiles", []):
            svc = attrmap(rp.get("resource", {}).get("attributes"), d.strings).get("service.name", "")
            if a.service is not None and svc != a.service:
                continue
            for sp in rp.get("scopeProfiles", []):
                for p in sp.get("profiles", []):
                    st = p.get("sampleType", {})
                    typ = d.s(st.get("typeStrindex", 0)) + "/" + d.s(st.get("unitStrindex", 0))
                    pt = p.get("periodType", {})
                    d.s(pt.get("typeStrindex", 0), "period type")
                    d.s(pt.get("unitStrindex", 0), "period unit")
                    for ai in p.get("attributeIndices", []):
                        check_index(d.attributes, ai, "profile attribute index")
                    total = 0
                    samples = p.get("samples", [])
                    for s in samples:
                        vals = [int(v) for v in s.get("values", [])]
                        ts = s.get("timestampsUnixNano", [])
                        if vals and ts and len(vals) != len(ts):
                            raise Bad("sample with values and timestamps of different lengths")
                        if not vals and not ts:
                            raise Bad("sample without values or timestamps")
                        v = sum(vals) if vals else len(ts)
                        total += v
                        check_index(d.links, s.get("linkIndex", 0), "sample link index")
                        for ai in s.get("attributeIndices", []):
                            check_index(d.attributes, ai, "sample attribute index")
                        key = (svc, typ, ";".join(d.frames(s.get("stackIndex", 0))))
                        folded[key] = folded.get(key, 0) + v
                    lines.append("\t".join([
                        svc, typ, f"samples={len(samples)}", f"total={total}",
                        f"period={int(p.get('period', 0))}",
                        f"time={int(p.get('timeUnixNano', 0))}",
                        f"duration={int(p.get('durationNano', 0))}",
                        f"profile_id={p.get('profileId', '')}"]))
    if a.folded:
        for (svc, typ, stack), v in sorted(folded.items()):
            print(f"{svc}\t{typ}\t{stack}\t{v}")
    else:
        for line in lines:
            print(line)
    return 0 if lines else 1


def cmd_mappings(a):
    """Each request's mappings (entry 0 left out): filename, range and attributes."""
    n = 0
    for rec in records(a.file):
        d = Dictionary(rec.get("dictionary", {}))
        for m in d.mappings[1:]:
            attrs = []
            for ai in m.get("attributeIndices", []):
                at = d.attributes[int(ai)]
                attrs.append(f"{d.s(at.get('keyStrindex', 0))}={anyvalue(at.get('value'), d.strings)}")
            print("\t".join([d.s(m.get("filenameStrindex", 0)),
                             "%#x-%#x" % (int(m.get("memoryStart", 0)), int(m.get("memoryLimit", 0)))]
                            + attrs))
            n += 1
    return 0 if n else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("metrics")
    m.add_argument("file")
    m.add_argument("--service")
    m.add_argument("--name")
    m.add_argument("--last", action="store_true")
    r = sub.add_parser("resource")
    r.add_argument("file")
    r.add_argument("--service")
    p = sub.add_parser("profiles")
    p.add_argument("file")
    p.add_argument("--service")
    p.add_argument("--folded", action="store_true")
    mp = sub.add_parser("mappings")
    mp.add_argument("file")
    a = ap.parse_args()
    try:
        return {"metrics": cmd_metrics, "resource": cmd_resource,
                "profiles": cmd_profiles, "mappings": cmd_mappings}[a.cmd](a)
    except Bad as e:
        print(f"decode: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"decode: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
