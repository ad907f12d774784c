// SPDX-License-Identifier: MIT
/* Sampled mode's hold on a target's MemProfileRate (rateguard.h). */
#include "rateguard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "memrate.h"
#include "proc.h"
#include "procmem.h"
#include "ratestate.h"
#include "target.h"
#include "wordguard.h"

struct gmt_rateguard {
	pid_t pid;
	uint64_t rate;
	bool written;
	struct gmt_word_guard *guard;
	struct gmt_ratestate state_buf, *state; /* what was written, for 'restore' */
};

/* What a gomemtrace that was killed left in this process, undone first. */
static int undo_stale(const struct gmt_target *t, struct gmt_ratestate *st, struct gmt_diag *d)
{
	struct gmt_ratestate found;
	int err, r;

	err = gmt_proc_identity(t->pid, &st->target);
	if (err == -ESRCH || err == -EINVAL)
		return gmt_diag_set(d, -ESRCH, "PID %d exited", (int)t->pid);
	err = gmt_ratestate__check(&st->target, &found, &r, d);
	if (err)
		return err;
	if (r == GMT_GUARD_WROTE)
		pr_warn("runtime.MemProfileRate of PID %d restored to %lld: a gomemtrace that "
			"was killed (PID %d) had left it at %lld\n",
			(int)t->pid, (long long)found.original, found.tracer.pid,
			(long long)found.written);
	return 0;
}

/* The target's rate now; a launched target's after its start-up has set it. */
static int read_rate(const struct gmt_target *t, const struct gmt_memrate_vars *mv,
		     uint64_t bias, int64_t *cur, struct gmt_diag *d)
{
	uint64_t addr = mv->rate + bias;
	int err;

	if (!t->launched)
		return gmt_proc_read_word(t->pid, addr, cur, d);
	err = gmt_memrate_wait_startup(t->pid, mv, bias, 5000, cur, d);
	if (err == -ETIMEDOUT || err == -ENOENT) {
		/* -ENOENT: go1.19 without its inittask; the rate read now may still be
		 * overwritten by runtime.init, which the end-of-run restore reports. */
		pr_debug("start-up of the rate not observed (%s); using its value now\n", d->msg);
		d->msg[0] = 0;
		err = gmt_proc_read_word(t->pid, addr, cur, d);
	}
	return err;
}

/* A rate of 0 raised: written down, announced, written. */
static int raise_rate(struct gmt_rateguard *g, struct gmt_ratestate *st, int64_t cur,
		      uint64_t rate, struct gmt_diag *d)
{
	int err;

	/* Refused (privileges) before anything is announced or written down. */
	err = gmt_proc_open_mem(g->pid, O_RDWR, d);
	if (err < 0)
		return err;
	close(err);
	/* Written down before the target is touched; O_EXCL makes it the lock too. */
	st->original = cur;
	gmt_proc_identity(getpid(), &st->tracer);
	err = gmt_ratestate__create(st, d);
	if (err == -EEXIST)
		return gmt_diag_set(d, -EBUSY,
				    "PID %d is already traced in sampled mode by another "
				    "gomemtrace, which sets its MemProfileRate: stop that one "
				    "first, or use --mode exact",
				    (int)g->pid);
	if (err)
		return err;
	g->state_buf = *st;
	g->state = &g->state_buf;
	pr_warn("runtime.MemProfileRate is %lld in PID %d: gomemtrace sets it to %llu while "
		"tracing and restores it afterwards (--no-write-target forbids this)\n",
		(long long)cur, (int)g->pid, (unsigned long long)rate);
	err = gmt_word_guard__set(g->pid, st->addr, (int64_t)rate, &g->guard, d);
	if (err < 0)
		return err;
	g->written = err == GMT_GUARD_WROTE;
	if (!g->written) {
		gmt_ratestate__remove(g->state);
		g->state = NULL;
	}
	g->rate = rate;
	return 0;
}

int gmt_rateguard__start(const struct gmt_target *t, const struct gmt_memrate_vars *mv,
			 uint64_t bias, uint64_t rate, bool no_write, struct gmt_rateguard **out,
			 struct gmt_diag *d)
{
	struct gmt_ratestate st = { .addr = mv->rate + bias, .written = (int64_t)rate };
	struct gmt_rateguard *g;
	int64_t cur = 0;
	int err;

	*out = NULL;
	err = undo_stale(t, &st, d);
	if (!err)
		err = read_rate(t, mv, bias, &cur, d);
	if (err)
		return err;
	if (cur <= 0 && no_write)
		return gmt_diag_set(d, -ENODATA,
				    "runtime.MemProfileRate is %lld in PID %d (the binary does not "
				    "link the heap profiler): Go samples nothing, and "
				    "--no-write-target forbids setting it; nothing to trace "
				    "(drop --no-write-target, or use --mode exact)",
				    (long long)cur, (int)t->pid);
	g = calloc(1, sizeof(*g));
	if (!g)
		return gmt_diag_set(d, -ENOMEM, "out of memory");
	g->pid = t->pid;
	if (cur > 0) {
		g->rate = (uint64_t)cur;
		pr_debug("runtime.MemProfileRate is %lld in PID %d: sampling at the target's own "
			 "rate\n", (long long)cur, (int)t->pid);
	} else {
		err = raise_rate(g, &st, cur, rate, d);
		if (err) {
			gmt_rateguard__free(g); /* the state file, if written down, goes */
			return err;
		}
	}
	*out = g;
	return 0;
}

uint64_t gmt_rateguard__rate(const struct gmt_rateguard *g)
{
	return g ? g->rate : 0;
}

bool gmt_rateguard__written(const struct gmt_rateguard *g)
{
	return g && g->written;
}

void gmt_rateguard__restore(struct gmt_rateguard *g)
{
	int r;

	if (!g)
		return;
	r = gmt_word_guard__restore(g->guard);
	if (g->state && (r >= 0 || r == -ESRCH)) {
		gmt_ratestate__remove(g->state);
		g->state = NULL;
	}
	if (r == GMT_GUARD_WROTE)
		pr_info("runtime.MemProfileRate of PID %d restored to %lld\n", (int)g->pid,
			(long long)gmt_word_guard__original(g->guard));
	else if (r == GMT_GUARD_LEFT)
		pr_warn("runtime.MemProfileRate of PID %d was changed by the program to %lld "
			"while tracing: left as it is\n",
			(int)g->pid, (long long)gmt_word_guard__seen(g->guard));
	else if (r < 0 && r != -ESRCH)
		pr_warn("cannot restore runtime.MemProfileRate of PID %d to %lld: %s\n",
			(int)g->pid, (long long)gmt_word_guard__original(g->guard), strerror(-r));
}

void gmt_rateguard__free(struct gmt_rateguard *g)
{
	if (!g)
		return;
	gmt_rateguard__restore(g);
	gmt_word_guard__free(g->guard);
	free(g);
}
