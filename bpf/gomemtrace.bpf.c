// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gomemtrace's BPF programs.  One object, so that every program shares the ring
 * buffer, the counters and the stack table.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gomemtrace.h"
#include "goabi.bpf.h"
#include "shared.bpf.h"
#include "stackwalk.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/*
 * Set by userspace before load (and max_depth, stackwalk.bpf.h).  runtime.mallocgc as
 * mapped in the target: size-specialized hits from inside it are mallocgc's own
 * dispatch and already counted (docs/go-runtime.md, "Allocation").
 */
const volatile __u64 mallocgc_start = 0;
const volatile __u64 mallocgc_end = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct gmt_alloc_key);
	__type(value, __u64);
} allocs SEC(".maps");

static __always_inline int on_alloc(struct pt_regs *ctx, bool check_nested)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct gmt_alloc_key key = {};
	struct walk_scratch *w;
	struct gmt_rec_stack *st;
	__u64 *v;

	count(GMT_CNT_ALLOC_HITS, 1);
	if ((cookie & GMT_COOKIE_STACK_CHECK) && go_stack_check_will_branch(ctx)) {
		/* morestack will grow the stack and re-run the prologue: count that run. */
		count(GMT_CNT_ALLOC_MORESTACK, 1);
		return 0;
	}
	w = scratch_get();
	if (!w)
		return 0;
	st = &w->st;
	key.stack_id = walk_stack(ctx, w);
	if (check_nested && key.stack_id && st->pcs[0] >= mallocgc_start &&
	    st->pcs[0] < mallocgc_end) {
		scratch_put(w);
		count(GMT_CNT_ALLOC_NESTED, 1);
		return 0;
	}
	key.typ = GO_ARG2(ctx);
	key.size = GO_ARG1(ctx);
	if (key.size) {
		count(GMT_CNT_ALLOCS, 1);
		count(GMT_CNT_BYTES, key.size);
	} else {
		count(GMT_CNT_ZERO_SIZE, 1);
	}
	if (!key.stack_id)
		count(GMT_CNT_STACK_ERR, 1);

	/* The hot path: a row for this (stack, type, size) exists, so its stack was sent. */
	v = bpf_map_lookup_elem(&allocs, &key);
	if (v) {
		scratch_put(w);
		__sync_fetch_and_add(v, 1); /* per-CPU, but runs may interleave on a CPU */
		return 0;
	}
	if (key.stack_id)
		emit_stack(st, key.stack_id);
	scratch_put(w);
	__u64 one = 1;
	if (bpf_map_update_elem(&allocs, &key, &one, BPF_NOEXIST) == 0)
		return 0;
	v = bpf_map_lookup_elem(&allocs, &key); /* another run inserted it meanwhile */
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	/* Table full: nothing is lost, the allocation travels on its own. */
	count(GMT_CNT_AGG_FULL, 1);
	struct gmt_rec_alloc *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count(GMT_CNT_RB_DROPS, 1);
		return 0;
	}
	r->hdr.kind = GMT_REC_ALLOC;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->key = key;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("uprobe")
int gmt_mallocgc(struct pt_regs *ctx)
{
	return on_alloc(ctx, false);
}

/* go1.27 / go1.26+sizespecializedmalloc: called directly by compiled code and by
 * mallocgc's own dispatch. */
SEC("uprobe")
int gmt_malloc_sc(struct pt_regs *ctx)
{
	return on_alloc(ctx, true);
}

/* ---- Sampled mode: Go's own heap sampler (docs/go-runtime.md, "Heap sampler") ---- */

/* go1.23+: mProf_Malloc(mp *m, p, size), so p and size move one register up. */
const volatile bool mprof_malloc_has_mp = false;
/* runtime.special and specialprofile of the target's release (user/goruntime/specials.h). */
const volatile __u32 special_kind_off = 0;
const volatile __u32 special_profile_kind = 0;
const volatile __u32 special_bucket_off = 0;

