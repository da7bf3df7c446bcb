/*
 * routes.c - every route of mtag, on one screen. Authentication is declared
 * here and nowhere else; src/api/openapi.json must list exactly these routes
 * (tests/unit/test_openapi.c fails otherwise).
 */
#include "api/api.h"
#include "base/xalloc.h"

/* offload: the handler hashes a password (about 25 ms of CPU): it runs on the
 * offload pool so that the event loops keep answering everything else. */
static const struct http_route routes[] = {
	/* method     path                           handler                    auth               offload */
	{ "GET",    "/health",                     api_health,                API_AUTH_NONE,     false },
	{ "GET",    "/api/openapi.json",           api_openapi,               API_AUTH_NONE,     false },

	{ "POST",   "/api/auth/register",          api_auth_register,         API_AUTH_NONE,     true },
	{ "POST",   "/api/auth/login",             api_auth_login,            API_AUTH_NONE,     true },
	{ "POST",   "/api/auth/refresh",           api_auth_refresh,          API_AUTH_NONE,     false },
	{ "POST",   "/api/auth/logout",            api_auth_logout,           API_AUTH_OPTIONAL, false },
	{ "POST",   "/api/auth/logout-all",        api_auth_logout_all,       API_AUTH_REQUIRED, false },
	{ "GET",    "/api/auth/me",                api_auth_me,               API_AUTH_REQUIRED, false },
	{ "GET",    "/api/auth/sessions",          api_auth_sessions,         API_AUTH_REQUIRED, false },
	{ "DELETE", "/api/auth/sessions/{id}",     api_auth_session_delete,   API_AUTH_REQUIRED, false },
	{ "POST",   "/api/auth/change-password",   api_auth_change_password,  API_AUTH_REQUIRED, true },
};

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
