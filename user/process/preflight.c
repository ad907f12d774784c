// SPDX-License-Identifier: MIT
#include "preflight.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ratestate.h"

const char *gmt_btf_path(const char *opt)
{
	const char *env = getenv("GMT_BTF_PATH");

	if (opt && *opt)
		return opt;
	return env && *env ? env : NULL;
}

int gmt_capeff(uint64_t *capeff)
{
	char line[256];
	int err = -ENOENT;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, capeff) == 1) {
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

int gmt_preflight_uprobe_pmu(void)
{
	struct perf_event_attr attr;
	int type = -1;
	long fd;
	FILE *f = fopen(GMT_UPROBE_PMU, "r");

	if (!f)
		return 1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	if (type < 0)
		return 1;
	/* As libbpf asks for a uprobe (kernel events not excluded), but with no path. */
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (uint32_t)type;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	if (errno == EACCES || errno == EPERM)
		return -EACCES;
	return errno == EINVAL ? 0 : 1;
}

static bool has(uint64_t capeff, int cap)
{
	return capeff & GMT_CAP(cap);
}

int gmt_preflight_caps(const struct gmt_privs *p, struct gmt_diag *d)
{
	bool admin = has(p->capeff, GMT_CAP_SYS_ADMIN);
	bool bpf = admin || has(p->capeff, GMT_CAP_BPF);
	bool perfmon = admin || has(p->capeff, GMT_CAP_PERFMON);

	if (p->uprobe == -EACCES && admin)
		return gmt_diag_set(d, -EPERM,
				    "the kernel refuses to create uprobes although gomemtrace has "
				    "CAP_SYS_ADMIN (uid %d): a security module (SELinux, lockdown) "
				    "denies perf_event_open",
				    p->euid);
	if (p->uprobe == -EACCES)
		return gmt_diag_set(d, -EPERM,
				    "not enough privileges (uid %d): this kernel lets only "
				    "CAP_SYS_ADMIN attach uprobes (CAP_BPF and CAP_PERFMON are not "
				    "enough since Linux 6.16): run as root, or add CAP_SYS_ADMIN",
				    p->euid);
	if (!bpf || !perfmon) {
		char missing[64];

		uint64_t lack = (bpf ? 0 : GMT_CAP(GMT_CAP_BPF)) |
				(perfmon ? 0 : GMT_CAP(GMT_CAP_PERFMON));

		gmt_cap_list(lack, missing, sizeof(missing));
		return gmt_diag_set(d, -EPERM,
				    "not enough privileges to load BPF programs (uid %d): they "
				    "need CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN; missing %s",
				    p->euid, missing);
	}
	return 0;
}

int gmt_preflight_privileges(struct gmt_diag *d)
{
	struct gmt_privs p = { .euid = (int)geteuid() };

	if (gmt_capeff(&p.capeff))
		return 0; /* no procfs: let the kernel say no, if it does */
	p.uprobe = gmt_preflight_uprobe_pmu();
	return gmt_preflight_caps(&p, d);
}

int gmt_explain_refusal(int err, const char *what, struct gmt_diag *d)
{
	struct gmt_diag why = {};

	if (gmt_preflight_privileges(&why))
		return gmt_diag_set(d, err, "%s: %s", what, why.msg);
	return gmt_diag_set(d, err,
			    "%s: %s (gomemtrace has the privileges the preflight looks for: a "
			    "security module denies it?)",
			    what, strerror(-err));
}

uint64_t gmt_access_missing(enum gmt_proc_access a, uint64_t capeff, int euid, int owner_uid)
{
	uint64_t need = 0;

	if (euid == owner_uid)
		return 0;
	if (!has(capeff, GMT_CAP_SYS_PTRACE))
		need |= GMT_CAP(GMT_CAP_SYS_PTRACE);
	if (a == GMT_ACCESS_MEM_WRITE && !has(capeff, GMT_CAP_DAC_OVERRIDE))
		need |= GMT_CAP(GMT_CAP_DAC_OVERRIDE);
	if (a == GMT_ACCESS_MEM_READ && !has(capeff, GMT_CAP_DAC_OVERRIDE) &&
	    !has(capeff, GMT_CAP_DAC_READ_SEARCH))
		need |= GMT_CAP(GMT_CAP_DAC_READ_SEARCH);
	return need;
}

void gmt_cap_list(uint64_t mask, char *buf, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = {
		{ GMT_CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
		{ GMT_CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
		{ GMT_CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" },
		{ GMT_CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
		{ GMT_CAP_BPF, "CAP_BPF" },
		{ GMT_CAP_PERFMON, "CAP_PERFMON" },
	};
	size_t n = 0, left = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		left += (mask & GMT_CAP(names[i].cap)) != 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < len; i++) {
		if (!(mask & GMT_CAP(names[i].cap)))
			continue;
		left--;
		n += snprintf(buf + n, len - n, "%s%s", names[i].name,
			      left > 1 ? ", " : left == 1 ? " and " : "");
	}
}

void gmt_explain_access(pid_t pid, enum gmt_proc_access a, struct gmt_diag *d)
{
	static const char *const what[] = {
		[GMT_ACCESS_PTRACE] = "reading another user's process",
		[GMT_ACCESS_MEM_READ] = "reading another user's memory",
		[GMT_ACCESS_MEM_WRITE] = "writing into another user's process",
	};
	uint64_t capeff = 0, need, missing;
	char path[64], list[96], have[96];
	int euid = (int)geteuid();
	struct stat st;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (!d || stat(path, &st) < 0 || gmt_capeff(&capeff) < 0)
		return;
	n = strlen(d->msg);
	missing = gmt_access_missing(a, capeff, euid, (int)st.st_uid);
	if (!missing) {
		snprintf(d->msg + n, sizeof(d->msg) - n,
			 " (PID %d runs as uid %d, gomemtrace as uid %d with the capabilities "
			 "that needs: a security module denies it?)",
			 (int)pid, (int)st.st_uid, euid);
		return;
	}
	need = gmt_access_missing(a, 0, euid, (int)st.st_uid);
	gmt_cap_list(need, list, sizeof(list));
	gmt_cap_list(missing, have, sizeof(have));
	snprintf(d->msg + n, sizeof(d->msg) - n,
		 " (PID %d runs as uid %d, gomemtrace as uid %d: %s needs %s; missing %s)",
		 (int)pid, (int)st.st_uid, euid, what[a], list, have);
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

int gmt_preflight(const char *btf_opt, struct gmt_diag *d)
{
	int err = gmt_preflight_privileges(d);

	return err ? err : gmt_preflight_kernel(gmt_btf_path(btf_opt), d);
}

int gmt_preflight_state_dir(struct gmt_diag *d)
{
	const char *dir = gmt_ratestate_dir();

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return gmt_diag_set(d, -errno,
				    "cannot create %s: %s (the MemProfileRate state files go "
				    "there: RuntimeDirectory=gomemtrace in a systemd unit; "
				    "GMT_STATE_DIR names another place)",
				    dir, strerror(errno));
	if (access(dir, W_OK | X_OK) < 0)
		return gmt_diag_set(d, -errno,
				    "%s is not writable: %s (the MemProfileRate state files go "
				    "there; GMT_STATE_DIR names another place)",
				    dir, strerror(errno));
	return 0;
}