/* The sampler runs a few thousand times a second, not once per allocation: one
 * ring-buffer record per hit is cheap enough, and keeps the p -> b -> free join in
 * userspace.  NULL when the hit is skipped (morestack) or the buffer is full. */
static __always_inline struct gmt_rec_mprof *mprof_reserve(struct pt_regs *ctx, __u32 kind)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct gmt_rec_mprof *r;

	count(GMT_CNT_ALLOC_HITS, 1);
	if ((cookie & GMT_COOKIE_STACK_CHECK) && go_stack_check_will_branch(ctx)) {
		/* morestack re-runs the prologue: that run is recorded. */
		count(GMT_CNT_ALLOC_MORESTACK, 1);
		return NULL;
	}
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count(GMT_CNT_MPROF_RB_DROPS, 1);
		return NULL;
	}
	r->hdr.kind = kind;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->stack_id = 0;
	r->p = 0;
	r->b = 0;
	r->size = 0;
	return r;
}

SEC("uprobe")
int gmt_mprof_malloc(struct pt_regs *ctx)
{
	/* Both layouts read unconditionally: a ctx offset picked at run time is rejected by
	 * the verifier ("dereference of modified ctx ptr"). */
	__u64 a1 = GO_ARG1(ctx), a2 = GO_ARG2(ctx), a3 = GO_ARG3(ctx);
	struct walk_scratch *w;
	struct gmt_rec_mprof *r;
	__u64 id = 0;

	/* Walk first: emit_stack must precede this sample in the ring buffer. */
	w = scratch_get();
	if (!w)
		return 0;
	if (!((bpf_get_attach_cookie(ctx) & GMT_COOKIE_STACK_CHECK) &&
	      go_stack_check_will_branch(ctx))) {
		id = walk_stack(ctx, w);
		if (id)
			emit_stack(&w->st, id);
		else
			count(GMT_CNT_STACK_ERR, 1);
	}
	scratch_put(w);
	r = mprof_reserve(ctx, GMT_REC_MPROF_MALLOC);
	if (!r)
		return 0;
	r->stack_id = id;
	r->p = mprof_malloc_has_mp ? a2 : a1;
	r->size = mprof_malloc_has_mp ? a3 : a2;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* setprofilebucket(p unsafe.Pointer, b *bucket): every version. */
SEC("uprobe")
int gmt_setprofilebucket(struct pt_regs *ctx)
{
	struct gmt_rec_mprof *r = mprof_reserve(ctx, GMT_REC_MPROF_BUCKET);

	if (!r)
		return 0;
	r->p = GO_ARG1(ctx);
	r->b = GO_ARG2(ctx);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * freeSpecial(s *special, p unsafe.Pointer, size uintptr), every version: the sweeper
 * frees one special record of the dead object p.  Only heap-profile records are a
 * sampled object's death (and then freeSpecial calls mProf_Free(s.b)); finalizers, weak
 * handles, cleanups... pass through unrecorded and uncounted, so that every counted hit
 * is still a morestack skip, a record, or a record lost.
 */
SEC("uprobe")
int gmt_free_special(struct pt_regs *ctx)
{
	__u64 s = GO_ARG1(ctx), p = GO_ARG2(ctx), size = GO_ARG3(ctx), b = 0;
	struct gmt_rec_mprof *r;
	__u8 kind;

	if (bpf_probe_read_user(&kind, sizeof(kind), (void *)(s + special_kind_off))) {
		count(GMT_CNT_MPROF_READ_ERR, 1);
		return 0;
	}
	if (kind != special_profile_kind)
		return 0;
	r = mprof_reserve(ctx, GMT_REC_MPROF_FREE);
	if (!r)
		return 0;
	if (bpf_probe_read_user(&b, sizeof(b), (void *)(s + special_bucket_off)))
		count(GMT_CNT_MPROF_READ_ERR, 1);
	r->p = p;
	r->b = b;
	r->size = size;
	bpf_ringbuf_submit(r, 0);
	return 0;
}
