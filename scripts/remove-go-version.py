#!/usr/bin/env python3
# Makes a copy of a Go binary that names no Go version, as some stripped binaries in the
# wild do: the .go.buildinfo blob is zeroed (its magic, the version, the module info) and
# every string that looks like a Go version (go1.N, go1.N.M) is overwritten with x's of
# the same length, runtime.buildVersion included.  The code, the pclntab and the data
# the program runs on stay where they are: the copy still runs.
#
#   scripts/remove-go-version.py IN OUT
#
# gomemtrace must then infer the release from what the binary contains (see
# user/goruntime/release.h); `go version IN` is the oracle the tests compare with.
import os
import re
import struct
import sys

MAGIC = b"\xff Go buildinf:"


def sections(b):
    """(name, offset, size) of every section with file contents, [] without headers."""
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
    if not shoff or not shnum or shstrndx >= shnum:
        return []
    def hdr(i):
        return struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize)
    strtab = hdr(shstrndx)
    out = []
    for i in range(shnum):
        name, typ, _, _, off, size = hdr(i)[:6]
        if typ == 8:  # SHT_NOBITS
            continue
        s = strtab[4] + name
        out.append((b[s:b.index(b"\0", s)].decode(), off, size))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: remove-go-version.py IN OUT")
    b = bytearray(open(sys.argv[1], "rb").read())
    if b[:4] != b"\x7fELF":
        sys.exit(f"{sys.argv[1]}: not an ELF file")
    zeroed = False
    for name, off, size in sections(b):
        if name == ".go.buildinfo":
            b[off:off + size] = bytes(size)
            zeroed = True
    if not zeroed:
        # No section headers: the blob is 16-byte aligned; zero its header and the
        # inline strings that follow (version and module info, each varint-prefixed).
        at = b.find(MAGIC)
        while at >= 0 and at % 16:
            at = b.find(MAGIC, at + 1)
        if at < 0:
            sys.exit(f"{sys.argv[1]}: no .go.buildinfo")
        end = at + 32
        for _ in range(2):
            n, shift = 0, 0
            while True:
                c = b[end]
                end += 1
                n |= (c & 0x7F) << shift
                shift += 7
                if c < 0x80:
                    break
            end += n
        b[at:end] = bytes(end - at)
    n = 0
    for m in re.finditer(rb"go1\.[0-9]+(\.[0-9]+)?", bytes(b)):
        b[m.start() + 2:m.end()] = b"x" * (m.end() - m.start() - 2)
        n += 1
    if b.find(MAGIC) >= 0:
        sys.exit(f"{sys.argv[1]}: a buildinfo magic is left")
    open(sys.argv[2], "wb").write(b)
    # an executable stays one: the tests run these binaries
    os.chmod(sys.argv[2], os.stat(sys.argv[1]).st_mode & 0o777)
    print(f"{sys.argv[2]}: buildinfo zeroed, {n} version strings overwritten", file=sys.stderr)


main()
