// SPDX-License-Identifier: MIT
/*
 * report.html's data (out/out_html.c, user/out/report/DATA.md) on a made-up binary: the
 * flame graph's root is the allocations' total, stacks merge into one tree with the
 * allocator's frames flagged and inlined frames expanded, the hot paths are the largest
 * stacks spelled out, and the page around the data never lets the data close its script
 * element.  The data is checked by Python's own JSON parser (tests/out/html_data.py).
 * The page in a real browser is tests/e2e's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "fakesym.h"
#include "out_html.h"
#include "runinfo.h"
#include "testutil.h"

static const struct tu_fake_pc fake_pcs[] = {
	{ 0x1010, 1, { { "runtime.mallocgc", "/go/src/runtime/malloc.go", 1000 } } },
	{ 0x1020, 1, { { "runtime.newobject", "/go/src/runtime/malloc.go", 1700 } } },
	{ 0x2010, 2, { { "strings.Repeat", "/go/src/strings/strings.go", 600 },
		       { "main.fill", "/src/app/main.go", 42 } } },
	{ 0x2020, 1, { { "main.<b>odd</script>", "/src/app/main.go", 50 } } },
	{ 0x3030, 1, { { "main.main", "/src/app/main.go", 70 } } },
};

static const struct tu_fake_bin fake_bin = { fake_pcs, sizeof(fake_pcs) / sizeof(fake_pcs[0]) };
static const struct gmt_symbolizer fake_sym = { .frames = tu_fake_frames,
						 .ctx = (void *)&fake_bin };

/*
 *   A: mallocgc <- newobject <- fill (Repeat inlined) <- main   10 x 64
 *   B: mallocgc <- <b>odd</script> <- main                        3 x 1000, 1 x 500 (type 0x77)
 *   C: fill <- main (no allocator frame)                          1 x 16
 */
static struct gmt_agg *build(void)
{
	static const uint64_t a[] = { 0x1010, 0x1020, 0x2010, 0x3030 };
	static const uint64_t b[] = { 0x1010, 0x2020, 0x3030 };
	static const uint64_t c[] = { 0x2010, 0x3030 };
	struct gmt_agg *g = gmt_agg__new(tu_row(26));

	cr_assert_not_null(g);
	cr_assert_eq(gmt_agg__add_stack(g, 1, a, 4, false), 0);
	cr_assert_eq(gmt_agg__add_stack(g, 2, b, 3, false), 0);
	cr_assert_eq(gmt_agg__add_stack(g, 3, c, 2, false), 0);
	cr_assert_eq(gmt_agg__add_allocs(g, 1, 0, 64, 10), 0);
	cr_assert_eq(gmt_agg__add_allocs(g, 2, 0, 1000, 3), 0);
	cr_assert_eq(gmt_agg__add_allocs(g, 2, 0x77, 500, 1), 0); /* a second type */
	cr_assert_eq(gmt_agg__add_allocs(g, 3, 0, 16, 1), 0);
	cr_assert_eq(gmt_agg__finish(g, &fake_sym), 0);
	return g;
}

static char *render(bool page, size_t *len)
{
	struct gmt_agg *g = build();
	struct gmt_run_info ri = { .mode = "exact", .go_version = "go1.26.8", .comm = "app",
				   .pid = 7, .duration_s = 2.5, .start_ns = 1, .end_ns = 3 };
	struct gmt_pprof_opts o = { .period = 1 };
	struct gmt_html_in in = { .ri = &ri, .sym = &fake_sym, .mode = "exact", .agg = g,
				  .pprof = &o, .what = "a test" };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cr_assert_not_null(f);
	cr_assert_eq(page ? gmt_write_html_report(f, &in) : gmt_write_html_data(f, &in), 0);
	fclose(f);
	gmt_agg__free(g);
	return buf;
}

