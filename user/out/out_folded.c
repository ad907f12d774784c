// SPDX-License-Identifier: MIT
/*
 * Folded stacks (flamegraph.pl, inferno, speedscope): `root;...;leaf value`.
 * Lines are built in memory, sorted and merged, because two stack ids can symbolize to
 * the same text (different return addresses on the same lines, or stacks that only
 * differ below a truncation).
 */
#include "outputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

#define MAX_INLINE 64 /* frames per return address; deeper inlining is not seen in practice */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->oom)
		return;
	if (GMT_GROW(&b->p, &b->cap, b->len + 2)) {
		b->oom = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

/* A frame name, made safe for the format: ';' separates frames, a newline ends a line. */
static void sb_frame(struct sbuf *b, const char *name)
{
	if (b->len)
		sb_putc(b, ';');
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (*s == ';')
			sb_putc(b, ','); /* reads well in "struct { a int, b int }" */
		else if (*s < 0x20 || *s == 0x7f)
			sb_putc(b, ' ');
		else
			sb_putc(b, (char)*s);
	}
}

static void sb_addr(struct sbuf *b, uint64_t pc)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "0x%llx", (unsigned long long)pc);
	sb_frame(b, tmp);
}

static void fold_stack(struct sbuf *b, const struct gmt_agg_stack *s,
		       const struct gmt_symbolizer *sym, uint32_t skip)
{
	struct gmt_frame fr[MAX_INLINE];

	if (gmt_agg_stack_is_unknown(s)) {
		sb_frame(b, "[unknown stack]");
		return;
	}
	if (s->truncated)
		sb_frame(b, "[truncated]"); /* the real root is missing */
	/* pcs are leaf first and frames innermost first: walk both backwards. */
	for (uint32_t i = s->depth; i-- > skip;) {
		int n = gmt_symbolize_pc(sym, s->pcs[i], fr, MAX_INLINE);

		if (n < 0) {
			sb_addr(b, s->pcs[i]);
			continue;
		}
		for (int j = n; j-- > 0;) {
			if (fr[j].func && fr[j].func[0])
				sb_frame(b, fr[j].func);
			else
				sb_addr(b, s->pcs[i]);
		}
	}
}

struct line {
	char *text;
	uint64_t value;
};

static int cmp_line(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;

	return strcmp(a->text, b->text);
}

/* Largest value first; equal values in text order, so that the output is stable. */
static int cmp_line_value(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(a->text, b->text);
}

