// SPDX-License-Identifier: MIT
/*
 * The aggregator, the size-class rounding and the output writers, on synthetic stacks
 * and types with a fake symbolizer; the rounding is also checked against
 * MemStats.TotalAlloc measured by a small Go program with every toolchain at hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "outputs.h"
#include "ratebins.h"
#include "sizeclass.h"
#include "testutil.h"
#include "go_release.h"

/* ---- a fake symbolizer: hand-made frames and types ---- */

struct fake_pc {
	uint64_t pc;
	int n;
	struct gmt_frame f[3]; /* innermost first, the physical function last */
};

#define MAPS_GO "/go/src/internal/runtime/maps/t.go"
#define DECODE_GO "/go/src/encoding/json/decode.go"

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
	/* the allocator's frames and the standard library above user code */
	{ 0x7100, 1, { { "runtime.makeslice", "/go/src/runtime/slice.go", 116 } } },
	{ 0x7110, 1, { { "runtime.growslice", "/go/src/runtime/slice.go", 280 } } },
	{ 0x7120, 2, { { "internal/runtime/maps.newarray", MAPS_GO, 9 },
		       { "internal/runtime/maps.(*table).grow", MAPS_GO, 40 } } },
	{ 0x7130, 1, { { "main.items", "/src/demo/items.go", 21 } } },
	{ 0x7140, 1, { { "runtime.systemstack", "/go/src/runtime/asm_amd64.s", 514 } } },
	{ 0x7200, 1, { { "encoding/json.(*decodeState).object", DECODE_GO, 1 } } },
	{ 0x7210, 1, { { "encoding/json.(*decodeState).value", DECODE_GO, 2 } } },
	{ 0x7220, 1, { { "encoding/json.(*decodeState).unmarshal", DECODE_GO, 3 } } },
	{ 0x7230, 1, { { "encoding/json.Unmarshal", DECODE_GO, 4 } } },
	{ 0x7300, 1, { { "main.leafA", "/src/demo/leaf.go", 1 } } },
	{ 0x7310, 1, { { "main.leafB", "/src/demo/leaf.go", 2 } } },
	{ 0x7320, 1, { { "main.leafC", "/src/demo/leaf.go", 3 } } },
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
	a = fx->a = gmt_agg__new(go_minor ? tu_row(go_minor) : NULL);
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
	cr_assert_eq(gmt_go_alloc_size(0, true, tu_row(22)), 0, "zero-size allocations reserve nothing");
	cr_assert_eq(gmt_go_alloc_size(1, true, tu_row(22)), 1, "1 byte tiny: 16 share one block");
	cr_assert_eq(gmt_go_alloc_size(8, true, tu_row(22)), 8, "8 bytes tiny: 2 per block");
	cr_assert_eq(gmt_go_alloc_size(3, true, tu_row(22)), 3, "3 bytes tiny: 16/5 = 3.2, rounded");
	cr_assert_eq(gmt_go_alloc_size(7, true, tu_row(22)), 8, "7 bytes tiny: only 2 fit a block");
	cr_assert_eq(gmt_go_alloc_size(9, true, tu_row(22)), 16, "9 bytes tiny: one per block");
	cr_assert_eq(gmt_go_alloc_size(15, true, tu_row(19)), 16, "15 bytes tiny: one per block");
	cr_assert_eq(gmt_go_alloc_size_n(3, true, tu_row(22), 5), 16, "five 3-byte tiny objects: a block");
	cr_assert_eq(gmt_go_alloc_size_n(5, true, tu_row(22), 3), 16, "three 5-byte tiny objects: a block");
	cr_assert_eq(gmt_go_alloc_size(1, false, tu_row(22)), 8, "a pointerful byte is not tiny: class 8");
	cr_assert_eq(gmt_go_alloc_size(12, false, tu_row(22)), 16, "pointerful 12 bytes: class 16");
	cr_assert_eq(gmt_go_alloc_size(16, true, tu_row(22)), 16, "16 bytes is past the tiny allocator");
	cr_assert_eq(gmt_go_alloc_size(17, true, tu_row(22)), 24, "17 -> class 24");
	cr_assert_eq(gmt_go_alloc_size(33, true, tu_row(22)), 48, "33 -> class 48");
	cr_assert_eq(gmt_go_alloc_size(100, true, tu_row(22)), 112, "100 -> class 112");
	cr_assert_eq(gmt_go_alloc_size(512, false, tu_row(22)), 512, "512 pointerful: no header yet");
	cr_assert_eq(gmt_go_alloc_size(513, false, tu_row(22)), 576, "513 scan on 1.22: 521 -> class 576");
	cr_assert_eq(gmt_go_alloc_size(513, false, tu_row(19)), 576, "513 scan on 1.19: class 576");
	cr_assert_eq(gmt_go_alloc_size(1024, false, tu_row(19)), 1024, "1024 scan on 1.19: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, tu_row(21)), 1024, "1024 scan on 1.21: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, tu_row(22)), 1152, "1024 scan on 1.22: 1032 -> 1152");
	cr_assert_eq(gmt_go_alloc_size(1024, true, tu_row(22)), 1024, "1024 noscan on 1.22: no header");
	cr_assert_eq(gmt_go_alloc_size(1024, false, NULL), 1152, "unknown version: newest rules");
	cr_assert_eq(gmt_go_alloc_size(1025, true, tu_row(22)), 1152, "1025 -> class 1152");
	cr_assert_eq(gmt_go_alloc_size(19000, true, tu_row(22)), 19072, "19000 -> class 19072");
	cr_assert_eq(gmt_go_alloc_size(32760, false, tu_row(22)), 32768, "32760 scan + header: last class");
	cr_assert_eq(gmt_go_alloc_size(32761, true, tu_row(22)), 32768, "32761 on 1.22 is large: 4 pages");
	cr_assert_eq(gmt_go_alloc_size(32768, true, tu_row(19)), 32768, "32768 on 1.19: last class");
	cr_assert_eq(gmt_go_alloc_size(32769, true, tu_row(22)), 40960, "32769 -> 5 pages");
	cr_assert_eq(gmt_go_alloc_size(100000, false, tu_row(22)), 106496, "100000 -> 13 pages");
	cr_assert_eq(gmt_go_alloc_size(UINT64_MAX, true, tu_row(22)), UINT64_MAX, "huge sizes saturate");
	cr_assert_eq(gmt_go_alloc_size_n(100000, true, tu_row(22), UINT64_MAX / 2), UINT64_MAX,
		     "size x count saturates");
}

