/*
 * harness.h - the unit-test harness: checks, a runner, and the closing line.
 *
 * Each tests/unit/test_X.c is one program: its main() calls RUN(fn) for each
 * test and returns unit_report(), which prints "N passed, N failed" (the line
 * CI reads) and exits non-zero when anything failed. A test fails at its
 * first failed check; the message names file, line and both values.
 */
#ifndef MTAG_TEST_HARNESS_H
#define MTAG_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_current_failed;
static const char *unit_current;

#define FAIL_AT(...)                                                            \
	do {                                                                    \
		fprintf(stderr, "FAIL %s (%s:%d): ", unit_current, __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                                   \
		fputc('\n', stderr);                                            \
		unit_current_failed = 1;                                        \
		return;                                                         \
	} while (0)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond))                                                    \
			FAIL_AT("%s", #cond);                                   \
	} while (0)

#define CHECK_INT(got, want)                                                    \
	do {                                                                    \
		long long g_ = (long long)(got), w_ = (long long)(want);        \
		if (g_ != w_)                                                   \
			FAIL_AT("%s == %lld, want %lld", #got, g_, w_);         \
	} while (0)

#define CHECK_STR(got, want)                                                    \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                           \
		if (!g_ || !w_ || strcmp(g_, w_) != 0)                          \
			FAIL_AT("%s == \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

#define RUN(fn)                                                                 \
	do {                                                                    \
		unit_current = #fn;                                             \
		unit_current_failed = 0;                                        \
		fn();                                                           \
		if (unit_current_failed)                                        \
			unit_failed++;                                          \
		else                                                            \
			unit_passed++;                                          \
	} while (0)

static inline int unit_report(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
