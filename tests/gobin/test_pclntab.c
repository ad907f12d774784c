// SPDX-License-Identifier: MIT
/*
 * The pclntab reader against the Go toolchain's own view of the same binaries:
 * `go tool nm` (function table), `go tool addr2line` (pc -> function, file:line) and the
 * fixture's runtime.CallersFrames output (inline chains), for every Go version and build
 * flavour of the fixture matrix; plus corrupted and truncated tables, and a go1.16 table
 * synthesised from a go1.19 one (no go1.16 toolchain is available to build fixtures).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "elf_file.h"
#include "pclntab.h"
#include "testutil.h"

#define MAX_FRAMES 32

/* ---- helpers ---- */

struct nmsym {
	uint64_t addr, size;
	char type;
	const char *name;
};

struct nmtab {
	char *buf;
	struct nmsym *v;
	size_t n;
};

/* `go tool nm -size -n`: "addr size type name", the name may contain spaces. */
static void nm_load(struct nmtab *t, const char *path)
{
	size_t cap = 1024;
	char *line, *save = NULL;

	t->buf = tu_run("%s tool nm -size -n '%s'", tu_go(), path);
	t->v = malloc(cap * sizeof(*t->v));
	t->n = 0;
	for (line = strtok_r(t->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nmsym s;
		int pos = 0;

		if (sscanf(line, " %lx %lu %c %n", &s.addr, &s.size, &s.type, &pos) != 3 || !pos)
			continue;
		s.name = line + pos;
		if (t->n == cap)
			t->v = realloc(t->v, (cap *= 2) * sizeof(*t->v));
		t->v[t->n++] = s;
	}
	cr_assert(t->n > 100, "go tool nm %s lists symbols (got %zu)", path, t->n);
}

static void nm_free(struct nmtab *t)
{
	free(t->buf);
	free(t->v);
}

static uint64_t nm_addr(const struct nmtab *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return t->v[i].addr;
	return 0;
}

/* The unstripped build with the same code layout: pie for pie, exe for the others. */
static const char *symsrc(const char *flavour)
{
	return strcmp(flavour, "pie") == 0 ? "pie" : "exe";
}

static const uint8_t *elf_mem(void *ctx, uint64_t vaddr, uint64_t len)
{
	return gmt_elf__vaddr_ptr(ctx, vaddr, len);
}

struct bin {
	char version[16], flavour[16], path[4096];
	uint8_t *buf;
	size_t len;
	struct gmt_elf *e;
	struct gmt_pcln_loc loc;
	struct gmt_pcln *p;
	uint64_t text, gofunc;
};

/* Reads one 8-byte word of a loaded file image (relocations applied for PIE). */
static uint64_t word_at(const struct gmt_elf *e, uint64_t vaddr)
{
	uint64_t v = 0;

	if (gmt_elf__read_ptr(e, vaddr, &v))
		return 0;
	return v;
}

/*
 * moduledata.gofunc of a stripped binary.  From go1.26 its address differs from the
 * unstripped build's go:func.* (which moved into .gopclntab, and that table moves when
 * symbols are dropped), so it is found as the runtime finds it: through moduledata.  The field
 * index is calibrated on the unstripped build of the same source and version (firstmoduledata and
 * go:func.* from nm), and moduledata is recognised in the stripped file by its first two fields:
 * pcHeader and funcnametab.ptr.
 */
static uint64_t gofunc_via_moduledata(const struct bin *b, const struct nmtab *exe_nm,
				      const char *exe_path)
{
	struct gmt_diag d = {0};
	struct gmt_elf *exe;
	struct gmt_pcln_loc exeloc;
	uint64_t md = nm_addr(exe_nm, "runtime.firstmoduledata"), want, k;
	size_t len;
	uint8_t *buf = tu_read_file(exe_path, &len);

	want = nm_addr(exe_nm, "go:func.*");
	if (!want)
		want = nm_addr(exe_nm, "go.func.*");
	cr_assert(md && want, "%s has runtime.firstmoduledata and go:func.* symbols", exe_path);
	cr_assert_eq(gmt_elf__from_mem(buf, len, &exe, &d), 0, "%s parses: %s", exe_path, d.msg);
	cr_assert_eq(gmt_pcln__locate(exe, &exeloc, &d), 0, "%s has a pclntab: %s", exe_path,
		     d.msg);
	cr_assert_eq(word_at(exe, md), exeloc.vaddr,
		     "%s: moduledata.pcHeader points at the pclntab", exe_path);
	for (k = 1; k < 64; k++)
		if (word_at(exe, md + 8 * k) == want)
			break;
	cr_assert(k < 64, "%s: moduledata holds go:func.* %#lx", exe_path, want);
	gmt_elf__free(exe);
	free(buf);

	for (size_t i = 0; i < gmt_elf__nsegs(b->e); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(b->e, i);

		if (s->type != PT_LOAD || (s->flags & PF_X))
			continue;
		for (uint64_t a = (s->vaddr + 7) & ~7ull; a + 16 <= s->vaddr + s->filesz; a += 8)
			if (word_at(b->e, a) == b->loc.vaddr &&
			    word_at(b->e, a + 8) == b->loc.vaddr + gmt_pcln__funcname_off(b->p)) {
				cr_log_info("%s: gofunc %#lx via moduledata (unstripped: %#lx)",
					    b->path, word_at(b->e, a + 8 * k), want);
				return word_at(b->e, a + 8 * k);
			}
	}
	cr_assert_fail("%s: moduledata (pointing at the pclntab %#lx) found", b->path,
		       b->loc.vaddr);
	return 0;
}

static void bin_open(struct bin *b, const char *version, const char *flavour)
{
	struct gmt_diag d = {0};
	struct nmtab nm;
	char srcpath[4096];
	const struct gmt_elf_sec *text;
	int err;

	memset(b, 0, sizeof(*b));
	snprintf(b->version, sizeof(b->version), "%s", version);
	snprintf(b->flavour, sizeof(b->flavour), "%s", flavour);
	snprintf(b->path, sizeof(b->path), "%s", tu_fixture("symbols", version, flavour));
	snprintf(srcpath, sizeof(srcpath), "%s", tu_fixture("symbols", version, symsrc(flavour)));
	b->buf = tu_read_file(b->path, &b->len);
	err = gmt_elf__from_mem(b->buf, b->len, &b->e, &d);
	cr_assert_eq(err, 0, "%s parses as ELF: %s", b->path, d.msg);
	err = gmt_pcln__locate(b->e, &b->loc, &d);
	cr_assert_eq(err, 0, "%s: pclntab located: %s", b->path, d.msg);

	nm_load(&nm, srcpath);
	b->text = nm_addr(&nm, "runtime.text");
	cr_assert(b->text, "%s has runtime.text", srcpath);
	text = gmt_elf__sec_by_name(b->e, ".text");
	if (strcmp(flavour, "nosh") == 0)
		cr_assert_null(text, "%s has no section headers", b->path);
	else
		cr_assert(text && text->addr == b->text,
			  "%s: .text starts at runtime.text of %s (%#lx)", b->path, srcpath,
			  b->text);
	err = gmt_pcln__new(&b->loc, b->text, &b->p, &d);
	cr_assert_eq(err, 0, "%s: pclntab indexes: %s", b->path, d.msg);

	if (strcmp(flavour, "exe") == 0 || strcmp(flavour, "pie") == 0) {
		b->gofunc = nm_addr(&nm, "go:func.*");
		if (!b->gofunc)
			b->gofunc = nm_addr(&nm, "go.func.*");
		cr_assert(b->gofunc, "%s has a go:func.* / go.func.* symbol", srcpath);
	} else {
		b->gofunc = gofunc_via_moduledata(b, &nm, srcpath);
	}
	gmt_pcln__set_funcdata(b->p, b->gofunc, elf_mem, b->e);
	nm_free(&nm);
}

static void bin_close(struct bin *b)
{
	gmt_pcln__free(b->p);
	gmt_elf__free(b->e);
	free(b->buf);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Deterministic pseudo-random numbers (splitmix64): failures must reproduce. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct vf {
	size_t v, f;
};

static struct criterion_test_params all_vf(void)
{
	static struct vf params[TU_MAX_VERSIONS * 4];
	size_t n = 0;

	for (size_t v = 0; v < tu_nversions; v++)
		for (size_t f = 0; f < tu_nflavours; f++)
			if (tu_has(tu_versions[v], tu_flavours[f]))
				params[n++] = (struct vf){v, f};
	return cr_make_param_array(struct vf, params, n);
}

/* ---- 1. function table vs go tool nm ---- */

/*
 * The name the pclntab holds for an nm text symbol: nm shows assembly (ABI0) functions
 * with an ".abi0" suffix the pclntab does not carry, and the linker up to go1.20 writes
 * "[...]" for everything between the first '[' and the last ']' (cmd/link pcln.go
 * nameParts; gone in go1.21's).  The ELF symbol table also spells the middle dot "·" as '.', so names are
 * compared with that folded.
 */
static void pcln_name(const char *nm, const char *v, char *out, size_t cap)
{
	size_t n = strlen(nm);
	const char *lb, *rb;

	if (n > 5 && strcmp(nm + n - 5, ".abi0") == 0)
		n -= 5;
	snprintf(out, cap, "%.*s", (int)n, nm);
	if (strcmp(v, "go121") < 0 && (lb = strchr(out, '[')) && (rb = strrchr(out, ']')) && rb > lb) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%.*s[...]%s", (int)(lb - out), out, rb + 1);
		snprintf(out, cap, "%s", tmp);
	}
}

static void fold_dots(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 1 < cap; in++) {
		if ((uint8_t)in[0] == 0xc2 && (uint8_t)in[1] == 0xb7) { /* U+00B7 */
			out[o++] = '.';
			in++;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
}

ParameterizedTestParameters(pcln, functab_vs_nm)
{
	return all_vf();
}

ParameterizedTest(struct vf *c, pcln, functab_vs_nm)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	struct bin b;
	struct nmtab nm;
	size_t matched = 0, wrappers_named = 0;
	uint64_t last_end = 0, last_nm_end = 0;
	/*
	 * abi.FuncIDWrapper, from each toolchain's source (runtime/symtab.go funcID_wrapper
	 * up to go1.20, internal/abi/symtab.go after): 21 up to go1.21, 22 in go1.22-1.24
	 * (FuncID_corostart), 23 from go1.25.
	 */
	unsigned wrapper = strcmp(v, "go122") < 0 ? 21 : strcmp(v, "go125") < 0 ? 22 : 23;

	bin_open(&b, v, f);
	nm_load(&nm, tu_fixture("symbols", v, symsrc(f)));
	for (size_t i = 0; i < nm.n; i++) {
		const struct nmsym *s = &nm.v[i];
		struct gmt_func_info fi, byname;
		char want[4096], got[4096], wantf[4096];

		if (s->type != 'T' && s->type != 't')
			continue;
		/* linker markers for the bounds of text, not functions */
		if (strcmp(s->name, "runtime.text") == 0 || strcmp(s->name, "runtime.etext") == 0)
			continue;
		pcln_name(s->name, v, want, sizeof(want));
		cr_assert_eq(gmt_pcln__func_by_pc(b.p, s->addr, &fi), 0,
			     "%s-%s: func_by_pc(%#lx) finds nm's %s", v, f, s->addr, s->name);
		fold_dots(fi.name, got, sizeof(got));
		fold_dots(want, wantf, sizeof(wantf));
		cr_assert_str_eq(got, wantf, "%s-%s: function at %#lx is nm's %s", v, f, s->addr,
				 s->name);
		cr_assert_eq(fi.entry, s->addr, "%s-%s: %s entry is nm's %#lx (got %#lx)", v, f,
			     s->name, s->addr, fi.entry);
		cr_assert(fi.end >= s->addr + s->size,
			  "%s-%s: %s ends (%#lx) at or after nm's entry+size %#lx", v, f, s->name,
			  fi.end, s->addr + s->size);
		if (s->size)
			cr_assert_eq(gmt_pcln__func_by_pc(b.p, s->addr + s->size - 1, &byname) ==
					     0 &&
					 byname.idx == fi.idx,
				     1, "%s-%s: last byte of %s belongs to it", v, f, s->name);
		cr_assert_eq(gmt_pcln__func_by_name(b.p, fi.name, &byname), 0,
			     "%s-%s: func_by_name(%s) finds it", v, f, fi.name);
		/*
		 * A name shared with an ABI wrapper resolves to the implementation: the one
		 * whose funcID is not the wrapper's, else (both marked wrappers, as
		 * reflect.callMethod is) the larger.
		 */
		if (byname.entry != s->addr)
			cr_assert(strcmp(byname.name, fi.name) == 0 &&
				      ((fi.funcid == wrapper && byname.funcid != wrapper) ||
				       (fi.funcid == byname.funcid &&
					byname.end - byname.entry > fi.end - fi.entry)),
				  "%s-%s: func_by_name(%s) = %#lx, not nm's %#lx, only because "
				  "that is its ABI wrapper (funcIDs %u, %u)",
				  v, f, fi.name, byname.entry, s->addr, byname.funcid, fi.funcid);
		else if (fi.funcid == wrapper)
			wrappers_named++;
		if (strcmp(got, fi.name) == 0 && strcmp(want, fi.name) == 0)
			cr_assert_eq(gmt_pcln__func_by_name(b.p, want, &byname), 0,
				     "%s-%s: func_by_name(nm name %s)", v, f, want);
		if (fi.end > last_end) {
			last_end = fi.end;
			last_nm_end = s->addr + s->size;
		}
		matched++;
	}
	/* the pairs above, by name: a Go function with its ABI0 wrapper, assembly with its
	 * ABIInternal wrapper, and reflect.callMethod whose both copies are "wrappers" */
	{
		static const char *const pairs[][2] = {
		    {"runtime.debugCallCheck", "runtime.debugCallCheck"},
		    {"runtime.reflectcall", "runtime.reflectcall.abi0"},
		    {"reflect.callMethod", "reflect.callMethod"},
		};
		struct gmt_func_info fi;

		for (size_t i = 0; i < 3; i++) {
			cr_assert_eq(gmt_pcln__func_by_name(b.p, pairs[i][0], &fi), 0,
				     "%s-%s: %s exists", v, f, pairs[i][0]);
			cr_assert_eq(fi.entry, nm_addr(&nm, pairs[i][1]),
				     "%s-%s: func_by_name(%s) is nm's %s", v, f, pairs[i][0],
				     pairs[i][1]);
		}
	}
	cr_assert(wrappers_named > 10, "%s-%s: wrapper funcID %u is right (%zu wrappers named)", v,
		  f, wrapper, wrappers_named);
	cr_assert_eq(matched, gmt_pcln__nfunc(b.p),
		     "%s-%s: every pclntab function is an nm text symbol (%zu matched, nfunc %zu)",
		     v, f, matched, gmt_pcln__nfunc(b.p));
	/* functab's final entry is the last function's entry + size (cmd/link writePCToFunc),
	 * not runtime.etext, which go1.24+ aligns past go:textfipsend */
	cr_assert_eq(last_end, last_nm_end, "%s-%s: the table ends with the last function", v, f);
	cr_assert(last_end <= nm_addr(&nm, "runtime.etext"), "%s-%s: the table ends by etext", v,
		  f);
	{
		struct gmt_func_info fi;

		cr_assert_eq(gmt_pcln__func_by_pc(b.p, b.text - 1, &fi), -ENOENT,
			     "%s-%s: a pc before text is in no function", v, f);
		cr_assert_eq(gmt_pcln__func_by_pc(b.p, last_end, &fi), -ENOENT,
			     "%s-%s: the end of the last function is in no function", v, f);
		cr_assert_eq(gmt_pcln__func_by_name(b.p, "main.noSuchFunction", &fi), -ENOENT,
			     "%s-%s: an absent name is -ENOENT", v, f);
		cr_assert_eq(gmt_pcln__func(b.p, gmt_pcln__nfunc(b.p), &fi), -ENOENT,
			     "%s-%s: func(nfunc) is -ENOENT", v, f);
	}
	nm_free(&nm);
	bin_close(&b);
}

/* ---- 2. pc -> function, file:line vs go tool addr2line ---- */

/*
 * addr2line (debug/gosym) names the physical (outermost) function but gives the
 * innermost file:line at an inlined pc: e.g. on go1.24, main.outer's call of main.leaf
 * through inlined inl1/inl2/inl3 prints "main.outer" and "main.go:32" (the line in
 * inl3).  So its function line is our last frame and its file:line our first.
 */
ParameterizedTestParameters(pcln, symbolize_vs_addr2line)
{
	return all_vf();
}

ParameterizedTest(struct vf *c, pcln, symbolize_vs_addr2line)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	/* addr2line needs section headers: the nosh file is the stripped one without them */
	const char *a2l_flavour = strcmp(f, "nosh") == 0 ? "stripped" : f;
	struct bin b;
	size_t nfunc, npc, cap, len = 0;
	uint64_t *pcs, seed = 0x5eed0000 + c->v * 16 + c->f;
	char *in, *out, *line, *save = NULL;

	bin_open(&b, v, f);
	nfunc = gmt_pcln__nfunc(b.p);
	npc = nfunc + 3000;
	pcs = malloc(npc * sizeof(*pcs));
	for (size_t i = 0; i < nfunc; i++) {
		struct gmt_func_info fi;

		gmt_pcln__func(b.p, i, &fi);
		pcs[i] = fi.entry;
	}
	for (size_t i = nfunc; i < npc; i++) {
		struct gmt_func_info fi;

		gmt_pcln__func(b.p, rnd(&seed) % nfunc, &fi);
		pcs[i] = fi.entry + (fi.end > fi.entry ? rnd(&seed) % (fi.end - fi.entry) : 0);
	}
	cap = npc * 20 + 1;
	in = malloc(cap);
	for (size_t i = 0; i < npc; i++)
		len += snprintf(in + len, cap - len, "%#lx\n", pcs[i]);
	out = tu_run_input(in, "%s tool addr2line '%s'", tu_go(),
			   tu_fixture("symbols", v, a2l_flavour));

	line = strtok_r(out, "\n", &save);
	for (size_t i = 0; i < npc; i++) {
		struct gmt_frame fr[MAX_FRAMES];
		char pos[4096];
		const char *fn = line, *fl = strtok_r(NULL, "\n", &save);
		int n;

		cr_assert(fn && fl, "%s-%s: addr2line answers for pc %#lx", v, f, pcs[i]);
		n = gmt_pcln__symbolize(b.p, pcs[i], fr, MAX_FRAMES);
		cr_assert(n >= 1, "%s-%s: symbolize(%#lx) succeeds (%d)", v, f, pcs[i], n);
		cr_assert_str_eq(fr[n - 1].func, fn, "%s-%s: pc %#lx is in %s (addr2line)", v, f,
				 pcs[i], fn);
		snprintf(pos, sizeof(pos), "%s:%u", fr[0].file, fr[0].line);
		/*
		 * Functions without a line table (go:textfipsstart, padding past a function's
		 * code): debug/gosym prints ":-1", or walks pctab offset 0 as if it were a
		 * table and prints ":-7"; the runtime (funcline1) and we say "?", 0.
		 */
		if (fl[0] == ':')
			fl = "?:0";
		cr_assert_str_eq(pos, fl, "%s-%s: pc %#lx innermost position is %s (addr2line)", v,
				 f, pcs[i], fl);
		line = strtok_r(NULL, "\n", &save);
	}
	free(out);
	free(in);
	free(pcs);
	bin_close(&b);
}

