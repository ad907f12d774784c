// SPDX-License-Identifier: MIT
/*
 * The goroutine walker (goruntime/gsnap.h) and the pcsp unwinder (gobin/unwind.h) on
 * memory made of byte buffers, with the real pclntab of the snapshot fixture (go1.26):
 * a stack of main.deep frames built as the runtime lays it out (return address at
 * sp + pcsp(pc)) must unwind to exactly those pcs and stop at runtime.goexit; allgs with
 * a dead g, a running g and a pointer to nowhere must give what the runtime would show.
 * The independent oracle of the same code on live processes is tests/e2e/test_snapshot.c.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "gobin.h"
#include "gsnap.h"
#include "testutil.h"
#include "unwind.h"

static struct gmt_gobin *gb;
static const struct gmt_go_release *row;

static void setup(void)
{
	struct gmt_diag d = {};

	cr_assert_eq(gmt_gobin__open(tu_fixture("snapshot", "go126", "exe"), &gb, &d), 0, "%s",
		     d.msg);
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (gmt_go_releases[i].minor == 26)
			row = &gmt_go_releases[i];
	cr_assert(row);
}

static void teardown(void)
{
	gmt_gobin__free(gb);
}

/* A pc in the body of fn (past its prologue): where its frame is complete. */
static uint64_t body_pc(const char *fn, int32_t *delta)
{
	struct gmt_func_info fi;
	int32_t best = -1;
	uint64_t pc = 0;

	cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, fn, &fi), 0, "%s", fn);
	for (uint64_t a = fi.entry; a < fi.end; a++) {
		int32_t v;

		if (!gmt_pcln__spdelta(gb->pcln, a, &v) && v > best) {
			best = v;
			pc = a;
		}
	}
	cr_assert_gt(best, 0, "%s has a frame", fn);
	*delta = best;
	return pc;
}

#define STK_LO 0x100000ull
#define STK_HI 0x108000ull

static uint8_t stack[STK_HI - STK_LO];

static void put64(uint8_t *buf, uint64_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

/*
 * Lays out n frames of main.deep then runtime.goexit from sp: fills pcs with what the
 * unwinder must find.  Returns the first pc.
 */
static uint64_t build_stack(uint64_t sp, int n, uint64_t *pcs)
{
	int32_t d;
	uint64_t body = body_pc("main.deep", &d);
	struct gmt_func_info gx;

	cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, "runtime.goexit", &gx), 0);
	memset(stack, 0, sizeof(stack));
	for (int i = 0; i < n; i++) {
		/* Frame i runs main.deep at body (the innermost) or returns to body + 1. */
		uint64_t ret = i + 1 < n ? body + 1 : gx.entry + 1;

		pcs[i] = i ? body + 1 : body;
		put64(stack, sp + (uint32_t)d - STK_LO, ret);
		sp += (uint32_t)d + 8;
	}
	pcs[n] = gx.entry + 1;
	return body;
}

TestSuite(unwind, .init = setup, .fini = teardown);

Test(unwind, pcsp_frames_to_goexit)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem m;
	uint64_t want[8], got[16];
	uint64_t pc = build_stack(STK_LO + 0x1000, 5, want);
	int n;

	gmt_rmem_buf_add(&b, STK_LO, stack, sizeof(stack));
	m = gmt_rmem_buf_mem(&b);
	n = gmt_unwind(gb->pcln, &m, &(struct gmt_unwind_in){ pc, STK_LO + 0x1000, STK_LO, STK_HI, 0 },
		       got, 16);
	cr_assert_eq(n, 6, "5 frames of main.deep and runtime.goexit, got %d", n);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(got[i], want[i], "frame %d: 0x%lx, want 0x%lx", i, got[i], want[i]);
	/* Bounded: max frames, no more. */
	cr_expect_eq(gmt_unwind(gb->pcln, &m,
				&(struct gmt_unwind_in){ pc, STK_LO + 0x1000, STK_LO, STK_HI, 0 },
				got, 3),
		     3);
	/* With a memo, twice (the second walk from the memo alone): the same frames, and
	 * a pc in no function still fails. */
	struct gmt_unwind_memo *memo = calloc(1, sizeof(*memo));

	cr_assert_not_null(memo);
	for (int k = 0; k < 2; k++) {
		memset(got, 0, sizeof(got));
		n = gmt_unwind(gb->pcln, &m,
			       &(struct gmt_unwind_in){ pc, STK_LO + 0x1000, STK_LO, STK_HI, 0, memo },
			       got, 16);
		cr_assert_eq(n, 6, "walk %d with the memo: %d frames", k, n);
		cr_expect_eq(memcmp(got, want, 6 * sizeof(got[0])), 0, "walk %d: same frames", k);
		cr_expect_eq(gmt_unwind(gb->pcln, &m,
					&(struct gmt_unwind_in){ 8, STK_LO + 0x1000, STK_LO, STK_HI,
								 0, memo },
					got, 16),
			     -EFAULT);
	}
	free(memo);
}

