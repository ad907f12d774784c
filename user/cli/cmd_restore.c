// SPDX-License-Identifier: MIT
/*
 * gomemtrace restore: undoes what a gomemtrace that could not clean up (SIGKILL, a
 * crash, a power cut of the tracer only) left in its targets: a raised
 * runtime.MemProfileRate, from the state files in ratestate.h's directory.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "memrate.h"
#include "options.h"
#include "ratestate.h"
#include "wordguard.h"

static const char restore_usage[] =
	"Usage: gomemtrace restore [-p PID]\n"
	"\n"
	"Sampled mode raises runtime.MemProfileRate in targets whose rate is 0 and restores\n"
	"it when tracing ends.  A gomemtrace that is killed (SIGKILL) cannot: its probes go\n"
	"with it, but the raised rate stays (Go then keeps sampling, about 1% slower).\n"
	"gomemtrace records what it wrote in " GMT_STATE_DIR_DEFAULT "/PID-STARTTIME.json\n"
	"($GMT_STATE_DIR) before writing; this command puts the original value back, for\n"
	"PID or for every target with a state file, and removes the file.  The next\n"
	"sampled recording of the same process does the same on its own.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID   only this process\n"
	"  -q, --quiet     only errors\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 when nothing is left to restore, 1 otherwise.\n";

/* One state file: 0 when it is dealt with (and removed), 1 when something is left. */
static int restore_one(const char *path)
{
	struct gmt_ratestate s;
	struct gmt_diag d = {};
	int64_t seen = 0;
	int r;

	if (gmt_ratestate__load(path, &s, &d)) {
		pr_err("%s\n", d.msg);
		return 1;
	}
	if (gmt_proc_alive(&s.tracer)) {
		pr_err("PID %d is being traced by gomemtrace PID %d, which restores its "
		       "MemProfileRate when it stops (SIGTERM it)\n",
		       s.target.pid, s.tracer.pid);
		return 1;
	}
	r = gmt_ratestate__undo(&s, &seen, &d);
	if (r == GMT_GUARD_WROTE)
		pr_info("runtime.MemProfileRate of PID %d restored to %lld\n", s.target.pid,
			(long long)s.original);
	else if (r == GMT_GUARD_LEFT)
		pr_warn("runtime.MemProfileRate of PID %d is %lld, not the %lld gomemtrace "
			"wrote: the program changed it, left as it is\n",
			s.target.pid, (long long)seen, (long long)s.written);
	else if (r == -ESRCH)
		pr_info("%s; removing its state file\n", d.msg);
	if (r < 0 && r != -ESRCH) {
		pr_err("PID %d: cannot restore runtime.MemProfileRate to %lld: %s\n", s.target.pid,
		       (long long)s.original, gmt_diag_msg(&d, r));
		return 1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		pr_err("cannot remove %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *dir = gmt_ratestate_dir();
	char prefix[32], path[4096];
	struct dirent *e;
	int pid = 0, c, ret = 0, n = 0;
	DIR *dp;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			gmt_log_set_level(GMT_LOG_ERROR);
			break;
		case 'h':
			fputs(restore_usage, stdout);
			return 0;
		default:
			fputs(restore_usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("restore takes no arguments (try 'gomemtrace restore --help')\n");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	dp = opendir(dir);
	if (!dp && errno != ENOENT) {
		pr_err("cannot read %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while (dp && (e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (pid && strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ret |= restore_one(path);
		n++;
	}
	if (dp)
		closedir(dp);
	if (!n) {
		if (pid)
			pr_info("nothing to restore for PID %d (no state file in %s)\n", pid, dir);
		else
			pr_info("nothing to restore (no state file in %s)\n", dir);
	}
	return ret;
}
