/* SPDX-License-Identifier: MIT */
/*
 * The release resolver: which row of the Go release table (go_release.h) describes the
 * runtime of a binary.  It is the only place that looks at a Go version number; every
 * other part of gomemtrace is given the row and reads its fields and flags.
 *
 * Exact: the binary names its version (.go.buildinfo, or runtime.buildVersion found
 * through runtime.schedinit), and the row is that release's.  A release older than the
 * table's first or newer than its last is refused in one line that names the range:
 * gomemtrace does not guess the layout of a runtime it was not generated from.
 *
 * Inferred: without a version (buildinfo removed, version strings overwritten: such
 * stripped binaries exist), the row is the one release whose facts agree with what the
 * binary contains, each fact compared with the row's own field:
 *   - the pclntab magic (image.pclntab_magic);
 *   - the layout of runtime.moduledata that validated (moduledata.*);
 *   - functions present or absent (GMT_REL_GDESTROY runtime.gdestroy,
 *     GMT_REL_MALLOCGC_SPLIT runtime.mallocgcLarge; GMT_REL_SIZE_SPECIALIZED
 *     runtime.mallocgcSmallNoScanSC2, whose absence rules out the releases that always
 *     have it; an experiment adds it to others);
 *   - offsets decoded from the runtime's code: lastHeapGoal where gcControllerCommit
 *     passes it to gcPaceScavenger (gc_controller.last_heap_goal), the g.atomicstatus
 *     that casgstatus compares-and-swaps (g.atomicstatus), and the m.locks that the
 *     inlined acquirem/releasem increment and decrement on getg().m (m.locks).
 * The first two and the two decoded offsets that every release shows must be seen;
 * when no release, or more than one, agrees, the binary is refused with the evidence:
 * never a silent guess.  A release newer than the table whose facts all match the
 * newest row is taken for it (inexact, said as such in `info` and in the outputs).
 *
 * For an exact row the same facts are checked too: disagreements are listed in notes
 * (the row is used: the version string is the better witness).
 */
#ifndef GMT_RELEASE_H
#define GMT_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

#include "buildinfo.h"
#include "diag.h"
#include "go_release.h"

struct gmt_gobin;

struct gmt_release {
	const struct gmt_go_release *row;
	bool exact;	     /* the binary names its version */
	char name[96];	     /* "go1.26.8", or "go1.27 (inferred)" */
	char family[16];     /* the row's release: "go1.27" */
	char evidence[1024]; /* inferred: the facts that chose the row, "; "-separated */
	char notes[512];     /* exact: facts of the code that disagree with the row, or "" */
};

/*
 * Resolves gb's release: 0 with r filled, or -ENOTSUP with a one-line reason in d (a
 * 32-bit or non-x86-64 binary, a release outside the table, a binary whose release
 * cannot be told).
 */
int gmt_release_resolve(const struct gmt_gobin *gb, struct gmt_release *r, struct gmt_diag *d);

/* The row of Go 1.n (any patch level), NULL when the table has none. */
const struct gmt_go_release *gmt_go_release_find(int n);
const struct gmt_go_release *gmt_go_release_oldest(void);
const struct gmt_go_release *gmt_go_release_newest(void);
/* "go1.22" for the row of go1.22.12. */
void gmt_go_release_family(const struct gmt_go_release *row, char *buf, size_t len);
/* The table's range, for messages and usage: "go1.19 to go1.27". */
const char *gmt_go_release_range(void);
/* Compares a with major.n (patch ignored): negative, 0 or positive. */
int gmt_go_version_cmp(const struct gmt_go_version *a, int major, int n);

/*
 * The x86 register number (0 RAX, 1 RCX, 2 RDX, 3 RBX, 6 RSI, 7 RDI, 8-11 R8-R11) of an
 * argument register of the row (go_release.h's ABIInternal order); -1 when the argument
 * is absent or in memory.
 */
int gmt_abi_int_reg(int8_t arg);

/* The facts behind an inference, exposed for tests: 0, or -ENOENT when not seen. */
int gmt_release_decode_atomicstatus(const struct gmt_gobin *gb, uint32_t *off);
/* The m offset most incremented/decremented on getg().m (g.m at g_m); *count: how often. */
int gmt_release_decode_mlocks(const struct gmt_gobin *gb, uint32_t g_m, uint32_t *off,
			      unsigned *count);

#endif
