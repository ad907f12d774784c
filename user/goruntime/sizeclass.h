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

struct gmt_go_release;

/*
 * Bytes the Go heap reserves for one allocation of `size` requested bytes, as
 * MemStats.TotalAlloc counts them.  noscan: the object holds no pointers (typ == nil or
 * typ.PtrBytes == 0).  row: the binary's release (its sizes, and whether typed objects
 * carry a malloc header); NULL selects the newest release's rules.
 *
 * Objects smaller than 16 bytes without pointers go to the tiny allocator, which packs
 * several into one 16-byte block that TotalAlloc counts once: their share of a block
 * depends on what else was allocated around them, so for them this is an estimate
 * (see gmt_go_alloc_size_n).
 */
uint64_t gmt_go_alloc_size(uint64_t size, bool noscan, const struct gmt_go_release *row);

/*
 * The same for `count` allocations of one size: the tiny estimate is exact for a run of
 * equal-size tiny objects (floor(16 / size) per block, e.g. 5 objects of 3 bytes cost
 * 16 bytes), which a per-object integer cannot express.  Saturates at UINT64_MAX.
 */
uint64_t gmt_go_alloc_size_n(uint64_t size, bool noscan, const struct gmt_go_release *row,
			      uint64_t count);

/* class_to_size[cls] of the runtime (0 for class 0 and any class past the table). */
uint32_t gmt_go_class_size(unsigned int cls);

#endif
