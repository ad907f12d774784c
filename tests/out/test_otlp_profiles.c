// SPDX-License-Identifier: MIT
/*
 * The OTLP profiles encoder (out/otlp_profiles.c): a request built from a synthetic
 * aggregator and a fake symbolizer is decoded back here field by field, with the field
 * numbers of opentelemetry-proto profiles/v1development v1.10.0 (tests/collector/README.md),
 * and checked against values computed by hand: the dictionary's rules (every table's
 * entry 0 empty, string 0 "", indices in range), one Profile per sample type, the stacks
 * with their inlined Lines, the totals, the mapping's build IDs, the resource.  The same
 * aggregator written by gmt_write_pprof() gives the same totals per sample type.  The
 * Collector's own decoding of these bytes is tests/e2e/test_otlp.c's.
 *
 * No fuzzer: the encoder's input is the aggregator and the symbolizer, never bytes from
 * outside.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "otlp_profiles.h"
#include "outputs.h"
#include "pbread.h"
#include "pprof.h"
#include "fakesym.h"
#include "testutil.h"

/* ---- a fake symbolizer (the data set of test_pprof.c) ---- */

static const struct tu_fake_pc fake_pcs[] = {
	{ 0x1010, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x1011, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x2020, 1, { { "main.main", "/src/demo/main.go", 60 } } },
	{ 0x3030, 1, { { "runtime.main", "/go/src/runtime/proc.go", 283 } } },
	{ 0x4040, 2, { { "main.G", "/src/demo/g.go", 7 },
		       { "main.(*T).method", "/src/demo/t.go", 12 } } },
	{ 0x6060, 1, { { "main.recurse", "/src/demo/main.go", 75 } } },
	{ 0x7070, 1, { { "main.zero", "/src/demo/main.go", 90 } } },
	{ 0x7100, 1, { { "runtime.makeslice", "/go/src/runtime/slice.go", 116 } } },
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
 * Computed by hand (go1.22 rules):
 *   A 0x100: 0x1010 <- 0x2020 <- 0x3030                  15 objects, 980 bytes
 *   B 0x200: 0x1011 <- 0x2020 <- 0x3030                   3, 2048
 *   C 0x300: 0x4040 <- 0x5050, truncated                  4, 4096
 *   E 0x500: 0x6060 x3 <- 0x2020 <- 0x3030                1, 5000
 *   G 0x700: 0x900000 <- 0x2020 <- 0x3030                 3, 48
 *   H 0x800: 0x7100 (runtime, left out) <- 0x2020 <- 0x3030  2, 128
 *   F 0x600: zero-size only: no sample;  D 0x400: no allocation: no sample
 *   unknown: 0x999 never arrives (7 x 8), 0 the walk failed (2 x 48)  9, 152
 */
struct exp_sample {
	uint64_t id;
	const char *stack; /* leaf first: "0xPC M=mapping {func@file:line,...}" */
	int64_t count, bytes;
	int64_t inuse_objects, inuse_bytes; /* fake_inuse's */
};

static const struct exp_sample exp_base[] = {
	{ 0x100,
	  "0x1010 M=1 {strings.ToUpper@/go/src/strings/strings.go:640,"
	  "main.parseLine@/src/demo/main.go:31};0x2020 M=1 {main.main@/src/demo/main.go:60};"
	  "0x3030 M=1 {runtime.main@/go/src/runtime/proc.go:283}",
	  15, 980, 5, 300 },
	{ 0x200,
	  "0x1011 M=1 {strings.ToUpper@/go/src/strings/strings.go:640,"
	  "main.parseLine@/src/demo/main.go:31};0x2020 M=1 {main.main@/src/demo/main.go:60};"
	  "0x3030 M=1 {runtime.main@/go/src/runtime/proc.go:283}",
	  3, 2048, 0, 0 },
	{ 0x300,
	  "0x4040 M=1 {main.G@/src/demo/g.go:7,main.(*T).method@/src/demo/t.go:12};"
	  "0x5050 M=1 {};0x0 M=0 {[truncated]@:0}",
	  4, 4096, 1, 1024 },
	{ 0x500,
	  "0x6060 M=1 {main.recurse@/src/demo/main.go:75};"
	  "0x6060 M=1 {main.recurse@/src/demo/main.go:75};"
	  "0x6060 M=1 {main.recurse@/src/demo/main.go:75};"
	  "0x2020 M=1 {main.main@/src/demo/main.go:60};"
	  "0x3030 M=1 {runtime.main@/go/src/runtime/proc.go:283}",
	  1, 5000, 0, 0 },
	{ 0x700,
	  "0x900000 M=0 {C.malloc@:0};0x2020 M=1 {main.main@/src/demo/main.go:60};"
	  "0x3030 M=1 {runtime.main@/go/src/runtime/proc.go:283}",
	  3, 48, 0, 0 },
	{ 0x800,
	  "0x2020 M=1 {main.main@/src/demo/main.go:60};"
	  "0x3030 M=1 {runtime.main@/go/src/runtime/proc.go:283}",
	  2, 128, 2, 128 },
	{ 0, "0x0 M=0 {[unknown stack]@:0}", 9, 152, 0, 0 },
};
#define NEXP (sizeof(exp_base) / sizeof(exp_base[0]))

static struct gmt_agg *build_base(void)
{
	static const uint64_t ph[] = { 0x7100, 0x2020, 0x3030 };
	struct gmt_agg *a = gmt_agg__new(tu_row(22));

	cr_assert(a, "gmt_agg__new allocates");
	tu_fake_agg_fill(a); /* A to G, then H: the allocator's frame left out */
	cr_assert_eq(gmt_agg__add_stack(a, 0x800, ph, 3, false), 0);
	gmt_agg__add_allocs(a, 0x800, 0, 64, 2);
	cr_assert_eq(gmt_agg__finish(a, &fake_sym), 0, "finish succeeds");
	return a;
}

#define WALL_START 1700000000000000000ULL

static struct gmt_run_info run_info(void)
{
	return (struct gmt_run_info){ .mode = "exact", .go_version = "go1.22.12",
				      .binary = "/srv/demo", .comm = "demo", .pid = 4242,
				      .duration_s = 3.0, .start_ns = 1000000000ULL,
				      .end_ns = 4000000000ULL, .start_wall_ns = WALL_START };
}

static struct gmt_pprof_opts exact_opts(void)
{
	return (struct gmt_pprof_opts){
		.period = 1,
		.mapping = { .filename = "/srv/demo", .memory_start = MAP_START,
			     .memory_limit = MAP_LIMIT, .file_offset = 0x1000 },
	};
}

static const struct exp_sample *exp_by_id(uint64_t id)
{
	for (size_t i = 0; i < NEXP; i++)
		if (exp_base[i].id == id)
			return &exp_base[i];
	return NULL;
}

static int calls;

static int fake_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
		      uint64_t *bytes)
{
	const struct exp_sample *e = exp_by_id(gmt_agg_stack_is_unknown(s) ? 0 : s->id);

	calls++;
	*objects = e ? (uint64_t)e->inuse_objects : 0;
	*bytes = e ? (uint64_t)e->inuse_bytes : 0;
	return 0;
}

