// SPDX-License-Identifier: MIT
/*
 * End to end: the bad inputs of README "Bad inputs".  Each gives one line on stderr,
 * "gomemtrace: error: ..." saying what is wrong, and exit status 1: never a crash, a
 * hang or a half-written output.  (The sanitizer build of scripts/test.sh runs these
 * too, and fails on any report.)  Some need root and BPF: without them they fail.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/*
 * Runs `$RUN $GMT ARGS` from a script prepared by setup (FX is the go126 alloc fixture,
 * $d a temporary directory; setup may set RUN, and cleanup, a command run at the end);
 * expects status 1 and one stderr line with needle.
 */
static void expect_bad(const char *setup, const char *args, const char *needle)
{
	char *out = tu_script("FX=%s; d=$(mktemp -d)\n%s\n"
			      "timeout 60 $RUN $GMT %s > $d/stdout 2> $d/stderr; echo \"rc=$?\"\n"
			      "echo lines=$(wc -l < $d/stderr)\n"
			      "echo tmpfiles=$(find $d -name '.*.tmp-*' | wc -l)\n"
			      "echo '--- stderr'; cat $d/stderr; eval \"${cleanup:-true}\"; rm -rf $d",
			      tu_fixture("alloc", "go126", "exe"), setup, args);
	const char *err = strstr(out, "--- stderr\n");

	cr_assert_eq(tu_field(out, "rc"), 1, "'%s' exits 1:\n%s", args, out);
	cr_assert_eq(tu_field(out, "lines"), 1, "'%s': one line on stderr:\n%s", args, out);
	cr_assert(err && !strncmp(err + 11, "gomemtrace: error: ", 19),
		  "'%s': it is an error line:\n%s", args, out);
	cr_assert(strstr(err, needle), "'%s': stderr says '%s':\n%s", args, needle, out);
	cr_assert_eq(tu_field(out, "tmpfiles"), 0, "'%s': no temporary file left", args);
	free(out);
}

Test(badinput, not_an_elf_file)
{
	expect_bad("head -c 100000 /dev/urandom > $d/random; printf 'MZ\\x90' > $d/pe",
		   "info $d/random", "not an ELF file");
	expect_bad("printf 'MZ\\x90\\0' > $d/pe", "info $d/pe", "not an ELF file");
	expect_bad(": > $d/empty", "info $d/empty", "not an ELF file");
}

Test(badinput, elf_but_not_go)
{
	expect_bad("", "info /bin/true", "is not a Go binary");
	/* Launched: the message names the program, not /proc/PID/exe. */
	expect_bad("", "record -o $d/out -- /bin/true", "true (PID ");
	expect_bad("", "record -o $d/out -- /bin/true", "is not a Go binary");
}

/* Go before 1.19: the go1.19 fixture with its version strings made "go1.18". */
Test(badinput, go_older_than_supported, .timeout = 60)
{
	const char *old = "python3 -c 'import sys; b=open(sys.argv[1],\"rb\").read(); "
			  "open(sys.argv[2],\"wb\").write(b.replace(b\"go1.19\", b\"go1.18\"))' "
			  "$(dirname $FX)/alloc-go119-exe $d/old; chmod +x $d/old";

	expect_bad(old, "info $d/old", "Go go1.18");
	expect_bad(old, "info $d/old", "is not supported (gomemtrace supports go1.19");
	expect_bad(old, "record -o $d/out -- $d/old", "is not supported");
}

/* Cut at the ELF header, inside the program headers, mid-text and mid-pclntab. */
Test(badinput, truncated_binary, .timeout = 60)
{
	/* (Cut only at the end, section headers and symbols gone, it is still usable.) */
	static const char *const sizes[] = { "32", "200", "4096", "1000000",
					     "$(($(stat -c %s $FX) / 2))" };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char setup[256];

		snprintf(setup, sizeof(setup), "head -c %s $FX > $d/cut; chmod +x $d/cut",
			 sizes[i]);
		expect_bad(setup, "info $d/cut", "cut");
	}
	/* Launched: the kernel maps what there is; gomemtrace refuses before tracing. */
	expect_bad("head -c 1000000 $FX > $d/cut; chmod +x $d/cut", "record -o $d/out -- $d/cut",
		   "cut (PID ");
}

/* 4 KiB of .gopclntab flipped: in its header, then in the function table. */
Test(badinput, corrupted_pclntab, .timeout = 60)
{
	static const char *const where[] = { "8", "struct.unpack_from(\"<Q\", b, o + 0x40)[0] + 64" };
	const char *flip = "off=0x$(readelf -SW $FX | sed 's/^ *\\[ *[0-9]*\\]//' | "
			   "awk '$1 == \".gopclntab\" {print $4}'); cp $FX $d/bad; "
			   "python3 -c 'import sys, struct; p=sys.argv[1]; o=int(sys.argv[2], 0); "
			   "b=bytearray(open(p,\"rb\").read()); s=o+%s; "
			   "b[s:s+4096] = bytes(x ^ 0x5a for x in b[s:s+4096]); "
			   "open(p,\"wb\").write(b)' $d/bad $off";

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char setup[1024];

		snprintf(setup, sizeof(setup), flip, where[i]);
		expect_bad(setup, "info $d/bad", "pclntab");
		expect_bad(setup, "record -o $d/out -- $d/bad", "pclntab");
	}
}

Test(badinput, no_such_pid)
{
	expect_bad("", "record -o $d/out -p 2147483000", "no process with PID 2147483000");
}

Test(badinput, kernel_thread)
{
	/* PID 2 is kthreadd on Linux. */
	expect_bad("grep -q kthreadd /proc/2/comm || exit 1", "record -o $d/out -p 2",
		   "PID 2 has no executable (a kernel thread");
}

