// SPDX-License-Identifier: MIT
/* gomemtrace snapshot: what a Go process holds now, read from outside (snapshot.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "snapshot.h"

static const char snapshot_usage[] =
	"Usage: gomemtrace snapshot -p PID [-o DIR] [--no-heap] [--no-goroutines]\n"
	"\n"
	"Reads what a running Go process holds right now out of its own memory\n"
	"(/proc/PID/mem): no probe, no write, the process is never stopped.  Writes:\n"
	"  heap.pb.gz   the runtime's own heap profile, the one /debug/pprof/heap would\n"
	"               return (alloc_objects, alloc_space, inuse_objects, inuse_space,\n"
	"               scaled as runtime/pprof scales them), for go tool pprof (-base works\n"
	"               between two snapshots and against the service's own profiles)\n"
	"  inuse_space.folded  its in-use bytes per stack, root;...;leaf bytes\n"
	"  goroutines.txt every goroutine as Go's traceback prints it, grouped by\n"
	"               identical stack (largest groups first, as debug=1 groups them);\n"
	"               stacks unwound from each goroutine's saved registers\n"
	"  goroutines.pb.gz  the same as the goroutine profile of runtime/pprof\n"
	"  memory.json  RSS, the cgroup's memory.current and memory.max, GOGC,\n"
	"               GOMEMLIMIT and the runtime's figures as runtime.MemStats names\n"
	"               them (HeapAlloc, HeapInuse, NextGC, NumGC, ...; README.md)\n"
	"and prints a summary: in-use and allocated totals, the top in-use sites, the\n"
	"largest goroutine groups with their state and longest wait, the memory figures.\n"
	"\n"
	"The runtime fills its heap profile only when MemProfileRate is not 0, as in every\n"
	"binary that links runtime/pprof or net/http/pprof; without it snapshot says so in\n"
	"one line on stderr and writes the goroutines alone ('record' and 'daemon' raise\n"
	"the rate; later snapshots then have buckets).\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID       the Go process\n"
	"  -o, --output DIR    where to write (default: gomemtrace-snapshot-PID), mode 0700\n"
	"      --no-heap       do not read the heap profile (no heap.pb.gz, .folded)\n"
	"      --no-goroutines do not read the goroutines (no goroutines.txt/.pb.gz)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 when the snapshot was written, 1 on error (one line on stderr).\n";

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-heap", no_argument, NULL, 'H' },
		{ "no-goroutines", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct gmt_snapshot_opts o = { .heap = true, .goroutines = true, .html = true };
	struct gmt_snapshot_result r;
	struct gmt_diag d = {};
	char dir[64];
	int pid = 0, c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			o.dir = optarg;
			break;
		case 'H':
			o.heap = false;
			break;
		case 'G':
			o.goroutines = false;
			break;
		case 'h':
			fputs(snapshot_usage, stdout);
			return 0;
		default:
			fputs(snapshot_usage, stderr);
			return 2;
		}
	}
	if (pid <= 0 || optind < argc) {
		pr_err("snapshot needs -p PID and nothing else (try 'gomemtrace snapshot "
		       "--help')\n");
		return 2;
	}
	if (!o.heap && !o.goroutines) {
		pr_err("snapshot: --no-heap and --no-goroutines leave nothing to read\n");
		return 2;
	}
	if (!o.dir) {
		snprintf(dir, sizeof(dir), "gomemtrace-snapshot-%d", pid);
		o.dir = dir;
	}
	err = gmt_snapshot_take(pid, &o, &r, stdout, &d);
	if (err) {
		pr_err("%s\n", gmt_diag_msg(&d, err));
		return 1;
	}
	return 0;
}
