/* SPDX-License-Identifier: MIT */
/*
 * Sampled mode's allocation rate over time: each heap-sampler sample's estimate, filed
 * under the moment the sampler took it (the record's BPF timestamp), not the moment the
 * record reached userspace.  Records wait in the ring buffer until enough of them pile
 * up, so counting them on arrival put a whole recording into its last 250 ms.
 *
 * Bins of bin_ns from an origin (the recording's or the interval's start); memory stays
 * bounded: past GMT_RATEBINS_MAX bins, pairs of bins merge and the width doubles.
 * No kernel needed: unit-tested.
 */
#ifndef GMT_RATEBINS_H
#define GMT_RATEBINS_H

#include <stddef.h>
#include <stdint.h>

struct gmt_agg;

#define GMT_RATEBINS_NS 100000000ULL /* 100 ms */
#define GMT_RATEBINS_MAX 16384	      /* 27 minutes at 100 ms, then 200 ms bins... */

struct gmt_ratebins {
	uint64_t origin_ns, bin_ns;
	double *objects, *bytes; /* per bin */
	size_t n, cap;
	uint64_t before; /* samples taken before the origin, not binned */
};

/* Empty bins from origin_ns (CLOCK_MONOTONIC, the BPF clock); bin_ns 0: the default. */
void gmt_ratebins__init(struct gmt_ratebins *b, uint64_t origin_ns, uint64_t bin_ns);
/* Empties the bins and starts them again at origin_ns (the daemon's next interval). */
void gmt_ratebins__reset(struct gmt_ratebins *b, uint64_t origin_ns);
void gmt_ratebins__free(struct gmt_ratebins *b);
/* A sample taken at ts_ns standing for objects and bytes: 0 or -ENOMEM. */
int gmt_ratebins__add(struct gmt_ratebins *b, uint64_t ts_ns, double objects, double bytes);
/*
 * The bins as cumulative rate points (gmt_agg__add_rate_point) from the origin, where the
 * count is 0, to end_ns: one at each bin's end, the last one at end_ns holding every
 * bin that starts before end_ns.  0 or the aggregator's error.
 */
int gmt_ratebins__to_points(const struct gmt_ratebins *b, uint64_t end_ns, struct gmt_agg *a);

#endif