static const struct gmt_otlp_attr resource[] = {
	{ "service.name", "shop", 0 },
	{ "process.pid", NULL, 4242 },
};

static struct gmt_otlp_profiles request(const struct gmt_agg *a, const struct gmt_run_info *ri,
					const struct gmt_pprof_opts *o)
{
	return (struct gmt_otlp_profiles){
		.agg = a, .sym = &fake_sym, .ri = ri, .o = o,
		.ids = { .gnu = "ee6c295698442820a1d96c85b44965f30f8af384",
			 .go = "guBkCr-Nv3EUToZPj2kw/w9JEAcgfaf0IOWFeBA0h",
			 .htlhash = "00112233445566778899aabbccddeeff" },
		.resource = resource, .nresource = 2,
		.scope_name = "gomemtrace", .scope_version = "9.9",
	};
}

/* ---- decoding ---- */

#define CAP 64

struct dline {
	uint64_t func;
	int64_t line;
};
struct dloc {
	uint64_t mapping, address;
	struct dline lines[4];
	int nlines;
};
struct dfunc {
	uint64_t name, system_name, file;
};
struct dmap {
	uint64_t start, limit, offset, filename;
	uint64_t attrs[4];
	int nattrs;
};
struct dattr {
	uint64_t key;
	char val[128];
};
struct dstack {
	uint64_t locs[16];
	int nlocs;
};
struct dsample {
	uint64_t stack;
	int64_t values[4];
	int nvalues;
};
struct dprofile {
	uint64_t type, unit, ptype, punit, time, duration;
	int64_t period;
	uint8_t id[16];
	size_t idlen;
	struct dsample s[CAP];
	int ns;
};
struct dreq {
	char res_key[8][64], res_str[8][64];
	int64_t res_int[8];
	int nres;
	char scope[32], scope_version[32];
	int nrp, nsp;
	struct dprofile p[8];
	int np;
	int ndict;
	char *str[CAP];
	int nstr;
	struct dmap maps[CAP];
	struct dloc locs[CAP];
	struct dfunc funcs[CAP];
	struct dattr attrs[CAP];
	struct dstack stacks[CAP];
	int nmaps, nlocs, nfuncs, nattrs, nstacks, nlinks;
};

