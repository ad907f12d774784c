/* SPDX-License-Identifier: MIT */
/*
 * runtime.firstmoduledata: where the runtime keeps the addresses of its own tables
 * (text, types, go:func.*).  Stripped binaries have no symbol for it, so it is found the
 * way the runtime would: the struct's first field points at the pclntab header, and the
 * next slices point into the table at the offsets the header gives.
 */
#ifndef GMT_MODULEDATA_H
#define GMT_MODULEDATA_H

#include <stdint.h>

#include "diag.h"
#include "pclntab.h"

#include <stddef.h>

struct gmt_elf;

/*
 * Where runtime.moduledata keeps what the reader needs, in one or more Go releases:
 * byte offsets, 64-bit.  The layouts are generated with the release table from the
 * same DWARF (moduledata_layouts.gen.c, scripts/gen-go-releases.sh), newest first; the
 * reader does not know the release yet when it reads them, so it tries each.
 */
struct gmt_md_layout {
	const char *first, *last; /* the releases that have it: "go1.20.14" to "go1.26.8" */
	uint32_t funcnametab, cutab, filetab, pctab, pclntable, minpc, maxpc, text, etext;
	uint32_t noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss, enoptrbss;
	uint32_t types, etypes, rodata, gofunc;
};

extern const struct gmt_md_layout gmt_md_layouts[];
extern const size_t gmt_md_nlayouts;

struct gmt_moduledata {
	uint64_t addr; /* of the struct itself */
	uint64_t text, etext, minpc, maxpc;
	uint64_t noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss, enoptrbss;
	uint64_t types, etypes, rodata, gofunc;
	const struct gmt_md_layout *layout; /* the layout that matched */
};

/*
 * Finds and decodes the moduledata of the binary: the first layout (newest first) whose
 * pclntab slices point where the header says and whose bounds lie in the image, in the
 * order the linker lays them out.
 */
int gmt_moduledata_find(const struct gmt_elf *e, const struct gmt_pcln_loc *loc,
			const struct gmt_pcln *p, struct gmt_moduledata *md, struct gmt_diag *d);

/*
 * The name of the runtime type descriptor at typ (a static address: subtract the load
 * bias first).  Names are resolved as the runtime does: _type.str is a nameOff into
 * [types, etypes), and TFlagExtraStar drops a leading '*'.
 */
int gmt_type_name(const struct gmt_elf *e, const struct gmt_moduledata *md, uint64_t typ,
		  char *buf, size_t len);

#endif
