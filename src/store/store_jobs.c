/*
 * store_jobs.c - processing jobs: create, get (owner-scoped); on either
 * driver (store_int.h, the driver contract).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <string.h>

#include "store_int.h"

#define JOB_COLS                                                               \
	"id, user_id, job_type, status, total_documents, processed_documents, " \
	"failed_documents, options, error_message, created_at, started_at, "     \
	"completed_at, updated_at"

enum mtag_err store_job_insert(struct store_conn *c, const struct store_job *j)
{
	struct store_param p[] = {
		STORE_TEXT(j->id), STORE_OWNER(j->user_id), STORE_TEXT(j->job_type),
		STORE_TEXT(j->status), STORE_INT(j->total_documents),
		STORE_INT(j->processed_documents), STORE_INT(j->failed_documents),
		STORE_TEXT(j->options), STORE_TEXT(j->error_message), STORE_TIME(j->created_at),
		STORE_TIME_OR_NULL(j->started_at), STORE_TIME_OR_NULL(j->completed_at),
		STORE_TIME(j->updated_at), STORE_TEXT(j->user_id[0] ? NULL : j->anon_client),
	};
	return store_exec(c, "job_create",
			  "INSERT INTO processing_jobs (" JOB_COLS ", anon_client) VALUES"
			  " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)", p, 14, NULL);
}

/* j checked and canonical in out (ids, options present); false when it cannot be stored. */
static bool job_checked(const struct store_job *j, struct store_job *out)
{
	*out = *j;
	if (!store_copy_uuid(out->id, j->id) || !store_owner_copy(out->user_id, j->user_id) ||
	    !j->job_type || !j->status || !utf8_valid(j->options) ||
	    !utf8_valid(j->error_message))
		return false;
	if (!out->options)
		out->options = "{}";
	return true;
}

static enum mtag_err job_insert_tx(struct store_conn *c, void *ctx)
{
	return store_job_insert(c, ctx);
}

enum mtag_err store_job_create(struct store *s, const struct store_job *j)
{
	struct store_job c;

	if (!job_checked(j, &c))
		return ERR_BAD_REQUEST;
	return store_tx(s, "job_create", STORE_TX_ONE, job_insert_tx, &c);
}

static enum mtag_err row_job(struct store_row *r, void *out)
{
	struct store_job *j = out;

	store_col_uuid(r, 0, j->id);
	store_col_uuid(r, 1, j->user_id);
	j->job_type = store_col_text(r, 2);
	j->status = store_col_text(r, 3);
	j->total_documents = (int)store_col_int(r, 4);
	j->processed_documents = (int)store_col_int(r, 5);
	j->failed_documents = (int)store_col_int(r, 6);
	j->options = store_col_text(r, 7);
	j->error_message = store_col_text(r, 8);
	j->created_at = store_col_time(r, 9);
	j->started_at = store_col_time(r, 10);
	j->completed_at = store_col_time(r, 11);
	j->updated_at = store_col_time(r, 12);
	return store_row_done(r, "processing_jobs");
}

enum mtag_err store_job_get(struct store *s, struct arena *a, const char *id,
			    const char *owner, struct store_job *out)
{
	char key[UUID_STR_LEN], who[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(key) };
	enum mtag_err e;

	if (!store_copy_uuid(key, id) || (owner && !store_owner_copy(who, owner)))
		return ERR_NOT_FOUND;
	e = store_read_one(s, a, "job_get", "SELECT " JOB_COLS " FROM processing_jobs WHERE id = $1",
			   p, 1, row_job, out);
	return store_owner_scope(e, owner ? who : NULL, out->user_id, out, sizeof(*out));
}

struct purge {
	struct arena *a;
	int64_t before;
	size_t max;
	const char **keys; /* OUT */
	size_t nkeys;
	int jobs;
};

