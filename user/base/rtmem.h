/* SPDX-License-Identifier: MIT */
/*
 * The memory of a running process as the runtime-structure readers of the layers above
 * see it (goruntime/mprof.h and gsnap.h, gobin/unwind.h): one
 * callback that reads bytes at an address.  The readers know the runtime, not where the
 * bytes come from: a live process through /proc/PID/mem (procmem.h), or byte buffers in
 * the tests and fuzz targets (gmt_rmem_buf below).
 *
 * The callback reads all len bytes at addr and returns 0, -EFAULT when any of them is
 * not mapped (a pointer read out of the target that leads nowhere: the reader says so
 * and never follows it further), -ESRCH when the process is gone (exited, or exec'd
 * another program), or another negative errno.  Readers pass -ESRCH up unchanged, so
 * that "gone" is never reported as "garbage".
 */
#ifndef GMT_RTMEM_H
#define GMT_RTMEM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*gmt_rmem_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct gmt_rmem {
	gmt_rmem_read_fn read;
	void *ctx;
};

static inline int gmt_rmem_read(const struct gmt_rmem *m, uint64_t addr, void *buf, size_t len)
{
	if (addr + len < addr)
		return -EFAULT;
	return m->read(m->ctx, addr, buf, len);
}

/* Little-endian scalars (amd64 only). */
int gmt_rmem_u64(const struct gmt_rmem *m, uint64_t addr, uint64_t *v);
int gmt_rmem_u32(const struct gmt_rmem *m, uint64_t addr, uint32_t *v);
int gmt_rmem_u16(const struct gmt_rmem *m, uint64_t addr, uint16_t *v);
int gmt_rmem_u8(const struct gmt_rmem *m, uint64_t addr, uint8_t *v);

/* ---- a window: one range copied in one read, the rest read through ---- */

/*
 * A reader that needs many small fields of one object (a g, a goroutine's stack) loads
 * the object's range once and reads the fields from the copy: one system call instead
 * of one per field on a live process.  Reads outside the window go to the memory
 * underneath.  The copy is as of the load: a reader that checks whether the object
 * changed loads it again.
 */
struct gmt_rmem_window {
	const struct gmt_rmem *under;
	uint64_t addr;
	size_t len; /* 0: nothing loaded, every read goes through */
	uint8_t *data;
	size_t cap;
};

/* Copies [addr, addr + len) from w->under: 0, or the read's negative errno (the window
 * is then empty).  Freed by gmt_rmem_window_free. */
int gmt_rmem_window_load(struct gmt_rmem_window *w, uint64_t addr, size_t len);
struct gmt_rmem gmt_rmem_window_mem(struct gmt_rmem_window *w);
void gmt_rmem_window_free(struct gmt_rmem_window *w);

/* ---- a cache of aligned blocks, for a walk over many small records ---- */

/*
 * A reader that walks thousands of small records packed together (the runtime's
 * heap-profile buckets) reads them through this: each read is served from a copy of
 * the aligned block it lies in, loaded with one read of the memory underneath and kept
 * for the rest of the walk.  A read that crosses a block, or whose block cannot be read
 * whole (the end of a mapping), goes through.  What a walk sees is then as of the moment
 * each block was loaded: for records read once each, no staler than a read per record.
 */
#define GMT_RMEM_CACHE_BLOCK (16u << 10)
#define GMT_RMEM_CACHE_BLOCKS 8 /* the caller holds them: keep it off small stacks */

struct gmt_rmem_cache {
	const struct gmt_rmem *under;
	uint64_t addr[GMT_RMEM_CACHE_BLOCKS];
	bool valid[GMT_RMEM_CACHE_BLOCKS];
	unsigned next; /* the block to load into next (round robin) */
	unsigned long loads;
	uint8_t data[GMT_RMEM_CACHE_BLOCKS][GMT_RMEM_CACHE_BLOCK]; /* 128 KiB, no allocation */
};

/* Empties c (without touching its blocks) and puts it over under. */
void gmt_rmem_cache_init(struct gmt_rmem_cache *c, const struct gmt_rmem *under);
struct gmt_rmem gmt_rmem_cache_mem(struct gmt_rmem_cache *c);

/* ---- memory made of byte buffers (tests, fuzz targets) ---- */

#define GMT_RMEM_BUF_MAX 16

struct gmt_rmem_region {
	uint64_t addr;
	const uint8_t *data;
	size_t len;
};

struct gmt_rmem_buf {
	struct gmt_rmem_region reg[GMT_RMEM_BUF_MAX];
	int n;
	/* Tests: after this many successful reads every read returns -ESRCH (0: never). */
	unsigned long gone_after;
	unsigned long reads;
};

/* Adds a region (borrowed, must outlive the reads): 0 or -E2BIG. */
int gmt_rmem_buf_add(struct gmt_rmem_buf *b, uint64_t addr, const void *data, size_t len);
/* A gmt_rmem over b: reads inside one region succeed, anything else is -EFAULT. */
struct gmt_rmem gmt_rmem_buf_mem(struct gmt_rmem_buf *b);

#endif
