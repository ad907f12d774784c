/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Criterion tests: fixture paths and running oracle commands. */
#ifndef GMT_TESTUTIL_H
#define GMT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The Go releases and build flavours of the fixture matrix, read from
 * tests/fixtures/matrix.txt (as scripts/build-fixtures.sh reads it) before the tests run:
 * tu_versions[] are fixture tags ("go119" for go1.19), oldest first.  tu_flavours[] are
 * the flavours the end-to-end matrix iterates (exe, stripped, pie, nosh); a release may
 * have only some of them (tu_has()), and "nover" has tests of its own.
 */
#define TU_MAX_VERSIONS 32
extern const char *tu_versions[TU_MAX_VERSIONS];
extern size_t tu_nversions;
extern const char *const tu_flavours[]; /* exe, stripped, pie, nosh */
extern const size_t tu_nflavours;
/* Whether the matrix builds fixtures of version (a tag) in flavour. */
bool tu_has(const char *version, const char *flavour);
/* The k-th (mod their number) of tu_flavours[] that version has: an index into it. */
size_t tu_flavour_index(const char *version, size_t k);
/* "go1.22" for "go122". */
const char *tu_release_name(const char *version);

/*
 * Path of fixture "<name>-<version>-<flavour>" (or a plain name); fails the test if
 * absent.  The string stays valid for the next 7 calls.
 */
const char *tu_fixture(const char *name, const char *version, const char *flavour);
/* The go command used for oracles (go tool nm/addr2line/objdump). */
const char *tu_go(void);
/* Runs a shell command and returns its stdout (malloc'd, NUL-terminated); fails on non-zero exit. */
char *tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The address `go tool nm` gives sym in the binary at path (the oracle); asserts it has one. */
unsigned long long tu_nm_addr(const char *path, const char *sym);
/*
 * The same for fixture "<name>-<v>-<fl>": stripped and nosh builds have no symbols, so
 * the address is the exe build's, moved with its section (readelf) to where the
 * stripped build has that section.
 */
unsigned long long tu_nm_addr_fixture(const char *name, const char *v, const char *fl,
				      const char *sym);
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
 * The fixture matrix as parameters: every (version, flavour) pair it builds among
 * tu_flavours[], plus go126-exp when with_exp.  tu_matrix_params() fills a static index
 * array for cr_make_param_array.
 */
size_t tu_matrix_size(bool with_exp);
int *tu_matrix_params(bool with_exp);
void tu_matrix_entry(int i, const char **version, const char **flavour);
/*
 * The end-to-end suites' share of the matrix, to keep scripts/test.sh within CI's time:
 * every release, each in TU_ROTATION_PER_RELEASE of its flavours (all of them when it
 * has no more), the releases with more taking the next ones in turn from where seed
 * says, so that every flavour runs on several releases; plus go126-exp when with_exp.
 * A suite gives each of its matrix tests another seed, so that together they cover
 * different (release, flavour) pairs.  out holds TU_ROTATION_MAX entries; same indices
 * as tu_matrix_params (tu_matrix_entry).  tests/goruntime/test_release.c checks the
 * coverage.
 */
#define TU_ROTATION_PER_RELEASE 2
#define TU_ROTATION_MAX (TU_MAX_VERSIONS * TU_ROTATION_PER_RELEASE + 1)
size_t tu_rotation(int *out, bool with_exp, unsigned seed);


/* One index per Go version (0 .. tu_nversions - 1), for cr_make_param_array. */
int *tu_version_params(void);

struct gmt_gobin;
struct gmt_go_release;
/* Opens a Go binary with gmt_gobin__open(); fails the test with its message if it cannot. */
struct gmt_gobin *tu_open_gobin(const char *path);
/* The release table's row of gb (gmt_release_resolve); fails the test if it has none. */
const struct gmt_go_release *tu_release(const struct gmt_gobin *gb);
/* The row of Go 1.n; fails the test if the table has none. */
const struct gmt_go_release *tu_row(int n);

/*
 * Runs a bash script (printf-formatted, any quotes) with GMT set to tu_bin() and
 * GMT_STATE_DIR to a fresh directory of its own; returns its stdout.  The script's own
 * exit status must be 0: scripts report the statuses they check (echo rc=$?).
 */
/*
 * The opening of a tu_script() around tests/fixtures/snapshot: starts the fixture (two
 * %s in the format: its path, twice) under timeout with its output in $work/own and its
 * stdin a fifo the script holds on fd 3 (a byte there makes it write memstats2.json),
 * killed on every exit of the script; waits for its ready file; $P is its PID; prints
 * fixture_ready=0/1.
 */
#define TU_SNAPSHOT_FIXTURE_START_WITH(args) \
	"work=$(mktemp -d)\n" \
	"trap 'kill $P 2>/dev/null; rm -rf \"$work\"' EXIT\n" \
	"mkdir $work/own\n" \
	"mkfifo $work/in\n" \
	"timeout 240 %s -out $work/own " args " <$work/in >$work/fx.log 2>&1 &\n" \
	"exec 3>$work/in\n" \
	"for i in $(seq 1 600); do [ -f $work/own/ready ] && break; sleep 0.2; done\n" \
	"[ -f $work/own/ready ] || { echo fixture_ready=0; cat $work/fx.log >&2; exit 0; }\n" \
	"P=$(pgrep -f \"^%s -out $work/own\" | head -1)\n" \
	"echo fixture_ready=1\n"
#define TU_SNAPSHOT_FIXTURE_START TU_SNAPSHOT_FIXTURE_START_WITH("")

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

/*
 * An executable copy of path (in /tmp, malloc'd name; the caller unlinks it) with every
 * occurrence of `from` replaced by `to`, of the same length; fails the test if there is
 * none.
 */
char *tu_patched_copy(const char *path, const char *from, const char *to);

/*
 * A go1.25 gcwork whose runtime.gdestroy is renamed away in its pclntab (it runs as
 * before): goroutine tracking cannot work there, the other modes do.  The message
 * record gives for it starts with TU_NO_GDESTROY.  Malloc'd; the caller unlinks it.
 */
char *tu_gcwork_without_gdestroy(void);
#define TU_NO_GDESTROY "goroutine tracking: runtime.gdestroy: not in this binary"

/* Reads a whole file (malloc'd). */
uint8_t *tu_read_file(const char *path, size_t *len);

#endif