/* The oldest anonymous jobs before the limit: their blob keys, then the rows. */
static enum mtag_err purge_tx(struct store_conn *c, void *ctx)
{
	struct purge *pg = ctx;
	struct store_param p[] = { STORE_TIME(pg->before), STORE_INT(store_list_cap(pg->max)) };
	void *rows = NULL;
	int deleted = 0;
	enum mtag_err e = store_many(c, pg->a, "anonymous_purge",
				     "SELECT d.blob_key FROM documents d WHERE d.blob_key IS NOT NULL"
				     " AND d.job_id IN (SELECT id FROM processing_jobs"
				     "   WHERE user_id IS NULL AND created_at < $1"
				     "   ORDER BY created_at LIMIT $2)",
				     p, 2, store_row_text, sizeof(const char *), SIZE_MAX, &rows, &pg->nkeys);
	if (e)
		return e;
	pg->keys = rows;
	e = store_exec(c, "anonymous_purge",
		       "DELETE FROM processing_jobs WHERE id IN (SELECT id FROM processing_jobs"
		       " WHERE user_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2)",
		       p, 2, &deleted);
	pg->jobs = deleted;
	return e;
}

enum mtag_err store_anonymous_purge(struct store *s, struct arena *a, int64_t before_us,
				    size_t max, const char ***keys, size_t *nkeys, int *jobs)
{
	struct purge pg = { a, before_us, max, NULL, 0, 0 };

	*keys = NULL;
	*nkeys = 0;
	*jobs = 0;
	if (!max)
		return ERR_OK;
	enum mtag_err e = store_tx(s, "anonymous_purge", STORE_TX_WRITE, purge_tx, &pg);
	if (!e) {
		*keys = pg.keys;
		*nkeys = pg.nkeys;
		*jobs = pg.jobs;
	}
	return e;
}

/* A user's jobs not ended ($1), and documents waiting. */
#define USER_LOAD                                                                         \
	"SELECT (SELECT count(*) FROM processing_jobs WHERE user_id = $1"                 \
	" AND status IN ('pending', 'processing')),"                                      \
	" (SELECT count(*) FROM documents WHERE user_id = $1 AND status = 'pending')"
/* One anonymous client's ($1) jobs not ended, and their documents waiting. */
#define CLIENT_LOAD                                                                       \
	"SELECT count(*), coalesce(sum((SELECT count(*) FROM documents d"                 \
	" WHERE d.job_id = j.id AND d.status = 'pending')), 0)"                           \
	" FROM processing_jobs j WHERE j.anon_client = $1"                                \
	" AND j.status IN ('pending', 'processing')"
/* All anonymous work's. */
#define ANONYMOUS_LOAD                                                                    \
	"SELECT (SELECT count(*) FROM processing_jobs WHERE user_id IS NULL"              \
	" AND status IN ('pending', 'processing')),"                                      \
	" (SELECT count(*) FROM documents WHERE user_id IS NULL AND status = 'pending')"

static enum mtag_err row_two_ints(struct store_row *r, void *out)
{
	int *v = out;
	v[0] = (int)store_col_int(r, 0);
	v[1] = (int)store_col_int(r, 1);
	return store_row_done(r, "processing_jobs");
}

/*
 * Whether a load (USER_LOAD, CLIENT_LOAD, ANONYMOUS_LOAD of key) leaves room for one
 * job more and pending documents more; ERR_RATE_LIMITED when not. On PostgreSQL
 * the transaction first takes a lock of its own for key, so that submissions at
 * once count each other (SQLite writes one transaction at a time).
 */
static enum mtag_err load_room(struct store_conn *c, const char *sql, const char *key,
			       size_t pending, int max_running, size_t max_pending)
{
	struct store_param p[] = { STORE_TEXT(key) };
	int v[2] = { 0, 0 };
	enum mtag_err e = ERR_OK;
	if (c->s->drv->dialect->row_locks)
		e = store_exec(c, "job_submit", "SELECT pg_advisory_xact_lock(hashtextextended("
			       "'mtag submit ' || coalesce($1, '*'), 0))", p, 1, NULL);
	if (!e)
		e = store_one(c, NULL, "job_submit", sql, p, key ? 1 : 0, row_two_ints, v);
	if (!e && (v[0] + 1 > max_running || (size_t)v[1] + pending > max_pending))
		e = ERR_RATE_LIMITED;
	return e;
}

