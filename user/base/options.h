/* SPDX-License-Identifier: MIT */
/* Strict parsing of numeric command-line values. */
#ifndef GMT_OPTIONS_H
#define GMT_OPTIONS_H

#include <stdint.h>

/* Parses a decimal integer in [min, max]; -EINVAL / -ERANGE otherwise. */
int gmt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int gmt_parse_pid(const char *s, int *pid);

#endif
