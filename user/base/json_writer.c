// SPDX-License-Identifier: MIT
#include "json_writer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define MAX_DEPTH 64

struct gmt_json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[MAX_DEPTH]; /* no element written yet at this level */
	bool after_key;
	bool bad; /* nesting error */
};

struct gmt_json *gmt_json__new(FILE *f, bool pretty)
{
	struct gmt_json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->f = f;
	j->pretty = pretty;
	j->first[0] = true;
	return j;
}

int gmt_json__free(struct gmt_json *j)
{
	int err;

	if (!j)
		return 0;
	if (j->pretty)
		fputc('\n', j->f);
	err = (j->bad || j->depth != 0 || ferror(j->f)) ? -EIO : 0;
	free(j);
	return err;
}

static void newline(struct gmt_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator and indentation before a value (or a key). */
static void before_value(struct gmt_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->depth > 0)
		newline(j);
	j->first[j->depth] = false;
}

static void open(struct gmt_json *j, char c)
{
	before_value(j);
	fputc(c, j->f);
	if (j->depth + 1 >= MAX_DEPTH) {
		j->bad = true;
		return;
	}
	j->first[++j->depth] = true;
}

static void close(struct gmt_json *j, char c)
{
	bool empty;

	if (j->depth == 0) {
		j->bad = true;
		return;
	}
	empty = j->first[j->depth];
	j->depth--;
	if (!empty)
		newline(j);
	fputc(c, j->f);
}

void gmt_json__obj_begin(struct gmt_json *j)
{
	open(j, '{');
}

void gmt_json__obj_end(struct gmt_json *j)
{
	close(j, '}');
}

void gmt_json__arr_begin(struct gmt_json *j)
{
	open(j, '[');
}

void gmt_json__arr_end(struct gmt_json *j)
{
	close(j, ']');
}

FILE *gmt_json__raw_begin(struct gmt_json *j)
{
	before_value(j);
	return j->f;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void gmt_json__key(struct gmt_json *j, const char *key)
{
	before_value(j);
	put_string(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void gmt_json__str(struct gmt_json *j, const char *s)
{
	before_value(j);
	put_string(j->f, s ? s : "");
}

void gmt_json__int(struct gmt_json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%lld", (long long)v);
}

void gmt_json__uint(struct gmt_json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void gmt_json__double(struct gmt_json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f); /* JSON has no NaN or infinity */
}

void gmt_json__bool(struct gmt_json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void gmt_json__null(struct gmt_json *j)
{
	before_value(j);
	fputs("null", j->f);
}

void gmt_json__kstr(struct gmt_json *j, const char *key, const char *s)
{
	gmt_json__key(j, key);
	gmt_json__str(j, s);
}

void gmt_json__kint(struct gmt_json *j, const char *key, int64_t v)
{
	gmt_json__key(j, key);
	gmt_json__int(j, v);
}

void gmt_json__kuint(struct gmt_json *j, const char *key, uint64_t v)
{
	gmt_json__key(j, key);
	gmt_json__uint(j, v);
}

void gmt_json__kdouble(struct gmt_json *j, const char *key, double v)
{
	gmt_json__key(j, key);
	gmt_json__double(j, v);
}

void gmt_json__kbool(struct gmt_json *j, const char *key, bool v)
{
	gmt_json__key(j, key);
	gmt_json__bool(j, v);
}
