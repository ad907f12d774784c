// SPDX-License-Identifier: MIT
/*
 * The process memory reader (process/procmem.c): reads of this test's own memory and of
 * a child's, refused outside the mappings, -ESRCH once the child is gone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procmem.h"

Test(procmem, parse_maps_keeps_readable_ranges)
{
	const char *text =
		"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/x\n"
		"00651000-00652000 ---p 00051000 08:02 173521      /usr/bin/x\n"
		"c000000000-c000400000 rw-p 00000000 00:00 0\n"
		"7ffd1000-7ffd2000 r--p 00000000 00:00 0                  [vvar]";
	struct gmt_procmem_map *m;
	int n = gmt_procmem_parse_maps(text, &m);

	cr_assert_eq(n, 3);
	cr_assert_eq(m[0].start, 0x400000);
	cr_assert_eq(m[0].end, 0x452000);
	cr_assert_eq(m[1].start, 0xc000000000ull);
	cr_assert_eq(m[1].end, 0xc000400000ull);
	cr_assert_eq(m[2].start, 0x7ffd1000);
	free(m);
	cr_assert_eq(gmt_procmem_parse_maps("garbage\n", &m), -EINVAL);
	cr_assert_eq(gmt_procmem_parse_maps("", &m), 0);
}

Test(procmem, reads_own_memory_and_refuses_unmapped)
{
	static const char known[] = "the bytes the reader must find";
	struct gmt_procmem pm;
	struct gmt_diag d = {};
	struct gmt_rmem m;
	char buf[sizeof(known)];
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *two, *b2 = malloc(64);

	cr_assert_eq(gmt_procmem_open(&pm, getpid(), &d), 0, "%s", d.msg);
	m = gmt_procmem_rmem(&pm);
	cr_assert_eq(gmt_rmem_read(&m, (uint64_t)(uintptr_t)known, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, known);
	cr_assert_eq(gmt_rmem_read(&m, 0x10, buf, 8), -EFAULT);
	cr_assert_eq(gmt_rmem_read(&m, UINT64_MAX - 4, buf, 8), -EFAULT);
	/* A page mapped after the open is found (the maps are read again)... */
	memset(b2, 7, 64);
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(two, MAP_FAILED);
	memcpy(two + pg - 4, "abcdefgh", 8);
	cr_assert_eq(gmt_rmem_read(&m, (uint64_t)(uintptr_t)(two + pg - 4), buf, 8), 0);
	cr_assert_eq(memcmp(buf, "abcdefgh", 8), 0);
	/* ...and a read that runs into an unmapped page is refused. */
	cr_assert_eq(munmap(two + pg, pg), 0);
	cr_assert_eq(gmt_rmem_read(&m, (uint64_t)(uintptr_t)(two + pg - 4), buf, 8), -EFAULT);
	cr_assert_eq(gmt_rmem_read(&m, (uint64_t)(uintptr_t)(two + pg - 4), buf, 4), 0);
	munmap(two, pg);
	free(b2);
	gmt_procmem_close(&pm);
}

Test(procmem, gone_process_is_esrch)
{
	struct gmt_procmem pm;
	struct gmt_diag d = {};
	struct gmt_rmem m;
	static uint64_t word = 0x1122334455667788ull;
	uint64_t v = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	cr_assert_eq(gmt_procmem_open(&pm, pid, &d), 0, "%s", d.msg);
	m = gmt_procmem_rmem(&pm);
	/* The child is a copy of this process: the same word at the same address. */
	cr_assert_eq(gmt_rmem_u64(&m, (uint64_t)(uintptr_t)&word, &v), 0);
	cr_assert_eq(v, word);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(gmt_rmem_u64(&m, (uint64_t)(uintptr_t)&word, &v), -ESRCH);
	gmt_procmem_close(&pm);
	cr_assert_eq(gmt_procmem_open(&pm, pid, &d), -ESRCH, "%s", d.msg);
}
