// SPDX-License-Identifier: MIT
/* Frames as Go shows them: its wrapper-hiding rule (symbolize.h). */
#include "symbolize.h"

#include <string.h>

bool gmt_go_elides_wrapper_calling(const char *callee)
{
	return !callee || (strcmp(callee, "runtime.gopanic") && strcmp(callee, "runtime.sigpanic") &&
			   strcmp(callee, "runtime.panicwrap"));
}

static int view_frames(void *ctx, uint64_t pc, struct gmt_frame *fr, int max)
{
	const struct gmt_go_view *v = ctx;
	int n = gmt_symbolize_pc(v->inner, pc, fr, max);

	if (n >= 2 && v->inner->is_wrapper && v->inner->is_wrapper(v->inner->ctx, pc) &&
	    gmt_go_elides_wrapper_calling(fr[n - 2].func))
		n--; /* the physical frame, last, is the wrapper */
	return n;
}

static int view_type_info(void *ctx, uint64_t typ, struct gmt_type_info *ti)
{
	const struct gmt_go_view *v = ctx;

	return v->inner->type_info ? v->inner->type_info(v->inner->ctx, typ, ti) : -ENOENT;
}

static int view_go_func(void *ctx, uint64_t entry, char *buf, size_t len)
{
	const struct gmt_go_view *v = ctx;

	return v->inner->go_func ? v->inner->go_func(v->inner->ctx, entry, buf, len) : -ENOENT;
}

/* Whether the frames this view shows for pc end in a wrapper: not when it hid it. */
static bool view_is_wrapper(void *ctx, uint64_t pc)
{
	const struct gmt_go_view *v = ctx;
	struct gmt_frame fr[64];
	int n;

	if (!v->inner || !v->inner->is_wrapper || !v->inner->is_wrapper(v->inner->ctx, pc))
		return false;
	n = gmt_symbolize_pc(v->inner, pc, fr, 64);
	return n == 1 || (n >= 2 && !gmt_go_elides_wrapper_calling(fr[n - 2].func));
}

const struct gmt_symbolizer *gmt_go_view(struct gmt_go_view *v,
					  const struct gmt_symbolizer *inner)
{
	v->inner = inner;
	v->sym = (struct gmt_symbolizer){
		.frames = view_frames,
		.type_info = inner && inner->type_info ? view_type_info : NULL,
		.ctx = v,
		.go_func = inner && inner->go_func ? view_go_func : NULL,
		.is_wrapper = inner && inner->is_wrapper ? view_is_wrapper : NULL,
	};
	return &v->sym;
}