/* ---- 3. inline chains vs runtime.CallersFrames in the fixture itself ---- */

struct rframe {
	uint64_t pc, entry;
	char func[512], file[1024];
	unsigned line;
};

/*
 * The fixture prints CallersFrames leaf first.  Frames sharing an entry are one physical
 * frame; the pc of the *first* of them is the real pc (a call), each later one's pc is
 * entry + parentPc of the inline record before it (runtime.tracebackPCs), so the whole
 * group is the inline chain of the first pc.
 */
ParameterizedTestParameters(pcln, inline_vs_callersframes)
{
	return all_vf();
}

ParameterizedTest(struct vf *c, pcln, inline_vs_callersframes)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	struct bin b;
	struct nmtab nm;
	struct rframe *rf = calloc(256, sizeof(*rf));
	size_t nrf = 0, groups = 0, inlined = 0;
	uint64_t anchor = 0, bias;
	char *out, *line, *save = NULL;

	bin_open(&b, v, f);
	nm_load(&nm, tu_fixture("symbols", v, symsrc(f)));
	out = tu_run("'%s'", b.path);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "anchor %lx", &anchor) == 1)
			continue;
		if (strncmp(line, "type ", 5) == 0) /* type names: test_gobin's oracle */
			continue;
		if (strcmp(line, "end") == 0 || nrf == 256) {
			nrf = nrf == 256 ? 0 : nrf;
			bias = anchor - nm_addr(&nm, "main.outer");
			if (strcmp(f, "pie") != 0)
				cr_assert_eq(bias, 0, "%s-%s: main.outer runs at its nm address", v,
					     f);
			for (size_t i = 0; i < nrf;) {
				struct gmt_frame fr[MAX_FRAMES];
				size_t j = i;
				int n;

				while (j < nrf && rf[j].entry == rf[i].entry)
					j++;
				if (rf[i].pc == rf[i].entry) { /* runtime.goexit's fake return pc */
					i = j;
					continue;
				}
				n = gmt_pcln__symbolize(b.p, rf[i].pc - bias, fr, MAX_FRAMES);
				cr_assert_eq(n, (int)(j - i),
					     "%s-%s: pc %#lx (%s) has %zu frames (got %d)", v, f,
					     rf[i].pc, rf[j - 1].func, j - i, n);
				for (size_t k = 0; k < j - i; k++) {
					const struct rframe *r = &rf[i + k];

					cr_assert_str_eq(fr[k].func, r->func,
							 "%s-%s: frame %zu at %#lx is %s", v, f, k,
							 rf[i].pc, r->func);
					cr_assert_str_eq(fr[k].file, r->file,
							 "%s-%s: %s file is %s", v, f, r->func,
							 r->file);
					cr_assert_eq(fr[k].line, r->line,
						     "%s-%s: %s line %u (got %u)", v, f, r->func,
						     r->line, fr[k].line);
				}
				groups++;
				inlined += j - i - 1;
				i = j;
			}
			nrf = 0;
			continue;
		}
		cr_assert_eq(sscanf(line, "frame %lx %lx %511s %1023s %u", &rf[nrf].pc,
				    &rf[nrf].entry, rf[nrf].func, rf[nrf].file, &rf[nrf].line),
			     5, "%s-%s: fixture line parses: %s", v, f, line);
		nrf++;
	}
	cr_assert(anchor, "%s-%s: fixture printed its anchor", v, f);
	cr_assert(groups >= 8, "%s-%s: physical frames checked (%zu)", v, f, groups);
	cr_assert(inlined >= 6, "%s-%s: inlined frames checked (%zu)", v, f, inlined);
	free(out);
	free(rf);
	nm_free(&nm);
	bin_close(&b);
}

