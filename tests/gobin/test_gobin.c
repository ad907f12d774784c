// SPDX-License-Identifier: MIT
/* The assembled Go-binary reader: version, flags, moduledata, type names, hook plan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "gobin.h"
#include "hookplan.h"
#include "release.h"
#include "testutil.h"

static unsigned long long nm_addr(const char *path, const char *sym)
{
	char *out = tu_run("%s tool nm %s | awk '$3 == \"%s\" {print $1}'", tu_go(), path, sym);
	unsigned long long a = 0;

	cr_assert_eq(sscanf(out, "%llx", &a), 1, "%s: nm has %s", path, sym);
	free(out);
	return a;
}

static char *go_version_of(const char *path)
{
	char *out = tu_run("%s version %s | sed 's/^[^:]*: //; s/[ -]X:.*//'", tu_go(), path);

	out[strcspn(out, "\n")] = 0;
	return out;
}

/* Section addresses, as readelf prints them, of the sections moduledata points at. */
struct sections {
	unsigned long long text, noptrdata, data, bss, noptrbss;
};

static void readelf_sections(const char *path, struct sections *s)
{
	char *out = tu_run("readelf -SW %s | sed 's/^ *\\[ *[0-9]*\\]//' | "
			   "awk '$1 == \".text\" || $1 == \".noptrdata\" || $1 == \".data\" || "
			   "$1 == \".bss\" || $1 == \".noptrbss\" {print $1, $3}'",
			   path);
	char name[32];
	unsigned long long a;
	int n = 0;

	memset(s, 0, sizeof(*s));
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		cr_assert_eq(sscanf(line, "%31s %llx", name, &a), 2);
		n++;
		if (!strcmp(name, ".text"))
			s->text = a;
		else if (!strcmp(name, ".noptrdata"))
			s->noptrdata = a;
		else if (!strcmp(name, ".data"))
			s->data = a;
		else if (!strcmp(name, ".bss"))
			s->bss = a;
		else
			s->noptrbss = a;
	}
	cr_assert_eq(n, 5, "%s: readelf lists the five sections", path);
	free(out);
}

Test(gobin, every_fixture_reads)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		char *want = go_version_of(tu_fixture("demo", tu_versions[v], "exe"));

		for (size_t f = 0; f < tu_nflavours; f++) {
			if (!tu_has(tu_versions[v], tu_flavours[f]))
				continue;
			const char *fl = tu_flavours[f];
			const char *path = tu_fixture("demo", tu_versions[v], fl);
			bool pie = strcmp(fl, "pie") == 0, nosh = strcmp(fl, "nosh") == 0;
			bool stripped = strcmp(fl, "stripped") == 0 || nosh;
			struct gmt_diag d = {};
			struct gmt_gobin *gb;
			struct gmt_release rel;
			struct sections sec;

			cr_assert_eq(gmt_gobin__open(path, &gb, &d), 0, "%s: %s", path, d.msg);
			cr_assert_str_eq(gb->version, want, "%s: version", path);
			cr_assert_eq(gb->version_source, GMT_VERSION_BUILDINFO, "%s", path);
			cr_assert_eq(gb->pie, pie, "%s: pie", path);
			cr_assert_eq(gb->stripped, stripped, "%s: stripped", path);
			cr_assert_eq(gb->no_section_headers, nosh, "%s: section headers", path);
			cr_assert_not(gb->cgo, "%s: not cgo", path);
			cr_assert_eq(gb->ptrsize, 8);
			cr_assert(gb->has_md, "%s: moduledata found", path);
			/* Unstripped: the symbol.  Stripping moves data, so for stripped builds
			 * the oracle is the sections the struct must point at (nosh: those of
			 * its stripped twin, the same bytes with section headers). */
			if (!stripped)
				cr_assert_eq(gb->md.addr, nm_addr(path, "runtime.firstmoduledata"),
					     "%s: moduledata at runtime.firstmoduledata", path);
			readelf_sections(nosh ? tu_fixture("demo", tu_versions[v], "stripped") : path,
					 &sec);
			cr_assert_eq(gb->md.text, sec.text, "%s: moduledata.text is .text", path);
			cr_assert_eq(gb->md.noptrdata, sec.noptrdata, "%s: .noptrdata", path);
			cr_assert_eq(gb->md.data, sec.data, "%s: .data", path);
			cr_assert_eq(gb->md.bss, sec.bss, "%s: .bss", path);
			cr_assert_eq(gb->md.noptrbss, sec.noptrbss, "%s: .noptrbss", path);
			cr_assert_eq(gmt_release_resolve(gb, &rel, &d), 0, "%s: %s", path, d.msg);
			gmt_gobin__free(gb);
		}
		free(want);
	}
}

Test(gobin, cgo_binary)
{
	struct gmt_gobin *gb;

	cr_assert_eq(gmt_gobin__open(tu_fixture("cgo", "go126", "exe"), &gb, NULL), 0);
	cr_assert(gb->cgo, "cgo fixture detected as cgo");
	cr_assert(gb->has_md);
	gmt_gobin__free(gb);
}

