/* SPDX-License-Identifier: MIT */
/*
 * Where to put a uprobe on a Go function (docs/go-runtime.md, "Probe sites").
 *
 * A Go function with a stack check begins with `cmp 16(R14),RSP` (or
 * `lea -N(RSP),R12; cmp 16(R14),R12`, or for huge frames a `sub`/`jb` pair first;
 * 24(R14), stackguard1, in //go:systemstack functions) followed by `jbe morestack`.  A probe on the jbe costs one trap (the kernel emulates
 * conditional jumps) instead of two, and arguments, RSP and RBP are still as at entry.
 * The BPF side must skip hits where the jbe will be taken (CF or ZF set): morestack
 * re-enters the function and that re-entry is the one to count.
 */
#ifndef GMT_PROBESITE_H
#define GMT_PROBESITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gmt_probe_site {
	uint64_t vaddr;	  /* where the probe goes */
	uint32_t offset;  /* vaddr - function entry */
	bool stack_check; /* vaddr is the jbe of the stack check */
	bool emulated;	  /* the kernel emulates the instruction at vaddr */
	bool uprobe_ok;	  /* the kernel accepts a uprobe at vaddr, and does not misemulate it
			   * (gmt_insn.misemulated): the program runs as without the probe */
	char insn[40];	  /* the instruction at vaddr, for people (gmt_insn.text) */
};

/*
 * Chooses the probe site of the function whose code starts at entry (code holds
 * avail bytes from there; nothing past them is read).  Falls back to the entry instruction
 * when there is no stack check.  -EINVAL when the entry instruction cannot be decoded.
 */
int gmt_probe_site_choose(const uint8_t *code, size_t avail, uint64_t entry,
			  struct gmt_probe_site *site);

/*
 * Finds the RET instructions of a function (code = its bytes from entry to end), for
 * return-value probes without uretprobes.  A linear sweep: Go puts no data in function
 * bodies, and the INT3 padding after a function decodes as one-byte instructions.  Writes
 * at most max addresses; returns how many there are (may exceed max) or -EINVAL when the
 * code does not decode.
 */
int gmt_find_rets(const uint8_t *code, size_t len, uint64_t entry, uint64_t *rets, int max);

#endif
