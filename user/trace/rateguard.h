/* SPDX-License-Identifier: MIT */
/*
 * Sampled mode's hold on a target's runtime.MemProfileRate: the rate Go samples at while
 * gomemtrace traces.  A target's own rate is used as it is; a rate of 0 (binaries that
 * do not link the heap profiler) is raised to the option's rate: announced on stderr,
 * written down in the state file first (ratestate.h: the lock against a second
 * gomemtrace, and what 'gomemtrace restore' undoes after a SIGKILL), written under a
 * guard (wordguard.h), and restored when tracing ends, on every exit path.
 *
 * What a gomemtrace that was killed left in the target is undone before anything else.
 * A launched target gives its rate its start-up value first (memrate.h): the rate is
 * read, and written, only after that.
 */
#ifndef GMT_RATEGUARD_H
#define GMT_RATEGUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

struct gmt_memrate_vars;
struct gmt_rateguard;
struct gmt_target;

/*
 * Takes hold of t's rate: mv says where the variable is (static address) and how the
 * runtime starts it, bias is the executable's load bias.  rate: what to set a rate of 0
 * to; no_write: never write (a rate of 0 is then an error: nothing would be sampled).
 * 0 with *out, or an error with its one-line reason and nothing left written.
 */
int gmt_rateguard__start(const struct gmt_target *t, const struct gmt_memrate_vars *mv,
			 uint64_t bias, uint64_t rate, bool no_write, struct gmt_rateguard **out,
			 struct gmt_diag *d);
/* The rate the target samples at while traced. */
uint64_t gmt_rateguard__rate(const struct gmt_rateguard *g);
/* gomemtrace raised it. */
bool gmt_rateguard__written(const struct gmt_rateguard *g);
/*
 * Puts the target's rate back as it was and says so; tells the user when it could not
 * (the program changed it meanwhile, an error).  The state file goes once nothing is
 * left to undo; on an error it stays for 'gomemtrace restore'.  Idempotent; NULL is a
 * no-op.
 */
void gmt_rateguard__restore(struct gmt_rateguard *g);
/* Restores first if that was not done. */
void gmt_rateguard__free(struct gmt_rateguard *g);

#endif
