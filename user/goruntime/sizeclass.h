/* SPDX-License-Identifier: MIT */
/*
 * What the Go heap reserves for an allocation of a given requested size: the rounding
 * rules of runtime.mallocgc, so that the bytes we report add up to
 * runtime.MemStats.TotalAlloc and not merely to what the program asked for.
 */
#ifndef GMT_SIZECLASS_H
#define GMT_SIZECLASS_H

#include <stdbool.h>
#include <stdint.h>

#define GMT_GO_TINY_SIZE 16	     /* maxTinySize: the tiny allocator's block */
#define GMT_GO_MAX_SMALL_SIZE 32768  /* _MaxSmallSize / gc.MaxSmallSize */
#define GMT_GO_PAGE_SIZE 8192	     /* 1 << _PageShift */
#define GMT_GO_MALLOC_HEADER 8	     /* mallocHeaderSize, go1.22+ */
#define GMT_GO_MIN_SIZE_FOR_HEADER 512 /* minSizeForMallocHeader (exclusive), go1.22+ */

/*
 * Bytes the Go heap reserves for one allocation of `size` requested bytes, as
 * MemStats.TotalAlloc counts them.  noscan: the object holds no pointers (typ == nil or
 * typ.PtrBytes == 0).  go_minor: 19 for go1.19 etc.; <= 0 when unknown, which selects
 * the newest rules.
 *
 * Objects smaller than 16 bytes without pointers go to the tiny allocator, which packs
 * several into one 16-byte block that TotalAlloc counts once: their share of a block
 * depends on what else was allocated around them, so for them this is an estimate
 * (see gmt_go_alloc_size_n).
 */
uint64_t gmt_go_alloc_size(uint64_t size, bool noscan, int go_minor);

/*
 * The same for `count` allocations of one size: the tiny estimate is exact for a run of
 * equal-size tiny objects (floor(16 / size) per block, e.g. 5 objects of 3 bytes cost
 * 16 bytes), which a per-object integer cannot express.  Saturates at UINT64_MAX.
 */
uint64_t gmt_go_alloc_size_n(uint64_t size, bool noscan, int go_minor, uint64_t count);

#endif
