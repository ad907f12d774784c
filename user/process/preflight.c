// SPDX-License-Identifier: MIT
#include "preflight.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAP_BIT(n) (1ULL << (n))
#define GMT_CAP_SYS_ADMIN 21
#define GMT_CAP_PERFMON 38
#define GMT_CAP_BPF 39

const char *gmt_btf_path(const char *opt)
{
	const char *env = getenv("GMT_BTF_PATH");

	if (opt && *opt)
		return opt;
	return env && *env ? env : NULL;
}

int gmt_preflight_caps(uint64_t capeff, struct gmt_diag *d)
{
	uint64_t bpf = CAP_BIT(GMT_CAP_BPF) | CAP_BIT(GMT_CAP_PERFMON);

	if ((capeff & CAP_BIT(GMT_CAP_SYS_ADMIN)) || (capeff & bpf) == bpf)
		return 0;
	return gmt_diag_set(d, -EPERM,
			    "not enough privileges to load BPF programs and attach uprobes (uid "
			    "%d): run as root, or with CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE",
			    (int)geteuid());
}

int gmt_preflight_privileges(struct gmt_diag *d)
{
	char line[256];
	uint64_t capeff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0; /* no procfs: let the kernel say no, if it does */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &capeff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found ? gmt_preflight_caps(capeff, d) : 0;
}

int gmt_preflight_kernel(const char *btf, struct gmt_diag *d)
{
	const char *path = btf ? btf : GMT_BTF_DEFAULT;

	if (access(path, R_OK) < 0)
		return gmt_diag_set(d, -ENOENT,
				    "kernel BTF %s: %s (gomemtrace needs a kernel built with "
				    "CONFIG_DEBUG_INFO_BTF, or --btf FILE)",
				    path, strerror(errno));
	if (access(GMT_UPROBE_PMU, R_OK) < 0)
		return gmt_diag_set(d, -ENOENT,
				    "the kernel has no uprobe support (%s: %s; needs "
				    "CONFIG_UPROBE_EVENTS)",
				    GMT_UPROBE_PMU, strerror(errno));
	return 0;
}
