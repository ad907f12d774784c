/* SPDX-License-Identifier: MIT */
/*
 * Checks made before a recording launches or attaches to anything: what it needs from
 * its own privileges and from the kernel.  Each failure is one line that names what is
 * missing, instead of libbpf's multi-line complaint half-way through loading.
 *
 * What the kernel asks for (Linux 6.18; kernel/bpf/syscall.c, kernel/events/core.c,
 * fs/proc/base.c):
 *   - loading the BPF programs (kprobe type, ring buffer): CAP_BPF and CAP_PERFMON;
 *     CAP_SYS_ADMIN counts as both (bpf_capable(), perfmon_capable());
 *   - attaching a uprobe (perf_event_open of the uprobe PMU, which libbpf uses):
 *     perf_uprobe_event_init() wants CAP_SYS_ADMIN itself since Linux 6.16 and the
 *     stable kernels that took the same fix (CVE-2025-38466); 5.8 to 6.15 took
 *     CAP_PERFMON.  perf_event_paranoid does not matter once CAP_SYS_ADMIN is there;
 *   - another user's process: its /proc/PID/exe and maps need CAP_SYS_PTRACE
 *     (ptrace_may_access), its /proc/PID/mem (mode 0600, owned by it) in addition
 *     CAP_DAC_READ_SEARCH to read and CAP_DAC_OVERRIDE to write.
 */
#ifndef GMT_PREFLIGHT_H
#define GMT_PREFLIGHT_H

#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

#define GMT_BTF_DEFAULT "/sys/kernel/btf/vmlinux"
#define GMT_UPROBE_PMU "/sys/bus/event_source/devices/uprobe/type"

/* Capability numbers (linux/capability.h), as bits of a CapEff mask: GMT_CAP(n). */
#define GMT_CAP(n) (1ULL << (n))
#define GMT_CAP_DAC_OVERRIDE 1
#define GMT_CAP_DAC_READ_SEARCH 2
#define GMT_CAP_SYS_PTRACE 19
#define GMT_CAP_SYS_ADMIN 21
#define GMT_CAP_PERFMON 38
#define GMT_CAP_BPF 39

/*
 * The kernel BTF the BPF objects are relocated against: opt (--btf), else $GMT_BTF_PATH,
 * else NULL (libbpf's default, GMT_BTF_DEFAULT).
 */
const char *gmt_btf_path(const char *opt);

/* What this process may do, as the kernel will judge it. */
struct gmt_privs {
	uint64_t capeff; /* effective capabilities */
	int euid;
	/*
	 * The uprobe PMU's answer (gmt_preflight_uprobe_pmu()): 0 it lets us create
	 * uprobes, -EACCES it does not, 1 unknown.
	 */
	int uprobe;
};

/* This process's effective capabilities (CapEff of /proc/self/status): 0, or -ENOENT. */
int gmt_capeff(uint64_t *capeff);
/*
 * Asks the kernel whether it lets this process create uprobes, without creating one:
 * perf_event_open of the uprobe PMU with no path.  The PMU checks the capability
 * before it looks at the path, so the answer is EACCES (refused) or EINVAL (allowed).
 * 0 allowed, -EACCES refused, 1 when the question cannot be asked (no uprobe PMU).
 */
int gmt_preflight_uprobe_pmu(void);

/*
 * Loading the BPF programs and attaching uprobes: 0, or -EPERM with what is missing and
 * why.  Kernel-free: p holds the answers.
 */
int gmt_preflight_caps(const struct gmt_privs *p, struct gmt_diag *d);
/* The same, with the answers read from this process and the running kernel. */
int gmt_preflight_privileges(struct gmt_diag *d);

/*
 * A refusal (err: -EPERM or -EACCES) of what (e.g. "cannot attach a uprobe to
 * runtime.mallocgc") by the kernel, said as the preflight says it: "WHAT: " and what
 * gmt_preflight_privileges() finds missing, or, when it finds nothing missing, "WHAT:
 * Operation not permitted (...: a security module denies it?)".  Into d; returns err.
 */
int gmt_explain_refusal(int err, const char *what, struct gmt_diag *d);

/* What is done to another process, for gmt_access_missing(). */
enum gmt_proc_access {
	GMT_ACCESS_PTRACE,    /* /proc/PID/exe, maps */
	GMT_ACCESS_MEM_READ,  /* /proc/PID/mem, read */
	GMT_ACCESS_MEM_WRITE, /* /proc/PID/mem, written */
};

/*
 * The capabilities (a GMT_CAP() mask) that a process with capeff and euid lacks for
 * access a to a process whose /proc files belong to owner_uid: none when the uids are
 * the same; else CAP_SYS_PTRACE, and for its memory CAP_DAC_READ_SEARCH (reading; or
 * CAP_DAC_OVERRIDE) or CAP_DAC_OVERRIDE (writing).
 */
uint64_t gmt_access_missing(enum gmt_proc_access a, uint64_t capeff, int euid, int owner_uid);
/* "CAP_SYS_PTRACE and CAP_DAC_OVERRIDE": the names of the capabilities in mask. */
void gmt_cap_list(uint64_t mask, char *buf, size_t len);
/*
 * Why an access a to process pid was refused (EACCES, EPERM), appended to d's message as
 * " (PID N runs as uid X, gomemtrace as uid Y: ...; missing ...)".  Reads the owner of
 * /proc/PID and our capabilities.
 */
void gmt_explain_access(pid_t pid, enum gmt_proc_access a, struct gmt_diag *d);

/* The kernel BTF (btf: NULL for the default) and the uprobe PMU exist: -ENOENT if not. */
int gmt_preflight_kernel(const char *btf, struct gmt_diag *d);
/*
 * What record and daemon check before anything is started: privileges, then the kernel
 * (the BTF of --btf btf_opt, gmt_btf_path()).  0, or the first failure's one line.
 */
int gmt_preflight(const char *btf_opt, struct gmt_diag *d);

/*
 * The directory of the MemProfileRate state files (ratestate.h) exists or can be
 * created, and is writable: -errno with the reason (and what to do in a systemd unit).
 */
int gmt_preflight_state_dir(struct gmt_diag *d);

#endif
