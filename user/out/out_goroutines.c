// SPDX-License-Identifier: MIT
/* The goroutine outputs: goroutines.folded, the report.txt section, the summary.json keys. */
#include "goroutines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "json_writer.h"
#include "outputs.h"

#define MAX_INLINE 16

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void t_puts(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->oom)
		return;
	if (GMT_GROW(&t->buf, &t->cap, t->len + n + 1)) {
		t->oom = true;
		return;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

/* A folded frame: ';' separates frames and a newline ends the line. */
static void t_frame(struct text *t, const char *name)
{
	char tmp[512];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", name);
	for (i = 0; tmp[i]; i++)
		if (tmp[i] == ';')
			tmp[i] = ',';
		else if ((unsigned char)tmp[i] < 0x20)
			tmp[i] = ' ';
	if (t->len)
		t_puts(t, ";");
	t_puts(t, tmp);
}

/* Frames of one return address, outermost first. */
static void t_pc(struct text *t, const struct gmt_symbolizer *sym, uint64_t pc)
{
	struct gmt_frame fr[MAX_INLINE];
	int n = gmt_symbolize_pc(sym, pc, fr, MAX_INLINE);
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)pc);
	if (n < 1) {
		t_frame(t, addr);
		return;
	}
	for (int j = n; j-- > 0;)
		t_frame(t, fr[j].func && fr[j].func[0] ? fr[j].func : addr);
}

static void fold_stack(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
		       uint64_t id, struct text *t)
{
	const uint64_t *pcs;
	uint32_t depth;
	bool truncated;

	if (!gmt_goroutines__stack(g, id, &pcs, &depth, &truncated)) {
		t_frame(t, "[unknown stack]");
		return;
	}
	if (truncated)
		t_frame(t, "[truncated]");
	for (uint32_t i = depth; i-- > 0;)
		t_pc(t, sym, pcs[i]);
}

static void fold_origin(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
			const struct gmt_gor_origin *o, struct text *t)
{
	const char *fn = o->site ? o->site->start_fn : "";
	bool pre_root = o->preexisting && !o->fold_stack;

	if (pre_root) {
		t_frame(t, "[pre-existing]");
		if (o->gopc)
			t_pc(t, sym, o->gopc);
	} else {
		fold_stack(g, sym, o->preexisting ? o->fold_stack : o->stack_id, t);
	}
	if (fn[0]) {
		char go[160];

		snprintf(go, sizeof(go), "[go] %s", fn);
		t_frame(t, go);
	}
	if (o->preexisting && !pre_root)
		t_frame(t, "[pre-existing]");
}

struct fline {
	char *text;
	uint64_t value;
};

static int cmp_fline(const void *pa, const void *pb)
{
	return strcmp(((const struct fline *)pa)->text, ((const struct fline *)pb)->text);
}

int gmt_goroutines__write_folded(const struct gmt_goroutines *g, const struct gmt_symbolizer *sym,
				 FILE *f)
{
	const struct gmt_gor_origin *const *origins;
	size_t norigins = gmt_goroutines__origins(g, &origins);
	struct fline *lines = calloc(norigins ? norigins : 1, sizeof(*lines));
	size_t n = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < norigins; i++) {
		struct text t = {};

		if (!origins[i]->live)
			continue;
		fold_origin(g, sym, origins[i], &t);
		if (t.oom || !t.buf) {
			free(t.buf);
			err = -ENOMEM;
			goto out;
		}
		lines[n].text = t.buf;
		lines[n++].value = origins[i]->live;
	}
	if (n)
		qsort(lines, n, sizeof(*lines), cmp_fline);
	for (size_t i = 0; i < n;) {
		uint64_t sum = 0;
		size_t j = i;

		for (; j < n && strcmp(lines[j].text, lines[i].text) == 0; j++)
			sum += lines[j].value;
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)sum);
		i = j;
	}
	if (ferror(f))
		err = -EIO;
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	return err;
}

