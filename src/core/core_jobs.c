/*
 * core_jobs.c - batch jobs (core_jobs.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "blob/blob.h"
#include "core/core_int.h"
#include "core/core_jobs.h"
#include "pipeline/fetch.h"
#include "pipeline/pipeline.h"
#include "pipeline/sandbox.h"
#include "pipeline/sheet.h"
#include "store/store.h"
#include "base/xalloc.h"

void core_anon_client(const struct core *c, const char *owner_id, const char *ip,
		      char out[CORE_ANON_CLIENT_LEN + 1])
{
	unsigned char mac[32];
	char who[NETADDR_CLIENT_LEN], hex[65];
	out[0] = '\0';
	if (owner_id[0])
		return;
	netaddr_client(ip, who); /* an IPv6 client holds a /64: it counts as one */
	digest_hmac_sha256(c->anon_key, sizeof(c->anon_key), who, strlen(who), mac);
	digest_hex(mac, sizeof(mac), hex);
	memcpy(out, hex, CORE_ANON_CLIENT_LEN);
	out[CORE_ANON_CLIENT_LEN] = '\0';
}

/* Past its limits? ERR_RATE_LIMITED with err said, else ERR_OK. */
static enum mtag_err over_limits(const char *who, const char *who_has, int running, int pending,
				 bool adds_job, size_t more, int max_running, size_t max_pending,
				 const char *wait, char *err, size_t errlen)
{
	if (running + (adds_job ? 1 : 0) > max_running) {
		snprintf(err, errlen, "%s %d job%s running, the most allowed; %s", who_has, running,
			 running == 1 ? "" : "s", wait);
		return ERR_RATE_LIMITED;
	}
	if ((size_t)pending + more > max_pending) {
		snprintf(err, errlen, "%s would have %zu documents waiting, more than the %zu allowed",
			 who, (size_t)pending + more, max_pending);
		return ERR_RATE_LIMITED;
	}
	return ERR_OK;
}

/* Past a byte budget? ERR_RATE_LIMITED with err said, else ERR_OK. */
static enum mtag_err over_bytes(const char *who, int64_t kept, uint64_t more, uint64_t budget,
				char *err, size_t errlen)
{
	if ((uint64_t)kept + more <= budget)
		return ERR_OK;
	snprintf(err, errlen, "%s would keep %" PRIu64 " MB of files, more than the %" PRIu64
		 " MB allowed; sign in, or wait for them to be deleted", who,
		 ((uint64_t)kept + more + (1u << 20) - 1) >> 20, budget >> 20);
	return ERR_RATE_LIMITED;
}

enum mtag_err core_check_limits(struct core *c, const char *owner_id, const char *anon_client,
				bool adds_job, size_t more, uint64_t more_bytes, char *err,
				size_t errlen)
{
	int running = 0, pending = 0;
	int max_running = c->cfg->max_running_jobs;
	size_t max_pending = (size_t)c->cfg->max_pending_documents;
	if (owner_id[0]) {
		enum mtag_err e = store_user_load(c->store, owner_id, NULL, &running, &pending);
		return e ? e : over_limits("you", "you have", running, pending, adds_job, more,
					  max_running, max_pending, "wait for one to end", err, errlen);
	}
	/* Without an account, each client (address, IPv6 /64) has one user's limits, so one
	 * visitor cannot take the queue from every other, and all of them together
	 * ANON_TOTAL_USERS users' limits, so many addresses cannot take it from the users. */
	enum mtag_err e = store_user_load(c->store, "", anon_client, &running, &pending);
	if (!e)
		e = over_limits("your anonymous work", "your anonymous work has", running, pending,
				adds_job, more, max_running, max_pending,
				"wait for one to end, or sign in", err, errlen);
	if (!e)
		e = store_user_load(c->store, "", NULL, &running, &pending);
	if (!e)
		e = over_limits("anonymous work", "anonymous work has", running, pending, adds_job,
				more, ANON_TOTAL_USERS * max_running, ANON_TOTAL_USERS * max_pending,
				"sign in, or try again later", err, errlen);
	/* Its files are kept (a day by default): a budget, or one client could fill the disk. */
	uint64_t budget = (uint64_t)ANON_KEPT_UPLOADS * ((uint64_t)c->cfg->max_upload_mb << 20);
	int64_t kept = 0;
	if (!e)
		e = store_anon_bytes(c->store, anon_client, &kept);
	if (!e)
		e = over_bytes("your anonymous work", kept, more_bytes, budget, err, errlen);
	if (!e)
		e = store_anon_bytes(c->store, NULL, &kept);
	if (!e)
		e = over_bytes("anonymous work", kept, more_bytes, ANON_TOTAL_USERS * budget, err, errlen);
	return e;
}

