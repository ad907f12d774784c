// SPDX-License-Identifier: MIT
#include "elf_file.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

struct reloc {
	uint64_t where, addend;
};

struct gmt_elf {
	const uint8_t *data;
	size_t size;
	bool mapped;
	uint16_t type, machine;
	bool interp;
	struct gmt_elf_seg *segs;
	size_t nsegs;
	struct gmt_elf_sec *secs;
	size_t nsecs;
	const struct gmt_elf_sec *symtab, *strtab;
	struct reloc *relocs; /* sorted by where */
	size_t nrelocs;
};

static bool in_file(const struct gmt_elf *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

static int parse_segs(struct gmt_elf *e, const Elf64_Ehdr *eh, struct gmt_diag *d)
{
	if (eh->e_phnum == 0)
		return 0;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(e, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return gmt_diag_set(d, -EINVAL, "program header table is outside the file");
	e->segs = calloc(eh->e_phnum, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, e->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			e->interp = true;
		if (ph.p_type == PT_LOAD && (ph.p_filesz > ph.p_memsz ||
					     !in_file(e, ph.p_offset, ph.p_filesz) ||
					     ph.p_vaddr + ph.p_memsz < ph.p_vaddr))
			return gmt_diag_set(d, -EINVAL, "PT_LOAD segment %zu is outside the file", i);
		e->segs[e->nsegs++] = (struct gmt_elf_seg){
			.type = ph.p_type,
			.flags = ph.p_flags,
			.off = ph.p_offset,
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz,
			.memsz = ph.p_memsz,
		};
	}
	return 0;
}

/* Section headers are optional: a file whose table is unusable is read without it. */
static int parse_secs(struct gmt_elf *e, const Elf64_Ehdr *eh)
{
	const uint8_t *names = NULL;
	uint64_t names_size = 0;
	Elf64_Shdr sh;

	if (eh->e_shnum == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(e, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return 0;
	e->secs = calloc(eh->e_shnum, sizeof(*e->secs));
	if (!e->secs)
		return -ENOMEM;
	if (eh->e_shstrndx < eh->e_shnum) {
		memcpy(&sh, e->data + eh->e_shoff + eh->e_shstrndx * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_STRTAB && in_file(e, sh.sh_offset, sh.sh_size)) {
			names = e->data + sh.sh_offset;
			names_size = sh.sh_size;
		}
	}
	for (size_t i = 0; i < eh->e_shnum; i++) {
		struct gmt_elf_sec *s = &e->secs[e->nsecs++];

		memcpy(&sh, e->data + eh->e_shoff + i * sizeof(sh), sizeof(sh));
		s->name = "";
		if (names && sh.sh_name < names_size &&
		    memchr(names + sh.sh_name, 0, names_size - sh.sh_name))
			s->name = (const char *)names + sh.sh_name;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->addr = sh.sh_addr;
		s->off = sh.sh_offset;
		s->size = sh.sh_size;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_link < eh->e_shnum) {
			e->symtab = s;
			e->strtab = &e->secs[sh.sh_link]; /* filled in when the loop reaches it */
		}
	}
	return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->where < y->where ? -1 : x->where > y->where;
}

/* RELATIVE relocations from PT_DYNAMIC: present with or without section headers. */
static int parse_relocs(struct gmt_elf *e)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);
	const struct gmt_elf_seg *dyn = NULL;
	uint32_t rel_type = e->machine == EM_AARCH64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
	const uint8_t *p;

	for (size_t i = 0; i < e->nsegs; i++)
		if (e->segs[i].type == PT_DYNAMIC)
			dyn = &e->segs[i];
	if (!dyn || !in_file(e, dyn->off, dyn->filesz))
		return 0;
	for (uint64_t o = 0; o + sizeof(Elf64_Dyn) <= dyn->filesz; o += sizeof(Elf64_Dyn)) {
		Elf64_Dyn dt;

		memcpy(&dt, e->data + dyn->off + o, sizeof(dt));
		if (dt.d_tag == DT_NULL)
			break;
		if (dt.d_tag == DT_RELA)
			rela = dt.d_un.d_ptr;
		else if (dt.d_tag == DT_RELASZ)
			relasz = dt.d_un.d_val;
		else if (dt.d_tag == DT_RELAENT)
			relaent = dt.d_un.d_val;
	}
	if (!rela || !relasz || relaent != sizeof(Elf64_Rela))
		return 0;
	p = gmt_elf__vaddr_ptr(e, rela, relasz);
	if (!p)
		return 0;
	e->relocs = calloc(relasz / relaent, sizeof(*e->relocs));
	if (!e->relocs)
		return -ENOMEM;
	for (uint64_t o = 0; o + relaent <= relasz; o += relaent) {
		Elf64_Rela r;

		memcpy(&r, p + o, sizeof(r));
		if (ELF64_R_TYPE(r.r_info) == rel_type)
			e->relocs[e->nrelocs++] = (struct reloc){ r.r_offset, (uint64_t)r.r_addend };
	}
	qsort(e->relocs, e->nrelocs, sizeof(*e->relocs), cmp_reloc);
	return 0;
}

int gmt_elf__from_mem(const void *buf, size_t size, struct gmt_elf **out, struct gmt_diag *d)
{
	struct gmt_elf *e;
	Elf64_Ehdr eh;
	int err;

	*out = NULL;
	if (size < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return gmt_diag_set(d, -ENOEXEC, "not an ELF file");
	if (((const uint8_t *)buf)[EI_CLASS] != ELFCLASS64)
		return gmt_diag_set(d, -ENOTSUP, "32-bit ELF files are not supported");
	if (((const uint8_t *)buf)[EI_DATA] != ELFDATA2LSB)
		return gmt_diag_set(d, -ENOTSUP, "big-endian ELF files are not supported");
	if (size < sizeof(eh))
		return gmt_diag_set(d, -EINVAL, "truncated ELF header");
	memcpy(&eh, buf, sizeof(eh));

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->data = buf;
	e->size = size;
	e->type = eh.e_type;
	e->machine = eh.e_machine;
	err = parse_segs(e, &eh, d);
	if (!err)
		err = parse_secs(e, &eh);
	if (!err)
		err = parse_relocs(e);
	if (err) {
		gmt_elf__free(e);
		return err;
	}
	*out = e;
	return 0;
}

int gmt_elf__open(const char *path, struct gmt_elf **out, struct gmt_diag *d)
{
	struct stat st;
	void *map;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return gmt_diag_set(d, err, "cannot open %s: %s", path, strerror(-err));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gmt_diag_set(d, -EINVAL, "%s is not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return gmt_diag_set(d, -ENOEXEC, "%s is empty, not an ELF file", path);
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = -errno;
	close(fd);
	if (map == MAP_FAILED)
		return gmt_diag_set(d, err, "cannot map %s: %s", path, strerror(-err));
	err = gmt_elf__from_mem(map, st.st_size, out, d);
	if (err) {
		munmap(map, st.st_size);
		if (d && strncmp(d->msg, path, strlen(path)) != 0) {
			/* Name the file: "x: not an ELF file" (cut to fit, never overflowing). */
			char msg[sizeof(d->msg)];
			size_t n = strnlen(path, sizeof(msg) - 3);

			memcpy(msg, path, n);
			memcpy(msg + n, ": ", 3);
			strncat(msg, d->msg, sizeof(msg) - n - 3);
			memcpy(d->msg, msg, sizeof(msg));
		}
		return err;
	}
	(*out)->mapped = true;
	return 0;
}

void gmt_elf__free(struct gmt_elf *e)
{
	if (!e)
		return;
	free(e->relocs);
	free(e->secs);
	free(e->segs);
	if (e->mapped)
		munmap((void *)e->data, e->size);
	free(e);
}

const uint8_t *gmt_elf__data(const struct gmt_elf *e, size_t *size)
{
	*size = e->size;
	return e->data;
}

uint16_t gmt_elf__type(const struct gmt_elf *e)
{
	return e->type;
}

uint16_t gmt_elf__machine(const struct gmt_elf *e)
{
	return e->machine;
}

bool gmt_elf__has_interp(const struct gmt_elf *e)
{
	return e->interp;
}

size_t gmt_elf__nsegs(const struct gmt_elf *e)
{
	return e->nsegs;
}

const struct gmt_elf_seg *gmt_elf__seg(const struct gmt_elf *e, size_t i)
{
	return i < e->nsegs ? &e->segs[i] : NULL;
}

size_t gmt_elf__nsecs(const struct gmt_elf *e)
{
	return e->nsecs;
}

const struct gmt_elf_sec *gmt_elf__sec(const struct gmt_elf *e, size_t i)
{
	return i < e->nsecs ? &e->secs[i] : NULL;
}

const struct gmt_elf_sec *gmt_elf__sec_by_name(const struct gmt_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nsecs; i++)
		if (strcmp(e->secs[i].name, name) == 0)
			return &e->secs[i];
	return NULL;
}

const uint8_t *gmt_elf__sec_data(const struct gmt_elf *e, const struct gmt_elf_sec *s)
{
	if (!s || s->type == SHT_NOBITS || !in_file(e, s->off, s->size))
		return NULL;
	return e->data + s->off;
}

const struct gmt_elf_seg *gmt_elf__seg_of(const struct gmt_elf *e, uint64_t vaddr)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct gmt_elf_seg *s = &e->segs[i];

		if (s->type == PT_LOAD && vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

uint64_t gmt_elf__vaddr_avail(const struct gmt_elf *e, uint64_t vaddr)
{
	const struct gmt_elf_seg *s = gmt_elf__seg_of(e, vaddr);

	if (!s || vaddr - s->vaddr >= s->filesz)
		return 0;
	return s->filesz - (vaddr - s->vaddr);
}

int gmt_elf__vaddr_to_off(const struct gmt_elf *e, uint64_t vaddr, uint64_t *off)
{
	const struct gmt_elf_seg *s = gmt_elf__seg_of(e, vaddr);

	if (!s || vaddr - s->vaddr >= s->filesz)
		return -ENOENT;
	*off = vaddr - s->vaddr + s->off;
	return 0;
}

const uint8_t *gmt_elf__vaddr_ptr(const struct gmt_elf *e, uint64_t vaddr, uint64_t len)
{
	uint64_t off;

	if (gmt_elf__vaddr_avail(e, vaddr) < len || gmt_elf__vaddr_to_off(e, vaddr, &off))
		return NULL;
	return e->data + off;
}

int gmt_elf__read_ptr(const struct gmt_elf *e, uint64_t vaddr, uint64_t *val)
{
	const uint8_t *p = gmt_elf__vaddr_ptr(e, vaddr, 8);
	size_t lo = 0, hi = e->nrelocs;

	if (!p)
		return -ENOENT;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->relocs[mid].where < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->nrelocs && e->relocs[lo].where == vaddr) {
		*val = e->relocs[lo].addend;
		return 0;
	}
	memcpy(val, p, 8);
	return 0;
}

int gmt_elf__for_each_relative(const struct gmt_elf *e,
			       int (*cb)(uint64_t where, uint64_t addend, void *ctx), void *ctx)
{
	for (size_t i = 0; i < e->nrelocs; i++) {
		int r = cb(e->relocs[i].where, e->relocs[i].addend, ctx);

		if (r)
			return r;
	}
	return 0;
}

bool gmt_elf__has_symtab(const struct gmt_elf *e)
{
	return e->symtab && e->symtab->size >= 2 * sizeof(Elf64_Sym);
}

int gmt_elf__sym_by_name(const struct gmt_elf *e, const char *name, struct gmt_elf_sym *sym)
{
	const uint8_t *syms, *strs;
	size_t n, namelen = strlen(name);

	if (!gmt_elf__has_symtab(e) || !e->strtab)
		return -ENOENT;
	syms = gmt_elf__sec_data(e, e->symtab);
	strs = gmt_elf__sec_data(e, e->strtab);
	if (!syms || !strs)
		return -ENOENT;
	n = e->symtab->size / sizeof(Elf64_Sym);
	for (size_t i = 1; i < n; i++) {
		Elf64_Sym s;

		memcpy(&s, syms + i * sizeof(s), sizeof(s));
		if (s.st_name >= e->strtab->size || e->strtab->size - s.st_name <= namelen ||
		    memcmp(strs + s.st_name, name, namelen + 1) != 0)
			continue;
		*sym = (struct gmt_elf_sym){
			.name = (const char *)strs + s.st_name,
			.value = s.st_value,
			.size = s.st_size,
			.type = ELF64_ST_TYPE(s.st_info),
			.shndx = s.st_shndx,
		};
		return 0;
	}
	return -ENOENT;
}
