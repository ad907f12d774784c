/* SPDX-License-Identifier: MIT */
/*
 * One word written into a live process and put back: the only write gomemtrace makes
 * into a target (sampled mode's runtime.MemProfileRate, memrate.h).  The guard records
 * what the word held, writes the new value, and restores the original when asked, but
 * only if the word still holds what was written: a value the program stored meanwhile
 * is its own and stays.
 *
 * The guard keeps /proc/PID/mem open (procmem.h), so it keeps addressing the process it
 * wrote to even if its PID is reused, and a process that exited or exec'd (whose
 * memory is gone with the written word) reads as gone.
 */
#ifndef GMT_WORDGUARD_H
#define GMT_WORDGUARD_H

#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

/* What a guard call did (the non-negative results). */
enum gmt_guard_result {
	GMT_GUARD_NOOP = 0, /* restore: nothing to do (nothing written, or already done) */
	GMT_GUARD_WROTE,    /* set: wrote the new value; restore: wrote the original back */
	GMT_GUARD_ALREADY,  /* set: the word already held that value: nothing written */
	GMT_GUARD_LEFT,	    /* restore: the program changed the word meanwhile: left as is */
};

struct gmt_word_guard;

/*
 * Records the word at addr (a runtime address, aligned, in a writable mapping) of pid
 * and writes val there: GMT_GUARD_WROTE, or GMT_GUARD_ALREADY when it held val already
 * (then restore has nothing to undo).  A negative errno as procmem.h words it (-ESRCH,
 * -EIO, -EFAULT, -EINVAL, -EACCES...), with *out NULL and the reason in d.  Reading and
 * writing are two steps: a program storing the word in between loses its store (there
 * is no compare-and-swap through /proc/PID/mem).
 */
int gmt_word_guard__set(pid_t pid, uint64_t addr, int64_t val, struct gmt_word_guard **out,
			struct gmt_diag *d);
/*
 * Puts the original back if the word still holds the written value (GMT_GUARD_WROTE);
 * if the program stored another value meanwhile it is left (GMT_GUARD_LEFT, see
 * __seen()).  -ESRCH when the process is gone: nothing done.  After any of these the
 * guard is spent and further calls return GMT_GUARD_NOOP, so every exit path may call
 * it.  Other errors (-EIO...) leave it armed for a retry.  Only pread()/pwrite():
 * async-signal-safe.  NULL gives GMT_GUARD_NOOP.
 */
int gmt_word_guard__restore(struct gmt_word_guard *g);
int64_t gmt_word_guard__original(const struct gmt_word_guard *g);
int64_t gmt_word_guard__written(const struct gmt_word_guard *g);
/* The value restore found when it returned GMT_GUARD_LEFT. */
int64_t gmt_word_guard__seen(const struct gmt_word_guard *g);
/* Restores first if still armed (call __restore() yourself to learn what it did). */
void gmt_word_guard__free(struct gmt_word_guard *g);

#endif
