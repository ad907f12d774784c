// SPDX-License-Identifier: MIT
/*
 * heap.pb.gz from the runtime's buckets (out/out_heapsnap.c) with a made-up symbolizer:
 * logical stacks (one pc per frame, inlined ones included, as runtime.callers stores
 * them) become one Location per physical frame, the runtime's leading frames and
 * runtime.goexit go as runtime/pprof drops them, values are scaled as runtime/pprof
 * scales them; the result read back by `go tool pprof -raw`.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mprof.h"
#include "outputs.h"
#include "testutil.h"

/*
 * The made-up binary (return address -> frames, innermost first):
 *   0x110: runtime.mallocgc                 0x120: runtime.newobject
 *   0x210: main.leaf inlined in main.mid inlined in main.outer   (the call's return)
 *   0x220: main.mid inlined in main.outer   (inline mark of main.leaf's call, +1)
 *   0x230: main.outer                       (inline mark of main.mid's call, +1)
 *   0x310: main.main                        0x410: runtime.main
 *   0x510: runtime.goexit
 *   0x610: main.main.gowrap1, a go statement's wrapper     0x620: runtime.gopanic
 *   0x630: main.leaf inlined in main.main.gowrap2, a wrapper
 */
static int frames(void *ctx, uint64_t pc, struct gmt_frame *out, int max)
{
	static const struct {
		uint64_t pc;
		const char *f[3];
		uint32_t line[3];
	} t[] = {
		{ 0x110, { "runtime.mallocgc" }, { 1 } },
		{ 0x120, { "runtime.newobject" }, { 2 } },
		{ 0x210, { "main.leaf", "main.mid", "main.outer" }, { 10, 20, 30 } },
		{ 0x220, { "main.mid", "main.outer" }, { 20, 30 } },
		{ 0x230, { "main.outer" }, { 30 } },
		{ 0x310, { "main.main" }, { 40 } },
		{ 0x410, { "runtime.main" }, { 50 } },
		{ 0x510, { "runtime.goexit" }, { 60 } },
		{ 0x610, { "main.main.gowrap1" }, { 70 } },
		{ 0x620, { "runtime.gopanic" }, { 80 } },
		{ 0x630, { "main.leaf", "main.main.gowrap2" }, { 10, 90 } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n = 0;

		if (t[i].pc != pc)
			continue;
		while (n < 3 && n < max && t[i].f[n]) {
			out[n] = (struct gmt_frame){ t[i].f[n], "/src/x.go", t[i].line[n] };
			n++;
		}
		return n;
	}
	return -2;
}

static bool is_wrapper(void *ctx, uint64_t pc)
{
	(void)ctx;
	return pc == 0x610 || pc == 0x630;
}

static const struct gmt_symbolizer sym = { .frames = frames, .is_wrapper = is_wrapper };

Test(heapsnap, inlined_runs_become_one_location)
{
	uint64_t in[] = { 0x210, 0x220, 0x230, 0x310, 0x410, 0x510 }, out[6];
	size_t n = gmt_heapsnap_physical(&sym, in, 6, out);

	cr_assert_eq(n, 3);
	cr_assert_eq(out[0], 0x210);
	cr_assert_eq(out[1], 0x310);
	cr_assert_eq(out[2], 0x410, "runtime.goexit is left out");
}

Test(heapsnap, a_stack_cut_inside_an_inlined_run)
{
	/* The depth limit cut the run after main.mid: 0x210 still names all three frames. */
	uint64_t in[] = { 0x210, 0x220 }, out[2];

	cr_assert_eq(gmt_heapsnap_physical(&sym, in, 2, out), 1);
	cr_assert_eq(out[0], 0x210);
}

Test(heapsnap, physical_stacks_stay_as_they_are)
{
	uint64_t in[] = { 0x210, 0x310, 0x410 }, out[3];

	cr_assert_eq(gmt_heapsnap_physical(&sym, in, 3, out), 3);
}

Test(heapsnap, wrappers_are_left_out_as_the_runtime_leaves_them_out)
{
	/* go1.23+ buckets hold the wrapper's pc (frame pointers); the profile has not. */
	uint64_t a[] = { 0x210, 0x220, 0x230, 0x310, 0x610, 0x510 }, out[6];
	/* Above runtime.gopanic the runtime keeps a wrapper (elideWrapperCalling). */
	uint64_t b[] = { 0x620, 0x610, 0x510 };
	/* Something inlined into the wrapper: its pc stays (its frames are the callee's). */
	uint64_t c[] = { 0x210, 0x630, 0x510 };

	cr_assert_eq(gmt_heapsnap_physical(&sym, a, 6, out), 2);
	cr_assert_eq(out[0], 0x210);
	cr_assert_eq(out[1], 0x310, "main.main.gowrap1 and goexit are left out");
	cr_assert_eq(gmt_heapsnap_physical(&sym, b, 3, out), 2);
	cr_assert_eq(out[1], 0x610, "a wrapper calling gopanic is kept");
	cr_assert_eq(gmt_heapsnap_physical(&sym, c, 3, out), 2);
	cr_assert_eq(out[1], 0x630);
}

Test(heapsnap, a_wrapper_with_its_callee_inlined_shows_the_callee_only)
{
	struct gmt_go_view v;
	const struct gmt_symbolizer *go = gmt_go_view(&v, &sym);
	struct gmt_frame fr[4];

	cr_assert_eq(gmt_symbolize_pc(go, 0x630, fr, 4), 1);
	cr_assert_str_eq(fr[0].func, "main.leaf");
	cr_assert_not(go->is_wrapper(go->ctx, 0x630), "the wrapper it shows no more");
	cr_assert_eq(gmt_symbolize_pc(go, 0x610, fr, 4), 1, "a bare wrapper stays one frame");
	cr_assert(go->is_wrapper(go->ctx, 0x610));
	cr_assert_eq(gmt_symbolize_pc(go, 0x210, fr, 4), 3, "other pcs as they are");
	cr_assert(gmt_go_elides_wrapper_calling("main.leaf"));
	cr_assert_not(gmt_go_elides_wrapper_calling("runtime.sigpanic"));
}

Test(heapsnap, runtime_skip)
{
	uint64_t a[] = { 0x110, 0x120, 0x210, 0x410 }, b[] = { 0x110, 0x410, 0x510 };
	uint64_t c[] = { 0x999, 0x210 };

	cr_assert_eq(gmt_heapsnap_runtime_skip(&sym, a, 4), 2);
	cr_assert_eq(gmt_heapsnap_runtime_skip(&sym, b, 3), 0, "all runtime: all kept");
	cr_assert_eq(gmt_heapsnap_runtime_skip(&sym, c, 2), 0, "unnamed: not hidden");
}

/* Two buckets: 20000 live objects of 48 bytes under main.leaf, 3 freed ones of 1 KiB. */
static uint64_t pcs[] = { 0x110, 0x120, 0x210, 0x220, 0x230, 0x310, 0x410, 0x510,
			  0x110, 0x310, 0x410, 0x510 };
static struct gmt_mprof_rec recs[] = {
	{ .size = 48, .nstk = 8, .stk = 0, .allocs = 20000, .frees = 0, .alloc_bytes = 960000,
	  .free_bytes = 0 },
	{ .size = 1024, .nstk = 4, .stk = 8, .allocs = 3, .frees = 3, .alloc_bytes = 3072,
	  .free_bytes = 3072 },
};

Test(heapsnap, written_as_runtime_pprof_writes_it, .timeout = 60)
{
	struct gmt_mprof p = { .recs = recs, .n = 2, .pcs = pcs, .npcs = 12 };
	char path[] = "/tmp/gmt-heapsnap-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	char *out;

	cr_assert(f);
	cr_assert_eq(gmt_write_heap_snapshot(&p, 4096, &sym, f, NULL, NULL), 0);
	fclose(f);
	out = tu_run("%s tool pprof -raw %s 2>&1; rm -f %s", tu_go(), path, path);
	cr_assert(strstr(out, "PeriodType: space bytes\nPeriod: 4096\n"), "%s", out);
	cr_assert(strstr(out, "alloc_objects/count alloc_space/bytes inuse_objects/count "
			      "inuse_space/bytes\n"),
		  "%s", out);
	/* Values from Go's scaleHeapSample (test_mprof.c's oracle): 20000 x 48 B at 4096. */
	cr_assert(strstr(out, "    1716686   82400937    1716686   82400937: 1 2 3 \n"
			      "                bytes:[48]\n"),
		  "%s", out);
	cr_assert(strstr(out, "         13      13887          0          0: 2 3 \n"
			      "                bytes:[1024]\n"),
		  "%s", out);
	/* One Location for the inlined run, innermost first; no goexit anywhere. */
	cr_assert(strstr(out, "main.leaf /src/x.go:10:0 s=0\n"
			      "             main.mid /src/x.go:20:0 s=0\n"
			      "             main.outer /src/x.go:30:0 s=0\n"),
		  "%s", out);
	cr_assert_null(strstr(out, "goexit"), "%s", out);
	cr_assert_null(strstr(out, "mallocgc"), "%s", out);
	free(out);
}

/*
 * record's and the daemon's live heap (struct gmt_live_heap): report.txt's section says
 * what it covers and lists the in-use sites (the leaf runtime/pprof shows), with the
 * values runtime/pprof's scaling gives (the oracle above); summary.json's fields; a
 * live heap that could not be read says why.
 */
Test(heapsnap, live_heap_labelled)
{
	struct gmt_mprof p = { .recs = recs, .n = 2, .pcs = pcs, .npcs = 12, .cycle = 7 };
	struct gmt_live_heap lh = { .p = &p, .rate = 4096, .rate_raised = true,
				    .alloc_objects = 1716686 + 13, .alloc_space = 82400937 + 13887,
				    .inuse_objects = 1716686, .inuse_space = 82400937 };
	struct gmt_json *j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(gmt_live_heap_report(f, &lh, &sym), 0);
	fflush(f);
	cr_assert(strstr(buf, "Live heap (runtime's heap profile, read at the end): 78.6 MiB in "
			      "1716686 objects\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "as of the last completed GC (profile cycle 7)"), "%s", buf);
	cr_assert(strstr(buf, "sampled at MemProfileRate 4096, since gomemtrace raised the rate"),
		  "%s", buf);
	cr_assert(strstr(buf, "       80469.7 KiB    1716686 objects  main.leaf\n"), "%s", buf);
	cr_assert_null(strstr(buf, "main.main"), "nothing of the freed bucket is live: %s", buf);
	fclose(f);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	j = gmt_json__new(f, false);
	gmt_json__obj_begin(j);
	lh.rate_raised = false;
	p.all_cycles = true;
	gmt_live_heap_summary(j, &lh);
	gmt_json__obj_end(j);
	cr_assert_eq(gmt_json__free(j), 0);
	fclose(f);
	cr_assert(strstr(buf, "\"live_heap_source\":\"runtime_buckets\",\"live_heap_inuse_objects\":"
			      "1716686,\"live_heap_inuse_bytes\":82400937,"
			      "\"live_heap_alloc_objects\":1716699,\"live_heap_alloc_bytes\":82414824,"
			      "\"live_heap_rate\":4096,\"live_heap_buckets\":2,"
			      "\"live_heap_gc_cycle\":7,\"live_heap_as_of\":\"no_gc_completed\","
			      "\"live_heap_covers\":\"since_process_start\""),
		  "%s", buf);
	free(buf);

	lh = (struct gmt_live_heap){ .why = "PID 1 was gone at the end of the window" };
	buf = NULL;
	f = open_memstream(&buf, &len);
	cr_assert_eq(gmt_live_heap_report(f, &lh, &sym), 0);
	fflush(f);
	cr_assert_str_eq(buf, "Live heap (runtime's heap profile): not read: PID 1 was gone at the "
			      "end of the window\n\n");
	fclose(f);
	free(buf);
}
