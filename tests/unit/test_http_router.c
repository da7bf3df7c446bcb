/*
 * test_http_router.c - http_route_match: exact segments, {name} parameters,
 * 404 versus 405 with its Allow list, percent-decoding and hostile paths.
 * No server: requests are built by hand with an arena.
 */
#include <string.h>

#include "harness.h"
#include "http/http.h"
#include "base/xalloc.h"

static void h_dummy(struct http_request *req, struct http_response *res)
{
	(void)req;
	(void)res;
}

static const struct http_route routes[] = {
	{ "GET", "/", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/health", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/api/history/jobs", h_dummy, 1, false, HTTP_BODY_JSON, false },
	{ "GET", "/api/history/jobs/{id}", h_dummy, 1, false, HTTP_BODY_JSON, false },
	{ "DELETE", "/api/history/jobs/{id}", h_dummy, 1, false, HTTP_BODY_JSON, false },
	{ "POST", "/api/history/jobs/{id}/cancel", h_dummy, 1, false, HTTP_BODY_JSON, false },
	{ "GET", "/api/x/{name}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/a/{b}/c/{d}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/items/{id}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/items/{name}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "PUT", "/items/{id}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/files/file.{ext}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "DELETE", "/docs/{id}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/docs/{id}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/docs/search", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/{kind}/search/{id}", h_dummy, 0, false, HTTP_BODY_JSON, false },
	{ "POST", "/docs/{id}/{part}", h_dummy, 0, false, HTTP_BODY_JSON, false },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct arena ta;
static struct http_request req;
static const struct http_route *route;
static const char *allow;

/* Route method+path; the result is in req, route and allow. */
static enum mtag_err match(const char *method, const char *path)
{
	arena_release(&ta);
	memset(&req, 0, sizeof(req));
	req.arena = &ta;
	req.method = method;
	req.path = path;
	return http_route_match(routes, NROUTES, &req, &route, &allow);
}

static void test_exact(void)
{
	CHECK_INT(match("GET", "/health"), ERR_OK);
	CHECK(route == &routes[1]);
	CHECK(req.route == &routes[1]);
	CHECK_INT(req.nparams, 0);
	CHECK(allow == NULL);
	CHECK_INT(match("GET", "/"), ERR_OK);
	CHECK(route == &routes[0]);
	CHECK_INT(match("GET", "/api/history/jobs"), ERR_OK);
	CHECK(route == &routes[2]);
}

static void test_not_found(void)
{
	CHECK_INT(match("GET", "/health/"), ERR_NOT_FOUND); /* trailing slash is not special */
	CHECK(route == NULL);
	CHECK_INT(match("GET", "/healthz"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/HEALTH"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/history"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/history/jobs/1/2"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/files/file.txt"), ERR_NOT_FOUND); /* "file.{ext}" is a literal */
	CHECK_INT(match("GET", "/files/file.{ext}"), ERR_OK);
	CHECK_INT(match("GET", "/files/file.%7Bext%7D"), ERR_OK);
	CHECK_INT(match("GET", ""), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "*"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "health"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "http://example.com/health"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", NULL), ERR_NOT_FOUND);
}

static void test_params(void)
{
	CHECK_INT(match("GET", "/api/history/jobs/5f0c-aa"), ERR_OK);
	CHECK(route == &routes[3]);
	CHECK_INT(req.nparams, 1);
	CHECK_STR(req.params[0].name, "id");
	CHECK_STR(http_param(&req, "id"), "5f0c-aa");
	CHECK(http_param(&req, "name") == NULL);

	CHECK_INT(match("DELETE", "/api/history/jobs/77"), ERR_OK);
	CHECK(route == &routes[4]);
	CHECK_STR(http_param(&req, "id"), "77");

	CHECK_INT(match("POST", "/api/history/jobs/77/cancel"), ERR_OK);
	CHECK(route == &routes[5]);
	CHECK_STR(http_param(&req, "id"), "77");

	CHECK_INT(match("GET", "/a/one/c/two"), ERR_OK);
	CHECK_INT(req.nparams, 2);
	CHECK_STR(http_param(&req, "b"), "one");
	CHECK_STR(http_param(&req, "d"), "two");
	CHECK_INT(match("GET", "/a/one/x/two"), ERR_NOT_FOUND);
}

static void test_method_not_allowed(void)
{
	CHECK_INT(match("POST", "/health"), ERR_METHOD_NOT_ALLOWED);
	CHECK(route == NULL);
	CHECK_STR(allow, "GET, HEAD");
	CHECK_INT(req.nparams, 0);

	CHECK_INT(match("PUT", "/api/history/jobs/9"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD, DELETE");

	CHECK_INT(match("GET", "/api/history/jobs/9/cancel"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "POST");

	/* Two GET patterns match: GET (and HEAD) is listed once. */
	CHECK_INT(match("POST", "/items/3"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD, PUT");
	CHECK_INT(match("PUT", "/items/3"), ERR_OK);
	CHECK(route == &routes[10]);

	/* A literal segment takes the path from a parameter, whatever the method and
	 * the order of the table; the leftmost difference decides. */
	CHECK_INT(match("GET", "/docs/search"), ERR_OK);
	CHECK(route == &routes[14]);
	CHECK_INT(match("DELETE", "/docs/search"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD");
	CHECK_INT(match("DELETE", "/docs/7"), ERR_OK);
	CHECK(route == &routes[12]);
	CHECK_INT(match("PUT", "/docs/7"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "DELETE, GET, HEAD");
	CHECK_INT(match("GET", "/docs/search/7"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "POST");
	CHECK_INT(match("GET", "/x/search/7"), ERR_OK);
	CHECK(route == &routes[15]);
	CHECK_STR(http_param(&req, "kind"), "x");

	/* Methods are case-sensitive. */
	CHECK_INT(match("get", "/health"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD");
	/* HEAD takes a GET route (MHD leaves the body out) and is allowed where GET is. */
	CHECK_INT(match("HEAD", "/health"), ERR_OK);
	CHECK(route == &routes[1]);
	CHECK_INT(match("HEAD", "/api/history/jobs/9/cancel"), ERR_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "POST");
}

static void test_percent_decoding(void)
{
	CHECK_INT(match("GET", "/api/x/hello%20world"), ERR_OK);
	CHECK_STR(http_param(&req, "name"), "hello world");
	CHECK_INT(match("GET", "/api/x/%41%62%c3%A9"), ERR_OK);
	CHECK_STR(http_param(&req, "name"), "Ab\xc3\xa9");
	CHECK_INT(match("GET", "/api/x/a+b"), ERR_OK); /* '+' is not a space in a path */
	CHECK_STR(http_param(&req, "name"), "a+b");
	CHECK_INT(match("GET", "/api/x/%25"), ERR_OK);
	CHECK_STR(http_param(&req, "name"), "%");
	/* Literal segments compare decoded. */
	CHECK_INT(match("GET", "/%68ealth"), ERR_OK);
	CHECK(route == &routes[1]);
}

static void test_tricky_paths(void)
{
	CHECK_INT(match("GET", "/api/x/%2F"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/%2f"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/a%2Fb"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/%00"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/a%00b"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/%zz"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/%"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/%4"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/"), ERR_NOT_FOUND); /* {name} needs a non-empty segment */
	CHECK_INT(match("GET", "/api/x//"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "//health"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api//history/jobs"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/history/jobs//cancel"), ERR_NOT_FOUND);
	CHECK_INT(match("POST", "/api/history/jobs//cancel"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "//"), ERR_NOT_FOUND);
	CHECK_INT(match("GET", "/api/x/.."), ERR_OK); /* no dot-segment magic: just a value */
	CHECK_STR(http_param(&req, "name"), "..");
}

static void test_long_paths(void)
{
	static char path[100001];
	size_t n = sizeof(path) - 1;
	memcpy(path, "/api/x/", 7);
	memset(path + 7, 'a', n - 7);
	path[n] = '\0';
	CHECK_INT(match("GET", path), ERR_OK);
	CHECK_INT(strlen(http_param(&req, "name")), n - 7);

	/* 50,000 empty segments. */
	memset(path, '/', n);
	CHECK_INT(match("GET", path), ERR_NOT_FOUND);
	/* 50,000 one-letter segments. */
	for (size_t i = 0; i < n; i++)
		path[i] = i % 2 ? 'a' : '/';
	CHECK_INT(match("GET", path), ERR_NOT_FOUND);
}

int main(void)
{
	arena_init(&ta);
	RUN(test_exact);
	RUN(test_not_found);
	RUN(test_params);
	RUN(test_method_not_allowed);
	RUN(test_percent_decoding);
	RUN(test_tricky_paths);
	RUN(test_long_paths);
	arena_release(&ta);
	return unit_report("test_http_router");
}
