// SPDX-License-Identifier: MIT
/*
 * The pprof writer: the protobuf encoder and string table on byte buffers, then whole
 * profiles from a synthetic aggregator and a fake symbolizer, read back by the real
 * oracle, `go tool pprof` (-raw, -top, -traces, -base), and by a small protobuf walker
 * here for what pprof does not print (deduplication of functions and strings).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "outputs.h"
#include "pprof.h"
#include "pbread.h"
#include "fakesym.h"
#include "testutil.h"

/* ---- encoder on byte buffers ---- */

static void assert_bytes(struct gmt_pb *b, const uint8_t *want, size_t n, const char *what)
{
	size_t len;
	const uint8_t *got = gmt_pb__data(b, &len);

	cr_assert_eq(gmt_pb__err(b), 0, "%s: no encoder error", what);
	cr_assert_eq(len, n, "%s: %zu bytes (got %zu)", what, n, len);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], want[i], "%s: byte %zu is 0x%02x (got 0x%02x)", what, i,
			     want[i], got[i]);
}

struct varint_case {
	uint64_t v;
	uint8_t bytes[10];
	size_t n;
};

Test(pb, varints)
{
	static const struct varint_case cases[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0x80, 0x01 }, 2 },
		{ 300, { 0xac, 0x02 }, 2 },
		{ 16383, { 0xff, 0x7f }, 2 },
		{ 16384, { 0x80, 0x80, 0x01 }, 3 },
		{ UINT32_MAX, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5 },
		{ UINT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gmt_pb *b = gmt_pb__new();
		char what[64];

		cr_assert(b, "gmt_pb__new allocates");
		gmt_pb__varint(b, cases[i].v);
		snprintf(what, sizeof(what), "varint %" PRIu64, cases[i].v);
		assert_bytes(b, cases[i].bytes, cases[i].n, what);
		gmt_pb__free(b);
	}
}

