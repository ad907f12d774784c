/* SPDX-License-Identifier: MIT */
/*
 * Go's pclntab: the function table that survives `-ldflags=-s -w`.
 *
 * One walker for every format (1.16, 1.18, 1.20+), parameterised by the version read
 * from the header magic.  Indexing happens once in gmt_pcln__new(); lookups by PC are
 * binary searches, lookups by name hash lookups.  Every offset read from the table is
 * bounds-checked: a hostile file yields -EINVAL and a message, never a wild read.
 */
#ifndef GMT_PCLNTAB_H
#define GMT_PCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gmt_elf;
struct gmt_pcln;

enum gmt_pcln_ver {
	GMT_PCLN_UNKNOWN = 0,
	GMT_PCLN_116 = 116, /* magic 0xfffffffa, go1.16-1.17 */
	GMT_PCLN_118 = 118, /* magic 0xfffffff0, go1.18-1.19 */
	GMT_PCLN_120 = 120, /* magic 0xfffffff1, go1.20+ */
};

/* Reads memory of the binary by virtual address (file-backed bytes only), or NULL. */
typedef const uint8_t *(*gmt_mem_fn)(void *ctx, uint64_t vaddr, uint64_t len);

struct gmt_pcln_loc {
	const uint8_t *data; /* the pclntab bytes */
	size_t size;	     /* bytes available from data (may extend past the table) */
	uint64_t vaddr;	     /* virtual address of data[0] */
};

struct gmt_func_info {
	const char *name; /* NUL-terminated, inside the table */
	uint64_t entry;	  /* virtual address */
	uint64_t end;	  /* entry of the next function (or end of text) */
	uint32_t idx;	  /* index in the function table */
	uint8_t funcid;	  /* abi.FuncID: 0 normal, others runtime-special */
	uint8_t flag;	  /* abi.FuncFlag (1.17+; 0 before) */
};

struct gmt_frame {
	const char *func; /* NUL-terminated */
	const char *file; /* NUL-terminated; "?" when unknown */
	uint32_t line;	  /* 0 when unknown */
};

/*
 * Finds the pclntab in an ELF file: by section name (.gopclntab,
 * .data.rel.ro.gopclntab) or, without usable section headers, by scanning the
 * non-executable PT_LOAD segments (read-only first) for a magic followed by a header
 * that validates, 8-byte aligned candidates first.  -ENOENT with a message when there is
 * none (not a Go binary), -EINVAL when the named section holds a corrupt header.
 */
int gmt_pcln__locate(const struct gmt_elf *e, struct gmt_pcln_loc *loc, struct gmt_diag *d);

/*
 * Validates the header and indexes the functions.  text_start is the address the
 * function entry offsets are relative to: pass 0 to use the header's textStart.  go1.26+
 * leaves that 0: pass the .text / moduledata.text address, or index provisionally with 0
 * (every address is then an offset from text, gmt_pcln__text_start() returns 0) and call
 * gmt_pcln__set_text_start() once moduledata is found.  A non-zero text_start wins over
 * the header.  go1.16 tables hold absolute entries and ignore it.  loc->data must outlive
 * the returned object: names and file names point into it.  -ENOTSUP for go1.2-1.15.
 */
int gmt_pcln__new(const struct gmt_pcln_loc *loc, uint64_t text_start, struct gmt_pcln **out,
		  struct gmt_diag *d);
void gmt_pcln__free(struct gmt_pcln *p);
/*
 * Rebases a 1.18+ index on text_start (e.g. moduledata.text) in O(nfunc), without
 * re-validating.  Not safe concurrently with lookups.  -EINVAL for go1.16 or text_start 0.
 */
int gmt_pcln__set_text_start(struct gmt_pcln *p, uint64_t text_start);

enum gmt_pcln_ver gmt_pcln__version(const struct gmt_pcln *p);
/* The header's magic word, as the linker wrote it (0xfffffff1 ...). */
uint32_t gmt_pcln__magic(const struct gmt_pcln *p);
uint8_t gmt_pcln__ptrsize(const struct gmt_pcln *p);
uint8_t gmt_pcln__minlc(const struct gmt_pcln *p);
uint64_t gmt_pcln__header_text_start(const struct gmt_pcln *p);
/* What 1.18+ entry offsets are relative to; 0 for 1.16, or when not known yet (go1.26+). */
uint64_t gmt_pcln__text_start(const struct gmt_pcln *p);
/* Offsets of the sub-tables from the table start, as the header gives them. */
uint64_t gmt_pcln__funcname_off(const struct gmt_pcln *p);
uint64_t gmt_pcln__cu_off(const struct gmt_pcln *p);
uint64_t gmt_pcln__filetab_off(const struct gmt_pcln *p);
uint64_t gmt_pcln__pctab_off(const struct gmt_pcln *p);
uint64_t gmt_pcln__functab_off(const struct gmt_pcln *p);
size_t gmt_pcln__nfunc(const struct gmt_pcln *p);
/*
 * abi.FuncIDWrapper of this table (21 in go1.19-1.21, 22 in go1.22-1.24, 23 from go1.25): the
 * funcID of compiler-generated code such as method and go-statement wrappers.
 */
uint8_t gmt_pcln__wrapper_funcid(const struct gmt_pcln *p);
size_t gmt_pcln__nfiles(const struct gmt_pcln *p);

/*
 * Inlining: FUNCDATA offsets are relative to moduledata.gofunc (1.18+; go1.16 stores
 * absolute pointers and ignores gofunc).  mem reads the inline-tree records.  Without this
 * call gmt_pcln__symbolize() returns only the physical frame.  mem may be called
 * concurrently when symbolize is.
 */
void gmt_pcln__set_funcdata(struct gmt_pcln *p, uint64_t gofunc, gmt_mem_fn mem, void *ctx);

int gmt_pcln__func(const struct gmt_pcln *p, size_t idx, struct gmt_func_info *fi);
/*
 * -ENOENT when absent.  Names are as the table spells them: go1.18/1.19 write generic
 * instantiations as "pkg.F[...]".  A name shared by a function and its ABI wrapper
 * resolves to the function (the non-wrapper funcID, else the larger body).
 */
int gmt_pcln__func_by_name(const struct gmt_pcln *p, const char *name, struct gmt_func_info *fi);
/* -ENOENT when pc is outside every function. */
int gmt_pcln__func_by_pc(const struct gmt_pcln *p, uint64_t pc, struct gmt_func_info *fi);

/*
 * Symbolizes pc (an instruction address; for a return address pass ret-1) into at
 * most max frames, innermost first, the physical function last.  Returns the number of
 * frames written (>= 1), -ENOENT when pc is in no function, or -EINVAL on a corrupt
 * table (including an inline record mem cannot read).  When the chain is deeper than
 * max, the innermost max-1 (at most 256) and the physical function are kept.  Lookups
 * never modify p: concurrent calls are safe.
 */
int gmt_pcln__symbolize(const struct gmt_pcln *p, uint64_t pc, struct gmt_frame *frames, int max);

/*
 * Stack pointer delta (pcsp) at pc: bytes the function has pushed below its entry SP.
 * -ENOENT when pc is in no function or its pcsp table does not cover pc, -EINVAL when the
 * table is malformed.
 */
int gmt_pcln__spdelta(const struct gmt_pcln *p, uint64_t pc, int32_t *delta);

#endif
