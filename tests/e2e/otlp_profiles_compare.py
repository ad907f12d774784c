#!/usr/bin/env python3
"""Compares the profiles the Collector received from `record --otlp-endpoint` (decoded by
tests/collector/decode.py) with the recording's alloc.pb.gz as `go tool pprof -raw` reads
it, and the mapping's build IDs with the executable's.

  otlp_profiles_compare.py PROFILES FOLDED MAPPINGS PPROF_RAW EXE GO_BUILDID

PROFILES, FOLDED and MAPPINGS are `decode.py profiles`, `profiles --folded` and `mappings`
output; PPROF_RAW is `go tool pprof -raw alloc.pb.gz`; GO_BUILDID is `go tool buildid EXE`.
Per sample type the totals must be equal, and so must every stack (function names root
first, inlined frames expanded, as decode.py folds them) with its value.  The GNU build ID
is read from EXE's notes here, the htlhash computed here from its definition.  Prints one
"# ..." line per difference, then key=value counts for the test.
"""
import hashlib
import re
import struct
import sys


def parse_raw(path):
    """go tool pprof -raw -> (types, {(type, folded stack): value})."""
    types, samples, locs = [], [], {}
    section, cur = None, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("Samples:"):
            section = "types"
            continue
        if line.startswith("Locations"):
            section = "locations"
            continue
        if line.startswith("Mappings"):
            section = None
            continue
        if section == "types":
            types = [t.replace("[dflt]", "").split("/")[0] for t in line.split()]
            section = "samples"
        elif section == "samples":
            m = re.match(r"^\s*(-?\d+(?:\s+-?\d+)*):((?:\s*\d+)*)\s*$", line)
            if m:  # label lines (bytes:[...]) do not match
                samples.append(([int(v) for v in m.group(1).split()],
                                [int(x) for x in m.group(2).split()]))
        elif section == "locations":
            m = re.match(r"^\s*(\d+): (0x[0-9a-f]+) (?:M=\d+ )?(.*)$", line)
            if m:
                cur = int(m.group(1))
                locs[cur] = {"addr": int(m.group(2), 16), "names": []}
                rest = m.group(3)
            elif line.startswith("             ") and cur is not None:
                rest = line.strip()
            else:
                continue
            rest = re.sub(r" s=\d+$", "", rest.strip())
            if rest:
                # "func file:line:col": the name may hold spaces (generics), the file not
                locs[cur]["names"].append(rest.rsplit(" ", 1)[0] if " " in rest else rest)
    folded = {}
    for vals, ids in samples:
        frames = []
        for i in reversed(ids):
            loc = locs[i]
            frames += list(reversed(loc["names"])) or ["0x%x" % loc["addr"]]
        stack = ";".join(frames)
        for t, v in zip(types, vals):
            if v:
                folded[(t, stack)] = folded.get((t, stack), 0) + v
    inlined = sum(1 for loc in locs.values() if len(loc["names"]) > 1)
    return types, folded, inlined


def gnu_build_id(exe):
    """The NT_GNU_BUILD_ID note of a 64-bit little-endian ELF file, hex ('' without)."""
    data = open(exe, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    for i in range(shnum):
        sh = shoff + i * shentsize
        sh_type, = struct.unpack_from("<I", data, sh + 4)
        off, size = struct.unpack_from("<QQ", data, sh + 0x18)
        if sh_type != 7:  # SHT_NOTE
            continue
        p = off
        while p + 12 <= off + size:
            namesz, descsz, typ = struct.unpack_from("<III", data, p)
            name = data[p + 12:p + 12 + namesz]
            desc_off = p + 12 + (namesz + 3) // 4 * 4
            if name == b"GNU\0" and typ == 3:
                return data[desc_off:desc_off + descsz].hex()
            p = desc_off + (descsz + 3) // 4 * 4
    return ""


def htlhash(exe):
    d = open(exe, "rb").read()
    return hashlib.sha256(d[:4096] + d[-4096:] + len(d).to_bytes(8, "big")).hexdigest()[:32]


def main():
    profiles, folded_f, mappings, raw, exe, go_buildid = sys.argv[1:7]
    types, want, inlined = parse_raw(raw)
    want_tot = {t: 0 for t in types}
    for (t, _), v in want.items():
        want_tot[t] += v

    got, got_tot, nprof = {}, {}, 0
    for line in open(profiles):
        f = line.rstrip("\n").split("\t")
        got_tot[f[1].split("/")[0]] = int(f[3].split("=")[1])
        nprof += 1
    for line in open(folded_f):
        _, typ, stack, v = line.rstrip("\n").split("\t")
        got[(typ.split("/")[0], stack)] = int(v)

    differ = 0
    for t in types:
        if got_tot.get(t) != want_tot[t]:
            print(f"# total {t}: otlp {got_tot.get(t)} pprof {want_tot[t]}")
            differ += 1
        print(f"total_{t}={want_tot[t]}")
    stacks_differ = 0
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print(f"# {k[0]} {k[1]}: otlp {got.get(k)} pprof {want.get(k)}")
            stacks_differ += 1
    # the top stacks by the first type, for the log
    for (t, s), v in sorted(want.items(), key=lambda kv: -kv[1])[:3]:
        print(f"# top {t} {v} {s[-150:]}")

    lines = [l.rstrip("\n").split("\t") for l in open(mappings)]
    attrs = dict(a.split("=", 1) for a in lines[0][2:]) if lines else {}
    ids_ok = int(len(lines) == 1 and lines[0][0] and
                 attrs.get("process.executable.build_id.go") == go_buildid.strip() and
                 attrs.get("process.executable.build_id.gnu", "") == gnu_build_id(exe) and
                 attrs.get("process.executable.build_id.htlhash") == htlhash(exe))
    if not ids_ok:
        print(f"# mapping {lines}: want go={go_buildid.strip()} gnu={gnu_build_id(exe)} "
              f"htlhash={htlhash(exe)}")
    print(f"profiles={nprof}")
    print(f"types={len(types)}")
    print(f"stacks={len([k for k in want if k[0] == types[0]])}")
    print(f"inlined_locations={inlined}")
    print(f"totals_differ={differ}")
    print(f"stacks_differ={stacks_differ}")
    print(f"build_ids_ok={ids_ok}")
    print(f"gnu_present={int(bool(gnu_build_id(exe)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
