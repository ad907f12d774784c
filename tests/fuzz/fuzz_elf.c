// SPDX-License-Identifier: MIT
/*
 * The ELF reader, .go.buildinfo locate/parse, relocation reads and the build-ID notes
 * (what OTLP profiles send), on one input taken as a whole file.  The tail of the input
 * also feeds the version-string grammar.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buildid.h"
#include "buildinfo.h"
#include "elf_file.h"
#include "fuzz.h"

#define MAX_RELOCS 4096

struct reloc_ctx {
	const struct gmt_elf *e;
	size_t n;
};

static int visit_reloc(uint64_t where, uint64_t addend, void *ctx)
{
	struct reloc_ctx *rc = ctx;
	uint64_t val;

	(void)addend;
	gmt_elf__read_ptr(rc->e, where, &val);
	return ++rc->n >= MAX_RELOCS;
}

static void fuzz_segments(const struct gmt_elf *e)
{
	size_t i, size, n = gmt_elf__nsegs(e);

	gmt_elf__data(e, &size);
	for (i = 0; i < n; i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(e, i);
		const struct gmt_elf_seg *of;
		const uint8_t *p;
		uint64_t off, avail, val;

		FUZZ_CHECK(s);
		of = gmt_elf__seg_of(e, s->vaddr);
		(void)of;
		if (gmt_elf__vaddr_to_off(e, s->vaddr, &off) == 0)
			FUZZ_CHECK(off <= size);
		avail = gmt_elf__vaddr_avail(e, s->vaddr);
		p = gmt_elf__vaddr_ptr(e, s->vaddr, avail);
		fuzz_touch(p, avail);
		p = gmt_elf__vaddr_ptr(e, s->vaddr + s->filesz - 8, 8);
		fuzz_touch(p, 8);
		gmt_elf__read_ptr(e, s->vaddr, &val);
		gmt_elf__read_ptr(e, s->vaddr + s->memsz - 8, &val);
		/* Wrap-around lengths must be refused, not followed. */
		FUZZ_CHECK(!gmt_elf__vaddr_ptr(e, s->vaddr, UINT64_MAX));
	}
}

static void fuzz_sections(const struct gmt_elf *e)
{
	size_t i, n = gmt_elf__nsecs(e);

	for (i = 0; i < n; i++) {
		const struct gmt_elf_sec *s = gmt_elf__sec(e, i);
		const uint8_t *p;

		FUZZ_CHECK(s && s->name);
		fuzz_touch_str(s->name);
		p = gmt_elf__sec_data(e, s);
		fuzz_touch(p, s->size);
		FUZZ_CHECK(gmt_elf__sec_by_name(e, s->name));
	}
}

static void fuzz_buildinfo(const struct gmt_elf *e)
{
	struct gmt_buildinfo bi;
	struct gmt_go_version v;
	struct gmt_diag d;
	uint64_t va;

	if (gmt_buildinfo_locate(e, &va))
		return;
	if (gmt_buildinfo_parse(e, va, &bi, &d))
		return;
	FUZZ_CHECK(memchr(bi.version, 0, sizeof(bi.version)));
	FUZZ_CHECK(memchr(bi.experiments, 0, sizeof(bi.experiments)));
	FUZZ_CHECK(memchr(bi.main_path, 0, sizeof(bi.main_path)));
	gmt_go_version_parse(bi.version, &v);
	gmt_go_has_experiment(bi.experiments, "greenteagc");
}

/* The notes of any section or segment: NUL-terminated, hex where hex is promised. */
static void fuzz_build_ids(const struct gmt_elf *e)
{
	struct gmt_build_ids ids;

	if (gmt_build_ids(e, &ids))
		return;
	FUZZ_CHECK(memchr(ids.gnu, 0, sizeof(ids.gnu)) && memchr(ids.go, 0, sizeof(ids.go)));
	FUZZ_CHECK(strlen(ids.gnu) % 2 == 0 && strspn(ids.gnu, "0123456789abcdef") ==
						       strlen(ids.gnu));
	FUZZ_CHECK(strlen(ids.htlhash) == 32);
	fuzz_touch_str(ids.go);
}

static void fuzz_version_string(const uint8_t *data, size_t size)
{
	char s[96], ver[80], exps[160];
	struct gmt_go_version v;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data + size - n, n);
	s[n] = 0;
	gmt_go_version_split(s, n, ver, sizeof(ver), exps, sizeof(exps));
	FUZZ_CHECK(memchr(ver, 0, sizeof(ver)) && memchr(exps, 0, sizeof(exps)));
	gmt_go_version_parse(ver, &v);
	gmt_go_has_experiment(exps, "sizespecializedmalloc");
	gmt_go_version_parse(s, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reloc_ctx rc = { 0 };
	struct gmt_elf_sym sym;
	struct gmt_diag d;
	struct gmt_elf *e;

	fuzz_version_string(data, size);
	if (gmt_elf__from_mem(data, size, &e, &d))
		return 0;
	gmt_elf__type(e);
	gmt_elf__machine(e);
	gmt_elf__has_interp(e);
	fuzz_segments(e);
	fuzz_sections(e);
	rc.e = e;
	gmt_elf__for_each_relative(e, visit_reloc, &rc);
	if (gmt_elf__has_symtab(e)) {
		if (gmt_elf__sym_by_name(e, "runtime.firstmoduledata", &sym) == 0)
			fuzz_touch_str(sym.name);
		gmt_elf__sym_by_name(e, "main.main", &sym);
	}
	fuzz_buildinfo(e);
	fuzz_build_ids(e);
	gmt_elf__free(e);
	return 0;
}