enum mtag_err core_submit(struct core *c, const struct store_job *j,
			  const struct store_document *docs, size_t n, char *err, size_t errlen)
{
	int max_running = c->cfg->max_running_jobs;
	size_t max_pending = (size_t)c->cfg->max_pending_documents;
	struct store_submit_limits lim = { max_running, max_pending, 0, 0 };
	if (!j->user_id[0]) {
		lim.running_all = ANON_TOTAL_USERS * max_running;
		lim.pending_all = ANON_TOTAL_USERS * max_pending;
	}
	enum mtag_err e = store_job_submit(c->store, j, docs, n, &lim);
	if (e != ERR_RATE_LIMITED)
		return e;
	/* Another submission took the room since the check before: which limit, in words. */
	size_t pending = 0;
	for (size_t i = 0; i < n; i++)
		pending += !strcmp(docs[i].status, "pending");
	if (!core_check_limits(c, j->user_id, j->anon_client, true, pending, 0, err, errlen))
		snprintf(err, errlen, "other jobs were submitted at the same time; try again");
	return ERR_RATE_LIMITED;
}

static json_t *batch_options(const struct core_process_options *o, const char *column)
{
	json_t *langs = json_array();
	for (size_t i = 0; i < o->nlanguages; i++)
		json_array_append_new(langs, json_string(o->languages[i]));
	return json_pack("{s:o, s:i, s:s}", "languages", langs, "max_tags", o->max_tags,
			 "url_column", column);
}

enum mtag_err core_submit_batch(struct core *c, struct arena *a, const char *owner_id,
				const char *client_ip, const char *sheet_path, const char *column,
				const struct core_process_options *o, char job_id[UUID_STR_LEN],
				int *total, char *err, size_t errlen)
{
	struct sheet_limits l;
	struct sheet_result sr;
	sheet_limits_init(&l);
	enum mtag_err e = sandbox_read_sheet(c->sandbox, a, sheet_path, column, &l, &sr, err, errlen);
	if (e)
		return e;
	if (sr.nrows == 0) {
		snprintf(err, errlen, "url_column: column '%s' has no values", sr.column);
		return ERR_VALIDATION;
	}
	char anon[CORE_ANON_CLIENT_LEN + 1];
	core_anon_client(c, owner_id, client_ip, anon);
	e = core_check_limits(c, owner_id, anon, true, sr.nrows, 0, err, errlen);
	if (e)
		return e;
	struct store_job j = { .anon_client = anon };
	struct store_document *docs = arena_calloc(a, sr.nrows, sizeof(*docs));
	uuid_v7(j.id);
	snprintf(j.user_id, sizeof(j.user_id), "%s", owner_id);
	j.job_type = "batch";
	j.status = "pending";
	j.total_documents = (int)sr.nrows;
	j.options = jsonx_dump(a, jsonx_own(a, batch_options(o, sr.column)));
	j.created_at = j.updated_at = clock_now_us();
	for (size_t i = 0; i < sr.nrows; i++) {
		char why[256];
		uuid_v7(docs[i].id);
		docs[i].source_url = sr.rows[i].value;
		docs[i].seq = (int)i;
		docs[i].created_at = j.created_at;
		/* A bad row is a failed document with its reason, not a refused batch. */
		if (fetch_url_check(sr.rows[i].value, why, sizeof(why))) {
			docs[i].status = "failed";
			docs[i].error_message = arena_printf(a, "row %zu: %s", sr.rows[i].row, why);
		} else {
			docs[i].status = "pending";
		}
	}
	e = core_submit(c, &j, docs, sr.nrows, err, errlen);
	if (e)
		return e;
	memcpy(job_id, j.id, UUID_STR_LEN);
	*total = (int)sr.nrows;
	log_info("core.batch", "job=%s rows=%zu blank=%zu duplicates=%zu format=%s",
		 core_job_log_id(j.id, j.user_id), sr.nrows,
		 sr.blank, sr.duplicates, sr.format);
	core_wake_workers(c);
	return ERR_OK;
}

