/* SPDX-License-Identifier: MIT */
/* Strict parsing of numeric command-line values. */
#ifndef GMT_OPTIONS_H
#define GMT_OPTIONS_H

#include <stdint.h>

/* Parses a decimal integer in [min, max]; -EINVAL / -ERANGE otherwise. */
int gmt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int gmt_parse_pid(const char *s, int *pid);

#define GMT_NS_PER_S 1000000000ULL

/*
 * A duration written the way Go writes them (time.ParseDuration): one or more decimal
 * numbers, each with an optional fraction and a unit: "300ms", "1.5h", "1m30s",
 * "2h45m"; the units are ns, us (or µs), ms, s, m and h.  A bare number, with no unit
 * at all, stays seconds ("30", "0.5").  In nanoseconds, within [min_ns, max_ns]:
 * -ERANGE outside (or negative), -EINVAL when s is not a duration.
 */
int gmt_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns);

#endif