static void copy_str(char *dst, size_t cap, const struct tu_pbr *s)
{
	size_t n = (size_t)(s->end - s->p);

	cr_assert(n < cap, "string of %zu bytes fits", n);
	memcpy(dst, s->p, n);
	dst[n] = 0;
}

static bool empty(const struct tu_pbr *s)
{
	return s->p == s->end;
}

/* Packed varints into out[cap]: the count. */
static int packed(struct tu_pbr r, int wt, uint64_t v, uint64_t *out, int cap)
{
	int n = 0;

	if (wt == 0) {
		out[0] = v; /* unpacked: one value */
		return 1;
	}
	while (r.p < r.end) {
		cr_assert(n < cap, "packed field fits");
		out[n++] = tu_pbr_varint(&r);
	}
	return n;
}

/* A field that must be a varint: its value. */
static uint64_t varint(int wt, uint64_t v, const char *what)
{
	cr_assert_eq(wt, 0, "%s is a varint", what);
	return v;
}

static void decode_value_type(struct tu_pbr r, uint64_t *type, uint64_t *unit)
{
	struct tu_pbr sub;
	uint64_t v;
	uint32_t f;
	int wt;

	*type = *unit = 0;
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		if (f == 1)
			*type = varint(wt, v, "ValueType.type_strindex");
		else if (f == 2)
			*unit = varint(wt, v, "ValueType.unit_strindex");
		else
			cr_assert_fail("ValueType has fields 1 and 2 only (%u)", f);
	}
}

static void decode_profile(struct tu_pbr r, struct dprofile *p)
{
	struct tu_pbr sub, x, y;
	uint64_t v, vals[8];
	uint32_t f, g;
	int wt, wt2;

	memset(p, 0, sizeof(*p));
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		switch (f) {
		case 1:
			decode_value_type(sub, &p->type, &p->unit);
			break;
		case 2: {
			struct dsample *s = &p->s[p->ns++];

			cr_assert(p->ns <= CAP);
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &v, &y)) {
				if (g == 1) {
					s->stack = varint(wt2, v, "Sample.stack_index");
				} else if (g == 4) {
					s->nvalues = packed(y, wt2, v, vals, 4);
					for (int i = 0; i < s->nvalues; i++)
						s->values[i] = (int64_t)vals[i];
				} else {
					cr_assert_fail("Sample field %u: only stack_index and values",
						       g);
				}
			}
			break;
		}
		case 3:
			cr_assert_eq(wt, 1, "time_unix_nano is fixed64");
			p->time = v;
			break;
		case 4:
			p->duration = varint(wt, v, "duration_nano");
			break;
		case 5:
			decode_value_type(sub, &p->ptype, &p->punit);
			break;
		case 6:
			p->period = (int64_t)varint(wt, v, "period");
			break;
		case 7:
			cr_assert_eq(wt, 2, "profile_id is bytes");
			p->idlen = (size_t)(sub.end - sub.p);
			cr_assert(p->idlen <= 16);
			memcpy(p->id, sub.p, p->idlen);
			break;
		default:
			cr_assert_fail("unexpected Profile field %u", f);
		}
	}
}

static void decode_resource(struct tu_pbr r, struct dreq *d)
{
	struct tu_pbr sub, kv, x, y;
	uint64_t v;
	uint32_t f, g, h;
	int wt;

	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		cr_assert_eq(f, 1, "Resource: attributes only");
		cr_assert(d->nres < 8);
		kv = sub;
		while (tu_pbr_next(&kv, &g, &v, &x)) {
			if (g == 1) {
				copy_str(d->res_key[d->nres], 64, &x);
			} else {
				cr_assert_eq(g, 2, "KeyValue: key and value");
				while (tu_pbr_next(&x, &h, &v, &y)) {
					if (h == 1)
						copy_str(d->res_str[d->nres], 64, &y);
					else if (h == 3)
						d->res_int[d->nres] = (int64_t)v;
					else
						cr_assert_fail("AnyValue: string or int");
				}
			}
		}
		d->nres++;
	}
}

