// SPDX-License-Identifier: MIT
/*
 * Goroutine tracking without a kernel: the aggregator (user/agg/goroutines.c) on synthetic
 * creations and exits with a fake symbolizer, and what user/goruntime/gorvars.c reads from real
 * binaries against the DWARF / symbol oracle (tests/gcoffsets/main.go).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "gofunc.h"
#include "goroutines.h"
#include "gorvars.h"
#include "testutil.h"
#include "go_release.h"

#include "gor_scenarios.h"

Test(goroutines, live_counts_by_site)
{
	struct gmt_goroutines *g = scenario();
	struct gmt_gor_stats st;
	const struct gmt_gor_site *leak = find_site(g, "main.leak"), *shrt = find_site(g, "main.short");

	gmt_goroutines__stats(g, &st);
	cr_assert_not_null(leak, "main.leak is a site");
	cr_assert_not_null(shrt, "main.short is a site");
	cr_expect_eq(leak->live, 10, "main.leak: 10 live, got %llu", (unsigned long long)leak->live);
	cr_expect_eq(leak->created, 10);
	cr_expect_eq(shrt->created, 50);
	cr_expect_eq(shrt->exited, 50);
	cr_expect_eq(shrt->live, 0);
	cr_expect_str_eq(leak->start_fn, "main.leak.func1");
	/* User: 10 leaked + runtime.main + the pre-existing user one; runtime: 2. */
	cr_expect_eq(st.live, 12, "live (NumGoroutine's count) 12, got %llu",
		     (unsigned long long)st.live);
	cr_expect_eq(st.live_runtime, 2, "runtime goroutines 2, got %llu",
		     (unsigned long long)st.live_runtime);
	cr_expect_eq(st.preexisting, 3);
	cr_expect_eq(st.created, 61);
	cr_expect_eq(st.exited, 50);
	cr_expect_eq(st.exited_unknown, 1);
	gmt_goroutines__free(g);
}

Test(goroutines, only_the_growing_site_is_a_leak)
{
	struct gmt_goroutines *g = scenario();
	const struct gmt_gor_site *leak = find_site(g, "main.leak"), *shrt = find_site(g, "main.short");
	struct gmt_gor_stats st;

	gmt_goroutines__stats(g, &st);
	cr_assert(leak && shrt);
	cr_expect(leak->leak, "main.leak grows in every slice: flagged");
	cr_expect_eq(leak->buckets[0], 0);
	cr_expect_eq(leak->buckets[GMT_GOR_BUCKETS], 10);
	for (int k = 1; k <= GMT_GOR_BUCKETS; k++)
		cr_expect_geq(leak->buckets[k], leak->buckets[k - 1], "never falls (slice %d)", k);
	cr_expect_not(shrt->leak, "main.short rises and falls: not flagged");
	cr_expect_eq(st.leak_sites, 1, "one leak site, got %llu",
		     (unsigned long long)st.leak_sites);
	gmt_goroutines__free(g);
}

Test(goroutines, sites_ranked_by_live)
{
	struct gmt_goroutines *g = scenario();
	const struct gmt_gor_site *const *s;
	size_t n = gmt_goroutines__sites(g, &s);

	cr_assert_geq(n, 5);
	cr_expect_eq(s[0]->live, 10);
	for (size_t i = 1; i < n; i++)
		cr_expect_geq(s[i - 1]->live, s[i]->live, "sorted by live count");
	gmt_goroutines__free(g);
}

Test(goroutines, runtime_goroutines_as_numgoroutine_counts_them)
{
	cr_expect(gmt_goroutines_is_runtime_fn("runtime.bgsweep"));
	cr_expect(gmt_goroutines_is_runtime_fn("runtime.gcenable.gowrap1"));
	cr_expect_not(gmt_goroutines_is_runtime_fn("runtime.main"));
	cr_expect_not(gmt_goroutines_is_runtime_fn("runtime.corostart"));
	cr_expect_not(gmt_goroutines_is_runtime_fn("main.main.func1"));
	cr_expect_not(gmt_goroutines_is_runtime_fn("os/signal.loop"));
	cr_expect_not(gmt_goroutines_is_runtime_fn(""));
}

