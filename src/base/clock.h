/*
 * clock.h - time: wall clock in microseconds, monotonic clock, ISO-8601 UTC.
 *
 * Timestamps travel as int64 microseconds since the Unix epoch (UTC) and are
 * written as "2026-11-29T03:51:41.123456Z". Thread-safe.
 */
#ifndef MTAG_CLOCK_H
#define MTAG_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Room for an ISO-8601 timestamp with microseconds and its NUL. */
#define CLOCK_ISO_LEN 32

/* Wall-clock time, microseconds since the epoch. */
int64_t clock_now_us(void);
/* Monotonic time in microseconds, for durations and timeouts. */
int64_t clock_mono_us(void);
/* Write us as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out; returns out. */
char *clock_format_iso(int64_t us, char out[CLOCK_ISO_LEN]);
/*
 * Parse an ISO-8601 UTC time: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with an
 * optional fraction, 'T' or ' ' between, and "Z", "+00", "+00:00" or nothing
 * (taken as UTC) after; other offsets are applied. OUT: *us.
 */
bool clock_parse_iso(const char *s, int64_t *us);

#endif
