// SPDX-License-Identifier: MIT
#include "gobin.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "target.h"
#include "x86dec.h"

static const uint8_t *mem_read(void *ctx, uint64_t vaddr, uint64_t len)
{
	return gmt_elf__vaddr_ptr(ctx, vaddr, len);
}

/* A Go string header {ptr, len} at addr whose bytes look like a Go version. */
static bool version_string_at(const struct gmt_elf *e, uint64_t addr, char *out, size_t outlen)
{
	uint64_t ptr, len;
	const uint8_t *p = gmt_elf__vaddr_ptr(e, addr + 8, 8);
	const char *s;
	struct gmt_go_version v;
	char buf[128];

	if (!p || gmt_elf__read_ptr(e, addr, &ptr))
		return false;
	memcpy(&len, p, 8);
	if (len < 4 || len >= sizeof(buf))
		return false;
	s = (const char *)gmt_elf__vaddr_ptr(e, ptr, len);
	if (!s)
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (strlen(buf) != len || gmt_go_version_parse(buf, &v))
		return false;
	snprintf(out, outlen, "%s", buf);
	return true;
}

/*
 * Without .go.buildinfo, the version is still in runtime.buildVersion, a string that
 * runtime.schedinit compares with "" (to keep it linked).  Decode schedinit and try
 * every RIP-relative operand as the string header or its length word.
 */
static int version_from_schedinit(struct gmt_gobin *gb, char *out, size_t outlen)
{
	struct gmt_func_info fi;
	const uint8_t *code;
	uint64_t pc;

	if (gmt_pcln__func_by_name(gb->pcln, "runtime.schedinit", &fi))
		return -ENOENT;
	code = gmt_gobin__func_code(gb, &fi);
	if (!code)
		return -ENOENT;
	for (pc = fi.entry; pc < fi.end;) {
		struct gmt_insn in;
		int n = gmt_x86_decode(code + (pc - fi.entry), fi.end - pc, pc, &in);

		if (n <= 0)
			break;
		pc += n;
		if (!in.rip_rel)
			continue;
		if (version_string_at(gb->elf, in.mem_target, out, outlen) ||
		    version_string_at(gb->elf, in.mem_target - 8, out, outlen))
			return 0;
	}
	return -ENOENT;
}

static int read_version(struct gmt_gobin *gb, struct gmt_diag *d)
{
	uint64_t bi_addr;
	char raw[160];

	if (gmt_buildinfo_locate(gb->elf, &bi_addr) == 0 &&
	    gmt_buildinfo_parse(gb->elf, bi_addr, &gb->buildinfo, NULL) == 0 &&
	    gmt_go_version_parse(gb->buildinfo.version, &gb->ver) == 0) {
		gb->has_buildinfo = true;
		gb->version_source = GMT_VERSION_BUILDINFO;
		snprintf(gb->version, sizeof(gb->version), "%s", gb->buildinfo.version);
		snprintf(gb->experiments, sizeof(gb->experiments), "%s", gb->buildinfo.experiments);
		return 0;
	}
	if (gmt_elf__machine(gb->elf) == EM_X86_64 && version_from_schedinit(gb, raw, sizeof(raw)) == 0) {
		gmt_go_version_split(raw, strlen(raw), gb->version, sizeof(gb->version),
				     gb->experiments, sizeof(gb->experiments));
		if (gmt_go_version_parse(gb->version, &gb->ver) == 0) {
			gb->version_source = GMT_VERSION_BUILDVERSION;
			return 0;
		}
	}
	/*
	 * Only the pclntab family is left, which names no release: the release resolver
	 * infers one from what the binary contains (goruntime/release.h).
	 */
	gb->version_source = GMT_VERSION_PCLNTAB;
	gb->ver = (struct gmt_go_version){ 0 };
	switch (gmt_pcln__version(gb->pcln)) {
	case GMT_PCLN_116:
		snprintf(gb->version, sizeof(gb->version), "go1.16-1.17");
		break;
	case GMT_PCLN_118:
		snprintf(gb->version, sizeof(gb->version), "go1.18-1.19");
		break;
	default:
		snprintf(gb->version, sizeof(gb->version), "go1.20+");
		break;
	}
	return 0;
}

static uint64_t text_section_start(const struct gmt_elf *e)
{
	const struct gmt_elf_sec *s = gmt_elf__sec_by_name(e, ".text");

	return s ? s->addr : 0;
}

