/* SPDX-License-Identifier: MIT */
/* Logging for the CLI: one wrapper, levels chosen by -v / -q. */
#ifndef GMT_LOG_H
#define GMT_LOG_H

enum gmt_log_level { GMT_LOG_ERROR, GMT_LOG_WARN, GMT_LOG_INFO, GMT_LOG_DEBUG };

void gmt_log_set_level(enum gmt_log_level level);
enum gmt_log_level gmt_log_level(void);
/* Adds a timestamp and level to every line (for long-running tracing). */
void gmt_log_set_timestamps(int on);
void gmt_log(enum gmt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) gmt_log(GMT_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) gmt_log(GMT_LOG_WARN, __VA_ARGS__)
#define pr_info(...) gmt_log(GMT_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) gmt_log(GMT_LOG_DEBUG, __VA_ARGS__)

#endif
