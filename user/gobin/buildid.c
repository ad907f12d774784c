// SPDX-License-Identifier: MIT
/* Build IDs of an executable: see buildid.h. */
#include "buildid.h"

#include <elf.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#define NT_GO_BUILDID 4 /* the Go linker's note type, owner "Go" */
#define HTL_CHUNK 4096

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The notes in [p, p + n): Elf64_Nhdr and Elf32_Nhdr are the same three 32-bit words. */
static void scan_notes(const uint8_t *p, size_t n, struct gmt_build_ids *out)
{
	size_t off = 0;

	while (n - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr h;
		size_t name, desc;

		memcpy(&h, p + off, sizeof(h));
		off += sizeof(h);
		if (h.n_namesz > n - off || align4(h.n_namesz) > n - off)
			return;
		name = off;
		off += align4(h.n_namesz);
		if (h.n_descsz > n - off)
			return;
		desc = off;
		off += align4(h.n_descsz);
		if (off > n)
			off = n; /* the last note's padding may be missing */
		if (h.n_namesz == 4 && !memcmp(p + name, "GNU", 4) &&
		    h.n_type == NT_GNU_BUILD_ID && h.n_descsz && h.n_descsz <= 64)
			hex(p + desc, h.n_descsz, out->gnu);
		/* The Go linker writes the name "Go\0\0", namesz 4; 3 is as valid. */
		else if ((h.n_namesz == 3 || h.n_namesz == 4) && !memcmp(p + name, "Go", 3) &&
			 h.n_type == NT_GO_BUILDID && h.n_descsz < sizeof(out->go)) {
			memcpy(out->go, p + desc, h.n_descsz);
			out->go[h.n_descsz] = 0;
		}
	}
}

int gmt_htlhash(const uint8_t *data, size_t len, char out[2 * 16 + 1])
{
	size_t head = len < HTL_CHUNK ? len : HTL_CHUNK;
	uint8_t be[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	if (!c)
		return -ENOMEM;
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, data, head) &&
	     EVP_DigestUpdate(c, data + len - head, head) && EVP_DigestUpdate(c, be, 8) &&
	     EVP_DigestFinal_ex(c, md, &mdlen) && mdlen >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -ENOMEM; /* OpenSSL fails for want of memory only */
	hex(md, 16, out);
	return 0;
}

int gmt_build_ids(const struct gmt_elf *e, struct gmt_build_ids *out)
{
	size_t size;
	const uint8_t *file = gmt_elf__data(e, &size);
	bool notes = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < gmt_elf__nsecs(e); i++) {
		const struct gmt_elf_sec *s = gmt_elf__sec(e, i);

		if (s->type != SHT_NOTE || s->off > size || s->size > size - s->off)
			continue;
		scan_notes(file + s->off, s->size, out);
		notes = true;
	}
	for (size_t i = 0; !notes && i < gmt_elf__nsegs(e); i++) {
		const struct gmt_elf_seg *s = gmt_elf__seg(e, i);

		if (s->type == PT_NOTE && s->off <= size && s->filesz <= size - s->off)
			scan_notes(file + s->off, s->filesz, out);
	}
	return gmt_htlhash(file, size, out->htlhash);
}
