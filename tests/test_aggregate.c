// SPDX-License-Identifier: MIT
/*
 * The aggregator, the size-class rounding and the output writers, on synthetic stacks
 * and types with a fake symbolizer; the rounding is also checked against
 * MemStats.TotalAlloc measured by a small Go program with every toolchain at hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "outputs.h"
#include "sizeclass.h"
#include "testutil.h"

/* ---- a fake symbolizer: hand-made frames and types ---- */

struct fake_pc {
	uint64_t pc;
	int n;
	struct gmt_frame f[3]; /* innermost first, the physical function last */
};

static const struct fake_pc fake_pcs[] = {
	/* strings.ToUpper inlined into main.parseLine; two return addresses, same lines */
	{ 0x1010, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x1011, 2, { { "strings.ToUpper", "/go/src/strings/strings.go", 640 },
		       { "main.parseLine", "/src/demo/main.go", 31 } } },
	{ 0x2020, 1, { { "main.main", "/src/demo/main.go", 60 } } },
	{ 0x3030, 1, { { "runtime.main", "/go/src/runtime/proc.go", 283 } } },
	{ 0x4040, 2, { { "main.G[go.shape.struct { a int; b int }]", "/src/demo/g.go", 7 },
		       { "main.(*T).method", "/src/demo/t.go", 12 } } },
	{ 0x7070, 1, { { "main.zero", "/src/demo/main.go", 90 } } },
	/* 0x5050 does not symbolize */
};

struct fake_type {
	uint64_t typ;
	const char *name;
	uint64_t size, ptrbytes;
};

#define T1 0x500100ULL /* main.record: pointerful, 48 bytes */
#define T2 0x500200ULL /* uint8 */
#define T3 0x500300ULL /* an address the binary cannot name */

static const struct fake_type fake_types[] = {
	{ T1, "main.record", 48, 40 },
	{ T2, "uint8", 1, 0 },
};

struct fake_ctx {
	int type_calls;
};

static int fake_frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max)
{
	for (size_t i = 0; i < sizeof(fake_pcs) / sizeof(fake_pcs[0]); i++) {
		if (fake_pcs[i].pc != pc)
			continue;
		int n = fake_pcs[i].n < max ? fake_pcs[i].n : max;

		memcpy(out, fake_pcs[i].f, n * sizeof(*out));
		return n;
	}
	return -ENOENT;
}

static int fake_type_info(void *ctx, uint64_t typ, struct gmt_type_info *ti)
{
	struct fake_ctx *fc = ctx;

	fc->type_calls++;
	for (size_t i = 0; i < sizeof(fake_types) / sizeof(fake_types[0]); i++) {
		if (fake_types[i].typ != typ)
			continue;
		snprintf(ti->name, sizeof(ti->name), "%s", fake_types[i].name);
		ti->size = fake_types[i].size;
		ti->ptrbytes = fake_types[i].ptrbytes;
		return 0;
	}
	return -ENOENT;
}

/*
 * The data set every test below uses, for go1.22 rules.  Expected values are computed by
 * hand from runtime/sizeclasses.go, in the comments.
 *   stack A 0x100: 0x1010 <- 0x2020 <- 0x3030
 *   stack B 0x200: 0x1011 <- 0x2020 <- 0x3030   (symbolizes exactly like A)
 *   stack C 0x300: 0x4040 <- 0x5050, truncated  (0x5050 does not symbolize)
 *   stack D 0x400: arrives, never allocates
 *   stack F 0x600: only zero-size allocations
 *   0x999 never arrives; 0 is "the walk failed"
 */
struct fixture {
	struct fake_ctx ctx;
	struct gmt_symbolizer sym;
	struct gmt_agg *a;
};

