/*
 * The OpenAPI document and the route table must list the same operations:
 * a route missing from the document, or a documented path with no route,
 * fails this test, so the two can never drift.
 */
#include <ctype.h>

#include "harness.h"
#include "api/api.h"
#include "base/embed.h"
#include "base/xalloc.h"

extern const struct embed_file api_openapi_files[];

static void lower(char *out, const char *in, size_t n)
{
	size_t i;
	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static void test_routes_documented(void)
{
	const struct embed_file *f = embed_find(api_openapi_files, "openapi.json");
	CHECK(f != NULL);
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)f->data, f->len, 0, &jerr);
	CHECK(doc != NULL);
	CHECK_STR(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	json_t *paths = json_object_get(doc, "paths");
	size_t n;
	const struct http_route *routes = api_routes(&n);
	CHECK(n > 0);
	char m[16];
	for (size_t i = 0; i < n; i++) {
		lower(m, routes[i].method, sizeof(m));
		json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), m);
		if (!op) {
			json_decref(doc);
			FAIL_AT("route %s %s is not in openapi.json", routes[i].method, routes[i].pattern);
		}
	}
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		const char *method;
		json_t *op;
		json_object_foreach(item, method, op) {
			if (!strcmp(method, "parameters"))
				continue;
			bool found = false;
			for (size_t i = 0; i < n && !found; i++) {
				lower(m, routes[i].method, sizeof(m));
				found = !strcmp(m, method) && !strcmp(routes[i].pattern, path);
			}
			if (!found) {
				json_decref(doc);
				FAIL_AT("openapi.json documents %s %s, which has no route", method, path);
			}
		}
	}
	json_decref(doc);
}

int main(void)
{
	RUN(test_routes_documented);
	return unit_report("test_openapi");
}