/* The examples of the protobuf encoding guide, and int64's negative values. */
Test(pb, fields)
{
	static const uint8_t u150[] = { 0x08, 0x96, 0x01 };
	static const uint8_t testing[] = { 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' };
	static const uint8_t minus1[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t packed[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };
	static const uint8_t big_field[] = { 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	static const uint8_t flags[] = { 0x38, 0x01, 0x40, 0x00, 0x32, 0x00 };
	static const uint64_t pv[] = { 3, 270, 86942 };
	static const int64_t neg[] = { -1 };
	static const uint8_t packed_neg[] = { 0x12, 0x0a, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	struct gmt_pb *b;

	b = gmt_pb__new();
	gmt_pb__u64(b, 1, 150);
	assert_bytes(b, u150, sizeof(u150), "uint64 field 1 = 150");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__str(b, 2, "testing");
	assert_bytes(b, testing, sizeof(testing), "string field 2 = \"testing\"");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__i64(b, 1, -1);
	assert_bytes(b, minus1, sizeof(minus1), "int64 -1 is ten bytes, two's complement");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__packed_u64(b, 4, pv, 3);
	gmt_pb__packed_u64(b, 5, pv, 0);
	assert_bytes(b, packed, sizeof(packed), "packed field 4 = [3, 270, 86942], empty left out");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__packed_i64(b, 2, neg, 1);
	assert_bytes(b, packed_neg, sizeof(packed_neg), "packed int64 [-1]");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__u64(b, (1u << 29) - 1, 1);
	assert_bytes(b, big_field, sizeof(big_field), "the largest field number");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__bool(b, 7, 5);
	gmt_pb__bool(b, 8, 0);
	gmt_pb__str(b, 6, NULL);
	assert_bytes(b, flags, sizeof(flags), "bools as 0/1, NULL string as empty");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__u64(b, 0, 1);
	cr_assert_eq(gmt_pb__err(b), -EINVAL, "field number 0 is an error");
	gmt_pb__u64(b, 1, 1);
	cr_assert_eq(gmt_pb__err(b), -EINVAL, "errors are sticky");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__u64(b, 1u << 29, 1);
	cr_assert_eq(gmt_pb__err(b), -EINVAL, "field numbers above 2^29-1 are errors");
	gmt_pb__free(b);
}

Test(pb, nested_lengths)
{
	static const uint8_t small[] = { 0x1a, 0x03, 0x08, 0x96, 0x01 };
	uint8_t want[3 + 3 + 200], body[200];
	const uint8_t *got;
	struct gmt_pb *b;
	size_t m, m2, len;

	b = gmt_pb__new();
	m = gmt_pb__open(b, 3);
	gmt_pb__u64(b, 1, 150);
	gmt_pb__close(b, m);
	assert_bytes(b, small, sizeof(small), "message field 3 { 1: 150 }, one-byte length");
	gmt_pb__free(b);

	b = gmt_pb__new();
	m = gmt_pb__open(b, 4);
	gmt_pb__close(b, m);
	assert_bytes(b, (const uint8_t[]){ 0x22, 0x00 }, 2, "an empty message");
	gmt_pb__free(b);

	/* outer 3 { inner 2 { 200 raw bytes } }: both lengths need two bytes. */
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	want[0] = 0x1a, want[1] = 0xcb, want[2] = 0x01; /* 203 */
	want[3] = 0x12, want[4] = 0xc8, want[5] = 0x01; /* 200 */
	memcpy(want + 6, body, sizeof(body));
	b = gmt_pb__new();
	m = gmt_pb__open(b, 3);
	m2 = gmt_pb__open(b, 2);
	gmt_pb__raw(b, body, sizeof(body));
	gmt_pb__close(b, m2);
	gmt_pb__close(b, m);
	assert_bytes(b, want, sizeof(want), "two-byte lengths move the body, nesting kept");
	gmt_pb__free(b);

	/* A three-byte length: 20000 bytes of body. */
	b = gmt_pb__new();
	m = gmt_pb__open(b, 1);
	for (int i = 0; i < 100; i++)
		gmt_pb__raw(b, body, sizeof(body));
	gmt_pb__close(b, m);
	got = gmt_pb__data(b, &len);
	cr_assert_eq(len, 1 + 3 + 20000, "key, three-byte length and body");
	cr_assert(got[0] == 0x0a && got[1] == 0xa0 && got[2] == 0x9c && got[3] == 0x01,
		  "20000 as a varint follows the key");
	cr_assert(!memcmp(got + 4, body, sizeof(body)) &&
		      !memcmp(got + 4 + 19800, body, sizeof(body)),
		  "the body is intact after the move");
	gmt_pb__free(b);

	b = gmt_pb__new();
	gmt_pb__close(b, 0);
	cr_assert_eq(gmt_pb__err(b), -EINVAL, "a close without an open is an error");
	gmt_pb__free(b);
}

Test(strtab, dedup_and_order)
{
	struct gmt_strtab *t = gmt_strtab__new();
	static const uint8_t enc[] = { 0x32, 0x00, 0x32, 0x01, 'a', 0x32, 0x02, 'b', 'c' };
	char name[32];
	struct gmt_pb *b;

	cr_assert(t, "gmt_strtab__new allocates");
	cr_assert_eq(gmt_strtab__count(t), 1, "a new table holds one string");
	cr_assert_str_eq(gmt_strtab__get(t, 0), "", "string_table[0] is \"\"");
	cr_assert_eq(gmt_strtab__intern(t, ""), 0, "\"\" interns to 0");
	cr_assert_eq(gmt_strtab__intern(t, NULL), 0, "NULL interns to 0");
	cr_assert_eq(gmt_strtab__intern(t, "a"), 1, "first new string gets 1");
	cr_assert_eq(gmt_strtab__intern(t, "bc"), 2, "second new string gets 2");
	cr_assert_eq(gmt_strtab__intern(t, "a"), 1, "a repeated string keeps its index");
	cr_assert_eq(gmt_strtab__count(t), 3, "repeats add nothing");
	cr_assert_null(gmt_strtab__get(t, 3), "no string past the end");

	b = gmt_pb__new();
	gmt_strtab__encode(t, b, 6);
	assert_bytes(b, enc, sizeof(enc), "encoded in index order, \"\" first");
	gmt_pb__free(b);

	/* Enough strings to grow every array and the hash table several times. */
	for (int i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "main.f%d", i);
		cr_assert_eq(gmt_strtab__intern(t, name), 3 + i,
			     "new string %s gets the next index", name);
	}
	for (int i = 0; i < 50000; i += 997) {
		snprintf(name, sizeof(name), "main.f%d", i);
		cr_assert_eq(gmt_strtab__intern(t, name), 3 + i, "%s is found again after growth",
			     name);
		cr_assert_str_eq(gmt_strtab__get(t, 3 + i), name, "index %d reads back %s", 3 + i,
				 name);
	}
	cr_assert_eq(gmt_strtab__count(t), 50003, "50000 distinct strings added");
	gmt_strtab__free(t);
}

Test(pb, gzip_round_trip)
{
	struct gmt_pb *b = gmt_pb__new();
	char *buf = NULL;
	size_t blen = 0, len, raw_len;
	const uint8_t *raw;
	uint8_t *plain;
	FILE *f;

	for (int i = 0; i < 100000; i++)
		gmt_pb__u64(b, 1 + i % 7, (uint64_t)i * 2654435761u);
	f = open_memstream(&buf, &blen);
	cr_assert_eq(gmt_pb__write_gzip(b, f), 0, "gzip write succeeds");
	fclose(f);
	cr_assert(blen > 18, "gzip output has a header and a trailer");
	cr_assert(!memcmp(buf, "\x1f\x8b\x08", 3), "gzip magic 1f 8b, method deflate");
	plain = tu_gunzip((const uint8_t *)buf, blen, &len);
	raw = gmt_pb__data(b, &raw_len);
	cr_assert(len == raw_len && !memcmp(plain, raw, len), "decompresses to what was encoded");
	free(plain);
	free(buf);
	gmt_pb__free(b);

	b = gmt_pb__new();
	buf = NULL;
	f = open_memstream(&buf, &blen);
	cr_assert_eq(gmt_pb__write_gzip(b, f), 0, "an empty buffer compresses");
	fclose(f);
	plain = tu_gunzip((const uint8_t *)buf, blen, &len);
	cr_assert_eq(len, 0, "and decompresses to nothing");
	free(plain);
	free(buf);
	gmt_pb__free(b);
}

/* ---- a fake symbolizer ---- */

#define G_NAME "main.G[go.shape.struct { a int; b int }]"

static const struct tu_fake_pc fake_pcs[] = {
	/* strings.ToUpper inlined into main.parseLine; two return addresses, same lines */
	{ 0x1010, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x1011, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x2020, 1, { { "main.main", "/src/demo/main.go", 60 } } },
	{ 0x3030, 1, { { "runtime.main", "/go/src/runtime/proc.go", 283 } } },
	{ 0x4040, 2, { { G_NAME, "/src/demo/g.go", 7 },
		       { "main.(*T).method", "/src/demo/t.go", 12 } } },
	{ 0x6060, 1, { { "main.recurse", "/src/demo/main.go", 75 } } },
	{ 0x7070, 1, { { "main.zero", "/src/demo/main.go", 90 } } },
	/* the allocator's frames above user code (runtime frames test) */
	{ 0x7100, 1, { { "runtime.makeslice", "/go/src/runtime/slice.go", 116 } } },
	{ 0x7110, 1, { { "runtime.growslice", "/go/src/runtime/slice.go", 280 } } },
	{ 0x7120, 2, { { "internal/runtime/maps.newarray", "/go/src/internal/runtime/maps/t.go", 9 },
		       { "internal/runtime/maps.(*table).grow", "/go/src/internal/runtime/maps/t.go",
			 40 } } },
	{ 0x7130, 1, { { "main.items", "/src/demo/items.go", 21 } } },
	{ 0x7140, 1, { { "runtime.systemstack", "/go/src/runtime/asm_amd64.s", 514 } } },
	{ 0x7150, 2, { { "runtime.add", "/go/src/runtime/stubs.go", 24 },
		       { "main.inl", "/src/demo/inl.go", 5 } } },
	/* outside the mapping (a cgo library), file unknown */
	{ 0x900000, 1, { { "C.malloc", "?", 0 } } },
	/* 0x5050 does not symbolize */
};

#define NFAKE (sizeof(fake_pcs) / sizeof(fake_pcs[0]))
#define MAP_START 0x1000
#define MAP_LIMIT 0x8000

static const struct tu_fake_bin fake_bin = { fake_pcs, NFAKE };
static const struct gmt_symbolizer fake_sym = { .frames = tu_fake_frames,
						 .ctx = (void *)&fake_bin };

/*
 * The data set, for go1.22 rules; expected values computed by hand below.
 *   A 0x100: 0x1010 <- 0x2020 <- 0x3030             10 x 48 + 5 x 100  -> 15, 980
 *   B 0x200: 0x1011 <- 0x2020 <- 0x3030             2 x 1000 + 1 x 48  ->  3, 2048
 *   C 0x300: 0x4040 <- 0x5050, truncated            4 x 1024           ->  4, 4096
 *   E 0x500: 0x6060 <- 0x6060 <- 0x6060 <- 0x2020 <- 0x3030  1 x 5000  ->  1, 5000
 *   G 0x700: 0x900000 <- 0x2020 <- 0x3030           3 x 16             ->  3, 48
 *   F 0x600: 0x7070 <- 0x3030, zero-size only: no sample
 *   D 0x400: arrives, never allocates: no sample
 *   unknown: 0x999 never arrives (7 x 8), 0 the walk failed (2 x 48) ->  9, 152
 */
struct exp_sample {
	uint64_t id;
	uint64_t pcs[8];
	uint32_t depth;
	bool truncated;
	uint64_t count, bytes;
};

static const struct exp_sample exp_base[] = {
	{ 0x100, { 0x1010, 0x2020, 0x3030 }, 3, false, 15, 980 },
	{ 0x200, { 0x1011, 0x2020, 0x3030 }, 3, false, 3, 2048 },
	{ 0x300, { 0x4040, 0x5050 }, 2, true, 4, 4096 },
	{ 0x500, { 0x6060, 0x6060, 0x6060, 0x2020, 0x3030 }, 5, false, 1, 5000 },
	{ 0x700, { 0x900000, 0x2020, 0x3030 }, 3, false, 3, 48 },
	{ 0, {}, 0, false, 9, 152 },
};
#define NEXP (sizeof(exp_base) / sizeof(exp_base[0]))
#define EXP_TOTAL_BYTES 12324 /* 980 + 2048 + 4096 + 5000 + 48 + 152 */
#define EXP_TOTAL_COUNT 35    /* 15 + 3 + 4 + 1 + 3 + 9 */

static struct gmt_agg *build_base(void)
{
	struct gmt_agg *a = gmt_agg__new(tu_row(22));

	cr_assert(a, "gmt_agg__new allocates");
	tu_fake_agg_fill(a);
	cr_assert_eq(gmt_agg__finish(a, &fake_sym), 0, "finish succeeds");
	return a;
}

#define WALL_START 1700000000000000000ULL /* 2023-11-14 22:13:20 UTC */

static struct gmt_run_info run_info(void)
{
	return (struct gmt_run_info){
		.mode = "exact",
		.go_version = "go1.22.12",
		.binary = "/srv/demo",
		.comm = "demo",
		.pid = 4242,
		.duration_s = 3.0,
		.start_ns = 1000000000ULL,
		.end_ns = 4000000000ULL,
		.start_wall_ns = WALL_START,
	};
}

static struct gmt_pprof_opts exact_opts(void)
{
	return (struct gmt_pprof_opts){
		.period = 1,
		.mapping = { .filename = "/srv/demo",
			     .build_id = "abc123",
			     .memory_start = MAP_START,
			     .memory_limit = MAP_LIMIT,
			     .file_offset = 0 },
	};
}

/* Writes a profile to a new temporary file; the path is malloc'd. */
static char *write_profile(const struct gmt_agg *a, const struct gmt_symbolizer *sym,
			   const struct gmt_run_info *ri, const struct gmt_pprof_opts *o)
{
	char *path = strdup("/tmp/gmt-pprof-XXXXXX.pb.gz");
	int fd = mkstemps(path, 6);
	FILE *f;

	cr_assert(fd >= 0, "temporary file");
	f = fdopen(fd, "wb");
	cr_assert(f, "fdopen");
	cr_assert_eq(gmt_write_pprof(a, sym, f, ri, o), 0, "gmt_write_pprof succeeds");
	cr_assert_eq(fclose(f), 0, "the profile is flushed");
	return path;
}

static char *pprof(const char *args, const char *path)
{
	/* TZ: -raw prints time_nanos in local time. 2>&1: pprof must have nothing to say. */
	return tu_run("TZ=UTC %s tool pprof %s %s 2>&1", tu_go(), args, path);
}

/* ---- reading `go tool pprof -raw` ---- */

struct raw_loc {
	uint64_t id, addr, mapping;
	char lines[1024]; /* "func@file:line,func@file:line", innermost first */
};

struct raw_sample {
	int64_t v[4];
	int nv;
	uint64_t locs[GMT_MAX_STACK + 2];
	int nlocs;
};

struct raw {
	char types[256];
	char period_type[64];
	int64_t period;
	char time[64], duration[32];
	struct raw_sample *samples;
	int nsamples;
	struct raw_loc *locs;
	int nlocs;
	char mappings[8][256];
	int nmappings;
};

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

/* "name file:line:col s=start" -> "name@file:line" (names may hold spaces, files not). */
static void raw_line(char *text, char *out, size_t len)
{
	char *sp, *fl, *c1, *c2;

	text = trim(text);
	sp = strrchr(text, ' ');
	cr_assert(sp && !strncmp(sp, " s=", 3), "a -raw line ends in s=: %s", text);
	*sp = 0;
	fl = strrchr(text, ' ');
	cr_assert(fl, "a -raw line has name and file:line:col: %s", text);
	*fl++ = 0;
	c2 = strrchr(fl, ':');
	cr_assert(c2, "file:line:col");
	*c2 = 0;
	c1 = strrchr(fl, ':');
	cr_assert(c1, "file:line");
	*c1 = 0;
	snprintf(out + strlen(out), len - strlen(out), "%s%s@%s:%s", out[0] ? "," : "", text, fl,
		 c1 + 1);
}

static void parse_raw(char *text, struct raw *r)
{
	enum { HEAD, SAMPLES, LOCS, MAPS } sec = HEAD;
	char *save = NULL;

	memset(r, 0, sizeof(*r));
	r->samples = calloc(10000, sizeof(*r->samples));
	r->locs = calloc(20000, sizeof(*r->locs));
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "Samples:")) {
			sec = SAMPLES;
			continue;
		}
		if (!strcmp(l, "Locations")) {
			sec = LOCS;
			continue;
		}
		if (!strcmp(l, "Mappings")) {
			sec = MAPS;
			continue;
		}
		if (sec == HEAD) {
			if (!strncmp(l, "PeriodType: ", 12))
				snprintf(r->period_type, sizeof(r->period_type), "%s", l + 12);
			else if (!strncmp(l, "Period: ", 8))
				r->period = strtoll(l + 8, NULL, 10);
			else if (!strncmp(l, "Time: ", 6))
				snprintf(r->time, sizeof(r->time), "%s", l + 6);
			else if (!strncmp(l, "Duration: ", 10))
				snprintf(r->duration, sizeof(r->duration), "%s", l + 10);
		} else if (sec == SAMPLES) {
			struct raw_sample *s;
			char *colon = strchr(l, ':'), *p, *end;

			if (!r->types[0]) {
				snprintf(r->types, sizeof(r->types), "%s", trim(l));
				continue;
			}
			cr_assert(colon, "a sample line has values: ids: %s", l);
			cr_assert(r->nsamples < 10000, "fewer than 10000 samples");
			s = &r->samples[r->nsamples++];
			*colon = 0;
			for (p = l; s->nv < 4; p = end) {
				int64_t v = strtoll(p, &end, 10);

				if (end == p)
					break;
				s->v[s->nv++] = v;
			}
			for (p = colon + 1;; p = end) {
				uint64_t id = strtoull(p, &end, 10);

				if (end == p)
					break;
				cr_assert(s->nlocs < GMT_MAX_STACK + 2, "sample depth in range");
				s->locs[s->nlocs++] = id;
			}
		} else if (sec == LOCS) {
			struct raw_loc *lc;
			uint64_t id, addr;
			int off = 0;

			if (sscanf(l, " %" SCNu64 ": 0x%" SCNx64 "%n", &id, &addr, &off) == 2) {
				char *rest = l + off;

				cr_assert(r->nlocs < 20000, "fewer than 20000 locations");
				lc = &r->locs[r->nlocs++];
				lc->id = id;
				lc->addr = addr;
				if (!strncmp(rest, " M=", 3))
					lc->mapping = strtoull(rest + 3, &rest, 10);
				if (*trim(rest))
					raw_line(rest, lc->lines, sizeof(lc->lines));
			} else {
				cr_assert(r->nlocs > 0, "a continuation line follows a location");
				lc = &r->locs[r->nlocs - 1];
				raw_line(l, lc->lines, sizeof(lc->lines));
			}
		} else if (sec == MAPS && r->nmappings < 8) {
			snprintf(r->mappings[r->nmappings++], sizeof(r->mappings[0]), "%s",
				 trim(l));
		}
	}
}