/* Download the spreadsheet at sheet_url to a temp file (the caller unlinks *path). */
static enum mtag_err download_sheet(struct core *c, struct arena *a, const char *sheet_url,
				    const char **path, char *err, size_t errlen)
{
	struct fetch_options fo;
	struct fetch_result fr;
	fetch_options_init(&fo);
	fo.allow_private = c->cfg->fetch_allow_private;
	fo.max_bytes = (size_t)c->cfg->max_download_mb << 20;
	if (pipeline_download(a, sheet_url, &fo, path, &fr, err, errlen) == ERR_OK)
		return ERR_OK;
	/* The spreadsheet itself could not be had: the request is at fault. */
	char why[512];
	snprintf(why, sizeof(why), "spreadsheet_url: %s", err);
	snprintf(err, errlen, "%s", why);
	return ERR_VALIDATION;
}

enum mtag_err core_submit_batch_url(struct core *c, struct arena *a, const char *owner_id,
				    const char *client_ip, const char *sheet_url, const char *column,
				    const struct core_process_options *o,
				    char job_id[UUID_STR_LEN], int *total, char *err, size_t errlen)
{
	const char *path;
	enum mtag_err e = download_sheet(c, a, sheet_url, &path, err, errlen);
	if (e)
		return e;
	e = core_submit_batch(c, a, owner_id, client_ip, path, column, o, job_id, total, err, errlen);
	unlink(path);
	return e;
}

enum mtag_err core_sheet_headers(struct core *c, struct arena *a, const char *sheet_path,
				 const char *sheet_url, struct core_sheet_headers *out, char *err,
				 size_t errlen)
{
	struct sheet_limits l;
	struct sheet_result sr;
	const char *path = sheet_path;
	memset(out, 0, sizeof(*out));
	enum mtag_err e = sheet_path ? ERR_OK : download_sheet(c, a, sheet_url, &path, err, errlen);
	if (e)
		return e;
	sheet_limits_init(&l);
	e = sandbox_read_sheet(c->sandbox, a, path, NULL, &l, &sr, err, errlen);
	if (!sheet_path)
		unlink(path);
	if (e)
		return e;
	out->format = sr.format;
	out->columns = arena_calloc(a, sr.nheaders + 1, sizeof(*out->columns));
	for (size_t i = 0; i < sr.nheaders; i++) {
		struct core_sheet_column *col = &out->columns[out->n++];
		const char *h = sr.headers[i];
		sheet_column_letters((long)i, col->letter);
		col->name = h;
		col->is_link = !strncasecmp(h, "http://", 7) || !strncasecmp(h, "https://", 8);
	}
	return ERR_OK;
}