/* Inline chains deeper than max keep the innermost max-1 and the physical function. */
Test(pcln, symbolize_truncates_deep_chains)
{
	struct bin b;
	struct gmt_func_info fi;
	struct gmt_frame all[MAX_FRAMES], two[2], one[1];
	uint64_t pc = 0;
	int n;

	bin_open(&b, "go124", "exe");
	cr_assert_eq(gmt_pcln__func_by_name(b.p, "main.outer", &fi), 0, "main.outer exists");
	for (uint64_t a = fi.entry; a < fi.end && !pc; a++)
		if (gmt_pcln__symbolize(b.p, a, all, MAX_FRAMES) == 4)
			pc = a;
	cr_assert(pc, "main.outer has a pc with inl3 <- inl2 <- inl1 <- outer");
	n = gmt_pcln__symbolize(b.p, pc, all, MAX_FRAMES);
	cr_assert_str_eq(all[0].func, "main.inl3", "innermost frame is main.inl3");
	cr_assert_eq(gmt_pcln__symbolize(b.p, pc, two, 2), 2, "max=2 gives 2 frames");
	cr_assert_str_eq(two[0].func, "main.inl3", "max=2 keeps the innermost");
	cr_assert_str_eq(two[1].func, "main.outer", "max=2 keeps the physical function");
	cr_assert_eq(two[1].line, all[n - 1].line, "physical line unchanged by truncation");
	cr_assert_eq(gmt_pcln__symbolize(b.p, pc, one, 1), 1, "max=1 gives 1 frame");
	cr_assert_str_eq(one[0].func, "main.outer", "max=1 keeps the physical function");
	cr_assert_eq(gmt_pcln__symbolize(b.p, pc, one, 0), -EINVAL, "max=0 is -EINVAL");
	cr_assert_eq(gmt_pcln__symbolize(b.p, b.text - 1, one, 1), -ENOENT,
		     "a pc outside text is -ENOENT");
	/* without set_funcdata only the physical frame is known */
	gmt_pcln__set_funcdata(b.p, 0, NULL, NULL);
	cr_assert_eq(gmt_pcln__symbolize(b.p, pc, all, MAX_FRAMES), 1,
		     "without funcdata only the physical frame");
	cr_assert_str_eq(all[0].func, "main.outer", "without funcdata the frame is main.outer");
	bin_close(&b);
}