static void free_raw(struct raw *r)
{
	free(r->samples);
	free(r->locs);
}

static const struct raw_loc *raw_loc(const struct raw *r, uint64_t id)
{
	for (int i = 0; i < r->nlocs; i++)
		if (r->locs[i].id == id)
			return &r->locs[i];
	cr_assert_fail("location id %" PRIu64 " is defined", id);
	return NULL;
}

/* A sample's stack as text: "0x1010 M=1 {f@file:line,...};..." leaf first. */
static void raw_stack(const struct raw *r, const struct raw_sample *s, char *out, size_t len)
{
	out[0] = 0;
	for (int i = 0; i < s->nlocs; i++) {
		const struct raw_loc *l = raw_loc(r, s->locs[i]);

		snprintf(out + strlen(out), len - strlen(out), "%s0x%" PRIx64 " M=%" PRIu64 " {%s}",
			 i ? ";" : "", l->addr, l->mapping, l->lines);
	}
}

/* The same text, from the fake symbolizer's table: what the profile must say. */
static void exp_stack(const struct exp_sample *e, char *out, size_t len)
{
	out[0] = 0;
	if (!e->depth) {
		snprintf(out, len, "0x0 M=0 {[unknown stack]@:0}");
		return;
	}
	for (uint32_t i = 0; i < e->depth; i++) {
		const struct tu_fake_pc *p = tu_fake_lookup(&fake_bin, e->pcs[i]);
		int mapped = e->pcs[i] >= MAP_START && e->pcs[i] < MAP_LIMIT;

		snprintf(out + strlen(out), len - strlen(out), "%s0x%" PRIx64 " M=%d {",
			 i ? ";" : "", e->pcs[i], mapped);
		for (int j = 0; p && j < p->n; j++) {
			const char *file = strcmp(p->f[j].file, "?") ? p->f[j].file : "";

			snprintf(out + strlen(out), len - strlen(out), "%s%s@%s:%u", j ? "," : "",
				 p->f[j].func, file, p->f[j].line);
		}
		snprintf(out + strlen(out), len - strlen(out), "}");
	}
	if (e->truncated)
		snprintf(out + strlen(out), len - strlen(out), ";0x0 M=0 {[truncated]@:0}");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every sample of the profile, as "values | stack", against the expected ones.  inuse
 * (NULL: not asked for) gives each expected sample's in-use pair.
 */
static void check_samples(const struct raw *r, const struct exp_sample *exp, size_t nexp,
			  const uint64_t (*inuse)[2])
{
	char *got[NEXP + 4], *want[NEXP + 4], stack[4096];

	cr_assert_eq((size_t)r->nsamples, nexp,
		     "one sample per stack with allocations: %zu (got %d)", nexp, r->nsamples);
	for (size_t i = 0; i < nexp; i++) {
		const struct raw_sample *s = &r->samples[i];

		raw_stack(r, s, stack, sizeof(stack));
		cr_assert_eq(s->nv, inuse ? 4 : 2, "every sample has one value per sample type");
		cr_assert(asprintf(&got[i], "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " | %s",
				   s->v[0], s->v[1], s->v[2], s->v[3], stack) > 0);
		exp_stack(&exp[i], stack, sizeof(stack));
		cr_assert(asprintf(&want[i], "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " | %s",
				   exp[i].count, exp[i].bytes, inuse ? inuse[i][0] : 0,
				   inuse ? inuse[i][1] : 0, stack) > 0);
	}
	qsort(got, nexp, sizeof(got[0]), cmp_str);
	qsort(want, nexp, sizeof(want[0]), cmp_str);
	for (size_t i = 0; i < nexp; i++)
		cr_assert_str_eq(got[i], want[i],
				 "sample values and stack (leaf first) as expected");
	for (size_t i = 0; i < nexp; i++) {
		free(got[i]);
		free(want[i]);
	}
}

Test(pprof, raw_samples_locations_and_header)
{
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	char *path = write_profile(a, &fake_sym, &ri, &o);
	char *out = pprof("-raw", path), *copy = strdup(out);
	size_t flen;
	uint8_t *file = tu_read_file(path, &flen);
	uint64_t seen[64];
	int nseen = 0;
	struct raw r;

	cr_assert(flen > 2 && file[0] == 0x1f && file[1] == 0x8b, "the profile is gzip (1f 8b)");
	cr_assert_null(strstr(out, "symboliz"), "pprof does not try to symbolize: %s", out);
	parse_raw(copy, &r);
	cr_assert_str_eq(r.types, "alloc_objects/count alloc_space/bytes[dflt]",
			 "two sample types, alloc_space the default");
	cr_assert_str_eq(r.period_type, "space bytes", "period_type space/bytes");
	cr_assert_eq(r.period, 1, "period 1 in exact mode");
	cr_assert_str_eq(r.time, "2023-11-14 22:13:20 +0000 UTC", "time_nanos is the wall start");
	cr_assert_str_eq(r.duration, "3s", "duration_nanos is end - start");
	cr_assert_eq(r.nmappings, 1, "one mapping");
	cr_assert_str_eq(r.mappings[0], "1: 0x1000/0x8000/0x0 /srv/demo abc123 [FN][FL][LN][IN]",
			 "the binary's mapping, build id, already symbolized");
	check_samples(&r, exp_base, NEXP, NULL);

	/* One Location per distinct return address: 0x6060 thrice in E is one location. */
	for (int i = 0; i < r.nlocs; i++) {
		for (int j = 0; j < nseen; j++)
			cr_assert(r.locs[i].addr == 0 || seen[j] != r.locs[i].addr,
				  "address 0x%" PRIx64 " has one location", r.locs[i].addr);
		cr_assert(nseen < 64);
		seen[nseen++] = r.locs[i].addr;
	}
	/* 0x1010 0x1011 0x2020 0x3030 0x4040 0x5050 0x6060 0x900000 + 2 synthetic */
	cr_assert_eq(r.nlocs, 10, "8 return addresses and 2 synthetic frames (got %d)", r.nlocs);
	cr_assert(strstr(out, "Comment: gomemtrace exact mode") &&
		      strstr(out, "Comment: binary /srv/demo, pid 4242, go1.22.12"),
		  "comments say what was traced");
	free_raw(&r);
	free(file);
	free(copy);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(a);
}

/* ---- -top ---- */

struct top_row {
	char name[512];
	int64_t flat, cum;
};

/* A value as -top prints it with -unit=B or for counts: "5000B", "-500B", "18", "0". */
static int64_t top_value(const char *s)
{
	return strtoll(s, NULL, 10);
}

/*
 * The rows of -top, and from "Showing nodes accounting for SHOWN, P% of TOTAL total" the
 * two sums (with -base, TOTAL adds absolute values and SHOWN is the net difference).
 */
static int parse_top(char *text, struct top_row *rows, int max, int64_t *total, int64_t *shown)
{
	char *save = NULL, *l;
	bool body = false;
	int n = 0;

	*total = *shown = INT64_MIN;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char flat[32], flatp[32], sum[32], cum[32], cump[32], *t;
		int off = 0;

		if (!strncmp(l, "Showing nodes accounting for ", 29)) {
			*shown = top_value(l + 29);
			t = strstr(l, "% of ");
			cr_assert(t, "the showing line has a total: %s", l);
			*total = top_value(t + 5);
		}
		if (strstr(l, "flat  flat%")) {
			body = true;
			continue;
		}
		if (!body)
			continue;
		cr_assert(sscanf(l, " %31s %31s %31s %31s %31s %n", flat, flatp, sum, cum, cump,
				 &off) == 5 &&
			      off,
			  "a -top row has five columns and a name: %s", l);
		cr_assert(n < max, "rows fit");
		snprintf(rows[n].name, sizeof(rows[n].name), "%s", l + off);
		rows[n].flat = top_value(flat);
		rows[n].cum = top_value(cum);
		n++;
	}
	cr_assert(*total != INT64_MIN, "-top says what it accounts for");
	return n;
}

