// SPDX-License-Identifier: MIT
/*
 * End to end: the allocation rate over time (summary.json's alloc_rate, report.txt's
 * lowest and peak) against the runtime's own account.  tests/fixtures/allocrate
 * allocates at a rate that changes every 2.3 s (8, 64, 16, 96, 0, 32 MB/s) and prints
 * MemStats.TotalAlloc and Mallocs every 50 ms with wall-clock timestamps; gomemtrace
 * attaches (-p) a second after it started, while it allocates, and records 10 s.  Each
 * bucket's rate must be the TotalAlloc (and, in exact mode, Mallocs) delta of the same
 * window divided by its length: the first bucket (which once held everything counted
 * while the probes went in), the last one (once a sliver of a few milliseconds) and, in
 * sampled mode, all of them (once 0 until the ring buffer's records arrived at the end).
 *
 * The windows are put on the fixture's clock with summary.json's start_unix_ns.  Both
 * sides interpolate between points (ours 100 ms apart, the fixture's 50 ms), so a bucket
 * edge within 0.2 s of a change of phase gets that change's rate x 0.2 s of slack; the
 * phases are not a whole number of buckets long, so most edges are not that close, and
 * enough buckets must be checked without slack, in slow and in fast phases alike.
 * Sampled mode runs at --rate 65536 with 256 KiB objects: each is sampled with
 * probability 1 - exp(-4) = 98 %, so the estimate of a bucket is within a few percent
 * and what is checked is when the samples are counted.
 * These tests load BPF and attach uprobes: without root or BPF they fail, never skip.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAXL 1024

struct point {
	double t; /* seconds since base */
	double v, v2;
};

struct run {
	long long base; /* unix ns of the fixture's first line */
	struct point mem[MAXL]; /* TotalAlloc, Mallocs */
	int nmem;
	struct point phase[64]; /* rate (bytes/s) from t on */
	int nphase;
	struct point bucket[MAXL]; /* t = start, v = bytes/s, v2 = allocs/s; end in dt[] */
	double dt[MAXL];
	int nbucket;
	double peak_allocs;
};

static void parse(const char *out, struct run *r)
{
	long long start = 0, ns;
	double a, b, c, d;

	memset(r, 0, sizeof(*r));
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (sscanf(p, "mem %lld total=%lf mallocs=%lf", &ns, &a, &b) == 3 &&
		    r->nmem < MAXL) {
			if (!r->base)
				r->base = ns;
			r->mem[r->nmem++] = (struct point){ (double)(ns - r->base) / 1e9, a, b };
		} else if (sscanf(p, "phase %lld rate=%lf", &ns, &a) == 2 && r->nphase < 64) {
			if (!r->base)
				r->base = ns;
			r->phase[r->nphase++] =
				(struct point){ (double)(ns - r->base) / 1e9, a, 0 };
		} else if (sscanf(p, "start_unix_ns=%lld", &start) == 1) {
		} else if (sscanf(p, "bucket %lf %lf %lf %lf", &a, &b, &c, &d) == 4 &&
			   r->nbucket < MAXL) {
			/* seconds since the recording started: end, length, bytes/s, allocs/s */
			r->bucket[r->nbucket] = (struct point){ a - b, c, d };
			r->dt[r->nbucket++] = b;
		}
		sscanf(p, " peak %lf allocs/s", &r->peak_allocs);
		sscanf(p, " peak ~%lf allocs/s", &r->peak_allocs);
	}
	cr_assert(start && r->nmem > 100 && r->nphase > 2 && r->nbucket >= 6,
		  "the fixture and gomemtrace reported (start %lld, %d mem lines, %d phases, "
		  "%d buckets):\n%s",
		  start, r->nmem, r->nphase, r->nbucket, out);
	for (int i = 0; i < r->nbucket; i++)
		r->bucket[i].t += (double)(start - r->base) / 1e9;
}

/* The fixture's cumulative figure (v or v2) at t, between its lines. */
static double at(const struct run *r, double t, bool mallocs)
{
	for (int i = 1; i < r->nmem; i++) {
		const struct point *p = &r->mem[i - 1], *q = &r->mem[i];

		if (t <= q->t) {
			double f = (t - p->t) / (q->t - p->t);

			return mallocs ? p->v2 + (q->v2 - p->v2) * f : p->v + (q->v - p->v) * f;
		}
	}
	cr_assert_fail("t %.3f is past the fixture's last line", t);
	return 0;
}

/* Bytes a change of phase near edge e can move across it on either side's points. */
static double slack_at(const struct run *r, double e, bool mallocs, double size)
{
	double s = 0;

	for (int i = 1; i < r->nphase; i++)
		if (fabs(r->phase[i].t - e) < 0.2)
			s += fabs(r->phase[i].v - r->phase[i - 1].v) * 0.2 / (mallocs ? size : 1);
	return s;
}

