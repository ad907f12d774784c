// SPDX-License-Identifier: MIT
/*
 * gmt_calltype on the sampled fixture's allocation sites, for every Go version: the type
 * each site's source allocates (new([8]int), make([]byte, ...), make([]*int, 32)) against
 * the call sites `go tool objdump` shows.  objdump needs the symbol table, so the
 * unstripped builds are checked here (exe and PIE); the stripped ones end to end.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltype.h"
#include "gobin.h"
#include "testutil.h"

/*
 * Return address of the first call in fn (a regexp anchored by objdump -s) whose callee
 * matches callee_re: the address of the instruction after it, as objdump prints it.
 */
static uint64_t ret_after_call(const char *path, const char *fn, const char *callee_re)
{
	char *out = tu_run("%s tool objdump -s '^%s$' %s | awk 'f {print $2; exit} "
			   "/CALL %s\\(SB\\)/ {f=1}'",
			   tu_go(), fn, path, callee_re);
	unsigned long long a = 0;

	cr_assert_eq(sscanf(out, "%llx", &a), 1, "%s: objdump shows a call to %s in %s", path,
		     callee_re, fn);
	free(out);
	return a;
}

#define ALLOCATORS "runtime\\.(newobject|makeslice|mallocgc[A-Za-z0-9]*)"

static void expect_type(const struct gmt_gobin *gb, const char *path, const uint64_t *pcs,
			uint32_t depth, uint64_t bias, const char *want)
{
	uint64_t biased[8], typ;
	char name[128] = "";

	for (uint32_t i = 0; i < depth; i++)
		biased[i] = pcs[i] + bias;
	typ = gmt_calltype(gb, tu_release(gb), bias, biased, depth);
	cr_assert_neq(typ, 0, "%s: a type for %s", path, want);
	cr_assert_geq(typ, bias);
	cr_assert_geq(gmt_gobin__type_name(gb, typ - bias, name, sizeof(name)), 0, "%s", path);
	cr_expect_str_eq(name, want, "%s: call site %#lx allocates %s, got %s", path,
			 (unsigned long)pcs[depth - 1], want, name);
}

static void check_binary(const char *path, bool newobject_frame)
{
	static const struct {
		const char *fn, *type;
	} sites[] = {
	    {"main.siteSmall", "[8]int"},
	    {"main.siteKilo", "uint8"},
	    {"main.siteLarge", "uint8"},
	    {"main.sitePtrs", "*int"},
	};
	struct gmt_gobin *gb = tu_open_gobin(path);

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		uint64_t ret = ret_after_call(path, sites[i].fn, ALLOCATORS);

		expect_type(gb, path, &ret, 1, 0, sites[i].type);
		expect_type(gb, path, &ret, 1, 0x7f1200000000ULL, sites[i].type);
	}
	if (newobject_frame) {
		/* newobject passes its caller's type on to mallocgc: the next frame tells. */
		uint64_t pcs[2] = {ret_after_call(path, "runtime.newobject", "runtime\\.mallocgc"),
				   ret_after_call(path, "main.siteSmall", "runtime\\.newobject")};

		expect_type(gb, path, pcs, 2, 0, "[8]int");
		cr_expect_eq(gmt_calltype(gb, tu_release(gb), 0, pcs, 1), 0,
			     "%s: newobject alone does not know its type", path);
	}
	/* A call that does not allocate: no type. */
	uint64_t wb = ret_after_call(path, "main.siteSmall", "runtime\\.gcWriteBarrier[0-9]*");

	cr_expect_eq(gmt_calltype(gb, tu_release(gb), 0, &wb, 1), 0, "%s: a write barrier call has no type", path);
	cr_expect_eq(gmt_calltype(gb, tu_release(gb), 0, &wb, 0), 0);
	gmt_gobin__free(gb);
}

struct variant {
	const char *version, *flavour;
	bool newobject_frame; /* siteSmall calls runtime.newobject (not a size-specialized allocator) */
};

static const struct variant variants[] = {
    {"go119", "exe", true}, {"go122", "exe", true}, {"go124", "exe", true},
    {"go126", "exe", true}, {"go127", "exe", false}, {"go119", "pie", true},
    {"go120", "exe", true}, {"go121", "exe", true}, {"go123", "exe", true},
    {"go125", "exe", true},
    {"go124", "pie", true}, {"go127", "pie", false}, {"go126", "exp", false},
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* Indices, not the structs: Criterion copies parameters, pointers would not survive. */
ParameterizedTestParameters(calltype, sampled_fixture_sites)
{
	static int idx[NVARIANTS];

	for (size_t i = 0; i < NVARIANTS; i++)
		idx[i] = (int)i;
	return cr_make_param_array(int, idx, NVARIANTS);
}

ParameterizedTest(int *i, calltype, sampled_fixture_sites, .timeout = 120)
{
	const struct variant *v = &variants[*i];

	check_binary(tu_fixture("sampled", v->version, v->flavour), v->newobject_frame);
}
