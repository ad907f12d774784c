/* SPDX-License-Identifier: MIT */
/*
 * For tests only: GMT_FAULT=STEP[@PID][,STEP[@PID]...] makes the setup step STEP of a
 * session fail as a real failure there would (in every target, or in PID only), so that
 * the tests reach every error path of a session while its probes deliver records
 * (tests/e2e/test_faults.c, test_daemon.c).  The steps, in the order they come: tracer
 * (the allocation or sampler probes are in), gc (the GC probes are in), goroutines (the
 * goroutine probes are in), release (tracing starts: a launched target runs), rate
 * (sampled mode: the target's MemProfileRate was read, and written if it was 0),
 * sampler (sampled mode: the last step of the start); and poll: a poll that receives
 * records fails as if out of memory.
 */
#ifndef GMT_FAULT_H
#define GMT_FAULT_H

#include <sys/types.h>

#include "diag.h"

/* -EIO with "GMT_FAULT: injected failure at step STEP" when GMT_FAULT names step for pid. */
int gmt_fault(const char *step, pid_t pid, struct gmt_diag *d);

#endif