/* Runs tests/out/html_data.py on the data: its key=value lines. */
static char *check(const char *data, size_t len)
{
	char path[] = "/tmp/gmt-html-XXXXXX", cmd[512], *out = NULL;
	size_t cap = 0;
	int fd = mkstemp(path);
	FILE *p;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	cr_assert_not_null(getenv("GMT_SOURCE_ROOT"), "run through meson test");
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/out/html_data.py %s",
		 getenv("GMT_SOURCE_ROOT"), path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_geq(getdelim(&out, &cap, 0, p), 0, "html_data.py prints");
	cr_assert_eq(pclose(p), 0, "html_data.py: %s", out);
	unlink(path);
	return out;
}

Test(html, data_from_the_aggregates)
{
	size_t len;
	char *data = render(false, &len), *out = check(data, len);

	/* 10 x 64 + 3 x 1000 + 500 + 16 bytes in 15 allocations */
	cr_expect_eq(tu_field(out, "alloc_total_bytes"), 4156, "%s", out);
	cr_expect_eq(tu_field(out, "alloc_total_count"), 15, "%s", out);
	cr_expect_eq(tu_field(out, "leaves_sum_bytes"), 4156, "the leaves add up:\n%s", out);
	cr_expect_eq(tu_field(out, "children_sum_ok"), 1, "each node holds its children:\n%s", out);
	cr_expect_eq(tu_field(out, "alloc_flagged"), 3, "mallocgc twice, newobject:\n%s", out);
	cr_expect_eq(tu_field(out, "inlined_flagged"), 1, "strings.Repeat, once under fill:\n%s",
		     out);
	cr_expect_eq(tu_field(out, "main_nodes"), 1, "stacks merge: one main.main:\n%s", out);
	cr_expect_eq(tu_field(out, "hot_paths"), 3, "%s", out);
	cr_expect_eq(tu_field(out, "hot0_bytes"), 3500, "the largest first:\n%s", out);
	cr_expect_eq(tu_field(out, "hot0_types"), 2, "its two types:\n%s", out);
	cr_expect_eq(tu_field(out, "hot0_type0_bytes"), 3000, "the larger first:\n%s", out);
	cr_expect_eq(tu_field(out, "hot1_types"), 1, "%s", out);
	cr_expect_eq(tu_field(out, "hot0_alloc_frames"), 0, "without the allocator:\n%s", out);
	cr_expect_eq(tu_field(out, "hot1_frames"), 3, "Repeat, fill, main:\n%s", out);
	cr_expect_eq(tu_field(out, "hot1_line"), 600, "the innermost frame's line:\n%s", out);
	cr_expect_eq(tu_field(out, "gc_null"), 1, "no GC traced: null:\n%s", out);
	free(out);
	free(data);
}

Test(html, page_around_the_data)
{
	size_t len;
	char *page = render(true, &len), *s, *e;

	cr_assert_not_null(strstr(page, "<!DOCTYPE html>") ?: strstr(page, "<!doctype html>"));
	s = strstr(page, "id=\"gmt-data\">");
	cr_assert_not_null(s, "the data element");
	e = strstr(s, "</script>");
	cr_assert_not_null(e);
	/* A function named "<b>odd</script>" stays inside the data. */
	cr_expect_not_null(strstr(s, "\\u003cb>odd\\u003c/script>"), "'<' escaped");
	cr_expect(memmem(s, (size_t)(e - s), "main.fill", 9) != NULL, "the data is inside");
	/* Nothing from the network (an SVG namespace URI is a name, not a load). */
	cr_expect_null(strstr(page, "src=\"http"), "no remote script or image");
	cr_expect_null(strstr(page, "href=\"http"), "no remote style sheet");
	cr_expect_null(strstr(page, "url(http"), "no remote font or image in CSS");
	cr_expect_null(strstr(page, "@import"), "no imported style sheet");
	free(page);
}

/* ---- 10,000 stacks: the page stays under 3 MB (the bound) ---- */

#define GEN_FUNCS 4000
static char gen_names[GEN_FUNCS][48];

