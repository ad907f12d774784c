// SPDX-License-Identifier: MIT
#include "buildinfo.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "bits.h"

static const char magic[14] = "\xff Go buildinf:";
#define BLOB_HDR 32

int gmt_buildinfo_locate(const struct gmt_elf *e, uint64_t *vaddr)
{
	const struct gmt_elf_sec *s = gmt_elf__sec_by_name(e, ".go.buildinfo");

	if (s && s->size >= BLOB_HDR && gmt_elf__vaddr_ptr(e, s->addr, BLOB_HDR) &&
	    memcmp(gmt_elf__vaddr_ptr(e, s->addr, BLOB_HDR), magic, sizeof(magic)) == 0) {
		*vaddr = s->addr;
		return 0;
	}
	/* The linker puts the blob first in a writable segment; scan them all anyway. */
	for (size_t i = 0; i < gmt_elf__nsegs(e); i++) {
		const struct gmt_elf_seg *g = gmt_elf__seg(e, i);
		uint64_t a;

		if (g->type != PT_LOAD || !(g->flags & PF_W))
			continue;
		for (a = (g->vaddr + 15) & ~15ULL; a + BLOB_HDR <= g->vaddr + g->filesz; a += 16) {
			const uint8_t *p = gmt_elf__vaddr_ptr(e, a, BLOB_HDR);

			if (p && p[0] == 0xff && memcmp(p, magic, sizeof(magic)) == 0) {
				*vaddr = a;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Reads a Go string header {ptr, len} at vaddr (pre-1.18 layout). */
static const char *go_string_at(const struct gmt_elf *e, uint64_t vaddr, uint64_t *len)
{
	uint64_t hdr, ptr;
	const uint8_t *p;

	if (gmt_elf__read_ptr(e, vaddr, &hdr) || gmt_elf__read_ptr(e, hdr, &ptr))
		return NULL;
	p = gmt_elf__vaddr_ptr(e, hdr + 8, 8);
	if (!p)
		return NULL;
	memcpy(len, p, 8);
	if (*len > 1 << 20)
		return NULL;
	return (const char *)gmt_elf__vaddr_ptr(e, ptr, *len);
}

static void copy_str(char *dst, size_t dlen, const char *src, size_t slen)
{
	if (slen >= dlen)
		slen = dlen - 1;
	memcpy(dst, src, slen);
	dst[slen] = 0;
}

/* Module info is tab-separated lines: "path\tmain/pkg", "build\tCGO_ENABLED=1", ... */
static void parse_modinfo(const char *s, size_t len, struct gmt_buildinfo *bi)
{
	const char *end;

	/* The linker wraps the text in 16-byte sentinels (as debug/buildinfo strips them). */
	if (len >= 33 && s[len - 17] == '\n') {
		s += 16;
		len -= 32;
	}
	end = s + len;

	bi->has_modinfo = len > 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		if (n > 5 && memcmp(s, "path\t", 5) == 0)
			copy_str(bi->main_path, sizeof(bi->main_path), s + 5, n - 5);
		else if (n == 19 && memcmp(s, "build\tCGO_ENABLED=1", 19) == 0)
			bi->cgo = true;
		s += n + 1;
	}
}

int gmt_buildinfo_parse(const struct gmt_elf *e, uint64_t vaddr, struct gmt_buildinfo *bi,
			struct gmt_diag *d)
{
	uint64_t avail = gmt_elf__vaddr_avail(e, vaddr);
	const uint8_t *p = gmt_elf__vaddr_ptr(e, vaddr, BLOB_HDR);
	const char *ver, *mod = NULL;
	uint64_t vlen, mlen = 0;

	memset(bi, 0, sizeof(*bi));
	if (!p || memcmp(p, magic, sizeof(magic)) != 0)
		return gmt_diag_set(d, -EINVAL, "no Go build info at %#llx",
				    (unsigned long long)vaddr);
	bi->ptrsize = p[14];
	if (bi->ptrsize != 4 && bi->ptrsize != 8)
		return gmt_diag_set(d, -EINVAL, "Go build info: bad pointer size %u", p[14]);
	if (p[15] & 0x2) {
		size_t n, off = BLOB_HDR;

		p = gmt_elf__vaddr_ptr(e, vaddr, avail);
		n = gmt_uvarint(p + off, avail - off, &vlen);
		if (!n || vlen > avail - off - n)
			return gmt_diag_set(d, -EINVAL, "Go build info: truncated version string");
		ver = (const char *)p + off + n;
		off += n + vlen;
		n = gmt_uvarint(p + off, avail - off, &mlen);
		if (n && mlen <= avail - off - n)
			mod = (const char *)p + off + n;
		else
			mlen = 0;
	} else {
		if (p[15] & 0x1)
			return gmt_diag_set(d, -ENOTSUP, "big-endian Go binaries are not supported");
		if (bi->ptrsize != 8)
			return gmt_diag_set(d, -ENOTSUP, "32-bit Go binaries are not supported");
		ver = go_string_at(e, vaddr + 16, &vlen);
		if (!ver)
			return gmt_diag_set(d, -EINVAL, "Go build info: version string unreadable");
		mod = go_string_at(e, vaddr + 24, &mlen);
		if (!mod)
			mlen = 0;
	}
	if (vlen == 0 || memchr(ver, 0, vlen))
		return gmt_diag_set(d, -EINVAL, "Go build info: empty or malformed version string");
	gmt_go_version_split(ver, vlen, bi->version, sizeof(bi->version), bi->experiments,
			     sizeof(bi->experiments));
	if (mod)
		parse_modinfo(mod, mlen, bi);
	return 0;
}

void gmt_go_version_split(const char *s, size_t len, char *version, size_t vlen, char *exps,
			  size_t elen)
{
	size_t vend = len;

	exps[0] = 0;
	for (size_t i = 0; i + 2 < len; i++) {
		if ((s[i] == ' ' || s[i] == '-') && s[i + 1] == 'X' && s[i + 2] == ':') {
			vend = i;
			copy_str(exps, elen, s + i + 3, len - i - 3);
			break;
		}
	}
	copy_str(version, vlen, s, vend);
}

int gmt_go_version_parse(const char *s, struct gmt_go_version *v)
{
	char *end;
	long n;

	memset(v, 0, sizeof(*v));
	if (strncmp(s, "devel ", 6) == 0) {
		v->devel = true;
		s += 6;
	}
	if (strncmp(s, "go", 2) != 0 || !isdigit((unsigned char)s[2]))
		return -EINVAL;
	n = strtol(s + 2, &end, 10);
	if (n != 1 || *end != '.' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	v->major = 1;
	n = strtol(end + 1, &end, 10);
	if (n < 0 || n > 1000)
		return -EINVAL;
	v->minor = (int)n;
	if (*end == '.' && isdigit((unsigned char)end[1])) {
		n = strtol(end + 1, &end, 10);
		if (n < 0 || n > 100000)
			return -EINVAL;
		v->patch = (int)n;
	}
	return 0;
}

bool gmt_go_has_experiment(const char *exps, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = exps; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && memcmp(p, name, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}
