#include "harness.h"
#include "base/random.h"
#include "base/xalloc.h"

static void test_uuid_v4_format(void)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN];
	uuid_v4(a);
	uuid_v4(b);
	CHECK_INT(strlen(a), 36);
	CHECK(uuid_valid(a));
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(a[14], '4');
	CHECK(strchr("89ab", a[19]) != NULL);
}

static void test_uuid_v7_is_time_ordered(void)
{
	char prev[UUID_STR_LEN], cur[UUID_STR_LEN];
	uuid_v7(prev);
	CHECK_INT(prev[14], '7');
	CHECK(strchr("89ab", prev[19]) != NULL);
	for (int i = 0; i < 50; i++) {
		uuid_v7(cur);
		/* Same millisecond may reorder the random tail; the 48-bit time prefix never goes back. */
		CHECK(strncmp(prev, cur, 13) <= 0);
		memcpy(prev, cur, sizeof(cur));
	}
}

static void test_uuid_valid(void)
{
	CHECK(uuid_valid("0190a6e4-8f3c-7b2a-9d1e-0123456789AB"));
	CHECK(!uuid_valid("0190a6e4-8f3c-7b2a-9d1e-0123456789A"));
	CHECK(!uuid_valid("0190a6e4x8f3c-7b2a-9d1e-0123456789ab"));
	CHECK(!uuid_valid("0190a6e4-8f3c-7b2a-9d1e-0123456789ag"));
	CHECK(!uuid_valid("' OR 1=1 --"));
	CHECK(!uuid_valid(""));
	CHECK(!uuid_valid(NULL));
}

static void test_random_hex(void)
{
	char h[129];
	random_hex(h, 64);
	CHECK_INT(strlen(h), 128);
	for (int i = 0; i < 128; i++)
		CHECK(strchr("0123456789abcdef", h[i]) != NULL);
}

int main(void)
{
	RUN(test_uuid_v4_format);
	RUN(test_uuid_v7_is_time_ordered);
	RUN(test_uuid_valid);
	RUN(test_random_hex);
	return unit_report("test_random");
}
