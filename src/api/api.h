/*
 * api.h - the JSON API: the route table and its handlers.
 *
 * Every route is declared in routes.c with its method, path, handler and
 * authentication requirement; the handlers live in one file per resource
 * (api_health.c, ...). Handlers are thin: they validate input, call core/,
 * and shape the JSON. They find the core in req->app. Thread-safe as core is.
 */
#ifndef MTAG_API_H
#define MTAG_API_H

#include <stddef.h>

#include "http/http.h"

#include "core/core_auth.h"
#include "core/core_process.h"

/* What a route requires of the caller; api_guard enforces it. */
enum api_auth {
	API_AUTH_NONE,     /* public; an Authorization header is ignored */
	API_AUTH_OPTIONAL, /* anonymous or a valid bearer token (an invalid one is 401) */
	API_AUTH_REQUIRED, /* a valid bearer token */
};

/* The web UI (web/, embedded at build time) and the paths of its pages. */
const struct http_site *api_site(void);
/* The route table. OUT: *n, its length. */
const struct http_route *api_routes(size_t *n);
/* The routes of a worker node (--role worker): /health only. OUT: *n. */
const struct http_route *api_worker_routes(size_t *n);
/* The guard of the route table: authenticates per the route's enum api_auth. */
bool api_guard(const struct http_route *route, struct http_request *req,
	       struct http_response *res);
/* The owner of new work and of what the caller may read: the user's id, or "" when anonymous. */
const char *api_owner(const struct http_request *req);
/* The caller's identity set by the guard, or NULL when anonymous. */
const struct core_identity *api_identity(const struct http_request *req);
/* The client's address (X-Forwarded-For believed only from trusted proxies) and user agent. */
void api_client(struct http_request *req, struct core_client *out);
/* The client's address alone (anonymous work's limits are per address). */
const char *api_client_ip(struct http_request *req);

/* A timestamp as ISO-8601 JSON, or JSON null for 0. */
json_t *api_json_time(int64_t us);
/* Answer a core failure: its status, detail and, for 429, Retry-After. */
void api_fail(struct http_response *res, enum mtag_err e, const struct core_failure *f);
/* A refused submission: err's sentence (or e's), and Retry-After 60 past a user's limits (429). */
void api_respond_submit_error(struct http_response *res, enum mtag_err e, const char *err);

/* languages (a list of ISO 639-1 codes) and max_tags (1..100) of a JSON body; answers 422 itself. */
bool api_json_options(struct http_request *req, struct http_response *res, json_t *body,
		      struct core_process_options *o);
/*
 * languages ("en,fr") and max_tags of a multipart form, and no file but in
 * the fields "file" and "files"; answers 422 itself.
 */
bool api_form_options(struct http_request *req, struct http_response *res,
		      struct core_process_options *o);

/* Handlers, one group per resource file. */
void api_health(struct http_request *req, struct http_response *res);
void api_openapi(struct http_request *req, struct http_response *res);
void api_metrics(struct http_request *req, struct http_response *res);
void api_auth_register(struct http_request *req, struct http_response *res);
void api_auth_login(struct http_request *req, struct http_response *res);
void api_auth_refresh(struct http_request *req, struct http_response *res);
void api_auth_logout(struct http_request *req, struct http_response *res);
void api_auth_logout_all(struct http_request *req, struct http_response *res);
void api_auth_me(struct http_request *req, struct http_response *res);
void api_auth_sessions(struct http_request *req, struct http_response *res);
void api_auth_session_delete(struct http_request *req, struct http_response *res);
void api_auth_change_password(struct http_request *req, struct http_response *res);
void api_process_single(struct http_request *req, struct http_response *res);
void api_process_upload(struct http_request *req, struct http_response *res);
void api_document_download(struct http_request *req, struct http_response *res);
void api_file(struct http_request *req, struct http_response *res);
void api_spreadsheet_columns(struct http_request *req, struct http_response *res);
void api_process_batch(struct http_request *req, struct http_response *res);
void api_batch_status(struct http_request *req, struct http_response *res);
void api_batch_events(struct http_request *req, struct http_response *res);
void api_job_cancel(struct http_request *req, struct http_response *res);
void api_job_claim(struct http_request *req, struct http_response *res);
void api_job_retry(struct http_request *req, struct http_response *res);
void api_job_delete(struct http_request *req, struct http_response *res);
void api_history_jobs(struct http_request *req, struct http_response *res);
void api_history_job(struct http_request *req, struct http_response *res);
void api_history_documents(struct http_request *req, struct http_response *res);
void api_history_search(struct http_request *req, struct http_response *res);
void api_history_document(struct http_request *req, struct http_response *res);
void api_history_document_delete(struct http_request *req, struct http_response *res);
void api_history_tags(struct http_request *req, struct http_response *res);
void api_history_stats(struct http_request *req, struct http_response *res);
void api_history_export(struct http_request *req, struct http_response *res);

#endif
