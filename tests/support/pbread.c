// SPDX-License-Identifier: MIT
#include "pbread.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <zlib.h>

uint64_t tu_pbr_varint(struct tu_pbr *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		cr_assert(r->p < r->end, "varint inside the buffer");
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return v;
	}
	cr_assert_fail("varint of at most 10 bytes");
	return 0;
}

bool tu_pbr_field(struct tu_pbr *r, uint32_t *field, int *wt, uint64_t *v, struct tu_pbr *sub)
{
	uint64_t key, len;

	if (r->p >= r->end)
		return false;
	key = tu_pbr_varint(r);
	*field = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	sub->p = sub->end = NULL;
	switch (key & 7) {
	case 0:
		*v = tu_pbr_varint(r);
		return true;
	case 1:
		cr_assert(r->end - r->p >= 8, "fixed64 inside the buffer");
		*v = 0;
		for (int i = 0; i < 8; i++)
			*v |= (uint64_t)r->p[i] << (8 * i);
		r->p += 8;
		return true;
	case 2:
		len = tu_pbr_varint(r);
		cr_assert(len <= (uint64_t)(r->end - r->p), "length inside the buffer");
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
		return true;
	default:
		cr_assert_fail("only varint, fixed64 and length-delimited fields: wire type %d",
			       (int)(key & 7));
		return false;
	}
}

bool tu_pbr_next(struct tu_pbr *r, uint32_t *field, uint64_t *v, struct tu_pbr *sub)
{
	int wt;

	return tu_pbr_field(r, field, &wt, v, sub);
}

uint8_t *tu_gunzip(const uint8_t *in, size_t n, size_t *out_len)
{
	size_t cap = n * 4 + 1024, len = 0;
	uint8_t *out = malloc(cap);
	z_stream z = {};
	int zr;

	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK, "inflateInit2 for gzip");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	do {
		if (cap - len < 4096) {
			cap *= 2;
			out = realloc(out, cap);
		}
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		cr_assert(zr == Z_OK || zr == Z_STREAM_END, "valid gzip data (inflate %d)", zr);
	} while (zr != Z_STREAM_END);
	cr_assert_eq(z.avail_in, 0, "nothing after the gzip member");
	inflateEnd(&z);
	*out_len = len;
	return out;
}
