/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer: values go straight to a FILE, commas and indentation are
 * managed here, strings are escaped.  No document is built in memory.
 */
#ifndef GMT_JSON_WRITER_H
#define GMT_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct gmt_json;

struct gmt_json *gmt_json__new(FILE *f, bool pretty);
/* Returns 0, or -EIO when a write failed or the nesting was left unbalanced. */
int gmt_json__free(struct gmt_json *j);

void gmt_json__obj_begin(struct gmt_json *j);
void gmt_json__obj_end(struct gmt_json *j);
void gmt_json__arr_begin(struct gmt_json *j);
void gmt_json__arr_end(struct gmt_json *j);
/* Inside an object: the key of the next value. */
void gmt_json__key(struct gmt_json *j, const char *key);

void gmt_json__str(struct gmt_json *j, const char *s);
void gmt_json__int(struct gmt_json *j, int64_t v);
void gmt_json__uint(struct gmt_json *j, uint64_t v);
void gmt_json__double(struct gmt_json *j, double v);
void gmt_json__bool(struct gmt_json *j, bool v);
void gmt_json__null(struct gmt_json *j);
/*
 * One value the caller writes itself, whole and valid, into the FILE returned: for
 * values nested deeper than the writer tracks (report.html's flame graphs, one level per
 * frame).
 */
FILE *gmt_json__raw_begin(struct gmt_json *j);

/* key + value shorthands */
void gmt_json__kstr(struct gmt_json *j, const char *key, const char *s);
void gmt_json__kint(struct gmt_json *j, const char *key, int64_t v);
void gmt_json__kuint(struct gmt_json *j, const char *key, uint64_t v);
void gmt_json__kdouble(struct gmt_json *j, const char *key, double v);
void gmt_json__kbool(struct gmt_json *j, const char *key, bool v);

#endif
