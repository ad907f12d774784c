// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "elf_file.h"
#include "testutil.h"

Test(elf, rejects_non_elf_with_message)
{
	static const char text[] = "#!/bin/sh\necho hello\n";
	struct gmt_diag d = {};
	struct gmt_elf *e;

	cr_assert_eq(gmt_elf__from_mem(text, sizeof(text), &e, &d), -ENOEXEC, "shell script");
	cr_assert_str_eq(d.msg, "not an ELF file");
	cr_assert_eq(gmt_elf__from_mem(text, 0, &e, &d), -ENOEXEC, "empty buffer");
	cr_assert_null(e);
}

Test(elf, rejects_32bit_and_truncated_headers)
{
	uint8_t h[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, 1 };
	struct gmt_diag d = {};
	struct gmt_elf *e;

	cr_assert_eq(gmt_elf__from_mem(h, sizeof(h), &e, &d), -ENOTSUP, "ELFCLASS32");
	cr_assert(strstr(d.msg, "32-bit"), "message says why: %s", d.msg);
	h[EI_CLASS] = ELFCLASS64;
	cr_assert_eq(gmt_elf__from_mem(h, 40, &e, &d), -EINVAL, "header cut at 40 bytes");
}

Test(elf, open_missing_file_names_it)
{
	struct gmt_diag d = {};
	struct gmt_elf *e;

	cr_assert_eq(gmt_elf__open("/nonexistent/gmt", &e, &d), -ENOENT);
	cr_assert(strstr(d.msg, "/nonexistent/gmt"), "message names the path: %s", d.msg);
}

/* Sections and segments agree with readelf on every fixture flavour. */
Test(elf, sections_and_offsets_match_readelf)
{
	for (size_t v = 0; v < tu_nversions; v++) {
		for (size_t fl = 0; fl < tu_nflavours; fl++) {
			if (!tu_has(tu_versions[v], tu_flavours[fl]))
				continue;
			const char *path = tu_fixture("demo", tu_versions[v], tu_flavours[fl]);
			struct gmt_diag d = {};
			struct gmt_elf *e;
			char *out;
			unsigned long long addr, off;
			const struct gmt_elf_sec *s;
			uint64_t got;

			cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s: %s", path, d.msg);
			if (strcmp(tu_flavours[fl], "nosh") == 0) {
				cr_assert_eq(gmt_elf__nsecs(e), 0, "%s: no section headers", path);
				cr_assert_gt(gmt_elf__nsegs(e), 2, "%s: segments remain", path);
				gmt_elf__free(e);
				continue;
			}
			out = tu_run("readelf -SW %s | sed 's/^ *\\[ *[0-9]*\\]//' | "
				     "awk '$1 ~ /^(.data.rel.ro)?.gopclntab$/ {print $3, $4}'",
				     path);
			cr_assert_eq(sscanf(out, "%llx %llx", &addr, &off), 2, "%s: readelf", path);
			/* PIE builds before go1.26 name it .data.rel.ro.gopclntab */
			s = gmt_elf__sec_by_name(e, ".gopclntab");
			if (!s)
				s = gmt_elf__sec_by_name(e, ".data.rel.ro.gopclntab");
			cr_assert_not_null(s, "%s: .gopclntab found", path);
			cr_assert_eq(s->addr, addr, "%s: .gopclntab address", path);
			cr_assert_eq(gmt_elf__vaddr_to_off(e, addr, &got), 0);
			cr_assert_eq(got, off, "%s: file offset of .gopclntab (%#llx vs %#llx)", path,
				     (unsigned long long)got, off);
			cr_assert_eq(gmt_elf__type(e),
				     strcmp(tu_flavours[fl], "pie") == 0 ? ET_DYN : ET_EXEC,
				     "%s: ELF type", path);
			free(out);
			gmt_elf__free(e);
		}
	}
}

/* In PIE files pointers live in RELATIVE relocations; read_ptr must apply them. */
Test(elf, pie_pointer_comes_from_relocation)
{
	const char *path = tu_fixture("demo", "go126", "pie");
	struct gmt_diag d = {};
	struct gmt_elf_sym sym;
	struct gmt_elf *e;
	const struct gmt_elf_sec *pcln;
	uint64_t v;

	cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s", d.msg);
	cr_assert_eq(gmt_elf__sym_by_name(e, "runtime.firstmoduledata", &sym), 0);
	pcln = gmt_elf__sec_by_name(e, ".gopclntab");
	cr_assert_not_null(pcln, "go1.26 PIE names it .gopclntab");
	cr_assert_eq(gmt_elf__read_ptr(e, sym.value, &v), 0);
	cr_assert_eq(v, pcln->addr, "moduledata.pcHeader (%#llx) points at .gopclntab (%#llx)",
		     (unsigned long long)v, (unsigned long long)pcln->addr);
	gmt_elf__free(e);
}

Test(elf, symbols_match_go_tool_nm)
{
	const char *path = tu_fixture("demo", "go124", "exe");
	char *out = tu_run("%s tool nm %s | awk '$3 == \"runtime.mallocgc\" || $3 == "
			   "\"main.parseLine\" {print $3, $1}'",
			   tu_go(), path);
	struct gmt_diag d = {};
	struct gmt_elf *e;
	int n = 0;

	cr_assert_eq(gmt_elf__open(path, &e, &d), 0, "%s", d.msg);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char name[128];
		unsigned long long addr;
		struct gmt_elf_sym sym;

		cr_assert_eq(sscanf(line, "%127s %llx", name, &addr), 2);
		cr_assert_eq(gmt_elf__sym_by_name(e, name, &sym), 0, "%s in .symtab", name);
		cr_assert_eq(sym.value, addr, "%s address", name);
		n++;
	}
	cr_assert_eq(n, 2, "both symbols listed by nm");
	cr_assert_eq(gmt_elf__sym_by_name(e, "no.such.symbol", &(struct gmt_elf_sym){}), -ENOENT);
	gmt_elf__free(e);
	free(out);
}

/* Every prefix of a real binary: parse or fail cleanly, never read outside the buffer. */
Test(elf, truncated_copies_fail_cleanly)
{
	size_t len;
	uint8_t *buf = tu_read_file(tu_fixture("demo", "go122", "pie"), &len);

	for (size_t cut = 0; cut < len; cut = cut < 4096 ? cut + 7 : cut * 5 / 4) {
		uint8_t *copy = malloc(cut ? cut : 1);
		struct gmt_diag d = {};
		struct gmt_elf *e;
		int err;

		memcpy(copy, buf, cut);
		err = gmt_elf__from_mem(copy, cut, &e, &d);
		if (err) {
			cr_assert_lt(err, 0, "cut %zu: negative errno", cut);
			cr_assert_neq(d.msg[0], 0, "cut %zu: a message", cut);
		} else {
			uint64_t v;

			for (uint64_t a = 0x400000; a < 0x400000 + cut; a += 4093)
				gmt_elf__read_ptr(e, a, &v);
			gmt_elf__free(e);
		}
		free(copy);
	}
	free(buf);
}
