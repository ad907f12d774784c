// SPDX-License-Identifier: MIT
/* The goroutines of a snapshot (snapshot.h): read through gmt_rmem, written as goroutines.txt. */
#include "snapshot_gor.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gobin.h"
#include "gorvars.h"
#include "gsnap.h"
#include "out_goroutines_snap.h"
#include "recorder.h"

#define TOP_GROUPS 10

struct gor_ctx {
	const struct gmt_gsnap *s;
	const struct gmt_go_release *row;
	const struct gmt_symbolizer *sym;
	int64_t now;
	const struct gmt_run_info *ri;
	const struct gmt_pprof_opts *po;
};

static int w_gor_pb(FILE *f, void *arg)
{
	struct gor_ctx *c = arg;

	return gmt_write_goroutines_snap_pprof(c->s, c->row, c->sym, c->now, c->ri, c->po, f);
}

static int w_gor(FILE *f, void *arg)
{
	struct gor_ctx *c = arg;

	return gmt_write_goroutines_snap(c->s, c->row, c->sym, c->now, f);
}

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int gmt_snapshot_gor_read(const struct gmt_snapshot_gor_in *in, struct gmt_gsnap *s,
			  int64_t *now_ns, struct gmt_diag *d)
{
	const struct gmt_gorvars *v = in->vars;
	int err;

	memset(s, 0, sizeof(*s));
	if (!v->allglen || !v->allgptr)
		return gmt_diag_set(d, -ENOENT, "runtime.allgs: %s", v->why);
	err = gmt_gsnap_read(in->mem, in->row, in->gb->pcln,
			     &(struct gmt_gsnap_addrs){ v->allgptr + in->bias, v->allglen + in->bias,
							in->bias },
			     s, d);
	/* nanotime() is CLOCK_MONOTONIC: read it right after the goroutines. */
	*now_ns = mono_now();
	return err;
}

int gmt_snapshot_gor_write(const struct gmt_snapshot_gor_in *in, const struct gmt_gsnap *sn,
			   int64_t now_ns, FILE *out, struct gmt_diag *d)
{
	const struct gmt_gsnap *s = sn;
	struct gmt_gsnap_group *gr = NULL;
	struct gor_ctx c = { s, in->row, in->sym, now_ns, in->ri, in->po };
	int err, ng;

	err = in->dir ? gmt_write_file_atomic(in->dir, "goroutines.txt", w_gor, &c, d) : 0;
	if (!err && in->dir)
		err = gmt_write_file_atomic(in->dir, "goroutines.pb.gz", w_gor_pb, &c, d);
	if (!err && in->leaks)
		err = gmt_gsnap_feed_leaks(s, in->row, in->sym, c.now, in->leaks, d);
	if (err || !in->dir)
		return err;
	ng = gmt_gsnap_group(s, in->row, in->sym, c.now, &gr);
	if (ng < 0)
		return gmt_diag_set(d, ng, "out of memory");
	if (out) {
		size_t total = 0;

		for (int k = 0; k < ng; k++)
			total += gr[k].count;
		fprintf(out, "goroutines: %zu in %d groups", total, ng);
		if (s->reread || s->unreadable)
			fprintf(out, " (%zu read again, %zu not readable consistently)", s->reread,
				s->unreadable);
		fprintf(out, "\n  largest groups (count, state, longest wait, where):\n");
		for (int k = 0; k < ng && k < TOP_GROUPS; k++) {
			char wait[32] = "-";

			if (gr[k].longest_ns >= 60000000000ll)
				snprintf(wait, sizeof(wait), "%lld min",
					 (long long)(gr[k].longest_ns / 60000000000ll));
			else if (gr[k].longest_ns > 0)
				snprintf(wait, sizeof(wait), "%.1f s", gr[k].longest_ns / 1e9);
			fprintf(out, "    %6zu  %-20s %10s  %s\n", gr[k].count, gr[k].state, wait,
				gr[k].func);
		}
		fprintf(out, "wrote %s/goroutines.txt and goroutines.pb.gz\n", in->dir);
	}
	free(gr);
	return 0;
}

int gmt_snapshot_goroutines(const struct gmt_snapshot_gor_in *in, FILE *out, struct gmt_diag *d)
{
	struct gmt_gsnap s;
	int64_t now;
	int err = gmt_snapshot_gor_read(in, &s, &now, d);

	if (!err)
		err = gmt_snapshot_gor_write(in, &s, now, out, d);
	gmt_gsnap_free(&s);
	return err;
}
