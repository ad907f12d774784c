/* SPDX-License-Identifier: MIT */
/*
 * Reading (and, for one word, writing) a live process's memory through /proc/PID/mem.
 * Every reader of another process goes through here: MemProfileRate and its start-up
 * (memrate.h), the goroutines before the attach (gorvars.h), the state file's undo, and
 * the readers of runtime structures to come.
 *
 * It never follows an address outside the process's mappings: each access is checked
 * against /proc/PID/maps first (read when opened, read again when an address is not in
 * it: the heap grows), so a wrong pointer read out of the target is answered "unmapped"
 * without asking the kernel, and a write goes only to a writable mapping
 * (/proc/PID/mem writes with FOLL_FORCE and would patch the program's code as happily).
 * Both files stay open: they keep addressing the address space they were opened on, so
 * a PID reused meanwhile is never read, and one that exited or exec'd reads as gone.
 * The readers of runtime structures (goruntime/mprof.h) see it through gmt_procmem__rmem(),
 * as one read callback that they can also be given byte buffers through (rtmem.h).
 *
 * The answers:
 *   -EIO    nothing is mapped at the address (what the kernel itself answers there)
 *   short   a read returns fewer bytes than asked when the mappings end first
 *   -ESRCH  the address space is gone: the process exited (a zombie too) or exec'd
 *   -EFAULT a write to a mapping that is not writable
 *   -EINVAL a word at an unaligned address
 * Nothing prints; gmt_procmem_explain() words an answer for a message.
 */
#ifndef GMT_PROCMEM_H
#define GMT_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "rtmem.h"

struct gmt_map;
struct gmt_procmem;

#define GMT_PROCMEM_WRITE 0x1 /* open for writing too (gmt_procmem__write_word) */

/*
 * Opens process pid's memory and reads its mappings: -ESRCH when it is gone, -EACCES /
 * -EPERM with the capability that is missing named in d (preflight.h).
 */
int gmt_procmem__open(pid_t pid, unsigned int flags, struct gmt_procmem **out,
		      struct gmt_diag *d);
/*
 * Reads up to len bytes at addr: how many were read (len, or fewer: short), or -EIO when
 * addr itself is not mapped, -ESRCH when the process is gone, another -errno.
 */
ssize_t gmt_procmem__read(struct gmt_procmem *m, uint64_t addr, void *buf, size_t len);
/* All len bytes, or an error: a short read is -EIO. */
int gmt_procmem__read_full(struct gmt_procmem *m, uint64_t addr, void *buf, size_t len);
/* One aligned little-endian 8-byte word. */
int gmt_procmem__read_word(struct gmt_procmem *m, uint64_t addr, uint64_t *val);
/* One aligned 8-byte word, into a writable mapping only (-EFAULT otherwise). */
int gmt_procmem__write_word(struct gmt_procmem *m, uint64_t addr, uint64_t val);
/*
 * The word I/O alone, with no look at the mappings: for a word a __read_word() or
 * __write_word() of the same handle checked before (the guard's restore, which must not
 * allocate).  pread()/pwrite() only: async-signal-safe.
 */
int gmt_procmem__word_io(const struct gmt_procmem *m, uint64_t addr, uint64_t *val, bool write);
/*
 * m as the runtime-structure readers see memory (rtmem.h): all len bytes or an error,
 * nothing mapped or a short read is -EFAULT (a pointer out of the target that leads
 * nowhere), -ESRCH when the process is gone.  m must outlive it.
 */
struct gmt_rmem gmt_procmem__rmem(struct gmt_procmem *m);
/* The mapping that holds addr (the maps are read again once when it is not there), or NULL. */
const struct gmt_map *gmt_procmem__mapping(struct gmt_procmem *m, uint64_t addr);
pid_t gmt_procmem__pid(const struct gmt_procmem *m);
void gmt_procmem__close(struct gmt_procmem *m);

/*
 * One line for an answer err of an access to addr ("PID N is gone", "PID N: nothing is
 * mapped at 0x...", "PID N: 0x... is in a read-only mapping (r-xp): not a variable",
 * "cannot read PID N's memory at 0x...: ..."), into d; returns err.
 */
int gmt_procmem_explain(struct gmt_diag *d, int err, pid_t pid, uint64_t addr, bool write,
			const char *perms);

/*
 * One-shot word access with messages: opens, checks the mapping, reads or writes one
 * aligned word, closes.
 */
int gmt_proc_read_word(pid_t pid, uint64_t addr, int64_t *val, struct gmt_diag *d);
int gmt_proc_write_word(pid_t pid, uint64_t addr, int64_t val, struct gmt_diag *d);

/*
 * Opens /proc/PID/mem with flags (O_RDONLY or O_RDWR): the fd, or -ESRCH (gone) or
 * -EACCES etc. with a line that says which capability is missing (preflight.h).
 */
int gmt_proc_open_mem(pid_t pid, int flags, struct gmt_diag *d);

#endif
