// SPDX-License-Identifier: MIT
/* gomemtrace info: what the reader sees in a Go binary, and the probes it would place. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "commands.h"
#include "gobin.h"
#include "hookplan.h"
#include "json_writer.h"
#include "log.h"
#include "options.h"
#include "release.h"
#include "target.h"

static const char info_usage[] =
	"Usage: gomemtrace info [--json] (BINARY | -p PID)\n"
	"\n"
	"Describes a Go executable (or the executable of a running process) as gomemtrace\n"
	"reads it: Go version and GOEXPERIMENTs, the Go release whose runtime layout\n"
	"gomemtrace uses (%s), exact when the binary names its version, else\n"
	"inferred from what it contains, with the evidence; pclntab format, pointer size,\n"
	"whether it is PIE, stripped or uses cgo, and the hook plan: for every probe the\n"
	"tracer would place (the RET probes included), the function, its address, the file\n"
	"offset of the probe, the probed instruction and whether the kernel emulates it (one\n"
	"trap per hit) or single-steps it (two traps).  Functions the tracer needs but\n"
	"cannot find are listed with the reason, and so is every runtime variable it reads\n"
	"(gcController, memstats, work, allgs, MemProfileRate...): where it was found, or\n"
	"why not.  Then, for each way of tracing (--mode exact, --mode sampled, GC tracing,\n"
	"--goroutines), whether it works with this binary, and if not, why: the error\n"
	"'record' would give (GC tracing: its warning; record then traces allocations only).\n"
	"These are the checks record runs on the binary; what depends on the process\n"
	"(privileges, a MemProfileRate of 0 with --no-write-target) is not checked.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID   read the executable of process PID (through /proc/PID/exe)\n"
	"      --json      print JSON instead of text\n"
	"  -v, --verbose   more diagnostics on stderr\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 on success, 1 when the file is not a supported Go binary or cannot\n"
	"be read, 2 on a usage error.\n";

static const char *version_source(const struct gmt_gobin *gb)
{
	switch (gb->version_source) {
	case GMT_VERSION_BUILDINFO:
		return "buildinfo";
	case GMT_VERSION_BUILDVERSION:
		return "runtime.buildVersion";
	case GMT_VERSION_PCLNTAB:
		return "pclntab";
	}
	return "?";
}

static const char *pcln_format(const struct gmt_gobin *gb)
{
	switch (gmt_pcln__version(gb->pcln)) {
	case GMT_PCLN_116:
		return "1.16";
	case GMT_PCLN_118:
		return "1.18";
	case GMT_PCLN_120:
		return "1.20";
	default:
		return "?";
	}
}

/* Each line of "a\nb\n" as a string of the JSON array. */
static void json_lines(struct gmt_json *j, const char *lines)
{
	char buf[sizeof(((struct gmt_mode_check *)0)->unavailable)];

	gmt_json__arr_begin(j);
	for (const char *p = lines, *nl; *p; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		snprintf(buf, sizeof(buf), "%.*s", (int)(nl - p), p);
		gmt_json__str(j, buf);
	}
	gmt_json__arr_end(j);
}

/* Each part of "a; b; c" as a string of the JSON array. */
static void json_parts(struct gmt_json *j, const char *list)
{
	char buf[512];

	gmt_json__arr_begin(j);
	for (const char *p = list, *sep; *p; p = *sep ? sep + 2 : sep) {
		sep = strstr(p, "; ");
		if (!sep)
			sep = p + strlen(p);
		snprintf(buf, sizeof(buf), "%.*s", (int)(sep - p), p);
		gmt_json__str(j, buf);
	}
	gmt_json__arr_end(j);
}