/* The submission's limits (store_submit_limits), in its transaction. */
static enum mtag_err within_limits(struct store_conn *c, const struct store_job *j,
				   const struct store_document *docs, size_t n,
				   const struct store_submit_limits *lim)
{
	size_t pending = 0;
	for (size_t i = 0; i < n; i++)
		pending += !strcmp(docs[i].status, "pending");
	if (j->user_id[0])
		return load_room(c, USER_LOAD, j->user_id, pending, lim->running, lim->pending);
	enum mtag_err e = load_room(c, CLIENT_LOAD, j->anon_client ? j->anon_client : "", pending,
				    lim->running, lim->pending);
	if (!e && lim->running_all)
		e = load_room(c, ANONYMOUS_LOAD, NULL, pending, lim->running_all, lim->pending_all);
	return e;
}

struct submit {
	const struct store_job *job;
	const struct store_document *docs;
	size_t n;
	const struct store_submit_limits *lim; /* NULL: none */
};

static enum mtag_err submit_tx(struct store_conn *c, void *ctx)
{
	const struct submit *sb = ctx;
	const struct store_job *j = sb->job;
	enum mtag_err e = sb->lim ? within_limits(c, j, sb->docs, sb->n, sb->lim) : ERR_OK;
	if (!e)
		e = store_job_insert(c, j);
	for (size_t i = 0; !e && i < sb->n; i++)
		e = store_file_still_used(c, &sb->docs[i]);
	for (size_t i = 0; !e && i < sb->n; i++) {
		const struct store_document *d = &sb->docs[i];
		struct store_param pd[] = {
			STORE_TEXT(d->id), STORE_TEXT(j->id), STORE_OWNER(j->user_id),
			STORE_TEXT(d->source_url), STORE_TEXT(d->filename), STORE_TEXT(d->status),
			STORE_TIME(d->created_at), STORE_TEXT(d->error_message),
			STORE_TEXT(d->blob_key), STORE_TEXT(d->content_sha256),
			STORE_INT_OR_NULL(d->size_bytes), STORE_INT(d->seq),
			STORE_TIME_OR_NULL(strcmp(d->status, "failed") ? 0 : d->created_at),
			STORE_INT(d->attempts), STORE_TIME_OR_NULL(d->lease_until), STORE_TEXT(d->node_id),
		};
		e = store_exec(c, "job_submit",
			       "INSERT INTO documents (id, job_id, user_id, source_url, filename, status,"
			       " created_at, error_message, blob_key, content_sha256, size_bytes, seq,"
			       " processed_at, attempts, lease_until, node_id) VALUES ($1, $2, $3, $4, $5,"
			       " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
			       pd, 16, NULL);
		if (!e && d->blob_new)
			e = store_file_pointed_to(c, d->blob_key);
	}
	if (e)
		return e;
	/* Documents refused at submission (an invalid URL) count as failed at once. */
	struct store_param ps[] = { STORE_TEXT(j->id), STORE_TIME(j->created_at) };
	e = store_exec(c, "job_submit",
		       "UPDATE processing_jobs SET failed_documents = (SELECT count(*) FROM documents"
		       " WHERE job_id = $1 AND status = 'failed') WHERE id = $1", ps, 1, NULL);
	if (!e)
		e = store_exec(c, "job_submit",
			       "UPDATE processing_jobs SET status = 'failed', completed_at = $2"
			       " WHERE id = $1 AND total_documents > 0"
			       " AND failed_documents >= total_documents", ps, 2, NULL);
	return e;
}

enum mtag_err store_job_submit(struct store *s, const struct store_job *j,
			       const struct store_document *docs, size_t n,
			       const struct store_submit_limits *lim)
{
	struct store_job c;

	if (!job_checked(j, &c))
		return ERR_BAD_REQUEST;
	for (size_t i = 0; i < n; i++)
		if (!uuid_valid(docs[i].id) || !docs[i].status || !utf8_valid(docs[i].source_url) ||
		    !utf8_valid(docs[i].filename) || !utf8_valid(docs[i].error_message) ||
		    !utf8_valid(docs[i].blob_key) || !utf8_valid(docs[i].content_sha256) ||
		    !utf8_valid(docs[i].node_id) || docs[i].size_bytes < 0 || docs[i].attempts < 0)
			return ERR_BAD_REQUEST;
	struct submit sb = { &c, docs, n, lim };
	return store_tx(s, "job_submit", STORE_TX_WRITE, submit_tx, &sb);
}