enum mtag_err core_job_status(struct core *c, struct arena *a, const char *owner_id,
			      const char *job_id, size_t limit, size_t offset,
			      struct core_job_status *out)
{
	struct store_job j;
	struct store_document *docs;
	size_t n;
	memset(out, 0, sizeof(*out));
	enum mtag_err e = store_job_page(c->store, a, job_id, NULL, limit, offset, &j, &docs, &n);
	/* Anonymous work: its id is the capability. A user's: that user only. */
	if (!e && j.user_id[0] && strcmp(j.user_id, owner_id) != 0)
		e = ERR_NOT_FOUND;
	if (e)
		return e;
	memcpy(out->job_id, j.id, sizeof(out->job_id));
	out->job_type = j.job_type;
	out->status = j.status;
	out->total = j.total_documents;
	out->completed = j.processed_documents;
	out->failed = j.failed_documents;
	out->created_at = j.created_at;
	out->started_at = j.started_at;
	out->completed_at = j.completed_at;
	out->results = arena_calloc(a, n ? n : 1, sizeof(*out->results));
	out->nresults = n;
	for (size_t i = 0; i < n; i++) {
		struct core_job_result *r = &out->results[i];
		memcpy(r->document_id, docs[i].id, sizeof(r->document_id));
		r->url = docs[i].source_url;
		r->filename = docs[i].filename;
		r->status = docs[i].status;
		r->title = docs[i].title;
		r->language = docs[i].language;
		r->tags = docs[i].tags;
		r->error = docs[i].error_message;
		r->page_count = docs[i].page_count;
		r->processed_at = docs[i].processed_at;
	}
	return ERR_OK;
}

enum mtag_err core_job_cancel(struct core *c, const char *owner_id, const char *job_id, int *n)
{
	return store_job_cancel(c->store, job_id, owner_id, clock_now_us(), n);
}

enum mtag_err core_job_retry(struct core *c, const char *owner_id, const char *job_id, int *n,
			     char *err, size_t errlen)
{
	struct arena a = ARENA_INIT;
	struct store_job j;
	*n = 0;
	/* The documents queued again count against the limits like new ones. */
	enum mtag_err e = store_job_get(c->store, &a, job_id, owner_id, &j);
	if (!e && j.failed_documents > 0 && strcmp(j.status, "cancelled"))
		e = core_check_limits(c, owner_id, NULL,
				 strcmp(j.status, "pending") && strcmp(j.status, "processing"),
				 (size_t)j.failed_documents, 0, err, errlen);
	arena_release(&a);
	if (!e)
		e = store_job_retry(c->store, job_id, owner_id, clock_now_us(), n);
	if (e == ERR_CONFLICT)
		snprintf(err, errlen, "the job was cancelled: its documents are not retried");
	if (!e && *n)
		core_wake_workers(c);
	return e;
}

enum mtag_err core_job_claim(struct core *c, const char *owner_id, const char *job_id, int *n,
			     char *err, size_t errlen)
{
	struct arena a = ARENA_INIT;
	struct store_job j;
	int64_t now = clock_now_us();
	*n = 0;
	/* A running job counts against the user's limits like one they submit. */
	enum mtag_err e = store_job_get(c->store, &a, job_id, NULL, &j);
	if (!e && j.user_id[0])
		e = ERR_NOT_FOUND;
	if (!e && (!strcmp(j.status, "pending") || !strcmp(j.status, "processing")))
		e = core_check_limits(c, owner_id, NULL, true,
				 (size_t)(j.total_documents - j.processed_documents - j.failed_documents),
				 0, err, errlen);
	arena_release(&a);
	if (!e)
		e = store_job_claim(c->store, job_id, owner_id, now,
				    now - (int64_t)c->cfg->anonymous_ttl_hours * 3600 * 1000000, n);
	if (!e) {
		char detail[64];
		snprintf(detail, sizeof(detail), "{\"job_id\":\"%s\"}", job_id);
		core_audit(c, owner_id, "job_claim", NULL, detail);
	}
	return e;
}

enum mtag_err core_job_delete(struct core *c, const char *owner_id, const char *job_id)
{
	struct arena a = ARENA_INIT;
	const char **keys;
	size_t n;
	enum mtag_err e = store_job_delete(c->store, &a, job_id, owner_id, clock_now_us(), &keys, &n);
	/* Rows first, files after: no row ever points to a deleted file. A document
	 * still running stores its file after this; core_process deletes it then. */
	if (!e)
		core_delete_files(c, keys, n, "job");
	if (!e)
		log_info("core.job_deleted", "job=%s files=%zu", job_id, n);
	arena_release(&a);
	return e;
}
