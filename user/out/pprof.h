/* SPDX-License-Identifier: MIT */
/*
 * The pieces the pprof writer (out_pprof.c) is built from, kept apart so that they can
 * be tested on byte buffers: a small protobuf encoder, a deduplicating string table and
 * a gzip writer.  No protobuf library: profile.proto needs only varints, length-delimited
 * fields and packed repeated integers.
 *
 * The encoder appends to a growable buffer.  A nested message or a packed field is opened
 * with gmt_pb__open(), which reserves one byte for the length, and closed with
 * gmt_pb__close(), which writes the length in front of the body, moving the body when the
 * length needs more than one byte.  So lengths come first on the wire without sizing
 * every message twice.  Errors are sticky: after the first failure every call is a no-op
 * and gmt_pb__err() reports it, so a message is written without a check per field.
 */
#ifndef GMT_PPROF_H
#define GMT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- protobuf encoder ---- */

struct gmt_pb;

struct gmt_pb *gmt_pb__new(void);
void gmt_pb__free(struct gmt_pb *b);
/* 0, or the first failure: -ENOMEM, -EINVAL (bad field number, unbalanced close). */
int gmt_pb__err(const struct gmt_pb *b);
/* The bytes written so far (valid until the next write). */
const uint8_t *gmt_pb__data(const struct gmt_pb *b, size_t *len);

/* A bare varint, no key: the building block, exported for tests. */
void gmt_pb__varint(struct gmt_pb *b, uint64_t v);
/* Bytes as they are, no key: for messages encoded in another buffer. */
void gmt_pb__raw(struct gmt_pb *b, const void *p, size_t n);

/*
 * Fields, each with its key.  These always write, zero included (proto3 readers treat a
 * zero field like an absent one): leaving zeros out is the caller's choice.
 * int64 fields are two's complement on the wire: a negative value takes ten bytes.
 */
void gmt_pb__u64(struct gmt_pb *b, uint32_t field, uint64_t v);
void gmt_pb__i64(struct gmt_pb *b, uint32_t field, int64_t v);
void gmt_pb__bool(struct gmt_pb *b, uint32_t field, int v);
void gmt_pb__bytes(struct gmt_pb *b, uint32_t field, const void *p, size_t n);
void gmt_pb__str(struct gmt_pb *b, uint32_t field, const char *s);
/* 64-bit fixed-width fields (wire type 1, little-endian): fixed64, sfixed64, double. */
void gmt_pb__fixed64(struct gmt_pb *b, uint32_t field, uint64_t v);
void gmt_pb__double(struct gmt_pb *b, uint32_t field, double v);
/* Packed repeated fields: nothing at all for n == 0. */
void gmt_pb__packed_u64(struct gmt_pb *b, uint32_t field, const uint64_t *v, size_t n);
void gmt_pb__packed_i64(struct gmt_pb *b, uint32_t field, const int64_t *v, size_t n);
void gmt_pb__packed_fixed64(struct gmt_pb *b, uint32_t field, const uint64_t *v, size_t n);
void gmt_pb__packed_double(struct gmt_pb *b, uint32_t field, const double *v, size_t n);

/*
 * A length-delimited field whose body the caller writes next (a nested message).
 * Returns the mark to give to gmt_pb__close(); opens nest, closes must come innermost
 * first.
 */
size_t gmt_pb__open(struct gmt_pb *b, uint32_t field);
void gmt_pb__close(struct gmt_pb *b, size_t mark);

/* Compresses everything written to b as one gzip member onto f: 0, -ENOMEM or -EIO. */
int gmt_pb__write_gzip(const struct gmt_pb *b, FILE *f);
/* The same gzip member in memory (an HTTP body): *out to free(), 0 or -ENOMEM / -EIO. */
int gmt_pb__gzip(const struct gmt_pb *b, uint8_t **out, size_t *len);

/* ---- string table ---- */

/*
 * pprof refers to every string by its index in Profile.string_table, which must start
 * with "": the table holds "" at index 0 from the start, and each distinct string once.
 * Lookups go through a hash table: profiles of big binaries intern tens of thousands of
 * names.
 */
struct gmt_strtab;

struct gmt_strtab *gmt_strtab__new(void);
void gmt_strtab__free(struct gmt_strtab *t);
/* The index of s (NULL reads as ""), added if new: >= 0, or -ENOMEM / -E2BIG. */
int64_t gmt_strtab__intern(struct gmt_strtab *t, const char *s);
size_t gmt_strtab__count(const struct gmt_strtab *t);
/* The string at index i, NULL past the end. */
const char *gmt_strtab__get(const struct gmt_strtab *t, size_t i);
/* Every string, in index order, each as a string field number `field` of b. */
void gmt_strtab__encode(const struct gmt_strtab *t, struct gmt_pb *b, uint32_t field);

#endif
