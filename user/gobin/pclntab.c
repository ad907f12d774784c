// SPDX-License-Identifier: MIT
/*
 * Go's pclntab reader.
 *
 * The formats of go1.16, go1.18 and go1.20+ differ only in field widths and offsets, so
 * everything below is one walker driven by a struct pcln_layout chosen from the magic.
 * The source of truth is the Go tree: runtime/symtab.go, runtime/symtabinl.go,
 * runtime/runtime2.go (_func) and cmd/link/internal/ld/pcln.go of each version.
 *
 * gmt_pcln__new() validates every offset it will ever follow (header, functab, each
 * _func and its pcdata offsets) so that lookups only need checks on the few values that
 * are data-dependent: pc-value table contents, cutab indexes and inline-tree records.
 */
#include "pclntab.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "elf_file.h"
#include "grow.h"
#include "hmap.h"

#define MAGIC_12 0xfffffffbu
#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE 3

/* Longer inline chains than this can only come from a table whose parentPc values loop. */
#define MAX_INLINE_STEPS 256
/* Inlined frames kept per symbolize() call; a deeper chain loses its middle frames. */
#define MAX_KEPT_FRAMES 256

/* Where the fields of one format version live. */
struct pcln_layout {
	enum gmt_pcln_ver ver;
	uint8_t hdr_words;   /* uintptr-sized header words after magic/pad/minLC/ptrSize */
	bool has_text_start; /* header word 2 is textStart, entries are offsets from it */
	uint8_t ftab_field;  /* bytes per functab field: 4, or ptrSize for 1.16 */
	uint8_t entry_size;  /* bytes of _func.entry (1.16: uintptr) or _func.entryOff */
	uint8_t func_fixed;  /* bytes of _func before pcdata[] */
	uint8_t off_funcid;  /* _func.funcID; flag follows it, nfuncdata is func_fixed - 1 */
	bool funcdata_ptrs;  /* 1.16: funcdata[] are pointer-aligned absolute pointers */
	uint8_t inl_size;    /* bytes per inlinedCall record */
	uint8_t inl_nameoff, inl_parentpc;
};

/* The _func fields after the entry, in order (offsets are relative to the entry's end). */
#define F_NAMEOFF 0
#define F_PCSP 12
#define F_PCFILE 16
#define F_PCLN 20
#define F_NPCDATA 24
#define F_CUOFF 28

/* clang-format off */
static const struct pcln_layout layouts[] = {
	{
		/* go1.16-1.17: runtime/symtab.go pcHeader, _func{entry uintptr, ...} */
		.ver = GMT_PCLN_116,
		.hdr_words = 7,
		.has_text_start = false,
		.ftab_field = 0, /* ptrSize */
		.entry_size = 0, /* ptrSize */
		.funcdata_ptrs = true,
		/* inlinedCall{parent int16, funcID u8, _ byte, file, line, func_, parentPc i32} */
		.inl_size = 20,
		.inl_nameoff = 12,
		.inl_parentpc = 16,
	},
	{
		/* go1.18-1.19: entryoff uint32, no startLine */
		.ver = GMT_PCLN_118,
		.hdr_words = 8,
		.has_text_start = true,
		.ftab_field = 4,
		.entry_size = 4,
		.func_fixed = 4 + 32 + 4,
		.off_funcid = 4 + 32,
		.inl_size = 20,
		.inl_nameoff = 12,
		.inl_parentpc = 16,
	},
	{
		/* go1.20+: _func.startLine added; inlinedCall{funcID, _[3], nameOff, parentPc,
		 * startLine} (runtime/symtabinl.go) */
		.ver = GMT_PCLN_120,
		.hdr_words = 8,
		.has_text_start = true,
		.ftab_field = 4,
		.entry_size = 4,
		.func_fixed = 4 + 32 + 4 + 4,
		.off_funcid = 4 + 32 + 4,
		.inl_size = 16,
		.inl_nameoff = 4,
		.inl_parentpc = 8,
	},
};
/* clang-format on */

/* The pc tables lookups walk, each with its own checkpoints. */
enum pcv_table { TAB_PCSP, TAB_PCFILE, TAB_PCLN, TAB_INL, NTABLES };

/* Walker state every CKPT_EVERY steps of a table (see index_ckpts). */
#define CKPT_EVERY 16

struct ckpt {
	uint64_t pcoff; /* from the function entry: survives gmt_pcln__set_text_start() */
	uint32_t pos;	/* offset in pctab of the next step */
	uint32_t val;
};

struct fmeta {
	uint32_t funcoff; /* _func offset in ftab */
	uint32_t nameoff; /* _func.nameOff */
	uint8_t funcid, flag;
};

struct pcln_hdr {
	struct pcln_layout L;
	uint32_t magic;
	uint8_t minlc, ptrsize;
	uint64_t nfunc, nfiles, text_start;
	uint64_t off_name, off_cu, off_file, off_pctab, off_pcln;
	uint64_t hdr_size, ftab_size;
};

struct gmt_pcln {
	struct pcln_hdr h;
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;
	uint64_t text; /* what 1.18+ entry offsets are relative to */

	const uint8_t *names; /* funcnametab */
	size_t names_size;
	bool names_nul_end; /* every offset inside names reaches a NUL */
	const uint8_t *cutab;
	size_t ncu;
	const uint8_t *files; /* filetab */
	size_t files_size;
	bool files_nul_end;
	const uint8_t *pctab;
	size_t pctab_size;
	const uint8_t *ftab; /* pclntable: functab, then the _func records */
	size_t ftab_size;

