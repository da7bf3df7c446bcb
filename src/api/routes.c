/*
 * routes.c - every route of mtag, on one screen. Authentication is declared
 * here and nowhere else; src/api/openapi.json must list exactly these routes
 * (tests/unit/test_openapi.c fails otherwise).
 */
#include "api/api.h"
#include "base/embed.h"
#include "base/xalloc.h"

/* secret_path: the path may hold an anonymous job's id, its capability (a job
 * claimed, or tried by someone without an account): logged by its pattern.
 * offload: the handler is slow - it hashes a password (about 25 ms of CPU) or
 * downloads and processes a document - so it runs on the offload pool and
 * the event loops keep answering everything else. */
static const struct http_route routes[] = {
	/* method     path                           handler                    auth               offload body  secret_path */
	{ "GET",    "/health",                     api_health,                API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/openapi.json",           api_openapi,               API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
	/* /metrics checks MTAG_METRICS_TOKEN, or a loopback client, itself (api_metrics.c). */
	{ "GET",    "/metrics",                    api_metrics,               API_AUTH_NONE,     false, HTTP_BODY_JSON, false },

	{ "POST",   "/api/auth/register",          api_auth_register,         API_AUTH_NONE,     true,  HTTP_BODY_JSON, false },
	{ "POST",   "/api/auth/login",             api_auth_login,            API_AUTH_NONE,     true,  HTTP_BODY_JSON, false },
	{ "POST",   "/api/auth/refresh",           api_auth_refresh,          API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
	{ "POST",   "/api/auth/logout",            api_auth_logout,           API_AUTH_OPTIONAL, false, HTTP_BODY_JSON, false },
	{ "POST",   "/api/auth/logout-all",        api_auth_logout_all,       API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/auth/me",                api_auth_me,               API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/auth/sessions",          api_auth_sessions,         API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "DELETE", "/api/auth/sessions/{id}",     api_auth_session_delete,   API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "POST",   "/api/auth/change-password",   api_auth_change_password,  API_AUTH_REQUIRED, true,  HTTP_BODY_JSON, false },

	{ "POST",   "/api/process/process-single", api_process_single,        API_AUTH_OPTIONAL, true,  HTTP_BODY_JSON, false },
	{ "POST",   "/api/process/upload",         api_process_upload,        API_AUTH_OPTIONAL, true,  HTTP_BODY_MULTIPART, false },
	{ "GET",    "/api/history/documents/{id}/download", api_document_download, API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/files/{id}",             api_file,                  API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
	{ "POST",   "/api/process/process-batch",  api_process_batch,         API_AUTH_OPTIONAL, true,  HTTP_BODY_JSON_OR_MULTIPART, false },
	{ "POST",   "/api/process/spreadsheet-columns", api_spreadsheet_columns, API_AUTH_OPTIONAL, true, HTTP_BODY_JSON_OR_MULTIPART, false },
	{ "GET",    "/api/process/batch-status/{job_id}", api_batch_status,   API_AUTH_OPTIONAL, false, HTTP_BODY_JSON, true },
	{ "GET",    "/api/process/batch-status/{job_id}/events", api_batch_events, API_AUTH_OPTIONAL, false, HTTP_BODY_JSON, true },
	{ "POST",   "/api/history/jobs/{id}/cancel", api_job_cancel,          API_AUTH_REQUIRED, false, HTTP_BODY_JSON, true },
	{ "POST",   "/api/history/jobs/{id}/retry",  api_job_retry,           API_AUTH_REQUIRED, false, HTTP_BODY_JSON, true },
	{ "POST",   "/api/history/jobs/{id}/claim",  api_job_claim,           API_AUTH_REQUIRED, false, HTTP_BODY_JSON, true },
	{ "DELETE", "/api/history/jobs/{id}",      api_job_delete,            API_AUTH_REQUIRED, false, HTTP_BODY_JSON, true },

	{ "GET",    "/api/history/jobs",           api_history_jobs,          API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/jobs/{id}",      api_history_job,           API_AUTH_REQUIRED, false, HTTP_BODY_JSON, true },
	{ "GET",    "/api/history/documents",      api_history_documents,     API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/documents/search", api_history_search,      API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/documents/{id}", api_history_document,      API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "DELETE", "/api/history/documents/{id}", api_history_document_delete, API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/tags",           api_history_tags,          API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/stats",          api_history_stats,         API_AUTH_REQUIRED, false, HTTP_BODY_JSON, false },
	{ "GET",    "/api/history/export",         api_history_export,        API_AUTH_REQUIRED, true,  HTTP_BODY_JSON, false },
};

/* The web UI's pages: each answers web/index.html, whose script draws the page (web/js/app.js). */
static const char *const pages[] = {
	"/", "/login", "/register", "/dashboard", "/new", "/history", "/documents", "/settings", NULL,
};

extern const struct embed_file api_web_files[];

static const struct http_site site = { api_web_files, "index.html", pages };

const struct http_site *api_site(void)
{
	return &site;
}

const struct http_route *api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* What a worker node serves: its health, for the orchestrator, and its metrics. */
static const struct http_route worker_routes[] = {
	{ "GET",    "/health",                     api_health,                API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
	{ "GET",    "/metrics",                    api_metrics,               API_AUTH_NONE,     false, HTTP_BODY_JSON, false },
};

const struct http_route *api_worker_routes(size_t *n)
{
	*n = sizeof(worker_routes) / sizeof(worker_routes[0]);
	return worker_routes;
}
