/* SPDX-License-Identifier: MIT */
/*
 * A Go executable, read once: its ELF, version, pclntab and runtime tables.
 * This is what the rest of gomemtrace asks about a target binary.
 */
#ifndef GMT_GOBIN_H
#define GMT_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buildinfo.h"
#include "diag.h"
#include "moduledata.h"
#include "pclntab.h"
#include "symbolize.h"

struct gmt_elf;

enum gmt_version_source {
	GMT_VERSION_BUILDINFO,	   /* .go.buildinfo */
	GMT_VERSION_BUILDVERSION,  /* runtime.buildVersion, found by decoding runtime.schedinit */
	GMT_VERSION_PCLNTAB,	   /* none: only the family the pclntab magic tells */
};

struct gmt_gobin {
	char path[4096];
	struct gmt_elf *elf;
	struct gmt_pcln *pcln;
	struct gmt_pcln_loc pcln_loc;

	/*
	 * What the binary says of its Go version: "go1.26.8"; without a version, the family
	 * of its pclntab format ("go1.20+"), and ver is all zero.  Which release's runtime
	 * it has is the release resolver's answer (goruntime/release.h), not this.
	 */
	char version[80];
	char experiments[160]; /* comma-separated GOEXPERIMENTs, "" for none */
	struct gmt_go_version ver;
	enum gmt_version_source version_source;
	struct gmt_buildinfo buildinfo;
	bool has_buildinfo;

	struct gmt_moduledata md;
	bool has_md;
	uint64_t text_start;

	uint8_t ptrsize;
	bool pie;      /* ET_DYN: loaded at a random base */
	bool stripped; /* no .symtab */
	bool cgo;      /* built with cgo (dynamically linked or CGO_ENABLED=1) */
	bool no_section_headers;
};

/* Reads the Go binary at path.  Non-ELF / non-Go files give -ENOEXEC and a message. */
int gmt_gobin__open(const char *path, struct gmt_gobin **out, struct gmt_diag *d);
/*
 * Reads a Go binary held in memory (tests, fuzzing); name only labels messages.  Borrows
 * buf: it must outlive the returned object.  Same checks and results as gmt_gobin__open().
 */
int gmt_gobin__from_mem(const void *buf, size_t size, const char *name, struct gmt_gobin **out,
			struct gmt_diag *d);
/* Reads /proc/PID/exe (works for containers and deleted files). */
int gmt_gobin__open_pid(pid_t pid, struct gmt_gobin **out, struct gmt_diag *d);
void gmt_gobin__free(struct gmt_gobin *gb);

/* Code bytes of a function [entry, end); NULL when they are not in the file. */
const uint8_t *gmt_gobin__func_code(const struct gmt_gobin *gb, const struct gmt_func_info *fi);

/* Type name of a runtime _type at static address typ (see gmt_type_name). */
int gmt_gobin__type_name(const struct gmt_gobin *gb, uint64_t typ, char *buf, size_t len);
/* Name, size and pointer bytes of the runtime _type at static address typ. */
int gmt_gobin__type_info(const struct gmt_gobin *gb, uint64_t typ, struct gmt_type_info *ti);

#endif
