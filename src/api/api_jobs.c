/*
 * api_jobs.c - batch jobs: submit a spreadsheet of links, follow a job's
 * progress (JSON and Server-Sent Events), cancel, retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/jsonx.h"
#include "core/core.h"
#include "core/core_jobs.h"
#include "base/xalloc.h"

#define COLUMN_MAX 256
#define RESULTS_DEFAULT 100
#define RESULTS_MAX 500

static void respond_submitted(struct http_request *req, struct http_response *res,
			      const char *job_id, int total)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "job_id", job_id, "status", "pending",
			      "total_documents", total);
	http_respond_json(res, 202, jsonx_own(req->arena, o));
}

void api_respond_submit_error(struct http_response *res, enum mtag_err e, const char *err)
{
	if (e == ERR_RATE_LIMITED)
		http_set_header(res, "Retry-After", "60");
	http_respond_error(res, e, err[0] ? err : NULL);
}

/* The multipart form: the spreadsheet file itself, url_column, languages, max_tags. */
static void process_batch_form(struct http_request *req, struct http_response *res)
{
	const struct http_form *f = req->form;
	const char *column = http_form_field(req, "url_column");
	struct core_process_options o;
	core_process_options_init(&o);
	if (f->nfiles != 1)
		return http_respond_error(res, ERR_VALIDATION, "file: exactly one spreadsheet file is required");
	if (!column || !column[0] || strlen(column) > COLUMN_MAX)
		return http_respond_error(res, ERR_VALIDATION, "url_column: field required");
	if (!api_form_options(req, res, &o))
		return;
	char job_id[UUID_STR_LEN], err[512] = "";
	int total = 0;
	enum mtag_err e = core_submit_batch(req->app, req->arena, api_owner(req), api_client_ip(req),
					    f->files[0].path,
					    column, &o, job_id, &total, err, sizeof(err));
	if (e)
		return api_respond_submit_error(res, e, err);
	respond_submitted(req, res, job_id, total);
}

void api_process_batch(struct http_request *req, struct http_response *res)
{
	if (req->form)
		return process_batch_form(req, res);
	json_t *body;
	const char *detail, *url = NULL, *column = NULL;
	struct core_process_options o;
	core_process_options_init(&o);
	enum mtag_err e = http_json_body(req, &body, &detail);
	if (!e)
		e = jsonx_get_string(req->arena, body, "spreadsheet_url", true, 8192, &url, &detail);
	if (!e)
		e = jsonx_get_string(req->arena, body, "url_column", true, COLUMN_MAX, &column, &detail);
	if (e)
		return http_respond_error(res, e, detail);
	if (!api_json_options(req, res, body, &o))
		return;
	char job_id[UUID_STR_LEN], err[512] = "";
	int total = 0;
	e = core_submit_batch_url(req->app, req->arena, api_owner(req), api_client_ip(req), url, column,
				  &o, job_id, &total, err, sizeof(err));
	if (e)
		return api_respond_submit_error(res, e, err);
	respond_submitted(req, res, job_id, total);
}

/*
 * The header row of a spreadsheet (the file itself, or spreadsheet_url), for
 * choosing url_column: {format, columns: [{letter, name, is_link}], suggested}.
 * A header cell that is itself a link means the sheet has no header row: that
 * column is chosen by its letter. suggested: a header naming URLs, links or
 * addresses, else the letter of the first column of links, else null.
 */