Test(unwind, stays_inside_the_stack)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem m;
	uint64_t want[8], got[16];
	uint64_t pc = build_stack(STK_LO + 0x1000, 5, want);

	gmt_rmem_buf_add(&b, STK_LO, stack, sizeof(stack));
	m = gmt_rmem_buf_mem(&b);
	/* A stack whose hi is below the third frame: -EFAULT, never a read past it. */
	cr_expect_eq(gmt_unwind(gb->pcln, &m,
				&(struct gmt_unwind_in){ pc, STK_LO + 0x1000, STK_LO,
							 STK_LO + 0x1000 + 0x20, 0 },
				got, 16),
		     -EFAULT);
	/* A pc in no function. */
	cr_expect_eq(gmt_unwind(gb->pcln, &m,
				&(struct gmt_unwind_in){ 8, STK_LO + 0x1000, STK_LO, STK_HI, 0 },
				got, 16),
		     -EFAULT);
	/* The process gone mid-walk. */
	b.gone_after = 1;
	cr_expect_eq(gmt_unwind(gb->pcln, &m,
				&(struct gmt_unwind_in){ pc, STK_LO + 0x1000, STK_LO, STK_HI, 0 },
				got, 16),
		     -ESRCH);
}

static int reason_of(const char *s)
{
	for (uint32_t i = 0; i < row->strings.wait_reasons.n; i++)
		if (row->strings.wait_reasons.s[i] && !strcmp(row->strings.wait_reasons.s[i], s))
			return (int)i;
	cr_assert_fail("no wait reason %s", s);
	return 0;
}

#define VARS 0x1000ull
#define ALLGS 0x2000ull
#define G0 0x10000ull

static uint8_t vars[16], allgs[5 * 8], gmem[3][4096];

static void put_g(int i, uint64_t goid, int64_t status, uint64_t pc, uint64_t sp)
{
	uint8_t *g = gmem[i];

	cr_assert_lt(row->sizes.g, sizeof(gmem[i]));
	memset(g, 0, sizeof(gmem[i]));
	put64(g, row->g.goid, goid);
	memcpy(g + row->g.atomicstatus, &(uint32_t){ (uint32_t)status }, 4);
	put64(g, row->g.sched_pc, pc);
	put64(g, row->g.sched_sp, sp);
	put64(g, row->g.stack_lo, STK_LO);
	put64(g, row->g.stack_hi, STK_HI);
	put64(g, row->g.gopc, 0x401000);
	put64(g, row->g.parent_goid, 1);
	put64(g, row->g.waitsince, 12345);
}

Test(unwind, allgs_walk)
{
	struct gmt_rmem_buf b = {};
	struct gmt_rmem m;
	struct gmt_gsnap s;
	struct gmt_diag d = {};
	uint64_t want[8];
	uint64_t pc = build_stack(STK_LO + 0x1000, 3, want);
	int chanrecv = reason_of("chan receive");

	put64(vars, 0, 5);     /* allglen */
	put64(vars, 8, ALLGS); /* allgptr */
	put64(allgs, 0, G0);
	put64(allgs, 8, G0 + 0x1000);
	put64(allgs, 16, 0);	      /* a nil slot: skipped */
	put64(allgs, 24, G0 + 0x2000);
	put64(allgs, 32, 0xdead0000); /* leads nowhere: counted, not followed */
	put_g(0, 7, row->consts.g_waiting, pc, STK_LO + 0x1000);
	gmem[0][row->g.waitreason] = (uint8_t)chanrecv;
	put_g(1, 8, row->consts.g_dead, 0, 0);
	put_g(2, 9, row->consts.g_running | row->consts.g_scan, 0, 0);
	gmt_rmem_buf_add(&b, VARS, vars, sizeof(vars));
	gmt_rmem_buf_add(&b, ALLGS, allgs, sizeof(allgs));
	for (int i = 0; i < 3; i++)
		gmt_rmem_buf_add(&b, G0 + 0x1000ull * i, gmem[i], sizeof(gmem[i]));
	gmt_rmem_buf_add(&b, STK_LO, stack, sizeof(stack));
	m = gmt_rmem_buf_mem(&b);
	cr_assert_eq(gmt_gsnap_read(&m, row, gb->pcln,
				    &(struct gmt_gsnap_addrs){ VARS + 8, VARS, 0 }, &s, &d),
		     0, "%s", d.msg);
	cr_assert_eq(s.n, 2, "the waiting and the running goroutine, not the dead one");
	cr_expect_eq(s.unreadable, 1, "the pointer to nowhere is counted");
	cr_expect_eq(s.gs[0].goid, 7);
	cr_expect_str_eq(gmt_gsnap_state(row, &s.gs[0]), "chan receive");
	cr_expect_eq(s.gs[0].parent_goid, 1);
	cr_expect_eq(s.gs[0].waitsince, 12345);
	cr_assert_eq(s.gs[0].nstk, 4, "3 frames and goexit, got %d", s.gs[0].nstk);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(s.gs[0].stk[i], want[i]);
	cr_expect_eq(s.nframes, 4, "the frames array holds the stopped goroutine's frames only");
	cr_expect_eq(s.gs[1].goid, 9);
	cr_expect_str_eq(gmt_gsnap_state(row, &s.gs[1]), "running", "the scan bit is dropped");
	cr_expect_eq(s.gs[1].nstk, 0, "a running goroutine has no saved stack");
	gmt_gsnap_free(&s);

	/* A garbage length: one line, nothing returned. */
	put64(vars, 0, 1ull << 40);
	cr_expect_eq(gmt_gsnap_read(&m, row, gb->pcln,
				    &(struct gmt_gsnap_addrs){ VARS + 8, VARS, 0 }, &s, &d),
		     -EINVAL);
	cr_expect(strstr(d.msg, "not a length"), "%s", d.msg);
	/* Gone. */
	put64(vars, 0, 5);
	b.gone_after = 3;
	b.reads = 0;
	cr_expect_eq(gmt_gsnap_read(&m, row, gb->pcln,
				    &(struct gmt_gsnap_addrs){ VARS + 8, VARS, 0 }, &s, &d),
		     -ESRCH);
}

