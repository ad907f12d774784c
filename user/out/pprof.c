// SPDX-License-Identifier: MIT
/*
 * Protobuf encoding, the string table and gzip for the pprof writer: see pprof.h.
 */
#include "pprof.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "grow.h"
#include "hmap.h"

#define PB_WT_VARINT 0
#define PB_WT_I64 1
#define PB_WT_LEN 2
#define PB_MAX_FIELD ((1u << 29) - 1) /* field numbers are 29 bits */
#define PB_MAX_VARINT 10

struct gmt_pb {
	uint8_t *p;
	size_t len, cap;
	int err;
};

struct gmt_pb *gmt_pb__new(void)
{
	return calloc(1, sizeof(struct gmt_pb));
}

void gmt_pb__free(struct gmt_pb *b)
{
	if (!b)
		return;
	free(b->p);
	free(b);
}

int gmt_pb__err(const struct gmt_pb *b)
{
	return b ? b->err : -EINVAL;
}

const uint8_t *gmt_pb__data(const struct gmt_pb *b, size_t *len)
{
	*len = b->len;
	return b->p;
}

static void pb_fail(struct gmt_pb *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Room for n more bytes; false (and the error recorded) when there is none. */
static bool pb_room(struct gmt_pb *b, size_t n)
{
	if (b->err)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (n > SIZE_MAX - b->len || GMT_GROW(&b->p, &b->cap, b->len + n)) {
		pb_fail(b, -ENOMEM);
		return false;
	}
	return true;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* The caller made room for PB_MAX_VARINT bytes. */
static size_t put_varint(uint8_t *dst, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		dst[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	dst[n++] = (uint8_t)v;
	return n;
}

void gmt_pb__varint(struct gmt_pb *b, uint64_t v)
{
	if (pb_room(b, PB_MAX_VARINT))
		b->len += put_varint(b->p + b->len, v);
}

void gmt_pb__raw(struct gmt_pb *b, const void *p, size_t n)
{
	if (n && pb_room(b, n)) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

static void pb_key(struct gmt_pb *b, uint32_t field, unsigned int wire_type)
{
	if (field == 0 || field > PB_MAX_FIELD) {
		pb_fail(b, -EINVAL);
		return;
	}
	gmt_pb__varint(b, (uint64_t)field << 3 | wire_type);
}

void gmt_pb__u64(struct gmt_pb *b, uint32_t field, uint64_t v)
{
	pb_key(b, field, PB_WT_VARINT);
	gmt_pb__varint(b, v);
}

void gmt_pb__i64(struct gmt_pb *b, uint32_t field, int64_t v)
{
	/* int64, not sint64: protobuf sign-extends to 64 bits, no zigzag. */
	gmt_pb__u64(b, field, (uint64_t)v);
}

void gmt_pb__bool(struct gmt_pb *b, uint32_t field, int v)
{
	gmt_pb__u64(b, field, v ? 1 : 0);
}

void gmt_pb__bytes(struct gmt_pb *b, uint32_t field, const void *p, size_t n)
{
	pb_key(b, field, PB_WT_LEN);
	gmt_pb__varint(b, n);
	gmt_pb__raw(b, p, n);
}

void gmt_pb__str(struct gmt_pb *b, uint32_t field, const char *s)
{
	gmt_pb__bytes(b, field, s, s ? strlen(s) : 0);
}

/* 8 little-endian bytes, no key; the room was made. */
static void put_fixed64(struct gmt_pb *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

void gmt_pb__fixed64(struct gmt_pb *b, uint32_t field, uint64_t v)
{
	pb_key(b, field, PB_WT_I64);
	if (!pb_room(b, 8))
		return;
	put_fixed64(b, v);
}

void gmt_pb__double(struct gmt_pb *b, uint32_t field, double v)
{
	uint64_t bits;

	_Static_assert(sizeof(double) == sizeof(uint64_t), "double is 64 bits");
	memcpy(&bits, &v, sizeof(bits));
	gmt_pb__fixed64(b, field, bits);
}

/* The key and length of n packed 8-byte values: false when there is nothing to write. */
static bool packed8_begin(struct gmt_pb *b, uint32_t field, size_t n)
{
	if (!n)
		return false;
	pb_key(b, field, PB_WT_LEN);
	gmt_pb__varint(b, 8 * n);
	return pb_room(b, 8 * n);
}

void gmt_pb__packed_fixed64(struct gmt_pb *b, uint32_t field, const uint64_t *v, size_t n)
{
	if (!packed8_begin(b, field, n))
		return;
	for (size_t i = 0; i < n; i++)
		put_fixed64(b, v[i]);
}

void gmt_pb__packed_double(struct gmt_pb *b, uint32_t field, const double *v, size_t n)
{
	if (!packed8_begin(b, field, n))
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &v[i], sizeof(bits));
		put_fixed64(b, bits);
	}
}

void gmt_pb__packed_u64(struct gmt_pb *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t body = 0;

	if (!n)
		return;
	/* The length is cheap to compute here: no need for open/close and a move. */
	for (size_t i = 0; i < n; i++)
		body += varint_len(v[i]);
	pb_key(b, field, PB_WT_LEN);
	gmt_pb__varint(b, body);
	if (!pb_room(b, body))
		return;
	for (size_t i = 0; i < n; i++)
		b->len += put_varint(b->p + b->len, v[i]);
}

void gmt_pb__packed_i64(struct gmt_pb *b, uint32_t field, const int64_t *v, size_t n)
{
	/* Same bits on the wire as the uint64 of the two's complement. */
	_Static_assert(sizeof(int64_t) == sizeof(uint64_t), "int64 is 64 bits");
	gmt_pb__packed_u64(b, field, (const uint64_t *)v, n);
}

size_t gmt_pb__open(struct gmt_pb *b, uint32_t field)
{
	pb_key(b, field, PB_WT_LEN);
	/* One byte holds lengths below 128, the common case for pprof's small messages. */
	if (!pb_room(b, 1))
		return 0;
	b->p[b->len++] = 0;
	return b->len;
}

void gmt_pb__close(struct gmt_pb *b, size_t mark)
{
	size_t body, n;

	if (b->err)
		return;
	if (mark == 0 || mark > b->len) {
		pb_fail(b, -EINVAL);
		return;
	}
	body = b->len - mark;
	n = varint_len(body);
	if (n > 1) {
		if (!pb_room(b, n - 1))
			return;
		memmove(b->p + mark + n - 1, b->p + mark, body);
		b->len += n - 1;
	}
	put_varint(b->p + mark - 1, body);
}

int gmt_pb__write_gzip(const struct gmt_pb *b, FILE *f)
{
	const uint8_t *in = b->p;
	size_t left = b->len;
	uint8_t out[16384];
	z_stream z = {};
	int zr, err = 0;

	if (b->err)
		return b->err;
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
	zr = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	do {
		/* avail_in is 32 bits: feed big buffers in pieces. */
		uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
		int flush = chunk == left ? Z_FINISH : Z_NO_FLUSH;

		z.next_in = (Bytef *)in;
		z.avail_in = chunk;
		do {
			size_t have;

			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = deflate(&z, flush);
			if (zr == Z_STREAM_ERROR) {
				err = -EINVAL;
				goto out;
			}
			have = sizeof(out) - z.avail_out;
			if (have && fwrite(out, 1, have, f) != have) {
				err = -EIO;
				goto out;
			}
		} while (z.avail_out == 0);
		in += chunk;
		left -= chunk;
	} while (left);
	if (zr != Z_STREAM_END)
		err = -EIO;
out:
	deflateEnd(&z);
	return err;
}

int gmt_pb__gzip(const struct gmt_pb *b, uint8_t **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int err;

	if (!f)
		return -ENOMEM;
	err = gmt_pb__write_gzip(b, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	*out = (uint8_t *)buf;
	*len = n;
	return 0;
}

/* ---- string table ---- */

struct gmt_strtab {
	char *chars; /* every string, NUL-terminated, one after the other */
	size_t nchars, cap_chars;
	size_t *off; /* index -> offset in chars */
	size_t n, cap;
	struct gmt_hmap index; /* hash -> index */
};

static uint64_t str_hash(const char *s, size_t len)
{
	return gmt_hash_bytes(GMT_HASH_SEED, s, len);
}

struct str_key {
	const struct gmt_strtab *t;
	const char *s;
};

static bool str_is(const void *ctx, uint64_t val)
{
	const struct str_key *k = ctx;

	return !strcmp(k->t->chars + k->t->off[val], k->s);
}

/* Adds a string known to be absent (h is its hash); returns its index. */
static int64_t strtab_add(struct gmt_strtab *t, const char *s, size_t len, uint64_t h)
{
	if (t->n >= UINT32_MAX - 1)
		return -E2BIG; /* as pprof readers index strings */
	if (len + 1 > SIZE_MAX - t->nchars ||
	    GMT_GROW(&t->chars, &t->cap_chars, t->nchars + len + 1) ||
	    GMT_GROW(&t->off, &t->cap, t->n + 1) || !gmt_hmap_add(&t->index, h, t->n))
		return -ENOMEM;
	memcpy(t->chars + t->nchars, s, len);
	t->chars[t->nchars + len] = 0;
	t->off[t->n] = t->nchars;
	t->nchars += len + 1;
	return (int64_t)t->n++;
}

struct gmt_strtab *gmt_strtab__new(void)
{
	struct gmt_strtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (strtab_add(t, "", 0, str_hash("", 0)) != 0) {
		gmt_strtab__free(t);
		return NULL;
	}
	return t;
}

void gmt_strtab__free(struct gmt_strtab *t)
{
	if (!t)
		return;
	free(t->chars);
	free(t->off);
	gmt_hmap_free(&t->index);
	free(t);
}

int64_t gmt_strtab__intern(struct gmt_strtab *t, const char *s)
{
	struct str_key k = { t, s ? s : "" };
	size_t len = strlen(k.s);
	uint64_t h = str_hash(k.s, len), *v = gmt_hmap_find(&t->index, h, str_is, &k);

	return v ? (int64_t)*v : strtab_add(t, k.s, len, h);
}

size_t gmt_strtab__count(const struct gmt_strtab *t)
{
	return t->n;
}

const char *gmt_strtab__get(const struct gmt_strtab *t, size_t i)
{
	return i < t->n ? t->chars + t->off[i] : NULL;
}

void gmt_strtab__encode(const struct gmt_strtab *t, struct gmt_pb *b, uint32_t field)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t end = i + 1 < t->n ? t->off[i + 1] : t->nchars;

		gmt_pb__bytes(b, field, t->chars + t->off[i], end - t->off[i] - 1);
	}
}
