/*
 * log.h - structured logging: one line per event on stderr.
 *
 * A line is logfmt: `ts=... level=info event=http.listen rid=... k=v ...`.
 * The event name is dotted, module first, so lines and files agree. Values
 * given by the caller are written as they come, except that control
 * characters are replaced so that one event is always one line; values that
 * may contain spaces or quotes should go through log_quote(). Never log a
 * secret, a password, a token, an Authorization header, a cookie or a body.
 *
 * The level is global (set once at start-up); the request id is per thread,
 * set by the HTTP layer for the duration of a request. Thread-safe: each line
 * is written with one write(2).
 */
#ifndef MTAG_LOG_H
#define MTAG_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parse "debug", "info", "warn" or "error"; false for anything else. */
bool log_level_parse(const char *s, enum log_level *out);
/* Set the lowest level that is written. */
void log_set_level(enum log_level level);
/* The lowest level written now. */
enum log_level log_get_level(void);
/* "debug", "info", "warn" or "error". */
const char *log_level_name(enum log_level level);
/* True when events of this level are written. */
bool log_enabled(enum log_level level);
/* Set (or with NULL clear) this thread's request id, added to every line. */
void log_set_request_id(const char *rid);
/* This thread's request id, or NULL. */
const char *log_request_id(void);
/* Write one event; fmt gives the key=value pairs after the event name. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quote s for a logfmt value into out (escaping quotes and backslashes, truncating). */
const char *log_quote(char *out, size_t outsz, const char *s);

#define log_debug(event, ...) log_event(LOG_DEBUG, event, __VA_ARGS__)
#define log_info(event, ...) log_event(LOG_INFO, event, __VA_ARGS__)
#define log_warn(event, ...) log_event(LOG_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_event(LOG_ERROR, event, __VA_ARGS__)

#endif
