/* SPDX-License-Identifier: MIT */
/*
 * Checks made before a recording launches or attaches to anything: what it needs from
 * its own privileges and from the kernel.  Each failure is one line that names what is
 * missing, instead of libbpf's multi-line complaint half-way through loading.
 */
#ifndef GMT_PREFLIGHT_H
#define GMT_PREFLIGHT_H

#include <stdint.h>

#include "diag.h"

#define GMT_BTF_DEFAULT "/sys/kernel/btf/vmlinux"
#define GMT_UPROBE_PMU "/sys/bus/event_source/devices/uprobe/type"

/*
 * The kernel BTF the BPF objects are relocated against: opt (--btf), else $GMT_BTF_PATH,
 * else NULL (libbpf's default, GMT_BTF_DEFAULT).
 */
const char *gmt_btf_path(const char *opt);

/*
 * Effective capabilities (CapEff of /proc/self/status): loading BPF and attaching
 * uprobes needs CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON.  -EPERM with the reason.
 */
int gmt_preflight_caps(uint64_t capeff, struct gmt_diag *d);
int gmt_preflight_privileges(struct gmt_diag *d);
/* The kernel BTF (btf: NULL for the default) and the uprobe PMU exist: -ENOENT if not. */
int gmt_preflight_kernel(const char *btf, struct gmt_diag *d);

#endif