	/* Index built once. */
	uint64_t *entries;  /* nfunc + 1 entry addresses, the last is the end of text */
	struct fmeta *meta; /* per function: what lookups need without touching _func */
	struct gmt_hmap by_name; /* name hash -> function index */
	uint32_t *buckets; /* index of the function covering text_lo + (b << bucket_shift) */
	size_t nbuckets;
	unsigned bucket_shift;
	struct ckpt *ckpts;
	uint32_t *ckstart; /* function i, table t: ckpts[ckstart[i*NTABLES+t] .. next) */
	uint8_t max_funcid;

	uint64_t gofunc;
	gmt_mem_fn mem;
	void *mem_ctx;
};

/* A decoded _func. */
struct fview {
	size_t idx;
	uint64_t entry, end;
	const uint8_t *base; /* the _func bytes */
	uint32_t nameoff, pcsp, pcfile, pcln, npcdata, cuoff;
	uint8_t nfuncdata;
};

static int index_ckpts(struct gmt_pcln *p, struct gmt_diag *d);

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint64_t rdn(const uint8_t *p, unsigned n)
{
	return n == 8 ? rd64(p) : rd32(p);
}

static const struct pcln_layout *layout_of(uint32_t magic)
{
	switch (magic) {
	case MAGIC_116:
		return &layouts[0];
	case MAGIC_118:
		return &layouts[1];
	case MAGIC_120:
		return &layouts[2];
	}
	return NULL;
}

/*
 * Validates a pcHeader at data[0..size): -ENOTSUP for a well-formed go1.2-1.15 header,
 * -EINVAL otherwise.  Used both to accept a section and, with first_func_plausible(), to
 * recognise the table while scanning segments, so it must reject noise.
 */
static int parse_hdr(const uint8_t *data, size_t size, struct pcln_hdr *h, struct gmt_diag *d)
{
	const struct pcln_layout *L;
	uint64_t w[8], fsz;

	memset(h, 0, sizeof(*h));
	if (size < 8)
		return gmt_diag_set(d, -EINVAL, "pclntab: %zu bytes is too short for a header",
				    size);
	h->magic = rd32(data);
	h->minlc = data[6];
	h->ptrsize = data[7];
	if (data[4] || data[5])
		return gmt_diag_set(d, -EINVAL, "pclntab: header padding is not zero");
	if (h->minlc != 1 && h->minlc != 2 && h->minlc != 4)
		return gmt_diag_set(d, -EINVAL, "pclntab: pc quantum %u is not 1, 2 or 4",
				    h->minlc);
	if (h->ptrsize != 4 && h->ptrsize != 8)
		return gmt_diag_set(d, -EINVAL, "pclntab: pointer size %u is not 4 or 8",
				    h->ptrsize);
	if (h->magic == MAGIC_12) {
		/* go1.2-1.15: nfunc, then functab {entry, funcoff uintptr}. */
		const uint8_t *ft = data + 8 + h->ptrsize;
		uint64_t n = size >= 8 + 4 * (size_t)h->ptrsize ? rdn(data + 8, h->ptrsize) : 0;

		if (n == 0 || n > (size - 8) / (2 * h->ptrsize))
			return gmt_diag_set(d, -EINVAL, "pclntab: go1.2 header has a bad nfunc");
		if (rdn(ft, h->ptrsize) == 0 ||
		    rdn(ft, h->ptrsize) > rdn(ft + 2 * h->ptrsize, h->ptrsize) ||
		    rdn(ft + h->ptrsize, h->ptrsize) >= size)
			return gmt_diag_set(d, -EINVAL, "pclntab: go1.2 functab is implausible");
		return gmt_diag_set(d, -ENOTSUP,
				    "pclntab: go1.2-1.15 format (magic 0x%08x) is not supported",
				    h->magic);
	}
	L = layout_of(h->magic);
	if (!L)
		return gmt_diag_set(d, -EINVAL, "pclntab: unknown magic 0x%08x", h->magic);
	h->L = *L;
	if (!h->L.ftab_field)
		h->L.ftab_field = h->ptrsize;
	if (!h->L.entry_size) {
		h->L.entry_size = h->ptrsize;
		h->L.func_fixed = h->ptrsize + 32 + 4;
		h->L.off_funcid = h->ptrsize + 32;
	}
	h->hdr_size = 8 + (uint64_t)h->L.hdr_words * h->ptrsize;
	if (size < h->hdr_size)
		return gmt_diag_set(d, -EINVAL, "pclntab: header truncated (%zu bytes)", size);
	for (unsigned i = 0; i < h->L.hdr_words; i++)
		w[i] = rdn(data + 8 + i * h->ptrsize, h->ptrsize);
	h->nfunc = w[0];
	h->nfiles = w[1];
	if (h->L.has_text_start) {
		h->text_start = w[2];
		memmove(w + 2, w + 3, 5 * sizeof(w[0]));
	}
	h->off_name = w[2];
	h->off_cu = w[3];
	h->off_file = w[4];
	h->off_pctab = w[5];
	h->off_pcln = w[6];
	/* The linker writes the tables in header order, right after the header. */
	if (h->off_name < h->hdr_size || h->off_cu < h->off_name || h->off_file < h->off_cu ||
	    h->off_pctab < h->off_file || h->off_pcln < h->off_pctab || h->off_pcln >= size)
		return gmt_diag_set(d, -EINVAL,
				    "pclntab: table offsets are out of order or past the end "
				    "(%#llx %#llx %#llx %#llx %#llx, size %#zx)",
				    (unsigned long long)h->off_name, (unsigned long long)h->off_cu,
				    (unsigned long long)h->off_file,
				    (unsigned long long)h->off_pctab,
				    (unsigned long long)h->off_pcln, size);
	fsz = h->L.ftab_field;
	if (h->nfunc == 0 || h->nfunc >= UINT32_MAX / 2 ||
	    (2 * h->nfunc + 1) * fsz > size - h->off_pcln)
		return gmt_diag_set(d, -EINVAL, "pclntab: nfunc %llu does not fit the table",
				    (unsigned long long)h->nfunc);
	if (h->nfiles > size)
		return gmt_diag_set(d, -EINVAL, "pclntab: nfiles %llu does not fit the table",
				    (unsigned long long)h->nfiles);
	h->ftab_size = (2 * h->nfunc + 1) * fsz;
	return 0;
}

