// SPDX-License-Identifier: MIT
/*
 * report.html in a real browser: Debian's chromium, headless, driven by selenium
 * (tests/e2e/html_check.py).  The pages are the ones record, snapshot and the daemon
 * write; what the page shows is checked against the other files of the same run:
 * the flame graph's root against summary.json's total (or inuse_space.folded's sum, or
 * goroutines.txt's total), the timeline's pause marks against summary.json's
 * stw_pauses (gc.json's whole pauses).  And: no console error, nothing loaded from the
 * network, clicking a frame zooms to it and clicking the root zooms out, search
 * highlights exactly the matching frames, the allocator-frame toggle shows them, the
 * screenshot is not blank, the page is under 3 MB.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define HTML_CHECK "/usr/bin/python3 $GMT_SOURCE_ROOT/tests/e2e/html_check.py "
#define JSON_FIELD(file, key)                                                               \
	"$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))"       \
	"[sys.argv[2]])' " file " " key ")"

/* What every page must be. */
static void assert_page(const char *out, const char *what)
{
	cr_assert_eq(tu_field(out, "ready"), 1, "%s: the page draws:\n%s", what, out);
	cr_expect_eq(tu_field(out, "console_errors"), 0, "%s: no console error:\n%s", what, out);
	cr_expect_eq(tu_field(out, "network_requests"), 0, "%s: nothing from the network:\n%s",
		     what, out);
	cr_expect_eq(tu_field(out, "screenshot_nonblank"), 1, "%s: not blank:\n%s", what, out);
	cr_expect_gt(tu_field(out, "size_bytes"), 0, "%s", what);
	cr_expect_lt(tu_field(out, "size_bytes"), 3 << 20, "%s: under 3 MB:\n%s", what, out);
}

Test(html_e2e, record_page_matches_its_files, .timeout = 1800)
{
	const char *fx = tu_fixture("demo", "go126", "exe");
	char *out = tu_script(
		"work=$(mktemp -d)\n"
		"trap 'rm -rf \"$work\"' EXIT\n"
		"$GMT record --mode exact -o $work/rec -- %s -seconds 3 >$work/out.txt "
		"2>$work/err.txt\n"
		"echo rc=$?\n"
		"sed 's/^/# /' $work/err.txt | tail -5\n"
		"echo stw=" JSON_FIELD("$work/rec/summary.json", "stw_pauses") "\n"
		HTML_CHECK "$work/rec/report.html --summary $work/rec/summary.json --flame alloc "
		"--value 0 --total-key bytes --gc-pauses " JSON_FIELD("$work/rec/summary.json",
								     "stw_pauses") " "
		"--search main. --screenshot $work/shot.png\n"
		"echo check_rc=$?\n",
		fx);

	cr_assert_eq(tu_field(out, "rc"), 0, "record succeeds:\n%s", out);
	cr_assert_eq(tu_field(out, "check_rc"), 0, "the browser runs:\n%s", out);
	assert_page(out, "record");
	cr_expect_eq(tu_field(out, "root_matches_summary"), 1,
		     "the flame graph's root is summary.json's bytes:\n%s", out);
	cr_expect_eq(tu_field(out, "zoom_changes_root"), 1, "a click zooms:\n%s", out);
	cr_expect_eq(tu_field(out, "zoom_out_restores"), 1, "the root's click zooms out:\n%s", out);
	cr_expect_gt(tu_field(out, "search_hl"), 0, "search highlights:\n%s", out);
	cr_expect_eq(tu_field(out, "search_all_match"), 1, "exactly the matching frames:\n%s", out);
	cr_expect_eq(tu_field(out, "has_alloc_frames"), 1, "exact mode has mallocgc:\n%s", out);
	cr_expect_eq(tu_field(out, "toggle_changes"), 1, "the toggle shows them:\n%s", out);
	cr_expect_gt(tu_field(out, "stw"), 0, "the demo stops the world:\n%s", out);
	cr_expect_eq(tu_field(out, "timeline_pauses"), tu_field(out, "stw"),
		     "one mark per pause of summary.json:\n%s", out);
	cr_expect_eq(tu_field(out, "pauses_match"), 1, "%s", out);
	free(out);
}

/*
 * snapshot's page: the live heap's flame graph sums to inuse_space.folded, the goroutine
 * flame graph to goroutines.txt's total.
 */