static void decode_dictionary(struct tu_pbr r, struct dreq *d)
{
	struct tu_pbr sub, x, y, z;
	uint64_t v, w;
	uint32_t f, g, h;
	int wt, wt2;

	d->ndict++;
	while (tu_pbr_field(&r, &f, &wt, &v, &sub)) {
		cr_assert_eq(wt, 2, "dictionary tables are repeated messages");
		switch (f) {
		case 1: {
			struct dmap *m = &d->maps[d->nmaps++];

			cr_assert(d->nmaps <= CAP);
			cr_assert(d->nmaps > 1 || empty(&sub), "mapping_table[0] is empty");
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &w, &y)) {
				if (g == 1)
					m->start = varint(wt2, w, "memory_start");
				else if (g == 2)
					m->limit = varint(wt2, w, "memory_limit");
				else if (g == 3)
					m->offset = varint(wt2, w, "file_offset");
				else if (g == 4)
					m->filename = varint(wt2, w, "filename_strindex");
				else if (g == 5)
					m->nattrs = packed(y, wt2, w, m->attrs, 4);
				else
					cr_assert_fail("Mapping field %u", g);
			}
			break;
		}
		case 2: {
			struct dloc *l = &d->locs[d->nlocs++];

			cr_assert(d->nlocs <= CAP);
			cr_assert(d->nlocs > 1 || empty(&sub), "location_table[0] is empty");
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &w, &y)) {
				if (g == 1) {
					l->mapping = varint(wt2, w, "mapping_index");
				} else if (g == 2) {
					l->address = varint(wt2, w, "address");
				} else if (g == 3) {
					struct dline *ln = &l->lines[l->nlines++];

					cr_assert(l->nlines <= 4);
					while (tu_pbr_next(&y, &h, &w, &z)) {
						if (h == 1)
							ln->func = w;
						else if (h == 2)
							ln->line = (int64_t)w;
						else
							cr_assert_fail("Line field %u", h);
					}
				} else {
					cr_assert_fail("Location field %u", g);
				}
			}
			break;
		}
		case 3: {
			struct dfunc *fn = &d->funcs[d->nfuncs++];

			cr_assert(d->nfuncs <= CAP);
			cr_assert(d->nfuncs > 1 || empty(&sub), "function_table[0] is empty");
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &w, &y)) {
				if (g == 1)
					fn->name = varint(wt2, w, "name_strindex");
				else if (g == 2)
					fn->system_name = varint(wt2, w, "system_name_strindex");
				else if (g == 3)
					fn->file = varint(wt2, w, "filename_strindex");
				else
					cr_assert_fail("Function field %u", g);
			}
			break;
		}
		case 4:
			cr_assert(empty(&sub), "link_table: only the zero entry");
			d->nlinks++;
			break;
		case 5:
			cr_assert(d->nstr < CAP);
			d->str[d->nstr] = strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
			d->nstr++;
			break;
		case 6: {
			struct dattr *a = &d->attrs[d->nattrs++];

			cr_assert(d->nattrs <= CAP);
			cr_assert(d->nattrs > 1 || empty(&sub), "attribute_table[0] is empty");
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &w, &y)) {
				if (g == 1) {
					a->key = varint(wt2, w, "key_strindex");
				} else {
					cr_assert_eq(g, 2, "KeyValueAndUnit: key and value (no unit)");
					cr_assert(tu_pbr_next(&y, &h, &w, &z) && h == 1,
						  "a string value");
					copy_str(a->val, sizeof(a->val), &z);
				}
			}
			break;
		}
		case 7: {
			struct dstack *s = &d->stacks[d->nstacks++];

			cr_assert(d->nstacks <= CAP);
			cr_assert(d->nstacks > 1 || empty(&sub), "stack_table[0] is empty");
			x = sub;
			while (tu_pbr_field(&x, &g, &wt2, &w, &y)) {
				cr_assert_eq(g, 1, "Stack: location_indices only");
				s->nlocs = packed(y, wt2, w, s->locs, 16);
			}
			break;
		}
		default:
			cr_assert_fail("unexpected dictionary field %u", f);
		}
	}
}