/* The first functab entry must point at a _func that names the same entry. */
static bool first_func_plausible(const uint8_t *data, size_t size, const struct pcln_hdr *h)
{
	const uint8_t *ft = data + h->off_pcln;
	size_t avail = size - h->off_pcln;
	unsigned fsz = h->L.ftab_field;
	uint64_t entry = rdn(ft, fsz), next = rdn(ft + 2 * fsz, fsz);
	uint64_t funcoff = rdn(ft + fsz, fsz);

	if (next < entry || funcoff < h->ftab_size || funcoff > avail ||
	    avail - funcoff < h->L.func_fixed)
		return false;
	return rdn(ft + funcoff, h->L.entry_size) == entry;
}

static bool name_ok(const uint8_t *tab, size_t size, bool nul_end, uint64_t off)
{
	if (off >= size)
		return false;
	return nul_end || memchr(tab + off, 0, size - off);
}

static int index_funcs(struct gmt_pcln *p, struct gmt_diag *d)
{
	const struct pcln_hdr *h = &p->h;
	const struct pcln_layout *L = &h->L;
	unsigned fsz = L->ftab_field, esz = L->entry_size;
	size_t n = h->nfunc;

	p->entries = malloc((n + 1) * sizeof(*p->entries));
	p->meta = malloc(n * sizeof(*p->meta));
	if (!p->entries || !p->meta)
		return gmt_diag_set(d, -ENOMEM, "pclntab: out of memory for %zu functions", n);

	for (size_t i = 0; i <= n; i++) {
		const uint8_t *e = p->ftab + 2 * i * fsz, *f;
		uint64_t raw = rdn(e, fsz), funcoff, extra;
		uint32_t npcdata, nfuncdata;
		struct fmeta *m;

		p->entries[i] = L->has_text_start ? p->text + raw : raw;
		if (i && p->entries[i] < p->entries[i - 1])
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu starts before function %zu", i,
					    i - 1);
		if (i == n)
			break;
		funcoff = rdn(e + fsz, fsz);
		if (funcoff < h->ftab_size || funcoff > p->ftab_size ||
		    p->ftab_size - funcoff < L->func_fixed)
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu: _func offset %#llx is outside "
					    "the function table",
					    i, (unsigned long long)funcoff);
		f = p->ftab + funcoff;
		if (rdn(f, esz) != raw)
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu: _func entry %#llx differs from "
					    "the functab's %#llx",
					    i, (unsigned long long)rdn(f, esz),
					    (unsigned long long)raw);
		npcdata = rd32(f + esz + F_NPCDATA);
		nfuncdata = f[L->func_fixed - 1];
		extra = (uint64_t)npcdata * 4;
		if (L->funcdata_ptrs) {
			/* 1.16: pointers, 8-aligned in memory (runtime.funcdata) */
			uint64_t va = p->vaddr + h->off_pcln + funcoff + L->func_fixed + extra;

			extra += (h->ptrsize == 8 && (va & 4) ? 4 : 0) +
				 (uint64_t)nfuncdata * h->ptrsize;
		} else {
			extra += (uint64_t)nfuncdata * 4;
		}
		if (extra > p->ftab_size - funcoff - L->func_fixed)
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu: %u pcdata and %u funcdata "
					    "entries run past the table",
					    i, npcdata, nfuncdata);
		m = &p->meta[i];
		m->funcoff = funcoff;
		m->nameoff = rd32(f + esz + F_NAMEOFF);
		m->funcid = f[L->off_funcid];
		m->flag = f[L->off_funcid + 1]; /* 1.16: padding, zero */
		if (m->funcid > p->max_funcid)
			p->max_funcid = m->funcid;
		if (!name_ok(p->names, p->names_size, p->names_nul_end, m->nameoff))
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu: name offset %#x is outside "
					    "funcnametab",
					    i, m->nameoff);
		for (unsigned t = 0; t < 3 + npcdata; t++) {
			/* pcsp, pcfile, pcln, then pcdata[]: 0 means "no table" */
			uint32_t off = t < 3 ? rd32(f + esz + F_PCSP + 4 * t)
					     : rd32(f + L->func_fixed + 4 * (t - 3));

			if (off >= p->pctab_size)
				return gmt_diag_set(d, -EINVAL,
						    "pclntab: function %zu: pc table offset %#x is "
						    "outside pctab",
						    i, off);
		}
		/* ^0: no compilation unit (linker-generated functions) */
		if (rd32(f + esz + F_CUOFF) != UINT32_MAX && rd32(f + esz + F_CUOFF) > p->ncu)
			return gmt_diag_set(d, -EINVAL,
					    "pclntab: function %zu: cu offset %u is outside cutab",
					    i, rd32(f + esz + F_CUOFF));
	}
	return 0;
}

