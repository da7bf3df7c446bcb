/*
 * routes.c - every route of mtag, on one screen. Authentication is declared
 * here and nowhere else; src/api/openapi.json must list exactly these routes
 * (tests/unit/test_openapi.c fails otherwise).
 */
#include "api/api.h"
#include "base/xalloc.h"

static const struct http_route routes[] = {
	/* method  path                  handler       auth */
	{ "GET", "/health",             api_health,   API_AUTH_NONE },
	{ "GET", "/api/openapi.json",   api_openapi,  API_AUTH_NONE },
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