static enum mtag_err job_owned(struct store_conn *c, struct arena *a, const char *id,
			       const char *owner, struct store_job *j)
{
	struct store_param p[] = { STORE_TEXT(id) };
	enum mtag_err e = store_one(c, a, "job_get", "SELECT " JOB_COLS " FROM processing_jobs WHERE id = $1",
				    p, 1, row_job, j);
	return store_owner_scope(e, owner, j->user_id, j, sizeof(*j));
}

struct job_page {
	struct arena *a;
	const char *id, *owner;
	size_t limit, offset;
	struct store_job *job;          /* OUT */
	struct store_document **docs;   /* OUT */
	size_t *n;                      /* OUT */
};

static enum mtag_err page_tx(struct store_conn *c, void *ctx)
{
	struct job_page *jp = ctx;
	struct store_param p[] = { STORE_TEXT(jp->id), STORE_INT(store_list_cap(jp->limit)),
				   STORE_INT(store_list_cap(jp->offset)) };
	void *rows = NULL;
	enum mtag_err e = job_owned(c, jp->a, jp->id, jp->owner, jp->job);
	if (!e)
		e = store_many(c, jp->a, "job_page",
			       "SELECT " STORE_DOC_COLS("", "NULL") " FROM documents WHERE job_id = $1"
			       " ORDER BY seq, created_at, id LIMIT $2 OFFSET $3",
			       p, 3, store_row_document, sizeof(**jp->docs), store_list_cap(jp->limit),
			       &rows, jp->n);
	*jp->docs = rows;
	return e;
}

enum mtag_err store_job_page(struct store *s, struct arena *a, const char *id, const char *owner,
			     size_t limit, size_t offset, struct store_job *job,
			     struct store_document **docs, size_t *n)
{
	char key[UUID_STR_LEN], who[UUID_STR_LEN];
	struct job_page jp = { a, key, owner ? who : NULL, limit, offset, job, docs, n };

	memset(job, 0, sizeof(*job));
	*docs = NULL;
	*n = 0;
	if (!store_copy_uuid(key, id) || (owner && !store_owner_copy(who, owner)))
		return ERR_NOT_FOUND;
	return store_tx(s, "job_page", STORE_TX_SNAPSHOT, page_tx, &jp);
}

struct job_op {
	char id[UUID_STR_LEN];
	const char *owner;     /* canonical, or NULL for any */
	char who[UUID_STR_LEN];
	int64_t now;
	int count;             /* OUT */
};

static enum mtag_err cancel_tx(struct store_conn *c, void *ctx)
{
	struct job_op *op = ctx;
	struct arena a = ARENA_INIT;
	struct store_job j;
	enum mtag_err e = job_owned(c, &a, op->id, op->owner, &j);
	if (!e && strcmp(j.status, "pending") != 0 && strcmp(j.status, "processing") != 0)
		e = ERR_CONFLICT;
	arena_release(&a);
	struct store_param p[] = { STORE_TEXT(op->id), STORE_TIME(op->now) };
	if (!e)
		e = store_exec(c, "job_cancel",
			       "UPDATE documents SET status = 'failed', error_message = 'cancelled',"
			       " processed_at = $2 WHERE job_id = $1 AND status = 'pending'",
			       p, 2, &op->count);
	if (!e)
		e = store_exec(c, "job_cancel",
			       "UPDATE processing_jobs SET status = 'cancelled', updated_at = $2,"
			       " completed_at = $2, failed_documents = (SELECT count(*) FROM documents"
			       " WHERE job_id = $1 AND status = 'failed') WHERE id = $1",
			       p, 2, NULL);
	return e;
}

static enum mtag_err retry_tx(struct store_conn *c, void *ctx)
{
	struct job_op *op = ctx;
	struct arena a = ARENA_INIT;
	struct store_job j;
	enum mtag_err e = job_owned(c, &a, op->id, op->owner, &j);
	if (!e && !strcmp(j.status, "cancelled"))
		e = ERR_CONFLICT;
	arena_release(&a);
	struct store_param p[] = { STORE_TEXT(op->id), STORE_TIME(op->now) };
	if (!e)
		e = store_exec(c, "job_retry",
			       "UPDATE documents SET status = 'pending', error_message = NULL,"
			       " processed_at = NULL, attempts = 0, lease_until = NULL"
			       " WHERE job_id = $1 AND status = 'failed' AND attempts > 0"
			       " AND (source_url IS NOT NULL OR blob_key IS NOT NULL)",
			       p, 1, &op->count);
	if (!e && op->count)
		e = store_exec(c, "job_retry",
			       "UPDATE processing_jobs SET status = 'processing', completed_at = NULL,"
			       " updated_at = $2, failed_documents = (SELECT count(*) FROM documents"
			       " WHERE job_id = $1 AND status = 'failed') WHERE id = $1",
			       p, 2, NULL);
	return e;
}