/*
 * Compares every bucket with the fixture; tol is relative, floor absolute per second
 * (the fixture's own small allocations, which sampled mode sees only now and then).
 */
static void check(const char *what, const char *out, bool mallocs_too, double size, double tol,
		  double floor)
{
	struct run *r = calloc(1, sizeof(*r));
	double lo = INFINITY, hi = 0, max_ours = 0;
	int clean = 0;

	cr_assert(r);
	parse(out, r);
	cr_assert_geq(r->bucket[0].t, r->mem[0].t, "%s: the fixture ran before the recording",
		      what);
	for (int i = 0; i < r->nbucket; i++) {
		double a = r->bucket[i].t, b = a + r->dt[i], dt = r->dt[i];
		double theirs = (at(r, b, false) - at(r, a, false)) / dt;
		double slack = slack_at(r, a, false, size) + slack_at(r, b, false, size);

		cr_log_info("%s: bucket %d [%.2f, %.2f] s: %.2f MB/s, fixture %.2f MB/s%s", what, i,
			    a, b, r->bucket[i].v / 1e6, theirs / 1e6,
			    slack ? " (near a phase change)" : "");
		cr_expect_leq(fabs(r->bucket[i].v - theirs) * dt,
			      tol * theirs * dt + floor * dt + slack,
			      "%s: bucket %d [%.2f, %.2f] s: %.2f MB/s, the fixture's TotalAlloc "
			      "says %.2f MB/s (slack %.1f MB)",
			      what, i, a, b, r->bucket[i].v / 1e6, theirs / 1e6, slack / 1e6);
		if (mallocs_too) {
			double n = (at(r, b, true) - at(r, a, true)) / dt;
			double nslack = slack_at(r, a, true, size) + slack_at(r, b, true, size);

			cr_expect_leq(fabs(r->bucket[i].v2 - n) * dt,
				      tol * n * dt + floor / size * dt + nslack,
				      "%s: bucket %d: %.0f allocs/s, the fixture's Mallocs say "
				      "%.0f",
				      what, i, r->bucket[i].v2, n);
		}
		if (r->bucket[i].v2 > max_ours)
			max_ours = r->bucket[i].v2;
		if (!slack) {
			clean++;
			lo = theirs < lo ? theirs : lo;
			hi = theirs > hi ? theirs : hi;
		}
	}
	cr_expect_geq(clean, 4, "%s: at least 4 buckets away from phase changes (%d)", what,
		      clean);
	cr_expect_geq(hi, 4 * lo + 20e6,
		      "%s: and they cover slow and fast phases (%.1f to %.1f MB/s)", what,
		      lo / 1e6, hi / 1e6);
	cr_expect(fabs(r->peak_allocs - max_ours) <= 0.1, "%s: report.txt's peak (%.1f) is the "
		  "largest bucket's (%.1f)", what, r->peak_allocs, max_ours);
	free(r);
}

static char *record(const char *mode_opts, const char *fxargs)
{
	const char *fx = tu_fixture("allocrate", "go126", "exe");

	return tu_script(
		"FX=%s\nd=$(mktemp -d)\n"
		"$FX -d 16s -rates 8,64,16,96,0,32 -phase 2.3s %s > $d/fx.out & p=$!\n"
		"until [ \"$(grep -c '^mem' $d/fx.out)\" -ge 20 ]; do sleep 0.05; done\n"
		"$GMT record %s -d 10 -o $d/out -p $p 2> $d/gmt.err; echo gmt_rc=$?\n"
		"wait $p; cat $d/fx.out $d/gmt.err\n"
		"python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); "
		"e=\"est_\" if s[\"mode\"]==\"sampled\" else \"\"; "
		"print(\"start_unix_ns=%%d\" %% s[\"start_unix_ns\"]); "
		"[print(\"bucket\", r[\"t_s\"], r[\"dt_s\"], r[e+\"bytes_per_s\"], "
		"r[e+\"allocs_per_s\"]) for r in s[\"alloc_rate\"]]' $d/out/summary.json\n"
		"grep -A3 'allocation rate' $d/out/report.txt\n"
		"rm -rf $d",
		fx, fxargs, mode_opts);
}

Test(allocrate, exact_mode_buckets_are_memstats_deltas, .timeout = 180)
{
	char *out = record("--mode exact", "-size 4096");

	cr_assert(strstr(out, "gmt_rc=0"), "gomemtrace ran:\n%s", out);
	/* Exact counts: what is left is where each side's points fall. */
	check("exact", out, true, 4096, 0.03, 64e3);
	free(out);
}

Test(allocrate, sampled_mode_buckets_are_memstats_deltas, .timeout = 180)
{
	char *out = record("--mode sampled --rate 65536", "-size 262144");

	cr_assert(strstr(out, "gmt_rc=0"), "gomemtrace ran:\n%s", out);
	/* Allocations counted by sample weight: not the counts, the bytes. */
	check("sampled", out, false, 262144, 0.10, 256e3);
	free(out);
}