static void print_json(const struct gmt_analysis *a, int pid)
{
	const struct gmt_gobin *gb = a->gb;
	const struct gmt_hookplan *plan = &a->plan;
	const struct gmt_mode_check *modes = a->modes;
	struct gmt_json *j = gmt_json__new(stdout, true);

	gmt_json__obj_begin(j);
	gmt_json__kstr(j, "path", gb->path);
	if (pid > 0)
		gmt_json__kint(j, "pid", pid);
	gmt_json__kstr(j, "go_version", gb->version);
	gmt_json__kstr(j, "go_version_source", version_source(gb));
	gmt_json__key(j, "release");
	gmt_json__obj_begin(j);
	gmt_json__kstr(j, "name", a->rel.name);
	gmt_json__kstr(j, "release", a->rel.family);
	gmt_json__kstr(j, "row", a->rel.row->version);
	gmt_json__kbool(j, "exact", a->rel.exact);
	gmt_json__key(j, "evidence");
	json_parts(j, a->rel.evidence);
	gmt_json__key(j, "disagreements");
	json_parts(j, a->rel.notes);
	gmt_json__obj_end(j);
	gmt_json__kstr(j, "experiments", gb->experiments);
	gmt_json__kstr(j, "pclntab_version", pcln_format(gb));
	gmt_json__kuint(j, "pclntab_address", gb->pcln_loc.vaddr);
	gmt_json__kuint(j, "functions", gmt_pcln__nfunc(gb->pcln));
	gmt_json__kint(j, "ptr_size", gb->ptrsize);
	gmt_json__kbool(j, "stripped", gb->stripped);
	gmt_json__kbool(j, "section_headers", !gb->no_section_headers);
	gmt_json__kbool(j, "pie", gb->pie);
	gmt_json__kbool(j, "cgo", gb->cgo);
	gmt_json__key(j, "moduledata");
	if (gb->has_md) {
		gmt_json__obj_begin(j);
		gmt_json__kuint(j, "address", gb->md.addr);
		gmt_json__kuint(j, "text", gb->md.text);
		gmt_json__kuint(j, "types", gb->md.types);
		gmt_json__kuint(j, "etypes", gb->md.etypes);
		gmt_json__kuint(j, "gofunc", gb->md.gofunc);
		gmt_json__obj_end(j);
	} else {
		gmt_json__null(j);
	}
	gmt_json__kbool(j, "size_specialized_malloc", plan->size_specialized);
	gmt_json__key(j, "hooks");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];

		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "function", h->function);
		gmt_json__kstr(j, "group", gmt_hook_group_name(h->group));
		gmt_json__kuint(j, "address", h->entry);
		gmt_json__kuint(j, "probe_address", h->probe_addr);
		gmt_json__kuint(j, "probe_offset", h->probe_offset);
		gmt_json__kstr(j, "instruction", h->insn);
		gmt_json__kbool(j, "ret", h->id == GMT_HOOK_STW_START_RET ||
					   h->id == GMT_HOOK_NEWPROC1_RET);
		gmt_json__kbool(j, "stack_check", h->stack_check);
		gmt_json__kbool(j, "emulated", h->emulated);
		gmt_json__kbool(j, "attached", gmt_hookplan_attaches(plan, h));
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "missing");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < plan->nmissing; i++) {
		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "function", plan->missing[i].function);
		gmt_json__kstr(j, "group", gmt_hook_group_name(plan->missing[i].group));
		gmt_json__kstr(j, "reason", plan->missing[i].reason);
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "runtime_vars");
	gmt_json__arr_begin(j);
	for (size_t i = 0; i < a->nvars; i++) {
		const struct gmt_rtvar *v = &a->vars[i];

		gmt_json__obj_begin(j);
		gmt_json__kstr(j, "name", v->name);
		gmt_json__kstr(j, "used_by", v->used_by);
		gmt_json__kbool(j, "found", v->addr != 0);
		if (v->addr) {
			gmt_json__kuint(j, "address", v->addr);
			gmt_json__kstr(j, "source", v->source);
		} else {
			gmt_json__kstr(j, "reason", v->why);
		}
		gmt_json__obj_end(j);
	}
	gmt_json__arr_end(j);
	gmt_json__key(j, "modes");
	gmt_json__obj_begin(j);
	for (int i = 0; i < GMT_MODE__COUNT; i++) {
		gmt_json__key(j, modes[i].name);
		gmt_json__obj_begin(j);
		gmt_json__kbool(j, "works", modes[i].works);
		if (!modes[i].works)
			gmt_json__kstr(j, "reason", modes[i].why);
		gmt_json__key(j, "unavailable");
		json_lines(j, modes[i].unavailable);
		gmt_json__obj_end(j);
	}
	gmt_json__obj_end(j);
	gmt_json__obj_end(j);
	gmt_json__free(j);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* "a; b; c" one part a line, after a label of 15 columns. */
static void print_parts(const char *label, const char *list)
{
	for (const char *p = list, *sep; *p; p = *sep ? sep + 2 : sep) {
		sep = strstr(p, "; ");
		if (!sep)
			sep = p + strlen(p);
		printf("%-15s%.*s\n", p == list ? label : "", (int)(sep - p), p);
	}
}