static uint64_t hash_name(const char *s)
{
	return gmt_hash_bytes(GMT_HASH_SEED, s, strlen(s));
}

static const char *name_at(const struct gmt_pcln *p, size_t idx)
{
	return (const char *)p->names + p->meta[idx].nameoff;
}

struct name_key {
	const struct gmt_pcln *p;
	const char *name;
};

static bool name_is(const void *ctx, uint64_t val)
{
	const struct name_key *k = ctx;

	return strcmp(name_at(k->p, val), k->name) == 0;
}

static uint8_t funcid_at(const struct gmt_pcln *p, size_t idx)
{
	return p->meta[idx].funcid;
}

/*
 * A name is shared by a function and its ABI wrapper (ABI0 <-> ABIInternal).  Lookups by
 * name want the implementation: abi.FuncIDWrapper is the last FuncID of every version, so
 * the lower funcID wins; between equals (reflect.callMethod is itself marked a wrapper)
 * the larger body, since an ABI wrapper is a few instructions; then the lower address.
 */
static bool better_dup(const struct gmt_pcln *p, size_t a, size_t b)
{
	uint64_t sa = p->entries[a + 1] - p->entries[a], sb = p->entries[b + 1] - p->entries[b];

	if (funcid_at(p, a) != funcid_at(p, b))
		return funcid_at(p, a) < funcid_at(p, b);
	return sa > sb;
}

static int index_names(struct gmt_pcln *p, struct gmt_diag *d)
{
	size_t n = p->h.nfunc;

	if (gmt_hmap_reserve(&p->by_name, n))
		return gmt_diag_set(d, -ENOMEM, "pclntab: out of memory for the name index");
	for (size_t i = 0; i < n; i++) {
		struct name_key k = { p, name_at(p, i) };
		uint64_t h = hash_name(k.name), *v = gmt_hmap_find(&p->by_name, h, name_is, &k);

		if (!v)
			gmt_hmap_add(&p->by_name, h, i); /* reserved: cannot fail */
		else if (better_dup(p, i, *v))
			*v = i;
	}
	return 0;
}

/*
 * A direct-mapped first step for PC lookups, like the runtime's findfunctab: bucket b
 * holds the function covering text_lo + (b << shift), so a lookup binary-searches only
 * the few functions between two buckets.  Sized to about one bucket per function.
 */
static int index_buckets(struct gmt_pcln *p, struct gmt_diag *d)
{
	size_t n = p->h.nfunc, i = 0;
	uint64_t lo = p->entries[0], span = p->entries[n] - lo;

	p->bucket_shift = 6;
	while ((span >> p->bucket_shift) >= 2 * (uint64_t)n + 16)
		p->bucket_shift++;
	p->nbuckets = (span >> p->bucket_shift) + 1;
	p->buckets = malloc(p->nbuckets * sizeof(*p->buckets));
	if (!p->buckets)
		return gmt_diag_set(d, -ENOMEM, "pclntab: out of memory for the pc index");
	for (size_t b = 0; b < p->nbuckets; b++) {
		uint64_t addr = lo + ((uint64_t)b << p->bucket_shift);

		while (i + 1 < n && p->entries[i + 1] <= addr)
			i++;
		p->buckets[b] = i;
	}
	return 0;
}

int gmt_pcln__new(const struct gmt_pcln_loc *loc, uint64_t text_start, struct gmt_pcln **out,
		  struct gmt_diag *d)
{
	struct gmt_pcln *p;
	int err;

	*out = NULL;
	if (!loc || !loc->data)
		return gmt_diag_set(d, -EINVAL, "pclntab: no table given");
	p = calloc(1, sizeof(*p));
	if (!p)
		return gmt_diag_set(d, -ENOMEM, "pclntab: out of memory");
	p->data = loc->data;
	p->size = loc->size;
	p->vaddr = loc->vaddr;
	err = parse_hdr(p->data, p->size, &p->h, d);
	if (err)
		goto fail;
	/*
	 * go1.26+ headers have no textStart.  Without one from the caller the index holds
	 * offsets from text (gmt_pcln__text_start() says 0) until gmt_pcln__set_text_start():
	 * finding moduledata, which gives text, needs the header offsets first.
	 */
	p->text = text_start ? text_start : p->h.text_start;
	p->names = p->data + p->h.off_name;
	p->names_size = p->h.off_cu - p->h.off_name;
	p->names_nul_end = p->names_size && p->names[p->names_size - 1] == 0;
	p->cutab = p->data + p->h.off_cu;
	p->ncu = (p->h.off_file - p->h.off_cu) / 4;
	p->files = p->data + p->h.off_file;
	p->files_size = p->h.off_pctab - p->h.off_file;
	p->files_nul_end = p->files_size && p->files[p->files_size - 1] == 0;
	p->pctab = p->data + p->h.off_pctab;
	p->pctab_size = p->h.off_pcln - p->h.off_pctab;
	if (p->pctab_size > UINT32_MAX)
		p->pctab_size = UINT32_MAX; /* offsets into it are u32 */
	p->ftab = p->data + p->h.off_pcln;
	p->ftab_size = p->size - p->h.off_pcln;
	if (p->ftab_size > UINT32_MAX)
		p->ftab_size = UINT32_MAX; /* _func offsets are stored as u32 */

