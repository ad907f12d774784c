// SPDX-License-Identifier: MIT
/*
 * Runtime type-name decoding (gmt_type_name, the decoder behind type_info) on its own:
 * the input is a types section, wrapped in a minimal ELF whose single PT_LOAD maps it at
 * TYPES_VADDR, so that every mutation reaches the decoder instead of dying in the ELF or
 * pclntab readers first (fuzz_gobin covers the whole path, slowly).  The first 8 bytes
 * choose where the moduledata's [types, etypes) ends, possibly past the mapping, as a
 * corrupt moduledata would; descriptors are tried at every 8-aligned offset.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_file.h"
#include "moduledata.h"
#include "fuzz.h"

#define TYPES_VADDR 0x400000ULL
#define HDRS (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))
#define MAX_TYPES 512

static uint8_t *wrap(const uint8_t *types, size_t n, size_t *total)
{
	uint8_t *buf = malloc(HDRS + n);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };

	if (!buf)
		return NULL;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R;
	ph.p_offset = HDRS;
	ph.p_vaddr = ph.p_paddr = TYPES_VADDR;
	ph.p_filesz = ph.p_memsz = n;
	ph.p_align = 1;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + HDRS, types, n);
	*total = HDRS + n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmt_moduledata md = { 0 };
	struct gmt_elf *e = NULL;
	size_t total, n;
	uint8_t *img;
	char name[64], tiny[2];

	if (size < 8)
		return 0;
	n = size - 8;
	img = wrap(data + 8, n, &total);
	if (!img)
		return 0;
	if (gmt_elf__from_mem(img, total, &e, NULL) == 0) {
		md.types = TYPES_VADDR;
		/* etypes: the mapping's end, or a corrupt one within +/- 64 KiB of it. */
		md.etypes = TYPES_VADDR + n + (int64_t)(int16_t)fuzz_u64(data) * 2;
		for (uint64_t off = 0, i = 0; off < n + 64 && i < MAX_TYPES; off += 8, i++) {
			if (gmt_type_name(e, &md, TYPES_VADDR + off, name, sizeof(name)) == 0) {
				FUZZ_CHECK(memchr(name, 0, sizeof(name)));
				fuzz_touch_str(name);
			}
			/* Names are cut to the buffer, never overrun it. */
			if (gmt_type_name(e, &md, TYPES_VADDR + off, tiny, sizeof(tiny)) == 0)
				FUZZ_CHECK(memchr(tiny, 0, sizeof(tiny)));
		}
		gmt_type_name(e, &md, TYPES_VADDR - 8, name, sizeof(name));
		gmt_type_name(e, &md, UINT64_MAX - 7, name, sizeof(name));
		FUZZ_CHECK(gmt_type_name(e, &md, TYPES_VADDR, name, 0) < 0);
		gmt_elf__free(e);
	}
	free(img);
	return 0;
}
