// SPDX-License-Identifier: MIT
/*
 * The generated table of Go releases (user/goruntime/go_releases.gen.c, compiled into
 * this test directly): one row per release in order, every offset inside its struct,
 * the fields every release has present, the layout facts the code relies on, and the
 * derived flags against the release history as docs/go-runtime.md, "Allocation" to "Goroutines" documents it (hand
 * knowledge: an oracle independent of the DWARF the table comes from).  That the
 * table is what the toolchains' DWARF says is scripts/gen-go-releases.sh --check.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "go_release.h"

#define FIRST_MINOR 19
#define LAST_MINOR 27

#define NOFF(group) (sizeof(group) / sizeof(uint32_t))

static const struct gmt_go_release *row(int minor)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (gmt_go_releases[i].minor == minor)
			return &gmt_go_releases[i];
	return NULL;
}

Test(go_releases, one_row_per_release_in_order)
{
	cr_assert_eq(gmt_go_nreleases, LAST_MINOR - FIRST_MINOR + 1);
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		const struct gmt_go_release *r = &gmt_go_releases[i];
		char want[32];

		cr_expect_eq(r->minor, FIRST_MINOR + (int)i, "row %zu is go1.%d", i, r->minor);
		cr_expect(r->patch >= 0 && r->patch < 100, "go1.%d.%d", r->minor, r->patch);
		snprintf(want, sizeof(want), "go1.%d.%d", r->minor, r->patch);
		cr_expect_str_eq(r->version, want);
	}
}

/* Every offset of a group is absent or inside the struct the group describes. */
static void check_group(const struct gmt_go_release *r, const char *name, const uint32_t *off,
			size_t n, uint32_t size)
{
	cr_assert_neq(size, GMT_OFF_ABSENT, "%s: sizeof %s absent", r->version, name);
	cr_expect(size > 0 && size < (1u << 20), "%s: sizeof %s = %u", r->version, name, size);
	for (size_t i = 0; i < n; i++)
		cr_expect(off[i] == GMT_OFF_ABSENT || off[i] < size,
			  "%s: %s field #%zu at %u, beyond its %u bytes", r->version, name, i,
			  off[i], size);
}

#define CHECK(r, group, size)                                                                  \
	do {                                                                                   \
		uint32_t o_[NOFF((r)->group)];                                                 \
		memcpy(o_, &(r)->group, sizeof(o_));                                           \
		check_group(r, #group, o_, NOFF((r)->group), (r)->sizes.size);                 \
	} while (0)

Test(go_releases, offsets_inside_their_struct)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		const struct gmt_go_release *r = &gmt_go_releases[i];

		CHECK(r, g, g);
		CHECK(r, gobuf, gobuf);
		CHECK(r, m, m);
		CHECK(r, p, p);
		CHECK(r, mcache, mcache);
		CHECK(r, gc_controller, gc_controller);
		CHECK(r, work, work);
		CHECK(r, mstats, mstats);
		CHECK(r, heap_stats, heap_stats);
		CHECK(r, heap_stats_delta, heap_stats_delta);
		CHECK(r, mheap, mheap);
		CHECK(r, moduledata, moduledata);
		CHECK(r, pc_header, pc_header);
		CHECK(r, func, func);
		CHECK(r, type, type);
		CHECK(r, bucket, bucket);
		CHECK(r, mem_record, mem_record);
		CHECK(r, mem_record_cycle, mem_record_cycle);
		CHECK(r, special, special);
		CHECK(r, specialprofile, specialprofile);
		CHECK(r, gc_trigger, gc_trigger);
		CHECK(r, debug, debug);
	}
}

