// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "json_writer.h"

static char *render(void (*fn)(struct gmt_json *), bool pretty, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct gmt_json *j = gmt_json__new(f, pretty);

	fn(j);
	*rc = gmt_json__free(j);
	fclose(f);
	return buf;
}

static void doc(struct gmt_json *j)
{
	gmt_json__obj_begin(j);
	gmt_json__kstr(j, "s", "a\"b\\c\n\x01");
	gmt_json__kint(j, "i", -5);
	gmt_json__kuint(j, "u", 18446744073709551615ULL);
	gmt_json__kbool(j, "b", true);
	gmt_json__kdouble(j, "d", 0.5);
	gmt_json__kdouble(j, "nan", 0.0 / 0.0);
	gmt_json__key(j, "a");
	gmt_json__arr_begin(j);
	gmt_json__int(j, 1);
	gmt_json__obj_begin(j);
	gmt_json__obj_end(j);
	gmt_json__arr_begin(j);
	gmt_json__arr_end(j);
	gmt_json__null(j);
	gmt_json__arr_end(j);
	gmt_json__obj_end(j);
}

Test(json, compact_output_is_exact)
{
	int rc;
	char *s = render(doc, false, &rc);

	cr_assert_eq(rc, 0, "balanced document reports success");
	cr_assert_str_eq(s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"i\":-5,\"u\":18446744073709551615,"
			    "\"b\":true,\"d\":0.5,\"nan\":null,\"a\":[1,{},[],null]}",
			 "compact rendering, escapes and NaN as null");
	free(s);
}

Test(json, pretty_output_parses_with_python)
{
	int rc;
	char *s = render(doc, true, &rc);
	char path[] = "/tmp/gmt-json-XXXXXX";
	int fd = mkstemp(path);

	cr_assert(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
		 "sys.exit(0 if d[\"a\"]==[1,{},[],None] and d[\"u\"]==2**64-1 else 1)'",
		 path);
	cr_assert_eq(system(cmd), 0, "pretty JSON is valid and round-trips in python: %s", s);
	unlink(path);
	free(s);
}

static void unbalanced(struct gmt_json *j)
{
	gmt_json__obj_begin(j);
	gmt_json__arr_begin(j);
	gmt_json__arr_end(j);
}

Test(json, unbalanced_document_is_an_error)
{
	int rc;
	char *s = render(unbalanced, false, &rc);

	cr_assert_lt(rc, 0, "an unclosed object is reported");
	free(s);
}
