#include "harness.h"
#include "base/utf8.h"

static void test_put(void)
{
	char b[5] = "";
	CHECK_INT(utf8_put(b, 'a'), 1);
	CHECK_INT(utf8_put(b, 0xE9), 2);
	CHECK(!memcmp(b, "\xC3\xA9", 2));
	CHECK_INT(utf8_put(b, 0x20AC), 3);
	CHECK(!memcmp(b, "\xE2\x82\xAC", 3));
	CHECK_INT(utf8_put(b, 0x1F600), 4);
	CHECK(!memcmp(b, "\xF0\x9F\x98\x80", 4));
}

static void test_valid(void)
{
	CHECK(utf8_valid(NULL));
	CHECK(utf8_valid(""));
	CHECK(utf8_valid("plain ascii"));
	CHECK(utf8_valid("r\xC3\xA9sum\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
	CHECK(utf8_valid("\xF4\x8F\xBF\xBF")); /* U+10FFFF, the last */
	CHECK(!utf8_valid("volcano\xFF"));
	CHECK(!utf8_valid("\x80"));             /* a continuation byte alone */
	CHECK(!utf8_valid("\xC0\x80"));         /* overlong NUL */
	CHECK(!utf8_valid("\xE0\x80\xAF"));     /* overlong '/' */
	CHECK(!utf8_valid("\xED\xA0\x80"));     /* a surrogate */
	CHECK(!utf8_valid("\xF4\x90\x80\x80")); /* past U+10FFFF */
	CHECK(!utf8_valid("\xE2\x82"));         /* cut short */
	CHECK(!utf8_valid("\xE2\x82" "a"));
}

int main(void)
{
	RUN(test_put);
	RUN(test_valid);
	return unit_report("test_utf8");
}