Test(go_releases, fields_every_release_has)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		const struct gmt_go_release *r = &gmt_go_releases[i];
		const struct {
			const char *name;
			uint32_t off;
		} f[] = {
			{ "g.stack_lo", r->g.stack_lo },
			{ "g.stack_hi", r->g.stack_hi },
			{ "g.m", r->g.m },
			{ "g.sched", r->g.sched },
			{ "g.atomicstatus", r->g.atomicstatus },
			{ "g.goid", r->g.goid },
			{ "g.waitsince", r->g.waitsince },
			{ "g.waitreason", r->g.waitreason },
			{ "g.gopc", r->g.gopc },
			{ "g.startpc", r->g.startpc },
			{ "gobuf.sp", r->gobuf.sp },
			{ "gobuf.pc", r->gobuf.pc },
			{ "gobuf.bp", r->gobuf.bp },
			{ "m.curg", r->m.curg },
			{ "gc_controller.gc_percent", r->gc_controller.gc_percent },
			{ "gc_controller.memory_limit", r->gc_controller.memory_limit },
			{ "gc_controller.last_heap_goal", r->gc_controller.last_heap_goal },
			{ "gc_controller.heap_live", r->gc_controller.heap_live },
			{ "gc_controller.heap_marked", r->gc_controller.heap_marked },
			{ "work.t_sweep_term", r->work.t_sweep_term },
			{ "work.heap0", r->work.heap0 },
			{ "work.user_forced", r->work.user_forced },
			{ "work.cycles", r->work.cycles },
			{ "mstats.numgc", r->mstats.numgc },
			{ "mstats.last_gc_unix", r->mstats.last_gc_unix },
			{ "mstats.pause_total_ns", r->mstats.pause_total_ns },
			{ "moduledata.types", r->moduledata.types },
			{ "moduledata.etypes", r->moduledata.etypes },
			{ "moduledata.rodata", r->moduledata.rodata },
			{ "moduledata.gofunc", r->moduledata.gofunc },
			{ "moduledata.next", r->moduledata.next },
			{ "type.tflag", r->type.tflag },
			{ "type.str", r->type.str },
			{ "bucket.allnext", r->bucket.allnext },
			{ "bucket.nstk", r->bucket.nstk },
			{ "mem_record.future", r->mem_record.future },
			{ "mem_record_cycle.frees", r->mem_record_cycle.frees },
			{ "specialprofile.b", r->specialprofile.b },
		};

		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			cr_expect_neq(f[k].off, GMT_OFF_ABSENT, "%s: %s absent", r->version,
				      f[k].name);
	}
}

/* What the code reads without the table, or from one field to the next. */
Test(go_releases, layout_the_code_relies_on)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		const struct gmt_go_release *r = &gmt_go_releases[i];
		const struct gmt_rel_gc_controller *c = &r->gc_controller;
		const char *v = r->version;

		/* gcvars reads the three phase times and the three heap sizes in one go each. */
		cr_expect_eq(r->work.t_mark, r->work.t_sweep_term + 8, "%s", v);
		cr_expect_eq(r->work.t_mark_term, r->work.t_sweep_term + 16, "%s", v);
		cr_expect_eq(r->work.heap1, r->work.heap0 + 8, "%s", v);
		cr_expect_eq(r->work.heap2, r->work.heap0 + 16, "%s", v);
		/* gcvars' decoder of stripped binaries places the heap counters this way. */
		cr_expect_eq(c->heap_live, c->last_heap_goal + 8, "%s", v);
		cr_expect_eq(c->heap_marked, c->last_heap_goal + 56, "%s", v);
		cr_expect_eq(r->mstats.numforcedgc, r->mstats.numgc + 4, "%s", v);
		/* Flattened members agree with their own struct. */
		cr_expect_eq(r->g.sched_sp, r->g.sched + r->gobuf.sp, "%s", v);
		cr_expect_eq(r->g.sched_pc, r->g.sched + r->gobuf.pc, "%s", v);
		cr_expect_eq(r->g.sched_bp, r->g.sched + r->gobuf.bp, "%s", v);
		/* A bucket: header, stk[nstk], then memRecord{active, future[3]}. */
		cr_expect_eq(r->sizes.bucket, r->bucket.nstk + 8, "%s", v);
		cr_expect_eq(r->lens.mem_record_future, 3, "%s", v);
		cr_expect_eq(r->sizes.mem_record, 4 * r->sizes.mem_record_cycle, "%s", v);
		cr_expect_eq(r->mem_record.future, r->sizes.mem_record_cycle, "%s", v);
		/* The two byte counts went together (go1.27 has neither). */
		cr_expect_eq(r->mem_record_cycle.alloc_bytes == GMT_OFF_ABSENT,
			     r->mem_record_cycle.free_bytes == GMT_OFF_ABSENT, "%s", v);
		cr_expect_eq(r->sizes.waitreason, 1, "%s", v);
		cr_expect_eq(r->sizes.func, r->func.nfuncdata + 1, "%s", v);
		cr_expect_eq(r->consts.g_scan, 0x1000, "%s", v);
		cr_expect_eq(r->consts.g_dead, 6, "%s", v);
		cr_expect_eq(r->lens.small_alloc_count, r->consts.num_size_classes, "%s", v);
	}
}

