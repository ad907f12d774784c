// SPDX-License-Identifier: MIT
/* Which row of the Go release table a binary's runtime is (see release.h). */
#include "release.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elf_file.h"
#include "gcvars.h"
#include "gobin.h"
#include "pclntab.h"
#include "rtvars.h"
#include "x86dec.h"

#define MAX_ROWS 32 /* candidate sets are bit masks */

const struct gmt_go_release *gmt_go_release_find(int n)
{
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (gmt_go_releases[i].minor == n)
			return &gmt_go_releases[i];
	return NULL;
}

const struct gmt_go_release *gmt_go_release_oldest(void)
{
	return &gmt_go_releases[0];
}

const struct gmt_go_release *gmt_go_release_newest(void)
{
	return &gmt_go_releases[gmt_go_nreleases - 1];
}

void gmt_go_release_family(const struct gmt_go_release *row, char *buf, size_t len)
{
	snprintf(buf, len, "go1.%d", row->minor);
}

const char *gmt_go_release_range(void)
{
	static char buf[48];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "go1.%d to go1.%d", gmt_go_release_oldest()->minor,
			 gmt_go_release_newest()->minor);
	return buf;
}

int gmt_go_version_cmp(const struct gmt_go_version *a, int major, int n)
{
	if (a->major != major)
		return a->major < major ? -1 : 1;
	if (a->minor != n)
		return a->minor < n ? -1 : 1;
	return 0;
}

int gmt_abi_int_reg(int8_t arg)
{
	/* ABIInternal's integer registers in order: RAX RBX RCX RDI RSI R8 R9 R10 R11 */
	static const int8_t x86[] = { 0, 3, 1, 7, 6, 8, 9, 10, 11 };

	if (arg < 0 || (size_t)arg >= sizeof(x86))
		return -1;
	return x86[arg];
}

/* ---- decoders: facts of the runtime's code ---- */

struct cas_scan {
	int64_t off;
	bool conflict;
};

/* casgstatus: `gp.atomicstatus.CompareAndSwap(old, new)`, LOCK CMPXCHGL r32, off(gp). */
static int cas_cb(const struct gmt_insn *in, void *ctx)
{
	struct cas_scan *s = ctx;

	if (in->opmap == 1 && in->opcode == 0xb1 && (in->pfx & GMT_PFX_LOCK) && in->mem &&
	    !in->rip_rel && in->opsize == 4 && in->base >= 0 && in->index == GMT_REG_NONE) {
		if (s->off >= 0 && s->off != in->disp)
			s->conflict = true;
		s->off = in->disp;
	}
	return 0;
}

int gmt_release_decode_atomicstatus(const struct gmt_gobin *gb, uint32_t *off)
{
	struct cas_scan s = { .off = -1 };

	if (gmt_rtvars_walk_func(gb, "runtime.casgstatus", cas_cb, &s) || s.off < 0 ||
	    s.conflict)
		return -ENOENT;
	*off = (uint32_t)s.off;
	return 0;
}

/*
 * acquirem/releasem, inlined all over the runtime: `MOVQ g.m(R14), reg` then
 * `INCL m.locks(reg)` / `DECL m.locks(reg)`.  R14 holds g in ABIInternal code; the
 * offset most counted over every runtime function is m.locks.
 */
#define MLOCK_SLOTS 64

struct mlock_scan {
	uint32_t g_m;
	uint16_t from_m; /* registers holding getg().m */
	uint32_t off[MLOCK_SLOTS];
	unsigned n[MLOCK_SLOTS];
	size_t nslots;
};

static void mlock_count(struct mlock_scan *s, uint32_t off)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->off[i] == off) {
			s->n[i]++;
			return;
		}
	if (s->nslots < MLOCK_SLOTS) {
		s->off[s->nslots] = off;
		s->n[s->nslots++] = 1;
	}
}