Test(goroutines, enumerated_then_created_counts_once)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	struct gmt_gor_stats st;

	/* Created while the enumeration ran: allgs had it, then its record arrived. */
	cr_assert_eq(gmt_goroutines__preexisting(g, 7, PC_MAIN, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__created(g, 1, 7, 0, FN_LEAK), 0);
	/* The record was drained first: the enumeration does not count it again. */
	cr_assert_eq(gmt_goroutines__created(g, 2, 8, 0, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__preexisting(g, 8, PC_MAIN, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, S), 0);
	gmt_goroutines__stats(g, &st);
	cr_expect_eq(st.preexisting, 0);
	cr_expect_eq(st.created, 2);
	cr_expect_eq(st.live, 2);
	gmt_goroutines__free(g);
}

Test(goroutines, many_goroutines_come_and_go)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	struct gmt_gor_stats st;
	const uint64_t n = 200000;

	/* Interleaved creations and exits stress the table's deletions. */
	for (uint64_t i = 1; i <= n; i++) {
		cr_assert_eq(gmt_goroutines__created(g, i, i * 7919, 0, FN_SHORT), 0);
		if (i % 3)
			cr_assert_eq(gmt_goroutines__exited(g, i, (i - (i % 3)) * 7919 + 7919), 0);
	}
	for (uint64_t i = 1; i <= n; i++)
		cr_assert_eq(gmt_goroutines__exited(g, n + i, i * 7919), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, 2 * n), 0);
	gmt_goroutines__stats(g, &st);
	cr_expect_eq(st.live, 0, "every goroutine exited, %llu left",
		     (unsigned long long)st.live);
	cr_expect_eq(st.exited + st.exited_unknown, n + n - n / 3);
	cr_expect_eq(st.exited, n, "each goroutine's exit matched once");
	gmt_goroutines__free(g);
}

Test(goroutines, many_ticks_are_thinned)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	const uint64_t *ts;
	const double *live;
	size_t n;

	for (uint64_t i = 0; i < 10000; i++) {
		cr_assert_eq(gmt_goroutines__created(g, i * 10, i + 1, 5, FN_LEAK), 0);
		cr_assert_eq(gmt_goroutines__tick(g, i * 10 + 5), 0);
	}
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, 100000), 0);
	n = gmt_goroutines__track(g, &ts, &live);
	cr_expect_leq(n, 4097, "bounded: %zu samples", n);
	cr_expect_eq(live[n - 1], 10000);
	for (size_t i = 1; i < n; i++) {
		cr_expect_gt(ts[i], ts[i - 1]);
		cr_expect_geq(live[i], live[i - 1]);
	}
	gmt_goroutines__free(g);
}

/* ---- runtime.g offsets and allgs against the oracle ---- */

struct oracle {
	long goid, status, gopc, startpc;
	uint64_t allglen, allgptr;
};

static void run_oracle(const char *bin, struct oracle *o)
{
	const char *root = getenv("GMT_SOURCE_ROOT");
	char *out, *save = NULL;

	cr_assert(root, "GMT_SOURCE_ROOT is not set: run through meson test");
	memset(o, 0, sizeof(*o));
	o->goid = o->status = o->gopc = o->startpc = -1;
	out = tu_run("cd %s && GOFLAGS=-mod=mod %s run tests/gcoffsets/main.go %s", root, tu_go(),
		     bin);
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128], sec[32];
		unsigned long long v;
		long off;

		if (sscanf(l, "sym %127s %llx %31s", name, &v, sec) == 3) {
			if (!strcmp(name, "runtime.allglen"))
				o->allglen = v;
			else if (!strcmp(name, "runtime.allgptr"))
				o->allgptr = v;
		} else if (sscanf(l, "off %127s %ld", name, &off) == 2) {
			if (!strcmp(name, "runtime.g.goid"))
				o->goid = off;
			else if (!strcmp(name, "runtime.g.atomicstatus"))
				o->status = off;
			else if (!strcmp(name, "runtime.g.gopc"))
				o->gopc = off;
			else if (!strcmp(name, "runtime.g.startpc"))
				o->startpc = off;
		}
	}
	free(out);
}

