// SPDX-License-Identifier: MIT
/*
 * The daemon's kernel-free parts: retention, metrics, the engine's names and alert rule
 * (/proc identities: tests/process).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "memsnap.h"
#include "metrics.h"
#include "retention.h"
#include "testutil.h"

/* ROOT/proc/name with one file of size bytes. */
static void mk_interval(const char *root, const char *proc, const char *name, size_t size)
{
	free(tu_run("mkdir -p %s/%s/%s && head -c %zu /dev/zero > %s/%s/%s/f", root, proc, name,
		    size, root, proc, name));
}

static int exists(const char *root, const char *proc, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s", root, proc, name);
	return stat(p, &st) == 0;
}

Test(retention, keep_per_process_oldest_first)
{
	char root[] = "/tmp/gmt-ret-XXXXXX";
	struct gmt_retention_stats st;

	cr_assert_not_null(mkdtemp(root));
	for (int i = 1; i <= 5; i++) {
		char n[32];

		snprintf(n, sizeof(n), "20260101T00000%d.000Z", i);
		mk_interval(root, "a-1", n, 100);
	}
	mk_interval(root, "b-2", "20260101T000002.500Z", 100);
	mk_interval(root, "b-2", "20260101T000009.000Z-alert-heap", 100);
	mk_interval(root, "a-1", ".20260101T000009.000Z.partial", 100);
	cr_assert_eq(gmt_retention_apply(root, 2, 0, &st), 0, "apply --keep 2");
	cr_expect_eq(st.removed, 3, "a-1 loses its three oldest");
	cr_expect_eq(st.intervals, 4, "two per process remain");
	cr_expect_eq(st.bytes, 400, "their bytes");
	for (int i = 1; i <= 5; i++) {
		char n[32];

		snprintf(n, sizeof(n), "20260101T00000%d.000Z", i);
		cr_expect_eq(exists(root, "a-1", n), i >= 4, "a-1 interval %d %s", i,
			     i >= 4 ? "kept" : "removed");
	}
	cr_expect(exists(root, "b-2", "20260101T000002.500Z"), "b-2 has two: both kept");
	cr_expect(exists(root, "a-1", ".20260101T000009.000Z.partial"),
		  "a partial directory is not an interval");
	cr_expect_eq(gmt_retention_clean(root), 1, "clean removes the partial one");
	cr_expect(!exists(root, "a-1", ".20260101T000009.000Z.partial"), "gone");
	free(tu_run("rm -rf %s", root));
}

Test(retention, max_disk_across_processes)
{
	char root[] = "/tmp/gmt-ret-XXXXXX";
	struct gmt_retention_stats st;

	cr_assert_not_null(mkdtemp(root));
	mk_interval(root, "a-1", "20260101T000001.000Z", 1000);
	mk_interval(root, "b-2", "20260101T000002.000Z", 1000);
	mk_interval(root, "a-1", "20260101T000003.000Z", 1000);
	mk_interval(root, "b-2", "20260101T000004.000Z", 1000);
	cr_assert_eq(gmt_retention_apply(root, 0, 2500, &st), 0, "apply --max-disk 2500");
	cr_expect_eq(st.removed, 2, "the two oldest, whichever process: 4000 -> 2000 bytes");
	cr_expect_eq(st.removed_bytes, 2000, "bytes removed");
	cr_expect_eq(st.bytes, 2000, "what remains is under the limit");
	cr_expect(!exists(root, "a-1", "20260101T000001.000Z") &&
		  !exists(root, "b-2", "20260101T000002.000Z"), "oldest two removed");
	cr_expect(exists(root, "a-1", "20260101T000003.000Z") &&
		  exists(root, "b-2", "20260101T000004.000Z"), "newest two kept");
	cr_assert_eq(gmt_retention_apply(root, 0, 10, &st), 0, "a limit below one interval");
	cr_expect(exists(root, "b-2", "20260101T000004.000Z"), "the newest interval always stays");
	cr_expect_eq(st.intervals, 1, "only it");
	free(tu_run("rm -rf %s", root));
}