static void build(struct fixture *fx, int go_minor)
{
	static const uint64_t pa[] = { 0x1010, 0x2020, 0x3030 };
	static const uint64_t pb[] = { 0x1011, 0x2020, 0x3030 };
	static const uint64_t pc[] = { 0x4040, 0x5050 };
	static const uint64_t pd[] = { 0x2020, 0x3030 };
	static const uint64_t pf[] = { 0x7070, 0x3030 };
	struct gmt_agg *a;

	memset(fx, 0, sizeof(*fx));
	fx->sym = (struct gmt_symbolizer){ fake_frames, fake_type_info, &fx->ctx };
	a = fx->a = gmt_agg__new(go_minor);
	cr_assert(a, "gmt_agg__new allocates");
	cr_assert_eq(gmt_agg__add_allocs(a, 0x100, T1, 48, 6), 0,
		     "alloc before its stack is accepted");
	cr_assert_eq(gmt_agg__add_stack(a, 0x100, pa, 3, false), 0, "stack A is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x200, pb, 3, false), 0, "stack B is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x300, pc, 2, true), 0, "stack C is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x400, pd, 2, false), 0, "stack D is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x600, pf, 2, false), 0, "stack F is added");
	cr_assert_eq(gmt_agg__add_stack(a, 0x100, pb, 3, true), 0, "a re-sent stack is a no-op");

	gmt_agg__add_allocs(a, 0x100, T1, 48, 4);   /* A: 10 x 48 -> 480 / 480 */
	gmt_agg__add_allocs(a, 0x100, 0, 100, 5);   /* A: 5 x 100 -> 500 / 5 x 112 = 560 */
	gmt_agg__add_allocs(a, 0x100, T2, 0, 3);    /* A: 3 zero-size */
	gmt_agg__add_allocs(a, 0x200, T2, 1000, 2); /* B: 2000 / 2 x 1024 = 2048 */
	gmt_agg__add_allocs(a, 0x200, T1, 48, 1);   /* B: 48 / 48 */
	gmt_agg__add_allocs(a, 0x300, T3, 1024, 4); /* C: unknown = scan, 1032: 4096 / 4 x 1152 */
	gmt_agg__add_allocs(a, 0x999, 0, 8, 7);     /* never-arrived: 56 / 56 */
	gmt_agg__add_allocs(a, 0, T1, 48, 2);	    /* walk failed: 96 / 96 */
	gmt_agg__add_allocs(a, 0x600, 0, 0, 5);     /* F: 5 zero-size */
	gmt_agg__add_allocs(a, 0x600, 0, 0, 0);     /* a zero count changes nothing */
	cr_assert_eq(gmt_agg__add_rate_point(a, 3000000000ULL, 40, 1500), 0, "rate point");
	gmt_agg__add_rate_point(a, 2000000000ULL, 10, 1000); /* out of order on purpose */
	gmt_agg__add_rate_point(a, 3000000000ULL, 40, 1500); /* no time passed */
	gmt_agg__add_rate_point(a, 4000000000ULL, 45, 2000);
	cr_assert_eq(gmt_agg__finish(a, &fx->sym), 0, "finish succeeds");
}

static struct gmt_run_info run_info(void)
{
	struct gmt_run_info ri = {
		.mode = "exact",
		.go_version = "go1.22.12",
		.binary = "/srv/demo",
		.comm = "demo",
		.pid = 4242,
		.duration_s = 3.0,
		.start_ns = 1000000000ULL,
		.end_ns = 4000000000ULL,
		.ringbuf_mb = 16,
	};
	return ri;
}

static const struct gmt_agg_stack *find_stack(const struct gmt_agg *a, uint64_t id)
{
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(a, &st);

	for (size_t i = 0; i < n; i++)
		if (st[i]->id == id)
			return st[i];
	return NULL;
}

static const struct gmt_agg_type *find_type(const struct gmt_agg *a, uint64_t typ)
{
	const struct gmt_agg_type *const *ty;
	size_t n = gmt_agg__types(a, &ty);

	for (size_t i = 0; i < n; i++)
		if (ty[i]->typ == typ)
			return ty[i];
	return NULL;
}

static char *capture(int (*fn)(struct fixture *, FILE *, void *), struct fixture *fx, void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(fn(fx, f, arg), 0, "the writer reports success");
	fclose(f);
	return buf;
}

/* ---- size classes ---- */