Test(sizeclass, every_small_size_rounds_to_a_class)
{
	uint64_t prev = 0;
	int classes = 0;

	for (uint64_t s = 16; s <= 32768; s++) {
		uint64_t r = gmt_go_alloc_size(s, true, tu_row(19));

		cr_assert_geq(r, s, "reserved >= requested for %llu", (unsigned long long)s);
		cr_assert_geq(r, prev, "rounding is monotonic at %llu", (unsigned long long)s);
		cr_assert_eq(r % 8, 0, "classes are 8-byte multiples (%llu -> %llu)",
			     (unsigned long long)s, (unsigned long long)r);
		cr_assert_eq(gmt_go_alloc_size(r, true, tu_row(19)), r, "a class rounds to itself (%llu)",
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
	cr_assert_eq(gmt_agg__release(fx.a), tu_row(19), "the release is kept");
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
	struct gmt_agg *a = gmt_agg__new(tu_row(22));
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
	struct gmt_agg *a = gmt_agg__new(tu_row(22));
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
				*(enum gmt_folded_value *)arg, NULL);
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
	cr_assert_eq(gmt_write_folded(fx.a, NULL, stdout, GMT_FOLDED__MAX, NULL), -EINVAL,
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
			 "5 2 1 22\n"
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
		want = gmt_go_alloc_size_n(size, kind == 'b', tu_row(minor), GO_N);
		/* Tiny objects too: a run of equal sizes is the case the estimate models. */
		cr_assert(total >= want - want / 50 && total <= want + want / 50,
			  "go1.%d %s %llu bytes: TotalAlloc grew %.2f per object, we say %.2f",
			  minor, kind == 'b' ? "pointer-free" : "pointerful", size,
			  (double)total / GO_N, (double)want / GO_N);
		if (kind == 'b' && size >= 16)
			cr_assert_eq(gmt_go_alloc_size(size, true, tu_row(minor)) * GO_N, want,
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

/* ---- runtime/pprof's convention in folded stacks, and their bound ---- */

static int do_folded_opts(struct fixture *fx, FILE *f, void *arg)
{
	struct gmt_folded_opts *o = arg;

	return gmt_write_folded(fx->a, &fx->sym, f, GMT_FOLDED_BYTES, o);
}

/*
 * R1 makeslice <- growslice <- maps.newarray (inlined in maps.grow) <- main.items <-
 * main.main <- runtime.main, 2 x 4096; R2 systemstack <- runtime.main, all runtime: whole.
 */
static void build_runtime(struct fixture *fx)
{
	static const uint64_t p1[] = { 0x7100, 0x7110, 0x7120, 0x7130, 0x2020, 0x3030 };
	static const uint64_t p2[] = { 0x7140, 0x3030 };

	memset(fx, 0, sizeof(*fx));
	fx->sym = (struct gmt_symbolizer){ fake_frames, fake_type_info, &fx->ctx };
	fx->a = gmt_agg__new(tu_row(22));
	cr_assert(fx->a);
	cr_assert_eq(gmt_agg__add_stack(fx->a, 1, p1, 6, false), 0);
	cr_assert_eq(gmt_agg__add_stack(fx->a, 2, p2, 2, false), 0);
	gmt_agg__add_allocs(fx->a, 1, 0, 4096, 2);
	gmt_agg__add_allocs(fx->a, 2, 0, 64, 1);
	cr_assert_eq(gmt_agg__finish(fx->a, &fx->sym), 0);
}

Test(folded, runtime_frames_left_out_like_runtime_pprof)
{
	struct gmt_folded_opts o = {};
	struct fixture fx;
	char *s;

	build_runtime(&fx);
	s = capture(do_folded_opts, &fx, &o);
	cr_assert_str_eq(s,
			 "runtime.main;main.main;main.items 8192\n"
			 "runtime.main;runtime.systemstack 64\n",
			 "the allocator's frames go, a stack all in the runtime stays:\n%s", s);
	free(s);
	o.runtime_frames = true;
	s = capture(do_folded_opts, &fx, &o);
	cr_assert_str_eq(s,
			 "runtime.main;main.main;main.items;internal/runtime/maps.(*table).grow;"
			 "internal/runtime/maps.newarray;runtime.growslice;runtime.makeslice 8192\n"
			 "runtime.main;runtime.systemstack 64\n",
			 "--runtime-frames keeps them:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

/* 2000 stacks, leaf main.leafA/B/C by i % 3, through a distinct address each, value i + 1. */
#define NBOUND 2000

static void build_many(struct fixture *fx)
{
	static const uint64_t leaves[] = { 0x7300, 0x7310, 0x7320 };

	memset(fx, 0, sizeof(*fx));
	fx->sym = (struct gmt_symbolizer){ fake_frames, fake_type_info, &fx->ctx };
	fx->a = gmt_agg__new(tu_row(22));
	cr_assert(fx->a);
	for (int i = 0; i < NBOUND; i++) {
		uint64_t pcs[] = { leaves[i % 3], 0x100000 + (uint64_t)i, 0x2020, 0x3030 };

		cr_assert_eq(gmt_agg__add_stack(fx->a, 10 + i, pcs, 4, false), 0);
		gmt_agg__add_allocs(fx->a, 10 + i, 0, i + 1, 1);
	}
	cr_assert_eq(gmt_agg__finish(fx->a, &fx->sym), 0);
}

/* Sum of the values, and the value of the line whose text is exactly text (-1: none). */
static uint64_t folded_total(const char *s, const char *text, long long *value)
{
	uint64_t sum = 0;

	*value = -1;
	for (const char *l = s; *l;) {
		const char *nl = strchr(l, '\n'), *sp;

		cr_assert(nl, "lines end in a newline");
		for (sp = nl; sp > l && sp[-1] != ' '; sp--)
			;
		cr_assert(sp > l, "a value after a space: %.*s", (int)(nl - l), l);
		sum += strtoull(sp, NULL, 10);
		if (text && (size_t)(sp - 1 - l) == strlen(text) && !strncmp(l, text, sp - 1 - l))
			*value = strtoll(sp, NULL, 10);
		l = nl + 1;
	}
	return sum;
}

Test(folded, bounded_keeps_the_largest_and_every_byte)
{
	const uint64_t total = (uint64_t)NBOUND * (NBOUND + 1) / 2;
	struct gmt_folded_opts o = {};
	struct fixture fx;
	long long v;
	char *s, line[128];
	size_t len;
	uint64_t merged_a = 0;

	build_many(&fx);
	s = capture(do_folded_opts, &fx, &o);
	len = strlen(s);
	cr_assert_eq(o.stacks, NBOUND, "no bound: every stack");
	cr_assert_eq(o.merged, 0, "nothing merged");
	cr_assert_eq(folded_total(s, NULL, &v), total, "the total");
	free(s);

	o.max_bytes = 16384;
	s = capture(do_folded_opts, &fx, &o);
	cr_assert_gt(len, 4 * o.max_bytes, "the unbounded file was well over the bound");
	cr_assert_leq(strlen(s), o.max_bytes, "within the bound: %zu bytes", strlen(s));
	cr_assert_eq(folded_total(s, NULL, &v), total, "every byte is still there");
	cr_assert_eq(o.stacks, NBOUND, "stacks counted");
	cr_assert_gt(o.merged, NBOUND / 2, "most stacks merged (%zu)", o.merged);
	/* The largest stacks are kept as they were, the smallest are merged. */
	snprintf(line, sizeof(line), "runtime.main;main.main;0x%x;main.leafA", 0x100000 + 1998);
	folded_total(s, line, &v);
	cr_assert_eq(v, 1999, "the largest stack stays:\n%.300s", s);
	snprintf(line, sizeof(line), "runtime.main;main.main;0x%x;main.leafA", 0x100000);
	folded_total(s, line, &v);
	cr_assert_eq(v, -1, "the smallest is merged");
	/* main.leafA's merged stacks: i % 3 == 0 among those not kept. */
	for (int i = 0; i < NBOUND; i += 3) {
		snprintf(line, sizeof(line), "runtime.main;main.main;0x%x;main.leafA",
			 0x100000 + i);
		folded_total(s, line, &v);
		if (v < 0)
			merged_a += i + 1;
	}
	folded_total(s, "[other stacks];main.leafA", &v);
	cr_assert_eq(v, (long long)merged_a, "[other stacks];main.leafA holds main.leafA's merged "
		     "stacks:\n%.300s", s);
	free(s);

	/* A bound too small even for the per-leaf lines: one [other stacks] line. */
	o.max_bytes = 300;
	s = capture(do_folded_opts, &fx, &o);
	cr_assert_leq(strlen(s), 300, "within 300 bytes:\n%s", s);
	cr_assert_eq(folded_total(s, NULL, &v), total, "the total still adds up:\n%s", s);
	folded_total(s, "[other stacks]", &v);
	cr_assert_gt(v, 0, "the rest in one line:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

/* ---- report.txt: how far a stack is shown ---- */

Test(report, frames_reach_the_users_code)
{
	/* makeslice, growslice, newarray, grow, 4 of json, main.items, main.main, runtime.main */
	static const uint64_t deep[] = { 0x7100, 0x7110, 0x7120, 0x7200, 0x7210,
					 0x7220, 0x7230, 0x7130, 0x2020, 0x3030 };
	/* 8 frames of the runtime and the standard library only */
	static const uint64_t std[] = { 0x7100, 0x7110, 0x7200, 0x7210,
					0x7220, 0x7230, 0x7140, 0x3030 };
	struct gmt_run_info ri = run_info();
	struct fixture fx;
	char *s;

	memset(&fx, 0, sizeof(fx));
	fx.sym = (struct gmt_symbolizer){ fake_frames, fake_type_info, &fx.ctx };
	fx.a = gmt_agg__new(tu_row(22));
	cr_assert_eq(gmt_agg__add_stack(fx.a, 1, deep, 10, false), 0);
	cr_assert_eq(gmt_agg__add_stack(fx.a, 2, std, 8, false), 0);
	gmt_agg__add_allocs(fx.a, 1, 0, 4096, 2);
	gmt_agg__add_allocs(fx.a, 2, 0, 64, 1);
	cr_assert_eq(gmt_agg__finish(fx.a, &fx.sym), 0);
	s = capture(do_report, &fx, &ri);
	cr_assert(strstr(s, "      encoding/json.Unmarshal  /go/src/encoding/json/decode.go:4\n"
			    "      main.items  /src/demo/items.go:21\n"
			    "      ... 2 more frames\n"),
		  "down to the first frame of the user's code (the 9th):\n%s", s);
	cr_assert(strstr(s, "      runtime.growslice  /go/src/runtime/slice.go:280\n"
			    "      encoding/json.(*decodeState).object  " DECODE_GO ":1\n")
		  && strstr(s, "      encoding/json.Unmarshal  /go/src/encoding/json/decode.go:4\n"
			    "      ... 2 more frames\n"),
		  "without user code, the first 6 frames:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

Test(report, function_classes)
{
	cr_expect(gmt_func_is_runtime("runtime.mallocgc"));
	cr_expect(gmt_func_is_runtime("internal/runtime/maps.newarray"));
	cr_expect_not(gmt_func_is_runtime("runtime/pprof.WriteHeapProfile"));
	cr_expect_not(gmt_func_is_runtime("main.runtime"));
	cr_expect(gmt_func_is_std("runtime.main"));
	cr_expect(gmt_func_is_std("encoding/json.(*decodeState).object"));
	cr_expect(gmt_func_is_std("sync.(*Pool).Get"));
	cr_expect(gmt_func_is_std("vendor/golang.org/x/net/http2/hpack.(*Decoder).Write"));
	cr_expect_not(gmt_func_is_std("main.main.func1"));
	cr_expect_not(gmt_func_is_std("main.G[go.shape.*encoding/json.T]"));
	cr_expect_not(gmt_func_is_std("github.com/bufbuild/buf/private/x.(*T).Run"));
	cr_expect_not(gmt_func_is_std("gopkg.in/yaml.v3.Unmarshal"));
	cr_expect(gmt_func_is_std("sort.Slice[go.shape.*github.com/a/b.T]"));
	cr_expect_not(gmt_func_is_std(NULL));
}

/* ---- sampled mode: estimates marked, what the sampler cannot know left out ---- */

Test(report, sampled_marks_estimates)
{
	struct gmt_run_info ri = run_info();
	struct fixture fx;
	char *s;

	ri.mode = "sampled";
	ri.sampled = true;
	ri.samples = 123;
	build(&fx, 22);
	s = capture(do_report, &fx, &ri);
	cr_assert(strstr(s, "estimated from 123 samples"), "says it estimates:\n%s", s);
	cr_assert(strstr(s, "allocations:      ~31\n"), "allocations:\n%s", s);
	cr_assert(strstr(s, "bytes:            ~7276 (7.1 KiB, after size-class rounding"),
		  "bytes:\n%s", s);
	cr_assert(strstr(s, "average ~10.3 allocs/s, ~2.4 KiB/s\n"), "average:\n%s", s);
	cr_assert(strstr(s, "#1  count ~4  bytes ~4096 (4.0 KiB)\n"), "stack line:\n%s", s);
	cr_assert(strstr(s, "      [32, 64)                ~10  "), "histogram:\n%s", s);
	cr_assert(strstr(s, "         count            bytes  type\n"), "types header:\n%s", s);
	cr_assert(strstr(s, "            ~2            ~2000  uint8  "
			    "(as []uint8: ~1000.0 elements"),
		  "type line:\n%s", s);
	cr_assert_null(strstr(s, "waste"), "no waste:\n%s", s);
	cr_assert_null(strstr(s, "reserved"), "no reserved bytes:\n%s", s);
	cr_assert_null(strstr(s, "requested"), "no requested bytes:\n%s", s);
	cr_assert_null(strstr(s, "zero-size allocations"), "no zero-size count:\n%s", s);
	free(s);
	gmt_agg__free(fx.a);
}

Test(summary, sampled_names_estimates)
{
	struct gmt_run_info ri = run_info();
	struct fixture fx;
	char *path, *out;

	ri.mode = "sampled";
	ri.sampled = true;
	ri.samples = 123;
	ri.start_wall_ns = 1700000000123456789ULL;
	build(&fx, 22);
	path = json_to_file(&fx, &ri, false);
	out = tu_run("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		     "print([k for k in (\"allocs\", \"bytes\", \"reserved_bytes\", "
		     "\"zero_size_allocs\", \"unknown_stack_allocs\") if k in d]); "
		     "print(d[\"est_unknown_stack_allocs\"], d[\"stacks\"], d[\"start_unix_ns\"]); "
		     "print(sorted(d[\"top_types\"][0])); print(sorted(d[\"alloc_rate\"][0]))' %s",
		     path);
	cr_assert_str_eq(out,
			 "[]\n9 5 1700000000123456789\n['est_bytes', 'est_objects', 'name']\n"
			 "['dt_s', 'est_allocs_per_s', 'est_bytes_per_s', 't_s']\n",
			 "sampled summary keys:\n%s", out);
	free(out);
	unlink(path);
	free(path);
	gmt_agg__free(fx.a);
}

/* ---- the allocation rate over time ---- */

/* Points every 100 ms from 1 s: 1000 allocs/s of 100 B, 5000 allocs/s from t = 2.5 s. */
static struct gmt_agg *rate_agg(double span_s)
{
	struct gmt_agg *a = gmt_agg__new(tu_row(22));
	double allocs = 0;

	cr_assert(a);
	for (int i = 1; i <= (int)(span_s * 10 + 0.5); i++) {
		double t = i / 10.0;

		allocs += (t <= 2.5 ? 1000 : 5000) * 0.1;
		gmt_agg__add_rate_point(a, 1000000000ULL + (uint64_t)(t * 1e9 + 0.5),
					(uint64_t)allocs, (uint64_t)allocs * 100);
	}
	cr_assert_eq(gmt_agg__finish(a, NULL), 0);
	return a;
}

Test(rate, equal_buckets_from_the_start)
{
	struct gmt_run_info ri = { .start_ns = 1000000000ULL };
	struct gmt_rate_interval *iv;
	struct gmt_agg *a = rate_agg(5.3);
	int n = gmt_rate_intervals(a, &ri, &iv);

	cr_assert_eq(n, 5, "5.3 s: 5 buckets, the 0.3 s left joins the last");
	for (int i = 0; i < n; i++)
		cr_log_info("bucket %d: t %.2f dt %.2f %.1f/s", i, iv[i].t_s, iv[i].dt_s,
			    iv[i].allocs_per_s);
	cr_expect(fabs(iv[0].allocs_per_s - 1000) < 1e-6 && fabs(iv[1].allocs_per_s - 1000) < 1e-6,
		  "1000/s before the change");
	cr_expect(fabs(iv[2].allocs_per_s - 3000) < 1e-6, "half and half in [2, 3): 3000/s");
	cr_expect(fabs(iv[3].allocs_per_s - 5000) < 1e-6, "5000/s after");
	cr_expect(fabs(iv[4].dt_s - 1.3) < 1e-9 && fabs(iv[4].t_s - 5.3) < 1e-9,
		  "the last bucket is 1.3 s long, to the end");
	cr_expect(fabs(iv[4].allocs_per_s - 5000) < 1e-6 && fabs(iv[4].bytes_per_s - 5e5) < 1e-3,
		  "and its rate is over its length");
	free(iv);
	gmt_agg__free(a);

	a = rate_agg(5.6);
	n = gmt_rate_intervals(a, &ri, &iv);
	cr_assert_eq(n, 6, "5.6 s: the 0.6 s left is a bucket of its own");
	cr_expect(fabs(iv[5].dt_s - 0.6) < 1e-9 && fabs(iv[5].allocs_per_s - 5000) < 1e-6);
	free(iv);
	gmt_agg__free(a);

	/* Points between bucket edges: the count is interpolated. */
	a = gmt_agg__new(tu_row(22));
	gmt_agg__add_rate_point(a, 1300000000ULL, 300, 0);
	gmt_agg__add_rate_point(a, 2600000000ULL, 600, 0);
	gmt_agg__add_rate_point(a, 3000000000ULL, 1800, 0);
	cr_assert_eq(gmt_agg__finish(a, NULL), 0);
	n = gmt_rate_intervals(a, &ri, &iv);
	cr_assert_eq(n, 2);
	/* at 2 s: 300 + 300 x 0.7/1.3 */
	cr_expect(fabs(iv[0].allocs_per_s - (300 + 300 * 0.7 / 1.3)) < 1e-6, "%f",
		  iv[0].allocs_per_s);
	free(iv);
	gmt_agg__free(a);
}

Test(rate, bucket_length)
{
	struct gmt_run_info ri = {};

	cr_expect_eq(gmt_rate_bucket_ns(10, &ri), 1000000000ULL, "exact: 1 s");
	cr_expect_eq(gmt_rate_bucket_ns(1000, &ri), 2000000000ULL, "at most 600 buckets: 2 s");
	cr_expect_eq(gmt_rate_bucket_ns(7 * 86400, &ri), 1800000000000ULL, "a week: 30 min");
	ri.samples = 200;
	cr_expect_eq(gmt_rate_bucket_ns(10, &ri), 5000000000ULL,
		     "sampled: 100 samples a bucket on average: 5 s");
	ri.samples = 50;
	cr_expect_eq(gmt_rate_bucket_ns(10, &ri), 30000000000ULL, "too few: longer than it all");
	ri.samples = 100000;
	cr_expect_eq(gmt_rate_bucket_ns(10, &ri), 1000000000ULL, "many: 1 s");
}

Test(rate, sampled_bins_by_sampling_time)
{
	struct gmt_ratebins b;
	const struct gmt_rate_point *p;
	struct gmt_agg *a = gmt_agg__new(tu_row(22));
	size_t n;

	gmt_ratebins__init(&b, 1000000000ULL, 0);
	cr_assert_eq(gmt_ratebins__add(&b, 900000000ULL, 5, 500), 0);
	cr_assert_eq(b.before, 1, "a sample before the origin is not binned");
	gmt_ratebins__add(&b, 1050000000ULL, 2, 200);  /* bin 0 */
	gmt_ratebins__add(&b, 1250000000ULL, 3, 300);  /* bin 2 */
	gmt_ratebins__add(&b, 1299999999ULL, 1, 100);  /* bin 2 */
	gmt_ratebins__add(&b, 1500000000ULL, 4, 400);  /* bin 5: after the end */
	cr_assert_eq(gmt_ratebins__to_points(&b, 1320000000ULL, a), 0);
	cr_assert_eq(gmt_agg__finish(a, NULL), 0);
	n = gmt_agg__rate(a, &p);
	cr_assert_eq(n, 5, "origin, the ends of bins 0-2, the end: %zu", n);
	cr_expect(p[0].ts_ns == 1000000000ULL && p[0].allocs == 0);
	cr_expect(p[1].ts_ns == 1100000000ULL && p[1].allocs == 2 && p[1].bytes == 200);
	cr_expect(p[2].ts_ns == 1200000000ULL && p[2].allocs == 2);
	cr_expect(p[3].ts_ns == 1300000000ULL && p[3].allocs == 6 && p[3].bytes == 600);
	cr_expect(p[4].ts_ns == 1320000000ULL && p[4].allocs == 6, "nothing after the end");
	gmt_agg__free(a);

	/* Bounded: past GMT_RATEBINS_MAX bins, pairs merge and the width doubles. */
	gmt_ratebins__reset(&b, 0);
	for (uint64_t i = 0; i < 3 * GMT_RATEBINS_MAX; i++)
		cr_assert_eq(gmt_ratebins__add(&b, i * GMT_RATEBINS_NS, 1, 1), 0);
	cr_expect_eq(b.bin_ns, 4 * GMT_RATEBINS_NS, "coarsened twice");
	cr_expect_leq(b.n, GMT_RATEBINS_MAX);
	{
		double sum = 0;

		for (size_t i = 0; i < b.n; i++)
			sum += b.objects[i];
		cr_expect_eq(sum, 3 * GMT_RATEBINS_MAX, "no sample lost in merging");
		cr_expect_eq(b.objects[0], 4, "four of the first bins in one");
	}
	gmt_ratebins__free(&b);
}
