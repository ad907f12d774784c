// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Goroutine creation and exit (docs/go-runtime.md, "Goroutines"), a third object on the recording's ring
 * buffer and counters.
 *
 * runtime.newproc(fn) runs on the creating goroutine: its stack there is the creation
 * stack.  It then switches to the system stack of the same thread and calls newproc1,
 * which allocates the g and assigns its goid, and hands the g to runqput.  A probe on
 * that CALL of runqput (emulated) reads the new g from RBX; where the hook plan did
 * not find it, plain uprobes on newproc1's RET instructions (never a uretprobe:
 * docs/go-runtime.md, "Calling convention") read it from RAX.  Either pairs it with the stack the same thread left
 * at newproc.  goexit0 (<= 1.21) / gdestroy (1.22+) receive the dying g.  Each creation
 * and exit is one record; userspace keeps the table of live goroutines.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gomemtrace.h"
#include "goabi.bpf.h"
#include "shared.bpf.h"
#include "stackwalk.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by userspace before load: offset of g.goid for this Go version (docs/go-runtime.md, "Goroutines"). */
const volatile __u32 off_goid = 152;

/* Set once every probe is attached, cleared before the first is removed (gc.bpf.c). */
__u32 enabled = 0;

struct creator {
	__u64 stack_id;
	__u64 start_pc;
};

/*
 * What newproc left for the newproc1 it is about to call on the same thread.  LRU: an
 * entry whose newproc1 never came (the goroutine moved threads in between) ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct creator);
} creators SEC(".maps");


static __always_inline int send(__u32 kind, __u64 g, __u64 stack_id, __u64 start_pc)
{
	struct gmt_rec_go *r;
	__u64 goid = 0;

	if (bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + off_goid))) {
		count(GMT_CNT_GO_READ_ERR, 1);
		return 0;
	}
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count(GMT_CNT_GO_RB_DROPS, 1);
		return 0;
	}
	r->hdr.kind = kind;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->goid = goid;
	r->stack_id = stack_id;
	r->start_pc = start_pc;
	r->g = g;
	submit_batched(r);
	return 0;
}

/* func newproc(fn *funcval), on the creating goroutine: the creation stack. */
SEC("uprobe")
int gmt_go_newproc(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct creator c = {};
	struct walk_scratch *w;

	if (!enabled)
		return 0;
	count(GMT_CNT_GO_HITS, 1);
	if ((bpf_get_attach_cookie(ctx) & GMT_COOKIE_STACK_CHECK) &&
	    go_stack_check_will_branch(ctx))
		return 0; /* morestack re-runs the prologue: that hit is the one to take */
	w = scratch_get();
	if (!w)
		return 0;
	c.stack_id = walk_stack(ctx, w);
	w->st.flags |= GMT_STACK_GOROUTINE;
	if (c.stack_id)
		emit_stack(&w->st, c.stack_id);
	else
		count(GMT_CNT_STACK_ERR, 1);
	scratch_put(w);
	/* funcval{fn uintptr, ...}: fn is the goroutine's entry, what the runtime calls its
	 * startpc and classifies system goroutines by. */
	bpf_probe_read_user(&c.start_pc, sizeof(c.start_pc), (void *)GO_ARG1(ctx));
	bpf_map_update_elem(&creators, &tid, &c, BPF_ANY);
	return 0;
}

/* The new goroutine gp is known: join it with the creation stack newproc left. */
static __always_inline int created(__u64 gp)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct creator c = {};
	struct creator *p;

	if (!enabled)
		return 0;
	count(GMT_CNT_GO_HITS, 1);
	p = bpf_map_lookup_elem(&creators, &tid);
	if (p) {
		c = *p;
		bpf_map_delete_elem(&creators, &tid);
	} else {
		count(GMT_CNT_GO_NO_STACK, 1);
	}
	return send(GMT_REC_GO_CREATE, gp, c.stack_id, c.start_pc);
}

/* A RET of newproc1 (on g0 of the creating thread): RAX is the new g. */
SEC("uprobe")
int gmt_go_created(struct pt_regs *ctx)
{
	return created(GO_RET1(ctx));
}

/*
 * The CALL of runqput(pp, gp, next) in newproc's systemstack closure, right after
 * newproc1 returned gp (GMT_HOOK_NEWPROC_RUNQPUT): the same as a RET of newproc1 for a
 * goroutine made by newproc, at one trap instead of two.
 */
SEC("uprobe")
int gmt_go_handoff(struct pt_regs *ctx)
{
	return created(GO_ARG2(ctx));
}

/* func goexit0(gp *g) (<= 1.21) / func gdestroy(gp *g) (1.22+), on g0. */
SEC("uprobe")
int gmt_go_exit(struct pt_regs *ctx)
{
	if (!enabled)
		return 0;
	count(GMT_CNT_GO_HITS, 1);
	if ((bpf_get_attach_cookie(ctx) & GMT_COOKIE_STACK_CHECK) &&
	    go_stack_check_will_branch(ctx))
		return 0;
	return send(GMT_REC_GO_EXIT, GO_ARG1(ctx), 0, 0);
}