static const struct top_row *top_find(const struct top_row *rows, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

struct top_exp {
	const char *name;
	int64_t flat, cum;
};

/* total: of all samples (absolute values with -base); net: their sum. */
static void check_top(char *out, const struct top_exp *exp, size_t nexp, int64_t total, int64_t net)
{
	struct top_row rows[64];
	int64_t got_total, got_net;
	int n = parse_top(out, rows, 64, &got_total, &got_net);

	cr_assert_eq(got_total, total, "total %" PRId64 " (got %" PRId64 ")", total, got_total);
	cr_assert_eq(got_net, net, "net sum %" PRId64 " (got %" PRId64 ")", net, got_net);
	cr_assert_str_eq(rows[0].name, exp[0].name, "top function is %s", exp[0].name);
	for (size_t i = 0; i < nexp; i++) {
		const struct top_row *r = top_find(rows, n, exp[i].name);

		cr_assert(r, "-top lists %s", exp[i].name);
		cr_assert_eq(r->flat, exp[i].flat, "%s flat %" PRId64 " (got %" PRId64 ")",
			     exp[i].name, exp[i].flat, r->flat);
		cr_assert_eq(r->cum, exp[i].cum, "%s cum %" PRId64 " (got %" PRId64 ")",
			     exp[i].name, exp[i].cum, r->cum);
	}
	cr_assert_eq((size_t)n, nexp, "-top lists %zu functions (got %d)", nexp, n);
}

/*
 * Flat is the innermost frame of each leaf location; cum counts a function once per
 * sample (recursion in E included once).
 */
Test(pprof, top_by_space_and_by_objects)
{
	static const struct top_exp by_space[] = {
		{ "main.recurse", 5000, 5000 },
		{ G_NAME " (inline)", 4096, 4096 },
		{ "strings.ToUpper (inline)", 3028, 3028 },
		{ "[unknown stack]", 152, 152 },
		{ "C.malloc", 48, 48 },
		{ "[demo]", 0, 4096 }, /* 0x5050: the mapping's name, no function */
		{ "[truncated]", 0, 4096 },
		{ "main.(*T).method", 0, 4096 },
		{ "main.parseLine", 0, 3028 },
		{ "main.main", 0, 8076 }, /* 3028 + 5000 + 48 */
		{ "runtime.main", 0, 8076 },
	};
	static const struct top_exp by_objects[] = {
		{ "strings.ToUpper (inline)", 18, 18 },
		{ "[unknown stack]", 9, 9 },
		{ G_NAME " (inline)", 4, 4 },
		{ "C.malloc", 3, 3 },
		{ "main.recurse", 1, 1 },
		{ "[demo]", 0, 4 },
		{ "[truncated]", 0, 4 },
		{ "main.(*T).method", 0, 4 },
		{ "main.parseLine", 0, 18 },
		{ "main.main", 0, 22 },
		{ "runtime.main", 0, 22 },
	};
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	char *path = write_profile(a, &fake_sym, &ri, &o);
	char *out;

	out = pprof("-top -nodefraction=0 -unit=B -sample_index=alloc_space", path);
	check_top(out, by_space, sizeof(by_space) / sizeof(by_space[0]), EXP_TOTAL_BYTES,
		  EXP_TOTAL_BYTES);
	free(out);
	out = pprof("-top -nodefraction=0 -unit=B", path);
	cr_assert(strstr(out, "Type: alloc_space"), "alloc_space is the default sample type");
	check_top(out, by_space, sizeof(by_space) / sizeof(by_space[0]), EXP_TOTAL_BYTES,
		  EXP_TOTAL_BYTES);
	free(out);
	out = pprof("-top -nodefraction=0 -sample_index=alloc_objects", path);
	check_top(out, by_objects, sizeof(by_objects) / sizeof(by_objects[0]), EXP_TOTAL_COUNT,
		  EXP_TOTAL_COUNT);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(a);
}

/* ---- -traces ---- */

/* Each trace as "value: frame;frame;..." */
static int parse_traces(char *text, char **traces, int max)
{
	char *save = NULL, *l, buf[4096] = "";
	bool in = false;
	int n = 0;

	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "-----------+", 12)) {
			if (in && buf[0]) {
				cr_assert(n < max, "traces fit");
				traces[n++] = strdup(buf);
			}
			in = true;
			buf[0] = 0;
			continue;
		}
		if (!in)
			continue;
		if (!buf[0]) {
			char value[32];
			int off = 0;

			cr_assert(sscanf(l, " %31s %n", value, &off) == 1,
				  "a trace starts with its value: %s", l);
			snprintf(buf, sizeof(buf), "%s: %s", value, trim(l + off));
		} else {
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ";%s", trim(l));
		}
	}
	return n;
}

