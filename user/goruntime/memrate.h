/* SPDX-License-Identifier: MIT */
/*
 * runtime.MemProfileRate: where it is in a Go binary, and reading and writing it in a
 * live process (docs/go-runtime.md, "Binary", §5 "Go's own sampler").
 *
 * How the runtime sets it while it starts, before main.main:
 *  - go1.20+: `var MemProfileRate int = 512 * 1024` is initialised data: the file holds
 *    524288.  schedinit() stores 0 when the linker set disableMemoryProfiling (nothing
 *    links the heap profile reader).
 *  - go1.19: `= defaultMemProfileRate(512 * 1024)` is a call, so the variable is
 *    zero-filled (.noptrbss) and runtime.init, run from runtime.main through
 *    doInit(&runtime..inittask), stores 524288 or, with disableMemoryProfiling, 0.
 * After that point only the program itself (and GODEBUG=memprofilerate, parsed in
 * schedinit) writes it.
 *
 * Finding it: .symtab when present.  Stripped binaries are read from the code: the
 * inlined nextSample() in runtime.allocmcache and runtime.profilealloc loads it and
 * compares it with 1 (`if MemProfileRate == 1`); both must agree.  The start-up store
 * (schedinit's `CMPB $0, disableMemoryProfiling(SB); JEQ; MOVQ $0, MemProfileRate(SB)`,
 * or go1.19 runtime.init's `MOVZX disableMemoryProfiling(SB) ... MOVQ AX,
 * MemProfileRate(SB)`) gives disableMemoryProfiling.  Every address is validated: an
 * aligned word in a writable PT_LOAD holding 524288 in the file, or zero-filled and
 * stored by runtime.init (go1.19).
 *
 * Nothing here prints.  The writes are aligned 8-byte pwrite()s to /proc/PID/mem: the
 * kernel copies the bytes with memcpy, so a racing reader in the target could see a
 * mix of old and new bytes for one load; for a sampling rate that costs one odd sample
 * interval at worst.
 */
#ifndef GMT_MEMRATE_H
#define GMT_MEMRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

struct gmt_gobin;
struct gmt_go_release;

#define GMT_MEMRATE_DEFAULT 524288 /* 512 KiB: the runtime's default and initial value */

enum gmt_memrate_src {
	GMT_MEMRATE_SRC_NONE,	 /* not found */
	GMT_MEMRATE_SRC_SYMTAB,	 /* .symtab */
	GMT_MEMRATE_SRC_DECODED, /* decoded from the runtime's code */
};

/* How the runtime gives the rate its start-up value (see the top of this file). */
enum gmt_memrate_init {
	GMT_MEMRATE_INIT_STATIC,  /* go1.20+: 524288 in the file, schedinit may zero it */
	GMT_MEMRATE_INIT_DYNAMIC, /* go1.19: zero-filled, runtime.init stores the value */
};

struct gmt_memrate_vars {
	uint64_t rate; /* static address of runtime.MemProfileRate */
	enum gmt_memrate_src rate_src;
	enum gmt_memrate_init init;
	/*
	 * runtime.disableMemoryProfiling, 0 when not found (see why_disable).  The linker
	 * sets it to true when nothing references the heap profile reader
	 * (runtime.MemProfile up to go1.22, runtime.memProfileInternal in 1.24-1.27):
	 * profiling_disabled then says the runtime zeroes the rate at start-up.
	 */
	uint64_t disable;
	enum gmt_memrate_src disable_src;
	bool profiling_disabled; /* meaningful when disable != 0 */
	/*
	 * GMT_MEMRATE_INIT_DYNAMIC only: runtime..inittask, whose first word (state) turns
	 * 2 once runtime.init has run; 0 when not found (see why_inittask) or not needed.
	 */
	uint64_t inittask;
	char why_disable[160];
	char why_inittask[160];
};

#define GMT_MEMRATE_NO_SYMTAB 0x1 /* decode even when .symtab has the symbols (tests) */

/*
 * Finds runtime.MemProfileRate (and what comes with it, above) in gb, of release row
 * (whose flags say how the runtime initialises the rate).  0 when the rate was found;
 * -ENOENT with the reason in d when it cannot be found or what was found does not
 * validate; -EINVAL for a binary without pclntab.
 */
int gmt_memrate_find(const struct gmt_gobin *gb, const struct gmt_go_release *row,
		     unsigned int flags, struct gmt_memrate_vars *v, struct gmt_diag *d);