static struct dreq *decode(struct gmt_pb *b)
{
	struct dreq *d = calloc(1, sizeof(*d));
	struct tu_pbr r, sub, x, y, z, w;
	uint64_t v;
	uint32_t f, g, h, k;
	size_t len;

	cr_assert(d);
	r.p = gmt_pb__data(b, &len);
	r.end = r.p + len;
	while (tu_pbr_next(&r, &f, &v, &sub)) {
		if (f == 2) {
			decode_dictionary(sub, d);
			continue;
		}
		cr_assert_eq(f, 1, "request: resource_profiles and dictionary only");
		d->nrp++;
		x = sub;
		while (tu_pbr_next(&x, &g, &v, &y)) {
			if (g == 1) {
				decode_resource(y, d);
				continue;
			}
			cr_assert_eq(g, 2, "ResourceProfiles: resource and scope_profiles");
			d->nsp++;
			while (tu_pbr_next(&y, &h, &v, &z)) {
				if (h == 2) {
					cr_assert(d->np < 8);
					decode_profile(z, &d->p[d->np++]);
					continue;
				}
				cr_assert_eq(h, 1, "ScopeProfiles: scope and profiles");
				while (tu_pbr_next(&z, &k, &v, &w)) {
					if (k == 1)
						copy_str(d->scope, sizeof(d->scope), &w);
					else if (k == 2)
						copy_str(d->scope_version, sizeof(d->scope_version), &w);
				}
			}
		}
	}
	return d;
}

static void free_req(struct dreq *d)
{
	for (int i = 0; i < d->nstr; i++)
		free(d->str[i]);
	free(d);
}

static const char *S(const struct dreq *d, uint64_t i)
{
	cr_assert_lt(i, (uint64_t)d->nstr, "string index %" PRIu64 " in range", i);
	return d->str[i];
}

/* The rules every table follows (what decode.py checks on the Collector's output). */
static void check_dictionary(const struct dreq *d)
{
	cr_assert_eq(d->ndict, 1, "one dictionary per request");
	cr_assert_gt(d->nstr, 0);
	cr_assert_str_eq(d->str[0], "", "string_table[0] is \"\"");
	cr_assert(d->nmaps >= 1 && d->nlocs >= 1 && d->nfuncs >= 1 && d->nattrs >= 1 &&
			  d->nstacks >= 1 && d->nlinks == 1,
		  "every table has its zero entry");
	for (int i = 0; i < d->nmaps; i++) {
		S(d, d->maps[i].filename);
		for (int j = 0; j < d->maps[i].nattrs; j++)
			cr_assert_lt(d->maps[i].attrs[j], (uint64_t)d->nattrs);
	}
	for (int i = 0; i < d->nlocs; i++) {
		cr_assert_lt(d->locs[i].mapping, (uint64_t)d->nmaps);
		for (int j = 0; j < d->locs[i].nlines; j++)
			cr_assert(d->locs[i].lines[j].func > 0 &&
				  d->locs[i].lines[j].func < (uint64_t)d->nfuncs);
	}
	for (int i = 0; i < d->nfuncs; i++) {
		S(d, d->funcs[i].name);
		S(d, d->funcs[i].file);
		cr_assert_eq(d->funcs[i].system_name, d->funcs[i].name);
	}
	for (int i = 0; i < d->nattrs; i++)
		S(d, d->attrs[i].key);
	for (int i = 1; i < d->nstacks; i++)
		for (int j = 0; j < d->stacks[i].nlocs; j++)
			cr_assert(d->stacks[i].locs[j] > 0 &&
				  d->stacks[i].locs[j] < (uint64_t)d->nlocs);
	/* Each string once. */
	for (int i = 0; i < d->nstr; i++)
		for (int j = i + 1; j < d->nstr; j++)
			cr_assert_str_neq(d->str[i], d->str[j], "string %d and %d differ", i, j);
}

/* A Stack as test_pprof.c's text: "0xPC M=mapping {func@file:line,...};..." leaf first. */
static void stack_text(const struct dreq *d, uint64_t si, char *out, size_t len)
{
	const struct dstack *s;

	cr_assert(si > 0 && si < (uint64_t)d->nstacks, "stack index %" PRIu64 " in range", si);
	s = &d->stacks[si];
	out[0] = 0;
	for (int i = 0; i < s->nlocs; i++) {
		const struct dloc *l = &d->locs[s->locs[i]];

		snprintf(out + strlen(out), len - strlen(out), "%s0x%" PRIx64 " M=%" PRIu64 " {",
			 i ? ";" : "", l->address, l->mapping);
		for (int j = 0; j < l->nlines; j++) {
			const struct dfunc *fn = &d->funcs[l->lines[j].func];

			snprintf(out + strlen(out), len - strlen(out), "%s%s@%s:%" PRId64,
				 j ? "," : "", S(d, fn->name), S(d, fn->file), l->lines[j].line);
		}
		snprintf(out + strlen(out), len - strlen(out), "}");
	}
}