static void mlock_insn(struct mlock_scan *s, const struct gmt_insn *in)
{
	/* MOVQ g_m(R14), reg */
	if (in->opmap == 0 && in->opcode == 0x8b && in->mem && !in->rip_rel && in->opsize == 8 &&
	    in->base == GMT_REG_R14 && in->index == GMT_REG_NONE && in->disp == (int32_t)s->g_m &&
	    in->reg < 16) {
		s->from_m |= 1u << in->reg;
		return;
	}
	/* INCL / DECL off(reg): FF /0, FF /1 */
	if (in->opmap == 0 && in->opcode == 0xff && in->has_modrm && in->mem && !in->rip_rel &&
	    in->opsize == 4 && ((in->modrm >> 3) & 7) <= 1 && in->base >= 0 && in->base < 16 &&
	    in->index == GMT_REG_NONE && (s->from_m & (1u << in->base)) && in->disp > 0)
		mlock_count(s, (uint32_t)in->disp);
	for (int r = 0; r < 16; r++)
		if ((s->from_m & (1u << r)) && gmt_rtvars_writes_reg(in, r))
			s->from_m &= ~(1u << r);
	if (in->kind == GMT_INSN_JMP || in->kind == GMT_INSN_RET || in->kind == GMT_INSN_JMP_IND)
		s->from_m = 0;
}

int gmt_release_decode_mlocks(const struct gmt_gobin *gb, uint32_t g_m, uint32_t *off,
			      unsigned *count)
{
	struct mlock_scan s = { .g_m = g_m };
	size_t nf = gmt_pcln__nfunc(gb->pcln), best = 0;

	for (size_t i = 0; i < nf; i++) {
		struct gmt_func_info fi;
		const uint8_t *code;

		if (gmt_pcln__func(gb->pcln, i, &fi) || strncmp(fi.name, "runtime.", 8) != 0)
			continue;
		code = gmt_gobin__func_code(gb, &fi);
		if (!code)
			continue;
		s.from_m = 0;
		for (uint64_t pc = fi.entry; pc < fi.end;) {
			struct gmt_insn in;
			int n = gmt_x86_decode(code + (pc - fi.entry), fi.end - pc, pc, &in);

			if (n <= 0)
				break;
			mlock_insn(&s, &in);
			pc += n;
		}
	}
	if (!s.nslots)
		return -ENOENT;
	for (size_t i = 1; i < s.nslots; i++)
		if (s.n[i] > s.n[best])
			best = i;
	*off = s.off[best];
	*count = s.n[best];
	return 0;
}

/* ---- the facts, and the rows they fit ---- */

enum fact_id {
	F_MAGIC,
	F_MODULEDATA,
	F_GDESTROY,
	F_MALLOC_SPLIT,
	F_SIZE_SPECIALIZED,
	F_HEAP_GOAL,
	F_ATOMICSTATUS,
	F_MLOCKS,
	F__COUNT,
};

/* Enough increments of one offset on getg().m that it is acquirem's, not a stray one. */
#define MLOCKS_MIN 8

struct fact {
	bool seen;
	bool required; /* every release shows it: not seeing it is not seeing a known runtime */
	bool one_way;  /* only its absence (value 0) says something */
	int64_t value;
	char text[160];
	char why[160]; /* when not seen */
};

static int64_t md_key(uint32_t types, uint32_t etypes, uint32_t rodata, uint32_t gofunc)
{
	return (int64_t)types | (int64_t)etypes << 16 | (int64_t)rodata << 32 |
	       (int64_t)gofunc << 48;
}

/* What row would show for fact id. */
static int64_t expect(const struct gmt_go_release *row, enum fact_id id)
{
	switch (id) {
	case F_MAGIC:
		return row->image.pclntab_magic;
	case F_MODULEDATA:
		return md_key(row->moduledata.types, row->moduledata.etypes, row->moduledata.rodata,
			      row->moduledata.gofunc);
	case F_GDESTROY:
		return !!(row->flags & GMT_REL_GDESTROY);
	case F_MALLOC_SPLIT:
		return !!(row->flags & GMT_REL_MALLOCGC_SPLIT);
	case F_SIZE_SPECIALIZED:
		return !!(row->flags & GMT_REL_SIZE_SPECIALIZED);
	case F_HEAP_GOAL:
		return row->gc_controller.last_heap_goal;
	case F_ATOMICSTATUS:
		return row->g.atomicstatus;
	case F_MLOCKS:
		return row->m.locks;
	default:
		return -1;
	}
}

