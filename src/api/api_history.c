/*
 * api_history.c - the /api/history endpoints: the caller's jobs and
 * documents, search, tags, statistics, export. Authentication is required by
 * the route table; every call is for the caller's own records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/random.h"
#include "base/utf8.h"
#include "core/core.h"
#include "core/core_history.h"
#include "base/xalloc.h"

#define LIST_DEFAULT 50
#define LIST_MAX 100
#define QUERY_MAX 10240

static const char *me(const struct http_request *req)
{
	return api_identity(req)->user.id;
}

/* A query integer in [min, max], def when absent; false (422 answered) when not. */
static bool query_int(struct http_request *req, struct http_response *res, const char *name,
		      long long def, long long min, long long max, long long *out)
{
	const char *v = http_query(req, name);
	*out = def;
	if (!v)
		return true;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!v[0] || *end || n < min || n > max) {
		http_respond_errorf(res, ERR_VALIDATION, "%s: must be an integer from %lld to %lld",
				    name, min, max);
		return false;
	}
	*out = n;
	return true;
}

/*
 * A query value that must be one of values (NULL-terminated) when present;
 * false (422 naming them) when not. OUT: *out, NULL when absent.
 */
static bool query_enum(struct http_request *req, struct http_response *res, const char *name,
		       const char *const *values, const char **out)
{
	char list[160] = "";
	*out = http_query(req, name);
	for (const char *const *v = values; *v; v++) {
		if (*out && !strcmp(*out, *v))
			return true;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 v == values ? "" : v[1] ? ", " : " or ", *v);
	}
	if (!*out)
		return true;
	http_respond_errorf(res, ERR_VALIDATION, "%s: must be %s", name, list);
	return false;
}

static const char *const job_statuses[] = { "pending", "processing", "completed", "partial",
					    "failed", "cancelled", NULL };
static const char *const doc_statuses[] = { "pending", "processing", "completed", "failed", NULL };
static const char *const job_types[] = { "single", "batch", "upload", NULL };

static bool paging(struct http_request *req, struct http_response *res, size_t *limit,
		   size_t *offset)
{
	long long l, o;
	if (!query_int(req, res, "limit", LIST_DEFAULT, 1, LIST_MAX, &l) ||
	    !query_int(req, res, "offset", 0, 0, 1000000000, &o))
		return false;
	*limit = (size_t)l;
	*offset = (size_t)o;
	return true;
}

/* A JSON value stored as text, parsed (or the fallback when it does not parse). */
static json_t *stored_json(const char *text, json_t *fallback)
{
	json_error_t jerr;
	json_t *v = text ? json_loads(text, 0, &jerr) : NULL;
	if (!v)
		return fallback;
	json_decref(fallback);
	return v;
}

static json_t *job_json(const struct store_job *j)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:s?, s:o, s:o, s:o}", "id", j->id,
			 "job_type", j->job_type, "status", j->status, "total_documents",
			 j->total_documents, "processed_documents", j->processed_documents,
			 "failed_documents", j->failed_documents, "options",
			 stored_json(j->options, json_object()), "error_message", j->error_message,
			 "created_at", api_json_time(j->created_at), "started_at",
			 api_json_time(j->started_at), "completed_at", api_json_time(j->completed_at));
}

static json_t *document_json(const struct store_document *d, bool full)
{
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o, s:s?, s:o, s:s?, s:o, s:s?,"
			      " s:s?, s:o, s:o}",
			      "id", d->id, "job_id", d->job_id, "source_url", d->source_url,
			      "filename", d->filename, "title", d->title, "status", d->status, "tags",
			      stored_json(d->tags, json_array()), "language", d->language,
			      "page_count", d->page_count ? json_integer(d->page_count) : json_null(),
			      "mime_type", d->mime_type,
			      "size_bytes", d->size_bytes ? json_integer(d->size_bytes) : json_null(),
			      "content_sha256", d->content_sha256, "error_message", d->error_message,
			      "created_at", api_json_time(d->created_at), "processed_at",
			      api_json_time(d->processed_at));
	if (full) {
		json_object_set_new(o, "extracted_text", d->extracted_text ? json_string(d->extracted_text) : json_null());
		json_object_set_new(o, "processing_metadata", stored_json(d->metadata, json_object()));
	}
	return o;
}