/* The targets of the metrics tests: odd names, goroutine tracking on one only. */
static void metrics_targets(struct gmt_metrics_target t[3])
{
	t[0] = (struct gmt_metrics_target){
		.comm = "api\"srv", .pid = 10, .alloc_bytes_per_s = 1.5e6, .inuse_bytes = 4096,
		.alloc_bytes_total = 9e6, .gc_cycles_total = 7, .stw_pauses_total = 14,
		.stw_seconds_total = 0.0021, .records_dropped_total = 3,
		.samples_dropped_total = 5, .intervals_total = 2, .has_goroutines = true,
		.goroutines = 42 };
	t[1] = (struct gmt_metrics_target){ .comm = "b", .pid = 20 };
	/* A name the kernel cut inside a character, with a backslash and a newline. */
	t[2] = (struct gmt_metrics_target){ .comm = "w\\x\ny\xc3", .pid = 30,
					    .intervals_total = 1 };
	/* Two reasons: the file sums them.  5 us, 200 us, 1 s (+Inf). */
	for (int i = 0; i < 4; i++)
		gmt_pauses_add(&t[0].pauses, "GC mark termination", 5000);
	for (int i = 0; i < 9; i++)
		gmt_pauses_add(&t[0].pauses, i < 5 ? "GC sweep termination" : "ReadMemStats",
			       200000);
	gmt_pauses_add(&t[0].pauses, "ReadMemStats", 1000000000);
}

static char *metrics_text(const struct gmt_metrics_target *t, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cr_assert_eq(gmt_write_metrics(f, t, n), 0, "written");
	fclose(f);
	return buf;
}

Test(metrics, prometheus_text)
{
	struct gmt_metrics_target t[3];
	size_t len = 0;
	char *buf;

	metrics_targets(t);
	buf = metrics_text(t, 2, &len);
	cr_expect(strstr(buf, "# HELP gomemtrace_gc_cycles_total ") &&
		  strstr(buf, "# TYPE gomemtrace_gc_cycles_total counter\n"),
		  "a counter's family is named with its _total:\n%s", buf);
	cr_expect(strstr(buf, "gomemtrace_heap_inuse_bytes{comm=\"api\\\"srv\",pid=\"10\"} 4096\n"),
		  "gauge with escaped label:\n%s", buf);
	cr_expect(strstr(buf, "gomemtrace_gc_cycles_total{comm=\"api\\\"srv\",pid=\"10\"} 7\n"),
		  "counter with _total");
	cr_expect(strstr(buf, "gomemtrace_dropped_records_total{comm=\"api\\\"srv\",pid=\"10\"} 3\n"),
		  "drops");
	cr_expect(strstr(buf, "gomemtrace_stw_pause_seconds_bucket{comm=\"api\\\"srv\",pid=\"10\","
			      "le=\"1e-05\"} 4\n"), "5 us pauses in the 10 us bucket:\n%s", buf);
	cr_expect(strstr(buf, "le=\"0.0005\"} 13\n"), "buckets are cumulative: 4 + 9 by 500 us");
	cr_expect(strstr(buf, "le=\"0.1\"} 13\n"), "the 1 s pause is above 100 ms");
	cr_expect(strstr(buf, "le=\"+Inf\"} 14\n"), "+Inf holds all 14");
	cr_expect(strstr(buf, "gomemtrace_stw_pause_seconds_count{comm=\"api\\\"srv\",pid=\"10\"} 14\n"),
		  "count = +Inf bucket");
	cr_expect(strstr(buf, "gomemtrace_heap_inuse_bytes{comm=\"b\",pid=\"20\"} 0\n"), "second target");
	cr_expect(strstr(buf, "gomemtrace_goroutines{comm=\"api\\\"srv\",pid=\"10\"} 42\n"),
		  "goroutines of the target that tracks them");
	cr_expect(!strstr(buf, "gomemtrace_goroutines{comm=\"b\""),
		  "none for the target without --goroutines: absent, not 0");
	cr_expect(!strstr(buf, "# EOF") && !strstr(buf, "# UNIT") && !strstr(buf, "_created"),
		  "nothing of OpenMetrics only:\n%s", buf);
	free(buf);
	buf = metrics_text(t + 1, 1, &len);
	cr_expect(!strstr(buf, "gomemtrace_goroutines"),
		  "no goroutine family when no target tracks them:\n%s", buf);
	free(buf);
	buf = metrics_text(t, 0, &len);
	cr_expect_eq(len, 0, "no target, no family: %s", buf);
	free(buf);
}