	err = index_funcs(p, d);
	if (!err)
		err = index_names(p, d);
	if (!err)
		err = index_buckets(p, d);
	if (!err)
		err = index_ckpts(p, d);
	if (err)
		goto fail;
	*out = p;
	return 0;
fail:
	gmt_pcln__free(p);
	return err;
}

void gmt_pcln__free(struct gmt_pcln *p)
{
	if (!p)
		return;
	free(p->entries);
	free(p->meta);
	gmt_hmap_free(&p->by_name);
	free(p->buckets);
	free(p->ckpts);
	free(p->ckstart);
	free(p);
}

/* ---- locating the table in an ELF file ---- */

static int loc_from(const uint8_t *data, size_t size, uint64_t vaddr, struct gmt_pcln_loc *loc)
{
	loc->data = data;
	loc->size = size;
	loc->vaddr = vaddr;
	return 0;
}

/* A header candidate at data[0..size): validates deeply enough to reject random data. */
static int candidate(const uint8_t *data, size_t size)
{
	struct pcln_hdr h;
	int err = parse_hdr(data, size, &h, NULL);

	if (err)
		return err;
	return first_func_plausible(data, size, &h) ? 0 : -EINVAL;
}

static bool is_magic(uint32_t m)
{
	return m == MAGIC_120 || m == MAGIC_118 || m == MAGIC_116 || m == MAGIC_12;
}

int gmt_pcln__locate(const struct gmt_elf *e, struct gmt_pcln_loc *loc, struct gmt_diag *d)
{
	static const char *const names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	const uint8_t *fallback = NULL;
	uint64_t fb_vaddr = 0;
	size_t fb_size = 0;
	size_t filesize;
	const uint8_t *file = gmt_elf__data(e, &filesize);

	memset(loc, 0, sizeof(*loc));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct gmt_elf_sec *s = gmt_elf__sec_by_name(e, names[i]);
		const uint8_t *data;
		struct pcln_hdr h;
		int err;

		if (!s)
			continue;
		data = gmt_elf__sec_data(e, s);
		if (!data)
			return gmt_diag_set(d, -EINVAL, "section %s is outside the file", names[i]);
		err = parse_hdr(data, s->size, &h, d);
		if (err && err != -ENOTSUP)
			return err;
		/* A go1.2 table is located: gmt_pcln__new() rejects it with its reason. */
		return loc_from(data, s->size, s->addr, loc);
	}

	/*
	 * No section headers (or stripped names): scan the non-executable PT_LOADs,
	 * read-only ones first (go1.26+ and non-PIE builds), then writable ones (older PIE
	 * builds keep the table in .data.rel.ro).  The linker aligns the table to 8 or 32,
	 * so an 8-aligned hit wins; a 4-aligned one is kept as a fallback.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t si = 0; si < gmt_elf__nsegs(e); si++) {
			const struct gmt_elf_seg *s = gmt_elf__seg(e, si);
			const uint8_t *seg;

			if (s->type != PT_LOAD || (s->flags & PF_X) ||
			    !!(s->flags & PF_W) != pass || s->filesz < 8)
				continue;
			if (s->off > filesize || s->filesz > filesize - s->off)
				continue;
			seg = file + s->off;
			for (uint64_t o = (4 - (s->vaddr & 3)) & 3; o + 8 <= s->filesz; o += 4) {
				if (!is_magic(rd32(seg + o)) ||
				    candidate(seg + o, s->filesz - o) == -EINVAL)
					continue;
				if (((s->vaddr + o) & 7) == 0)
					return loc_from(seg + o, s->filesz - o, s->vaddr + o, loc);
				if (!fallback) {
					fallback = seg + o;
					fb_size = s->filesz - o;
					fb_vaddr = s->vaddr + o;
				}
			}
		}
	}
	if (fallback)
		return loc_from(fallback, fb_size, fb_vaddr, loc);
	return gmt_diag_set(d, -ENOENT, "no Go pclntab found (not a Go binary?)");
}

/* ---- accessors ---- */

enum gmt_pcln_ver gmt_pcln__version(const struct gmt_pcln *p)
{
	return p->h.L.ver;
}

uint32_t gmt_pcln__magic(const struct gmt_pcln *p)
{
	return p->h.magic;
}

uint8_t gmt_pcln__ptrsize(const struct gmt_pcln *p)
{
	return p->h.ptrsize;
}

uint8_t gmt_pcln__minlc(const struct gmt_pcln *p)
{
	return p->h.minlc;
}

uint64_t gmt_pcln__header_text_start(const struct gmt_pcln *p)
{
	return p->h.text_start;
}

uint64_t gmt_pcln__text_start(const struct gmt_pcln *p)
{
	return p->h.L.has_text_start ? p->text : 0;
}

int gmt_pcln__set_text_start(struct gmt_pcln *p, uint64_t text_start)
{
	size_t n = p->h.nfunc;
	uint64_t delta = text_start - p->text;

	if (!p->h.L.has_text_start || !text_start)
		return -EINVAL;
	if (p->entries[n] + delta < p->entries[0] + delta)
		return -EINVAL; /* would wrap around the address space */
	/* buckets and checkpoints are relative to entries[0] and to each entry */
	for (size_t i = 0; i <= n; i++)
		p->entries[i] += delta;
	p->text = text_start;
	return 0;
}

