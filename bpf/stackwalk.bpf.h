/* SPDX-License-Identifier: MIT */
/*
 * The frame-pointer stack walk of a Go goroutine from an entry-equivalent probe
 * (docs/go-runtime.md, "Calling convention"), and sending each stack once through the ring buffer.  Every object
 * that includes it gets its own stacks_seen and scratch maps and a max_depth that
 * userspace sets before load; userspace deduplicates stacks by id across objects.
 */
#ifndef GMT_STACKWALK_BPF_H
#define GMT_STACKWALK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "gomemtrace.h"
#include "goabi.bpf.h"
#include "shared.bpf.h"

/* Set by userspace before load. */
const volatile __u32 max_depth = GMT_MAX_STACK;

/* Stacks already sent to userspace: the ring buffer carries each stack once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, __u8);
} stacks_seen SEC(".maps");

/*
 * Scratch space for a stack walk: too big for the 512-byte BPF stack.  The walk copies
 * the goroutine stack in chunks: frames are contiguous upwards from RSP, and one copy
 * of a chunk costs about what one copy of a single frame does.
 */
#define WALK_CHUNK 256

struct walk_scratch {
	__u64 busy; /* taken by a run (scratch_get) */
	struct gmt_rec_stack st;
	__u64 base; /* user address of buf[0], 0 when buf holds nothing */
	__u8 buf[WALK_CHUNK];
};

/*
 * A uprobe's program runs with migration disabled but preemption enabled (kernel
 * bpf_prog_run_array_uprobe): a thread preempted in the middle of a run leaves its
 * scratch half used, and another thread's run on the same CPU must not take it (it
 * would overwrite the first one's stack, which would then go out under the wrong id).
 * Each CPU has a few slots; a run takes the first free one and gives it back.
 */
#define SCRATCH_SLOTS 4

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} scratch SEC(".maps");

/* A free slot of this CPU's scratch, NULL (counted) when every one is taken. */
static __always_inline struct walk_scratch *scratch_get(void)
{
	for (__u32 i = 0; i < SCRATCH_SLOTS; i++) {
		struct walk_scratch *w = bpf_map_lookup_elem(&scratch, &i);

		if (!w)
			return NULL;
		if (__sync_lock_test_and_set(&w->busy, 1) == 0)
			return w;
	}
	count(GMT_CNT_SCRATCH_BUSY, 1);
	return NULL;
}

static __always_inline void scratch_put(struct walk_scratch *w)
{
	__sync_lock_test_and_set(&w->busy, 0);
}

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* The 16 bytes {saved fp, return pc} at user address fp, from the copied chunk if it
 * holds them, else from a new chunk (or, near the end of the mapping, alone). */
static __always_inline int read_frame(struct walk_scratch *w, __u64 fp, __u64 frame[2])
{
	__u64 off = fp - w->base;

	if (w->base && fp >= w->base && off <= WALK_CHUNK - 16) {
		frame[0] = *(__u64 *)(w->buf + off);
		frame[1] = *(__u64 *)(w->buf + off + 8);
		return 0;
	}
	if (bpf_probe_read_user(w->buf, WALK_CHUNK, (void *)fp) == 0) {
		w->base = fp;
		frame[0] = *(__u64 *)w->buf;
		frame[1] = *(__u64 *)(w->buf + 8);
		return 0;
	}
	w->base = 0;
	return bpf_probe_read_user(frame, 16, (void *)fp);
}

/*
 * Frame-pointer walk from an entry-equivalent probe: [RSP] is the return address into
 * the caller (the first frame), RBP is still the caller's frame pointer.  Returns the
 * stack id (a hash of the PCs), 0 when not even the first frame could be read.
 */
static __always_inline __u64 walk_stack(struct pt_regs *ctx, struct walk_scratch *w)
{
	struct gmt_rec_stack *st = &w->st;
	__u64 fp = GO_FP(ctx), h = 0xcbf29ce484222325ULL;
	__u64 frame[2]; /* saved fp, return pc; at RSP: return pc, (unused) */
	__u32 n = 1;

	st->flags = 0;
	st->depth = 0;
	w->base = 0;
	/* The chunk at RSP holds [RSP] and, usually, the caller's frames above it. */
	if (read_frame(w, GO_SP(ctx), frame) || !frame[0])
		return 0;
	st->pcs[0] = frame[0];
	h = mix(h, frame[0]);
	for (int i = 1; i < GMT_MAX_STACK; i++) {
		if (i >= max_depth)
			break;
		if (!fp || read_frame(w, fp, frame) || !frame[1]) {
			fp = 0;
			break;
		}
		st->pcs[i] = frame[1];
		h = mix(h, frame[1]);
		n = i + 1;
		/* Stacks grow down: a caller's frame is above its callee's. */
		if (frame[0] <= fp) {
			fp = 0;
			break;
		}
		fp = frame[0];
	}
	/* Stopped at the limit: truncated if there is one more real frame. */
	if (fp && read_frame(w, fp, frame) == 0 && frame[1]) {
		st->flags |= GMT_STACK_TRUNCATED;
		count(GMT_CNT_STACK_TRUNC, 1);
	}
	st->depth = n;
	h = mix(h, n);
	return h ? h : 1;
}

static __always_inline void emit_stack(struct gmt_rec_stack *st, __u64 id)
{
	__u8 one = 1;
	struct gmt_rec_stack *r;
	__u32 n = st->depth;
	long err;

	/* A lookup takes no lock; an update does, even when the key exists. */
	if (bpf_map_lookup_elem(&stacks_seen, &id))
		return; /* userspace has it */
	err = bpf_map_update_elem(&stacks_seen, &id, &one, BPF_NOEXIST);
	if (err == -17 /* EEXIST: another CPU just sent it */)
		return;
	/* When the table is full, send the stack every time: userspace deduplicates. */
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		if (!err)
			bpf_map_delete_elem(&stacks_seen, &id); /* retry on the next hit */
		count(GMT_CNT_RB_DROPS_STACK, 1);
		return;
	}
	r->hdr.kind = GMT_REC_STACK;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->stack_id = id;
	r->depth = n;
	r->flags = st->flags;
	for (int i = 0; i < GMT_MAX_STACK; i++)
		r->pcs[i] = i < n ? st->pcs[i] : 0;
	bpf_ringbuf_submit(r, 0);
}

#endif