/* The OTLP export's families: no labels, counters *_total, the queue a gauge. */
Test(metrics, export_families)
{
	struct gmt_metrics_export e = { .sent = 12, .failures = 3, .dropped = 1, .queued = 4 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(gmt_write_export_metrics(f, &e), 0);
	fclose(f);
	cr_expect(strstr(buf, "# TYPE gomemtrace_otlp_requests_sent_total counter\n"
			      "gomemtrace_otlp_requests_sent_total 12\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngomemtrace_otlp_failures_total 3\n"), "%s", buf);
	cr_expect(strstr(buf, "\ngomemtrace_otlp_requests_dropped_total 1\n"), "%s", buf);
	cr_expect(strstr(buf, "# TYPE gomemtrace_otlp_requests_queued gauge\n"
			      "gomemtrace_otlp_requests_queued 4\n"), "%s", buf);
	free(buf);
}

/*
 * A reader of the text format for the test, independent of the writer: every sample
 * must belong to a family announced with HELP and TYPE (a counter by its full name, a
 * histogram by its _bucket/_sum/_count), the way node_exporter's parser types it.
 */
struct psample {
	char name[96], labels[160], family_type[16];
	double v;
};

static size_t parse_prom(char *text, struct psample *out, size_t max)
{
	char help[32][96], type[32][96], tval[32][16];
	size_t nh = 0, nt = 0, n = 0;

	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct psample *s = &out[n];
		const char *fam = NULL, *ft = NULL;
		char *p = line, *q = s->labels, *end;
		bool helped = false;
		size_t nl;

		if (sscanf(line, "# HELP %95s", help[nh]) == 1) {
			cr_assert_lt(++nh, 32);
			continue;
		}
		if (sscanf(line, "# TYPE %95s %15s", type[nt], tval[nt]) == 2) {
			cr_assert_lt(++nt, 32);
			continue;
		}
		cr_assert_neq(line[0], '#', "no other comment: %s", line);
		cr_assert_lt(n, max);
		nl = strcspn(p, "{ ");
		cr_assert_lt(nl, sizeof(s->name));
		memcpy(s->name, p, nl);
		s->name[nl] = 0;
		p += nl;
		if (*p == '{') {
			for (p++; *p != '}';) {
				cr_assert(*p, "labels end: %s", line);
				if (*p == '\\') {
					p++;
					*q++ = *p == 'n' ? '\n' : *p;
					p++;
				} else if (*p == '"' || (*p == ',' && p[1] == '}')) {
					p++; /* quotes go; a trailing comma is allowed */
				} else {
					*q++ = *p++;
				}
				cr_assert_lt(q - s->labels, (long)sizeof(s->labels) - 4);
			}
			p++;
		}
		*q = 0;
		cr_assert_eq(*p, ' ', "a space before the value: %s", line);
		s->v = strtod(p + 1, &end);
		cr_assert(end != p + 1 && *end == 0, "one value, no timestamp: %s", line);
		for (size_t i = 0; i < nt; i++) {
			size_t tl = strlen(type[i]);

			const char *sfx = s->name + tl;
			bool part = strncmp(s->name, type[i], tl) == 0 &&
				    (!strcmp(sfx, "_bucket") || !strcmp(sfx, "_sum") ||
				     !strcmp(sfx, "_count"));

			if (strcmp(s->name, type[i]) == 0 ||
			    (strcmp(tval[i], "histogram") == 0 && part)) {
				fam = type[i];
				ft = tval[i];
			}
		}
		cr_assert(fam, "%s has a TYPE line before it (else it is untyped)", s->name);
		snprintf(s->family_type, sizeof(s->family_type), "%.15s", ft);
		cr_expect(strcmp(ft, "counter") || strstr(s->name, "_total"),
			  "counter %s ends in _total", s->name);
		for (size_t i = 0; i < nh; i++)
			helped |= strcmp(help[i], fam) == 0;
		cr_assert(helped, "%s has HELP", fam);
		n++;
	}
	return n;
}