/* Whether fact f rules row out. */
static bool contradicts(const struct fact *f, enum fact_id id, const struct gmt_go_release *row)
{
	if (!f->seen)
		return false;
	if (id == F_MLOCKS && row->g.m != gmt_go_release_oldest()->g.m)
		return false; /* decoded through another g.m: not comparable */
	if (f->one_way)
		return f->value == 0 && expect(row, id) != 0;
	return f->value != expect(row, id);
}

static void func_fact(const struct gmt_gobin *gb, struct fact *f, const char *name, bool one_way)
{
	struct gmt_func_info fi;

	f->seen = true;
	f->one_way = one_way;
	f->value = gmt_pcln__func_by_name(gb->pcln, name, &fi) == 0;
	snprintf(f->text, sizeof(f->text), "%s %s", name, f->value ? "present" : "absent");
}

static void gather(const struct gmt_gobin *gb, struct fact fs[F__COUNT])
{
	uint64_t ctrl;
	uint32_t off;
	unsigned count;

	memset(fs, 0, sizeof(*fs) * F__COUNT);
	fs[F_MAGIC] = (struct fact){ .seen = true, .required = true,
				     .value = gmt_pcln__magic(gb->pcln) };
	snprintf(fs[F_MAGIC].text, sizeof(fs[F_MAGIC].text), "pclntab magic %#x",
		 (unsigned)fs[F_MAGIC].value);

	if (gb->has_md && gb->md.layout) {
		const struct gmt_md_layout *l = gb->md.layout;

		fs[F_MODULEDATA].seen = true;
		fs[F_MODULEDATA].value = md_key(l->types, l->etypes, l->rodata, l->gofunc);
		if (strcmp(l->first, l->last))
			snprintf(fs[F_MODULEDATA].text, sizeof(fs[F_MODULEDATA].text),
				 "moduledata laid out as in %s to %s", l->first, l->last);
		else
			snprintf(fs[F_MODULEDATA].text, sizeof(fs[F_MODULEDATA].text),
				 "moduledata laid out as in %s", l->first);
	} else {
		snprintf(fs[F_MODULEDATA].why, sizeof(fs[F_MODULEDATA].why),
			 "runtime.moduledata not found");
	}
	/* The functions of the flags: the spec's (scripts/gooffsets/spec.txt). */
	func_fact(gb, &fs[F_GDESTROY], "runtime.gdestroy", false);
	func_fact(gb, &fs[F_MALLOC_SPLIT], "runtime.mallocgcLarge", false);
	func_fact(gb, &fs[F_SIZE_SPECIALIZED], "runtime.mallocgcSmallNoScanSC2", true);

	fs[F_HEAP_GOAL].required = true;
	if (gmt_gcvars_decode_controller(gb, &ctrl) == 0 &&
	    gmt_gcvars_decode_goal_offset(gb, ctrl, &off) == 0) {
		fs[F_HEAP_GOAL].seen = true;
		fs[F_HEAP_GOAL].value = off;
		snprintf(fs[F_HEAP_GOAL].text, sizeof(fs[F_HEAP_GOAL].text),
			 "gcControllerCommit passes gcController.lastHeapGoal at +%u", off);
	} else {
		snprintf(fs[F_HEAP_GOAL].why, sizeof(fs[F_HEAP_GOAL].why),
			 "gcControllerCommit does not show where gcController.lastHeapGoal is");
	}
	fs[F_ATOMICSTATUS].required = true;
	if (gmt_release_decode_atomicstatus(gb, &off) == 0) {
		fs[F_ATOMICSTATUS].seen = true;
		fs[F_ATOMICSTATUS].value = off;
		snprintf(fs[F_ATOMICSTATUS].text, sizeof(fs[F_ATOMICSTATUS].text),
			 "casgstatus swaps g.atomicstatus at +%u", off);
	} else {
		snprintf(fs[F_ATOMICSTATUS].why, sizeof(fs[F_ATOMICSTATUS].why),
			 "casgstatus has no single LOCK CMPXCHG of g.atomicstatus");
	}
	if (gmt_release_decode_mlocks(gb, gmt_go_release_oldest()->g.m, &off, &count) == 0 &&
	    count >= MLOCKS_MIN) {
		fs[F_MLOCKS].seen = true;
		fs[F_MLOCKS].value = off;
		snprintf(fs[F_MLOCKS].text, sizeof(fs[F_MLOCKS].text),
			 "acquirem/releasem count m.locks at +%u (%u sites)", off, count);
	} else {
		snprintf(fs[F_MLOCKS].why, sizeof(fs[F_MLOCKS].why),
			 "too few acquirem/releasem sites to read m.locks");
	}
}

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The facts as text, "; "-separated: what was seen, and what was looked for in vain. */
static void evidence(const struct fact fs[F__COUNT], char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < F__COUNT; i++)
		append(buf, len, "%s%s", buf[0] ? "; " : "", fs[i].seen ? fs[i].text : fs[i].why);
}