Test(pprof, traces_expand_inlined_frames)
{
	static const char *const want[] = {
		"15: strings.ToUpper (inline);main.parseLine;main.main;runtime.main",
		"3: strings.ToUpper (inline);main.parseLine;main.main;runtime.main",
		"4: " G_NAME " (inline);main.(*T).method;[demo];[truncated]",
		"1: main.recurse;main.recurse;main.recurse;main.main;runtime.main",
		"3: C.malloc;main.main;runtime.main",
		"9: [unknown stack]",
	};
	size_t nwant = sizeof(want) / sizeof(want[0]);
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	char *path = write_profile(a, &fake_sym, &ri, &o);
	char *out = pprof("-traces -sample_index=alloc_objects", path);
	char *got[16], *w[16];
	int n = parse_traces(out, got, 16);

	cr_assert_eq((size_t)n, nwant, "one trace per sample: %zu (got %d)", nwant, n);
	memcpy(w, want, sizeof(want));
	qsort(got, n, sizeof(got[0]), cmp_str);
	qsort(w, nwant, sizeof(w[0]), cmp_str);
	for (size_t i = 0; i < nwant; i++)
		cr_assert_str_eq(got[i], w[i], "trace with inlined frames in order, root last");
	for (int i = 0; i < n; i++)
		free(got[i]);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(a);
}

