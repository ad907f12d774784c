// SPDX-License-Identifier: MIT
/*
 * The whole Go binary reader from one buffer: ELF, version, pclntab, moduledata, type
 * names (for addresses inside the types section and addresses taken from the input),
 * function code, and the hook plan that decodes the runtime's functions.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gobin.h"
#include "analysis.h"
#include "hookplan.h"
#include "release.h"
#include "fuzz.h"

#define MAX_TYPES 256
#define MAX_FUNCS 64

static void type_at(const struct gmt_gobin *gb, uint64_t typ)
{
	struct gmt_type_info ti;
	char name[64];

	if (gmt_gobin__type_name(gb, typ, name, sizeof(name)) == 0)
		FUZZ_CHECK(memchr(name, 0, sizeof(name)));
	/* A tiny buffer: names must be cut, never overrun. */
	if (gmt_gobin__type_name(gb, typ, name, 2) == 0)
		FUZZ_CHECK(memchr(name, 0, 2));
	if (gmt_gobin__type_info(gb, typ, &ti) == 0)
		FUZZ_CHECK(memchr(ti.name, 0, sizeof(ti.name)));
}

static void fuzz_types(const struct gmt_gobin *gb, const uint8_t *data, size_t size)
{
	uint64_t a, span, step;
	size_t i;

	if (!gb->has_md)
		return;
	/* Addresses spread over [types, etypes), 8-aligned as descriptors are. */
	span = gb->md.etypes > gb->md.types ? gb->md.etypes - gb->md.types : 0;
	step = span / MAX_TYPES > 8 ? (span / MAX_TYPES) & ~7ULL : 8;
	for (i = 0, a = gb->md.types; i < MAX_TYPES && a < gb->md.etypes; i++, a += step)
		type_at(gb, a);
	for (i = 0; i + 8 <= size && i < 8 * 64; i += 8) {
		uint64_t v = fuzz_u64(data + size - 8 - i);

		type_at(gb, v);
		if (span)
			type_at(gb, gb->md.types + (v % span));
	}
	type_at(gb, 0);
	type_at(gb, UINT64_MAX);
}

static void fuzz_funcs(const struct gmt_gobin *gb)
{
	size_t i, n = gmt_pcln__nfunc(gb->pcln);
	size_t step = n > MAX_FUNCS ? n / MAX_FUNCS : 1;

	for (i = 0; i < n; i += step) {
		struct gmt_frame fr[4];
		struct gmt_func_info fi;
		const uint8_t *code;
		int k;

		if (gmt_pcln__func(gb->pcln, i, &fi))
			continue;
		code = gmt_gobin__func_code(gb, &fi);
		if (code)
			fuzz_touch(code, fi.end - fi.entry);
		k = gmt_pcln__symbolize(gb->pcln, fi.entry, fr, 4);
		FUZZ_CHECK(k <= 4);
	}
}

static void fuzz_plan(const struct gmt_gobin *gb, const struct gmt_go_release *row)
{
	struct gmt_hookplan plan = { 0 };
	struct gmt_diag d;
	size_t i;

	if (gmt_hookplan_build(gb, row, &plan, &d) == 0) {
		for (i = 0; i < plan.nhooks; i++) {
			const struct gmt_hook *h = &plan.hooks[i];

			FUZZ_CHECK(memchr(h->function, 0, sizeof(h->function)));
			FUZZ_CHECK(memchr(h->insn, 0, sizeof(h->insn)));
		}
		for (i = 0; i < plan.nmissing; i++)
			FUZZ_CHECK(memchr(plan.missing[i].reason, 0, sizeof(plan.missing[i].reason)));
		gmt_hookplan_find(&plan, GMT_HOOK_MALLOCGC);
	}
	gmt_hookplan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmt_gobin *gb;
	struct gmt_analysis *an;
	struct gmt_release rel;
	struct gmt_diag d;

	if (gmt_gobin__from_mem(data, size, "fuzz", &gb, &d))
		return 0;
	FUZZ_CHECK(memchr(gb->version, 0, sizeof(gb->version)));
	FUZZ_CHECK(memchr(gb->experiments, 0, sizeof(gb->experiments)));
	fuzz_types(gb, data, size);
	fuzz_funcs(gb);
	/* The release, inferred when the input names none; with it, everything else. */
	if (gmt_release_resolve(gb, &rel, &d) == 0) {
		FUZZ_CHECK(rel.row && memchr(rel.evidence, 0, sizeof(rel.evidence)));
		fuzz_plan(gb, rel.row);
	}
	/* The whole analysis (it takes gb over): variables and mode checks. */
	if (gmt_analysis__from_gobin(gb, &an, &d) == 0) {
		for (int m = 0; m < GMT_MODE__COUNT; m++)
			FUZZ_CHECK(memchr(an->modes[m].why, 0, sizeof(an->modes[m].why)));
		gmt_analysis__put(an);
	}
	return 0;
}