static const struct dprofile *profile_of(const struct dreq *d, const char *type,
					 const char *unit)
{
	for (int i = 0; i < d->np; i++)
		if (!strcmp(S(d, d->p[i].type), type) && !strcmp(S(d, d->p[i].unit), unit))
			return &d->p[i];
	cr_assert_fail("a profile of %s/%s", type, unit);
	return NULL;
}

/* The samples of a profile against exp_base's column: (stack, value) for every non-zero. */
static int64_t check_profile(const struct dreq *d, const char *type, const char *unit,
			     int col)
{
	const struct dprofile *p = profile_of(d, type, unit);
	bool seen[NEXP] = {};
	int64_t total = 0;
	size_t want = 0;
	char text[2048];

	for (size_t e = 0; e < NEXP; e++) {
		const int64_t v[4] = { exp_base[e].count, exp_base[e].bytes,
				       exp_base[e].inuse_objects, exp_base[e].inuse_bytes };

		want += v[col] != 0;
	}
	cr_assert_eq((size_t)p->ns, want, "%s: one sample per stack with a value (%zu, got %d)",
		     type, want, p->ns);
	for (int i = 0; i < p->ns; i++) {
		bool found = false;

		cr_assert_eq(p->s[i].nvalues, 1, "%s: one value per sample", type);
		stack_text(d, p->s[i].stack, text, sizeof(text));
		for (size_t e = 0; e < NEXP && !found; e++) {
			const int64_t v[4] = { exp_base[e].count, exp_base[e].bytes,
					       exp_base[e].inuse_objects,
					       exp_base[e].inuse_bytes };

			if (seen[e] || strcmp(exp_base[e].stack, text) || v[col] != p->s[i].values[0])
				continue;
			seen[e] = found = true;
		}
		cr_assert(found, "%s: sample %" PRId64 " at %s is expected", type,
			  p->s[i].values[0], text);
		total += p->s[i].values[0];
	}
	cr_assert_eq(p->time, WALL_START, "time_unix_nano: the start of the recording");
	cr_assert_eq(p->duration, 3000000000ULL, "duration_nano: 3 s");
	cr_assert_str_eq(S(d, p->ptype), "space");
	cr_assert_str_eq(S(d, p->punit), "bytes");
	cr_assert_eq(p->idlen, 16, "a 16-byte profile_id");
	return total;
}

/* The totals per sample type of alloc.pb.gz written from the same inputs. */
static void pprof_totals(const struct gmt_agg *a, const struct gmt_run_info *ri,
			 const struct gmt_pprof_opts *o, int64_t tot[4], int *ntypes)
{
	char *buf = NULL;
	size_t blen = 0, len;
	FILE *f = open_memstream(&buf, &blen);
	uint8_t *raw;
	struct tu_pbr r, sub, x, y;
	uint64_t v;
	uint32_t fl, g;

	cr_assert(f);
	cr_assert_eq(gmt_write_pprof(a, &fake_sym, f, ri, o), 0);
	cr_assert_eq(fclose(f), 0);
	raw = tu_gunzip((const uint8_t *)buf, blen, &len);
	memset(tot, 0, 4 * sizeof(*tot));
	*ntypes = 0;
	r.p = raw;
	r.end = raw + len;
	while (tu_pbr_next(&r, &fl, &v, &sub)) {
		if (fl == 1)
			(*ntypes)++; /* sample_type */
		if (fl != 2)
			continue;
		x = sub;
		while (tu_pbr_next(&x, &g, &v, &y)) {
			int i = 0;

			if (g != 2) /* value, packed */
				continue;
			while (y.p < y.end)
				tot[i++] += (int64_t)tu_pbr_varint(&y);
		}
	}
	free(raw);
	free(buf);
}

Test(otlp_profiles, exact_alloc_profiles)
{
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	struct gmt_otlp_profiles p = request(a, &ri, &o);
	struct gmt_pb *b = gmt_pb__new();
	int64_t ptot[4];
	int ntypes;
	struct dreq *d;

	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), 0, "the encoder succeeds");
	d = decode(b);
	check_dictionary(d);
	cr_assert_eq(d->nrp, 1, "one ResourceProfiles");
	cr_assert_eq(d->nsp, 1, "one ScopeProfiles");
	cr_assert_str_eq(d->scope, "gomemtrace");
	cr_assert_str_eq(d->scope_version, "9.9");
	cr_assert_eq(d->nres, 2, "the resource's attributes");
	cr_assert_str_eq(d->res_key[0], "service.name");
	cr_assert_str_eq(d->res_str[0], "shop");
	cr_assert_str_eq(d->res_key[1], "process.pid");
	cr_assert_eq(d->res_int[1], 4242);

	cr_assert_eq(d->np, 2, "exact mode: alloc_objects and alloc_space");
	cr_assert_eq(check_profile(d, "alloc_objects", "count", 0), 37, "15+3+4+1+3+2+9 objects");
	cr_assert_eq(check_profile(d, "alloc_space", "bytes", 1), 12452,
		     "980+2048+4096+5000+48+128+152 bytes");
	cr_assert_eq(d->p[0].period, 1, "exact mode: period 1");
	cr_assert(memcmp(d->p[0].id, d->p[1].id, 16), "each profile its own ID");
	cr_assert(memcmp(d->p[0].id, (uint8_t[16]){}, 16), "an ID is not all zero");

	pprof_totals(a, &ri, &o, ptot, &ntypes);
	cr_assert_eq(ntypes, 2);
	cr_assert_eq(ptot[0], 37, "alloc.pb.gz's alloc_objects total is the same");
	cr_assert_eq(ptot[1], 12452, "alloc.pb.gz's alloc_space total is the same");

	/* Mapping 1: the executable, with its three build IDs. */
	cr_assert_eq(d->nmaps, 2, "the zero mapping and the executable");
	cr_assert_eq(d->maps[1].start, MAP_START);
	cr_assert_eq(d->maps[1].limit, MAP_LIMIT);
	cr_assert_eq(d->maps[1].offset, 0x1000);
	cr_assert_str_eq(S(d, d->maps[1].filename), "/srv/demo");
	cr_assert_eq(d->maps[1].nattrs, 3, "three build IDs");
	cr_assert_str_eq(S(d, d->attrs[d->maps[1].attrs[0]].key), "process.executable.build_id.gnu");
	cr_assert_str_eq(d->attrs[d->maps[1].attrs[0]].val,
			 "ee6c295698442820a1d96c85b44965f30f8af384");
	cr_assert_str_eq(S(d, d->attrs[d->maps[1].attrs[1]].key), "process.executable.build_id.go");
	cr_assert_str_eq(d->attrs[d->maps[1].attrs[1]].val,
			 "guBkCr-Nv3EUToZPj2kw/w9JEAcgfaf0IOWFeBA0h");
	cr_assert_str_eq(S(d, d->attrs[d->maps[1].attrs[2]].key),
			 "process.executable.build_id.htlhash");

	/* Shared entries: one Location per return address, one Function per name. */
	cr_assert_eq(d->nlocs, 1 + 10, "the zero Location, 8 return addresses (0x7100 is "
					"left out), [truncated], [unknown stack]");
	cr_assert_eq(d->nfuncs, 1 + 10, "the zero Function and 10 distinct names");
	cr_assert_eq(d->nstacks, 1 + 7, "the zero Stack and one per sample");
	free_req(d);
	gmt_pb__free(b);
	gmt_agg__free(a);
}

/* Sampled mode: the live heap of each stack through inuse_fn, as alloc.pb.gz gets it. */
Test(otlp_profiles, sampled_adds_the_live_heap)
{
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	struct gmt_otlp_profiles p;
	struct gmt_pb *b = gmt_pb__new();
	int64_t ptot[4];
	int ntypes;
	struct dreq *d;

	o.period = 524288;
	o.inuse = true;
	o.inuse_fn = fake_inuse;
	p = request(a, &ri, &o);
	calls = 0;
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), 0, "the encoder succeeds");
	cr_assert_gt(calls, 0, "inuse_fn was asked");
	d = decode(b);
	check_dictionary(d);
	cr_assert_eq(d->np, 4, "alloc_objects, alloc_space, inuse_objects, inuse_space");
	cr_assert_eq(check_profile(d, "alloc_objects", "count", 0), 37);
	cr_assert_eq(check_profile(d, "alloc_space", "bytes", 1), 12452);
	cr_assert_eq(check_profile(d, "inuse_objects", "count", 2), 8, "5 + 1 + 2");
	cr_assert_eq(check_profile(d, "inuse_space", "bytes", 3), 1452, "300 + 1024 + 128");
	for (int i = 0; i < d->np; i++)
		cr_assert_eq(d->p[i].period, 524288, "the sampling rate is the period");
	cr_assert_eq(d->nstacks, 1 + 7, "the four profiles share one Stack per row");
	pprof_totals(a, &ri, &o, ptot, &ntypes);
	cr_assert_eq(ntypes, 4);
	cr_assert(ptot[0] == 37 && ptot[1] == 12452 && ptot[2] == 8 && ptot[3] == 1452,
		  "alloc.pb.gz's totals are the same");
	free_req(d);
	gmt_pb__free(b);
	gmt_agg__free(a);
}

/* The daemon's live heap of its own (inuse.pb.gz's aggregator) as inuse_*. */
Test(otlp_profiles, live_heap_aggregator)
{
	struct gmt_agg *a = build_base(), *live = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_pprof_opts o = exact_opts();
	struct gmt_otlp_profiles p = request(a, &ri, &o);
	struct gmt_pb *b = gmt_pb__new();
	struct dreq *d;

	p.inuse_agg = live;
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), 0, "the encoder succeeds");
	d = decode(b);
	check_dictionary(d);
	cr_assert_eq(d->np, 4, "alloc_* from one aggregator, inuse_* from the other");
	/* The live aggregator's counts are its objects and bytes (inuse_only). */
	cr_assert_eq(check_profile(d, "inuse_objects", "count", 0), 37);
	cr_assert_eq(check_profile(d, "inuse_space", "bytes", 1), 12452);
	cr_assert_eq(check_profile(d, "alloc_space", "bytes", 1), 12452);
	cr_assert_eq(d->nlocs, 1 + 10, "Locations shared between the two");
	free_req(d);
	gmt_pb__free(b);
	gmt_agg__free(live);
	gmt_agg__free(a);
}

/* Nothing known about the binary: no build ID attributes, filename from the run info. */
Test(otlp_profiles, no_build_ids_no_mapping_range)
{
	struct gmt_agg *a = build_base();
	struct gmt_run_info ri = run_info();
	struct gmt_otlp_profiles p = request(a, &ri, NULL);
	struct gmt_pb *b = gmt_pb__new();
	struct dreq *d;

	p.ids = (struct gmt_otlp_build_ids){ .go = "" };
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), 0, "the encoder succeeds");
	d = decode(b);
	check_dictionary(d);
	cr_assert_eq(d->maps[1].nattrs, 0, "no build ID: no attribute");
	cr_assert_eq(d->nattrs, 1, "only the zero attribute");
	cr_assert_str_eq(S(d, d->maps[1].filename), "/srv/demo", "the run info's binary");
	for (int i = 1; i < d->nlocs; i++)
		cr_assert_eq(d->locs[i].mapping, d->locs[i].address ? 1 : 0,
			     "no range: every address in the executable's mapping");
	cr_assert_eq(d->p[0].period, 1, "no options: period 1");
	free_req(d);
	gmt_pb__free(b);
	gmt_agg__free(a);
}

static int failing_inuse(void *ctx, const struct gmt_agg_stack *s, uint64_t *objects,
			 uint64_t *bytes)
{
	return -EIO;
}

Test(otlp_profiles, errors)
{
	struct gmt_agg *a = build_base();
	struct gmt_pprof_opts o = exact_opts();
	struct gmt_otlp_profiles p = request(a, NULL, &o);
	struct gmt_pb *b = gmt_pb__new();
	size_t len;

	p.agg = NULL;
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), -EINVAL, "no aggregator");
	p.agg = a;
	o.inuse = true;
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), -EINVAL, "inuse without inuse_fn");
	o.inuse_fn = failing_inuse;
	cr_assert_eq(gmt_otlp_profiles_encode(&p, b), -EIO, "inuse_fn's error");
	gmt_pb__data(b, &len);
	cr_assert_eq(len, 0, "nothing appended on failure");
	gmt_pb__free(b);
	gmt_agg__free(a);
}