/* ---- -base ---- */

/*
 * NEW = the base data set with: A +5 x 100 (+500), E gone (-5000), a new stack H
 * 0x4040 <- 0x2020 <- 0x3030 with 2 x 64 (+128 to G), unknown +1 x 8.
 */
static struct gmt_agg *build_new(void)
{
	static const uint64_t pa[] = { 0x1010, 0x2020, 0x3030 };
	static const uint64_t pb[] = { 0x1011, 0x2020, 0x3030 };
	static const uint64_t pc[] = { 0x4040, 0x5050 };
	static const uint64_t pg[] = { 0x900000, 0x2020, 0x3030 };
	static const uint64_t ph[] = { 0x4040, 0x2020, 0x3030 };
	struct gmt_agg *a = gmt_agg__new(tu_row(22));

	cr_assert(a, "gmt_agg__new allocates");
	gmt_agg__add_stack(a, 0x100, pa, 3, false);
	gmt_agg__add_stack(a, 0x200, pb, 3, false);
	gmt_agg__add_stack(a, 0x300, pc, 2, true);
	gmt_agg__add_stack(a, 0x700, pg, 3, false);
	gmt_agg__add_stack(a, 0x800, ph, 3, false);
	gmt_agg__add_allocs(a, 0x100, 0, 48, 10);
	gmt_agg__add_allocs(a, 0x100, 0, 100, 10);
	gmt_agg__add_allocs(a, 0x200, 0, 1000, 2);
	gmt_agg__add_allocs(a, 0x200, 0, 48, 1);
	gmt_agg__add_allocs(a, 0x300, 0, 1024, 4);
	gmt_agg__add_allocs(a, 0x700, 0, 16, 3);
	gmt_agg__add_allocs(a, 0x800, 0, 64, 2);
	gmt_agg__add_allocs(a, 0x999, 0, 8, 8);
	gmt_agg__add_allocs(a, 0, 0, 48, 2);
	cr_assert_eq(gmt_agg__finish(a, &fake_sym), 0, "finish succeeds");
	return a;
}

Test(pprof, base_gives_the_difference)
{
	static const struct top_exp diff[] = {
		{ "main.recurse", -5000, -5000 },
		{ "strings.ToUpper (inline)", 500, 500 },
		{ G_NAME " (inline)", 128, 128 },
		{ "[unknown stack]", 8, 8 },
		/* functions whose values did not change are not listed */
		{ "main.(*T).method", 0, 128 },
		{ "main.parseLine", 0, 500 },
		{ "main.main", 0, -4372 }, /* 500 - 5000 + 128 */
		{ "runtime.main", 0, -4372 },
	};
	struct gmt_agg *old = build_base(), *new = build_new();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	char *po = write_profile(old, &fake_sym, &ri, &o);
	char *pn = write_profile(new, &fake_sym, &ri, &o);
	char args[512], *out;

	snprintf(args, sizeof(args),
		 "-top -nodefraction=0 -unit=B -sample_index=alloc_space -base %s", po);
	out = pprof(args, pn);
	/*
	 * -top sorts by flat: the largest difference (in absolute terms) first.  The total
	 * is 5000 + 500 + 128 + 8 = 5636, their sum -4364.
	 */
	check_top(out, diff, sizeof(diff) / sizeof(diff[0]), 5636, -4364);
	free(out);
	unlink(po);
	unlink(pn);
	free(po);
	free(pn);
	gmt_agg__free(old);
	gmt_agg__free(new);
}

/* ---- sampled mode: in-use values and the period ---- */

static int fake_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects, uint64_t *bytes)
{
	int *calls = ctx;

	(*calls)++;
	if (gmt_agg_stack_is_unknown(s)) {
		*objects = 1, *bytes = 8;
	} else if (s->id == 0x100) {
		*objects = 3, *bytes = 300;
	} else if (s->id == 0x300) {
		*objects = 4, *bytes = 4096;
	} else {
		*objects = 0, *bytes = 0;
	}
	return 0;
}

static int failing_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
			 uint64_t *bytes)
{
	return -ENOTSUP;
}

Test(pprof, inuse_values_from_the_callback)
{
	/* In exp_base order: A, B, C, E, G, unknown. */
	static const uint64_t inuse[NEXP][2] = {
		{ 3, 300 }, { 0, 0 }, { 4, 4096 }, { 0, 0 }, { 0, 0 }, { 1, 8 },
	};
	static const struct top_exp by_inuse[] = {
		{ G_NAME " (inline)", 4096, 4096 }, { "strings.ToUpper (inline)", 300, 300 },
		{ "[unknown stack]", 8, 8 },	    { "[demo]", 0, 4096 },
		{ "[truncated]", 0, 4096 },	    { "main.(*T).method", 0, 4096 },
		{ "main.parseLine", 0, 300 },	    { "main.main", 0, 300 },
		{ "runtime.main", 0, 300 },
	};
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	int calls = 0;
	char *path, *out;
	struct raw r;

	ri.mode = "sampled";
	o.period = 524288;
	o.inuse = true;
	o.inuse_fn = fake_inuse;
	o.inuse_ctx = &calls;
	path = write_profile(a, &fake_sym, &ri, &o);
	cr_assert_eq(calls, 7, "inuse_fn called once per stack in the view (F's included)");
	out = pprof("-raw", path);
	parse_raw(out, &r);
	cr_assert_str_eq(r.types,
			 "alloc_objects/count alloc_space/bytes[dflt] inuse_objects/count "
			 "inuse_space/bytes",
			 "four sample types in Go's heap profile order, alloc_space the default");
	cr_assert_eq(r.period, 524288, "period is the sampling rate");
	check_samples(&r, exp_base, NEXP, inuse);
	free_raw(&r);
	free(out);
	out = pprof("-top -nodefraction=0 -unit=B -sample_index=inuse_space", path);
	check_top(out, by_inuse, sizeof(by_inuse) / sizeof(by_inuse[0]), 4404, 4404);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(a);
}