static double prom_value(const struct psample *s, size_t n, const char *name, const char *labels)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0 && strcmp(s[i].labels, labels) == 0)
			return s[i].v;
	cr_assert_fail("no sample %s{%s}", name, labels);
	return 0;
}

/* Debian's promtool (the prometheus package) lints the file clean; the values read back. */
Test(metrics, promtool_accepts_and_values_read_back, .timeout = 60)
{
	char dir[] = "/tmp/gmt-prom-XXXXXX", path[64];
	struct gmt_metrics_target t[3];
	struct psample s[128];
	size_t len = 0, n;
	char *buf, *out;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	/* The oracle bites: the family named without _total, as before, is refused. */
	out = tu_run("printf '# TYPE x counter\\nx_total 1\\n' | promtool check metrics 2>&1; "
		     "echo rc=$?");
	cr_assert(strstr(out, "no help text") && !strstr(out, "rc=0"), "promtool: %s", out);
	free(out);

	metrics_targets(t);
	buf = metrics_text(t, 3, &len);
	f = fopen(path, "w");
	cr_assert(f && fwrite(buf, 1, len, f) == len);
	fclose(f);
	out = tu_run("promtool check metrics < %s 2>&1; echo rc=$?", path);
	cr_expect_str_eq(out, "rc=0\n", "promtool check metrics: no complaint:\n%s\n%s", out, buf);
	free(out);

	n = parse_prom(buf, s, 128);
	/* 9 families x 3 targets - 2 without goroutines, 12 histogram samples per target */
	cr_expect_eq(n, 9 * 3 - 2 + 3 * 12, "%zu samples", n);
	cr_expect_eq(prom_value(s, n, "gomemtrace_alloc_rate_bytes_per_second",
				"comm=api\"srv,pid=10"), 1.5e6);
	cr_expect_eq(prom_value(s, n, "gomemtrace_heap_inuse_bytes", "comm=api\"srv,pid=10"), 4096);
	cr_expect_eq(prom_value(s, n, "gomemtrace_goroutines", "comm=api\"srv,pid=10"), 42);
	cr_expect_eq(prom_value(s, n, "gomemtrace_alloc_bytes_total", "comm=api\"srv,pid=10"), 9e6);
	cr_expect_eq(prom_value(s, n, "gomemtrace_gc_cycles_total", "comm=api\"srv,pid=10"), 7);
	cr_expect_eq(prom_value(s, n, "gomemtrace_stw_pauses_total", "comm=api\"srv,pid=10"), 14);
	cr_expect_eq(prom_value(s, n, "gomemtrace_dropped_records_total", "comm=api\"srv,pid=10"),
		     3);
	cr_expect_eq(prom_value(s, n, "gomemtrace_dropped_samples_total", "comm=api\"srv,pid=10"),
		     5);
	cr_expect_eq(prom_value(s, n, "gomemtrace_intervals_total", "comm=api\"srv,pid=10"), 2);
	cr_expect_eq(prom_value(s, n, "gomemtrace_stw_pause_seconds_sum", "comm=api\"srv,pid=10"),
		     0.0021);
	cr_expect_eq(prom_value(s, n, "gomemtrace_stw_pause_seconds_count", "comm=api\"srv,pid=10"),
		     14);
	cr_expect_eq(prom_value(s, n, "gomemtrace_stw_pause_seconds_bucket",
				"comm=api\"srv,pid=10,le=5e-05"), 4);
	cr_expect_eq(prom_value(s, n, "gomemtrace_stw_pause_seconds_bucket",
				"comm=api\"srv,pid=10,le=+Inf"), 14);
	cr_expect_eq(prom_value(s, n, "gomemtrace_intervals_total",
				"comm=w\\x\ny\xef\xbf\xbd,pid=30"), 1,
		     "the odd name, escaped and made UTF-8");
	for (size_t i = 0; i < n; i++)
		cr_expect(strcmp(s[i].family_type, "untyped"), "%s is typed", s[i].name);
	free(buf);
	free(tu_run("rm -rf %s", dir));
}