/* Run a job operation in a write transaction. */
static enum mtag_err job_op(struct store *s, const char *op_name, store_conn_fn fn,
			    const char *id, const char *owner, int64_t now, int *count)
{
	struct job_op op = { .owner = NULL, .now = now };
	if (!store_copy_uuid(op.id, id) || (owner && !store_owner_copy(op.who, owner)))
		return ERR_NOT_FOUND;
	if (owner)
		op.owner = op.who;
	enum mtag_err e = store_tx(s, op_name, STORE_TX_WRITE, fn, &op);
	if (count)
		*count = e ? 0 : op.count;
	return e;
}

enum mtag_err store_job_cancel(struct store *s, const char *id, const char *owner, int64_t now,
			       int *cancelled)
{
	return job_op(s, "job_cancel", cancel_tx, id, owner, now, cancelled);
}

enum mtag_err store_job_retry(struct store *s, const char *id, const char *owner, int64_t now,
			      int *retried)
{
	return job_op(s, "job_retry", retry_tx, id, owner, now, retried);
}

struct job_claim {
	char id[UUID_STR_LEN];
	char owner[UUID_STR_LEN];
	int64_t now, not_before;
	int count; /* OUT */
};

/*
 * Documents first, then the job: the order in which a finishing worker locks
 * them (its document, then the job), so the two cannot deadlock.
 */
static enum mtag_err claim_tx(struct store_conn *c, void *ctx)
{
	struct job_claim *cl = ctx;
	int jobs = 0;
	struct store_param p[] = { STORE_TEXT(cl->id), STORE_TEXT(cl->owner),
				   STORE_TIME(cl->not_before), STORE_TIME(cl->now) };
	enum mtag_err e = store_exec(c, "job_claim",
				     "UPDATE documents SET user_id = $2 WHERE job_id = $1 AND user_id IS NULL"
				     " AND EXISTS (SELECT 1 FROM processing_jobs WHERE id = $1 AND"
				     " user_id IS NULL AND created_at >= $3)", p, 3, &cl->count);
	if (!e)
		e = store_exec(c, "job_claim",
			       "UPDATE processing_jobs SET user_id = $2, anon_client = NULL, updated_at = $4"
			       " WHERE id = $1 AND user_id IS NULL AND created_at >= $3", p, 4, &jobs);
	return !e && jobs == 0 ? ERR_NOT_FOUND : e;
}

enum mtag_err store_job_claim(struct store *s, const char *id, const char *owner, int64_t now,
			      int64_t not_before, int *documents)
{
	struct job_claim cl = { .now = now, .not_before = not_before };
	if (documents)
		*documents = 0;
	if (!store_copy_uuid(cl.id, id) || !owner || !store_copy_uuid(cl.owner, owner))
		return ERR_NOT_FOUND;
	enum mtag_err e = store_tx(s, "job_claim", STORE_TX_WRITE, claim_tx, &cl);
	if (!e && documents)
		*documents = cl.count;
	return e;
}


static enum mtag_err row_int64(struct store_row *r, void *out)
{
	*(int64_t *)out = store_col_int(r, 0);
	return store_row_done(r, "documents");
}

/* ---- stored files to delete again ---- */

enum mtag_err store_blob_delete_later(struct store *s, const char *key, int64_t due)
{
	struct store_param p[] = { STORE_TEXT(key), STORE_TIME(due) };
	if (!key || !*key || !utf8_valid(key))
		return ERR_BAD_REQUEST;
	return store_write(s, "blob_delete_later", "INSERT INTO blob_deletes (key, due_at)"
			   " VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at",
			   p, 2, NULL);
}