static void print_text(const struct gmt_analysis *a, int pid)
{
	const struct gmt_gobin *gb = a->gb;
	const struct gmt_hookplan *plan = &a->plan;
	const struct gmt_mode_check *modes = a->modes;
	size_t nattached = 0;

	printf("binary:        %s\n", gb->path);
	if (pid > 0)
		printf("pid:           %d\n", pid);
	printf("go version:    %s (from %s)\n", gb->version, version_source(gb));
	if (a->rel.exact)
		printf("release:       %s (the table's row %s)\n", a->rel.family,
		       a->rel.row->version);
	else
		printf("release:       %s, inferred: the binary names no Go version; what it "
		       "contains fits the table's row %s and no other\n",
		       a->rel.family, a->rel.row->version);
	if (!a->rel.exact)
		print_parts("  evidence:", a->rel.evidence);
	print_parts("  disagrees:", a->rel.notes);
	printf("experiments:   %s\n", gb->experiments[0] ? gb->experiments : "none");
	printf("pclntab:       go%s format at %#llx, %zu functions\n", pcln_format(gb),
	       (unsigned long long)gb->pcln_loc.vaddr, gmt_pcln__nfunc(gb->pcln));
	printf("pointer size:  %d\n", gb->ptrsize);
	printf("pie:           %s\n", yes(gb->pie));
	printf("stripped:      %s%s\n", yes(gb->stripped),
	       gb->no_section_headers ? " (no section headers either)" : "");
	printf("cgo:           %s\n", yes(gb->cgo));
	if (gb->has_md)
		printf("moduledata:    %#llx (text %#llx, types %#llx-%#llx, go:func.* %#llx)\n",
		       (unsigned long long)gb->md.addr, (unsigned long long)gb->md.text,
		       (unsigned long long)gb->md.types, (unsigned long long)gb->md.etypes,
		       (unsigned long long)gb->md.gofunc);
	else
		printf("moduledata:    not found (type names and inlined frames unavailable)\n");
	if (plan->size_specialized)
		printf("allocation:    the compiler calls size-specialized allocators directly\n");
	for (size_t i = 0; i < plan->nhooks; i++)
		nattached += gmt_hookplan_attaches(plan, &plan->hooks[i]);
	printf("\nhook plan (%zu probes):\n", nattached);
	printf("  %-10s %-42s %-10s %-9s %-7s %-16s %s\n", "group", "function", "address",
	       "offset", "at", "instruction", "emulated");
	for (size_t i = 0; i < plan->nhooks; i++) {
		const struct gmt_hook *h = &plan->hooks[i];
		char at[16];

		if (!gmt_hookplan_attaches(plan, h))
			continue;

		snprintf(at, sizeof(at), "+%llu", (unsigned long long)(h->probe_addr - h->entry));
		printf("  %-10s %-42s %#-10llx %#-9llx %-7s %-16s %s\n",
		       gmt_hook_group_name(h->group), h->function, (unsigned long long)h->entry,
		       (unsigned long long)h->probe_offset, at, h->insn,
		       h->emulated ? "yes (1 trap)" : "no (2 traps)");
	}
	if (nattached < plan->nhooks) {
		printf("\nnot attached (the runqput hand-off in runtime.newproc.func1 replaces "
		       "them):\n");
		for (size_t i = 0; i < plan->nhooks; i++) {
			const struct gmt_hook *h = &plan->hooks[i];

			if (!gmt_hookplan_attaches(plan, h))
				printf("  %-10s %-42s %#-10llx %#-9llx %s\n",
				       gmt_hook_group_name(h->group), h->function,
				       (unsigned long long)h->entry,
				       (unsigned long long)h->probe_offset, h->insn);
		}
	}
	if (plan->nmissing) {
		printf("\nmissing:\n");
		for (size_t i = 0; i < plan->nmissing; i++)
			printf("  %-10s %s: %s\n", gmt_hook_group_name(plan->missing[i].group),
			       plan->missing[i].function, plan->missing[i].reason);
	}
	printf("\nruntime variables:\n");
	for (size_t i = 0; i < a->nvars; i++) {
		const struct gmt_rtvar *v = &a->vars[i];

		if (v->addr)
			printf("  %-10s %-34s %#-10llx %s\n", v->used_by, v->name,
			       (unsigned long long)v->addr, v->source);
		else
			printf("  %-10s %-34s not found: %s\n", v->used_by, v->name, v->why);
	}
	printf("\nmodes:\n");
	for (int i = 0; i < GMT_MODE__COUNT; i++) {
		const struct gmt_mode_check *m = &modes[i];

		if (!m->works) {
			printf("  %-11s no: %s\n", m->name, m->why);
			continue;
		}
		printf("  %-11s yes\n", m->name);
		for (const char *p = m->unavailable, *nl; *p; p = *nl ? nl + 1 : nl) {
			nl = p + strcspn(p, "\n");
			printf("  %-11s   without %.*s\n", "", (int)(nl - p), p);
		}
	}
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct gmt_target t = { .pidfd = -1 };
	struct gmt_analysis *a = NULL;
	struct gmt_diag d = {};
	bool json = false;
	int pid = 0, c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (gmt_parse_pid(optarg, &pid)) {
				pr_err("invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			gmt_log_set_level(GMT_LOG_DEBUG);
			break;
		case 'h':
			printf(info_usage, gmt_go_release_range());
			return 0;
		default:
			fprintf(stderr, info_usage, gmt_go_release_range());
			return 2;
		}
	}
	if ((pid > 0) == (optind < argc) || argc - optind > 1) {
		pr_err("info needs exactly one BINARY or -p PID (try 'gomemtrace info --help')\n");
		return 2;
	}
	/* A process is looked at as record attaches to it, and named the same way. */
	if (pid > 0) {
		err = gmt_target__attach(pid, &t, &d);
		if (!err)
			err = gmt_analysis__open(t.exe, &a, &d);
	} else {
		err = gmt_analysis__open(argv[optind], &a, &d);
	}
	if (err) {
		if (pid > 0)
			gmt_target__name_exe(&t, &d);
		pr_err("%s\n", gmt_diag_msg(&d, err));
		gmt_target__close(&t);
		return 1;
	}
	gmt_target__close(&t);
	if (json)
		print_json(a, pid);
	else
		print_text(a, pid);
	gmt_analysis__put(a);
	return 0;
}
