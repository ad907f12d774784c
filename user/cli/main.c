// SPDX-License-Identifier: MIT
/* gomemtrace: trace the heap allocator and garbage collector of unmodified Go programs. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "release.h"

#ifndef GMT_VERSION
#define GMT_VERSION "0.1.0"
#endif

static const char usage[] =
	"Usage: gomemtrace COMMAND [OPTIONS]\n"
	"\n"
	"Traces the heap allocator and garbage collector of unmodified Go programs\n"
	"(%s, x86-64), live, through uprobes and eBPF.  Works on stripped\n"
	"and PIE binaries, and on binaries that name no Go version (the release is then\n"
	"inferred from what they contain: see 'gomemtrace info').\n"
	"\n"
	"Commands:\n"
	"  record   trace a Go process's allocations and write profiles (see record --help)\n"
	"  daemon   trace Go processes continuously, a profile set every interval\n"
	"  restore  undo what a killed gomemtrace left in a target (see restore --help)\n"
	"  snapshot read a Go process's heap profile from outside, no probe (snapshot --help)\n"
	"  info     describe a Go binary or process and the probes gomemtrace would place\n"
	"  help     show this help, or a command's help: gomemtrace help info\n"
	"  version  print gomemtrace's version\n"
	"\n"
	"Run 'gomemtrace COMMAND --help' for a command's options.\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fprintf(stderr, usage, gmt_go_release_range());
		return 2;
	}
	if (strcmp(cmd, "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(cmd, "record") == 0)
		return cmd_record(argc - 1, argv + 1);
	if (strcmp(cmd, "daemon") == 0)
		return cmd_daemon(argc - 1, argv + 1);
	if (strcmp(cmd, "restore") == 0)
		return cmd_restore(argc - 1, argv + 1);
	if (strcmp(cmd, "snapshot") == 0)
		return cmd_snapshot(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc > 2) {
			char *help_argv[] = { argv[2], "--help", NULL };

			if (strcmp(argv[2], "info") == 0)
				return cmd_info(2, help_argv);
			if (strcmp(argv[2], "record") == 0)
				return cmd_record(2, help_argv);
			if (strcmp(argv[2], "daemon") == 0)
				return cmd_daemon(2, help_argv);
			if (strcmp(argv[2], "restore") == 0)
				return cmd_restore(2, help_argv);
			if (strcmp(argv[2], "snapshot") == 0)
				return cmd_snapshot(2, help_argv);
		}
		printf(usage, gmt_go_release_range());
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("gomemtrace %s\n", GMT_VERSION);
		return 0;
	}
	pr_err("unknown command '%s' (try 'gomemtrace help')\n", cmd);
	return 2;
}
