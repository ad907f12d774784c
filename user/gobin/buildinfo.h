/* SPDX-License-Identifier: MIT */
/*
 * Go version information: the .go.buildinfo blob, and the version-string grammar.
 *
 * Blob layout: 16-byte aligned, magic "\xff Go buildinf:" (14 bytes), pointer size at
 * +14, flags at +15.  Since go1.18 flag 0x2 means the version and module info follow
 * inline at +32 as varint-prefixed strings; before, +16 holds two pointers to Go string
 * headers.  The version may carry experiments: "go1.25.1 X:foo" (up to 1.25) or
 * "go1.26.0-X:foo" (1.26+).
 */
#ifndef GMT_BUILDINFO_H
#define GMT_BUILDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gmt_elf;

struct gmt_go_version {
	int major, minor, patch; /* 1, 26, 8; patch 0 for "go1.26" and release candidates */
	bool devel;		 /* "devel ..." builds */
};

struct gmt_buildinfo {
	char version[80];     /* the version without experiments: "go1.26.8" */
	char experiments[160]; /* comma-separated, "" when none */
	uint8_t ptrsize;
	bool cgo;	      /* modinfo says CGO_ENABLED=1 */
	bool has_modinfo;
	char main_path[160];  /* main package path from modinfo, "" when unknown */
};

/*
 * Finds the blob: by section name, else by scanning writable PT_LOAD segments for the
 * magic at 16-byte aligned addresses.  -ENOENT when absent.
 */
int gmt_buildinfo_locate(const struct gmt_elf *e, uint64_t *vaddr);
/* Parses the blob at vaddr (pointers of the pre-1.18 layout are followed through e). */
int gmt_buildinfo_parse(const struct gmt_elf *e, uint64_t vaddr, struct gmt_buildinfo *bi,
			struct gmt_diag *d);

/*
 * Splits a runtime version string ("go1.26.8-X:a,b", "go1.22.1 X:a", "devel go1.27-ab")
 * into version and experiments.  Both outputs are always NUL-terminated.
 */
void gmt_go_version_split(const char *s, size_t len, char *version, size_t vlen, char *exps,
			  size_t elen);
/* Parses "go1.N[.M]" (or "devel go1.N-..."); -EINVAL when it is not a Go version. */
int gmt_go_version_parse(const char *s, struct gmt_go_version *v);
/* Whether a comma-separated experiment list contains name. */
bool gmt_go_has_experiment(const char *exps, const char *name);

#endif
