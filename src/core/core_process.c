/*
 * core_process.c - one document, now: record it, run the pipeline, store
 * the original, record the outcome (core_process.h).
 */
#include <jansson.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "base/tempfile.h"
#include "blob/blob.h"
#include "core/core_int.h"
#include "core/core_process.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "base/xalloc.h"

/*
 * How long a process-single request waits for a download slot of its host
 * (MTAG_FETCH_PER_HOST) before it is told to try again: a client is waiting,
 * and the downloads holding the slots may each take their full time limit.
 */
#define SYNC_HOST_WAIT_S 20

/* One document on its way through. */
struct work {
	struct core *c;
	struct arena *a;
	const struct core_process_options *o;
	struct store_job job;
	struct store_document doc;
	struct pipeline_doc pd;
	bool db_down;      /* the database did not answer before it stored it */
	const char *original; /* the original's file, while it is stored and recorded */
	int held;          /* core_hold's slot of a document processed at once, else -1 */
	bool queued;       /* a worker's document, taken from the queue */
	char err[512];
};

void core_process_options_init(struct core_process_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_tags = 10;
}

static const char *extension(const char *mime)
{
	static const char *const map[][2] = {
		{ "application/pdf", "pdf" }, { "application/epub+zip", "epub" },
		{ "application/oxps", "xps" }, { "text/html", "html" }, { "text/plain", "txt" },
		{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx" },
		{ "application/vnd.oasis.opendocument.text", "odt" },
	};
	for (size_t i = 0; mime && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(mime, map[i][0]))
			return map[i][1];
	return "bin";
}

static json_t *options_json(const struct core_process_options *o)
{
	json_t *langs = json_array();
	for (size_t i = 0; i < o->nlanguages; i++)
		json_array_append_new(langs, json_string(o->languages[i]));
	return json_pack("{s:o, s:i}", "languages", langs, "max_tags", o->max_tags);
}

/* Record the job and its one document (processing) in one transaction. */
static enum mtag_err begin_work(struct work *w, const char *owner_id, const char *anon_client,
				const char *url, const char *filename)
{
	int64_t now = clock_now_us();
	struct store_job *j = &w->job;
	struct store_document *d = &w->doc;
	memset(j, 0, sizeof(*j));
	memset(d, 0, sizeof(*d));
	uuid_v7(j->id);
	uuid_v7(d->id);
	snprintf(j->user_id, sizeof(j->user_id), "%s", owner_id);
	memcpy(d->job_id, j->id, sizeof(d->job_id));
	memcpy(d->user_id, j->user_id, sizeof(d->user_id));
	j->job_type = "single";
	j->status = "processing";
	j->total_documents = 1;
	j->options = jsonx_dump(w->a, jsonx_own(w->a, options_json(w->o)));
	j->anon_client = anon_client;
	j->created_at = j->updated_at = j->started_at = now;
	/* Claimed by this node as it is made: if the node dies, the lease runs out and a
	 * worker takes the document again (a URL is downloaded again). */
	d->status = "processing";
	d->attempts = 1;
	d->lease_until = now + (int64_t)w->c->cfg->lease_s * 1000000;
	d->node_id = w->c->cfg->node_id;
	d->source_url = url;
	d->filename = filename;
	d->created_at = now;
	enum mtag_err e = core_submit(w->c, j, d, 1, w->err, sizeof(w->err));
	if (!e)
		w->held = core_hold(w->c, d->id);
	return e;
}

static void set_opt(json_t *m, const char *k, const char *v)
{
	if (v)
		json_object_set_new(m, k, json_string(v));
}

/* processing_metadata: what the pipeline found and how long it took. */
static json_t *metadata_json(const struct work *w, const char *duplicate_of)
{
	const struct pipeline_doc *p = &w->pd;
	json_t *scores = json_array();
	for (size_t i = 0; i < p->ntags; i++)
		json_array_append_new(scores, json_real((double)(int64_t)(p->tags[i].score * 1000 + 0.5) / 1000));
	json_t *m = json_pack("{s:f, s:s, s:i, s:s, s:I, s:s, s:b, s:o, s:{s:f, s:f, s:f}}",
			      "processing_time", (double)p->total_us / 1e6, "language_detected",
			      p->language, "page_count", p->page_count, "mime_type", p->mime_type,
			      "size_bytes", (json_int_t)p->size_bytes, "content_sha256", p->sha256,
			      "truncated", p->truncated, "tag_scores", scores, "timings_ms",
			      "fetch", p->fetch_us / 1e3, "extract", p->extract_us / 1e3, "tag",
			      p->tag_us / 1e3);
	set_opt(m, "title", p->title);
	set_opt(m, "author", p->props.author);
	set_opt(m, "subject", p->props.subject);
	set_opt(m, "keywords", p->props.keywords);
	set_opt(m, "creator", p->props.creator);
	set_opt(m, "producer", p->props.producer);
	set_opt(m, "created", p->props.created);
	set_opt(m, "modified", p->props.modified);
	set_opt(m, "source_url", w->doc.source_url);
	set_opt(m, "filename", p->filename);
	if (duplicate_of) {
		json_object_set_new(m, "duplicate_of", json_string(duplicate_of));
		json_object_set_new(m, "blob_reused", json_true());
	}
	return m;
}

/*
 * Where a document's original is stored: its owner (or "anonymous"), its job,
 * its id, and past its first attempt the attempt: a file an attempt left
 * behind (its worker died) can never be the file a later attempt's outcome
 * points to, so deleting it later (core_delete_queued) is safe.
 */
static const char *original_key(struct arena *a, const struct store_job *j, const char *doc_id,
				int attempt, const char *ext)
{
	const char *owner = j->user_id[0] ? j->user_id : "anonymous";
	if (attempt > 1)
		return arena_printf(a, "%s/%s/%s-%d.%s", owner, j->id, doc_id, attempt, ext);
	return arena_printf(a, "%s/%s/%s.%s", owner, j->id, doc_id, ext);
}

/*
 * A file stored is on the list of files to delete until the document's
 * outcome points to it (store_document_finish takes it off): a worker that
 * dies, or loses the database, between the two leaves no file behind.
 */
#define STORED_UNCLAIMED_US (3600LL * 1000000)

/* Store the original as the document's own file. */
static enum mtag_err store_own_original(struct work *w, const char *path)
{
	const char *key = original_key(w->a, &w->job, w->doc.id, w->doc.attempts,
				       extension(w->pd.mime_type));
	enum mtag_err e = store_blob_delete_later(w->c->store, key,
						  clock_now_us() + STORED_UNCLAIMED_US);
	if (e) {
		w->db_down = true;
		snprintf(w->err, sizeof(w->err), "the database did not answer");
		return e;
	}
	e = blob_put_file(w->c->blob, key, path, w->pd.mime_type, w->err, sizeof(w->err));
	if (!e) {
		w->doc.blob_key = key;
		w->doc.blob_shared = false;
		w->doc.blob_new = true;
	}
	return e;
}

/* Store the original, or reuse this user's stored copy of the same bytes. OUT: *dup. */
static enum mtag_err store_original(struct work *w, const char *path, const char **dup)
{
	struct store_document prev;
	*dup = NULL;
	w->original = path;
	if (w->job.user_id[0] &&
	    store_document_find_by_sha(w->c->store, w->a, w->job.user_id, w->pd.sha256, &prev) == ERR_OK) {
		w->doc.blob_key = prev.blob_key;
		w->doc.blob_shared = true;
		*dup = arena_strdup(w->a, prev.id);
		return ERR_OK;
	}
	return store_own_original(w, path);
}

/*
 * Storage could not be reached (e): for a worker's document that is no fault
 * of the document's. It is left as it is, claimed: its lease runs out and it
 * is taken again, and the workers claim nothing until storage answers
 * (core_storage_down). True when so; a document processed at once for a
 * request fails, and the request hears of the outage.
 */
static bool storage_outage(struct work *w, enum mtag_err e)
{
	if (e != ERR_UNAVAILABLE || !w->queued)
		return false;
	core_storage_down(w->c);
	log_warn("core.storage_unavailable", "document=%s error=\"%s\" (taken again after its lease)",
		 w->doc.id, w->err);
	return true;
}

/*
 * Whether the file stored for d is no row's: the document is gone, or its row
 * (whoever owns it now: a claim changes the owner) points elsewhere or to
 * none. False when that cannot be known (the database is down): kept.
 */
static bool file_unused(struct work *w, const struct store_document *d)
{
	struct store_document now;
	enum mtag_err e = store_document_get(w->c->store, w->a, d->id, NULL, &now);
	return e == ERR_NOT_FOUND || (!e && (!now.blob_key || strcmp(now.blob_key, d->blob_key)));
}

/* Record the outcome; for a failure, reason says why. */
static enum mtag_err finish(struct work *w, const char *reason, const char *dup,
			    struct core_document *out)
{
	struct store_document *d = &w->doc;
	const struct pipeline_doc *p = &w->pd;
	d->processed_at = clock_now_us();
	memcpy(out->job_id, w->job.id, sizeof(out->job_id));
	memcpy(out->document_id, d->id, sizeof(out->document_id));
	if (reason) {
		d->status = "failed";
		d->error_message = reason;
		out->status = "failed";
		out->error = reason;
	} else {
		json_t *tags = json_array();
		for (size_t i = 0; i < p->ntags; i++)
			json_array_append_new(tags, json_string(p->tags[i].text));
		d->status = "completed";
		d->title = p->title;
		d->tags = jsonx_dump(w->a, jsonx_own(w->a, tags));
		d->extracted_text = p->text;
		d->metadata = jsonx_dump(w->a, jsonx_own(w->a, metadata_json(w, dup)));
		d->content_sha256 = p->sha256;
		d->size_bytes = (int64_t)p->size_bytes;
		d->mime_type = p->mime_type;
		d->language = p->language;
		d->page_count = p->page_count;
		d->filename = p->filename;
		out->status = "completed";
		out->title = p->title;
		out->language = p->language;
		out->text = p->text;
		out->metadata = d->metadata;
		out->ntags = p->ntags;
		out->tags = arena_calloc(w->a, p->ntags + 1, sizeof(*out->tags));
		out->scores = arena_calloc(w->a, p->ntags + 1, sizeof(*out->scores));
		for (size_t i = 0; i < p->ntags; i++) {
			out->tags[i] = p->tags[i].text;
			out->scores[i] = p->tags[i].score;
		}
	}
	enum mtag_err e = store_document_finish(w->c->store, d);
	if (e == ERR_CONFLICT && d->blob_shared && !reason && w->original) {
		/* The copy it reused was deleted meanwhile: its bytes are stored again, as its own. */
		e = store_own_original(w, w->original);
		if (!e) {
			d->metadata = jsonx_dump(w->a, jsonx_own(w->a, metadata_json(w, NULL)));
			out->metadata = d->metadata;
			e = store_document_finish(w->c->store, d);
		}
	}
	if (w->doc.blob_new && (e == ERR_NOT_FOUND || (e == ERR_CONFLICT && file_unused(w, d))))
		core_delete_files(w->c, &d->blob_key, 1, "refused result");
	if (e)
		log_warn("core.finish_failed", "document=%s err=%s", d->id, err_name(e));
	else
		core_metrics_document(d->status, p);
	log_info("core.document", "job=%s document=%s status=%s ms=%lld",
		 core_job_log_id(w->job.id, w->job.user_id), d->id,
		 d->status, (long long)(p->total_us / 1000));
	return e;
}

static void pipeline_options(const struct work *w, struct pipeline_options *po)
{
	pipeline_options_init(po);
	for (size_t i = 0; i < w->o->nlanguages && i < PIPELINE_MAX_LANGUAGES; i++)
		po->languages[po->nlanguages++] = w->o->languages[i];
	po->max_tags = w->o->max_tags;
	po->fetch.allow_private = w->c->cfg->fetch_allow_private;
	po->fetch.max_bytes = (size_t)w->c->cfg->max_download_mb << 20;
}

/* Extract, store, record: the part shared by URLs and uploads. */
static enum mtag_err process_path(struct work *w, const char *path, const char *url,
				  const char *filename, const struct pipeline_options *po,
				  int64_t fetch_us, struct core_document *out)
{
	/* An upload without a usable name has none: its title comes from its text, never
	 * from the temporary file's name. */
	enum mtag_err e = pipeline_run_download(w->c->pipeline, w->a, path, url, filename, po,
						&w->pd, w->err, sizeof(w->err));
	w->pd.fetch_us = fetch_us;
	w->pd.total_us += fetch_us;
	if (e)
		return finish(w, arena_strdup(w->a, w->err[0] ? w->err : err_detail(e)), NULL, out);
	const char *dup;
	e = store_original(w, path, &dup);
	if (e && w->db_down && w->queued)
		return e; /* left claimed: taken again after its lease */
	if (e && !w->db_down && storage_outage(w, e))
		return e;
	if (e) {
		/* Storage is down: the document fails, and the caller hears of the outage. The
		 * storage's own words (its address) are for the log, not for the user. */
		log_warn("core.store_failed", "document=%s error=\"%s\"", w->doc.id, w->err);
		finish(w, "could not store the original: the storage did not answer", NULL, out);
		return e;
	}
	return finish(w, NULL, dup, out);
}

/* The size of the file at path (0 when it cannot be read: the pipeline says why later). */
static uint64_t file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * Before a document processed at once: a slot of the node's (core_sync_take)
 * under key (the owner, or the anonymous client), and an anonymous client's
 * limits. ERR_RATE_LIMITED with out->error said, nothing recorded, when not.
 */
static enum mtag_err sync_begin(struct work *w, const char *owner_id, const char *client_ip,
				uint64_t bytes, char anon[CORE_ANON_CLIENT_LEN + 1], const char **key,
				struct core_document *out)
{
	core_anon_client(w->c, owner_id, client_ip, anon);
	*key = owner_id[0] ? owner_id : anon;
	if (!core_sync_take(w->c, *key, w->err, sizeof(w->err))) {
		out->error = arena_strdup(w->a, w->err);
		return ERR_RATE_LIMITED;
	}
	enum mtag_err e = owner_id[0] ? ERR_OK
				      : core_check_limits(w->c, owner_id, anon, true, 0, bytes, w->err,
							  sizeof(w->err));
	if (e) {
		core_sync_give(w->c, *key);
		out->error = arena_strdup(w->a, w->err);
	}
	return e;
}

enum mtag_err core_process_url(struct core *c, struct arena *a, const char *owner_id,
			       const char *client_ip, const char *url,
			       const struct core_process_options *o, struct core_document *out)
{
	struct work w = { .c = c, .a = a, .o = o, .held = -1 };
	struct pipeline_options po;
	struct fetch_result fr;
	const char *path = NULL, *key;
	char anon[CORE_ANON_CLIENT_LEN + 1];
	memset(out, 0, sizeof(*out));
	enum mtag_err e = sync_begin(&w, owner_id, client_ip, 0, anon, &key, out);
	if (e)
		return e;
	/* The caller waits for the answer: a bounded wait for the host's slot, and
	 * nothing recorded when none came (the client is told to try again). */
	if (!core_host_take(c, url, SYNC_HOST_WAIT_S)) {
		core_sync_give(c, key);
		out->error = "too many downloads from this host are running; try again later";
		return ERR_RATE_LIMITED;
	}
	e = begin_work(&w, owner_id, anon, url, NULL);
	if (e) {
		if (e == ERR_RATE_LIMITED)
			out->error = arena_strdup(a, w.err);
		core_host_give(c, url);
		core_sync_give(c, key);
		return e;
	}
	pipeline_options(&w, &po);
	int64_t t0 = clock_mono_us();
	e = pipeline_download(a, url, &po.fetch, &path, &fr, w.err, sizeof(w.err));
	core_host_give(c, url);
	if (e) {
		e = finish(&w, arena_strdup(a, w.err), NULL, out);
	} else {
		e = process_path(&w, path, url, fr.filename, &po, clock_mono_us() - t0, out);
		unlink(path);
	}
	core_unhold(c, w.held);
	core_sync_give(c, key);
	return e;
}

enum mtag_err core_process_file(struct core *c, struct arena *a, const char *owner_id,
				const char *client_ip, const char *path, const char *filename,
				const struct core_process_options *o, struct core_document *out)
{
	struct work w = { .c = c, .a = a, .o = o, .held = -1 };
	struct pipeline_options po;
	const char *key;
	char anon[CORE_ANON_CLIENT_LEN + 1];
	memset(out, 0, sizeof(*out));
	enum mtag_err e = sync_begin(&w, owner_id, client_ip, file_bytes(path), anon, &key, out);
	if (e)
		return e;
	e = begin_work(&w, owner_id, anon, NULL, filename);
	if (e == ERR_RATE_LIMITED)
		out->error = arena_strdup(a, w.err);
	if (!e) {
		pipeline_options(&w, &po);
		e = process_path(&w, path, NULL, filename, &po, 0, out);
		core_unhold(c, w.held);
	}
	core_sync_give(c, key);
	return e;
}

enum mtag_err core_purge_anonymous(struct core *c, int *jobs)
{
	struct arena a = ARENA_INIT;
	const char **keys;
	size_t nkeys;
	int n = 0;
	int64_t before = clock_now_us() - (int64_t)c->cfg->anonymous_ttl_hours * 3600 * 1000000;
	enum mtag_err e = store_anonymous_purge(c->store, &a, before, 500, &keys, &nkeys, &n);
	/* Rows first, files after: no row ever points to a deleted file. */
	if (!e)
		core_delete_files(c, keys, nkeys, "anonymous job");
	if (!e && n)
		log_info("core.purge_anonymous", "jobs=%d files=%zu", n, nkeys);
	if (jobs)
		*jobs = n;
	arena_release(&a);
	return e;
}

/* ---- uploads of several files, processed in the background ---------------- */

/* Store f as d's own file (not another job's copy of the same bytes), on the list of files
 * to delete until the submission's rows point to it. */
static enum mtag_err stage_own_file(struct core *c, struct arena *a, const struct store_job *j,
				    const struct core_upload *f, struct store_document *d, char *err,
				    size_t errlen)
{
	d->blob_key = original_key(a, j, d->id, 1, pipeline_sniff_extension(f->path));
	d->blob_shared = false;
	d->blob_new = true;
	if (store_blob_delete_later(c->store, d->blob_key, clock_now_us() + STORED_UNCLAIMED_US)) {
		snprintf(err, errlen, "the database did not answer; try again later");
		d->blob_key = NULL;
		return ERR_UNAVAILABLE;
	}
	enum mtag_err e = blob_put_file(c->blob, d->blob_key, f->path, NULL, err, errlen);
	if (e == ERR_UNAVAILABLE) {
		/* The storage's own words (its address) are for the log. */
		log_warn("core.store_failed", "job=%s error=\"%s\"", core_job_log_id(j->id, j->user_id),
			 err);
		snprintf(err, errlen, "the storage did not answer; try again later");
	}
	return e;
}

/* One file of an upload: hash it, reuse or store the original. */
static enum mtag_err stage_upload(struct core *c, struct arena *a, const struct store_job *j,
				  const struct core_upload *f, struct store_document *d, char *err,
				  size_t errlen)
{
	char sha[65];
	size_t size = 0;
	struct store_document prev;
	memset(d, 0, sizeof(*d));
	uuid_v7(d->id);
	d->status = "pending";
	d->filename = f->filename;
	d->created_at = j->created_at;
	enum mtag_err e = pipeline_file_sha256(f->path, sha, &size, err, errlen);
	if (e)
		return e;
	d->content_sha256 = arena_strdup(a, sha);
	d->size_bytes = (int64_t)size;
	if (j->user_id[0] &&
	    store_document_find_by_sha(c->store, a, j->user_id, sha, &prev) == ERR_OK) {
		d->blob_key = prev.blob_key;
		d->blob_shared = true;
		return ERR_OK;
	}
	return stage_own_file(c, a, j, f, d, err, errlen);
}

enum mtag_err core_submit_upload(struct core *c, struct arena *a, const char *owner_id,
				 const char *client_ip, const struct core_upload *files, size_t n,
				 const struct core_process_options *o, char job_id[UUID_STR_LEN],
				 char *err, size_t errlen)
{
	char anon[CORE_ANON_CLIENT_LEN + 1];
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += file_bytes(files[i].path);
	core_anon_client(c, owner_id, client_ip, anon);
	enum mtag_err e = core_check_limits(c, owner_id, anon, true, n, bytes, err, errlen);
	if (e)
		return e;
	struct store_job j = { .anon_client = anon };
	struct store_document *docs = arena_calloc(a, n ? n : 1, sizeof(*docs));
	uuid_v7(j.id);
	snprintf(j.user_id, sizeof(j.user_id), "%s", owner_id);
	j.job_type = "upload";
	j.status = "pending";
	j.total_documents = (int)n;
	j.options = jsonx_dump(a, jsonx_own(a, options_json(o)));
	j.created_at = j.updated_at = clock_now_us();
	size_t staged = 0;
	for (; staged < n && !e; staged++)
		e = stage_upload(c, a, &j, &files[staged], &docs[staged], err, errlen);
	if (!e)
		e = core_submit(c, &j, docs, n, err, errlen);
	if (e == ERR_CONFLICT) {
		/* A copy reused was deleted meanwhile: those files are stored again, as this job's. */
		for (size_t i = 0; i < n && e == ERR_CONFLICT; i++)
			if (docs[i].blob_shared &&
			    stage_own_file(c, a, &j, &files[i], &docs[i], err, errlen))
				e = ERR_UNAVAILABLE;
		if (e == ERR_CONFLICT)
			e = core_submit(c, &j, docs, n, err, errlen);
	}
	if (e) {
		/* Nothing recorded: the files this job stored go too (a reused one is another's). */
		char why[256];
		for (size_t i = 0; i < staged; i++)
			if (docs[i].blob_key && !docs[i].blob_shared)
				blob_delete(c->blob, docs[i].blob_key, why, sizeof(why));
		return e;
	}
	memcpy(job_id, j.id, UUID_STR_LEN);
	core_wake_workers(c);
	return ERR_OK;
}

/* The options a job was submitted with. */
static void job_options(struct arena *a, const char *json, struct core_process_options *o)
{
	core_process_options_init(o);
	const char *detail;
	json_t *v = NULL;
	if (!json || jsonx_parse(a, json, strlen(json), &v, &detail))
		return;
	jsonx_own(a, v);
	json_t *langs = json_object_get(v, "languages"), *l;
	size_t i;
	json_array_foreach(langs, i, l) {
		if (json_is_string(l) && o->nlanguages < CORE_MAX_LANGUAGES)
			o->languages[o->nlanguages++] = arena_strdup(a, json_string_value(l));
	}
	json_t *mt = json_object_get(v, "max_tags");
	if (json_is_integer(mt) && json_integer_value(mt) >= 1 && json_integer_value(mt) <= 100)
		o->max_tags = (int)json_integer_value(mt);
}

/* A new temp file path (the file exists, closed, mode 0600), or NULL. */
static char *temp_file(struct arena *a)
{
	char *path;
	int fd = tempfile_create(a, "work", &path);
	if (fd < 0)
		return NULL;
	close(fd);
	return path;
}

/* A claimed document whose original is already stored (an upload). */
static void process_stored(struct work *w, const struct pipeline_options *po,
			   struct core_document *out)
{
	const struct store_document *d = &w->doc;
	char *path = temp_file(w->a);
	if (!path) {
		finish(w, "could not create a temporary file", NULL, out);
		return;
	}
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	enum mtag_err e = fd < 0 ? ERR_IO : blob_get_to_fd(w->c->blob, d->blob_key, fd, w->err, sizeof(w->err));
	if (fd >= 0)
		close(fd);
	if (e && storage_outage(w, e)) {
		/* taken again once storage is back */
	} else if (e) {
		log_warn("core.read_failed", "document=%s error=\"%s\"", d->id, w->err);
		finish(w, e == ERR_NOT_FOUND ? "could not read the original: it is no longer in storage"
					     : "could not read the original from storage", NULL, out);
	} else if (pipeline_run_download(w->c->pipeline, w->a, path, d->source_url, d->filename, po,
					 &w->pd, w->err, sizeof(w->err))) {
		finish(w, arena_strdup(w->a, w->err), NULL, out);
	} else {
		/* An upload of bytes the user had stored before shares that document's file. */
		const char *dup = NULL;
		store_document_sharing(w->c->store, w->a, d->blob_key, d->id, &dup);
		finish(w, NULL, dup, out);
	}
	unlink(path);
}

/* A claimed document with only a URL (a batch row): download, then as process-single. */
static enum mtag_err process_remote(struct work *w, const struct pipeline_options *po,
				    struct core_document *out)
{
	const char *path = NULL;
	struct fetch_result fr;
	int64_t t0 = clock_mono_us();
	core_host_take(w->c, w->doc.source_url, 0);
	enum mtag_err e = pipeline_download(w->a, w->doc.source_url, &po->fetch, &path, &fr, w->err,
					    sizeof(w->err));
	core_host_give(w->c, w->doc.source_url);
	if (e)
		return finish(w, arena_strdup(w->a, w->err), NULL, out);
	e = process_path(w, path, w->doc.source_url, fr.filename, po, clock_mono_us() - t0, out);
	unlink(path);
	return e;
}

void core_process_claimed(struct core *c, struct arena *a, const struct store_document *d)
{
	struct core_process_options o;
	struct core_document out;
	struct pipeline_options po;
	struct work w = { .c = c, .a = a, .o = &o, .held = -1, .queued = true };
	w.doc = *d;
	enum mtag_err e = store_job_get(c->store, a, d->job_id, NULL, &w.job);
	job_options(a, e ? NULL : w.job.options, &o);
	pipeline_options(&w, &po);
	if (d->blob_key)
		process_stored(&w, &po, &out);
	else if (d->source_url)
		process_remote(&w, &po, &out);
	else /* an upload processed at once, whose node stopped before it stored the file */
		finish(&w, "the uploaded file was lost when the server processing it stopped:"
			   " upload it again", NULL, &out);
}
