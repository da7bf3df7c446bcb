#include "harness.h"
#include "base/err.h"
#include "base/xalloc.h"

static void test_names_and_statuses(void)
{
	CHECK_INT(ERR_OK, 0);
	CHECK_STR(err_name(ERR_OK), "ok");
	CHECK_STR(err_name(ERR_NOT_FOUND), "not_found");
	CHECK_INT(err_http_status(ERR_NOT_FOUND), 404);
	CHECK_INT(err_http_status(ERR_CONFLICT), 409);
	CHECK_INT(err_http_status(ERR_TOO_LARGE), 413);
	CHECK_INT(err_http_status(ERR_UNSUPPORTED_TYPE), 415);
	CHECK_INT(err_http_status(ERR_VALIDATION), 422);
	CHECK_INT(err_http_status(ERR_RATE_LIMITED), 429);
	CHECK_INT(err_http_status(ERR_UNAVAILABLE), 503);
	CHECK_STR(err_name((enum mtag_err)999), "unknown");
	CHECK_INT(err_http_status((enum mtag_err)-1), 500);
}

static void test_every_error_is_complete(void)
{
	for (int e = 0; e < ERR__COUNT; e++) {
		CHECK(err_name((enum mtag_err)e)[0] != '\0');
		CHECK(err_detail((enum mtag_err)e)[0] != '\0');
		int s = err_http_status((enum mtag_err)e);
		CHECK(s >= 200 && s <= 599);
		for (int f = 0; f < e; f++)
			CHECK(strcmp(err_name((enum mtag_err)e), err_name((enum mtag_err)f)) != 0);
	}
}

int main(void)
{
	RUN(test_names_and_statuses);
	RUN(test_every_error_is_complete);
	return unit_report("test_err");
}