/* ---- stack deltas ---- */

ParameterizedTestParameters(pcln, spdelta)
{
	return all_vf();
}

ParameterizedTest(struct vf *c, pcln, spdelta)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	struct bin b;
	struct gmt_func_info fi;
	struct gmt_frame fr[MAX_FRAMES];
	int32_t delta;
	size_t with_table = 0;
	uint64_t call = 0;

	bin_open(&b, v, f);
	for (size_t i = 0; i < gmt_pcln__nfunc(b.p); i++) {
		gmt_pcln__func(b.p, i, &fi);
		if (gmt_pcln__spdelta(b.p, fi.entry, &delta) != 0)
			continue;
		with_table++;
		cr_assert_eq(delta, 0, "%s-%s: %s has pushed nothing at its entry (%d)", v, f,
			     fi.name, delta);
	}
	cr_assert(with_table > gmt_pcln__nfunc(b.p) / 2, "%s-%s: most functions have pcsp", v, f);
	/* main.outer only pushes BP (objdump: PUSHQ BP; MOVQ SP, BP; CALL main.leaf) */
	cr_assert_eq(gmt_pcln__func_by_name(b.p, "main.outer", &fi), 0, "main.outer exists");
	for (uint64_t a = fi.entry; a < fi.end && !call; a++)
		if (gmt_pcln__symbolize(b.p, a, fr, MAX_FRAMES) == 4)
			call = a;
	cr_assert(call, "%s-%s: main.outer's call of leaf found", v, f);
	cr_assert_eq(gmt_pcln__spdelta(b.p, call, &delta), 0, "%s-%s: spdelta at the call", v, f);
	cr_assert_eq(delta, 8, "%s-%s: main.outer has pushed BP at the call (%d)", v, f, delta);
	cr_assert_eq(gmt_pcln__spdelta(b.p, b.text - 1, &delta), -ENOENT,
		     "%s-%s: spdelta outside text is -ENOENT", v, f);
	bin_close(&b);
}

/* ---- 5. version detection and header fields ---- */

ParameterizedTestParameters(pcln, version)
{
	return all_vf();
}

