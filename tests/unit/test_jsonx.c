#include "harness.h"
#include "base/jsonx.h"
#include "base/xalloc.h"

static void test_parse_and_dump(void)
{
	struct arena a = ARENA_INIT;
	json_t *v;
	const char *detail = NULL;
	const char *text = "{\"b\":1,\"a\":[true,null,\"\\u00e9\"]}";
	CHECK_INT(jsonx_parse(&a, text, strlen(text), &v, &detail), ERR_OK);
	jsonx_own(&a, v);
	CHECK_STR(jsonx_dump(&a, v), "{\"b\":1,\"a\":[true,null,\"\xc3\xa9\"]}");
	arena_release(&a);
}

static void test_parse_errors(void)
{
	struct arena a = ARENA_INIT;
	json_t *v = NULL;
	const char *detail = NULL;
	CHECK_INT(jsonx_parse(&a, "{\"a\":1,\"a\":2}", 13, &v, &detail), ERR_BAD_REQUEST);
	CHECK(strstr(detail, "duplicate") != NULL);
	CHECK_INT(jsonx_parse(&a, "{\"a\":", 5, &v, &detail), ERR_BAD_REQUEST);
	CHECK(strstr(detail, "line 1") != NULL);
	CHECK_INT(jsonx_parse(&a, "", 0, &v, &detail), ERR_BAD_REQUEST);
	CHECK_INT(jsonx_parse(&a, "1e400", 5, &v, &detail), ERR_BAD_REQUEST);
	CHECK(v == NULL);
	arena_release(&a);
}

static void test_typed_fields(void)
{
	struct arena a = ARENA_INIT;
	json_t *o = jsonx_own(&a, json_pack("{s:s, s:i, s:b, s:n, s:i}", "email", "a@b.c",
					    "max_tags", 12, "flag", 1, "nothing", "neg", -3));
	const char *s = NULL, *detail = NULL;
	int64_t n = 0;
	bool b = false;
	CHECK_INT(jsonx_get_string(&a, o, "email", true, 254, &s, &detail), ERR_OK);
	CHECK_STR(s, "a@b.c");
	CHECK_INT(jsonx_get_string(&a, o, "email", true, 3, &s, &detail), ERR_VALIDATION);
	CHECK_STR(detail, "email: must be at most 3 characters");
	CHECK_INT(jsonx_get_string(&a, o, "max_tags", true, 10, &s, &detail), ERR_VALIDATION);
	CHECK_STR(detail, "max_tags: must be a string");
	CHECK_INT(jsonx_get_string(&a, o, "missing", true, 10, &s, &detail), ERR_VALIDATION);
	CHECK_STR(detail, "missing: field required");
	s = "default";
	CHECK_INT(jsonx_get_string(&a, o, "nothing", false, 10, &s, &detail), ERR_OK);
	CHECK_STR(s, "default");
	CHECK_INT(jsonx_get_int(&a, o, "max_tags", true, 1, 50, &n, &detail), ERR_OK);
	CHECK_INT(n, 12);
	CHECK_INT(jsonx_get_int(&a, o, "neg", true, 0, 50, &n, &detail), ERR_VALIDATION);
	CHECK_STR(detail, "neg: must be between 0 and 50");
	CHECK_INT(jsonx_get_bool(&a, o, "flag", true, &b, &detail), ERR_OK);
	CHECK(b);
	CHECK_INT(jsonx_get_bool(&a, o, "email", true, &b, &detail), ERR_VALIDATION);
	arena_release(&a);
}

/* A name that is not UTF-8 is written with U+FFFD for its bad bytes; good text as it is. */
static void test_string_lossy(void)
{
	json_t *v = jsonx_string_lossy("r\xe9sum\xc3\xa9 \xff.pdf");
	CHECK_STR(json_string_value(v), "r\xef\xbf\xbdsum\xc3\xa9 \xef\xbf\xbd.pdf");
	json_decref(v);
	v = jsonx_string_lossy("caf\xc3\xa9");
	CHECK_STR(json_string_value(v), "caf\xc3\xa9");
	json_decref(v);
	v = jsonx_string_lossy(NULL);
	CHECK(json_is_null(v));
	json_decref(v);
}

static void test_embedded_nul_refused(void)
{
	/* jansson refuses \u0000 unless asked (JSON_ALLOW_NUL), so no string of
	 * ours can hide a NUL from C code. */
	struct arena a = ARENA_INIT;
	json_t *v = NULL;
	const char *detail = NULL;
	const char *text = "{\"name\":\"a\\u0000b\"}";
	CHECK_INT(jsonx_parse(&a, text, strlen(text), &v, &detail), ERR_BAD_REQUEST);
	CHECK_STR(detail, "malformed JSON at line 1 column 18: \\u0000 is not allowed in a string");
	arena_release(&a);
}

int main(void)
{
	RUN(test_parse_and_dump);
	RUN(test_parse_errors);
	RUN(test_typed_fields);
	RUN(test_embedded_nul_refused);
	RUN(test_string_lossy);
	return unit_report("test_jsonx");
}