static void fail(struct http_response *res, enum mtag_err e, const char *what)
{
	http_respond_error(res, e, e == ERR_NOT_FOUND ? what : NULL);
}

void api_history_jobs(struct http_request *req, struct http_response *res)
{
	size_t limit, offset, n, total;
	struct store_job *jobs;
	static const char *const sorts[] = { "newest", "oldest", NULL };
	struct store_job_filter f = { 0 };
	const char *sort;
	if (!paging(req, res, &limit, &offset) ||
	    !query_enum(req, res, "status", job_statuses, &f.status) ||
	    !query_enum(req, res, "job_type", job_types, &f.job_type) ||
	    !query_enum(req, res, "sort", sorts, &sort))
		return;
	f.oldest_first = sort && !strcmp(sort, "oldest");
	enum mtag_err e = core_history_jobs(req->app, req->arena, me(req), &f, limit, offset, &jobs, &n, &total);
	if (e)
		return fail(res, e, NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, job_json(&jobs[i]));
	json_t *o = json_pack("{s:o, s:I, s:I, s:I}", "jobs", list, "total", (json_int_t)total,
			      "limit", (json_int_t)limit, "offset", (json_int_t)offset);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_history_job(struct http_request *req, struct http_response *res)
{
	long long l, o2;
	struct store_job j;
	struct store_document *docs;
	size_t n;
	if (!query_int(req, res, "documents_limit", 100, 1, 500, &l) ||
	    !query_int(req, res, "documents_offset", 0, 0, 1000000000, &o2))
		return;
	enum mtag_err e = core_history_job(req->app, req->arena, me(req), http_param(req, "id"),
					   (size_t)l, (size_t)o2, &j, &docs, &n);
	if (e)
		return fail(res, e, "no such job");
	json_t *o = job_json(&j), *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, document_json(&docs[i], false));
	json_object_set_new(o, "documents", list);
	json_object_set_new(o, "documents_limit", json_integer(l));
	json_object_set_new(o, "documents_offset", json_integer(o2));
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

/*
 * A date bound (a date or a time, clock_parse_iso) into *us; absent: 0, as
 * the store takes it. Every document is from after 1970-01-01, so from may
 * be that day (the same as none), to must be after it (0 would read as
 * none). False when answered (422).
 */
static bool date_bound(struct http_request *req, struct http_response *res, const char *name,
		       bool after_epoch, int64_t *us)
{
	const char *v = http_query(req, name);
	*us = 0;
	if (!v || (clock_parse_iso(v, us) && (after_epoch ? *us > 0 : *us >= 0)))
		return true;
	http_respond_errorf(res, ERR_VALIDATION, "%s: must be a date %s 1970-01-01, such as 2026-11-29",
			    name, after_epoch ? "after" : "from");
	return false;
}

/*
 * The lang filter, lower-cased (languages are stored so: "en", "und"); false
 * when answered (422): not two or three ASCII letters.
 */
static bool lang_filter(struct http_request *req, struct http_response *res, const char **out)
{
	const char *v = http_query(req, "lang");
	size_t n = v ? strlen(v) : 0;
	*out = NULL;
	if (!v)
		return true;
	char *lang = arena_strdup(req->arena, v);
	for (size_t i = 0; i < n; i++)
		lang[i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ? lang[i] + 32 : lang[i]);
	if (n < 2 || n > 3 || strspn(lang, "abcdefghijklmnopqrstuvwxyz") != n) {
		http_respond_error(res, ERR_VALIDATION, "lang: must be a language code such as en");
		return false;
	}
	*out = lang;
	return true;
}

/* status, lang, job_id, tag (repeatable), from, to. False when answered (422). */
static bool doc_filter(struct http_request *req, struct http_response *res,
		       struct store_doc_filter *f)
{
	const char *tags[STORE_FILTER_TAGS + 1];
	memset(f, 0, sizeof(*f));
	if (!query_enum(req, res, "status", doc_statuses, &f->status) ||
	    !lang_filter(req, res, &f->lang))
		return false;
	f->job_id = http_query(req, "job_id");
	if (f->job_id && !uuid_valid(f->job_id)) {
		http_respond_error(res, ERR_VALIDATION, "job_id: must be a UUID");
		return false;
	}
	f->ntags = http_query_all(req, "tag", tags, STORE_FILTER_TAGS + 1);
	if (f->ntags > STORE_FILTER_TAGS) {
		http_respond_errorf(res, ERR_VALIDATION, "tag: at most %d tags", STORE_FILTER_TAGS);
		return false;
	}
	for (size_t i = 0; i < f->ntags; i++)
		if (!tags[i][0] || !utf8_valid(tags[i])) {
			http_respond_error(res, ERR_VALIDATION, tags[i][0] ? "tag: must be valid UTF-8"
									   : "tag: must not be empty");
			return false;
		}
	memcpy(f->tags, tags, f->ntags * sizeof(*tags));
	if (!date_bound(req, res, "from", false, &f->from_us) ||
	    !date_bound(req, res, "to", true, &f->to_us))
		return false;
	if (f->from_us && f->to_us && f->to_us <= f->from_us) {
		http_respond_error(res, ERR_VALIDATION, "to: must be after from");
		return false;
	}
	return true;
}

void api_history_documents(struct http_request *req, struct http_response *res)
{
	size_t limit, offset, n, total;
	struct store_doc_filter f;
	struct store_document *docs;
	if (!paging(req, res, &limit, &offset) || !doc_filter(req, res, &f))
		return;
	enum mtag_err e = core_history_documents(req->app, req->arena, me(req), &f, limit, offset,
						 &docs, &n, &total);
	if (e)
		return fail(res, e, NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, document_json(&docs[i], false));
	json_t *o = json_pack("{s:o, s:I, s:I, s:I}", "documents", list, "total", (json_int_t)total,
			      "limit", (json_int_t)limit, "offset", (json_int_t)offset);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_history_search(struct http_request *req, struct http_response *res)
{
	size_t limit, offset, n, total;
	struct store_doc_filter f;
	struct store_hit *hits;
	const char *q = http_query(req, "query");
	if (!q)
		return http_respond_error(res, ERR_VALIDATION, "query: field required");
	if (strlen(q) > QUERY_MAX)
		return http_respond_error(res, ERR_VALIDATION, "query: must be at most 10240 bytes");
	if (!utf8_valid(q))
		return http_respond_error(res, ERR_VALIDATION, "query: must be valid UTF-8");
	if (!paging(req, res, &limit, &offset) || !doc_filter(req, res, &f))
		return;
	enum mtag_err e = core_history_search(req->app, req->arena, me(req), q, &f, limit, offset,
					      &hits, &n, &total);
	if (e)
		return fail(res, e, NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *d = document_json(&hits[i].doc, false);
		json_object_set_new(d, "snippet", hits[i].snippet ? json_string(hits[i].snippet) : json_null());
		json_object_set_new(d, "rank", json_real(hits[i].rank));
		json_array_append_new(list, d);
	}
	/* The window's count: at the window's size, more documents may match. */
	json_t *o = json_pack("{s:o, s:I, s:b, s:I, s:I, s:s}", "documents", list, "total",
			      (json_int_t)total, "total_capped", total >= STORE_SEARCH_WINDOW,
			      "limit", (json_int_t)limit, "offset", (json_int_t)offset, "query", q);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_history_document(struct http_request *req, struct http_response *res)
{
	struct store_document d;
	enum mtag_err e = core_history_document(req->app, req->arena, me(req), http_param(req, "id"), &d);
	if (e)
		return fail(res, e, "no such document");
	http_respond_json(res, 200, jsonx_own(req->arena, document_json(&d, true)));
}

void api_history_document_delete(struct http_request *req, struct http_response *res)
{
	const char *id = http_param(req, "id");
	enum mtag_err e = core_history_delete_document(req->app, me(req), id);
	if (e)
		return fail(res, e, "no such document");
	json_t *o = json_pack("{s:s, s:s}", "message", "document deleted", "document_id", id);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

void api_history_tags(struct http_request *req, struct http_response *res)
{
	long long limit;
	struct store_tag_count *tags;
	size_t n;
	if (!query_int(req, res, "limit", 50, 1, 500, &limit))
		return;
	const char *prefix = http_query(req, "prefix");
	if (prefix && !utf8_valid(prefix))
		return http_respond_error(res, ERR_VALIDATION, "prefix: must be valid UTF-8");
	enum mtag_err e = core_history_tags(req->app, req->arena, me(req), prefix,
					    (size_t)limit, &tags, &n);
	if (e)
		return fail(res, e, NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:I}", "tag", tags[i].tag, "count",
						      (json_int_t)tags[i].count));
	http_respond_json(res, 200, jsonx_own(req->arena, json_pack("{s:o}", "tags", list)));
}

void api_history_stats(struct http_request *req, struct http_response *res)
{
	static const char *const statuses[] = { "pending", "processing", "completed", "partial", "failed", "cancelled" };
	struct store_stats s;
	struct store_tag_count *tags;
	struct store_job *jobs;
	size_t ntags = 0, njobs = 0, total;
	enum mtag_err e = core_history_stats(req->app, me(req), &s);
	struct store_job_filter none = { NULL, NULL, false };
	if (!e)
		e = core_history_tags(req->app, req->arena, me(req), NULL, 10, &tags, &ntags);
	if (!e)
		e = core_history_jobs(req->app, req->arena, me(req), &none, 5, 0, &jobs, &njobs, &total);
	if (e)
		return fail(res, e, NULL);
	json_t *by = json_object(), *days = json_array(), *top = json_array(), *recent = json_array();
	for (int i = 0; i < 6; i++)
		json_object_set_new(by, statuses[i], json_integer(s.jobs_by_status[i]));
	int64_t today = clock_now_us() / 86400000000LL * 86400000000LL;
	for (int i = 0; i < STORE_STATS_DAYS; i++) {
		char iso[CLOCK_ISO_LEN];
		clock_format_iso(today - (int64_t)(STORE_STATS_DAYS - 1 - i) * 86400000000LL, iso);
		iso[10] = '\0';
		json_array_append_new(days, json_pack("{s:s, s:I}", "date", iso, "count", (json_int_t)s.per_day[i]));
	}
	for (size_t i = 0; i < ntags; i++)
		json_array_append_new(top, json_pack("{s:s, s:I}", "tag", tags[i].tag, "count", (json_int_t)tags[i].count));
	for (size_t i = 0; i < njobs; i++)
		json_array_append_new(recent, job_json(&jobs[i]));
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "total_jobs",
			      (json_int_t)s.total_jobs, "total_documents", (json_int_t)s.total_documents,
			      "documents_processed", (json_int_t)s.documents_processed,
			      "documents_failed", (json_int_t)s.documents_failed, "jobs_by_status", by,
			      "recent_activity", recent, "documents_per_day", days, "top_tags", top);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

static void unlink_cleanup(void *path)
{
	unlink(path);
}

void api_history_export(struct http_request *req, struct http_response *res)
{
	static const char *const formats[] = { "csv", "json", NULL }, *const flags[] = { "0", "1", NULL };
	const char *format, *text;
	if (!query_enum(req, res, "format", formats, &format) ||
	    !query_enum(req, res, "include_text", flags, &text))
		return;
	bool json = format && !strcmp(format, "json");
	const char *path;
	struct core_failure f = { 0 };
	enum mtag_err e = core_history_export(req->app, req->arena, me(req), json,
					      text && !strcmp(text, "1"), &path, &f);
	if (e)
		return api_fail(res, e, &f);
	/* The file goes when the request ends, after it was sent. */
	arena_cleanup_add(req->arena, unlink_cleanup, (void *)path);
	http_set_header(res, "Content-Disposition", json ? "attachment; filename=\"documents.json\""
						       : "attachment; filename=\"documents.csv\"");
	http_respond_file(res, 200, json ? "application/json" : "text/csv; charset=utf-8", path);
}
