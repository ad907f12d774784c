/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Criterion tests: fixture paths and running oracle commands. */
#ifndef GMT_TESTUTIL_H
#define GMT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Go versions and build flavours of the fixture matrix (scripts/build-fixtures.sh). */
extern const char *const tu_versions[];
extern const size_t tu_nversions;
extern const char *const tu_flavours[]; /* exe, stripped, pie, nosh */
extern const size_t tu_nflavours;

/*
 * Path of fixture "<name>-<version>-<flavour>" (or a plain name); fails the test if
 * absent.  The string stays valid for the next 7 calls.
 */
const char *tu_fixture(const char *name, const char *version, const char *flavour);
/* The go command used for oracles (go tool nm/addr2line/objdump). */
const char *tu_go(void);
/* Runs a shell command and returns its stdout (malloc'd, NUL-terminated); fails on non-zero exit. */
char *tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a command feeding it `input` on stdin; returns stdout. */
char *tu_run_input(const char *input, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The gomemtrace binary under test ($GMT_BIN, set by meson). */
const char *tu_bin(void);
/*
 * Sum of the values of the folded-stack lines (root;...;leaf value) that have a frame
 * named fn; with closures, frames named fn.<anything> count too.  Each line counts once.
 */
double tu_folded_sum(const char *path, const char *fn, bool closures);
/* A number from DIR/summary.json. */
double tu_summary_num(const char *dir, const char *key);
/*
 * The fixture matrix as parameters: versions x flavours, plus go126-exp when with_exp.
 * tu_matrix_params() fills a static index array for cr_make_param_array.
 */
size_t tu_matrix_size(bool with_exp);
int *tu_matrix_params(bool with_exp);
void tu_matrix_entry(int i, const char **version, const char **flavour);

/* One index per Go version (0 .. tu_nversions - 1), for cr_make_param_array. */
int *tu_version_params(void);

struct gmt_gobin;
/* Opens a Go binary with gmt_gobin__open(); fails the test with its message if it cannot. */
struct gmt_gobin *tu_open_gobin(const char *path);

/*
 * Runs a bash script (printf-formatted, any quotes) with GMT set to tu_bin() and
 * GMT_STATE_DIR to a fresh directory of its own; returns its stdout.  The script's own
 * exit status must be 0: scripts report the statuses they check (echo rc=$?).
 */
char *tu_script(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The integer after "key=" in out (the first one); fails the test if absent. */
long tu_field(const char *out, const char *key);

/*
 * Shell functions for tu_script(), on a live target: rate PID ADDR reads the word at ADDR (the linker's
 * address of runtime.MemProfileRate, from go tool nm) out of /proc/PID/mem; probed PID
 * counts the bytes of the target's mapped text that differ from its file, which a
 * uprobe's int3 does as long as it is in; probes PID counts the perf-event uprobes of
 * any process that name its executable.
 */
#define TU_TARGET_FUNCS                                                                  \
	"rate() { python3 -c 'import sys; f = open(\"/proc/\" + sys.argv[1] + \"/mem\", " \
	"\"rb\"); f.seek(int(sys.argv[2], 16)); print(int.from_bytes(f.read(8), "        \
	"\"little\", signed=True))' $1 $2; }\n"                                          \
	"probed() { python3 -c '\n"                                                      \
	"import os, sys\n"                                                               \
	"p = sys.argv[1]; exe = os.readlink(\"/proc/\" + p + \"/exe\"); n = 0\n"         \
	"mem = open(\"/proc/\" + p + \"/mem\", \"rb\"); f = open(exe, \"rb\")\n"         \
	"for l in open(\"/proc/\" + p + \"/maps\"):\n"                                   \
	"    a = l.split()\n"                                                            \
	"    if len(a) > 5 and a[1].startswith(\"r-x\") and a[5] == exe:\n"              \
	"        s, e = (int(x, 16) for x in a[0].split(\"-\"))\n"                       \
	"        mem.seek(s); f.seek(int(a[2], 16))\n"                                   \
	"        n += sum(x != y for x, y in zip(mem.read(e - s), f.read(e - s)))\n"     \
	"print(n)' $1; }\n"                                                              \
	"probes() { bpftool perf show 2>/dev/null | grep -c \"filename /proc/$1/exe \"; }\n"

/* Reads a whole file (malloc'd). */
uint8_t *tu_read_file(const char *path, size_t *len);

#endif