/* Flags and argument registers: consistent with each other. */
Test(go_releases, flags_match_arguments)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		const struct gmt_go_release *r = &gmt_go_releases[i];
		const struct gmt_rel_args *a = &r->args;
		const char *v = r->version;
		bool mp = r->flags & GMT_REL_MPROF_MALLOC_MP;

		cr_expect_eq(a->mprof_malloc_mp, mp ? 0 : GMT_ARG_ABSENT, "%s", v);
		cr_expect_eq(a->mprof_malloc_p, mp ? 1 : 0, "%s", v);
		cr_expect_eq(a->mprof_malloc_size, mp ? 2 : 1, "%s", v);
		cr_expect_eq(a->mprof_free_size,
			     r->flags & GMT_REL_MPROF_FREE_SIZE ? 1 : GMT_ARG_ABSENT, "%s", v);
		cr_expect_eq(a->stw_stop_reason, r->flags & GMT_REL_STW_REASON ? 0 : GMT_ARG_ABSENT,
			     "%s", v);
		cr_expect_eq(a->stw_start_now, r->flags & GMT_REL_START_NOW ? 0 : GMT_ARG_ABSENT,
			     "%s", v);
		cr_expect_eq(a->gdestroy_gp, r->flags & GMT_REL_GDESTROY ? 0 : GMT_ARG_ABSENT,
			     "%s", v);
		cr_expect_eq(r->consts.malloc_header_size != GMT_CONST_ABSENT,
			     !!(r->flags & GMT_REL_MALLOC_HEADER), "%s", v);
		/* The allocator entry points, as tracer.c and calltype.c read them. */
		cr_expect_eq(a->mallocgc_size, 0, "%s", v);
		cr_expect_eq(a->mallocgc_typ, 1, "%s", v);
		cr_expect_eq(a->newobject_typ, 0, "%s", v);
		cr_expect_eq(a->runqput_gp, 1, "%s", v);
		cr_expect_eq(a->start_cycle_trigger, 3, "%s", v);
		/* The stwReason names: from go1.21, the GC's two at their constants. */
		if (r->flags & GMT_REL_STW_REASON) {
			cr_assert_gt(r->strings.stw_reasons.n, 2, "%s", v);
			cr_expect_str_eq(r->strings.stw_reasons.s[r->consts.stw_gc_mark_term],
					 "GC mark termination", "%s", v);
			cr_expect_str_eq(r->strings.stw_reasons.s[r->consts.stw_gc_sweep_term],
					 "GC sweep termination", "%s", v);
		} else {
			cr_expect_null(r->strings.stw_reasons.s, "%s", v);
		}
		cr_expect_gt(r->strings.wait_reasons.n, 20, "%s", v);
	}
}

/* docs/go-runtime.md, "Heap sampler" (sampler), §6 (GC, STW), §7 (goroutines): the documented history. */
Test(go_releases, flags_match_the_documented_history)
{
	for (int minor = FIRST_MINOR; minor <= LAST_MINOR; minor++) {
		const struct gmt_go_release *r = row(minor);
		uint32_t fl;

		cr_assert_not_null(r, "go1.%d", minor);
		fl = r->flags;
		cr_expect_eq(!!(fl & GMT_REL_MPROF_MALLOC_MP), minor >= 23, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MPROF_FREE_SIZE), minor < 27, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_STOPTHEWORLD_STRING), minor <= 20, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_STW_REASON), minor >= 21, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_STW_WORLDSTOP), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_START_EMIT_TRACE), minor <= 20, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_START_NOW), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MARKTERM_WORLDSTOP), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_GCSWEEP_RESULT), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_GDESTROY), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MALLOC_HEADER), minor >= 22, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MALLOCGC_SPLIT), minor >= 24, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_SIZE_SPECIALIZED), minor >= 27, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MEMPROFRATE_STATIC), minor >= 20, "go1.%d", minor);
		cr_expect_eq(!!(fl & GMT_REL_MCACHE_PROF_RATE), minor >= 24, "go1.%d", minor);
		/* §7: parentGoid from 1.21; §6: m.curg at 184 from 1.25. */
		cr_expect_eq(r->g.parent_goid != GMT_OFF_ABSENT, minor >= 21, "go1.%d", minor);
		cr_expect_eq(r->m.curg, minor >= 25 ? 184u : 192u, "go1.%d", minor);
		/* §7b: go1.27's memRecordCycle is {allocs, frees}. */
		cr_expect_eq(r->sizes.mem_record_cycle, minor >= 27 ? 16u : 32u, "go1.%d", minor);
		/* §5: the growslice ABI change of 1.20 moved its type to RSI. */
		cr_expect_eq(r->args.growslice_et, minor >= 20 ? 4 : 0, "go1.%d", minor);
	}
}
