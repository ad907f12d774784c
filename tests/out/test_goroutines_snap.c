// SPDX-License-Identifier: MIT
/*
 * goroutines.txt's wait minutes (out/out_goroutines_snap.h) on a hand-made snapshot, as
 * Go's traceback prints them (runtime/traceback.go, goroutineheader): only for a
 * goroutine waiting or in a syscall whose g.waitsince is set, (nanotime() - waitsince)
 * / 1 minute truncated, shown from 1 on ("1 minutes", as Go says it).  The group header
 * carries its longest.  The live oracle of the same waits is test_snapshot's
 * waits_since_gc.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_release.h"
#include "gsnap.h"
#include "out_goroutines_snap.h"

#define NOW 10000000000000ll /* nanotime() at the read */
#define MIN 60000000000ll

/* main.wait at 0x1000-0x1fff (two lines), runtime.goexit at 0x2000, main.main at 0x3000. */
static int fake_frames(void *ctx, uint64_t pc, struct gmt_frame *fr, int max)
{
	(void)ctx;
	(void)max;
	pc--; /* a return address: the call is before it */
	if (pc >= 0x1000 && pc < 0x2000)
		fr[0] = (struct gmt_frame){ "main.wait", "/src/main.go", pc < 0x1800 ? 10 : 20 };
	else if (pc >= 0x2000 && pc < 0x3000)
		fr[0] = (struct gmt_frame){ "runtime.goexit", "/go/src/runtime/asm_amd64.s", 1700 };
	else if (pc >= 0x3000 && pc < 0x4000)
		fr[0] = (struct gmt_frame){ "main.main", "/src/main.go", 30 };
	else
		return -ENOENT;
	return 1;
}

static const struct gmt_go_release *row;
static uint8_t chan_receive;

static void setup(void)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (gmt_go_releases[i].minor == 26)
			row = &gmt_go_releases[i];
	cr_assert(row);
	for (size_t k = 0; k < row->strings.wait_reasons.n; k++) {
		const char *s = row->strings.wait_reasons.s[k];

		if (s && !strcmp(s, "chan receive"))
			chan_receive = (uint8_t)k;
	}
	cr_assert(chan_receive, "go1.26 has the wait reason 'chan receive'");
}

TestSuite(goroutines_snap, .init = setup);

static const uint64_t stk_a[] = { 0x1011, 0x2001 }, stk_b[] = { 0x1811, 0x2001 };

static struct gmt_gsnap_g g(uint64_t goid, int64_t status, int64_t waited, const uint64_t *stk)
{
	return (struct gmt_gsnap_g){ .goid = goid, .gopc = 0x3011, .startpc = 0x1000,
				     .waitsince = waited < 0 ? 0 : NOW - waited,
				     .status = (uint32_t)status,
				     .waitreason = status == row->consts.g_waiting ? chan_receive : 0,
				     .nstk = stk ? 2 : 0, .stk = stk };
}

Test(goroutines_snap, wait_minutes_as_go_prints_them)
{
	const int64_t W = row->consts.g_waiting;
	struct gmt_gsnap_g gs[] = {
		g(8, W, 47 * MIN + 30000000000ll, stk_a), /* 47.5 min: 47 */
		g(9, W, MIN - 100000000ll, stk_a),	   /* 59.9 s: none */
		g(10, W, MIN, stk_a),			   /* exactly 1 min */
		g(12, W, -1, stk_a),			   /* waitsince unknown */
		g(11, row->consts.g_running, 5 * MIN, NULL),  /* running: never */
		g(13, row->consts.g_syscall, 3 * MIN + 1, stk_b), /* a syscall counts */
		g(14, W, 2 * MIN, stk_b),
	};
	struct gmt_gsnap s = { .gs = gs, .n = sizeof(gs) / sizeof(gs[0]) };
	struct gmt_symbolizer sym = { .frames = fake_frames };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(gmt_write_goroutines_snap(&s, row, &sym, NOW, f), 0);
	fclose(f);
	cr_expect(strstr(buf, "\ngoroutine 8 [chan receive, 47 minutes]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 9 [chan receive]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 10 [chan receive, 1 minutes]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 12 [chan receive]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 11 [running]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 13 [syscall, 3 minutes]:\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngoroutine 14 [chan receive, 2 minutes]:\n"), "%s", buf);
	/* The groups: a's four, then b's two (its first in a syscall), then the running one. */
	cr_expect(strstr(buf, "\n4 @ 0x1011 0x2001\n# chan receive, longest 47 minutes\n"), "%s",
		  buf);
	cr_expect(strstr(buf, "\n2 @ 0x1811 0x2001\n# syscall, longest 3 minutes\n"), "%s", buf);
	cr_expect(strstr(buf, "main.wait(...)\n\t/src/main.go:10\n"), "%s", buf);
	cr_expect(strstr(buf, "created by main.main\n\t/src/main.go:30\n"), "%s", buf);
	free(buf);
}

Test(goroutines_snap, waitsince_after_now_is_no_wait)
{
	struct gmt_gsnap_g gs[] = { g(8, row->consts.g_waiting, 2 * MIN, stk_a) };
	struct gmt_gsnap s = { .gs = gs, .n = 1 };
	struct gmt_symbolizer sym = { .frames = fake_frames };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	/* waitsince after the read's clock (read before it was stamped): no wait shown */
	cr_assert_eq(gmt_write_goroutines_snap(&s, row, &sym, NOW - 5 * MIN, f), 0);
	fclose(f);
	cr_expect(strstr(buf, "\ngoroutine 8 [chan receive]:\n"), "%s", buf);
	free(buf);
}
