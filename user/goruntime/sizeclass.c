// SPDX-License-Identifier: MIT
/*
 * runtime.mallocgc's rounding, checked against the Go sources of 1.19, 1.22, 1.24, 1.26
 * and 1.27 (runtime/malloc.go, runtime/sizeclasses.go, internal/runtime/gc/) and against
 * MemStats.TotalAlloc deltas measured with each of those toolchains
 * (tests/agg/test_aggregate.c, size_classes_match_go_*).
 */
#include "sizeclass.h"

#include <stddef.h>

#include "go_release.h"
#include "release.h"

/*
 * class_to_size (gc.SizeClassToSize from go1.26), byte-identical in 1.19 through 1.27.
 * Every class above 1024 is 1024 + k * 128 and every class is a multiple of 8, so the
 * runtime's two lookup tables (size_to_class8, size_to_class128) both yield the smallest
 * class >= the size: a search over this table gives the same answer.
 */
static const uint16_t class_to_size[] = {
	0,     8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,
	160,   176,   192,   208,   224,   240,   256,   288,   320,   352,   384,   416,
	448,   480,   512,   576,   640,   704,   768,   896,   1024,  1152,  1280,  1408,
	1536,  1792,  2048,  2304,  2688,  3072,  3200,  3456,  4096,  4864,  5376,  6144,
	6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
	18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
};

_Static_assert(sizeof(class_to_size) / sizeof(class_to_size[0]) == 68, "_NumSizeClasses");

/* size in (0, 32768] */
static uint64_t round_to_class(uint64_t size)
{
	size_t lo = 1, hi = sizeof(class_to_size) / sizeof(class_to_size[0]) - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (class_to_size[mid] < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return class_to_size[lo];
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/*
 * Tiny path: an object starts at the block's offset aligned to size's own alignment
 * (8 if size % 8 == 0, 4 if % 4, 2 if % 2); as size is a multiple of that alignment,
 * a run of equal objects packs floor(16 / size) into each block.  Mixed sizes pack
 * differently, hence "estimate".  Measured (go1.19–1.27): 3 bytes cost 3.2, 5 cost 5.33,
 * 7 cost 8, 9..15 cost 16.
 */
static uint64_t tiny_bytes(uint64_t size, uint64_t count, uint64_t tiny)
{
	uint64_t per_block = tiny / size;
	unsigned __int128 b = (unsigned __int128)count * tiny;

	b = (b + per_block / 2) / per_block; /* nearest: a share, not whole blocks */
	return b > UINT64_MAX ? UINT64_MAX : (uint64_t)b;
}

uint64_t gmt_go_alloc_size_n(uint64_t size, bool noscan, const struct gmt_go_release *row,
			      uint64_t count)
{
	const struct gmt_go_release *r = row ? row : gmt_go_release_newest();
	/* go1.22 turned the allocheaders experiment on by default. */
	bool headers = r->flags & GMT_REL_MALLOC_HEADER;
	uint64_t header = headers ? (uint64_t)r->consts.malloc_header_size : 0;
	uint64_t tiny = (uint64_t)r->consts.tiny_size, page = (uint64_t)r->consts.page_size;
	/*
	 * From 1.22 sizes in (32760, 32768] are allocated as large objects: their 4 pages
	 * are 32768 bytes anyway, but follow the runtime rather than rely on that.
	 */
	uint64_t small_max = (uint64_t)r->consts.max_small_size - header;

	if (size == 0 || count == 0)
		return 0; /* &zerobase: nothing is allocated */
	if (size <= small_max) {
		if (noscan && size < tiny)
			return tiny_bytes(size, count, tiny);
		/* Pointerful objects above 512 bytes carry their type in an 8-byte header. */
		if (headers && !noscan && size > (uint64_t)r->consts.min_size_for_malloc_header)
			size += header;
		return mul_sat(round_to_class(size), count);
	}
	/* Large objects get their own span of whole pages (mcache.allocLarge). */
	if (size > UINT64_MAX - (page - 1))
		return UINT64_MAX;
	size = (size + page - 1) & ~(page - 1);
	return mul_sat(size, count);
}

uint64_t gmt_go_alloc_size(uint64_t size, bool noscan, const struct gmt_go_release *row)
{
	return gmt_go_alloc_size_n(size, noscan, row, 1);
}

uint32_t gmt_go_class_size(unsigned int cls)
{
	return cls < sizeof(class_to_size) / sizeof(class_to_size[0]) ? class_to_size[cls] : 0;
}
