// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * GC cycles and stop-the-world pauses (docs/go-runtime.md, "GC").  A second object next to
 * gomemtrace.bpf.c: it shares the recording's ring buffer (userspace reuses the map's
 * fd before load) so that GC records and allocation records arrive in one stream, on
 * one clock.
 *
 * Every probe is an entry probe (or its stack-check jbe) and sends one gmt_rec_gc with
 * the heap counters the runtime's gctrace line prints, read from gcController and
 * memstats at addresses userspace found in the binary.  These functions run a handful
 * of times per GC cycle: cost is not a concern here, completeness is.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gomemtrace.h"
#include "goabi.bpf.h"
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by userspace before load: process addresses (static address + load bias). */
const volatile __u64 gc_controller = 0; /* runtime.gcController, 0 when not found */
const volatile __u32 off_heap_live = 0;
const volatile __u32 off_heap_marked = 0;
const volatile __u32 off_heap_goal = 0;
const volatile __u64 numgc_addr = 0; /* runtime.memstats.numgc, 0 when not found */
/* runtime.work.tSweepTerm (then tMark, tMarkTerm) and work.heap0 (then heap1, heap2). */
const volatile __u64 work_times = 0;
const volatile __u64 work_heaps = 0;
/* go1.21+: stopTheWorldWithSema(reason stwReason) takes the reason in AL. */
const volatile bool stw_reason_arg = false;
/*
 * go1.19-1.20: stopTheWorld(reason string) runs on the calling goroutine, then reaches
 * stopTheWorldWithSema on the system stack of whatever thread it runs on after waiting
 * for worldsema.  The reason is keyed by that goroutine and found again from g0 through
 * g0.m.curg; offsets of g.m and m.curg, 0 when unknown.
 */
const volatile __u32 off_g_m = 0;
const volatile __u32 off_m_curg = 0;

/*
 * Set by userspace once every probe is attached and cleared before the first is
 * removed: uprobes come and go one at a time, milliseconds apart, and a sequence seen
 * through half of them (a restart without its stop...) would read as lost records.
 */
__u32 enabled = 0;


struct stw_reason {
	char s[GMT_GC_REASON_LEN];
};

/* go1.19-1.20: stopTheWorld's reason by the goroutine (g address) that is stopping. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct stw_reason);
} reasons SEC(".maps");


/* False when the hit is the stack check about to branch to morestack: the re-run of
 * the prologue after the stack grew is the call to record (docs/go-runtime.md, "Probe sites"). */
static __always_inline bool take_hit(struct pt_regs *ctx)
{
	if (!enabled)
		return false;
	count(GMT_CNT_GC_HITS, 1);
	if ((bpf_get_attach_cookie(ctx) & GMT_COOKIE_STACK_CHECK) &&
	    go_stack_check_will_branch(ctx)) {
		count(GMT_CNT_GC_MORESTACK, 1);
		return false;
	}
	return true;
}

/* What new_rec() reads from the runtime: only what the record's reader uses. */
#define READ_COUNTERS 1
#define READ_NOTHING 0

static __always_inline void read_counters(struct gmt_rec_gc *r)
{
	bool ok = true;

	if (gc_controller) {
		ok &= !bpf_probe_read_user(&r->heap_live, sizeof(r->heap_live),
					   (void *)(gc_controller + off_heap_live));
		ok &= !bpf_probe_read_user(&r->heap_marked, sizeof(r->heap_marked),
					   (void *)(gc_controller + off_heap_marked));
		ok &= !bpf_probe_read_user(&r->heap_goal, sizeof(r->heap_goal),
					   (void *)(gc_controller + off_heap_goal));
		if (ok)
			r->flags |= GMT_GC_HAVE_HEAP;
	}
	if (numgc_addr) {
		if (!bpf_probe_read_user(&r->numgc, sizeof(r->numgc), (void *)numgc_addr))
			r->flags |= GMT_GC_HAVE_NUMGC;
		else
			ok = false;
	}
	if (!ok)
		count(GMT_CNT_GC_READ_ERR, 1);
}

/*
 * Reserves and fills the common part of a record.  The timestamp is taken after the
 * reservation so that the order of records in the buffer is the order of their times.
 */
static __always_inline struct gmt_rec_gc *new_rec(__u32 kind, int what)
{
	struct gmt_rec_gc *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		count(GMT_CNT_GC_RB_DROPS, 1);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr.kind = kind;
	r->hdr.cpu = bpf_get_smp_processor_id();
	r->hdr.ts_ns = bpf_ktime_get_ns();
	r->tid = (__u32)bpf_get_current_pid_tgid();
	if (what == READ_COUNTERS)
		read_counters(r);
	return r;
}

/* A record of the first three Go arguments, for userspace to interpret by version. */
static __always_inline int record_args(struct pt_regs *ctx, __u32 kind, int what)
{
	struct gmt_rec_gc *r;

	if (!take_hit(ctx))
		return 0;
	r = new_rec(kind, what);
	if (!r)
		return 0;
	r->arg[0] = GO_ARG1(ctx);
	r->arg[1] = GO_ARG2(ctx);
	r->arg[2] = GO_ARG3(ctx);
	submit_batched(r);
	return 0;
}