static int open_elf(struct gmt_gobin *gb, struct gmt_diag *d)
{
	struct gmt_func_info fi;
	uint64_t text;
	int err;

	if (gmt_elf__machine(gb->elf) != EM_X86_64 && gmt_elf__machine(gb->elf) != EM_AARCH64)
		return gmt_diag_set(d, -ENOTSUP, "%s: unsupported machine type %u (x86-64 and arm64 only)",
				    gb->path, gmt_elf__machine(gb->elf));
	err = gmt_pcln__locate(gb->elf, &gb->pcln_loc, d);
	if (err == -ENOENT)
		return gmt_diag_set(d, -ENOEXEC, "%s is not a Go binary (no pclntab)", gb->path);
	if (err)
		return err;
	/* go1.26+ leaves the header's textStart 0: .text, or moduledata.text, gives it. */
	text = text_section_start(gb->elf);
	err = gmt_pcln__new(&gb->pcln_loc, text, &gb->pcln, d);
	if (err)
		return err;
	gb->ptrsize = gmt_pcln__ptrsize(gb->pcln);
	err = read_version(gb, d);
	if (err)
		return err;
	if (gmt_moduledata_find(gb->elf, &gb->pcln_loc, gb->pcln, &gb->md, NULL) == 0) {
		gb->has_md = true;
		if (gb->md.text != text) {
			/* The moduledata is the runtime's own truth: rebase the index on it. */
			err = gmt_pcln__set_text_start(gb->pcln, gb->md.text);
			if (err)
				return gmt_diag_set(d, err, "%s: bad text start %#llx", gb->path,
						    (unsigned long long)gb->md.text);
			/* The schedinit fallback may have run on a wrong text base. */
			if (gb->version_source != GMT_VERSION_BUILDINFO)
				read_version(gb, d);
		}
		gmt_pcln__set_funcdata(gb->pcln, gb->md.gofunc, mem_read, gb->elf);
	}
	gb->text_start = gb->has_md ? gb->md.text : text;
	gb->pie = gmt_elf__type(gb->elf) == ET_DYN;
	gb->stripped = !gmt_elf__has_symtab(gb->elf);
	gb->no_section_headers = gmt_elf__nsecs(gb->elf) == 0;
	/* Stripped binaries may lack build info: runtime/cgo's assembly tells too. */
	gb->cgo = gb->buildinfo.cgo ||
		  gmt_pcln__func_by_name(gb->pcln, "_cgo_topofstack", &fi) == 0 ||
		  gmt_pcln__func_by_name(gb->pcln, "runtime/cgo.set_crosscall2", &fi) == 0;
	return 0;
}

/* buf == NULL: map the file at name; else read buf, named name in messages. */
static int gobin_new(const char *name, const void *buf, size_t size, struct gmt_gobin **out,
		     struct gmt_diag *d)
{
	struct gmt_gobin *gb;
	int err;

	*out = NULL;
	gb = calloc(1, sizeof(*gb));
	if (!gb)
		return -ENOMEM;
	snprintf(gb->path, sizeof(gb->path), "%s", name);
	if (buf)
		err = gmt_elf__from_mem(buf, size, &gb->elf, d);
	else
		err = gmt_elf__open(name, &gb->elf, d);
	if (!err)
		err = open_elf(gb, d);
	if (err) {
		gmt_gobin__free(gb);
		return err;
	}
	*out = gb;
	return 0;
}

int gmt_gobin__open(const char *path, struct gmt_gobin **out, struct gmt_diag *d)
{
	return gobin_new(path, NULL, 0, out, d);
}

int gmt_gobin__from_mem(const void *buf, size_t size, const char *name, struct gmt_gobin **out,
			struct gmt_diag *d)
{
	*out = NULL;
	if (!buf)
		return gmt_diag_set(d, -EINVAL, "%s: no data", name);
	return gobin_new(name, buf, size, out, d);
}

int gmt_gobin__open_pid(pid_t pid, struct gmt_gobin **out, struct gmt_diag *d)
{
	char path[64];
	int err;

	*out = NULL;
	err = gmt_proc_check(pid, d);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return gmt_gobin__open(path, out, d);
}

void gmt_gobin__free(struct gmt_gobin *gb)
{
	if (!gb)
		return;
	gmt_pcln__free(gb->pcln);
	gmt_elf__free(gb->elf);
	free(gb);
}

const uint8_t *gmt_gobin__func_code(const struct gmt_gobin *gb, const struct gmt_func_info *fi)
{
	if (fi->end <= fi->entry)
		return NULL;
	return gmt_elf__vaddr_ptr(gb->elf, fi->entry, fi->end - fi->entry);
}

int gmt_gobin__type_name(const struct gmt_gobin *gb, uint64_t typ, char *buf, size_t len)
{
	if (!gb->has_md)
		return -ENOENT;
	return gmt_type_name(gb->elf, &gb->md, typ, buf, len);
}

int gmt_gobin__type_info(const struct gmt_gobin *gb, uint64_t typ, struct gmt_type_info *ti)
{
	const uint8_t *t;
	int err = gmt_gobin__type_name(gb, typ, ti->name, sizeof(ti->name));

	if (err)
		return err;
	/* abi.Type: Size_ uintptr at 0, PtrBytes uintptr at 8 (unchanged go1.19-1.27). */
	t = gmt_elf__vaddr_ptr(gb->elf, typ, 16);
	if (!t)
		return -ENOENT;
	memcpy(&ti->size, t, 8);
	memcpy(&ti->ptrbytes, t + 8, 8);
	return 0;
}
