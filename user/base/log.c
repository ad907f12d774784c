// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Process-wide by nature: there is one stderr. */
static enum gmt_log_level cur_level = GMT_LOG_INFO;
static int timestamps;

void gmt_log_set_level(enum gmt_log_level level)
{
	cur_level = level;
}

enum gmt_log_level gmt_log_level(void)
{
	return cur_level;
}

void gmt_log_set_timestamps(int on)
{
	timestamps = on;
}

void gmt_log(enum gmt_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > cur_level)
		return;
	if (timestamps) {
		struct timespec ts;
		struct tm tm;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: ", buf, ts.tv_nsec / 1000000, names[level]);
	} else {
		fprintf(stderr, "gomemtrace: ");
		if (level <= GMT_LOG_WARN)
			fprintf(stderr, "%s: ", names[level]);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