/* Decoders, exposed for tests: 0 or -ENOENT. */
int gmt_memrate_decode_rate(const struct gmt_gobin *gb, uint64_t *rate);
/* The bool tested right before a start-up store to rate (schedinit, or runtime.init). */
int gmt_memrate_decode_disable(const struct gmt_gobin *gb, uint64_t rate, uint64_t *disable);
/* go1.19: the initTask runtime.main passes to its first doInit call. */
int gmt_memrate_decode_inittask(const struct gmt_gobin *gb, uint64_t *inittask);

/*
 * One aligned 8-byte word of a live process, at a runtime address (static address +
 * load bias, see gmt_target__load_bias()), through /proc/PID/mem.  -ESRCH when the
 * process is gone (or a zombie), -EIO when nothing is mapped there, -EACCES/-EPERM when
 * we may not, -EINVAL for an unaligned address.  Writes go only to a writable mapping
 * (/proc/PID/maps): -EFAULT otherwise, since /proc/PID/mem would patch code as well.
 */
int gmt_memrate_read(pid_t pid, uint64_t addr, int64_t *val, struct gmt_diag *d);
int gmt_memrate_write(pid_t pid, uint64_t addr, int64_t val, struct gmt_diag *d);

/* What a guard call did (the non-negative results). */
enum gmt_memrate_result {
	GMT_MEMRATE_NOOP = 0, /* restore: nothing to do (nothing written, or already done) */
	GMT_MEMRATE_WROTE,    /* set: wrote the new rate; restore: wrote the original back */
	GMT_MEMRATE_ALREADY,  /* set: the word already held that rate: nothing written */
	GMT_MEMRATE_LEFT,     /* restore: the program changed the rate meanwhile: left as is */
};

struct gmt_memrate_guard;

/*
 * Records the rate at addr (a runtime address) in pid and writes rate there: returns
 * GMT_MEMRATE_WROTE, or GMT_MEMRATE_ALREADY when it already held rate (then restore has
 * nothing to undo).  A negative errno as gmt_memrate_write() gives, with *out NULL.
 * The guard keeps /proc/PID/mem open, so it keeps addressing that process even if its
 * PID is reused.  Reading and writing are two steps: a program storing the rate in
 * between loses its store (there is no compare-and-swap through /proc/PID/mem).
 */
int gmt_memrate_guard__set(pid_t pid, uint64_t addr, int64_t rate, struct gmt_memrate_guard **out,
			   struct gmt_diag *d);
/*
 * Puts the original rate back if the word still holds the one we wrote
 * (GMT_MEMRATE_WROTE); if the program stored another value meanwhile it is left
 * (GMT_MEMRATE_LEFT, see __seen()).  -ESRCH when the process is gone: nothing done.
 * After any of these the guard is spent and further calls return GMT_MEMRATE_NOOP, so
 * every exit path may call it.  Other errors (-EIO...) leave it armed for a retry.
 * Only pread()/pwrite(): async-signal-safe.  NULL gives GMT_MEMRATE_NOOP.
 */
int gmt_memrate_guard__restore(struct gmt_memrate_guard *g);
int64_t gmt_memrate_guard__original(const struct gmt_memrate_guard *g);
int64_t gmt_memrate_guard__written(const struct gmt_memrate_guard *g);
/* The value restore found when it returned GMT_MEMRATE_LEFT. */
int64_t gmt_memrate_guard__seen(const struct gmt_memrate_guard *g);
/* Restores first if still armed (call __restore() yourself to learn what it did). */
void gmt_memrate_guard__free(struct gmt_memrate_guard *g);

#define GMT_MEMRATE_POLL_US 1000

/*
 * Launch mode only (a process attached to by PID is long past its start-up: read the
 * rate): after the target was released, waits until the runtime has given the rate
 * its start-up value, so that a rate written afterwards is not overwritten by it:
 *  - INIT_STATIC with the linker's disableMemoryProfiling set: until the word reads 0
 *    (schedinit's store);
 *  - INIT_STATIC with profiling enabled: nothing to wait for, the runtime keeps the value;
 *  - INIT_DYNAMIC: until runtime..inittask's state reads 2 (runtime.init has run), or,
 *    without the inittask and with profiling enabled, until the word is non-zero.
 * Polls every GMT_MEMRATE_POLL_US.  0 with *rate the value now; -ETIMEDOUT after
 * timeout_ms with *rate the value now (a program that stores its own rate during its
 * start-up can get there; then the rate is its own); -ESRCH when the process is gone;
 * -ENOENT when v gives no way to tell (go1.19, profiling disabled, no inittask).
 */
int gmt_memrate_wait_startup(pid_t pid, const struct gmt_memrate_vars *v, uint64_t bias,
			     unsigned int timeout_ms, int64_t *rate, struct gmt_diag *d);

#endif