int gmt_goroutines__report(const struct gmt_goroutines *g, FILE *f)
{
	const struct gmt_gor_site *const *sites;
	size_t nsites = gmt_goroutines__sites(g, &sites), shown = 0;
	struct gmt_gor_stats stats, *st = &stats;

	gmt_goroutines__stats(g, st);

	fprintf(f, "\nGoroutines\n");
	fprintf(f, "  live at the end: %llu (as runtime.NumGoroutine counts them) + %llu of the "
		   "runtime itself\n",
		(unsigned long long)st->live, (unsigned long long)st->live_runtime);
	if (st->enumerated)
		fprintf(f, "  before tracing: %llu (found in runtime.allgs at attach)\n",
			(unsigned long long)st->preexisting);
	else
		fprintf(f, "  before tracing: not enumerated; %llu of them seen exiting, the "
			   "others are missing from the live counts\n",
			(unsigned long long)st->exited_unknown);
	fprintf(f, "  created while tracing: %llu; exited: %llu (%llu of them pre-existing)\n",
		(unsigned long long)st->created, (unsigned long long)st->exited,
		(unsigned long long)st->exited_pre);
	fprintf(f, "  probable leaks (live count only grew over %d slices of the trace): %llu "
		   "site%s\n",
		GMT_GOR_BUCKETS, (unsigned long long)st->leak_sites, st->leak_sites == 1 ? "" : "s");
	fprintf(f, "\n  %8s %8s %9s %9s  %-44s %s\n", "live", "before", "created", "exited",
		"live at start, then after each tenth", "go statement [goroutine function]");
	for (size_t i = 0; i < nsites && shown < GMT_GOR_REPORT_TOP; i++) {
		const struct gmt_gor_site *s = sites[i];
		char growth[256];
		size_t len = 0;

		if (!s->live && !s->created)
			continue;
		growth[0] = 0;
		for (int k = 0; k <= GMT_GOR_BUCKETS && len < sizeof(growth) - 24; k++)
			len += snprintf(growth + len, sizeof(growth) - len, "%s%llu", k ? " " : "",
					(unsigned long long)s->buckets[k]);
		fprintf(f, "  %8llu %8llu %9llu %9llu  %-44s %s%s [%s]%s\n",
			(unsigned long long)s->live, (unsigned long long)s->pre,
			(unsigned long long)s->created, (unsigned long long)s->exited, growth,
			s->leak && !s->runtime ? "LEAK? " : "", s->name,
			s->start_fn[0] ? s->start_fn : "?", s->runtime ? " (runtime)" : "");
		shown++;
	}
	return ferror(f) ? -EIO : 0;
}

void gmt_goroutines__summary_fields(const struct gmt_goroutines *g, struct gmt_json *j)
{
	const struct gmt_gor_site *const *sites;
	size_t nsites = gmt_goroutines__sites(g, &sites), shown = 0;
	struct gmt_gor_stats stats, *st = &stats;

	gmt_goroutines__stats(g, st);

	gmt_json__kuint(j, "goroutines_live", st->live);
	gmt_json__kuint(j, "goroutines_live_runtime", st->live_runtime);
	gmt_json__kbool(j, "goroutines_enumerated", st->enumerated);
	gmt_json__kuint(j, "goroutines_preexisting", st->preexisting);
	gmt_json__kuint(j, "goroutines_created", st->created);
	gmt_json__kuint(j, "goroutines_exited", st->exited);
	gmt_json__kuint(j, "goroutines_exited_unknown", st->exited_unknown);
	gmt_json__kuint(j, "goroutine_leak_sites", st->leak_sites);
	gmt_json__key(j, "goroutine_sites");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < nsites && shown < GMT_GOR_REPORT_TOP; i++) {
		const struct gmt_gor_site *s = sites[i];

		if (!s->live && !s->created)
			continue;
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "site", s->name);
		gmt_json__kstr(j, "function", s->start_fn);
		gmt_json__kuint(j, "live", s->live);
		gmt_json__kuint(j, "created", s->created);
		gmt_json__kuint(j, "exited", s->exited);
		gmt_json__kuint(j, "preexisting", s->pre);
		gmt_json__kbool(j, "runtime", s->runtime);
		gmt_json__kbool(j, "leak", s->leak && !s->runtime);
		gmt_json__key(j, "growth");
		gmt_json__arr_begin(j);
		for (int k = 0; k <= GMT_GOR_BUCKETS; k++)
			gmt_json__uint(j, s->buckets[k]);
		gmt_json__arr_end(j);
		gmt_json__obj_end(j);
		shown++;
	}
	gmt_json__arr_end(j);
}
