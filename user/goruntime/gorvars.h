/* SPDX-License-Identifier: MIT */
/*
 * What goroutine tracking reads from the runtime (docs/go-runtime.md, "Goroutines"): runtime.allglen /
 * runtime.allgptr, the lock-free view of every g (allgs) that existed before the probes
 * were attached, read with the runtime.g layout of the binary's release row.
 *
 * With a .symtab the addresses are its symbols.  In stripped binaries they are read off
 * runtime.allgadd the way the runtime stores them: `LEAQ allgptr(SB), CX; XCHGQ BX,
 * 0(CX)` (atomicstorep), then the same for allglen (atomic.Storeuintptr).
 */
#ifndef GMT_GORVARS_H
#define GMT_GORVARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_gobin;
struct gmt_go_release;

struct gmt_gorvars {
	uint64_t allglen, allgptr; /* static addresses, 0 when not found (see why) */
	bool decoded;		   /* read off the code, not .symtab */
	char why[256];
};

/* Fills v; 0 also when not found (v->why says why), a negative errno on a bad binary. */
int gmt_gorvars_find(const struct gmt_gobin *gb, unsigned int flags, struct gmt_gorvars *v);
#define GMT_GORVARS_NO_SYMTAB 0x1 /* decode even when .symtab has the symbols (tests) */

/* One goroutine that existed when the probes were attached. */
struct gmt_pre_g {
	uint64_t goid;
	uint64_t gopc, startpc; /* process addresses, 0 when unknown */
	uint32_t status;	/* g.atomicstatus without the scan bit */
};

/*
 * Reads allgs out of process pid (/proc/PID/mem) and returns the goroutines that are
 * not dead (_Gidle and _Gdead left out), in *out (malloc'd), their number in *n.
 * bias: the executable's load bias; row: its release (g's goid, atomicstatus, gopc and
 * startpc, the status constants).
 */
int gmt_gorvars_enumerate(pid_t pid, const struct gmt_gorvars *v, uint64_t bias,
			  const struct gmt_go_release *row, struct gmt_pre_g **out, size_t *n,
			  struct gmt_diag *d);

#endif
