#!/usr/bin/env python3
"""Compares a snapshot's goroutines.txt with the fixture's own goroutine profiles.

    gor_compare.py OWN_DEBUG1 OWN_DEBUG2 SNAPSHOT_GOROUTINES_TXT

The oracle is the Go runtime: goroutine1.txt (debug=1: count per stack) and
goroutine2.txt (debug=2: each goroutine's traceback).  Only the goroutines parked by the
fixture are compared (a frame main.* and a wait state; goroutine 1 and the spinners
move on after the fixture wrote its profiles).  Prints key=value lines:
  parked_own      parked goroutines in debug=2
  parked_missing  of them, not in goroutines.txt (by goroutine id)
  state_differ    a different wait reason (minutes left out)
  frames_differ   different frames (function, file:line), creator or parent
  groups_own, groups_differ  per innermost shown function of debug=1 stacks with a
                             main.* frame: count in debug=1 vs in goroutines.txt
Mismatches are printed as comment lines (#).
"""
import re
import sys


def tracebacks(path):
    """goroutine id -> (state, [(func, file:line)], created_by) from a debug=2 text."""
    gs = {}
    for block in open(path).read().split("\n\n"):
        lines = [l for l in block.split("\n") if l.strip()]
        if not lines:
            continue
        m = re.match(r"goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:", lines[0])
        if not m:
            continue
        state = re.sub(r", \d+ minutes", "", m.group(2))
        frames, created = [], None
        i = 1
        while i + 1 < len(lines) + 1 and i < len(lines):
            fn = lines[i]
            loc = lines[i + 1].strip() if i + 1 < len(lines) else ""
            loc = re.sub(r" \+0x[0-9a-f]+$", "", loc)
            if fn.startswith("created by "):
                created = (re.sub(r" in goroutine \d+$", "", fn[11:]),
                           re.search(r"in goroutine (\d+)$", fn) and
                           re.search(r"in goroutine (\d+)$", fn).group(1), loc)
            elif fn.startswith("\t") or fn.startswith("..."):
                i += 1
                continue
            else:
                frames.append((re.sub(r"\([^()]*\)$", "", fn), loc))
            i += 2
        gs[m.group(1)] = (state, frames, created)
    return gs


def debug1_counts(path):
    """innermost shown function -> count, over stacks with a main.* frame."""
    counts = {}
    for block in open(path).read().split("\n\n"):
        lines = [l for l in block.strip().split("\n") if not l.startswith("goroutine profile")]
        m = re.match(r"(\d+) @", lines[0]) if lines else None
        if not m:
            continue
        fns = [l.split("\t")[2].rsplit("+", 1)[0] for l in lines[1:] if l.startswith("#\t")]
        if not any(f.startswith("main.") for f in fns) or "main.main" in fns or \
                "main.spin" in fns:
            continue
        counts[fns[0]] = counts.get(fns[0], 0) + int(m.group(1))
    return counts


def main():
    own = tracebacks(sys.argv[2])
    ours = tracebacks(sys.argv[3])
    parked = {g: v for g, v in own.items()
              if g != "1" and v[0] not in ("running", "runnable")
              and any(f.startswith("main.") for f, _ in v[1])}
    missing = state = frames = 0
    for g, (st, fr, cr) in sorted(parked.items(), key=lambda x: int(x[0])):
        if g not in ours:
            missing += 1
            print("# goroutine %s [%s] not in goroutines.txt" % (g, st))
            continue
        ost, ofr, ocr = ours[g]
        if ost != st:
            state += 1
            print("# goroutine %s: state %r, Go says %r" % (g, ost, st))
        if ofr != fr or ocr != cr:
            frames += 1
            print("# goroutine %s frames differ:\n#  ours %r %r\n#  Go's %r %r" %
                  (g, ofr, ocr, fr, cr))
    print("parked_own=%d" % len(parked))
    print("parked_missing=%d" % missing)
    print("state_differ=%d" % state)
    print("frames_differ=%d" % frames)
    c1 = debug1_counts(sys.argv[1])
    ourc = {}
    for g, (st, fr, cr) in ours.items():
        fns = [f for f, _ in fr]
        if g == "1" or not any(f.startswith("main.") for f in fns) or "main.main" in fns \
                or "main.spin" in fns:
            continue
        ourc[fns[0]] = ourc.get(fns[0], 0) + 1
    differ = 0
    for fn in sorted(set(c1) | set(ourc)):
        if c1.get(fn, 0) != ourc.get(fn, 0):
            differ += 1
            print("# %s: %d in goroutines.txt, %d in debug=1" % (fn, ourc.get(fn, 0), c1.get(fn, 0)))
    print("groups_own=%d" % len(c1))
    print("groups_differ=%d" % differ)


main()