ParameterizedTest(struct vf *c, pcln, version)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	bool go126plus = strcmp(v, "go126") >= 0;
	struct bin b;

	bin_open(&b, v, f);
	cr_assert_eq(gmt_pcln__version(b.p), strcmp(v, "go119") == 0 ? GMT_PCLN_118 : GMT_PCLN_120,
		     "%s-%s: version %d", v, f, gmt_pcln__version(b.p));
	cr_assert_eq(gmt_pcln__ptrsize(b.p), 8, "%s-%s: 8-byte pointers", v, f);
	cr_assert_eq(gmt_pcln__minlc(b.p), 1, "%s-%s: amd64 pc quantum is 1", v, f);
	/* go1.26 stopped storing textStart: it needed a relocation */
	cr_assert_eq(gmt_pcln__header_text_start(b.p), go126plus ? 0 : b.text,
		     "%s-%s: header textStart %#lx", v, f, gmt_pcln__header_text_start(b.p));
	cr_assert_eq(gmt_pcln__text_start(b.p), b.text, "%s-%s: effective text start", v, f);
	cr_assert(gmt_pcln__nfunc(b.p) > 1000 && gmt_pcln__nfiles(b.p) > 50,
		  "%s-%s: plausible counts (%zu functions, %zu files)", v, f, gmt_pcln__nfunc(b.p),
		  gmt_pcln__nfiles(b.p));
	cr_assert(gmt_pcln__funcname_off(b.p) < gmt_pcln__cu_off(b.p) &&
		      gmt_pcln__cu_off(b.p) < gmt_pcln__filetab_off(b.p) &&
		      gmt_pcln__filetab_off(b.p) < gmt_pcln__pctab_off(b.p) &&
		      gmt_pcln__pctab_off(b.p) < gmt_pcln__functab_off(b.p),
		  "%s-%s: sub-tables in header order", v, f);
	if (strcmp(f, "nosh") != 0) {
		const struct gmt_elf_sec *s = gmt_elf__sec_by_name(b.e, ".gopclntab");

		if (!s)
			s = gmt_elf__sec_by_name(b.e, ".data.rel.ro.gopclntab");
		cr_assert(s && s->addr == b.loc.vaddr, "%s-%s: located at the section", v, f);
	}
	if (!go126plus) {
		/* the header's textStart is used when the caller passes 0 */
		struct gmt_pcln *p2;
		struct gmt_diag d = {0};

		cr_assert_eq(gmt_pcln__new(&b.loc, 0, &p2, &d), 0, "%s-%s: new(text 0): %s", v, f,
			     d.msg);
		cr_assert_eq(gmt_pcln__text_start(p2), b.text, "%s-%s: header textStart used", v,
			     f);
		gmt_pcln__free(p2);
	}
	bin_close(&b);
}

/* Section-less files: the scan finds the same table the section names. */
Test(pcln, scan_matches_section)
{
	for (size_t vi = 0; vi < tu_nversions; vi++) {
		struct bin s, n;

		if (!tu_has(tu_versions[vi], "nosh"))
			continue;
		bin_open(&s, tu_versions[vi], "stripped");
		bin_open(&n, tu_versions[vi], "nosh");
		cr_assert_eq(n.loc.vaddr, s.loc.vaddr, "%s: scan finds the .gopclntab address",
			     tu_versions[vi]);
		cr_assert(n.loc.size >= s.loc.size, "%s: scanned table is not cut short",
			  tu_versions[vi]);
		bin_close(&s);
		bin_close(&n);
	}
}

/* ---- 4. robustness: truncated and corrupted inputs ---- */

static void check_err(int err, const struct gmt_diag *d, const char *what, const char *ctx)
{
	cr_assert(err < 0, "%s: %s fails with a negative errno (got %d)", ctx, what, err);
	cr_assert(d->msg[0], "%s: %s leaves a message with error %d", ctx, what, err);
}

/* Drives every lookup over a (possibly corrupt) table; only crashes and bad codes fail. */
static void exercise_pcln(struct gmt_pcln *p, uint64_t *seed, const char *ctx)
{
	size_t n = gmt_pcln__nfunc(p), step = n > 600 ? n / 600 : 1;
	struct gmt_frame fr[8];
	struct gmt_func_info fi, fi2;
	int32_t delta;

	for (size_t i = 0; i < n; i += step) {
		uint64_t pcs[3];

		cr_assert_eq(gmt_pcln__func(p, i, &fi), 0, "%s: func(%zu)", ctx, i);
		cr_assert(fi.name && fi.end >= fi.entry, "%s: func(%zu) is sane", ctx, i);
		(void)strlen(fi.name);
		cr_assert_eq(gmt_pcln__func_by_name(p, fi.name, &fi2), 0,
			     "%s: func_by_name finds %zu", ctx, i);
		pcs[0] = fi.entry;
		pcs[1] = fi.entry + (fi.end - fi.entry) / 2;
		pcs[2] = rnd(seed) % 3 ? fi.entry + (rnd(seed) & 0xffff) : rnd(seed);
		for (int k = 0; k < 3; k++) {
			int r = gmt_pcln__symbolize(p, pcs[k], fr, 8);

			cr_assert(r == -ENOENT || r == -EINVAL || (r >= 1 && r <= 8),
				  "%s: symbolize returns frames, -ENOENT or -EINVAL (%d)", ctx, r);
			for (int j = 0; j < r; j++)
				cr_assert(strlen(fr[j].func) + strlen(fr[j].file) < (1u << 30),
					  "%s: frame strings are terminated", ctx);
			r = gmt_pcln__spdelta(p, pcs[k], &delta);
			cr_assert(r == 0 || r == -ENOENT || r == -EINVAL,
				  "%s: spdelta returns 0, -ENOENT or -EINVAL (%d)", ctx, r);
			r = gmt_pcln__func_by_pc(p, pcs[k], &fi2);
			cr_assert(r == 0 || r == -ENOENT, "%s: func_by_pc returns 0/-ENOENT", ctx);
		}
	}
}

/* from_mem + locate + new + lookups over a file image; returns how far it got. */
static int exercise_file(const uint8_t *buf, size_t len, uint64_t text, uint64_t gofunc,
			 uint64_t *seed, const char *ctx)
{
	struct gmt_diag d = {0};
	struct gmt_elf *e;
	struct gmt_pcln_loc loc;
	struct gmt_pcln *p;
	int err;

	err = gmt_elf__from_mem(buf, len, &e, &d);
	if (err) {
		check_err(err, &d, "gmt_elf__from_mem", ctx);
		return 0;
	}
	err = gmt_pcln__locate(e, &loc, &d);
	if (err) {
		check_err(err, &d, "gmt_pcln__locate", ctx);
		gmt_elf__free(e);
		return 1;
	}
	err = gmt_pcln__new(&loc, text, &p, &d);
	if (err) {
		check_err(err, &d, "gmt_pcln__new", ctx);
		gmt_elf__free(e);
		return 2;
	}
	gmt_pcln__set_funcdata(p, gofunc, elf_mem, e);
	exercise_pcln(p, seed, ctx);
	gmt_pcln__free(p);
	gmt_elf__free(e);
	return 3;
}

/* Copies into an allocation of exactly len bytes so that ASan sees any over-read. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	memcpy(b, src, len);
	return b;
}

/*
 * One flavour per version, so every version and every flavour is corrupted somewhere: the
 * releases with every flavour rotate through them (as the matrix of go1.19, 1.22, 1.24,
 * 1.26 and 1.27 always did); the others get exe.  Why not their stripped build: a cut
 * table reaches the lookups only when the table ends in padding, which a stripped go1.22
 * or go1.23 table does not (measured: 0 of 219 cuts get past gmt_pcln__new), so the
 * assertion below would test the binary's luck, not the reader.
 */