/* Interval names: UTC, sortable, unique within a daemon even within one millisecond. */
Test(engine, interval_names_sortable_and_unique)
{
	uint64_t last = 0;
	char a[64], b[64], c[64], e[64];

	/* date -u -d @1700000000 +%Y%m%dT%H%M%S -> 20231114T221320 */
	gmt_daemon_interval_name(1700000000123ULL, &last, NULL, a, sizeof(a));
	cr_assert_str_eq(a, "20231114T221320.123Z");
	cr_assert_eq(last, 1700000000123ULL);
	/* The same millisecond again, then an earlier one (clock stepped back): later names. */
	gmt_daemon_interval_name(1700000000123ULL, &last, "alert-heap", b, sizeof(b));
	cr_assert_str_eq(b, "20231114T221320.124Z-alert-heap");
	gmt_daemon_interval_name(1699999999000ULL, &last, NULL, c, sizeof(c));
	cr_assert_str_eq(c, "20231114T221320.125Z");
	cr_assert_lt(strcmp(a, b), 0);
	cr_assert_lt(strcmp(b, c), 0);
	/* A second boundary carries. */
	last = 1700000000999ULL;
	gmt_daemon_interval_name(1700000000999ULL, &last, NULL, e, sizeof(e));
	cr_assert_str_eq(e, "20231114T221321.000Z");
}

Test(engine, target_dir_keeps_one_level)
{
	char buf[128];

	gmt_daemon_target_dir("/var/out/x y", "my prog/2", 42, buf, sizeof(buf));
	/* The output directory is the user's: only the name's own characters change. */
	cr_assert_str_eq(buf, "/var/out/x y/my_prog_2-42");
	gmt_daemon_target_dir("out", "svc", 7, buf, sizeof(buf));
	cr_assert_str_eq(buf, "out/svc-7");
	/* Truncated, still a string. */
	gmt_daemon_target_dir("out", "abcdefghijklmno", 123456, buf, 12);
	cr_assert_str_eq(buf, "out/abcdefg");
}