void api_spreadsheet_columns(struct http_request *req, struct http_response *res)
{
	struct core_sheet_headers sh;
	char err[512] = "";
	const char *url = NULL, *detail;
	enum mtag_err e;
	if (req->form) {
		if (req->form->nfiles != 1)
			return http_respond_error(res, ERR_VALIDATION, "file: exactly one spreadsheet file is required");
	} else {
		json_t *body;
		e = http_json_body(req, &body, &detail);
		if (!e)
			e = jsonx_get_string(req->arena, body, "spreadsheet_url", true, 8192, &url, &detail);
		if (e)
			return http_respond_error(res, e, detail);
	}
	e = core_sheet_headers(req->app, req->arena, req->form ? req->form->files[0].path : NULL, url,
			       &sh, err, sizeof(err));
	if (e)
		return http_respond_error(res, e, err[0] ? err : NULL);
	json_t *columns = json_array();
	const char *by_name = NULL, *by_links = NULL;
	for (size_t i = 0; i < sh.n; i++) {
		const struct core_sheet_column *col = &sh.columns[i];
		json_array_append_new(columns, json_pack("{s:s, s:s, s:b}", "letter", col->letter,
							 "name", col->name, "is_link", col->is_link));
		if (!by_name && !col->is_link &&
		    (strcasestr(col->name, "url") || strcasestr(col->name, "link") ||
		     strcasestr(col->name, "address")))
			by_name = col->name;
		if (!by_links && col->is_link)
			by_links = col->letter;
	}
	const char *suggested = by_name ? by_name : by_links;
	json_t *o = json_pack("{s:s, s:o, s:s?}", "format", sh.format, "columns", columns,
			      "suggested", suggested);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

static json_t *status_json(const struct core_job_status *s, size_t limit, size_t offset)
{
	json_t *results = json_array();
	for (size_t i = 0; i < s->nresults; i++) {
		const struct core_job_result *r = &s->results[i];
		json_error_t jerr;
		json_t *tags = r->tags ? json_loads(r->tags, 0, &jerr) : NULL;
		json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:o, s:s?, s:o, s:o}",
				      "document_id", r->document_id, "url", r->url, "filename",
				      r->filename, "status", r->status, "title", r->title, "language",
				      r->language, "tags", tags ? tags : json_array(), "error", r->error,
				      "page_count", r->page_count ? json_integer(r->page_count) : json_null(),
				      "processed_at", api_json_time(r->processed_at));
		json_array_append_new(results, o);
	}
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:I, s:I}",
			 "job_id", s->job_id, "job_type", s->job_type, "status", s->status, "total",
			 s->total, "completed", s->completed, "failed", s->failed, "created_at",
			 api_json_time(s->created_at), "started_at", api_json_time(s->started_at),
			 "completed_at", api_json_time(s->completed_at), "results", results, "limit",
			 (json_int_t)limit, "offset", (json_int_t)offset);
}

/* A query integer within [min, max], or def when absent; false (422 answered) when invalid. */
static bool query_size(struct http_request *req, struct http_response *res, const char *name,
		       size_t def, size_t min, size_t max, size_t *out)
{
	const char *v = http_query(req, name);
	*out = def;
	if (!v)
		return true;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!v[0] || *end || n < (long long)min || n > (long long)max) {
		http_respond_errorf(res, ERR_VALIDATION, "%s: must be an integer from %zu to %zu", name, min, max);
		return false;
	}
	*out = (size_t)n;
	return true;
}

void api_batch_status(struct http_request *req, struct http_response *res)
{
	size_t limit, offset;
	struct core_job_status s;
	if (!query_size(req, res, "limit", RESULTS_DEFAULT, 1, RESULTS_MAX, &limit) ||
	    !query_size(req, res, "offset", 0, 0, 1000000000, &offset))
		return;
	enum mtag_err e = core_job_status(req->app, req->arena, api_owner(req), http_param(req, "job_id"),
					  limit, offset, &s);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such job");
	if (e)
		return http_respond_error(res, e, NULL);
	http_respond_json(res, 200, jsonx_own(req->arena, status_json(&s, limit, offset)));
}

