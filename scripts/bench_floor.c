// SPDX-License-Identifier: MIT
/*
 * Benchmark helper: runs COMMAND with an empty uprobe at the same place gomemtrace
 * probes (the stack-check jbe of runtime.mallocgc, and the size-specialized
 * allocators), so that the cost of the trap alone can be measured.
 *
 *   gmt-bench-floor -- COMMAND [ARGS...]
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "empty.skel.h"
#include "gobin.h"
#include "hookplan.h"
#include "release.h"
#include "target.h"

int main(int argc, char **argv)
{
	struct bpf_link *links[128];
	struct gmt_hookplan plan;
	struct gmt_target t;
	struct gmt_gobin *gb;
	struct gmt_release rel;
	struct gmt_diag d = {};
	struct empty_bpf *skel;
	size_t nlinks = 0;

	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fprintf(stderr, "usage: %s -- COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	if (gmt_target__launch(argv + 2, &t, &d) || gmt_gobin__open(t.exe, &gb, &d) ||
	    gmt_release_resolve(gb, &rel, &d) || gmt_hookplan_build(gb, rel.row, &plan, &d)) {
		fprintf(stderr, "bench-floor: %s\n", d.msg);
		gmt_target__abort(&t);
		return 1;
	}
	skel = empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench-floor: cannot load the empty BPF program\n");
		gmt_target__abort(&t);
		return 1;
	}
	for (size_t i = 0; i < plan.nhooks && nlinks < 128; i++) {
		const struct gmt_hook *h = &plan.hooks[i];

		if (h->id != GMT_HOOK_MALLOCGC && h->id != GMT_HOOK_MALLOC_SC)
			continue;
		links[nlinks] = bpf_program__attach_uprobe(skel->progs.gmt_empty, false, t.pid,
							   t.exe, h->probe_offset);
		if (!links[nlinks]) {
			fprintf(stderr, "bench-floor: cannot attach to %s\n", h->function);
			gmt_target__abort(&t);
			return 1;
		}
		nlinks++;
	}
	gmt_target__release(&t, &d);
	while (!gmt_target__poll_exit(&t))
		usleep(10000);
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	empty_bpf__destroy(skel);
	gmt_hookplan_free(&plan);
	gmt_gobin__free(gb);
	return t.exit_status;
}
