// SPDX-License-Identifier: MIT
/*
 * pclntab: locate (from an ELF), index, and every lookup over many PCs.  An input that
 * starts with the ELF magic is a whole file; anything else is a raw table placed at a
 * fixed address, which lets the fuzzer work on the table bytes alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elf_file.h"
#include "pclntab.h"
#include "fuzz.h"

#define RAW_VADDR 0x4c0000ULL
#define RAW_TEXT 0x401000ULL
/*
 * Functions visited per input, at a stride with a start the input picks: symbolizing
 * every function of a real table under ASan takes seconds, and the fuzzer needs execs.
 */
#define MAX_FUNCS 64
#define MAX_FRAMES 8

struct raw_mem {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;
};

static const uint8_t *raw_read(void *ctx, uint64_t vaddr, uint64_t len)
{
	const struct raw_mem *m = ctx;

	if (vaddr < m->vaddr || vaddr - m->vaddr > m->size || len > m->size - (vaddr - m->vaddr))
		return NULL;
	return m->data + (vaddr - m->vaddr);
}

static const uint8_t *elf_read(void *ctx, uint64_t vaddr, uint64_t len)
{
	return gmt_elf__vaddr_ptr(ctx, vaddr, len);
}

static void check_frames(const struct gmt_frame *fr, int n, int max)
{
	int i;

	FUZZ_CHECK(n <= max);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(fr[i].func && fr[i].file);
		fuzz_touch_str(fr[i].func);
		fuzz_touch_str(fr[i].file);
	}
}

static void lookup_pc(const struct gmt_pcln *p, uint64_t pc)
{
	struct gmt_frame fr[MAX_FRAMES];
	struct gmt_func_info fi;
	int32_t delta;
	int n;

	if (gmt_pcln__func_by_pc(p, pc, &fi) == 0) {
		FUZZ_CHECK(fi.name);
		fuzz_touch_str(fi.name);
	}
	n = gmt_pcln__symbolize(p, pc, fr, MAX_FRAMES);
	if (n > 0)
		check_frames(fr, n, MAX_FRAMES);
	/* A one-frame buffer must keep only the physical function. */
	n = gmt_pcln__symbolize(p, pc, fr, 1);
	if (n > 0)
		check_frames(fr, n, 1);
	gmt_pcln__spdelta(p, pc, &delta);
}

static void walk(const struct gmt_pcln *p, const uint8_t *data, size_t size)
{
	size_t i, n = gmt_pcln__nfunc(p);
	size_t step = n > MAX_FUNCS ? n / MAX_FUNCS : 1;
	uint64_t base = gmt_pcln__text_start(p);
	size_t first = size ? data[size / 2] % step : 0;

	gmt_pcln__version(p);
	gmt_pcln__ptrsize(p);
	gmt_pcln__minlc(p);
	gmt_pcln__header_text_start(p);
	gmt_pcln__nfiles(p);
	for (i = first; i < n; i += step) {
		struct gmt_func_info fi, byname;

		if (gmt_pcln__func(p, i, &fi))
			continue;
		fuzz_touch_str(fi.name);
		if (gmt_pcln__func_by_name(p, fi.name, &byname) == 0)
			fuzz_touch_str(byname.name);
		lookup_pc(p, fi.entry);
		if (fi.end > fi.entry) {
			lookup_pc(p, fi.end - 1);
			lookup_pc(p, fi.entry + (fi.end - fi.entry) / 2);
		}
	}
	FUZZ_CHECK(gmt_pcln__func(p, n, &(struct gmt_func_info){ 0 }) != 0);
	gmt_pcln__func_by_name(p, "runtime.mallocgc", &(struct gmt_func_info){ 0 });
	gmt_pcln__func_by_name(p, "", &(struct gmt_func_info){ 0 });
	/* PCs taken from the input, around the text base and anywhere. */
	for (i = 0; i + 8 <= size && i < 8 * 32; i += 8) {
		uint64_t v = fuzz_u64(data + size - 8 - i);

		lookup_pc(p, v);
		lookup_pc(p, base + (v & 0xfffff));
	}
	lookup_pc(p, 0);
	lookup_pc(p, UINT64_MAX);
}

static void fuzz_table(const struct gmt_pcln_loc *loc, uint64_t text, gmt_mem_fn mem, void *ctx,
		       const uint8_t *data, size_t size)
{
	struct gmt_pcln *p;
	struct gmt_diag d;

	if (gmt_pcln__new(loc, text, &p, &d))
		return;
	walk(p, data, size);
	/* Inline trees read through mem, with FUNCDATA relative to the table start. */
	gmt_pcln__set_funcdata(p, loc->vaddr, mem, ctx);
	walk(p, data, size);
	if (gmt_pcln__set_text_start(p, RAW_TEXT) == 0)
		walk(p, data, size);
	gmt_pcln__free(p);
}

static void fuzz_elf(const uint8_t *data, size_t size)
{
	struct gmt_pcln_loc loc;
	const struct gmt_elf_sec *text;
	struct gmt_diag d;
	struct gmt_elf *e;

	if (gmt_elf__from_mem(data, size, &e, &d))
		return;
	if (gmt_pcln__locate(e, &loc, &d) == 0) {
		FUZZ_CHECK(loc.data >= data && loc.size <= size &&
			   (size_t)(loc.data - data) <= size - loc.size);
		text = gmt_elf__sec_by_name(e, ".text");
		fuzz_table(&loc, text ? text->addr : 0, elf_read, e, data, size);
	}
	gmt_elf__free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_mem m = { data, size, RAW_VADDR };
	struct gmt_pcln_loc loc = { data, size, RAW_VADDR };

	if (size >= 4 && memcmp(data, "\177ELF", 4) == 0) {
		fuzz_elf(data, size);
		return 0;
	}
	/* Provisional index (text 0: go1.26+ style), then an explicit text start. */
	fuzz_table(&loc, 0, raw_read, &m, data, size);
	fuzz_table(&loc, RAW_TEXT, raw_read, &m, data, size);
	return 0;
}