ParameterizedTestParameters(gorvars, offsets_match_dwarf)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, gorvars, offsets_match_dwarf, .timeout = 300)
{
	const char *v = tu_versions[*i];
	const char *path = tu_fixture("goleak", v, "exe");
	struct gmt_gobin *gb = tu_open_gobin(path);
	const struct gmt_go_release *row = tu_release(gb);
	struct gmt_rel_g off;
	struct gmt_gorvars gv;
	struct oracle o;

	run_oracle(path, &o);
	cr_assert(row, "%s: table knows it", v);
	off = row->g;
	cr_expect_eq(off.goid, o.goid, "%s: g.goid %u, DWARF %ld", v, off.goid, o.goid);
	cr_expect_eq(off.atomicstatus, o.status, "%s: g.atomicstatus", v);
	cr_expect_eq(off.gopc, o.gopc, "%s: g.gopc", v);
	cr_expect_eq(off.startpc, o.startpc, "%s: g.startpc", v);
	/* What the stripped build decodes is what the symbols say. */
	cr_assert(o.allglen && o.allgptr, "%s: the oracle found allglen/allgptr", v);
	cr_assert_eq(gmt_gorvars_find(gb, GMT_GORVARS_NO_SYMTAB, &gv), 0);
	cr_expect(gv.decoded, "%s: decoded from runtime.allgadd (%s)", v, gv.why);
	cr_expect_eq(gv.allglen, o.allglen, "%s: allglen %#llx, symbol %#llx", v,
		     (unsigned long long)gv.allglen, (unsigned long long)o.allglen);
	cr_expect_eq(gv.allgptr, o.allgptr, "%s: allgptr %#llx, symbol %#llx", v,
		     (unsigned long long)gv.allgptr, (unsigned long long)o.allgptr);
	cr_assert_eq(gmt_gorvars_find(gb, 0, &gv), 0);
	cr_expect(!gv.decoded && gv.allglen == o.allglen, "%s: .symtab first", v);
	gmt_gobin__free(gb);
}

ParameterizedTestParameters(gorvars, allgs_found_in_every_flavour)
{
	return cr_make_param_array(int, tu_matrix_params(false), tu_matrix_size(false));
}

ParameterizedTest(int *i, gorvars, allgs_found_in_every_flavour)
{
	const char *v, *f;
	struct gmt_gobin *gb;
	struct gmt_gorvars gv;

	tu_matrix_entry(*i, &v, &f);
	gb = tu_open_gobin(tu_fixture("goleak", v, f));
	cr_assert_eq(gmt_gorvars_find(gb, 0, &gv), 0);
	cr_expect(gv.allglen && gv.allgptr, "%s-%s: allglen/allgptr found (%s)", v, f, gv.why);
	cr_expect_neq(gv.allglen, gv.allgptr);
	gmt_gobin__free(gb);
}

/* Snapshots can be taken while records keep coming (a daemon's intervals). */
Test(goroutines, snapshot_then_more_records)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	const struct gmt_gor_site *const *s;
	struct gmt_gor_stats st;

	cr_assert_eq(gmt_goroutines__created(g, 1, 3, 5, FN_LEAK), 0);
	cr_assert_eq(gmt_goroutines__created(g, 2, 1, 0, FN_SHORT), 0);
	cr_assert_eq(gmt_goroutines__created(g, 3, 2, 0, FN_SHORT), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, 10), 0);
	cr_assert_eq(gmt_goroutines__sites(g, &s), 2);
	cr_expect_eq(s[0]->live, 2, "the second site first: 2 live");
	/* The ranking put the sites in another order than they came in; the goroutines
	 * must still be found by goid. */
	cr_assert_eq(gmt_goroutines__exited(g, 11, 1), 0);
	cr_assert_eq(gmt_goroutines__exited(g, 12, 2), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &fake_sym, 0, 20), 0);
	gmt_goroutines__stats(g, &st);
	cr_expect_eq(st.live, 1);
	cr_expect_eq(st.exited, 2);
	cr_expect_eq(st.exited_unknown, 0);
	cr_assert_eq(gmt_goroutines__sites(g, &s), 2);
	cr_expect_eq(s[0]->live, 1, "now the other site leads");
	cr_expect_str_eq(s[0]->start_fn, "main.leak.func1");
	gmt_goroutines__free(g);
}

Test(goroutines, one_row_per_go_statement)
{
	struct gmt_goroutines *g = search_scenario();
	const struct gmt_gor_site *s;
	struct gmt_gor_stats st;

	cr_assert_eq(rows_of(g, "main.search", &s), 1,
		     "one row for the go statement in main.search");
	cr_expect_eq(s->pre, 20, "20 from before attach, got %llu", (unsigned long long)s->pre);
	cr_expect_eq(s->created, 30);
	cr_expect_eq(s->exited, 20);
	cr_expect_eq(s->live, 30, "20 + 10 leaked live, got %llu", (unsigned long long)s->live);
	cr_expect_not(s->preexisting, "created while tracing too");
	cr_expect_eq(s->nstacks, 1);
	cr_expect_eq(s->gopc, PC_SEARCH);
	cr_expect_str_eq(s->start_fn, "main.backend", "the wrapper's callee, not %s", s->start_fn);
	cr_expect_eq(s->buckets[0], 20, "growth starts from the pre-existing ones");
	for (int k = 1; k <= GMT_GOR_BUCKETS; k++)
		cr_expect_eq(s->buckets[k], 20 + (uint64_t)k, "slice %d: %llu", k,
			     (unsigned long long)s->buckets[k]);
	cr_expect(s->leak, "grows in every slice: a probable leak");
	gmt_goroutines__stats(g, &st);
	cr_expect_eq(st.sites, 1);
	cr_expect_eq(st.leak_sites, 1);
	cr_expect_eq(st.live, 30);
	gmt_goroutines__free(g);
}