static uint64_t value_of(const struct gmt_agg_stack *s, enum gmt_folded_value v)
{
	switch (v) {
	case GMT_FOLDED_COUNT:
		return s->count;
	case GMT_FOLDED_BYTES:
		return s->bytes;
	case GMT_FOLDED_RESERVED:
		return s->reserved;
	default:
		return 0;
	}
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Bytes of "text value\n". */
static uint64_t line_size(const char *text, uint64_t value)
{
	char num[24];

	return strlen(text) + 2 + (uint64_t)snprintf(num, sizeof(num), "%llu",
						     (unsigned long long)value);
}

static const char *leaf_of(const char *text)
{
	const char *semi = strrchr(text, ';');

	return semi ? semi + 1 : text;
}

#define OTHER "[other stacks]"

/*
 * Over the budget: the lines with the largest values stay, in value order while they fit
 * in 7/8 of it; every other line goes into "[other stacks];LEAF" with its leaf function
 * (what a flame graph's self view shows), and the smallest of those, past the budget,
 * into one "[other stacks]" line.  The values add up as before.  lines[] (merged, nl of
 * them) is rewritten: the result is in lines[0..*out_n), its texts owned by lines[].
 */
static int bound_lines(struct line *lines, size_t nl, uint64_t budget, size_t *out_n,
		       struct gmt_folded_opts *o)
{
	uint64_t used = 0, rest = 0, others_budget;
	struct line *kept, *others;
	size_t nk = 0, no = 0, n = 0;
	int err = 0;

	kept = calloc(nl + 1, sizeof(*kept));
	others = calloc(nl + 1, sizeof(*others));
	if (!kept || !others) {
		err = -ENOMEM;
		goto out;
	}
	qsort(lines, nl, sizeof(*lines), cmp_line_value);
	for (size_t i = 0; i < nl; i++) {
		uint64_t sz = line_size(lines[i].text, lines[i].value);

		if (used + sz <= budget / 8 * 7) {
			used += sz;
			kept[nk++] = lines[i];
			continue;
		}
		/* Merged by leaf: a leaf's lines are adjacent once sorted by it below. */
		others[no++] = lines[i];
		o->merged++;
	}
	/* "[other stacks];LEAF" sums, in place in others[]: sort by leaf, then sum runs. */
	for (size_t i = 0; i < no; i++) {
		char *leaf = strdup(leaf_of(others[i].text));

		if (!leaf) {
			err = -ENOMEM;
			goto out;
		}
		free(others[i].text);
		others[i].text = leaf;
	}
	qsort(others, no, sizeof(*others), cmp_line);
	for (size_t i = 0; i < no;) {
		size_t j = i + 1;
		uint64_t sum = others[i].value;

		for (; j < no && !strcmp(others[j].text, others[i].text); j++) {
			sum = add_sat(sum, others[j].value);
			free(others[j].text);
			others[j].text = NULL;
		}
		others[n].text = others[i].text;
		others[n++].value = sum;
		if (n - 1 != i)
			others[i].text = NULL;
		i = j;
	}
	no = n;
	qsort(others, no, sizeof(*others), cmp_line_value);
	/* What the kept lines left, less room for the final "[other stacks] N" line. */
	others_budget = budget > used + 48 ? budget - used - 48 : 0;
	for (size_t i = 0; i < no; i++) {
		size_t len = strlen(OTHER) + 1 + strlen(others[i].text);
		uint64_t sz = len + 2 + 20;
		char *t;

		if (sz > others_budget) {
			rest = add_sat(rest, others[i].value);
			free(others[i].text);
			continue;
		}
		others_budget -= sz;
		t = malloc(len + 1);
		if (!t) {
			err = -ENOMEM;
			for (size_t k = i; k < no; k++)
				free(others[k].text);
			no = 0;
			goto out;
		}
		snprintf(t, len + 1, "%s;%s", OTHER, others[i].text);
		free(others[i].text);
		kept[nk].text = t;
		kept[nk++].value = others[i].value;
	}
	no = 0; /* every text of others[] is freed or in kept[] */
	if (rest) {
		kept[nk].text = strdup(OTHER);
		if (!kept[nk].text) {
			err = -ENOMEM;
			goto out;
		}
		kept[nk++].value = rest;
	}
	memcpy(lines, kept, nk * sizeof(*lines));
	*out_n = nk;
	o->written_lines = nk;
out:
	for (size_t i = 0; i < no; i++)
		free(others[i].text);
	if (err) {
		/* lines[] lost its texts to kept[] and others[]: give them back to be freed. */
		memcpy(lines, kept, nk * sizeof(*lines));
		*out_n = nk;
	}
	free(kept);
	free(others);
	return err;
}

int gmt_write_folded(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     enum gmt_folded_value v, struct gmt_folded_opts *o)
{
	static struct gmt_folded_opts defaults;
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(a, &st), nl = 0, nm = 0;
	struct gmt_folded_opts local = o ? *o : defaults;
	uint64_t size = 0;
	struct line *lines;
	int err = 0;

	if ((unsigned int)v >= GMT_FOLDED__MAX || !f)
		return -EINVAL;
	local.stacks = local.merged = local.written_lines = 0;
	lines = calloc(n ? n : 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sbuf b = {};
		uint64_t val = value_of(st[i], v);

		if (!val)
			continue;
		fold_stack(&b, st[i], sym,
			   local.runtime_frames ? 0 : gmt_stack_runtime_skip(st[i], sym));
		if (b.oom || !b.p) {
			free(b.p);
			err = -ENOMEM;
			goto out;
		}
		lines[nl++] = (struct line){ b.p, val };
	}
	/* Stacks that fold to the same text are one line. */
	qsort(lines, nl, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < nl;) {
		size_t j = i + 1;

		for (; j < nl && !strcmp(lines[j].text, lines[i].text); j++) {
			lines[i].value = add_sat(lines[i].value, lines[j].value);
			free(lines[j].text);
			lines[j].text = NULL;
		}
		lines[nm++] = lines[i];
		size += line_size(lines[i].text, lines[i].value);
		i = j;
	}
	nl = nm;
	local.stacks = nl;
	local.written_lines = nl;
	if (local.max_bytes && size > local.max_bytes) {
		err = bound_lines(lines, nl, local.max_bytes, &nl, &local);
		if (err)
			goto out;
		qsort(lines, nl, sizeof(*lines), cmp_line);
	}
	for (size_t i = 0; i < nl; i++)
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)lines[i].value);
	if (ferror(f))
		err = -EIO;
out:
	for (size_t i = 0; i < nl; i++)
		free(lines[i].text);
	free(lines);
	if (o) {
		o->stacks = local.stacks;
		o->merged = local.merged;
		o->written_lines = local.written_lines;
	}
	return err;
}
