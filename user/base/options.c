// SPDX-License-Identifier: MIT
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int gmt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int gmt_parse_pid(const char *s, int *pid)
{
	uint64_t v;
	int err = gmt_parse_u64(s, 1, 0x7fffffff, &v);

	if (!err)
		*pid = (int)v;
	return err;
}

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign, as Go accepts it */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek small mu */
	{ "ms", 1000000 },
	{ "s", GMT_NS_PER_S },
	{ "m", 60 * GMT_NS_PER_S },
	{ "h", 3600 * GMT_NS_PER_S },
};

/* Digits with at most one '.', and at least one digit: a bare number of seconds. */
static bool bare_number(const char *s)
{
	bool digit = false, dot = false;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digit = true;
		else if (*s == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digit;
}

/* Go's durations are int64 nanoseconds: about 292 years at most. */
#define DURATION_MAX ((uint64_t)INT64_MAX)

/*
 * One "<number><unit>" at *p, added to *total; *p moves past it.  A bare number has no
 * unit and counts in seconds.  -EINVAL, or -ERANGE past DURATION_MAX.  The arithmetic
 * is Go's, so that both read a string as the same number of nanoseconds: a fraction's
 * digits are kept while they fit in 63 bits, and scaled in double precision.
 */
static int duration_part(const char **p, uint64_t *total, bool bare)
{
	const char *s = *p;
	uint64_t ip = 0, frac = 0, unit = 0, v;
	double scale = 1;
	bool pre = false, post = false, full = false;
	size_t ulen = 0;

	for (; isdigit((unsigned char)*s); s++, pre = true) {
		if (ip > DURATION_MAX / 10 || ip * 10 + (uint64_t)(*s - '0') > DURATION_MAX)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, post = true) {
			if (full || frac > DURATION_MAX / 10 ||
			    frac * 10 + (uint64_t)(*s - '0') > DURATION_MAX + 1) {
				full = true; /* the rest only refines below a nanosecond */
				continue;
			}
			frac = frac * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
	}
	if (!pre && !post)
		return -EINVAL;
	if (bare) {
		unit = GMT_NS_PER_S;
	} else {
		while (s[ulen] && s[ulen] != '.' && !isdigit((unsigned char)s[ulen]))
			ulen++;
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			if (strlen(duration_units[i].name) == ulen &&
			    strncmp(s, duration_units[i].name, ulen) == 0)
				unit = duration_units[i].ns;
		}
		if (!unit)
			return -EINVAL; /* no unit, or not one of Go's */
		s += ulen;
	}
	if (ip > DURATION_MAX / unit)
		return -ERANGE;
	v = ip * unit;
	if (frac)
		v += (uint64_t)((double)frac * ((double)unit / scale));
	if (v > DURATION_MAX || *total + v > DURATION_MAX)
		return -ERANGE;
	*total += v;
	*p = s;
	return 0;
}

int gmt_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns)
{
	bool neg = false, bare;
	uint64_t total = 0;
	int err;

	if (!s)
		return -EINVAL;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	bare = bare_number(s);
	do {
		err = duration_part(&s, &total, bare);
		if (err)
			return err;
	} while (*s);
	if ((neg && total) || total < min_ns || total > max_ns)
		return -ERANGE;
	*ns = total;
	return 0;
}