Test(html_e2e, snapshot_page_matches_its_files, .timeout = 1800)
{
	const char *fx = tu_fixture("snapshot", "go126", "exe");
	char *out = tu_script(
		TU_SNAPSHOT_FIXTURE_START
		"$GMT snapshot -p $P -o $work/snap >$work/out.txt 2>$work/err.txt\n"
		"echo rc=$?\n"
		"echo said=$(grep -c 'wrote .*/report.html' $work/out.txt)\n"
		"echo \"{\\\"heap\\\": $(awk '{s += $NF} END {printf \"%%d\", s}' "
		"$work/snap/inuse_space.folded), \\\"goroutines\\\": $(sed -n "
		"'s/^goroutine profile: total //p' $work/snap/goroutines.txt)}\" > $work/tot.json\n"
		"sed 's/^/# /' $work/tot.json\n"
		HTML_CHECK "$work/snap/report.html --summary $work/tot.json --flame heap --value 0 "
		"--total-key heap --search main.\n"
		"echo check_rc=$?\n"
		HTML_CHECK "$work/snap/report.html --summary $work/tot.json --flame goroutines "
		"--value 0 --total-key goroutines | sed 's/^/g_/'\n",
		fx, fx);

	cr_assert_eq(tu_field(out, "fixture_ready"), 1, "the fixture got ready:\n%s", out);
	cr_assert_eq(tu_field(out, "rc"), 0, "snapshot succeeds:\n%s", out);
	cr_expect_eq(tu_field(out, "said"), 1, "it names report.html:\n%s", out);
	cr_assert_eq(tu_field(out, "check_rc"), 0, "the browser runs:\n%s", out);
	assert_page(out, "snapshot");
	cr_expect_eq(tu_field(out, "root_matches_summary"), 1,
		     "the live heap's root is inuse_space.folded's sum:\n%s", out);
	cr_expect_eq(tu_field(out, "zoom_changes_root"), 1, "%s", out);
	cr_expect_eq(tu_field(out, "search_all_match"), 1, "%s", out);
	cr_expect_eq(tu_field(out, "g_root_matches_summary"), 1,
		     "the goroutines' root is goroutines.txt's total:\n%s", out);
	free(out);
}

/* A daemon interval's page (sampled mode, snapshots, GC): it draws, its pauses are its
 * summary.json's, its goroutine flame graph sums to its goroutines.txt. */
Test(html_e2e, daemon_interval_page, .timeout = 1800)
{
	const char *fx = tu_fixture("alloc", "go126", "exe");
	char *out = tu_script(
		"work=$(mktemp -d)\n"
		"timeout 60 %s -spin 40 >$work/fx.log 2>&1 &\n"
		"tpid=$!\n"
		"for i in $(seq 1 100); do P=$(pgrep -P $tpid); [ -n \"$P\" ] && break; sleep 0.1; done\n"
		"trap 'kill $P $g 2>/dev/null; wait $g 2>/dev/null; rm -rf \"$work\"' EXIT\n"
		"$GMT daemon -p $P -o $work/d -i 2 2>$work/d.err &\n"
		"g=$!\n"
		"ivs() { ls $work/d/alloc-go126-ex*-$P/ 2>/dev/null | grep -c .; }\n"
		"for i in $(seq 1 300); do [ $(ivs) -ge 2 ] && break; sleep 0.1; done\n"
		"kill -TERM $g; wait $g; echo daemon_rc=$?\n"
		"iv=$(ls -d $work/d/alloc-go126-ex*-$P/* | head -2 | tail -1)\n"
		"echo stw=" JSON_FIELD("$iv/summary.json", "stw_pauses") "\n"
		HTML_CHECK "$iv/report.html --flame alloc --gc-pauses "
		JSON_FIELD("$iv/summary.json", "stw_pauses") "\n"
		"echo check_rc=$?\n"
		"echo \"{\\\"goroutines\\\": $(sed -n 's/^goroutine profile: total //p' "
		"$iv/goroutines.txt)}\" > $work/tot.json\n"
		"sed 's/^/# /' $work/tot.json\n"
		HTML_CHECK "$iv/report.html --summary $work/tot.json --flame goroutines "
		"--total-key goroutines | sed 's/^/g_/'\n",
		fx);

	cr_assert_eq(tu_field(out, "daemon_rc"), 0, "the daemon exits 0:\n%s", out);
	cr_assert_eq(tu_field(out, "check_rc"), 0, "the browser runs:\n%s", out);
	assert_page(out, "daemon interval");
	cr_expect_eq(tu_field(out, "pauses_match"), 1, "one mark per pause:\n%s", out);
	cr_expect_eq(tu_field(out, "zoom_changes_root"), 1, "%s", out);
	cr_expect_eq(tu_field(out, "g_root_matches_summary"), 1,
		     "the interval's goroutines by stack: goroutines.txt's total:\n%s", out);
	free(out);
}