Test(pprof, errors)
{
	struct gmt_agg *a = build_base();
	struct gmt_pprof_opts o = exact_opts();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len), *ro;

	o.inuse = true;
	cr_assert_eq(gmt_write_pprof(a, &fake_sym, f, NULL, &o), -EINVAL,
		     "inuse without inuse_fn is -EINVAL");
	o.inuse_fn = failing_inuse;
	cr_assert_eq(gmt_write_pprof(a, &fake_sym, f, NULL, &o), -ENOTSUP,
		     "inuse_fn's error aborts the write and is returned");
	cr_assert_eq(gmt_write_pprof(NULL, &fake_sym, f, NULL, NULL), -EINVAL, "no aggregator");
	cr_assert_eq(gmt_write_pprof(a, &fake_sym, NULL, NULL, NULL), -EINVAL, "no file");
	fclose(f);
	cr_assert_eq(len, 0, "nothing written on argument errors or an aborted write");
	free(buf);

	ro = fopen("/dev/null", "r");
	cr_assert(ro, "/dev/null opens");
	cr_assert_eq(gmt_write_pprof(a, &fake_sym, ro, NULL, NULL), -EIO,
		     "a write that fails is -EIO");
	fclose(ro);
	gmt_agg__free(a);
}

/* ---- without mapping, run info or symbolizer; an empty aggregator ---- */

Test(pprof, minimal_inputs_still_read)
{
	struct gmt_agg *a = build_base(), *empty = gmt_agg__new(tu_row(22));
	char *path, *out;
	struct raw r;

	path = write_profile(a, NULL, NULL, NULL);
	out = pprof("-raw", path);
	cr_assert_null(strstr(out, "symboliz"), "no symbolization attempt without mapping opts");
	cr_assert_null(strstr(out, "not available"), "pprof does not ask for the binary");
	parse_raw(out, &r);
	cr_assert_eq(r.nmappings, 1, "a mapping even without opts");
	cr_assert_str_eq(r.mappings[0], "1: 0x0/0x0/0x0   [FN][FL][LN][IN]",
			 "no name, no range, but already symbolized");
	cr_assert_eq(r.period, 1, "period defaults to 1");
	cr_assert_eq(r.nsamples, (int)NEXP, "the same samples");
	for (int i = 0; i < r.nlocs; i++) {
		cr_assert_eq(r.locs[i].mapping, r.locs[i].addr ? 1 : 0,
			     "a mapping without a range holds every real address");
		cr_assert(r.locs[i].addr == 0 || r.locs[i].lines[0] == 0,
			  "without a symbolizer real addresses have no lines");
	}
	free_raw(&r);
	free(out);
	unlink(path);
	free(path);

	cr_assert_eq(gmt_agg__finish(empty, NULL), 0, "empty aggregator finishes");
	path = write_profile(empty, &fake_sym, NULL, NULL);
	out = pprof("-raw", path);
	parse_raw(out, &r);
	cr_assert_eq(r.nsamples, 0, "an empty profile has no samples");
	cr_assert_str_eq(r.types, "alloc_objects/count alloc_space/bytes[dflt]",
			 "and still its sample types");
	free_raw(&r);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(empty);
	gmt_agg__free(a);
}

/* ---- the encoded Profile itself: what pprof does not print ---- */

Test(pprof, functions_and_strings_deduplicated)
{
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	char *path = write_profile(a, &fake_sym, &ri, &o);
	size_t flen, len;
	uint8_t *file = tu_read_file(path, &flen), *plain = tu_gunzip(file, flen, &len);
	struct tu_pbr r = { plain, plain + len }, sub;
	char *strings[256];
	uint64_t fn[64][3], v; /* name, system_name, filename */
	int nstr = 0, nfn = 0;
	uint32_t field;

	while (tu_pbr_next(&r, &field, &v, &sub)) {
		if (field == 6) {
			cr_assert(nstr < 256);
			strings[nstr++] = strndup((const char *)sub.p, sub.end - sub.p);
		} else if (field == 5) {
			struct tu_pbr m = sub, x;
			uint64_t id = 0;

			cr_assert(nfn < 64);
			memset(fn[nfn], 0, sizeof(fn[nfn]));
			while (tu_pbr_next(&m, &field, &v, &x)) {
				if (field == 1)
					id = v;
				else if (field >= 2 && field <= 4)
					fn[nfn][field - 2] = v;
			}
			cr_assert_eq(id, (uint64_t)nfn + 1, "function ids are 1, 2, 3...");
			nfn++;
		}
	}
	cr_assert(nstr > 0 && !strcmp(strings[0], ""), "string_table[0] is \"\"");
	for (int i = 0; i < nstr; i++)
		for (int j = i + 1; j < nstr; j++)
			cr_assert_str_neq(strings[i], strings[j],
					  "string \"%s\" is in the table once", strings[i]);
	/*
	 * ToUpper, parseLine, main.main, runtime.main, G, method, recurse, C.malloc,
	 * [truncated], [unknown stack]; main.zero is only in F, which has no sample.
	 */
	cr_assert_eq(nfn, 10, "one function per (name, file): 10 (got %d)", nfn);
	for (int i = 0; i < nfn; i++) {
		cr_assert_eq(fn[i][0], fn[i][1], "system_name is the name");
		cr_assert(fn[i][0] < (uint64_t)nstr && fn[i][2] < (uint64_t)nstr,
			  "indexes are in the string table");
		for (int j = i + 1; j < nfn; j++)
			cr_assert(fn[i][0] != fn[j][0] || fn[i][2] != fn[j][2],
				  "functions %d and %d differ in name or file", i + 1, j + 1);
	}
	for (int i = 0; i < nstr; i++)
		free(strings[i]);
	free(plain);
	free(file);
	unlink(path);
	free(path);
	gmt_agg__free(a);
}

/* ---- a big profile: long names, many locations, the hash tables grown ---- */

#define BIG_N 3000

struct big_sym {
	char (*names)[300];
	char (*files)[64];
};

static int big_frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max)
{
	struct big_sym *b = ctx;
	uint64_t i = (pc - 0x100000) / 16;

	if (pc == 0x2020)
		return tu_fake_frames((void *)&fake_bin, pc, out, max);
	if (pc < 0x100000 || i >= BIG_N || max < 2)
		return -ENOENT;
	/* every pc: its own function inlined into a shared one, 1 in 10 files shared */
	out[0] = (struct gmt_frame){ b->names[i], b->files[i % (BIG_N / 10)], (uint32_t)i + 1 };
	out[1] = (struct gmt_frame){ "main.worker", "/src/big/worker.go", 10 };
	return 2;
}