Test(sizeclass, known_sizes)
{
	cr_assert_eq(gmt_go_alloc_size(0, true, 22), 0, "zero-size allocations reserve nothing");
	cr_assert_eq(gmt_go_alloc_size(1, true, 22), 1, "1 byte tiny: 16 share one block");
	cr_assert_eq(gmt_go_alloc_size(8, true, 22), 8, "8 bytes tiny: 2 per block");
	cr_assert_eq(gmt_go_alloc_size(3, true, 22), 3, "3 bytes tiny: 16/5 = 3.2, rounded");
	cr_assert_eq(gmt_go_alloc_size(7, true, 22), 8, "7 bytes tiny: only 2 fit a block");
	cr_assert_eq(gmt_go_alloc_size(9, true, 22), 16, "9 bytes tiny: one per block");
	cr_assert_eq(gmt_go_alloc_size(15, true, 19), 16, "15 bytes tiny: one per block");
	cr_assert_eq(gmt_go_alloc_size_n(3, true, 22, 5), 16, "five 3-byte tiny objects: a block");
	cr_assert_eq(gmt_go_alloc_size_n(5, true, 22, 3), 16, "three 5-byte tiny objects: a block");
	cr_assert_eq(gmt_go_alloc_size(1, false, 22), 8, "a pointerful byte is not tiny: class 8");
	cr_assert_eq(gmt_go_alloc_size(12, false, 22), 16, "pointerful 12 bytes: class 16");
	cr_assert_eq(gmt_go_alloc_size(16, true, 22), 16, "16 bytes is past the tiny allocator");
	cr_assert_eq(gmt_go_alloc_size(17, true, 22), 24, "17 -> class 24");
	cr_assert_eq(gmt_go_alloc_size(33, true, 22), 48, "33 -> class 48");
	cr_assert_eq(gmt_go_alloc_size(100, true, 22), 112, "100 -> class 112");
	cr_assert_eq(gmt_go_alloc_size(512, false, 22), 512, "512 pointerful: no header yet");
	cr_assert_eq(gmt_go_alloc_size(513, false, 22), 576, "513 scan on 1.22: 521 -> class 576");
	cr_assert_eq(gmt_go_alloc_size(513, false, 19), 576, "513 scan on 1.19: class 576");
	cr_assert_eq(gmt_go_alloc_size(1024, false, 19), 1024, "1024 scan on 1.19: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, 21), 1024, "1024 scan on 1.21: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, 22), 1152, "1024 scan on 1.22: 1032 -> 1152");
	cr_assert_eq(gmt_go_alloc_size(1024, true, 22), 1024, "1024 noscan on 1.22: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, 0), 1152, "unknown version: newest rules");
	cr_assert_eq(gmt_go_alloc_size(1025, true, 22), 1152, "1025 -> class 1152");
	cr_assert_eq(gmt_go_alloc_size(19000, true, 22), 19072, "19000 -> class 19072");
	cr_assert_eq(gmt_go_alloc_size(32760, false, 22), 32768, "32760 scan + header: last class");
	cr_assert_eq(gmt_go_alloc_size(32761, true, 22), 32768, "32761 on 1.22 is large: 4 pages");
	cr_assert_eq(gmt_go_alloc_size(32768, true, 19), 32768, "32768 on 1.19: last class");
	cr_assert_eq(gmt_go_alloc_size(32769, true, 22), 40960, "32769 -> 5 pages");
	cr_assert_eq(gmt_go_alloc_size(100000, false, 22), 106496, "100000 -> 13 pages");
	cr_assert_eq(gmt_go_alloc_size(UINT64_MAX, true, 22), UINT64_MAX, "huge sizes saturate");
	cr_assert_eq(gmt_go_alloc_size_n(100000, true, 22, UINT64_MAX / 2), UINT64_MAX,
		     "size x count saturates");
}

Test(sizeclass, every_small_size_rounds_to_a_class)
{
	uint64_t prev = 0;
	int classes = 0;

	for (uint64_t s = 16; s <= 32768; s++) {
		uint64_t r = gmt_go_alloc_size(s, true, 19);

		cr_assert_geq(r, s, "reserved >= requested for %llu", (unsigned long long)s);
		cr_assert_geq(r, prev, "rounding is monotonic at %llu", (unsigned long long)s);
		cr_assert_eq(r % 8, 0, "classes are 8-byte multiples (%llu -> %llu)",
			     (unsigned long long)s, (unsigned long long)r);
		cr_assert_eq(gmt_go_alloc_size(r, true, 19), r, "a class rounds to itself (%llu)",
			     (unsigned long long)r);
		classes += r != prev;
		prev = r;
	}
	cr_assert_eq(classes, 66, "sizes 16..32768 use classes 2..67 (%d)", classes);
}

/* ---- the aggregator ---- */

Test(aggregate, totals)
{
	struct fixture fx;
	const struct gmt_agg_totals *t;

	build(&fx, 22);
	t = gmt_agg__totals(fx.a);
	cr_assert_eq(t->allocs, 31, "allocs sums every non-zero-size row (%llu)",
		     (unsigned long long)t->allocs);
	cr_assert_eq(t->bytes, 7276, "requested bytes (%llu)", (unsigned long long)t->bytes);
	cr_assert_eq(t->reserved, 7896, "reserved bytes (%llu)", (unsigned long long)t->reserved);
	cr_assert_eq(t->zero_size, 8, "zero-size allocations are counted apart");
	cr_assert_eq(t->stacks, 5, "A, B, C, F and [unknown stack]; D never allocated");
	cr_assert_eq(t->unknown_stack_allocs, 9, "7 from a stack that never came + 2 failed walks");
	cr_assert_eq(fx.ctx.type_calls, 3, "type_info once per distinct non-zero typ");
	gmt_agg__free(fx.a);
}

Test(aggregate, go119_rules_change_reserved_only)
{
	struct fixture fx;
	const struct gmt_agg_totals *t;

	build(&fx, 19);
	t = gmt_agg__totals(fx.a);
	cr_assert_eq(t->bytes, 7276, "requested bytes do not depend on the version");
	cr_assert_eq(t->reserved, 7896 - 4 * (1152 - 1024), "no malloc header before 1.22");
	cr_assert_eq(gmt_agg__go_minor(fx.a), 19, "go_minor is kept");
	gmt_agg__free(fx.a);
}