enum mtag_err store_blob_deletes_due(struct store *s, struct arena *a, int64_t now, size_t max,
				     const char ***keys, size_t *n)
{
	struct store_param p[] = { STORE_INT(store_list_cap(max)), STORE_TIME(now) };
	void *rows = NULL;
	*keys = NULL;
	*n = 0;
	/* A key a document points to is never deleted, only left out (its outcome
	 * written, the finish takes it off the list). */
	enum mtag_err e = store_read_many(s, a, "blob_deletes_due",
					  "SELECT b.key FROM blob_deletes b WHERE b.due_at <= $2 AND"
					  " NOT EXISTS (SELECT 1 FROM documents d WHERE d.blob_key = b.key)"
					  " ORDER BY b.due_at, b.key LIMIT $1",
					  p, 2, store_row_text, sizeof(const char *), store_list_cap(max),
					  &rows, n);
	*keys = rows;
	return e;
}

enum mtag_err store_blob_delete_take(struct store *s, const char *key, int64_t now, int *taken)
{
	struct store_param p[] = { STORE_TEXT(key), STORE_TIME(now) };
	*taken = 0;
	return store_write(s, "blob_delete_take",
			   "DELETE FROM blob_deletes WHERE key = $1 AND due_at <= $2 AND NOT EXISTS"
			   " (SELECT 1 FROM documents d WHERE d.blob_key = $1)", p, 2, taken);
}

enum mtag_err store_anon_bytes(struct store *s, const char *anon_client, int64_t *bytes)
{
	*bytes = 0;
	if (anon_client) {
		struct store_param p[] = { STORE_TEXT(anon_client) };
		return store_read_one(s, NULL, "anon_bytes",
				      "SELECT coalesce(sum(size_bytes), 0) FROM documents WHERE user_id IS NULL"
				      " AND job_id IN (SELECT id FROM processing_jobs WHERE anon_client = $1)",
				      p, 1, row_int64, bytes);
	}
	return store_read_one(s, NULL, "anon_bytes",
			      "SELECT coalesce(sum(size_bytes), 0) FROM documents WHERE user_id IS NULL",
			      NULL, 0, row_int64, bytes);
}

enum mtag_err store_user_load(struct store *s, const char *user_id, const char *anon_client,
			      int *running_jobs, int *pending_documents)
{
	char uid[UUID_STR_LEN];
	int v[2] = { 0, 0 };
	enum mtag_err e;
	if (!store_owner_copy(uid, user_id))
		return ERR_NOT_FOUND;
	if (uid[0]) {
		struct store_param p[] = { STORE_TEXT(uid) };
		e = store_read_one(s, NULL, "user_load", USER_LOAD, p, 1, row_two_ints, v);
	} else if (anon_client) {
		struct store_param p[] = { STORE_TEXT(anon_client) };
		e = store_read_one(s, NULL, "user_load", CLIENT_LOAD, p, 1, row_two_ints, v);
	} else {
		e = store_read_one(s, NULL, "user_load", ANONYMOUS_LOAD, NULL, 0, row_two_ints, v);
	}
	*running_jobs = v[0];
	*pending_documents = v[1];
	return e;
}

struct job_delete {
	struct job_op op;
	struct arena *a;
	const char **keys; /* OUT */
	size_t nkeys;
};

static enum mtag_err delete_tx(struct store_conn *c, void *ctx)
{
	struct job_delete *jd = ctx;
	struct store_job j;
	enum mtag_err e = job_owned(c, jd->a, jd->op.id, jd->op.owner, &j);
	struct store_param p[] = { STORE_TEXT(jd->op.id) };
	void *rows = NULL;
	if (e)
		return e;
	/* On PostgreSQL its documents are locked first: a document of another job that
	 * reuses one of their files holds that row until it commits (store_file_still_used),
	 * and the keys read next then count it. */
	if (c->s->drv->dialect->row_locks)
		e = store_exec(c, "job_delete", "SELECT id FROM documents WHERE job_id = $1 FOR UPDATE",
			       p, 1, NULL);
	/* Keys shared with another job's document (the same user's same bytes) stay. */
	if (!e)
		e = store_many(c, jd->a, "job_delete",
			       "SELECT DISTINCT d.blob_key FROM documents d WHERE d.job_id = $1"
			       " AND d.blob_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM documents o"
			       " WHERE o.blob_key = d.blob_key AND o.job_id <> $1)",
			       p, 1, store_row_text, sizeof(const char *), SIZE_MAX, &rows, &jd->nkeys);
	jd->keys = rows;
	/* The documents first, then the job: the order in which a finishing worker locks
	 * them (its document, then the job); the cascade would take the job first. */
	if (!e)
		e = store_exec(c, "job_delete", "DELETE FROM documents WHERE job_id = $1", p, 1, NULL);
	if (!e)
		e = store_exec(c, "job_delete", "DELETE FROM processing_jobs WHERE id = $1", p, 1, NULL);
	return e;
}

