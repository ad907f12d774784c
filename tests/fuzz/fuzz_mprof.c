// SPDX-License-Identifier: MIT
/*
 * The heap-profile bucket walker (goruntime/mprof.c) over memory made of the input: the
 * first byte picks a release row, the next 8 bytes are runtime.mbuckets and the next 4
 * mProfCycle; the whole input is also "heap" at HEAP, so that pointers the input holds
 * lead back into it, or nowhere.  Whatever the bytes, the walk ends, returns records
 * whose stacks lie inside its pc array, or an error with a message and nothing returned.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "go_release.h"
#include "mprof.h"
#include "rtmem.h"
#include "fuzz.h"

#define VARS 0x1000ull
#define HEAP 0x100000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmt_rmem_buf b = {};
	struct gmt_mprof p;
	struct gmt_diag d = {};
	struct gmt_rmem m;
	uint8_t vars[32] = {};
	const struct gmt_go_release *rel;
	int err;

	if (size < 13)
		return 0;
	rel = &gmt_go_releases[data[0] % gmt_go_nreleases];
	memcpy(vars, data + 1, 8); /* mbuckets at VARS */
	memcpy(vars + 16 + rel->mprof_cycle.value, data + 9, 4);
	if (gmt_rmem_buf_add(&b, VARS, vars, sizeof(vars)) ||
	    gmt_rmem_buf_add(&b, HEAP, data, size))
		return 0;
	m = gmt_rmem_buf_mem(&b);
	err = gmt_mprof_read(&m, rel, &(struct gmt_mprof_addrs){ VARS, VARS + 16 }, &p, &d);
	if (err) {
		FUZZ_CHECK(err < 0 && d.msg[0] && !p.n && !p.recs && !p.pcs);
		return 0;
	}
	FUZZ_CHECK(p.n <= size / 8 + 1); /* every bucket is a distinct aligned address */
	for (size_t i = 0; i < p.n; i++) {
		FUZZ_CHECK(p.recs[i].stk + p.recs[i].nstk <= p.npcs);
		FUZZ_CHECK(p.recs[i].addr >= HEAP && p.recs[i].addr < HEAP + size);
	}
	if (p.npcs)
		fuzz_touch(p.pcs, p.npcs * sizeof(*p.pcs));
	gmt_mprof_free(&p);
	return 0;
}
