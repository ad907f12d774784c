/* SPDX-License-Identifier: MIT */
/*
 * A bounds-checked reader for 64-bit little-endian ELF files held in memory.
 *
 * Everything is read from one byte buffer (an mmap of the file, or a caller's buffer in
 * tests) and every offset is checked before it is followed: the files come from anyone.
 * Section headers are optional; segments are what the kernel loads and what uprobes use.
 */
#ifndef GMT_ELF_FILE_H
#define GMT_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct gmt_elf;

struct gmt_elf_seg {
	uint32_t type;
	uint32_t flags; /* PF_R | PF_W | PF_X */
	uint64_t off, vaddr, filesz, memsz;
};

struct gmt_elf_sec {
	const char *name; /* "" when the section name table is unusable */
	uint32_t type;
	uint64_t flags, addr, off, size;
};

struct gmt_elf_sym {
	const char *name;
	uint64_t value, size;
	uint8_t type; /* STT_* */
	uint16_t shndx;
};

/* Maps the file at path read-only. */
int gmt_elf__open(const char *path, struct gmt_elf **out, struct gmt_diag *d);
/* Borrows buf: it must outlive the returned object. */
int gmt_elf__from_mem(const void *buf, size_t size, struct gmt_elf **out, struct gmt_diag *d);
void gmt_elf__free(struct gmt_elf *e);

const uint8_t *gmt_elf__data(const struct gmt_elf *e, size_t *size);
uint16_t gmt_elf__type(const struct gmt_elf *e);    /* ET_EXEC, ET_DYN */
uint16_t gmt_elf__machine(const struct gmt_elf *e); /* EM_X86_64, EM_AARCH64 */
bool gmt_elf__has_interp(const struct gmt_elf *e);  /* dynamically linked */

size_t gmt_elf__nsegs(const struct gmt_elf *e);
const struct gmt_elf_seg *gmt_elf__seg(const struct gmt_elf *e, size_t i);
size_t gmt_elf__nsecs(const struct gmt_elf *e);
const struct gmt_elf_sec *gmt_elf__sec(const struct gmt_elf *e, size_t i);
/* NULL when absent (or when the file has no section headers). */
const struct gmt_elf_sec *gmt_elf__sec_by_name(const struct gmt_elf *e, const char *name);
/* Bytes of a section, NULL for SHT_NOBITS or out-of-file sections. */
const uint8_t *gmt_elf__sec_data(const struct gmt_elf *e, const struct gmt_elf_sec *s);

/* The PT_LOAD segment that maps vaddr (in memory, not only in the file), or NULL. */
const struct gmt_elf_seg *gmt_elf__seg_of(const struct gmt_elf *e, uint64_t vaddr);
/* File offset of vaddr, as uprobes want it; -ENOENT when no segment maps it from the file. */
int gmt_elf__vaddr_to_off(const struct gmt_elf *e, uint64_t vaddr, uint64_t *off);
/* Pointer to len file-backed bytes at vaddr inside one PT_LOAD, or NULL. */
const uint8_t *gmt_elf__vaddr_ptr(const struct gmt_elf *e, uint64_t vaddr, uint64_t len);
/* How many file-backed bytes follow vaddr in its segment (0 if none). */
uint64_t gmt_elf__vaddr_avail(const struct gmt_elf *e, uint64_t vaddr);
/*
 * Reads a 64-bit pointer stored at vaddr as the loader would see it before applying the
 * load bias: in PIE files the value lives in a RELATIVE relocation's addend, not in the
 * file.  -ENOENT when vaddr is not file-backed.
 */
int gmt_elf__read_ptr(const struct gmt_elf *e, uint64_t vaddr, uint64_t *val);
/* Visits every RELATIVE relocation's (where, addend) pair; stops when cb returns non-zero. */
int gmt_elf__for_each_relative(const struct gmt_elf *e,
			       int (*cb)(uint64_t where, uint64_t addend, void *ctx), void *ctx);

/* .symtab lookup; -ENOENT when the file is stripped or lacks the symbol. */
bool gmt_elf__has_symtab(const struct gmt_elf *e);
int gmt_elf__sym_by_name(const struct gmt_elf *e, const char *name, struct gmt_elf_sym *sym);

#endif