enum mtag_err store_job_delete(struct store *s, struct arena *a, const char *id,
			       const char *owner, int64_t now, const char ***keys, size_t *nkeys)
{
	struct job_delete jd = { .op = { .owner = NULL, .now = now }, .a = a };
	*keys = NULL;
	*nkeys = 0;
	if (!store_copy_uuid(jd.op.id, id) || (owner && !store_owner_copy(jd.op.who, owner)))
		return ERR_NOT_FOUND;
	if (owner)
		jd.op.owner = jd.op.who;
	/* A running job is cancelled first: its pending documents are never started. */
	enum mtag_err e = store_tx(s, "job_delete", STORE_TX_WRITE, cancel_tx, &jd.op);
	if (e && e != ERR_CONFLICT)
		return e;
	e = store_tx(s, "job_delete", STORE_TX_WRITE, delete_tx, &jd);
	if (!e) {
		*keys = jd.keys;
		*nkeys = jd.nkeys;
	}
	return e;
}

/* The job list's filters: $1 owner, $2 status, $3 job_type. */
#define JOB_FILTER                                                                 \
	" WHERE user_id = $1 AND (status = $2 OR $2 IS NULL) AND (job_type = $3"   \
	" OR $3 IS NULL)"
/*
 * The total without a job type: the owner's jobs of status $2 (or all) from
 * the counts the writes keep (migration 0010), not from counting the rows.
 * (A parameter's first use types it on PostgreSQL: $2 is compared first.)
 */
#define JOB_STATUS_COUNT(st) " WHEN $2 = '" st "' THEN jobs_" st
static const char job_total_by_status[] =
	"SELECT coalesce((SELECT CASE" JOB_STATUS_COUNT("pending") JOB_STATUS_COUNT("processing")
	JOB_STATUS_COUNT("completed") JOB_STATUS_COUNT("partial") JOB_STATUS_COUNT("failed")
	JOB_STATUS_COUNT("cancelled") " WHEN $2 IS NULL THEN jobs_pending + jobs_processing"
	" + jobs_completed + jobs_partial + jobs_failed + jobs_cancelled"
	" ELSE 0 END FROM user_stats WHERE user_id = $1), 0)";

enum mtag_err store_job_list(struct store *s, struct arena *a, const char *owner,
			     const struct store_job_filter *f, size_t limit, size_t offset,
			     struct store_job **out, size_t *n, size_t *total)
{
	static const struct store_job_filter none;
	char who[UUID_STR_LEN];
	void *rows = NULL;

	*out = NULL;
	*n = 0;
	if (total)
		*total = 0;
	if (!f)
		f = &none;
	/* Anything but a user id lists nothing, never everybody's jobs. */
	if (!store_copy_uuid(who, owner) || !utf8_valid(f->status) || !utf8_valid(f->job_type))
		return ERR_OK;
	struct store_param p[] = { STORE_TEXT(who), STORE_TEXT(f->status), STORE_TEXT(f->job_type),
				   STORE_INT(store_list_cap(limit)), STORE_INT(store_list_cap(offset)) };
	enum mtag_err e = store_list_page(s, a, f->oldest_first ? "job_list_oldest" : "job_list",
					  f->oldest_first
						  ? "SELECT " JOB_COLS " FROM processing_jobs" JOB_FILTER
						    " ORDER BY created_at, id LIMIT $4 OFFSET $5"
						  : "SELECT " JOB_COLS " FROM processing_jobs" JOB_FILTER
						    " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
					  5,
					  f->job_type ? "SELECT count(*) FROM processing_jobs" JOB_FILTER
						      : job_total_by_status,
					  f->job_type ? 3 : 2, p, row_job, sizeof(**out),
					  store_list_cap(limit), &rows, n, total);
	*out = rows;
	return e;
}