Test(pprof, big_profile)
{
	struct big_sym bs = { calloc(BIG_N, 300), calloc(BIG_N, 64) };
	struct gmt_symbolizer sym = { big_frames, NULL, &bs };
	struct gmt_agg *a = gmt_agg__new(tu_row(22));
	struct top_row *rows = calloc(BIG_N + 8, sizeof(*rows));
	char *path, *out, *copy, top[320];
	int64_t total, shown;
	struct raw r;
	int n;

	for (int i = 0; i < BIG_N; i++) {
		uint64_t pcs[2] = { 0x100000 + (uint64_t)i * 16, 0x2020 };

		snprintf(bs.names[i], 300, "main.func%04d_%0250d", i, 0);
		snprintf(bs.files[i], 64, "/src/big/f%d.go", i);
		cr_assert_eq(gmt_agg__add_stack(a, 1000 + i, pcs, 2, false), 0, "big stack added");
		gmt_agg__add_allocs(a, 1000 + i, 0, 32, i + 1);
	}
	cr_assert_eq(gmt_agg__finish(a, &sym), 0, "finish succeeds");
	path = write_profile(a, &sym, NULL, NULL);

	out = pprof("-raw", path);
	copy = strdup(out);
	parse_raw(copy, &r);
	cr_assert_eq(r.nsamples, BIG_N, "one sample per stack");
	cr_assert_eq(r.nlocs, BIG_N + 1, "one location per return address");
	for (int i = 0; i < r.nsamples; i++) {
		const struct raw_loc *l = raw_loc(&r, r.samples[i].locs[0]);
		uint64_t k = (l->addr - 0x100000) / 16;
		char want[1024];

		cr_assert_eq(r.samples[i].v[0], (int64_t)k + 1, "count of stack %" PRIu64, k);
		cr_assert_eq(r.samples[i].v[1], (int64_t)(k + 1) * 32, "bytes of stack %" PRIu64,
			     k);
		snprintf(want, sizeof(want), "%s@%s:%" PRIu64 ",main.worker@/src/big/worker.go:10",
			 bs.names[k], bs.files[k % (BIG_N / 10)], k + 1);
		cr_assert_str_eq(l->lines, want, "long names survive: location of stack %" PRIu64,
				 k);
	}
	free_raw(&r);
	free(copy);
	free(out);

	/*
	 * Every node and edge: pprof leaves out "(inline)" when it drops the edge to the
	 * caller (small edges, or the caller's node past -nodecount).
	 */
	out = pprof("-top -nodefraction=0 -edgefraction=0 -unit=B -sample_index=alloc_space", path);
	n = parse_top(out, rows, BIG_N + 8, &total, &shown);
	/* sum of (i + 1) * 32 for i < 3000 */
	cr_assert_eq(total, (int64_t)BIG_N * (BIG_N + 1) / 2 * 32, "total bytes");
	cr_assert_eq(shown, total, "every node shown");
	cr_assert_eq(n, BIG_N + 2, "a row per function");
	snprintf(top, sizeof(top), "%s (inline)", bs.names[BIG_N - 1]);
	cr_assert_str_eq(rows[0].name, top, "the biggest stack's function is on top");
	cr_assert_eq(rows[0].flat, (int64_t)BIG_N * 32, "with its bytes");
	free(out);

	unlink(path);
	free(path);
	gmt_agg__free(a);
	free(rows);
	free(bs.names);
	free(bs.files);
}

/* ---- runtime/pprof's convention: the allocator's leading runtime frames go ---- */

/*
 *   R1 0x1: 0x7100 <- 0x7110 <- 0x7120 <- 0x7130 <- 0x2020 <- 0x3030   2 x 4096
 *           (makeslice <- growslice <- maps.newarray inlined in maps.grow <- main.items)
 *   R2 0x2: 0x7140 <- 0x3030, all runtime: kept whole                 1 x 64
 *   R3 0x3: 0x7150 <- 0x2020: the innermost function at 0x7150 is runtime.add, inlined
 *           in main.inl: FuncForPC names runtime.add, so runtime/pprof drops the
 *           address, and main.inl with it                              1 x 32
 */
static struct gmt_agg *build_runtime(void)
{
	static const uint64_t p1[] = { 0x7100, 0x7110, 0x7120, 0x7130, 0x2020, 0x3030 };
	static const uint64_t p2[] = { 0x7140, 0x3030 };
	static const uint64_t p3[] = { 0x7150, 0x2020 };
	struct gmt_agg *a = gmt_agg__new(tu_row(22));

	cr_assert(a);
	cr_assert_eq(gmt_agg__add_stack(a, 1, p1, 6, false), 0);
	cr_assert_eq(gmt_agg__add_stack(a, 2, p2, 2, false), 0);
	cr_assert_eq(gmt_agg__add_stack(a, 3, p3, 2, false), 0);
	gmt_agg__add_allocs(a, 1, 0, 4096, 2);
	gmt_agg__add_allocs(a, 2, 0, 64, 1);
	gmt_agg__add_allocs(a, 3, 0, 32, 1);
	cr_assert_eq(gmt_agg__finish(a, &fake_sym), 0);
	return a;
}

Test(pprof, leading_runtime_frames_go_as_in_go_heap_profiles)
{
	static const char *const hidden[] = {
		"2: main.items;main.main;runtime.main",
		"1: runtime.systemstack;runtime.main",
		"1: main.main",
	};
	static const char *const kept[] = {
		"2: runtime.makeslice;runtime.growslice;internal/runtime/maps.newarray (inline);"
		"internal/runtime/maps.(*table).grow;main.items;main.main;runtime.main",
		"1: runtime.systemstack;runtime.main",
		"1: runtime.add (inline);main.inl;main.main",
	};
	struct gmt_agg *a = build_runtime();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();

	for (int pass = 0; pass < 2; pass++) {
		const char *const *want = pass ? kept : hidden;
		char *path, *out, *got[8], *w[3];
		int n;

		o.runtime_frames = pass;
		path = write_profile(a, &fake_sym, &ri, &o);
		out = pprof("-traces -sample_index=alloc_objects", path);
		n = parse_traces(out, got, 8);
		cr_assert_eq(n, 3, "three traces:\n%s", out);
		memcpy(w, want, sizeof(w));
		qsort(got, n, sizeof(got[0]), cmp_str);
		qsort(w, 3, sizeof(w[0]), cmp_str);
		for (int i = 0; i < n; i++) {
			cr_expect_str_eq(got[i], w[i], "%s", pass ? "--runtime-frames" : "default");
			free(got[i]);
		}
		free(out);
		/* What `go tool pprof -top` shows first, as for Go's own heap profile. */
		out = pprof("-top -sample_index=alloc_space", path);
		cr_expect(strstr(out, pass ? "runtime.makeslice\n" : "main.items\n"),
			  "top flat function:\n%s", out);
		cr_expect(strstr(out, pass ? "stacks start at the allocator" :
					     "leading runtime frames left out"),
			  "the comment says which:\n%s", out);
		free(out);
		unlink(path);
		free(path);
	}
	gmt_agg__free(a);
}
