/* SPDX-License-Identifier: MIT */
/*
 * The build IDs of an executable, as profiles name it (OpenTelemetry semantic conventions
 * process.executable.build_id.*): the GNU build-id note, the Go build ID note (what
 * `go tool buildid` prints) and the htlhash, a hash of the file's head, tail and length
 * that every file has.  Read from the ELF file's SHT_NOTE sections (Go 1.24+ puts the
 * GNU note in no PT_NOTE segment), else from its PT_NOTE segments.
 */
#ifndef GMT_BUILDID_H
#define GMT_BUILDID_H

#include "elf_file.h"

struct gmt_build_ids {
	char gnu[2 * 64 + 1];	 /* hex; "" when the file has no GNU note */
	char go[256];		 /* "" when it has no Go note */
	char htlhash[2 * 16 + 1]; /* hex: SHA-256 of head + tail + length, first 16 bytes */
};

/*
 * The build IDs of e (the whole file mapped, gmt_elf__open): 0, or -ENOMEM (the
 * hash).  Notes that are malformed are ignored, never read past.
 */
int gmt_build_ids(const struct gmt_elf *e, struct gmt_build_ids *out);

/*
 * The htlhash of the len bytes at data: the first 16 bytes of SHA-256 over the first
 * min(len, 4096) bytes, the last min(len, 4096) bytes and len as a big-endian u64, in hex.
 */
int gmt_htlhash(const uint8_t *data, size_t len, char out[2 * 16 + 1]);

#endif
