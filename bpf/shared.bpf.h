/* SPDX-License-Identifier: MIT */
/*
 * The maps every gomemtrace BPF object shares.  The allocation object creates them;
 * userspace hands their fds to the other objects (bpf_map__reuse_fd) before those load,
 * so that one ring buffer carries every record on one clock and one counter table
 * reports every loss.
 */
#ifndef GMT_SHARED_BPF_H
#define GMT_SHARED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "gomemtrace.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GMT_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	/* Atomic although per-CPU: a uprobe's program runs with migration disabled, not
	 * preemption, so another thread's run on this CPU can come between a load and a
	 * store (bpf/stackwalk.bpf.h). */
	if (v)
		__sync_fetch_and_add(v, n);
}

/*
 * Records nobody waits for (GC events, goroutine births and deaths: thousands a second
 * on a busy program) wake the reader only once a batch has piled up, not a context
 * switch per record.  The others are read with the next wake-up any record of the
 * shared buffer causes, or by the final drain.
 */
#define GMT_WAKEUP_BYTES (64 << 10)

static __always_inline void submit_batched(void *r)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= GMT_WAKEUP_BYTES
			  ? BPF_RB_FORCE_WAKEUP
			  : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(r, flags);
}

#endif