void api_job_cancel(struct http_request *req, struct http_response *res)
{
	int n = 0;
	const char *id = http_param(req, "id");
	enum mtag_err e = core_job_cancel(req->app, api_identity(req)->user.id, id, &n);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such job");
	if (e == ERR_CONFLICT)
		return http_respond_error(res, e, "the job has already ended");
	if (e)
		return http_respond_error(res, e, NULL);
	json_t *o = json_pack("{s:s, s:s, s:i}", "message", "job cancelled", "job_id", id,
			      "documents_cancelled", n);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_job_retry(struct http_request *req, struct http_response *res)
{
	int n = 0;
	char err[512] = "";
	const char *id = http_param(req, "id");
	enum mtag_err e = core_job_retry(req->app, api_identity(req)->user.id, id, &n, err,
					 sizeof(err));
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such job");
	if (e)
		return api_respond_submit_error(res, e, err);
	json_t *o = json_pack("{s:s, s:s, s:i}", "message", n ? "failed documents queued again" : "no failed documents",
			      "job_id", id, "documents_retried", n);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_job_claim(struct http_request *req, struct http_response *res)
{
	int n = 0;
	char err[512] = "";
	const char *id = http_param(req, "id");
	enum mtag_err e = core_job_claim(req->app, api_identity(req)->user.id, id, &n, err,
					 sizeof(err));
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such anonymous job");
	if (e)
		return api_respond_submit_error(res, e, err);
	json_t *o = json_pack("{s:s, s:s, s:i}", "message", "the job is yours now", "job_id", id,
			      "documents", n);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

/* An event stream's state: what the client has seen. */
struct job_events {
	struct core *core;
	char job_id[UUID_STR_LEN];
	char owner[UUID_STR_LEN];
	long long last_id;   /* progress events carry done = completed + failed; the final one total + 1 */
};

static void job_events_free(void *ctx)
{
	free(ctx);
}

/* Called by the streams thread every poll interval: a progress event when something finished, the final event at the end. */
static enum http_stream_status job_events_poll(void *ctx, struct buf *out)
{
	struct job_events *ev = ctx;
	struct arena a = ARENA_INIT;
	struct core_job_status s;
	enum http_stream_status st = HTTP_STREAM_MORE;
	enum mtag_err e = core_job_status(ev->core, &a, ev->owner, ev->job_id, 0, 0, &s);
	if (e) {
		/* Shaped as every error of the API: a detail and its code. */
		http_sse_event(out, NULL, "error", e == ERR_NOT_FOUND
			       ? "{\"detail\":\"the job was deleted\",\"code\":\"not_found\"}"
			       : "{\"detail\":\"the job cannot be read now\",\"code\":\"unavailable\"}");
		st = HTTP_STREAM_END;
		goto out;
	}
	long long done = s.completed + s.failed;
	bool final = !strcmp(s.status, "completed") || !strcmp(s.status, "partial") ||
		     !strcmp(s.status, "failed") || !strcmp(s.status, "cancelled");
	char id[32], *data;
	if (done > ev->last_id && done <= s.total) {
		snprintf(id, sizeof(id), "%lld", done);
		data = arena_printf(&a, "{\"job_id\":\"%s\",\"status\":\"%s\",\"total\":%d,\"completed\":%d,\"failed\":%d}",
				    s.job_id, s.status, s.total, s.completed, s.failed);
		http_sse_event(out, id, "progress", data);
		ev->last_id = done;
	}
	if (final) {
		if (ev->last_id <= s.total) {
			snprintf(id, sizeof(id), "%d", s.total + 1);
			data = arena_printf(&a, "{\"job_id\":\"%s\",\"status\":\"%s\",\"total\":%d,\"completed\":%d,\"failed\":%d}",
					    s.job_id, s.status, s.total, s.completed, s.failed);
			http_sse_event(out, id, "done", data);
		}
		st = HTTP_STREAM_END;
	}
out:
	arena_release(&a);
	return st;
}

void api_batch_events(struct http_request *req, struct http_response *res)
{
	struct core_job_status s;
	const char *job = http_param(req, "job_id");
	enum mtag_err e = core_job_status(req->app, req->arena, api_owner(req), job, 0, 0, &s);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such job");
	if (e)
		return http_respond_error(res, e, NULL);
	struct job_events *ev = xcalloc(1, sizeof(*ev));
	ev->core = req->app;
	memcpy(ev->job_id, s.job_id, sizeof(ev->job_id));
	snprintf(ev->owner, sizeof(ev->owner), "%s", api_owner(req));
	ev->last_id = -1;
	const char *last = http_header(req, "Last-Event-ID");
	if (last) {
		char *end;
		long long v = strtoll(last, &end, 10);
		if (*last && !*end && v >= 0)
			ev->last_id = v;
	}
	http_respond_stream(res, job_events_poll, ev, job_events_free);
}

void api_job_delete(struct http_request *req, struct http_response *res)
{
	const char *id = http_param(req, "id");
	enum mtag_err e = core_job_delete(req->app, api_identity(req)->user.id, id);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such job");
	if (e)
		return http_respond_error(res, e, NULL);
	json_t *o = json_pack("{s:s, s:s}", "message", "job deleted", "job_id", id);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}
