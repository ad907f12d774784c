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

struct gmt_elf;

struct gmt_moduledata {
	uint64_t addr; /* of the struct itself */
	uint64_t text, etext, minpc, maxpc;
	uint64_t noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss, enoptrbss;
	uint64_t types, etypes, rodata, gofunc;
	int layout_minor; /* Go minor version whose field layout matched (19, 20, 27) */
};

/*
 * Finds and decodes the moduledata of the binary.  go_minor selects the field layout
 * when the version is known (0: try every known layout and keep the one that validates).
 */
int gmt_moduledata_find(const struct gmt_elf *e, const struct gmt_pcln_loc *loc,
			const struct gmt_pcln *p, int go_minor, struct gmt_moduledata *md,
			struct gmt_diag *d);

/*
 * The name of the runtime type descriptor at typ (a static address: subtract the load
 * bias first).  Names are resolved as the runtime does: _type.str is a nameOff into
 * [types, etypes), and TFlagExtraStar drops a leading '*'.
 */
int gmt_type_name(const struct gmt_elf *e, const struct gmt_moduledata *md, uint64_t typ,
		  char *buf, size_t len);

#endif