static int gen_frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max)
{
	uint64_t i = pc - 0x100000;

	if (i >= GEN_FUNCS || max < 1)
		return -ENOENT;
	out[0] = (struct gmt_frame){ gen_names[i], "/src/service/internal/handlers/gen.go",
				     (uint32_t)(100 + i) };
	return 1;
}

static const struct gmt_symbolizer gen_sym = { .frames = gen_frames };

/* The page (or its data alone) of g, symbolized by gen_frames: malloc'd, its length. */
static char *gen_write(const struct gmt_agg *g, bool page, size_t *len)
{
	struct gmt_run_info ri = { .mode = "exact", .comm = "svc", .pid = 1 };
	struct gmt_pprof_opts o = { .period = 1 };
	struct gmt_html_in in = { .ri = &ri, .sym = &gen_sym, .mode = "exact", .agg = g,
				  .pprof = &o };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cr_assert_not_null(f);
	cr_assert_eq(page ? gmt_write_html_report(f, &in) : gmt_write_html_data(f, &in), 0,
		     "written");
	fclose(f);
	return buf;
}

Test(html, ten_thousand_stacks_under_3_mb)
{
	struct gmt_agg *g = gmt_agg__new(tu_row(26));
	uint64_t pcs[24];
	char *buf;
	size_t len = 0;

	for (int i = 0; i < GEN_FUNCS; i++)
		snprintf(gen_names[i], sizeof(gen_names[i]),
			 "example.com/svc/internal/handlers.fn%04d", i);
	/* 10,000 stacks 24 deep: a shared root path, then branching by the stack's digits */
	for (uint64_t s = 0; s < 10000; s++) {
		for (int k = 0; k < 24; k++) {
			uint64_t depth_from_root = 23 - (uint64_t)k;

			pcs[k] = 0x100000 + (depth_from_root < 4 ? depth_from_root
				 : 4 + (s * 7919 + depth_from_root * 104729) % (GEN_FUNCS - 4));
		}
		cr_assert_eq(gmt_agg__add_stack(g, s + 1, pcs, 24, false), 0);
		cr_assert_eq(gmt_agg__add_allocs(g, s + 1, 0, 64 + s % 512, 1 + s % 7), 0);
	}
	cr_assert_eq(gmt_agg__finish(g, &gen_sym), 0);
	buf = gen_write(g, true, &len);
	cr_expect_lt(len, 3u << 20, "report.html of 10,000 stacks: %zu bytes", len);
	cr_log_info("report.html of 10,000 stacks 24 deep: %zu bytes\n", len);
	free(buf);
	gmt_agg__free(g);
}

/* A recursion 100 frames deep (the JSON writer nests 64 levels, two per frame): the page
 * is written and its tree holds every frame. */
Test(html, deep_stack)
{
	struct gmt_agg *g = gmt_agg__new(tu_row(26));
	uint64_t pcs[100];
	char *buf, *out;
	size_t len = 0;

	for (int i = 0; i < GEN_FUNCS; i++)
		snprintf(gen_names[i], sizeof(gen_names[i]), "main.recurse%d", i);
	for (int k = 0; k < 100; k++)
		pcs[k] = 0x100000 + (uint64_t)k;
	cr_assert_eq(gmt_agg__add_stack(g, 1, pcs, 100, false), 0);
	cr_assert_eq(gmt_agg__add_allocs(g, 1, 0, 64, 3), 0);
	cr_assert_eq(gmt_agg__finish(g, &gen_sym), 0);
	buf = gen_write(g, false, &len); /* a deep stack is written */
	out = check(buf, len);
	cr_expect_eq(tu_field(out, "alloc_total_bytes"), 192, "%s", out);
	cr_expect_eq(tu_field(out, "leaves_sum_bytes"), 192, "%s", out);
	cr_expect_eq(tu_field(out, "depth"), 101, "the root and 100 frames:\n%s", out);
	free(out);
	free(buf);
	gmt_agg__free(g);
}