static struct criterion_test_params robust_params(void)
{
	static struct vf params[TU_MAX_VERSIONS];
	size_t n = 0, full = 0;

	for (size_t v = 0; v < tu_nversions; v++) {
		size_t have = 0;

		for (size_t f = 0; f < tu_nflavours; f++)
			have += tu_has(tu_versions[v], tu_flavours[f]);
		if (have == tu_nflavours)
			params[n++] = (struct vf){v, tu_flavour_index(tu_versions[v], ++full)};
		else
			params[n++] = (struct vf){v, tu_flavour_index(tu_versions[v], 0)};
	}
	return cr_make_param_array(struct vf, params, n);
}

ParameterizedTestParameters(pcln, truncated)
{
	return robust_params();
}

ParameterizedTest(struct vf *c, pcln, truncated)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	struct bin b;
	uint64_t seed = 42 + c->v, pcln_off;
	size_t reached[4] = {0};
	char ctx[256];

	bin_open(&b, v, f);
	pcln_off = b.loc.data - b.buf;
	/* whole files cut short: mostly rejected by the ELF reader, some reach the table */
	for (size_t k = 0; k <= 128; k++) {
		size_t len = k < 100 ? b.len * k / 100 : pcln_off + (b.loc.size * (k - 100)) / 28;
		uint8_t *cp = exact_copy(b.buf, len);

		snprintf(ctx, sizeof(ctx), "%s-%s cut at %zu", v, f, len);
		reached[exercise_file(cp, len, b.text, b.gofunc, &seed, ctx)]++;
		free(cp);
	}
	/* the table itself cut short, at every sub-table boundary and in between */
	{
		uint64_t marks[] = {0,
				    1,
				    7,
				    8,
				    9,
				    40,
				    63,
				    64,
				    71,
				    72,
				    73,
				    gmt_pcln__funcname_off(b.p),
				    gmt_pcln__cu_off(b.p),
				    gmt_pcln__filetab_off(b.p),
				    gmt_pcln__pctab_off(b.p),
				    gmt_pcln__functab_off(b.p),
				    gmt_pcln__functab_off(b.p) + 4,
				    gmt_pcln__functab_off(b.p) + 8 * gmt_pcln__nfunc(b.p),
				    b.loc.size - 1};
		size_t nm = sizeof(marks) / sizeof(marks[0]);

		for (size_t k = 0; k < nm + 200; k++) {
			struct gmt_pcln_loc loc = b.loc;
			struct gmt_diag d = {0};
			struct gmt_pcln *p;
			size_t len = k < nm ? marks[k] : rnd(&seed) % b.loc.size;
			uint8_t *cp = exact_copy(b.loc.data, len);
			int err;

			loc.data = cp;
			loc.size = len;
			snprintf(ctx, sizeof(ctx), "%s-%s table cut at %zu", v, f, len);
			err = gmt_pcln__new(&loc, b.text, &p, &d);
			if (err) {
				check_err(err, &d, "gmt_pcln__new", ctx);
			} else {
				gmt_pcln__set_funcdata(p, b.gofunc, elf_mem, b.e);
				exercise_pcln(p, &seed, ctx);
				gmt_pcln__free(p);
				reached[3]++;
			}
			free(cp);
		}
	}
	cr_log_info("%s-%s truncated: %zu stopped at elf, %zu at locate, %zu at new, %zu looked up",
		    v, f, reached[0], reached[1], reached[2], reached[3]);
	cr_assert(reached[0] && reached[3],
		  "%s-%s: truncations hit both early rejection and "
		  "full lookups (%zu elf, %zu locate, %zu new, %zu lookups)",
		  v, f, reached[0], reached[1], reached[2], reached[3]);
	bin_close(&b);
}

ParameterizedTestParameters(pcln, bitflips)
{
	return robust_params();
}

ParameterizedTest(struct vf *c, pcln, bitflips)
{
	const char *v = tu_versions[c->v], *f = tu_flavours[c->f];
	struct bin b;
	size_t reached[4] = {0}, pcln_off, pclen, gofunc_off = 0;
	uint64_t hdrlen;
	char ctx[256];

	bin_open(&b, v, f);
	pcln_off = b.loc.data - b.buf;
	pclen = b.loc.size;
	{
		const struct gmt_elf_sec *s = gmt_elf__sec_by_name(b.e, ".gopclntab");

		if (!s)
			s = gmt_elf__sec_by_name(b.e, ".data.rel.ro.gopclntab");
		if (s)
			pclen = s->size;
	}
	hdrlen = gmt_pcln__functab_off(b.p) + 8 * gmt_pcln__nfunc(b.p) + 4;
	{
		uint64_t off;

		if (gmt_elf__vaddr_to_off(b.e, b.gofunc, &off) == 0)
			gofunc_off = off;
	}
	for (uint64_t s = 1; s <= 400; s++) {
		uint64_t seed = s * 7919 + c->v;
		uint8_t *cp = exact_copy(b.buf, b.len);
		int flips = 1 + rnd(&seed) % 8;

		for (int i = 0; i < flips; i++) {
			uint64_t r = rnd(&seed), where;

			switch (r % 8) {
			case 0: /* the header */
				where = pcln_off + rnd(&seed) % 72;
				break;
			case 1:
			case 2: /* header and functab */
				where = pcln_off + rnd(&seed) % hdrlen;
				break;
			case 3: /* inline trees */
				if (gofunc_off) {
					where = gofunc_off + rnd(&seed) % 0x4000;
					break;
				}
				/* fallthrough */
			default: /* anywhere in the table */
				where = pcln_off + rnd(&seed) % pclen;
			}
			if (where >= b.len)
				continue;
			if (r & 0x100)
				cp[where] ^= 1u << (rnd(&seed) % 8);
			else
				cp[where] = rnd(&seed);
		}
		snprintf(ctx, sizeof(ctx), "%s-%s flip seed %lu", v, f, s);
		reached[exercise_file(cp, b.len, b.text, b.gofunc, &seed, ctx)]++;
		free(cp);
	}
	cr_log_info("%s-%s bit flips: %zu stopped at elf, %zu at locate, %zu at new, %zu looked up",
		    v, f, reached[0], reached[1], reached[2], reached[3]);
	cr_assert(reached[2] && reached[3],
		  "%s-%s: corruptions are both rejected and survived "
		  "(%zu elf, %zu locate, %zu new, %zu lookups)",
		  v, f, reached[0], reached[1], reached[2], reached[3]);
	bin_close(&b);
}

