// SPDX-License-Identifier: MIT
/*
 * The x86-64 decoder, probe-site choice and RET finder on arbitrary bytes.  The first
 * byte picks the decode start so that every alignment of the code is reached.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probesite.h"
#include "x86dec.h"
#include "fuzz.h"

#define VADDR 0x401000ULL
#define MAX_RETS 8
#define MAX_INSNS 4096

static void sweep(const uint8_t *code, size_t len, uint64_t vaddr)
{
	size_t off, i;

	for (off = 0, i = 0; off < len && i < MAX_INSNS; i++) {
		struct gmt_insn in;
		int n = gmt_x86_decode(code + off, len - off, vaddr + off, &in);

		if (n <= 0) {
			off++;
			continue;
		}
		FUZZ_CHECK((size_t)n <= len - off && n <= 15 && in.len == n);
		FUZZ_CHECK(memchr(in.text, 0, sizeof(in.text)));
		FUZZ_CHECK(in.opsize == 1 || in.opsize == 2 || in.opsize == 4 || in.opsize == 8);
		if (in.has_modrm && in.mem)
			FUZZ_CHECK(in.scale == 1 || in.scale == 2 || in.scale == 4 || in.scale == 8);
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmt_probe_site site;
	uint64_t rets[MAX_RETS];
	const uint8_t *code;
	size_t len;
	int n, i;

	if (size < 1)
		return 0;
	code = data + 1;
	len = size - 1;
	sweep(code, len, VADDR);
	if (len > (size_t)(data[0] & 15))
		sweep(code + (data[0] & 15), len - (data[0] & 15), VADDR);
	/* Short buffers: the decoder must not read past avail. */
	sweep(code, len < 3 ? len : 3, VADDR);

	if (gmt_probe_site_choose(code, len, VADDR, &site) == 0) {
		FUZZ_CHECK(site.vaddr >= VADDR && site.vaddr - VADDR < len);
		FUZZ_CHECK(site.offset == site.vaddr - VADDR);
		FUZZ_CHECK(memchr(site.insn, 0, sizeof(site.insn)));
	}
	n = gmt_find_rets(code, len, VADDR, rets, MAX_RETS);
	for (i = 0; i < n && i < MAX_RETS; i++)
		FUZZ_CHECK(rets[i] >= VADDR && rets[i] - VADDR < len);
	/* max 0 must only count. */
	gmt_find_rets(code, len, VADDR, NULL, 0);
	return 0;
}
