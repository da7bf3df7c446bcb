#include "harness.h"
#include "base/clock.h"
#include "base/xalloc.h"

static void test_format(void)
{
	char s[CLOCK_ISO_LEN];
	CHECK_STR(clock_format_iso(0, s), "1970-01-01T00:00:00.000000Z");
	CHECK_STR(clock_format_iso(1795924301123456LL, s), "2026-11-29T03:51:41.123456Z");
	CHECK_STR(clock_format_iso(951782400000001LL, s), "2000-02-29T00:00:00.000001Z");
}

static void test_parse_forms(void)
{
	int64_t us = 0;
	CHECK(clock_parse_iso("2026-11-29T03:51:41.123456Z", &us));
	CHECK_INT(us, 1795924301123456LL);
	CHECK(clock_parse_iso("2026-11-29 03:51:41.123456+00", &us));
	CHECK_INT(us, 1795924301123456LL);
	CHECK(clock_parse_iso("2026-11-29T04:51:41.123456+01:00", &us));
	CHECK_INT(us, 1795924301123456LL);
	CHECK(clock_parse_iso("2026-11-29T03:51:41Z", &us));
	CHECK_INT(us, 1795924301000000LL);
	CHECK(clock_parse_iso("2026-11-29T03:51:41.5Z", &us));
	CHECK_INT(us, 1795924301500000LL);
	CHECK(clock_parse_iso("2026-11-29", &us));
	CHECK_INT(us, 1795910400000000LL);
	CHECK(clock_parse_iso("1969-12-31T23:59:59Z", &us));
	CHECK_INT(us, -1000000);
}

static void test_parse_rejects(void)
{
	int64_t us;
	CHECK(!clock_parse_iso("", &us));
	CHECK(!clock_parse_iso("2026-13-01", &us));
	CHECK(!clock_parse_iso("2026-02-29", &us));
	CHECK(clock_parse_iso("2024-02-29", &us));
	CHECK(!clock_parse_iso("2026-11-29T24:00:00Z", &us));
	CHECK(!clock_parse_iso("2026-11-29T03:51:41.Z", &us));
	CHECK(!clock_parse_iso("2026-11-29T03:51:41Zjunk", &us));
	CHECK(!clock_parse_iso("yesterday", &us));
}

static void test_round_trip(void)
{
	char s[CLOCK_ISO_LEN];
	int64_t now = clock_now_us(), back = 0;
	CHECK(clock_parse_iso(clock_format_iso(now, s), &back));
	CHECK_INT(back, now);
	int64_t m1 = clock_mono_us(), m2 = clock_mono_us();
	CHECK(m2 >= m1);
}

int main(void)
{
	RUN(test_format);
	RUN(test_parse_forms);
	RUN(test_parse_rejects);
	RUN(test_round_trip);
	return unit_report("test_clock");
}