/* Specific header and table corruptions give -EINVAL / -ENOTSUP and say why. */
Test(pcln, rejects_bad_tables)
{
	struct bin b;
	struct {
		const char *what;
		size_t off;
		unsigned width;
		uint64_t val;
		int err;
	} cases[] = {
	    {"pad byte", 4, 1, 1, -EINVAL},
	    {"pc quantum 3", 6, 1, 3, -EINVAL},
	    {"pointer size 2", 7, 1, 2, -EINVAL},
	    {"unknown magic", 0, 4, 0xfffffff2, -EINVAL},
	    {"nfunc huge", 8, 8, 1ull << 40, -EINVAL},
	    {"nfunc past the end", 8, 8, 1u << 24, -EINVAL},
	    {"funcname after cu", 32, 8, 1u << 30, -EINVAL},
	    {"pcln offset past the end", 64, 8, 1ull << 40, -EINVAL},
	    {"cu offset before the header", 40, 8, 8, -EINVAL},
	};
	struct gmt_diag d;
	struct gmt_pcln *p;
	struct gmt_pcln_loc loc;
	uint8_t *cp;
	uint64_t ftab, funcoff;

	bin_open(&b, "go122", "exe");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp = exact_copy(b.loc.data, b.loc.size);
		memcpy(cp + cases[i].off, &cases[i].val, cases[i].width);
		loc = b.loc;
		loc.data = cp;
		memset(&d, 0, sizeof(d));
		cr_assert_eq(gmt_pcln__new(&loc, b.text, &p, &d), cases[i].err,
			     "%s is rejected with %d", cases[i].what, cases[i].err);
		cr_assert(d.msg[0], "%s: message given", cases[i].what);
		cr_assert_null(p, "%s: no table returned", cases[i].what);
		free(cp);
	}

	/* per-function fields: the 5th function's _func */
	ftab = gmt_pcln__functab_off(b.p);
	memcpy(&funcoff, b.loc.data + ftab + 5 * 8 + 4, 4);
	funcoff &= 0xffffffff;
	{
		struct {
			const char *what;
			uint64_t off;
			uint32_t val;
		} fcases[] = {
		    {"functab funcoff outside", ftab + 5 * 8 + 4, 0x7fffffff},
		    {"functab entries unsorted", ftab + 5 * 8, 0x7fffffff},
		    {"_func entry differs", ftab + funcoff, 0x12345},
		    {"_func nameOff outside", ftab + funcoff + 4, 0x7fffffff},
		    {"_func pcsp outside", ftab + funcoff + 16, 0x7fffffff},
		    {"_func pcln outside", ftab + funcoff + 24, 0x7fffffff},
		    {"_func npcdata huge", ftab + funcoff + 28, 0x7fffffff},
		    {"_func cuOffset outside", ftab + funcoff + 32, 0x7ffffff0},
		};

		for (size_t i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
			cp = exact_copy(b.loc.data, b.loc.size);
			memcpy(cp + fcases[i].off, &fcases[i].val, 4);
			loc = b.loc;
			loc.data = cp;
			memset(&d, 0, sizeof(d));
			cr_assert_eq(gmt_pcln__new(&loc, b.text, &p, &d), -EINVAL, "%s is rejected",
				     fcases[i].what);
			cr_assert(d.msg[0], "%s: message given", fcases[i].what);
			free(cp);
		}
	}
	bin_close(&b);

	/* go1.2-1.15: recognised, refused */
	{
		uint64_t t12[8] = {
		    0x08010000fffffffbull, 2, 0x401000, 0x30, 0x401100, 0x38, 0x401200, 0};

		loc = (struct gmt_pcln_loc){.data = (uint8_t *)t12, .size = sizeof(t12)};
		memset(&d, 0, sizeof(d));
		cr_assert_eq(gmt_pcln__new(&loc, 0, &p, &d), -ENOTSUP, "a go1.2 table is -ENOTSUP");
		cr_assert(strstr(d.msg, "1.2"), "the message names the format: %s", d.msg);
	}

	/*
	 * go1.26 left textStart 0: without the caller's text start the index holds offsets
	 * from text until gmt_pcln__set_text_start() (how gobin opens section-less files:
	 * moduledata, which gives text, is found with the header offsets).
	 */
	bin_open(&b, "go126", "nosh");
	{
		struct gmt_func_info fi, want;
		struct gmt_frame fr[MAX_FRAMES], wfr[MAX_FRAMES];
		int n;

		memset(&d, 0, sizeof(d));
		cr_assert_eq(gmt_pcln__new(&b.loc, 0, &p, &d), 0, "go1.26 indexes without text: %s",
			     d.msg);
		cr_assert_eq(gmt_pcln__text_start(p), 0, "text start reported unknown");
		cr_assert_eq(gmt_pcln__func_by_name(b.p, "main.outer", &want), 0, "main.outer");
		cr_assert_eq(gmt_pcln__func_by_name(p, "main.outer", &fi), 0, "main.outer (0)");
		cr_assert_eq(fi.entry, want.entry - b.text, "entries are offsets from text");
		cr_assert_eq(gmt_pcln__set_text_start(p, b.text), 0, "rebase");
		cr_assert_eq(gmt_pcln__text_start(p), b.text, "text start after rebase");
		for (size_t i = 0; i < gmt_pcln__nfunc(p); i++) {
			gmt_pcln__func(p, i, &fi);
			gmt_pcln__func(b.p, i, &want);
			cr_assert(fi.entry == want.entry && fi.end == want.end,
				  "%s: rebased entry and end", fi.name);
		}
		gmt_pcln__set_funcdata(p, b.gofunc, elf_mem, b.e);
		gmt_pcln__func_by_name(b.p, "main.outer", &want);
		for (uint64_t a = want.entry; a < want.end; a++) {
			n = gmt_pcln__symbolize(p, a, fr, MAX_FRAMES);
			cr_assert_eq(n, gmt_pcln__symbolize(b.p, a, wfr, MAX_FRAMES),
				     "rebased chain depth at %#lx", a);
			for (int j = 0; j < n; j++)
				cr_assert(strcmp(fr[j].func, wfr[j].func) == 0 &&
					      fr[j].line == wfr[j].line,
					  "rebased frame %d at %#lx", j, a);
		}
		cr_assert_eq(gmt_pcln__set_text_start(p, 0), -EINVAL, "rebase on 0 is refused");
		gmt_pcln__free(p);
	}
	bin_close(&b);

	/* not a Go binary */
	{
		size_t len;
		uint8_t *buf = tu_read_file("/bin/true", &len);
		struct gmt_elf *e;

		memset(&d, 0, sizeof(d));
		cr_assert_eq(gmt_elf__from_mem(buf, len, &e, &d), 0, "/bin/true parses");
		cr_assert_eq(gmt_pcln__locate(e, &loc, &d), -ENOENT,
			     "/bin/true has no pclntab: -ENOENT");
		cr_assert(d.msg[0], "-ENOENT comes with a message");
		gmt_elf__free(e);
		free(buf);
	}
}

/*
 * Every function pointing its pc tables at one long run of zero pc deltas: a naive index
 * would walk the run once per function (quadratic); the step bound keeps it linear.
 */