static void names_of(uint32_t cand, char *buf, size_t len)
{
	buf[0] = 0;
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (cand & (1u << i)) {
			char fam[16];

			gmt_go_release_family(&gmt_go_releases[i], fam, sizeof(fam));
			append(buf, len, "%s%s", buf[0] ? ", " : "", fam);
		}
}

static void set_row(struct gmt_release *r, const struct gmt_go_release *row, bool exact,
		    const char *version)
{
	r->row = row;
	r->exact = exact;
	gmt_go_release_family(row, r->family, sizeof(r->family));
	if (exact)
		snprintf(r->name, sizeof(r->name), "%s", version);
	else
		snprintf(r->name, sizeof(r->name), "%s (inferred)", r->family);
}

/* An exact row: the facts that disagree with it, for `info`. */
static void check_exact(const struct gmt_gobin *gb, struct gmt_release *r)
{
	struct fact fs[F__COUNT];

	gather(gb, fs);
	evidence(fs, r->evidence, sizeof(r->evidence));
	for (int i = 0; i < F__COUNT; i++)
		if (contradicts(&fs[i], i, r->row))
			append(r->notes, sizeof(r->notes), "%s%s, where %s has %s%lld",
			       r->notes[0] ? "; " : "", fs[i].text, r->family,
			       fs[i].one_way ? "it: " : "", (long long)expect(r->row, i));
}

