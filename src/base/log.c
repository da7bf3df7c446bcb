#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"

/* Longest line written; a longer event is cut (it is still one line). */
#define LOG_LINE_MAX 4096

static atomic_int log_min_level = LOG_INFO;
static _Thread_local char log_rid[65]; /* ids are at most 64 characters */

static const char *const level_names[] = { "debug", "info", "warn", "error" };

bool log_level_parse(const char *s, enum log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_level(enum log_level level)
{
	atomic_store(&log_min_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&log_min_level);
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level <= LOG_ERROR ? level_names[level] : "info";
}

bool log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&log_min_level);
}

void log_set_request_id(const char *rid)
{
	if (!rid) {
		log_rid[0] = '\0';
		return;
	}
	snprintf(log_rid, sizeof(log_rid), "%s", rid);
}

const char *log_request_id(void)
{
	return log_rid[0] ? log_rid : NULL;
}

const char *log_quote(char *out, size_t outsz, const char *s)
{
	size_t o = 0;
	if (outsz < 3) {
		if (outsz)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (; s && *s && o + 3 < outsz; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char line[LOG_LINE_MAX];
	char ts[CLOCK_ISO_LEN];
	clock_format_iso(clock_now_us(), ts);
	int n = snprintf(line, sizeof(line), "ts=%s level=%s event=%s", ts,
			 level_names[level], event);
	if (log_rid[0] && n >= 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, " rid=%s", log_rid);
	if (fmt && fmt[0] && n >= 0 && (size_t)n + 1 < sizeof(line)) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[len++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