uint64_t gmt_pcln__funcname_off(const struct gmt_pcln *p)
{
	return p->h.off_name;
}

uint64_t gmt_pcln__cu_off(const struct gmt_pcln *p)
{
	return p->h.off_cu;
}

uint64_t gmt_pcln__filetab_off(const struct gmt_pcln *p)
{
	return p->h.off_file;
}

uint64_t gmt_pcln__pctab_off(const struct gmt_pcln *p)
{
	return p->h.off_pctab;
}

uint64_t gmt_pcln__functab_off(const struct gmt_pcln *p)
{
	return p->h.off_pcln;
}

uint8_t gmt_pcln__wrapper_funcid(const struct gmt_pcln *p)
{
	/* abi.FuncIDWrapper is the last FuncID of every version (see better_dup), and every
	 * Go binary has ABI wrappers. */
	return p->max_funcid;
}

size_t gmt_pcln__nfunc(const struct gmt_pcln *p)
{
	return p->h.nfunc;
}

size_t gmt_pcln__nfiles(const struct gmt_pcln *p)
{
	return p->h.nfiles;
}

void gmt_pcln__set_funcdata(struct gmt_pcln *p, uint64_t gofunc, gmt_mem_fn mem, void *ctx)
{
	p->gofunc = gofunc;
	p->mem = mem;
	p->mem_ctx = ctx;
}

/* ---- functions ---- */

static void fview_of(const struct gmt_pcln *p, size_t idx, struct fview *f)
{
	const struct pcln_layout *L = &p->h.L;
	const uint8_t *b = p->ftab + p->meta[idx].funcoff;
	const uint8_t *q = b + L->entry_size;

	f->idx = idx;
	f->entry = p->entries[idx];
	f->end = p->entries[idx + 1];
	f->base = b;
	f->nameoff = p->meta[idx].nameoff;
	f->pcsp = rd32(q + F_PCSP);
	f->pcfile = rd32(q + F_PCFILE);
	f->pcln = rd32(q + F_PCLN);
	f->npcdata = rd32(q + F_NPCDATA);
	f->cuoff = rd32(q + F_CUOFF);
	f->nfuncdata = b[L->func_fixed - 1];
}

/* pctab offset of table t of f (0: none). */
static uint32_t table_off(const struct gmt_pcln *p, const struct fview *f, enum pcv_table t)
{
	switch (t) {
	case TAB_PCSP:
		return f->pcsp;
	case TAB_PCFILE:
		return f->pcfile;
	case TAB_PCLN:
		return f->pcln;
	default:
		if (f->npcdata <= PCDATA_INLTREEINDEX)
			return 0;
		return rd32(f->base + p->h.L.func_fixed + 4 * PCDATA_INLTREEINDEX);
	}
}

static void fill_info(const struct gmt_pcln *p, size_t idx, struct gmt_func_info *fi)
{
	fi->name = (const char *)p->names + p->meta[idx].nameoff;
	fi->entry = p->entries[idx];
	fi->end = p->entries[idx + 1];
	fi->idx = idx;
	fi->funcid = p->meta[idx].funcid;
	fi->flag = p->meta[idx].flag;
}

int gmt_pcln__func(const struct gmt_pcln *p, size_t idx, struct gmt_func_info *fi)
{
	if (idx >= p->h.nfunc)
		return -ENOENT;
	fill_info(p, idx, fi);
	return 0;
}

int gmt_pcln__func_by_name(const struct gmt_pcln *p, const char *name, struct gmt_func_info *fi)
{
	struct name_key k = { p, name };
	const uint64_t *v = gmt_hmap_find(&p->by_name, hash_name(name), name_is, &k);

	if (!v)
		return -ENOENT;
	fill_info(p, *v, fi);
	return 0;
}