Test(metrics, pauses_by_reason)
{
	struct gmt_pauses p = {0}, q = {0};
	uint64_t hist[GMT_PAUSE_BUCKETS];
	char name[32];

	gmt_pauses_add(&p, "GC mark termination", 10000); /* the bound itself: le 10 us */
	gmt_pauses_add(&p, "GC mark termination", 10001);
	gmt_pauses_add(&p, NULL, 7);
	cr_assert_eq(p.n, 2);
	cr_assert_eq(p.r[0].bucket[0], 1, "le is inclusive");
	cr_assert_eq(p.r[0].bucket[1], 1);
	cr_assert_eq(p.r[0].sum_ns, 20001);
	cr_assert_str_eq(p.r[1].reason, "?", "no reason known");
	/* Reasons beyond the slots share the last one, named "other". */
	for (int i = 0; i < GMT_PAUSE_REASONS + 3; i++) {
		snprintf(name, sizeof(name), "reason %d", i);
		gmt_pauses_add(&q, name, 1000000);
	}
	cr_assert_eq(q.n, GMT_PAUSE_REASONS);
	cr_assert_str_eq(q.r[GMT_PAUSE_REASONS - 1].reason, GMT_PAUSE_OTHER);
	cr_assert_eq(q.r[GMT_PAUSE_REASONS - 1].count, 4, "its own and the three after");
	cr_assert_eq(q.r[0].count, 1);
	/* Merged reason by reason; the total of all of them. */
	gmt_pauses_merge(&p, &q);
	cr_assert_eq(p.n, GMT_PAUSE_REASONS, "2 + 12 reasons into 12 slots");
	cr_assert_eq(gmt_pauses_total(&p, hist), 3 + GMT_PAUSE_REASONS + 3, "nothing lost");
	cr_assert_eq(hist[gmt_pause_bucket(1000000)], GMT_PAUSE_REASONS + 3);
	cr_assert_eq(hist[0], 2, "the 10 us and the 7 ns");
}

Test(engine, metrics_add_sums_intervals)
{
	struct gmt_metrics_target m = { .comm = "svc", .pid = 7 };
	struct gmt_interval iv = {
		.duration_s = 2, .est_alloc_bytes = 1000, .est_inuse_bytes = 300,
		.gc_cycles = 3, .stw_pauses = 6, .stw_total_ns = 1500000, .drops = 4,
		.samples_dropped = 5,
	};

	gmt_pauses_add(&iv.pauses, "GC mark termination", 20000);
	gmt_pauses_add(&iv.pauses, "GC mark termination", 30000);
	gmt_pauses_add(&iv.pauses, "ReadMemStats", 2000000000);
	gmt_daemon_metrics_add(&m, &iv, NULL);
	iv.duration_s = 4;
	iv.est_alloc_bytes = 2000;
	iv.est_inuse_bytes = 100;
	iv.samples_dropped = 8; /* cumulative in the session */
	gmt_daemon_metrics_add(&m, &iv, NULL);
	cr_assert_float_eq(m.alloc_bytes_per_s, 500, 1e-9); /* the last interval's */
	cr_assert_float_eq(m.inuse_bytes, 100, 1e-9);
	cr_assert_float_eq(m.alloc_bytes_total, 3000, 1e-9);
	cr_assert_eq(m.gc_cycles_total, 6);
	cr_assert_eq(m.stw_pauses_total, 12);
	cr_assert_float_eq(m.stw_seconds_total, 0.003, 1e-12);
	cr_assert_eq(m.pauses.n, 2, "two reasons");
	cr_assert_str_eq(m.pauses.r[0].reason, "GC mark termination");
	cr_assert_eq(m.pauses.r[0].bucket[1], 4, "20 and 30 us, twice");
	cr_assert_eq(m.pauses.r[0].count, 4);
	cr_assert_eq(m.pauses.r[0].sum_ns, 100000);
	cr_assert_eq(m.pauses.r[1].bucket[9], 2, "2 s, twice: +Inf");
	cr_assert_eq(m.records_dropped_total, 8);
	cr_assert_eq(m.samples_dropped_total, 8);
	cr_assert_eq(m.intervals_total, 2);
	cr_assert_not(m.has_goroutines);
	/* An interval of no length has no rate (not a division by zero). */
	iv.duration_s = 0;
	gmt_daemon_metrics_add(&m, &iv, NULL);
	cr_assert_float_eq(m.alloc_bytes_per_s, 0, 1e-12);
}

