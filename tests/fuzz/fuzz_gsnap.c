// SPDX-License-Identifier: MIT
/*
 * The goroutine walker (goruntime/gsnap.c) over memory made of the input: the first byte
 * picks a release row, the next 8 bytes are runtime.allglen and the next 8 allgptr; the
 * whole input is also "heap" at HEAP, so that the g pointers it holds lead back into it,
 * or nowhere.  Whatever the bytes: a bounded result (no more goroutines than allglen
 * says, every one with a status that is not dead) or an error with a message and nothing
 * returned.  Stacks are not unwound here (no pclntab): test_gsnap covers the unwinder.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "go_release.h"
#include "gsnap.h"
#include "rtmem.h"
#include "fuzz.h"

#define VARS 0x1000ull
#define HEAP 0x100000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmt_rmem_buf b = {};
	struct gmt_gsnap s;
	struct gmt_diag d = {};
	struct gmt_rmem m;
	uint8_t vars[16];
	uint64_t len;
	const struct gmt_go_release *rel;
	int err;

	if (size < 17)
		return 0;
	rel = &gmt_go_releases[data[0] % gmt_go_nreleases];
	memcpy(vars, data + 1, 16);
	memcpy(&len, vars, 8);
	if (gmt_rmem_buf_add(&b, VARS, vars, sizeof(vars)) ||
	    gmt_rmem_buf_add(&b, HEAP, data, size))
		return 0;
	m = gmt_rmem_buf_mem(&b);
	err = gmt_gsnap_read(&m, rel, NULL, &(struct gmt_gsnap_addrs){ VARS + 8, VARS, 0 }, &s,
			     &d);
	if (err) {
		FUZZ_CHECK(err < 0 && d.msg[0] && !s.gs && !s.n);
		return 0;
	}
	FUZZ_CHECK(s.n <= len && s.n + s.unreadable <= len);
	for (size_t i = 0; i < s.n; i++) {
		FUZZ_CHECK(s.gs[i].status != (uint32_t)rel->consts.g_dead);
		FUZZ_CHECK(s.gs[i].nstk == 0);
	}
	gmt_gsnap_free(&s);
	return 0;
}