/* Runtime or not is decided on the entry's function, as isSystemGoroutine does. */
Test(goroutines, runtime_by_entry_function)
{
	struct gmt_goroutines *g = gmt_goroutines__new();
	const struct gmt_gor_site *const *s;
	struct gmt_gor_stats st;

	cr_assert_eq(gmt_goroutines__preexisting(g, 1, PC_MAIN, FN_RT_WRAP), 0);
	cr_assert_eq(gmt_goroutines__preexisting(g, 2, PC_MAIN, FN_WRAP), 0);
	cr_assert_eq(gmt_goroutines__finish(g, &wrap_sym, 0, S), 0);
	cr_assert_eq(gmt_goroutines__sites(g, &s), 2);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(s[i]->runtime, strcmp(s[i]->start_fn, "runtime.bgsweep") == 0,
			     "%s", s[i]->start_fn);
	gmt_goroutines__stats(g, &st);
	cr_expect_eq(st.live, 1);
	cr_expect_eq(st.live_runtime, 1);
	gmt_goroutines__free(g);
}

/* ---- the goroutine function of go statements in real binaries ---- */

struct census {
	char fn[160];
	long line;
};

/* The fixture's -kinds census: runtime.Stack's function of each go statement in main.kinds. */
static size_t kinds_census(const char *fx, struct census *c, size_t max)
{
	char *out = tu_run("%s -kinds", fx), *save = NULL;
	size_t n = 0;

	for (char *l = strtok_r(out, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		if (sscanf(l, "gostack fn=%159s creator=main.kinds line=%ld", c[n].fn,
			   &c[n].line) == 2)
			n++;
	free(out);
	return n;
}

/* The go statement line of a wrapper: its code is all on that line. */
static long line_of(struct gmt_gobin *gb, uint64_t pc)
{
	struct gmt_frame fr[8];
	int n = gmt_pcln__symbolize(gb->pcln, pc, fr, 8);

	return n >= 1 ? (long)fr[n - 1].line : -1;
}

ParameterizedTestParameters(gofunc, wrappers_named_as_runtime_stack)
{
	return cr_make_param_array(int, tu_matrix_params(false), tu_matrix_size(false));
}

ParameterizedTest(int *i, gofunc, wrappers_named_as_runtime_stack, .timeout = 120)
{
	const char *v, *f, *exe;
	struct census c[8];
	struct gmt_gobin *gb;
	struct gmt_func_info fi;
	struct gmt_gofunc r;
	size_t nc, wrappers = 0;
	char name[160];

	tu_matrix_entry(*i, &v, &f);
	exe = tu_fixture("goleak", v, "exe");
	nc = kinds_census(exe, c, 8);
	cr_assert_eq(nc, 4, "%s: the fixture lists its four go statements", exe);
	gb = tu_open_gobin(tu_fixture("goleak", v, f));
	for (size_t k = 0; k < gmt_pcln__nfunc(gb->pcln); k++) {
		struct census *want = NULL;
		long line;

		cr_assert_eq(gmt_pcln__func(gb->pcln, k, &fi), 0);
		if (strncmp(fi.name, "main.kinds.", 11))
			continue;
		line = line_of(gb, fi.entry);
		for (size_t j = 0; j < nc; j++)
			if (c[j].line == line)
				want = &c[j];
		cr_assert_not_null(want, "%s-%s: %s is the wrapper of a go statement (line %ld)", v,
				   f, fi.name, line);
		wrappers++;
		cr_assert_eq(gmt_gofunc_resolve(gb, fi.entry, &r), 0);
		gmt_gofunc_name(&r, name, sizeof(name));
		if (strcmp(want->fn, "main.note") == 0 && line == c[nc - 2].line) {
			/* `go f(3, hold)`, f a func value: runtime.Stack knows the function it
			 * held; the code does not. */
			cr_expect_eq(r.how, GMT_GOFUNC_UNRESOLVED, "%s-%s: %s: %s", v, f, fi.name,
				     name);
			cr_expect_str_eq(name, "? (go in main.kinds)", "%s-%s: %s", v, f, fi.name);
		} else {
			cr_expect_eq(r.how, GMT_GOFUNC_WRAPPED, "%s-%s: %s: %s", v, f, fi.name,
				     name);
			cr_expect_str_eq(name, want->fn,
					 "%s-%s: %s calls %s (runtime.Stack), not %s", v, f,
					 fi.name, want->fn, name);
		}
		cr_expect_str_eq(r.entry_fn, fi.name);
	}
	cr_expect_eq(wrappers, 3, "%s-%s: three go statements with arguments, %zu wrappers", v, f,
		     wrappers);
	/* `go plain()` has no wrapper: its entry is main.plain itself. */
	cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, "main.plain", &fi), 0);
	cr_assert_eq(gmt_gofunc_resolve(gb, fi.entry, &r), 0);
	cr_expect_eq(r.how, GMT_GOFUNC_PLAIN);
	cr_expect_str_eq(r.entry_fn, "main.plain");
	cr_expect_str_eq(c[nc - 1].fn, "main.plain", "the census lists go plain() last");
	/* A user closure is no wrapper either. */
	cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, "main.leakOne.func1", &fi), 0);
	cr_assert_eq(gmt_gofunc_resolve(gb, fi.entry, &r), 0);
	cr_expect_eq(r.how, GMT_GOFUNC_PLAIN, "%s-%s: main.leakOne.func1 is the user's", v, f);
	gmt_gobin__free(gb);
}