/* --alert-heap N --alert-for 5s: once per excursion that lasts 5 s, re-armed below. */
Test(engine, heap_alert_once_per_excursion)
{
	struct gmt_heap_alert a = {};
	const uint64_t s = 1000000000ULL;
	double above = -1;

	cr_assert_not(gmt_heap_alert_update(&a, 100, 100, 5, 10 * s, &above)); /* at: below */
	cr_assert_not(gmt_heap_alert_update(&a, 101, 100, 5, 11 * s, &above));
	cr_assert_float_eq(above, 0, 1e-12);
	cr_assert_not(gmt_heap_alert_update(&a, 500, 100, 5, 15 * s, &above));
	cr_assert_float_eq(above, 4, 1e-12);
	cr_assert(gmt_heap_alert_update(&a, 500, 100, 5, 16 * s, &above));
	cr_assert_float_eq(above, 5, 1e-12);
	cr_assert_not(gmt_heap_alert_update(&a, 500, 100, 5, 30 * s, &above)); /* said once */
	cr_assert_not(gmt_heap_alert_update(&a, 50, 100, 5, 31 * s, &above));  /* re-armed */
	cr_assert_not(gmt_heap_alert_update(&a, 500, 100, 5, 32 * s, &above));
	cr_assert(gmt_heap_alert_update(&a, 500, 100, 5, 37 * s, &above));
	/* --alert-for 0: at the first turn above. */
	a = (struct gmt_heap_alert){};
	cr_assert(gmt_heap_alert_update(&a, 101, 100, 0, 40 * s, &above));
}

/* --alert-rss-pct N: N % of the cgroup's memory limit; no limit, no threshold. */
Test(engine, rss_alert_threshold)
{
	struct gmt_memusage u = { .have_rss = true, .rss = 300ull << 20, .have_max = true,
				  .cgroup_max = 1ull << 30, .memcg_version = 2 };
	uint64_t thr = 0;

	cr_assert_eq(gmt_rss_alert_threshold(&u, 25, &thr), 0);
	cr_assert_eq(thr, 256ull << 20);
	cr_assert_eq(gmt_rss_alert_threshold(&u, 12.5, &thr), 0);
	cr_assert_eq(thr, 128ull << 20);
	cr_assert_eq(gmt_rss_alert_threshold(&u, 100, &thr), 0);
	cr_assert_eq(thr, 1ull << 30);
	/* "max": the alert cannot fire */
	u.cgroup_unlimited = true;
	u.cgroup_max = 0;
	cr_assert_eq(gmt_rss_alert_threshold(&u, 25, &thr), -ERANGE);
	/* no memory.max (root cgroup, no memory controller) */
	u.have_max = u.cgroup_unlimited = false;
	cr_assert_eq(gmt_rss_alert_threshold(&u, 25, &thr), -ENOENT);
	/* no VmRSS (a zombie) */
	u = (struct gmt_memusage){ .have_max = true, .cgroup_max = 1ull << 30 };
	cr_assert_eq(gmt_rss_alert_threshold(&u, 25, &thr), -ENODATA);
}

/*
 * --alert-heap compares the runtime's HeapAlloc; a read where the heap moved throughout
 * decides nothing; only when the runtime's figures cannot be read, the sampled estimate,
 * labelled so.
 */
Test(engine, heap_alert_figure)
{
	static struct gmt_memsnap s;
	const char *what = NULL;
	double b = -1;

	s.ms.heap_consistent = true;
	s.ms.HeapAlloc = 100 << 20;
	s.r.ms = &s.ms;
	cr_assert_eq(gmt_heap_alert_figure(&s, 5e6, &b, &what), GMT_HEAP_ALLOC);
	cr_assert_float_eq(b, 100 << 20, 1e-9);
	cr_assert_str_eq(what, "HeapAlloc (the runtime's own figure)");
	s.ms.heap_consistent = false;
	cr_assert_eq(gmt_heap_alert_figure(&s, 5e6, &b, &what), GMT_HEAP_NONE);
	s.r.ms = NULL;
	cr_assert_eq(gmt_heap_alert_figure(&s, 5e6, &b, &what), GMT_HEAP_ESTIMATE);
	cr_assert_float_eq(b, 5e6, 1e-9);
	cr_assert_str_eq(what, "estimated live heap (sampled since attach)");
}