/* Writes a copy of path with every `from` replaced by `to` (same length). */
static const char *patched_copy(const char *path, const void *from, const void *to, size_t n)
{
	static char out[] = "/tmp/gmt-patched-XXXXXX";
	size_t len;
	uint8_t *buf = tu_read_file(path, &len);
	uint8_t *hit = memmem(buf, len, from, n);
	int fd;

	cr_assert_not_null(hit, "%s contains the bytes to patch", path);
	for (; hit; hit = memmem(hit + n, len - (hit + n - buf), from, n))
		memcpy(hit, to, n);
	strcpy(out, "/tmp/gmt-patched-XXXXXX");
	fd = mkstemp(out);
	cr_assert(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	free(buf);
	return out;
}

/* Without .go.buildinfo the version comes from runtime.buildVersion via schedinit. */
Test(gobin, version_without_buildinfo)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		for (size_t f = 0; f < tu_nflavours; f++) {
			if (!tu_has(tu_versions[v], tu_flavours[f]))
				continue;
			const char *path = tu_fixture("demo", tu_versions[v], tu_flavours[f]);
			const char *copy = patched_copy(path, "\xff Go buildinf:", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14);
			char *want = go_version_of(path);
			struct gmt_diag d = {};
			struct gmt_gobin *gb;

			cr_assert_eq(gmt_gobin__open(copy, &gb, &d), 0, "%s: %s", copy, d.msg);
			cr_assert_eq(gb->version_source, GMT_VERSION_BUILDVERSION,
				     "%s (%s): version from runtime.buildVersion", path, tu_flavours[f]);
			cr_assert_str_eq(gb->version, want, "%s: version", path);
			gmt_gobin__free(gb);
			unlink(copy);
			free(want);
		}
	}
}

Test(gobin, unsupported_version_is_refused_clearly)
{
	const char *path = tu_fixture("demo", "go119", "stripped");
	char *ver = go_version_of(path); /* go1.19.x */
	char old[64];
	struct gmt_diag d = {};
	struct gmt_gobin *gb;
	struct gmt_release rel;
	const char *copy;

	cr_assert(strncmp(ver, "go1.19", 6) == 0);
	snprintf(old, sizeof(old), "%s", ver);
	old[5] = '7'; /* go1.17.x: same length, a release the tracer does not know */
	copy = patched_copy(path, ver, old, strlen(ver));
	cr_assert_eq(gmt_gobin__open(copy, &gb, &d), 0, "%s", d.msg);
	cr_assert_eq(gmt_release_resolve(gb, &rel, &d), -ENOTSUP);
	cr_assert(strstr(d.msg, old) && strstr(d.msg, "not supported"), "message: %s", d.msg);
	gmt_gobin__free(gb);
	unlink(copy);
	free(ver);
}

Test(gobin, non_go_files_are_refused)
{
	struct gmt_diag d = {};
	struct gmt_gobin *gb;

	cr_assert_eq(gmt_gobin__open("/bin/ls", &gb, &d), -ENOEXEC, "/bin/ls");
	cr_assert(strstr(d.msg, "not a Go binary"), "message: %s", d.msg);
	cr_assert_eq(gmt_gobin__open("/etc/passwd", &gb, &d), -ENOEXEC, "/etc/passwd");
	cr_assert(strstr(d.msg, "not an ELF file"), "message: %s", d.msg);
	cr_assert_eq(gmt_gobin__open_pid(0x7ffffff0, &gb, &d), -ESRCH, "missing PID");
	cr_assert(strstr(d.msg, "no process"), "message: %s", d.msg);
	cr_assert_eq(gmt_gobin__open_pid(2, &gb, &d), -ENOEXEC, "kthreadd has no executable");
}

/*
 * Type names: the symbols fixture prints the *_type word of interfaces holding values
 * of many kinds of types, with reflect's name for each; we must name them the same,
 * in every flavour (the load bias of PIE runs comes from main.outer's address).
 */
