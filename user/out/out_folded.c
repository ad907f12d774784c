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
	if (b->len + 2 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		char *p = realloc(b->p, ncap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = ncap;
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
		       const struct gmt_symbolizer *sym)
{
	struct gmt_frame fr[MAX_INLINE];

	if (gmt_agg_stack_is_unknown(s)) {
		sb_frame(b, "[unknown stack]");
		return;
	}
	if (s->truncated)
		sb_frame(b, "[truncated]"); /* the real root is missing */
	/* pcs are leaf first and frames innermost first: walk both backwards. */
	for (uint32_t i = s->depth; i-- > 0;) {
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

int gmt_write_folded(const struct gmt_agg *a, const struct gmt_symbolizer *sym, FILE *f,
		     enum gmt_folded_value v)
{
	const struct gmt_agg_stack *const *st;
	size_t n = gmt_agg__stacks_by_bytes(a, &st), nl = 0;
	struct line *lines;
	int err = 0;

	if ((unsigned int)v >= GMT_FOLDED__MAX || !f)
		return -EINVAL;
	lines = calloc(n ? n : 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sbuf b = {};
		uint64_t val = value_of(st[i], v);

		if (!val)
			continue;
		fold_stack(&b, st[i], sym);
		if (b.oom || !b.p) {
			free(b.p);
			err = -ENOMEM;
			goto out;
		}
		lines[nl++] = (struct line){ b.p, val };
	}
	qsort(lines, nl, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < nl;) {
		uint64_t sum = 0;
		size_t j = i;

		for (; j < nl && !strcmp(lines[j].text, lines[i].text); j++)
			sum = sum + lines[j].value < sum ? UINT64_MAX : sum + lines[j].value;
		fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)sum);
		i = j;
	}
	if (ferror(f))
		err = -EIO;
out:
	for (size_t i = 0; i < nl; i++)
		free(lines[i].text);
	free(lines);
	return err;
}