Test(aggregate, per_stack)
{
	struct fixture fx;
	const struct gmt_agg_stack *s;

	build(&fx, 22);
	s = find_stack(fx.a, 0x100);
	cr_assert(s, "stack A is in the view");
	cr_assert_eq(s->depth, 3, "A keeps its depth");
	cr_assert_eq(s->pcs[0], 0x1010, "A keeps its leaf pc (the first add wins)");
	cr_assert_not(s->truncated, "A is not truncated (a re-send does not change it)");
	cr_assert_eq(s->count, 15, "A count (6+4 merged) + 5");
	cr_assert_eq(s->bytes, 980, "A bytes");
	cr_assert_eq(s->reserved, 1040, "A reserved: 480 + 5 x 112");
	cr_assert_eq(s->zero_size, 3, "A zero-size");
	cr_assert_eq(s->hist[5], 10, "A: 48-byte allocations in [32, 64)");
	cr_assert_eq(s->hist[6], 5, "A: 100-byte allocations in [64, 128)");
	cr_assert_eq(s->hist[0], 0, "zero-size allocations are not in the histogram");

	s = find_stack(fx.a, 0x200);
	cr_assert(s && s->count == 3 && s->bytes == 2048 && s->reserved == 2096, "stack B sums");
	cr_assert(s->hist[9] == 2 && s->hist[5] == 1, "B: 1000 in [512, 1K), 48 in [32, 64)");
	s = find_stack(fx.a, 0x300);
	cr_assert(s && s->count == 4 && s->bytes == 4096 && s->reserved == 4608, "stack C sums");
	cr_assert(s->truncated, "C is truncated");
	cr_assert_eq(s->hist[10], 4, "C: 1024 in [1K, 2K)");
	s = find_stack(fx.a, GMT_AGG_UNKNOWN_STACK_ID);
	cr_assert(s && gmt_agg_stack_is_unknown(s), "the synthetic unknown stack exists");
	cr_assert(s->count == 9 && s->bytes == 152 && s->reserved == 152, "unknown stack sums");
	s = find_stack(fx.a, 0x600);
	cr_assert(s && s->count == 0 && s->zero_size == 5 && s->bytes == 0,
		  "a stack with only zero-size allocations is listed with count 0");
	cr_assert_null(find_stack(fx.a, 0x400), "a stack without allocations is not listed");
	gmt_agg__free(fx.a);
}

Test(aggregate, per_type)
{
	struct fixture fx;
	const struct gmt_agg_type *t;

	build(&fx, 22);
	t = find_type(fx.a, T1);
	cr_assert(t && t->known, "main.record is resolved");
	cr_assert_str_eq(t->info.name, "main.record", "its name comes from type_info");
	cr_assert(t->count == 13 && t->bytes == 624 && t->reserved == 624, "main.record sums");
	t = find_type(fx.a, T2);
	cr_assert(t && t->count == 2 && t->bytes == 2000 && t->reserved == 2048, "uint8 sums");
	cr_assert_eq(t->zero_size, 3, "uint8 zero-size");
	t = find_type(fx.a, T3);
	cr_assert(t && !t->known && !t->info.name[0], "an unresolved type has an empty name");
	cr_assert(t->count == 4 && t->reserved == 4608, "an unresolved type counts as pointerful");
	t = find_type(fx.a, 0);
	cr_assert(t && t->count == 12 && t->bytes == 556 && t->reserved == 616, "untyped sums");
	cr_assert_eq(t->zero_size, 5, "untyped zero-size");
	gmt_agg__free(fx.a);
}

Test(aggregate, sorted_views)
{
	struct fixture fx;
	const struct gmt_agg_stack *const *st;
	const struct gmt_agg_type *const *ty;
	const struct gmt_rate_point *rp;
	size_t n;

	build(&fx, 22);
	n = gmt_agg__stacks_by_bytes(fx.a, &st);
	cr_assert_eq(n, 5, "five stacks by bytes");
	cr_assert(st[0]->id == 0x300 && st[1]->id == 0x200 && st[2]->id == 0x100 &&
			  gmt_agg_stack_is_unknown(st[3]) && st[4]->id == 0x600,
		  "by bytes: C 4096, B 2048, A 980, unknown 152, F 0");
	n = gmt_agg__stacks_by_count(fx.a, &st);
	cr_assert_eq(n, 5, "five stacks by count");
	cr_assert(st[0]->id == 0x100 && gmt_agg_stack_is_unknown(st[1]) && st[2]->id == 0x300 &&
			  st[3]->id == 0x200 && st[4]->id == 0x600,
		  "by count: A 15, unknown 9, C 4, B 3, F 0");
	n = gmt_agg__types(fx.a, &ty);
	cr_assert_eq(n, 4, "four distinct types");
	cr_assert(ty[0]->typ == T3 && ty[1]->typ == T2 && ty[2]->typ == T1 && ty[3]->typ == 0,
		  "types by bytes: 4096, 2000, 624, 556");
	n = gmt_agg__rate(fx.a, &rp);
	cr_assert_eq(n, 4, "all rate points are kept");
	cr_assert(rp[0].ts_ns == 2000000000ULL && rp[3].ts_ns == 4000000000ULL,
		  "rate points are in time order");
	gmt_agg__free(fx.a);
}