Test(gobin, type_names_match_reflect)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		for (size_t f = 0; f < tu_nflavours; f++) {
			if (!tu_has(tu_versions[v], tu_flavours[f]))
				continue;
			const char *path = tu_fixture("symbols", tu_versions[v], tu_flavours[f]);
			char *out = tu_run("%s", path), *save = NULL;
			unsigned long long anchor = 0;
			struct gmt_func_info outer;
			struct gmt_gobin *gb;
			int n = 0;

			cr_assert_eq(gmt_gobin__open(path, &gb, NULL), 0, "%s", path);
			cr_assert_eq(gmt_pcln__func_by_name(gb->pcln, "main.outer", &outer), 0);
			for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				unsigned long long addr;
				char got[256];
				struct gmt_type_info ti;

				if (sscanf(l, "anchor %llx", &anchor) == 1 || strncmp(l, "type ", 5))
					continue;
				cr_assert_eq(sscanf(l, "type %llx", &addr), 1);
				cr_assert_neq(anchor, 0);
				addr -= anchor - outer.entry;
				cr_assert_eq(gmt_gobin__type_name(gb, addr, got, sizeof(got)), 0,
					     "%s: type at %#llx", path, addr);
				cr_assert_str_eq(got, strchr(l + 5, ' ') + 1, "%s: %s", path, l);
				cr_assert_eq(gmt_gobin__type_info(gb, addr, &ti), 0);
				if (!strcmp(got, "[4]uint8"))
					cr_assert(ti.size == 4 && ti.ptrbytes == 0, "%s: [4]uint8 size", path);
				if (!strcmp(got, "*main.T"))
					cr_assert(ti.size == 8 && ti.ptrbytes == 8, "%s: *main.T size", path);
				n++;
			}
			cr_assert_eq(n, 15, "%s: every type the fixture printed was checked", path);
			cr_assert_eq(gmt_gobin__type_name(gb, gb->md.types - 8, (char[8]){}, 8), -ENOENT,
				     "an address outside the type section is refused");
			gmt_gobin__free(gb);
			free(out);
		}
	}
}

static int count_nm(const char *path, const char *ere)
{
	char *out = tu_run("%s tool nm %s | awk '{print $3}' | grep -cE '%s' || true", tu_go(),
			   path, ere);
	int n = atoi(out);

	free(out);
	return n;
}

/* The hook plan: every probe lands on the instruction it claims, by file offset. */
static void check_plan(const char *path, int want_sc)
{
	struct gmt_hookplan plan;
	struct gmt_diag d = {};
	struct gmt_gobin *gb;
	const struct gmt_hook *h;
	size_t len;
	uint8_t *file = tu_read_file(path, &len);
	int sc = 0;

	cr_assert_eq(gmt_gobin__open(path, &gb, &d), 0, "%s: %s", path, d.msg);
	cr_assert_eq(gmt_hookplan_build(gb, tu_release(gb), &plan, &d), 0, "%s: %s", path, d.msg);
	cr_assert_eq(plan.nmissing, 0, "%s: nothing missing (first: %s: %s)", path,
		     plan.nmissing ? plan.missing[0].function : "",
		     plan.nmissing ? plan.missing[0].reason : "");
	for (enum gmt_hook_id id = GMT_HOOK_MALLOCGC; id < GMT_HOOK__COUNT; id++) {
		if (id == GMT_HOOK_MALLOC_SC || id == GMT_HOOK_STOPTHEWORLD)
			continue;
		cr_assert_not_null(gmt_hookplan_find(&plan, id), "%s: hook %d planned", path, id);
	}
	h = gmt_hookplan_find(&plan, GMT_HOOK_MALLOCGC);
	cr_assert(h->stack_check && h->emulated, "%s: mallocgc probed on its stack check", path);
	for (size_t i = 0; i < plan.nhooks; i++) {
		h = &plan.hooks[i];
		cr_assert_lt(h->probe_offset, len);
		if (h->stack_check) {
			const uint8_t *p = file + h->probe_offset;

			cr_assert(p[0] == 0x76 || (p[0] == 0x0f && p[1] == 0x86),
				  "%s: %s: a jbe at file offset %#llx", path, h->function,
				  (unsigned long long)h->probe_offset);
		}
		if (h->id == GMT_HOOK_NEWPROC1_RET)
			cr_assert_eq(file[h->probe_offset], 0xc3, "%s: newproc1 RET", path);
		if (h->id == GMT_HOOK_NEWPROC_RUNQPUT)
			cr_assert(file[h->probe_offset] == 0xe8 && h->emulated,
				  "%s: the CALL of runqput after newproc1 (emulated)", path);
		sc += h->id == GMT_HOOK_MALLOC_SC;
	}
	cr_assert_eq(sc, want_sc, "%s: size-specialized allocators probed", path);
	cr_assert_eq(plan.size_specialized, want_sc > 0);
	gmt_hookplan_free(&plan);
	gmt_gobin__free(gb);
	free(file);
}

Test(gobin, hook_plan)
{
	const char *sc_ere = "^runtime\\.mallocgc(TinySize|TinySC|SmallNoScanSC|SmallScanNoHeaderSC)[0-9]+$";

	for (size_t v = 0; v < tu_nversions; v++) {
		int want = count_nm(tu_fixture("demo", tu_versions[v], "exe"), sc_ere);

		cr_assert_eq(want > 0, strcmp(tu_versions[v], "go127") == 0,
			     "only go1.27 has size-specialized allocators by default");
		for (size_t f = 0; f < tu_nflavours; f++)
			if (tu_has(tu_versions[v], tu_flavours[f]))
				check_plan(tu_fixture("demo", tu_versions[v], tu_flavours[f]), want);
	}
	check_plan(tu_fixture("demo", "go126", "exp"),
		   count_nm(tu_fixture("demo", "go126", "exp"), sc_ere));
}
