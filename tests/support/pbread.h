/* SPDX-License-Identifier: MIT */
/*
 * Reading back what the protobuf encoder (user/out/pprof.h) wrote, for the tests that
 * check encoded messages field by field (pprof, OTLP), and gunzip of a gzip member.
 * Every malformed input fails the test.
 */
#ifndef GMT_PBREAD_H
#define GMT_PBREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tu_pbr {
	const uint8_t *p, *end;
};

/*
 * The next field: its number, and either *v (varint; fixed64, sfixed64 and double as
 * their 64 bits, wire type in *wt) or *sub (length-delimited).  false at the end.
 */
bool tu_pbr_field(struct tu_pbr *r, uint32_t *field, int *wt, uint64_t *v, struct tu_pbr *sub);
/* The same without the wire type. */
bool tu_pbr_next(struct tu_pbr *r, uint32_t *field, uint64_t *v, struct tu_pbr *sub);
/* A bare varint. */
uint64_t tu_pbr_varint(struct tu_pbr *r);

/* Inflates one gzip member (the bytes, not a file): malloc'd, its length in *out_len. */
uint8_t *tu_gunzip(const uint8_t *in, size_t n, size_t *out_len);

#endif
