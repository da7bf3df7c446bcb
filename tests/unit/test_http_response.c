/*
 * test_http_response.c - filling struct http_response without a server:
 * the error body (code, detail, field, no internals), JSON, bytes, headers.
 */
#include <string.h>

#include "harness.h"
#include "base/log.h"
#include "http/http.h"
#include "base/xalloc.h"

static struct arena ta;
static struct http_response res;

static void reset(void)
{
	arena_release(&ta);
	memset(&res, 0, sizeof(res));
	res.arena = &ta;
}

/* The body as a C string (bodies built here are NUL-terminated in the arena). */
static const char *body(void)
{
	return arena_strndup(&ta, res.body, res.body_len);
}

static void test_error_body(void)
{
	reset();
	http_respond_error(&res, ERR_NOT_FOUND, NULL);
	CHECK_INT(res.status, 404);
	CHECK_STR(res.content_type, "application/json");
	CHECK_STR(body(), "{\"detail\":\"not found\",\"code\":\"not_found\"}");

	reset();
	http_respond_error(&res, ERR_CONFLICT, "this email is already registered");
	CHECK_INT(res.status, 409);
	CHECK_STR(body(), "{\"detail\":\"this email is already registered\",\"code\":\"conflict\"}");

	reset();
	http_respond_errorf(&res, ERR_TOO_LARGE, "the body is larger than %d bytes", 10);
	CHECK_INT(res.status, 413);
	CHECK_STR(body(), "{\"detail\":\"the body is larger than 10 bytes\",\"code\":\"too_large\"}");

	reset();
	http_respond_error(&res, ERR_UNSUPPORTED_TYPE, NULL);
	CHECK_INT(res.status, 415);
	CHECK_STR(body(), "{\"detail\":\"unsupported content type\",\"code\":\"unsupported_media_type\"}");
}

static void test_validation_field(void)
{
	reset();
	http_respond_error(&res, ERR_VALIDATION, "email: must be a string");
	CHECK_INT(res.status, 422);
	CHECK_STR(body(), "{\"detail\":\"email: must be a string\",\"code\":\"validation_error\","
			  "\"field\":\"email\"}");

	reset();
	http_respond_error(&res, ERR_VALIDATION, "items[2].url: must be http or https");
	CHECK_STR(body(), "{\"detail\":\"items[2].url: must be http or https\","
			  "\"code\":\"validation_error\",\"field\":\"items[2].url\"}");

	/* No "<field>: " prefix: no field. */
	reset();
	http_respond_error(&res, ERR_VALIDATION, "body must be a JSON object");
	CHECK_STR(body(), "{\"detail\":\"body must be a JSON object\",\"code\":\"validation_error\"}");
	reset();
	http_respond_error(&res, ERR_VALIDATION, "a b: c");
	CHECK_STR(body(), "{\"detail\":\"a b: c\",\"code\":\"validation_error\"}");
	reset();
	http_respond_error(&res, ERR_VALIDATION, "email:no space");
	CHECK_STR(body(), "{\"detail\":\"email:no space\",\"code\":\"validation_error\"}");
	/* Only validation errors name a field. */
	reset();
	http_respond_error(&res, ERR_BAD_REQUEST, "email: looks odd");
	CHECK_STR(body(), "{\"detail\":\"email: looks odd\",\"code\":\"bad_request\"}");
}

static void test_internal_hidden(void)
{
	reset();
	http_respond_error(&res, ERR_INTERNAL, "sqlite3_step: database disk image is malformed");
	CHECK_INT(res.status, 500);
	CHECK_STR(body(), "{\"detail\":\"internal error\",\"code\":\"internal_error\"}");
	reset();
	http_respond_errorf(&res, ERR_IO, "open /var/lib/mtag/%s: denied", "x");
	CHECK_INT(res.status, 500);
	CHECK_STR(body(), "{\"detail\":\"input/output error\",\"code\":\"io_error\"}");
	/* ERR_OK is not an error: a bug, answered as 500. */
	reset();
	http_respond_error(&res, ERR_OK, "fine");
	CHECK_INT(res.status, 500);
	CHECK_STR(body(), "{\"detail\":\"internal error\",\"code\":\"internal_error\"}");
}

static void test_invalid_utf8_detail(void)
{
	reset();
	http_respond_error(&res, ERR_BAD_REQUEST, "bad byte \xff here");
	CHECK_INT(res.status, 400);
	CHECK_STR(body(), "{\"detail\":\"bad byte ? here\",\"code\":\"bad_request\"}");
}

static void test_json_and_bytes(void)
{
	reset();
	json_t *v = json_pack("{s:s, s:i}", "a", "x\"y", "n", 3);
	http_respond_json(&res, 201, v);
	json_decref(v);
	CHECK_INT(res.status, 201);
	CHECK_STR(res.content_type, "application/json");
	CHECK_STR(body(), "{\"a\":\"x\\\"y\",\"n\":3}");

	reset();
	static const char html[] = "<p>hi</p>";
	http_respond_bytes(&res, 200, "text/html; charset=utf-8", html, sizeof(html) - 1);
	CHECK(res.body == html);
	CHECK_INT(res.body_len, 9);

	reset();
	http_respond_bytes(&res, 204, NULL, NULL, 5);
	CHECK_INT(res.status, 204);
	CHECK(res.body == NULL);
	CHECK_INT(res.body_len, 0);
}

static void test_headers(void)
{
	reset();
	char name[32];
	snprintf(name, sizeof(name), "X-One");
	http_set_header(&res, name, "1");
	name[0] = 'Z'; /* copied, not borrowed */
	CHECK_STR(res.headers[0].name, "X-One");
	CHECK_STR(res.headers[0].value, "1");
	http_set_header(&res, "X-Evil", "a\r\nSet-Cookie: x=1");
	http_set_header(&res, "X-Evil\r\nA", "b");
	http_set_header(&res, "X:Evil", "b");
	CHECK_INT(res.nheaders, 1);
	for (int i = 1; i < HTTP_MAX_HEADERS + 5; i++)
		http_set_header(&res, "X-More", "v");
	CHECK_INT(res.nheaders, HTTP_MAX_HEADERS);
}

int main(void)
{
	arena_init(&ta);
	log_set_level(LOG_ERROR); /* the dropped-header warnings are expected */
	RUN(test_error_body);
	RUN(test_validation_field);
	RUN(test_internal_hidden);
	RUN(test_invalid_utf8_detail);
	RUN(test_json_and_bytes);
	RUN(test_headers);
	arena_release(&ta);
	return unit_report("test_http_response");
}