/*
 * A goroutine that moves while it is read: memory whose every load of the stack (the
 * reader copies [sp, stack.hi) in one read) moves g 0 to the other of two parked states,
 * as many times as the test says.
 */
struct moving {
	struct gmt_rmem_buf b;
	struct gmt_rmem under;
	int moves;		/* left */
	uint64_t pc[2], sp[2]; /* the two states */
	int at;			/* the state g 0 is in */
};

static int moving_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct moving *mv = ctx;
	int err = gmt_rmem_read(&mv->under, addr, out, len);

	if (!err && addr >= STK_LO && addr < STK_HI && len > 8 && mv->moves > 0) {
		mv->moves--;
		mv->at ^= 1;
		put64(gmem[0], row->g.sched_pc, mv->pc[mv->at]);
		put64(gmem[0], row->g.sched_sp, mv->sp[mv->at]);
	}
	return err;
}

static void read_moving(int moves, struct gmt_gsnap *s, uint64_t *want2)
{
	static uint8_t first[sizeof(stack)];
	static struct moving mv;
	uint64_t want1[8];
	struct gmt_diag d = {};
	struct gmt_rmem m;

	memset(&mv, 0, sizeof(mv));
	/* Two stacks side by side: 3 frames at +0x1000, 2 at +0x4000. */
	mv.pc[1] = build_stack(STK_LO + 0x4000, 2, want2);
	memcpy(first, stack, sizeof(stack));
	mv.pc[0] = build_stack(STK_LO + 0x1000, 3, want1);
	for (size_t i = 0; i < sizeof(stack); i++)
		stack[i] |= first[i];
	mv.sp[0] = STK_LO + 0x1000;
	mv.sp[1] = STK_LO + 0x4000;
	mv.moves = moves;
	put64(vars, 0, 1);
	put64(vars, 8, ALLGS);
	put64(allgs, 0, G0);
	put_g(0, 7, row->consts.g_waiting, mv.pc[0], mv.sp[0]);
	gmt_rmem_buf_add(&mv.b, VARS, vars, sizeof(vars));
	gmt_rmem_buf_add(&mv.b, ALLGS, allgs, sizeof(allgs));
	gmt_rmem_buf_add(&mv.b, G0, gmem[0], sizeof(gmem[0]));
	gmt_rmem_buf_add(&mv.b, STK_LO, stack, sizeof(stack));
	mv.under = gmt_rmem_buf_mem(&mv.b);
	m = (struct gmt_rmem){ moving_read, &mv };
	cr_assert_eq(gmt_gsnap_read(&m, row, gb->pcln, &(struct gmt_gsnap_addrs){ VARS + 8, VARS, 0 },
				    s, &d),
		     0, "%s", d.msg);
	cr_assert_eq(s->n, 1);
}

Test(unwind, moved_while_read_is_read_again)
{
	struct gmt_gsnap s;
	uint64_t want2[8];

	read_moving(1, &s, want2);
	cr_expect_eq(s.reread, 1, "it moved once: read again");
	cr_expect_eq(s.unreadable, 0);
	cr_assert_eq(s.gs[0].nstk, 3, "the stack it moved to: 2 frames and goexit, got %d",
		     s.gs[0].nstk);
	cr_expect_eq(memcmp(s.gs[0].stk, want2, 3 * sizeof(want2[0])), 0,
		     "the frames of where it is now, not a mix");
	cr_expect_eq(s.gs[0].sp, STK_LO + 0x4000);
	gmt_gsnap_free(&s);
}

Test(unwind, moving_again_is_marked_not_mixed)
{
	struct gmt_gsnap s;
	uint64_t want2[8];

	read_moving(2, &s, want2);
	cr_expect_eq(s.reread, 1);
	cr_expect_eq(s.unreadable, 1, "it moved again: kept, marked");
	cr_expect(s.gs[0].unreadable);
	cr_expect_eq(s.gs[0].nstk, 0, "no frames rather than frames of two stacks");
	gmt_gsnap_free(&s);
}
