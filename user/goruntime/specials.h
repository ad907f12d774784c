/* SPDX-License-Identifier: MIT */
/*
 * Where sampled mode learns which object died: the runtime's "specials", the records it
 * hangs off heap objects (finalizers, weak handles, cleanups, and the heap profiler's
 * specialprofile {special; b *bucket}, set by setprofilebucket).  When the sweeper frees
 * a dead object it calls freeSpecial(s *special, p unsafe.Pointer, size uintptr) for
 * each of its specials; for a profile record, p is the sampled object (the same address
 * mProf_Malloc and setprofilebucket got) and freeSpecial calls mProf_Free(s.b, size).
 * The BPF side reads s.kind to keep only profile records, and s.b (docs/go-runtime.md, "Allocation").
 */
#ifndef GMT_SPECIALS_H
#define GMT_SPECIALS_H

#include <stdint.h>

struct gmt_special_layout {
	uint32_t kind_off;     /* runtime.special.kind (a byte) */
	uint32_t profile_kind; /* _KindSpecialProfile */
	uint32_t bucket_off;   /* runtime.specialprofile.b */
};

/*
 * The layout of Go 1.minor (64-bit), checked against DWARF in tests/agg/test_sampled_agg.c;
 * -ENOENT for a release it does not know.
 */
int gmt_special_layout_for(int minor, struct gmt_special_layout *l);

#endif