Test(aggregate, api_misuse)
{
	struct gmt_agg *a = gmt_agg__new(22);
	uint64_t pc = 1;

	cr_assert_eq(gmt_agg__add_stack(a, 0, &pc, 1, false), -EINVAL, "stack id 0 is reserved");
	cr_assert_eq(gmt_agg__add_stack(a, 5, &pc, 0, false), -EINVAL, "an empty stack is refused");
	cr_assert_eq(gmt_agg__finish(a, NULL), 0, "finishing an empty aggregator works");
	cr_assert_eq(gmt_agg__totals(a)->allocs, 0, "no allocations");
	cr_assert_eq(gmt_agg__add_allocs(a, 5, 0, 8, 1), -EINVAL, "no adds after finish");
	cr_assert_eq(gmt_agg__add_stack(a, 5, &pc, 1, false), -EINVAL, "no stacks after finish");
	cr_assert_eq(gmt_agg__finish(a, NULL), -EINVAL, "finish runs once");
	gmt_agg__free(a);
	gmt_agg__free(NULL);
}

Test(aggregate, many_rows_stay_consistent)
{
	struct gmt_agg *a = gmt_agg__new(22);
	const struct gmt_agg_stack *const *st;
	uint64_t want_allocs = 0, want_bytes = 0;
	size_t n;

	/* Enough entries to grow every table several times. */
	for (uint64_t s = 1; s <= 5000; s++) {
		uint64_t pcs[2] = { 0x400000 + s, 0x500000 };

		cr_assert_eq(gmt_agg__add_stack(a, s * 0x9e3779b97f4a7c15ULL, pcs, 2, false), 0);
	}
	for (int round = 0; round < 2; round++)
		for (uint64_t s = 1; s <= 5000; s++)
			for (uint64_t size = 16; size <= 16 * 8; size += 16) {
				cr_assert_eq(gmt_agg__add_allocs(a, s * 0x9e3779b97f4a7c15ULL,
								 0x1000 + s % 7, size, s),
					     0);
				want_allocs += s;
				want_bytes += s * size;
			}
	cr_assert_eq(gmt_agg__finish(a, NULL), 0, "finish without a symbolizer");
	cr_assert_eq(gmt_agg__totals(a)->allocs, want_allocs, "allocs over 40000 rows");
	cr_assert_eq(gmt_agg__totals(a)->bytes, want_bytes, "bytes over 40000 rows");
	n = gmt_agg__stacks_by_count(a, &st);
	cr_assert_eq(n, 5000, "every stack is listed once");
	cr_assert_eq(st[0]->count, 2 * 8 * 5000, "the heaviest stack first, rows merged");
	for (size_t i = 1; i < n; i++)
		cr_assert_geq(st[i - 1]->count, st[i]->count, "descending counts at %zu", i);
	gmt_agg__free(a);
}

/* ---- folded stacks ---- */

static int do_folded(struct fixture *fx, FILE *f, void *arg)
{
	return gmt_write_folded(fx->a, fx->sym.frames ? &fx->sym : NULL, f,
				*(enum gmt_folded_value *)arg);
}

