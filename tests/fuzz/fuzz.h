/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libFuzzer targets.  Oracles abort(): libFuzzer reports that as a
 * crash and saves the input, which is the point.  Nothing here exits.
 */
#ifndef GMT_FUZZ_H
#define GMT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                   \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* Reads the first and last byte of [p, p+len) so that ASan checks the whole range. */
static inline void fuzz_touch(const void *p, uint64_t len)
{
	const volatile uint8_t *b = p;

	if (!p || !len)
		return;
	(void)b[0];
	(void)b[len - 1];
}

/* Reads a C string to its end, so that an unterminated name shows up under ASan. */
static inline void fuzz_touch_str(const char *s)
{
	if (s)
		fuzz_touch(s, strlen(s) + 1);
}

static inline uint64_t fuzz_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif
