// SPDX-License-Identifier: MIT
#include "moduledata.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elf_file.h"
#include "bits.h"

static int rd(const struct gmt_elf *e, uint64_t addr, uint64_t *v)
{
	return gmt_elf__read_ptr(e, addr, v);
}

/* The pclntab slices must point where the header says their tables are. */
static bool head_matches(const struct gmt_elf *e, uint64_t md, const struct gmt_md_layout *l,
			 const struct gmt_pcln_loc *loc, const struct gmt_pcln *p)
{
	const struct {
		uint32_t field;
		uint64_t off;
	} slices[] = {
		{ l->funcnametab, gmt_pcln__funcname_off(p) },
		{ l->cutab, gmt_pcln__cu_off(p) },
		{ l->filetab, gmt_pcln__filetab_off(p) },
		{ l->pctab, gmt_pcln__pctab_off(p) },
		{ l->pclntable, gmt_pcln__functab_off(p) },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
		if (rd(e, md + slices[i].field, &v) || v != loc->vaddr + slices[i].off)
			return false;
	return true;
}

static bool in_image(const struct gmt_elf *e, uint64_t a)
{
	return gmt_elf__seg_of(e, a) != NULL;
}

static bool read_layout(const struct gmt_elf *e, uint64_t md, const struct gmt_md_layout *l,
			struct gmt_moduledata *out)
{
	struct gmt_moduledata m = { .addr = md, .layout = l };
	const struct {
		uint32_t off;
		uint64_t *dst;
	} fields[] = {
		{ l->text, &m.text },		{ l->etext, &m.etext },	      { l->minpc, &m.minpc },
		{ l->maxpc, &m.maxpc },		{ l->noptrdata, &m.noptrdata },
		{ l->enoptrdata, &m.enoptrdata }, { l->data, &m.data },	      { l->edata, &m.edata },
		{ l->bss, &m.bss },		{ l->ebss, &m.ebss },	      { l->noptrbss, &m.noptrbss },
		{ l->enoptrbss, &m.enoptrbss }, { l->types, &m.types },	      { l->etypes, &m.etypes },
		{ l->rodata, &m.rodata },	{ l->gofunc, &m.gofunc },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (rd(e, md + fields[i].off, fields[i].dst))
			return false;
	/* Every bound must lie in the image and be ordered as the linker lays them out. */
	if (m.text >= m.etext || m.minpc < m.text || m.maxpc > m.etext || m.minpc >= m.maxpc)
		return false;
	if (m.types >= m.etypes || !in_image(e, m.types) || !in_image(e, m.etypes - 1))
		return false;
	/* go1.27 places the type descriptors after go:func.*, so only rodata bounds it. */
	if (!in_image(e, m.rodata) || !in_image(e, m.gofunc) || m.gofunc < m.rodata)
		return false;
	if (m.noptrdata > m.enoptrdata || m.data > m.edata || m.bss > m.ebss ||
	    m.noptrbss > m.enoptrbss)
		return false;
	*out = m;
	return true;
}

/*
 * Newest layout first.  An older binary read with a newer layout fails its bounds: where
 * a newer layout expects rodata and go:func.*, an older moduledata has slice lengths
 * (small integers, outside the image).  The release resolver checks the layout that
 * matched against the release's own (release.c).
 */
static bool try_candidate(const struct gmt_elf *e, uint64_t md, const struct gmt_pcln_loc *loc,
			  const struct gmt_pcln *p, struct gmt_moduledata *out)
{
	for (size_t i = 0; i < gmt_md_nlayouts; i++)
		if (head_matches(e, md, &gmt_md_layouts[i], loc, p) &&
		    read_layout(e, md, &gmt_md_layouts[i], out))
			return true;
	return false;
}

int gmt_moduledata_find(const struct gmt_elf *e, const struct gmt_pcln_loc *loc,
			const struct gmt_pcln *p, struct gmt_moduledata *md, struct gmt_diag *d)
{
	struct gmt_elf_sym sym;

	if (gmt_pcln__ptrsize(p) != 8)
		return gmt_diag_set(d, -ENOTSUP, "only 64-bit Go binaries are supported");
	if (gmt_elf__sym_by_name(e, "runtime.firstmoduledata", &sym) == 0 &&
	    try_candidate(e, sym.value, loc, p, md))
		return 0;
	/* Stripped: every 8-byte slot of the writable segments whose value is the header. */
	for (size_t i = 0; i < gmt_elf__nsegs(e); i++) {
		const struct gmt_elf_seg *g = gmt_elf__seg(e, i);

		if (g->type != PT_LOAD || !(g->flags & PF_W))
			continue;
		for (uint64_t a = (g->vaddr + 7) & ~7ULL; a + 8 <= g->vaddr + g->filesz; a += 8) {
			uint64_t v;

			if (rd(e, a, &v) == 0 && v == loc->vaddr &&
			    try_candidate(e, a, loc, p, md))
				return 0;
		}
	}
	return gmt_diag_set(d, -ENOENT,
			    "runtime moduledata not found (no pointer to the pclntab at %#llx)",
			    (unsigned long long)loc->vaddr);
}

#define TFLAG_EXTRA_STAR 0x2

int gmt_type_name(const struct gmt_elf *e, const struct gmt_moduledata *md, uint64_t typ,
		  char *buf, size_t len)
{
	const uint8_t *t, *n;
	uint64_t name, avail, nlen;
	int32_t off;
	size_t hdr, skip;

	if (len == 0)
		return -EINVAL;
	buf[0] = 0;
	if (typ < md->types || typ >= md->etypes)
		return -ENOENT;
	t = gmt_elf__vaddr_ptr(e, typ, 48);
	if (!t)
		return -ENOENT;
	memcpy(&off, t + 40, 4);
	if (off < 0 || (uint64_t)off >= md->etypes - md->types)
		return -EINVAL;
	name = md->types + off;
	avail = md->etypes - name;
	if (gmt_elf__vaddr_avail(e, name) < avail)
		avail = gmt_elf__vaddr_avail(e, name);
	n = gmt_elf__vaddr_ptr(e, name, avail);
	if (!n || avail < 2)
		return -EINVAL;
	hdr = gmt_uvarint(n + 1, avail - 1, &nlen);
	if (!hdr || nlen > avail - 1 - hdr)
		return -EINVAL;
	n += 1 + hdr;
	skip = (t[20] & TFLAG_EXTRA_STAR) && nlen > 0 && n[0] == '*';
	nlen -= skip;
	if (nlen >= len)
		nlen = len - 1;
	memcpy(buf, n + skip, nlen);
	buf[nlen] = 0;
	return 0;
}