Test(folded, counts_exact_text)
{
	struct fixture fx;
	enum gmt_folded_value v = GMT_FOLDED_COUNT;
	char *s;

	build(&fx, 22);
	s = capture(do_folded, &fx, &v);
	cr_assert_str_eq(s,
			 "[truncated];0x5050;main.(*T).method;"
			 "main.G[go.shape.struct { a int, b int }] 4\n"
			 "[unknown stack] 9\n"
			 "runtime.main;main.main;main.parseLine;strings.ToUpper 18\n",
			 "root first, inlined frames outer to inner, A and B merged, ';' replaced, "
			 "zero-count stack F left out:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

Test(folded, bytes_and_reserved)
{
	struct fixture fx;
	enum gmt_folded_value v = GMT_FOLDED_BYTES;
	char *s;

	build(&fx, 22);
	s = capture(do_folded, &fx, &v);
	cr_assert_str_eq(s,
			 "[truncated];0x5050;main.(*T).method;"
			 "main.G[go.shape.struct { a int, b int }] 4096\n"
			 "[unknown stack] 152\n"
			 "runtime.main;main.main;main.parseLine;strings.ToUpper 3028\n",
			 "bytes per folded stack:\n%s", s);
	free(s);
	v = GMT_FOLDED_RESERVED;
	s = capture(do_folded, &fx, &v);
	cr_assert(strstr(s, "strings.ToUpper 3136\n"), "reserved: 1040 + 2096:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

Test(folded, without_symbolizer_prints_addresses)
{
	struct fixture fx;
	enum gmt_folded_value v = GMT_FOLDED_COUNT;
	char *s;

	build(&fx, 22);
	fx.sym.frames = NULL;
	s = capture(do_folded, &fx, &v);
	cr_assert(strstr(s, "0x3030;0x2020;0x1010 15\n") && strstr(s, "0x3030;0x2020;0x1011 3\n"),
		  "unsymbolized stacks are addresses, root first, not merged:\n%s", s);
	free(s);
	cr_assert_eq(gmt_write_folded(fx.a, NULL, stdout, GMT_FOLDED__MAX), -EINVAL,
		     "an unknown value kind is refused");
	gmt_agg__free(fx.a);
}

/* ---- report.txt ---- */

static int do_report(struct fixture *fx, FILE *f, void *arg)
{
	return gmt_write_report(fx->a, &fx->sym, f, arg);
}

Test(report, numbers)
{
	struct fixture fx;
	struct gmt_run_info ri = run_info();
	char *s;

	build(&fx, 22);
	s = capture(do_report, &fx, &ri);
	cr_assert(strstr(s, "mode:      exact\n") && strstr(s, "go:        go1.22.12\n") &&
			  strstr(s, "pid:       4242 (demo)\n") &&
			  strstr(s, "binary:    /srv/demo\n") &&
			  strstr(s, "duration:  3.00 s\n"),
		  "header:\n%s", s);
	cr_assert(strstr(s, "allocations:      31\n"), "total allocations:\n%s", s);
	cr_assert(strstr(s, "requested bytes:  7276 (7.1 KiB)\n"), "requested bytes:\n%s", s);
	cr_assert(strstr(s, "reserved bytes:   7896 (7.7 KiB,"), "reserved bytes:\n%s", s);
	cr_assert(strstr(s, "waste:            620 bytes (7.9% of reserved)\n"), "waste:\n%s", s);
	cr_assert(strstr(s, "zero-size allocations: 8 "), "zero-size:\n%s", s);
	cr_assert(strstr(s, "average 10.3 allocs/s, 2.4 KiB/s\n"), "average rate:\n%s", s);
	cr_assert(strstr(s, "peak 30.0 allocs/s, 1000 B/s\n"), "peak rate over intervals:\n%s", s);
	cr_assert(strstr(s, "#1  count 4  bytes 4096 (4.0 KiB)  reserved 4608 (4.5 KiB)\n"),
		  "the top stack by bytes is C:\n%s", s);
	cr_assert(strstr(s, "      main.G[go.shape.struct { a int; b int }]  /src/demo/g.go:7  "
			    "(inlined)\n      main.(*T).method  /src/demo/t.go:12\n      0x5050\n"
			    "      [truncated]\n"),
		  "frames leaf first, inlined marked, unsymbolized as address, truncation:\n%s", s);
	cr_assert(strstr(s, "      [32, 64)                 10  "
			    "########################################\n"
			    "      [64, 128)                 5  ####################\n"),
		  "A's histogram rows scaled to the largest bucket:\n%s", s);
	cr_assert(strstr(s, "      [1K, 2K)                  4  "), "K labels:\n%s", s);
	cr_assert(strstr(s, "             2             2000             2048  uint8  "
			    "(as []uint8: 1000.0 elements on average)  zero-size 3\n"),
		  "slice note for uint8:\n%s", s);
	cr_assert(strstr(s, "            13              624              624  main.record\n"),
		  "no slice note when bytes = count x size:\n%s", s);
	cr_assert(strstr(s, "[type 0x500300]") && strstr(s, "[no type]"),
		  "unknown and untyped types are named:\n%s", s);
	cr_assert(strstr(s, "  dropped: 0\n"), "the drops line is there when nothing dropped:\n%s",
		  s);
	cr_assert_null(strstr(s, "increase --"), "no hints when nothing was lost:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

Test(report, drops_and_hints)
{
	struct fixture fx;
	struct gmt_run_info ri = run_info();
	char *s;

	ri.counters[GMT_CNT_RB_DROPS] = 5;
	ri.counters[GMT_CNT_STACK_ERR] = 2;
	ri.counters[GMT_CNT_STACK_TRUNC] = 9;
	ri.counters[GMT_CNT_AGG_FULL] = 11;
	ri.counters[GMT_CNT_ALLOC_MORESTACK] = 3;
	build(&fx, 22);
	s = capture(do_report, &fx, &ri);
	cr_assert(strstr(s, "  dropped: 5\n"), "dropped = lost allocation records only:\n%s", s);
	cr_assert(strstr(s, "5  -> increase --ringbuf-mb (now 16)\n"), "ring buffer hint:\n%s", s);
	cr_assert(strstr(s, "9  -> increase --max-depth\n"), "max-depth hint:\n%s", s);
	cr_assert(strstr(s, "aggregation table full:                    11"), "agg full count:\n%s",
		  s);
	cr_assert(strstr(s, "morestack re-entries skipped:              3  -> info:"),
		  "morestack:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

/* ---- summary.json ---- */

static char *json_to_file(struct fixture *fx, const struct gmt_run_info *ri, bool with_gc)
{
	static const char tmpl[] = "/tmp/gmt-summary-XXXXXX";
	char *path = strdup(tmpl);
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	cr_assert(fd >= 0 && f);
	if (!with_gc) {
		cr_assert_eq(gmt_write_summary_json(fx->a, &fx->sym, f, ri), 0, "summary written");
	} else {
		struct gmt_json *j = gmt_summary__begin(f);

		cr_assert_eq(gmt_summary__alloc_fields(j, fx->a, &fx->sym, ri), 0, "fields");
		gmt_json__kuint(j, "gc_cycles", 17);
		cr_assert_eq(gmt_summary__end(j), 0, "a caller's keys keep the document balanced");
	}
	fclose(f);
	return path;
}

Test(summary, values_parse_in_python)
{
	struct fixture fx;
	struct gmt_run_info ri = run_info();
	char *path, *out;

	ri.counters[GMT_CNT_RB_DROPS] = 5;
	ri.counters[GMT_CNT_STACK_ERR] = 2;
	ri.counters[GMT_CNT_STACK_TRUNC] = 9;
	ri.counters[GMT_CNT_MPROF_RB_DROPS] = 1; /* the last slot: the sampler's drops */
	build(&fx, 22);
	path = json_to_file(&fx, &ri, false);
	out = tu_run("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		     "print(d[\"mode\"], d[\"go_version\"], d[\"pid\"], d[\"comm\"], "
		     "d[\"binary\"], d[\"duration_s\"], d[\"allocs\"], d[\"bytes\"], "
		     "d[\"reserved_bytes\"], d[\"zero_size_allocs\"], d[\"stacks\"], "
		     "d[\"dropped\"], d[\"truncated_stacks\"]); "
		     "print(d[\"counters\"][\"rb_drops\"], d[\"counters\"][\"stack_err\"], "
		     "d[\"counters\"][\"mprof_rb_drops\"], len(d[\"counters\"])); "
		     "print([(t[\"name\"], t[\"count\"], t[\"bytes\"]) "
		     "for t in d[\"top_types\"]]); "
		     "print([(r[\"t_s\"], r[\"allocs_per_s\"], r[\"bytes_per_s\"]) "
		     "for r in d[\"alloc_rate\"]])' %s",
		     path);
	cr_assert_str_eq(out,
			 /* dropped: lost allocation records plus lost sampler records */
			 "exact go1.22.12 4242 demo /srv/demo 3 31 7276 7896 8 5 6 9\n"
			 "5 2 1 21\n"
			 "[('[type 0x500300]', 4, 4096), ('uint8', 2, 2000), "
			 "('main.record', 13, 624), ('[no type]', 12, 556)]\n"
			 "[(1, 10, 1000), (2, 30, 500), (3, 5, 500)]\n",
			 "summary values as python reads them:\n%s", out);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(fx.a);
}

Test(summary, callers_can_append_keys)
{
	struct fixture fx;
	struct gmt_run_info ri = run_info();
	char *path, *out;

	build(&fx, 22);
	path = json_to_file(&fx, &ri, true);
	out = tu_run("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		     "print(d[\"gc_cycles\"], d[\"allocs\"], d[\"dropped\"])' %s",
		     path);
	cr_assert_str_eq(out, "17 31 0\n", "appended GC key next to the allocation fields");
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(fx.a);
}

/* ---- size classes against the real runtime ---- */

static const char go_prog[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	"\t\"runtime\"\n"
	"\t\"runtime/debug\"\n"
	"\t\"strconv\"\n"
	")\n"
	"\n"
	"var sinkB []byte\n"
	"var sinkP []*int\n"
	"\n"
	"// Each argument is b<size> (pointer-free) or p<size> (pointers): allocate n of\n"
	"// them and print what MemStats.TotalAlloc grew by per allocation.\n"
	"func main() {\n"
	"\tdebug.SetGCPercent(-1)\n"
	"\tn, _ := strconv.Atoi(os.Args[1])\n"
	"\tvar ms runtime.MemStats\n"
	"\tfor _, a := range os.Args[2:] {\n"
	"\t\ts, _ := strconv.Atoi(a[1:])\n"
	"\t\truntime.ReadMemStats(&ms)\n"
	"\t\tbefore, mallocs := ms.TotalAlloc, ms.Mallocs\n"
	"\t\tfor i := 0; i < n; i++ {\n"
	"\t\t\tif a[0] == 'p' {\n"
	"\t\t\t\tsinkP = make([]*int, s/8)\n"
	"\t\t\t} else {\n"
	"\t\t\t\tsinkB = make([]byte, s)\n"
	"\t\t\t}\n"
	"\t\t}\n"
	"\t\truntime.ReadMemStats(&ms)\n"
	"\t\tfmt.Printf(\"%s %d %d %d\\n\", a[:1], s, ms.TotalAlloc-before, ms.Mallocs-mallocs)\n"
	"\t}\n"
	"}\n";

#define GO_N 10000

static const char go_sizes[] = "b1 b3 b5 b7 b8 b9 b12 b15 b16 b17 b33 b100 b513 b1000 b4000 "
			       "b32760 b32768 b33000 b100000 p8 p24 p512 p520 p1024 p4000 "
			       "p32760 p32768 p33000 p100000";

static void check_against_go(const char *go)
{
	char dir[] = "/tmp/gmt-sizeclass-XXXXXX", path[4200];
	char *ver, *out, *line, *save;
	int minor = 0, checked = 0;
	FILE *f;

	cr_assert(mkdtemp(dir), "temporary directory");
	snprintf(path, sizeof(path), "%s/main.go", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(go_prog, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/go.mod", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("module sizeclass\n\ngo 1.19\n", f);
	fclose(f);

	ver = tu_run("GOTOOLCHAIN=local %s env GOVERSION", go);
	cr_assert_eq(sscanf(ver, "go1.%d", &minor), 1, "go version: %s", ver);
	out = tu_run("cd %s && GOTOOLCHAIN=local GOFLAGS= GOPROXY=off %s build -o sc . && "
		     "./sc %d %s",
		     dir, go, GO_N, go_sizes);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind;
		unsigned long long size, total, mallocs;
		uint64_t want;

		cr_assert_eq(sscanf(line, "%c %llu %llu %llu", &kind, &size, &total, &mallocs), 4,
			     "line from the Go program: %s", line);
		cr_assert_eq(mallocs, GO_N, "go1.%d: MemStats.Mallocs grew by one per allocation "
			     "(%s)", minor, line);
		want = gmt_go_alloc_size_n(size, kind == 'b', minor, GO_N);
		/* Tiny objects too: a run of equal sizes is the case the estimate models. */
		cr_assert(total >= want - want / 50 && total <= want + want / 50,
			  "go1.%d %s %llu bytes: TotalAlloc grew %.2f per object, we say %.2f",
			  minor, kind == 'b' ? "pointer-free" : "pointerful", size,
			  (double)total / GO_N, (double)want / GO_N);
		if (kind == 'b' && size >= 16)
			cr_assert_eq(gmt_go_alloc_size(size, true, minor) * GO_N, want,
				     "per-object and per-run agree outside the tiny allocator");
		checked++;
	}
	cr_assert_eq(checked, 29, "every size was measured (%d)", checked);
	free(out);
	free(ver);
	free(tu_run("rm -rf %s", dir));
}

Test(sizeclass, matches_go_local, .timeout = 300)
{
	check_against_go(tu_go());
}

/*
 * The other toolchains of the fixture matrix: scripts/build-fixtures.sh (a dependency of
 * every test) has put them in the module cache, so a missing one is a failure.
 */
static void check_toolchain(const char *pattern)
{
	char *cache = tu_run("GOTOOLCHAIN=local %s env GOMODCACHE", tu_go()), full[4096];
	glob_t g;

	cache[strcspn(cache, "\n")] = 0;
	if (pattern[0] == '/')
		snprintf(full, sizeof(full), "%s", pattern);
	else
		snprintf(full, sizeof(full), "%s/%s", cache, pattern);
	free(cache);
	if (glob(full, 0, NULL, &g) != 0 || !g.gl_pathc)
		cr_assert_fail("no toolchain matches %s: the fixture build should have fetched it", full);
	check_against_go(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
}

Test(sizeclass, matches_go119, .timeout = 300)
{
	check_toolchain("/usr/lib/go-1.19/bin/go");
}

Test(sizeclass, matches_go122, .timeout = 300)
{
	check_toolchain("golang.org/toolchain@v0.0.1-go1.22.*.linux-amd64/bin/go");
}

Test(sizeclass, matches_go124, .timeout = 300)
{
	check_toolchain("golang.org/toolchain@v0.0.1-go1.24.*.linux-amd64/bin/go");
}

Test(sizeclass, matches_go127, .timeout = 300)
{
	check_toolchain("golang.org/toolchain@v0.0.1-go1.27.*.linux-amd64/bin/go");
}