/* func gcStart(trigger gcTrigger): gcTrigger{kind int; now int64; n uint32} flattened. */
SEC("uprobe")
int gmt_gc_start(struct pt_regs *ctx)
{
	return record_args(ctx, GMT_REC_GC_START, READ_NOTHING);
}

/* func (c *gcControllerState) startCycle(markStartTime int64, procs int, trigger gcTrigger) */
SEC("uprobe")
int gmt_gc_cycle(struct pt_regs *ctx)
{
	struct gmt_rec_gc *r;

	if (!take_hit(ctx))
		return 0;
	r = new_rec(GMT_REC_GC_CYCLE, READ_COUNTERS);
	if (!r)
		return 0;
	r->arg[0] = GO_ARG4(ctx); /* trigger.kind */
	r->arg[1] = GO_ARG2(ctx); /* markStartTime */
	r->arg[2] = GO_ARG3(ctx); /* procs */
	r->arg[3] = GO_ARG1(ctx); /* c: &gcController */
	submit_batched(r);
	return 0;
}

/* func gcSweep(mode gcMode) [bool]: called inside the mark-termination STW. */
SEC("uprobe")
int gmt_gc_sweep(struct pt_regs *ctx)
{
	struct gmt_rec_gc *r;

	if (!take_hit(ctx))
		return 0;
	r = new_rec(GMT_REC_GC_SWEEP, READ_COUNTERS);
	if (!r)
		return 0;
	r->arg[0] = GO_ARG1(ctx);
	/* Inside mark termination: every field gctrace prints but tEnd is set by now. */
	if (work_times && work_heaps) {
		if (!bpf_probe_read_user(&r->work[0], 3 * sizeof(__u64), (void *)work_times) &&
		    !bpf_probe_read_user(&r->work[3], 3 * sizeof(__u64), (void *)work_heaps))
			r->flags |= GMT_GC_HAVE_WORK;
		else
			count(GMT_CNT_GC_READ_ERR, 1);
	}
	submit_batched(r);
	return 0;
}

/* go1.19-1.20: func stopTheWorld(reason string), on the goroutine that stops the world. */
SEC("uprobe")
int gmt_gc_stoptheworld(struct pt_regs *ctx)
{
	struct stw_reason v = {};
	__u64 g = GO_G(ctx), len = GO_ARG2(ctx);

	if (!take_hit(ctx))
		return 0;
	if (len > sizeof(v.s) - 1)
		len = sizeof(v.s) - 1;
	if (len && bpf_probe_read_user(v.s, len & (sizeof(v.s) - 1), (void *)GO_ARG1(ctx)))
		return 0;
	bpf_map_update_elem(&reasons, &g, &v, BPF_ANY);
	return 0;
}

/* The goroutine a g0 runs for: g0.m.curg, 0 when unknown. */
static __always_inline __u64 curg_of(__u64 g0)
{
	__u64 m = 0, curg = 0;

	if (!off_g_m || !off_m_curg)
		return 0;
	if (bpf_probe_read_user(&m, sizeof(m), (void *)(g0 + off_g_m)) || !m)
		return 0;
	if (bpf_probe_read_user(&curg, sizeof(curg), (void *)(m + off_m_curg)))
		return 0;
	return curg;
}

/* go1.21+: func stopTheWorldWithSema(reason stwReason) [worldStop]; 1.19-1.20: no args. */
SEC("uprobe")
int gmt_gc_stw_stop(struct pt_regs *ctx)
{
	struct gmt_rec_gc *r;

	if (!take_hit(ctx))
		return 0;
	r = new_rec(GMT_REC_GC_STW_STOP, READ_COUNTERS);
	if (!r)
		return 0;
	if (stw_reason_arg) {
		r->reason = (__u8)GO_ARG1(ctx); /* a u8: the rest of RAX is garbage */
		r->flags |= GMT_GC_HAVE_REASON;
	} else {
		__u64 g = curg_of(GO_G(ctx));
		struct stw_reason *v = g ? bpf_map_lookup_elem(&reasons, &g) : NULL;

		if (v) {
			__builtin_memcpy(r->reason_str, v->s, sizeof(r->reason_str));
			r->flags |= GMT_GC_HAVE_REASON_STR;
			bpf_map_delete_elem(&reasons, &g);
		}
	}
	submit_batched(r);
	return 0;
}

/* 1.19-1.20 (emitTraceEvent bool) int64; 1.21 () int64; 1.22+ (now int64, w worldStop) int64 */
SEC("uprobe")
int gmt_gc_stw_start(struct pt_regs *ctx)
{
	return record_args(ctx, GMT_REC_GC_STW_START, READ_COUNTERS);
}

/*
 * A RET of startTheWorldWithSema (a plain uprobe, never a uretprobe: docs/go-runtime.md, "Calling convention").
 * Its int64 result is the time the runtime says the pause ended: on go1.22+ taken
 * after the other Ps were woken, which gctrace's clock columns include.
 */
SEC("uprobe")
int gmt_gc_stw_done(struct pt_regs *ctx)
{
	struct gmt_rec_gc *r;

	if (!enabled)
		return 0;
	count(GMT_CNT_GC_HITS, 1);
	r = new_rec(GMT_REC_GC_STW_DONE, READ_NOTHING);
	if (!r)
		return 0;
	r->arg[0] = GO_RET1(ctx);
	submit_batched(r);
	return 0;
}