/* Unresolved wrappers are named after the function of their go statement, marked. */
Test(gofunc, unresolved_names)
{
	static const char *const cases[][2] = {
		{ "main.search.gowrap1", "? (go in main.search)" },
		{ "main.(*T).run.gowrap12", "? (go in main.(*T).run)" },
		{ "main.f.func1.gowrap2", "? (go in main.f.func1)" },
		{ "main.search.func3", "? (go in main.search)" },	 /* go1.19-1.20 */
		{ "net.(*R).lookup.func3.2", "? (go in net.(*R).lookup.func3)" }, /* nested */
		{ "main.(*T).run-fm", "? (go in main.(*T).run-fm)" },
		{ "main.gowrap", "? (go in main.gowrap)" },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gmt_gofunc r = { .how = GMT_GOFUNC_UNRESOLVED, .entry_fn = cases[i][0] };

		gmt_gofunc_name(&r, buf, sizeof(buf));
		cr_expect_str_eq(buf, cases[i][1], "%s", cases[i][0]);
	}
	{
		struct gmt_gofunc r = { .how = GMT_GOFUNC_WRAPPED, .entry_fn = "main.a.gowrap1",
					.callee = "main.b" };

		gmt_gofunc_name(&r, buf, sizeof(buf));
		cr_expect_str_eq(buf, "main.b");
		r.how = GMT_GOFUNC_PLAIN;
		gmt_gofunc_name(&r, buf, sizeof(buf));
		cr_expect_str_eq(buf, "main.a.gowrap1");
	}
}

/* The oracle for the func value: the wrapper's code calls through a register. */
ParameterizedTestParameters(gofunc, func_value_call_is_indirect)
{
	return cr_make_param_array(int, tu_version_params(), tu_nversions);
}

ParameterizedTest(int *i, gofunc, func_value_call_is_indirect, .timeout = 120)
{
	const char *exe = tu_fixture("goleak", tu_versions[*i], "exe");
	struct gmt_gobin *gb = tu_open_gobin(exe);
	struct gmt_func_info fi;
	struct gmt_gofunc r;
	size_t unresolved = 0;

	for (size_t k = 0; k < gmt_pcln__nfunc(gb->pcln); k++) {
		char *out;

		cr_assert_eq(gmt_pcln__func(gb->pcln, k, &fi), 0);
		if (strncmp(fi.name, "main.kinds.", 11))
			continue;
		cr_assert_eq(gmt_gofunc_resolve(gb, fi.entry, &r), 0);
		if (r.how != GMT_GOFUNC_UNRESOLVED)
			continue;
		unresolved++;
		out = tu_run("%s tool objdump -s '^%s$' %s | "
			     "grep -cE 'CALL (AX|BX|CX|DX|SI|DI|R[0-9]+)[[:space:]]*$' || true",
			     tu_go(), fi.name, exe);
		cr_expect_eq(atoi(out), 1, "%s: %s calls through a register (go tool objdump)", exe,
			     fi.name);
		free(out);
	}
	cr_expect_eq(unresolved, 1, "%s: one wrapper without a static callee", exe);
	gmt_gobin__free(gb);
}
