// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The benchmark's floor: a uprobe that does nothing, attached where gomemtrace attaches
 * its allocation probe.  What it costs is the trap itself (scripts/bench-exact.sh).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("uprobe")
int gmt_empty(struct pt_regs *ctx)
{
	return 0;
}