Test(pcln, hostile_shared_tables_stay_linear, .timeout = 5)
{
	struct bin b;
	struct gmt_pcln_loc loc;
	struct gmt_pcln *p;
	struct gmt_diag d = {0};
	uint8_t *cp;
	uint64_t ftab, pctab, run = 1 << 18, seed = 7;
	size_t n;
	int err;

	bin_open(&b, "go124", "exe");
	cp = exact_copy(b.loc.data, b.loc.size);
	ftab = gmt_pcln__functab_off(b.p);
	pctab = gmt_pcln__pctab_off(b.p);
	n = gmt_pcln__nfunc(b.p);
	if (run > ((ftab - pctab - 4) & ~1ull))
		run = (ftab - pctab - 4) & ~1ull;
	for (uint64_t i = 0; i < run; i += 2) { /* value +1, pc +0 */
		cp[pctab + 1 + i] = 2;
		cp[pctab + 2 + i] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t funcoff = get32(cp + ftab + 8 * i + 4), one = 1;

		for (int t = 0; t < 3; t++) /* pcsp, pcfile, pcln */
			memcpy(cp + ftab + funcoff + 16 + 4 * t, &one, 4);
	}
	loc = b.loc;
	loc.data = cp;
	err = gmt_pcln__new(&loc, b.text, &p, &d);
	cr_assert(err == 0 || (err == -EINVAL && d.msg[0]), "hostile tables index or fail (%d)",
		  err);
	if (!err) {
		exercise_pcln(p, &seed, "hostile shared tables");
		gmt_pcln__free(p);
	}
	free(cp);
	bin_close(&b);
}

/* ---- go1.16: a table converted from go1.19's, checked against the original ---- */

/*
 * go1.16 differs from go1.18 in the header (no textStart), in functab ({entry, funcoff}
 * uintptrs, absolute), in _func.entry (an absolute uintptr) and in funcdata (absolute,
 * pointer-aligned pointers instead of u32 offsets from gofunc).  The inline tree record
 * (20 bytes) and the pc-value tables are the same, so a faithful conversion must
 * symbolize exactly like the original.
 */
static uint8_t *to_go116(const struct bin *b, uint64_t vaddr, size_t *outlen)
{
	const uint8_t *src = b->loc.data;
	uint64_t nfunc = gmt_pcln__nfunc(b->p), off_pcln = gmt_pcln__functab_off(b->p);
	uint64_t new_pcln = off_pcln - 8, ftab_sz = (2 * nfunc + 1) * 8;
	size_t cap = new_pcln + ftab_sz + (b->loc.size - off_pcln) * 2 + 64, pos;
	uint8_t *dst = calloc(1, cap);
	const uint64_t hdr_old[] = {32, 40, 48, 56, 64};

	cr_assert_eq(new_pcln % 8, 0, "pclntable stays 8-aligned");
	memcpy(dst, src, 8);
	put64(dst, 0xfffffffa | ((uint64_t)get32(src + 4) << 32));
	memcpy(dst + 8, src + 8, 16); /* nfunc, nfiles */
	for (int i = 0; i < 5; i++) {
		uint64_t o;

		memcpy(&o, src + hdr_old[i], 8);
		put64(dst + 24 + 8 * i, o - 8);
	}
	memcpy(dst + 64, src + 72, off_pcln - 72);
	pos = new_pcln + ftab_sz;
	for (uint64_t i = 0; i <= nfunc; i++) {
		const uint8_t *e = src + off_pcln + 8 * i;
		uint64_t entry = gmt_pcln__text_start(b->p) + get32(e);
		const uint8_t *f;
		uint32_t npcdata, nfuncdata;

		put64(dst + new_pcln + 16 * i, entry);
		if (i == nfunc)
			break;
		f = src + off_pcln + get32(e + 4);
		npcdata = get32(f + 28);
		nfuncdata = f[39];
		pos = (pos + 7) & ~7ull;
		put64(dst + new_pcln + 16 * i + 8, pos - new_pcln);
		put64(dst + pos, entry);
		memcpy(dst + pos + 8, f + 4, 36 + 4 * npcdata);
		pos += 8 + 36 + 4 * npcdata;
		if ((vaddr + pos) & 4)
			pos += 4;
		for (uint32_t k = 0; k < nfuncdata; k++) {
			uint32_t o = get32(f + 40 + 4 * npcdata + 4 * k);

			put64(dst + pos, o == 0xffffffff ? 0 : b->gofunc + o);
			pos += 8;
		}
		cr_assert(pos < cap, "conversion fits");
	}
	*outlen = pos;
	return dst;
}

Test(pcln, go116_layout)
{
	struct bin b;
	struct gmt_pcln_loc loc;
	struct gmt_pcln *p;
	struct gmt_diag d = {0};
	uint64_t seed = 116, vaddr = 0x7000000;
	size_t len, inl = 0;
	uint8_t *t16;

	bin_open(&b, "go119", "exe");
	t16 = to_go116(&b, vaddr, &len);
	loc = (struct gmt_pcln_loc){.data = exact_copy(t16, len), .size = len, .vaddr = vaddr};
	free(t16);
	/* the text start argument does not apply to absolute go1.16 entries */
	cr_assert_eq(gmt_pcln__new(&loc, 0xdead000, &p, &d), 0, "go1.16 table indexes: %s", d.msg);
	gmt_pcln__set_funcdata(p, 0, elf_mem, b.e);
	cr_assert_eq(gmt_pcln__version(p), GMT_PCLN_116, "version 116");
	cr_assert_eq(gmt_pcln__nfunc(p), gmt_pcln__nfunc(b.p), "same function count");
	for (size_t i = 0; i < gmt_pcln__nfunc(p); i++) {
		struct gmt_func_info a, c;
		uint64_t pcs[4];

		gmt_pcln__func(b.p, i, &a);
		gmt_pcln__func(p, i, &c);
		cr_assert_str_eq(c.name, a.name, "function %zu name", i);
		cr_assert(c.entry == a.entry && c.end == a.end && c.funcid == a.funcid,
			  "%s: entry, end and funcID agree", a.name);
		pcs[0] = a.entry;
		for (int k = 1; k < 4; k++)
			pcs[k] = a.entry + (a.end > a.entry ? rnd(&seed) % (a.end - a.entry) : 0);
		for (int k = 0; k < 4; k++) {
			struct gmt_frame fa[MAX_FRAMES], fc[MAX_FRAMES];
			int na = gmt_pcln__symbolize(b.p, pcs[k], fa, MAX_FRAMES);
			int nc = gmt_pcln__symbolize(p, pcs[k], fc, MAX_FRAMES);
			int32_t da = -1, dc = -2;

			cr_assert_eq(nc, na, "%s+%#lx: same chain depth", a.name, pcs[k] - a.entry);
			for (int j = 0; j < na; j++) {
				cr_assert_str_eq(fc[j].func, fa[j].func, "%s: frame %d", a.name, j);
				cr_assert_str_eq(fc[j].file, fa[j].file, "%s: file %d", a.name, j);
				cr_assert_eq(fc[j].line, fa[j].line, "%s: line %d", a.name, j);
			}
			inl += na > 1;
			cr_assert_eq(gmt_pcln__spdelta(p, pcs[k], &dc),
				     gmt_pcln__spdelta(b.p, pcs[k], &da), "%s: spdelta status",
				     a.name);
			if (da != -1)
				cr_assert_eq(dc, da, "%s: spdelta", a.name);
		}
	}
	cr_assert(inl > 50, "inlined pcs compared (%zu)", inl);
	gmt_pcln__free(p);
	free((void *)loc.data);
	bin_close(&b);
}