static int infer(const struct gmt_gobin *gb, struct gmt_release *r, struct gmt_diag *d)
{
	struct fact fs[F__COUNT];
	char ev[sizeof(r->evidence)], names[160];
	uint32_t cand = 0, magic = 0;
	int n = 0;

	gather(gb, fs);
	evidence(fs, ev, sizeof(ev));
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (!contradicts(&fs[F_MAGIC], F_MAGIC, &gmt_go_releases[i]))
			magic |= 1u << i;
	if (!magic)
		return gmt_diag_set(d, -ENOTSUP, "%s: Go %s is not supported (gomemtrace supports %s)",
				    gb->path, gb->version, gmt_go_release_range());
	for (int f = 0; f < F__COUNT; f++)
		if (fs[f].required && !fs[f].seen)
			return gmt_diag_set(d, -ENOTSUP,
					    "%s: the binary names no Go version (no .go.buildinfo, no "
					    "runtime.buildVersion), and %s, which tells the release: "
					    "gomemtrace will not guess",
					    gb->path, fs[f].why);
	for (size_t i = 0; i < gmt_go_nreleases; i++) {
		bool fits = true;

		for (int f = 0; f < F__COUNT && fits; f++)
			fits = !contradicts(&fs[f], f, &gmt_go_releases[i]);
		if (fits) {
			cand |= 1u << i;
			n++;
		}
	}
	if (n == 0) {
		/*
		 * Every fact would not fit in one line: name the nearest row (fewest
		 * contradicting facts, the newest of equals) and what rules it out.
		 */
		const struct gmt_go_release *near = NULL;
		char why[200] = "", fam[16];
		int best = F__COUNT + 1;

		for (size_t i = 0; i < gmt_go_nreleases; i++) {
			int k = 0;

			if (!(magic & (1u << i)))
				continue;
			for (int f = 0; f < F__COUNT; f++)
				k += contradicts(&fs[f], f, &gmt_go_releases[i]);
			if (k <= best) {
				best = k;
				near = &gmt_go_releases[i];
			}
		}
		for (int f = 0; f < F__COUNT; f++)
			if (contradicts(&fs[f], f, near))
				append(why, sizeof(why), "%s%s", why[0] ? "; " : "", fs[f].text);
		gmt_go_release_family(near, fam, sizeof(fam));
		return gmt_diag_set(d, -ENOTSUP,
				    "%s: no Go version in the binary (no .go.buildinfo, no "
				    "runtime.buildVersion) and no release gomemtrace knows (%s) fits "
				    "it: the nearest, %s, is ruled out by %s",
				    gb->path, gmt_go_release_range(), fam, why);
	}
	if (n > 1) {
		names_of(cand, names, sizeof(names));
		return gmt_diag_set(d, -ENOTSUP,
				    "%s: the binary names no Go version (no .go.buildinfo, no "
				    "runtime.buildVersion), and what it contains fits %s alike: "
				    "gomemtrace will not guess (%s)",
				    gb->path, names, ev);
	}
	for (size_t i = 0; i < gmt_go_nreleases; i++)
		if (cand & (1u << i))
			set_row(r, &gmt_go_releases[i], false, NULL);
	snprintf(r->evidence, sizeof(r->evidence), "%s", ev);
	return 0;
}

int gmt_release_resolve(const struct gmt_gobin *gb, struct gmt_release *r, struct gmt_diag *d)
{
	const struct gmt_go_release *row;

	memset(r, 0, sizeof(*r));
	if (gmt_go_nreleases == 0 || gmt_go_nreleases > MAX_ROWS)
		return gmt_diag_set(d, -EINVAL, "the Go release table has %zu rows", gmt_go_nreleases);
	if (gb->ptrsize != 8)
		return gmt_diag_set(d, -ENOTSUP, "%s: 32-bit Go binaries are not supported", gb->path);
	if (gmt_elf__machine(gb->elf) != EM_X86_64)
		return gmt_diag_set(d, -ENOTSUP, "%s: tracing supports x86-64 binaries only", gb->path);
	if (gb->version_source == GMT_VERSION_PCLNTAB)
		return infer(gb, r, d);
	if (gmt_go_version_cmp(&gb->ver, 1, gmt_go_release_oldest()->minor) < 0)
		return gmt_diag_set(d, -ENOTSUP, "%s: Go %s is not supported (gomemtrace supports %s)",
				    gb->path, gb->version, gmt_go_release_range());
	if (gmt_go_version_cmp(&gb->ver, 1, gmt_go_release_newest()->minor) > 0)
		return gmt_diag_set(d, -ENOTSUP,
				    "%s: Go %s is newer than gomemtrace knows (%s; the newest it "
				    "knows is %s)",
				    gb->path, gb->version, gmt_go_release_range(),
				    gmt_go_release_newest()->version);
	row = gmt_go_release_find(gb->ver.minor);
	if (!row)
		return gmt_diag_set(d, -ENOTSUP, "%s: Go %s is not in gomemtrace's release table (%s)",
				    gb->path, gb->version, gmt_go_release_range());
	set_row(r, row, true, gb->version);
	check_exact(gb, r);
	return 0;
}
