// SPDX-License-Identifier: MIT
/*
 * The Collector's error answer (trace/otlp_http.c, gmt_otlp_status_message): bytes from
 * the network.  Whatever they are, the message is NUL-terminated inside its buffer and
 * printable, and nothing is read outside the input.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_http.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees a read one past the end. */
	uint8_t *in = malloc(size ? size : 1);
	char out[40];
	size_t n;

	if (!in)
		return 0;
	memcpy(in, data, size);
	memset(out, 'x', sizeof(out));
	gmt_otlp_status_message(in, size, out, sizeof(out));
	n = strnlen(out, sizeof(out));
	FUZZ_CHECK(n < sizeof(out));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isprint((unsigned char)out[i]));
	free(in);
	return 0;
}
