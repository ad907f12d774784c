/* SPDX-License-Identifier: MIT */
/*
 * How close a process is to the OOM killer, from the kernel's side: its resident set
 * (VmRSS of /proc/PID/status) and the memory.max / memory.current of its cgroup v2
 * (the "0::/path" line of /proc/PID/cgroup, under the cgroup2 mount).  Where the memory
 * controller is not on the unified hierarchy (a "hybrid" host: cgroup2 mounted beside
 * cgroup v1 controllers, as systemd's default was until v247), the limit and usage come
 * from the v1 memory controller instead (the "N:memory:/path" line, under
 * CGROUP_ROOT/memory: memory.limit_in_bytes and memory.usage_in_bytes), labelled v1.
 * The snapshot's memory.json uses it, the daemon's --alert-rss-pct, and the OTLP
 * resource's container.id (the container the cgroup path names).
 *
 * The roots are parameters so that the unit tests read files they wrote
 * (tests/process/test_memusage.c); live callers pass "/proc" and "/sys/fs/cgroup".
 */
#ifndef GMT_MEMUSAGE_H
#define GMT_MEMUSAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct gmt_memusage {
	bool have_rss;
	uint64_t rss;		/* bytes (VmRSS) */
	char cgroup[256];	/* the cgroup v2 path, "" when none (cgroup v1 only) */
	/*
	 * The cgroup whose memory figures follow: the v2 one (memcg_version 2) when its
	 * memory files read, else the v1 memory controller's (1); 0 and "": none.
	 */
	int memcg_version;
	char memcg[256];
	bool have_current;	/* memory.current (v1: memory.usage_in_bytes) was read */
	uint64_t cgroup_current; /* bytes */
	bool have_max;		/* memory.max (v1: memory.limit_in_bytes) was read */
	bool cgroup_unlimited;	/* memory.max is "max" (v1: 2^62 or more, the kernel's -1) */
	uint64_t cgroup_max;	/* bytes, when !cgroup_unlimited */
	/* The container the process runs in, as its cgroup names it: 64 hex digits, "" when
	 * none does (gmt_memusage_parse_container_id) */
	char container_id[65];
};

/*
 * Fills u.  -ESRCH when proc_root/PID/status cannot be read (the process is gone); the
 * cgroup figures are left out (have_* false) when the process has no cgroup v2 or its
 * files cannot be read, which is not an error.
 */
int gmt_memusage_read(const char *proc_root, const char *cgroup_root, pid_t pid,
		      struct gmt_memusage *u);

/* The VmRSS line of a status file's text in bytes: 0 or -ENOENT. */
int gmt_memusage_parse_status(const char *text, uint64_t *rss);
/* The v2 path ("0::/a/b") of a cgroup file's text: 0 or -ENOENT. */
int gmt_memusage_parse_cgroup(const char *text, char *path, size_t len);
/* The v1 memory controller's path ("4:memory:/a", "7:cpu,memory:/a"): 0 or -ENOENT. */
int gmt_memusage_parse_cgroup_v1(const char *text, char *path, size_t len);
/*
 * The container ID a cgroup file's text names (out: 65 bytes): the innermost path
 * segment, on any line, that is 64 hex digits once the container runtimes' wrapping is
 * taken off: "docker-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope",
 * "libpod-ID.scope" (systemd's cgroup driver) or a bare "ID" ("/docker/ID", cgroupfs
 * driver; the last segment under "/kubepods/.../podUID/").  0 or -ENOENT.  Inside a
 * cgroup namespace the path is "/" and there is none to find.
 */
int gmt_memusage_parse_container_id(const char *text, char out[65]);
/* The same of proc_root/PID/cgroup: 0, -ENOENT (none named), or -ESRCH (gone). */
int gmt_memusage_container_id(const char *proc_root, pid_t pid, char out[65]);

#endif