/* Index of the function whose [entry, next entry) holds pc, or -1. */
static ssize_t find_idx(const struct gmt_pcln *p, uint64_t pc)
{
	size_t n = p->h.nfunc, lo, hi, b;

	if (pc < p->entries[0] || pc >= p->entries[n])
		return -1;
	b = (pc - p->entries[0]) >> p->bucket_shift;
	lo = p->buckets[b];
	hi = b + 1 < p->nbuckets ? p->buckets[b + 1] : n - 1;
	/* the last lo..hi index with entries[i] <= pc */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (p->entries[mid] <= pc)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int gmt_pcln__func_by_pc(const struct gmt_pcln *p, uint64_t pc, struct gmt_func_info *fi)
{
	ssize_t idx = find_idx(p, pc);

	if (idx < 0)
		return -ENOENT;
	fill_info(p, idx, fi);
	return 0;
}

/* ---- pc-value tables ---- */

static inline bool varint(const uint8_t **pp, const uint8_t *end, uint32_t *v)
{
	const uint8_t *q = *pp;
	uint32_t r = 0;
	unsigned shift = 0;

	while (q < end) {
		uint8_t b = *q++;

		r |= (uint32_t)(b & 0x7f) << (shift & 31);
		if (!(b & 0x80)) {
			*pp = q;
			*v = r;
			return true;
		}
		shift += 7;
	}
	return false;
}

/* The walker's state after some steps of one table. */
struct pcv_state {
	const uint8_t *q;
	uint64_t pc;
	uint32_t val; /* int32 value, unsigned so that corrupt deltas wrap defined */
};

/*
 * One step of runtime.step: add a zigzag value delta, then advance pc by delta * minLC;
 * the new value holds for pcs before the new pc.  A zero value delta ends the table,
 * except on the first step (pc still at entry).  1 = stepped, 0 = end, -EINVAL = the
 * table runs off pctab.
 */
static inline int pcv_step(const struct gmt_pcln *p, const struct fview *f, struct pcv_state *st)
{
	const uint8_t *end = p->pctab + p->pctab_size;
	uint32_t uv, pcd;

	if (st->q >= end)
		return -EINVAL;
	if (*st->q == 0 && st->pc != f->entry)
		return 0;
	if (st->q[0] < 0x80 && st->q + 1 < end && st->q[1] < 0x80) {
		/* ~70% of steps: both deltas one byte (runtime.step's fast path) */
		uv = st->q[0];
		pcd = st->q[1];
		st->q += 2;
	} else if (!varint(&st->q, end, &uv) || !varint(&st->q, end, &pcd)) {
		return -EINVAL;
	}
	st->val += -(uv & 1) ^ (uv >> 1);
	st->pc += (uint64_t)pcd * p->h.minlc;
	return 1;
}

/*
 * Every step but the first advances pc (cmd/internal/obj funcpctab emits one per value
 * change), so a table that takes more steps than the function has pcs is corrupt; the
 * bound keeps a hostile table from making each lookup or the index walk all of pctab.
 */
static inline uint64_t max_steps(const struct gmt_pcln *p, const struct fview *f)
{
	return (f->end - f->entry) / p->h.minlc + 16;
}

/*
 * The value of table t (off in pctab) of function f at pc: -1 when the table does not
 * cover pc.  Starts from the last checkpoint at or before pc, so at most CKPT_EVERY
 * steps are walked (unless the index stopped early on a hostile table).
 */
static int pcvalue(const struct gmt_pcln *p, const struct fview *f, enum pcv_table t, uint32_t off,
		   uint64_t pc, int32_t *val)
{
	struct pcv_state st = {p->pctab + off, f->entry, UINT32_MAX};
	const struct ckpt *ck = p->ckpts + p->ckstart[f->idx * NTABLES + t];
	size_t lo = 0, hi = p->ckstart[f->idx * NTABLES + t + 1] - p->ckstart[f->idx * NTABLES + t];
	int r;

	*val = -1;
	if (!off || pc < f->entry || pc >= f->end)
		return 0;
	while (lo < hi) { /* the first checkpoint past pc */
		size_t mid = lo + (hi - lo) / 2;

		if (ck[mid].pcoff <= pc - f->entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo) {
		st.q = p->pctab + ck[lo - 1].pos;
		st.pc = f->entry + ck[lo - 1].pcoff;
		st.val = ck[lo - 1].val;
	}
	for (uint64_t steps = 0; (r = pcv_step(p, f, &st)) > 0; steps++) {
		if (pc < st.pc) {
			*val = (int32_t)st.val;
			return 0;
		}
		if (steps > max_steps(p, f))
			return -EINVAL;
	}
	return r;
}

/*
 * Walks every pc table lookups use once and records the walker's state every CKPT_EVERY
 * steps, so that a lookup never rescans a long table from the start.  Tables that are
 * malformed simply get fewer checkpoints: lookups past that point report -EINVAL.
 */
static int index_ckpts(struct gmt_pcln *p, struct gmt_diag *d)
{
	size_t n = p->h.nfunc, cap = 0, nck = 0;
	/*
	 * Linear work whatever the input: real tables are shared only when short, so a
	 * walk longer than a few times pctab means crafted sharing; stop indexing then.
	 */
	uint64_t budget = 4 * (uint64_t)p->pctab_size + 64 * (uint64_t)n;

	p->ckstart = malloc((n * NTABLES + 1) * sizeof(*p->ckstart));
	if (!p->ckstart || GMT_GROW(&p->ckpts, &cap, 1024))
		return gmt_diag_set(d, -ENOMEM, "pclntab: out of memory for the line index");
	for (size_t i = 0; i < n; i++) {
		struct fview f;

		fview_of(p, i, &f);
		for (int t = 0; t < NTABLES; t++) {
			uint32_t off = table_off(p, &f, t);
			struct pcv_state st = {p->pctab + off, f.entry, UINT32_MAX};

			p->ckstart[i * NTABLES + t] = nck;
			for (uint64_t steps = 1; off && budget && steps <= max_steps(p, &f) &&
						 pcv_step(p, &f, &st) > 0 && st.pc < f.end;
			     steps++, budget--) {
				if (steps % CKPT_EVERY)
					continue;
				if (nck == UINT32_MAX)
					return gmt_diag_set(d, -EINVAL,
							    "pclntab: pc tables too large");
				if (GMT_GROW(&p->ckpts, &cap, nck + 1))
					return gmt_diag_set(d, -ENOMEM,
							    "pclntab: out of memory for "
							    "the line index");
				p->ckpts[nck++] =
				    (struct ckpt){st.pc - f.entry, st.q - p->pctab, st.val};
			}
		}
	}
	p->ckstart[n * NTABLES] = nck;
	return 0;
}

int gmt_pcln__spdelta(const struct gmt_pcln *p, uint64_t pc, int32_t *delta)
{
	ssize_t idx = find_idx(p, pc);
	struct fview f;
	int32_t v;
	int err;

	if (idx < 0)
		return -ENOENT;
	fview_of(p, idx, &f);
	if (!f.pcsp)
		return -ENOENT;
	err = pcvalue(p, &f, TAB_PCSP, f.pcsp, pc, &v);
	if (err)
		return err;
	if (v < 0)
		return -ENOENT;
	*delta = v;
	return 0;
}

/* ---- inlining ---- */

/* The inline tree of f, as a vaddr, or 0 when f has none or nothing can read it. */
static uint64_t inltree_of(const struct gmt_pcln *p, const struct fview *f)
{
	const struct pcln_layout *L = &p->h.L;
	const uint8_t *fd = f->base + L->func_fixed + 4 * (uint64_t)f->npcdata;

	if (!p->mem || f->nfuncdata <= FUNCDATA_INLTREE || f->npcdata <= PCDATA_INLTREEINDEX ||
	    rd32(f->base + L->func_fixed + 4 * PCDATA_INLTREEINDEX) == 0)
		return 0;
	if (L->funcdata_ptrs) {
		/* 1.16: pointers, aligned in memory (runtime.funcdata) */
		uint64_t va = p->vaddr + (uint64_t)(fd - p->data);

		if (p->h.ptrsize == 8 && (va & 4))
			fd += 4;
		return rdn(fd + FUNCDATA_INLTREE * p->h.ptrsize, p->h.ptrsize);
	}
	if (!p->gofunc || rd32(fd + 4 * FUNCDATA_INLTREE) == UINT32_MAX)
		return 0;
	return p->gofunc + rd32(fd + 4 * FUNCDATA_INLTREE);
}

struct inl_rec {
	uint32_t nameoff;
	int32_t parentpc;
};

static int inl_read(const struct gmt_pcln *p, uint64_t tree, int32_t ix, struct inl_rec *r)
{
	const struct pcln_layout *L = &p->h.L;
	const uint8_t *b = p->mem(p->mem_ctx, tree + (uint64_t)ix * L->inl_size, L->inl_size);

	if (!b)
		return -EINVAL;
	r->nameoff = rd32(b + L->inl_nameoff);
	r->parentpc = (int32_t)rd32(b + L->inl_parentpc);
	if (!name_ok(p->names, p->names_size, p->names_nul_end, r->nameoff))
		return -EINVAL;
	return 0;
}

/* File name for pcfile value fileno of f: "?" when unknown, NULL when corrupt. */
static const char *file_of(const struct gmt_pcln *p, const struct fview *f, int32_t fileno)
{
	uint64_t ix;
	uint32_t off;

	if (fileno < 0 || f->cuoff == UINT32_MAX)
		return "?";
	ix = (uint64_t)f->cuoff + (uint32_t)fileno;
	if (ix >= p->ncu)
		return NULL;
	off = rd32(p->cutab + 4 * ix);
	if (off == UINT32_MAX)
		return "?";
	if (!name_ok(p->files, p->files_size, p->files_nul_end, off))
		return NULL;
	return (const char *)p->files + off;
}

/*
 * The inline chain at pc follows runtime.inlineUnwinder (go1.20+) and, identically,
 * go1.16-1.19's CallersFrames: the frame named by inlTree[ix] takes its file:line from
 * the pcfile/pcln tables at the *current* pc; then pc = entry + parentPc.  Older
 * runtimes ignore the file/line fields of their inlinedCall ("File/line is already
 * correct"), so no per-version branch is needed.
 */
int gmt_pcln__symbolize(const struct gmt_pcln *p, uint64_t pc, struct gmt_frame *frames, int max)
{
	uint64_t pcs[MAX_KEPT_FRAMES + 1];
	uint32_t names[MAX_KEPT_FRAMES + 1];
	int keep, nk = 0, err;
	ssize_t idx = find_idx(p, pc);
	struct fview f;
	uint64_t tree;

	if (!frames || max < 1)
		return -EINVAL;
	if (idx < 0)
		return -ENOENT;
	fview_of(p, idx, &f);
	keep = max - 1 < MAX_KEPT_FRAMES ? max - 1 : MAX_KEPT_FRAMES;

	tree = inltree_of(p, &f);
	if (tree) {
		uint32_t tab = rd32(f.base + p->h.L.func_fixed + 4 * PCDATA_INLTREEINDEX);

		for (int step = 0;; step++) {
			struct inl_rec r;
			int32_t ix;

			if (step == MAX_INLINE_STEPS)
				return -EINVAL;
			err = pcvalue(p, &f, TAB_INL, tab, pc, &ix);
			if (err)
				return err;
			if (ix < 0)
				break;
			err = inl_read(p, tree, ix, &r);
			if (err)
				return err;
			if (nk < keep) {
				pcs[nk] = pc;
				names[nk++] = r.nameoff;
			}
			pc = f.entry + (int64_t)r.parentpc;
		}
	}
	pcs[nk] = pc;
	names[nk] = f.nameoff;

	for (int i = 0; i <= nk; i++) {
		int32_t file, line;

		err = pcvalue(p, &f, TAB_PCFILE, f.pcfile, pcs[i], &file);
		if (!err)
			err = pcvalue(p, &f, TAB_PCLN, f.pcln, pcs[i], &line);
		if (err)
			return err;
		frames[i].func = (const char *)p->names + names[i];
		frames[i].file = "?";
		frames[i].line = 0;
		/* runtime.funcline1: either table missing the pc makes the position unknown */
		if (file < 0 || line < 0)
			continue;
		frames[i].file = file_of(p, &f, file);
		if (!frames[i].file)
			return -EINVAL;
		frames[i].line = line;
	}
	return nk + 1;
}
