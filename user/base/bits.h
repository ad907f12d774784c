/* SPDX-License-Identifier: MIT */
/* Small byte helpers shared by the binary readers. */
#ifndef GMT_BITS_H
#define GMT_BITS_H

#include <stddef.h>
#include <stdint.h>

/* Go's uvarint (encoding/binary); returns the bytes consumed, 0 on overflow or truncation. */
static inline size_t gmt_uvarint(const uint8_t *p, size_t avail, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < avail && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

#endif