/*
 * The process exits while gomemtrace attaches: whatever the moment, either a one-line
 * error, or the recording of what there was with exit 0.
 */
Test(badinput, pid_exits_during_attach, .timeout = 240)
{
	char *out = tu_script("FX=%s; d=$(mktemp -d)\n"
			      "for i in $(seq 1 12); do\n"
			      "  $FX -bench $((i * 20000)) > /dev/null & p=$!\n"
			      "  sleep 0.0$((i %% 10))\n"
			      "  timeout 60 $GMT record --mode exact -o $d/out$i -p $p 2> $d/err$i\n"
			      "  rc=$?; wait $p\n"
			      "  if [ $rc = 0 ] && grep -q 'exited; writing the outputs' $d/err$i && "
			      "[ -f $d/out$i/summary.json ]; then echo ok_traced\n"
			      "  elif [ $rc = 1 ] && [ $(wc -l < $d/err$i) = 1 ] && "
			      "grep -q '^gomemtrace: error: ' $d/err$i; then echo ok_refused\n"
			      "  else echo BAD rc=$rc; cat $d/err$i; fi\n"
			      "done\nrm -rf $d",
			      tu_fixture("alloc", "go126", "exe"));

	cr_assert_null(strstr(out, "BAD"), "each run either traces or refuses in one line:\n%s",
		       out);
	cr_log_info("exits during attach: %s", out);
	free(out);
}

Test(badinput, no_privileges, .timeout = 60)
{
	const char *nobody = "RUN='setpriv --reuid=65534 --regid=65534 --clear-groups'";
	char setup[256];

	expect_bad(nobody, "record -o /tmp/gmt-nobody -- $FX -bench 10", "not enough privileges");
	snprintf(setup, sizeof(setup), "%s; $FX -spin 5 > /dev/null & p=$!; cleanup='kill $p'",
		 nobody);
	expect_bad(setup, "record -o /tmp/gmt-nobody -p $p", "not enough privileges");
}

/* No kernel BTF (simulated with a path that does not exist), and a file that is not BTF. */
Test(badinput, no_kernel_btf, .timeout = 60)
{
	expect_bad("", "record -o $d/out --btf $d/missing -- $FX -bench 10", "kernel BTF ");
	expect_bad("", "record -o $d/out --btf $d/missing -- $FX -bench 10", "CONFIG_DEBUG_INFO_BTF");
	expect_bad("export GMT_BTF_PATH=$d/missing", "record -o $d/out -- $FX -bench 10",
		   "kernel BTF ");
	expect_bad("", "record -o $d/out --btf /bin/true -- $FX -bench 10",
		   "/bin/true is not a kernel BTF file");
}

/* Refused before tracing starts: the command does not even run (no "bench" output). */
Test(badinput, output_dir_not_writable, .timeout = 60)
{
	const char *ro = "mkdir $d/ro && mount -t tmpfs -o ro,size=64k none $d/ro || exit 1; "
			 "cleanup='umount $d/ro'";

	expect_bad(ro, "record -o $d/ro/out -- $FX -bench 10", "cannot create output directory");
	expect_bad("", "record -o /etc/passwd/out -- $FX -bench 10", "Not a directory");
	expect_bad("touch $d/file", "record -o $d/file -- $FX -bench 10", "is not a directory");
}

/* A full filesystem: an error naming the file and the cause, and no temporary file. */
Test(badinput, disk_full, .timeout = 60)
{
	const char *full = "mkdir $d/full && mount -t tmpfs -o size=64k none $d/full || exit 1; "
			   "cleanup='umount $d/full'; mkdir $d/full/out; "
			   "dd if=/dev/zero of=$d/full/fill bs=4k 2>/dev/null; true";

	expect_bad(full, "record --mode exact -q -o $d/full/out -- $FX -bench 1000",
		   "No space left on device");
	expect_bad(full, "record --mode exact -q -o $d/full/out -- $FX -bench 1000",
		   "cannot write ");
}

/* Outputs are the owner's only (0600, 0700) unless --umask says otherwise. */
Test(badinput, output_modes, .timeout = 60)
{
	char *out = tu_script("d=$(mktemp -d); chmod 755 $d\n"
			      "$GMT record --mode exact -q -o $d/a -- %s -bench 1000 > /dev/null\n"
			      "$GMT record --mode exact -q --umask 022 -o $d/b -- %s -bench 1000 "
			      "> /dev/null\n"
			      "stat -c 'mode %%a %%n' $d/a $d/a/* $d/b $d/b/*; rm -rf $d",
			      tu_fixture("alloc", "go126", "exe"), tu_fixture("alloc", "go126", "exe"));
	int n600 = 0, n644 = 0;

	for (const char *p = strstr(out, "mode "); p; p = strstr(p + 1, "mode ")) {
		unsigned int mode;
		char path[512];

		cr_assert_eq(sscanf(p, "mode %o %511s", &mode, path), 2);
		if (strstr(path, "/a/")) {
			cr_assert_eq(mode, 0600, "default: %s is 0600, not %o", path, mode);
			n600++;
		} else if (strstr(path, "/b/")) {
			cr_assert_eq(mode, 0644, "--umask 022: %s is 0644, not %o", path, mode);
			n644++;
		} else if (strstr(path, "/a"))
			cr_assert_eq(mode, 0700, "default: the directory is 0700, not %o", mode);
		else
			cr_assert_eq(mode, 0755, "--umask 022: the directory is 0755, not %o", mode);
	}
	cr_assert_geq(n600, 5, "the outputs were written:\n%s", out);
	cr_assert_eq(n600, n644, "both runs wrote the same files:\n%s", out);
	free(out);
}
