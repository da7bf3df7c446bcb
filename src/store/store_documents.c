/*
 * store_documents.c - the documents of a job: create, get (owner-scoped),
 * finish (the outcome and the job's progress in one transaction), find by
 * content hash, delete one (owner-scoped), and every document of an owner
 * page by page (the export); on either driver (store_int.h, the driver
 * contract).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <string.h>

#include "store_int.h"

#define DOC_COLS                                                                  \
	"id, job_id, user_id, source_url, filename, title, status, tags, "         \
	"extracted_text, processing_metadata, error_message, created_at, "         \
	"processed_at, content_sha256, size_bytes, mime_type, language, "          \
	"page_count, blob_key, seq, attempts, lease_until, node_id"

enum mtag_err store_document_insert(struct store_conn *c, const struct store_document *d)
{
	struct store_param p[] = {
		STORE_TEXT(d->id), STORE_TEXT(d->job_id), STORE_OWNER(d->user_id),
		STORE_TEXT(d->source_url), STORE_TEXT(d->filename), STORE_TEXT(d->title),
		STORE_TEXT(d->status), STORE_TEXT(d->tags), STORE_TEXT(d->extracted_text),
		STORE_TEXT(d->metadata), STORE_TEXT(d->error_message), STORE_TIME(d->created_at),
		STORE_TIME_OR_NULL(d->processed_at), STORE_TEXT(d->content_sha256),
		STORE_INT_OR_NULL(d->size_bytes), STORE_TEXT(d->mime_type),
		STORE_TEXT(d->language), STORE_INT_OR_NULL(d->page_count), STORE_TEXT(d->blob_key),
		STORE_INT(d->seq), STORE_INT(d->attempts), STORE_TIME_OR_NULL(d->lease_until),
		STORE_TEXT(d->node_id),
	};
	return store_exec(c, "document_create",
			  "INSERT INTO documents (" DOC_COLS ") VALUES"
			  " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
			  " $16, $17, $18, $19, $20, $21, $22, $23)", p, 23, NULL);
}

static enum mtag_err document_insert_tx(struct store_conn *c, void *ctx)
{
	return store_document_insert(c, ctx);
}

/* The text fields of d are valid UTF-8 (PostgreSQL refuses anything else). */
static bool document_text_ok(const struct store_document *d)
{
	const char *fields[] = { d->source_url, d->filename, d->title, d->tags, d->extracted_text,
				 d->metadata, d->error_message, d->content_sha256, d->mime_type,
				 d->language, d->blob_key };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!utf8_valid(fields[i]))
			return false;
	return d->size_bytes >= 0 && d->page_count >= 0;
}

enum mtag_err store_document_create(struct store *s, const struct store_document *d)
{
	struct store_document c = *d;

	if (!store_copy_uuid(c.id, d->id) || !store_copy_uuid(c.job_id, d->job_id) ||
	    !store_owner_copy(c.user_id, d->user_id) || !d->status || !document_text_ok(d))
		return ERR_BAD_REQUEST;
	if (!c.tags)
		c.tags = "[]";
	if (!c.metadata)
		c.metadata = "{}";
	return store_tx(s, "document_create", STORE_TX_ONE, document_insert_tx, &c);
}

enum mtag_err store_row_document(struct store_row *r, void *out)
{
	struct store_document *d = out;

	store_col_uuid(r, 0, d->id);
	store_col_uuid(r, 1, d->job_id);
	store_col_uuid(r, 2, d->user_id);
	d->source_url = store_col_text(r, 3);
	d->filename = store_col_text(r, 4);
	d->title = store_col_text(r, 5);
	d->status = store_col_text(r, 6);
	d->tags = store_col_text(r, 7);
	d->extracted_text = store_col_text(r, 8);
	d->metadata = store_col_text(r, 9);
	d->error_message = store_col_text(r, 10);
	d->created_at = store_col_time(r, 11);
	d->processed_at = store_col_time(r, 12);
	d->content_sha256 = store_col_text(r, 13);
	d->size_bytes = store_col_int(r, 14);
	d->mime_type = store_col_text(r, 15);
	d->language = store_col_text(r, 16);
	d->page_count = (int)store_col_int(r, 17);
	d->blob_key = store_col_text(r, 18);
	d->seq = (int)store_col_int(r, 19);
	d->attempts = (int)store_col_int(r, 20);
	d->lease_until = store_col_time(r, 21);
	d->node_id = store_col_text(r, 22);
	return store_row_done(r, "documents");
}

enum mtag_err store_document_get(struct store *s, struct arena *a, const char *id,
				 const char *owner, struct store_document *out)
{
	char key[UUID_STR_LEN], who[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(key) };
	enum mtag_err e;

	if (!store_copy_uuid(key, id) || (owner && !store_owner_copy(who, owner)))
		return ERR_NOT_FOUND;
	e = store_read_one(s, a, "document_get", "SELECT " DOC_COLS " FROM documents WHERE id = $1",
			   p, 1, store_row_document, out);
	return store_owner_scope(e, owner ? who : NULL, out->user_id, out, sizeof(*out));
}

/* The document's outcome; ERR_NOT_FOUND when no row changed. */
static enum mtag_err finish_document(struct store_conn *c, const struct store_document *d)
{
	struct store_param p[] = {
		STORE_TEXT(d->id), STORE_TEXT(d->status), STORE_TEXT(d->title), STORE_TEXT(d->tags),
		STORE_TEXT(d->extracted_text), STORE_TEXT(d->metadata), STORE_TEXT(d->error_message),
		STORE_TIME(d->processed_at), STORE_TEXT(d->content_sha256),
		STORE_INT_OR_NULL(d->size_bytes), STORE_TEXT(d->mime_type), STORE_TEXT(d->language),
		STORE_INT_OR_NULL(d->page_count), STORE_TEXT(d->blob_key), STORE_TEXT(d->filename),
	};
	int changed = 0;
	enum mtag_err e = store_exec(c, "document_finish",
				     "UPDATE documents SET status = $2, title = $3, tags = $4,"
				     " extracted_text = $5, processing_metadata = $6, error_message = $7,"
				     " processed_at = $8, content_sha256 = coalesce($9, content_sha256),"
				     " size_bytes = coalesce($10, size_bytes), mime_type = $11,"
				     " language = $12, page_count = $13, blob_key = coalesce($14, blob_key),"
				     " filename = coalesce($15, filename), lease_until = NULL"
				     " WHERE id = $1 AND status NOT IN ('completed', 'failed')",
				     p, 15, &changed);
	if (e || changed)
		return e;
	/* Finished already (ERR_CONFLICT: counted once), or no such document. */
	int one = 0;
	e = store_one(c, NULL, "document_finish", "SELECT 1 FROM documents WHERE id = $1", p, 1,
		      store_row_int, &one);
	return e == ERR_OK ? ERR_CONFLICT : e;
}

enum mtag_err store_job_settle(struct store_conn *c, const char *job_id, int64_t now,
			       bool only_when_done)
{
	struct store_param p[] = { STORE_TEXT(job_id), STORE_TIME(now), STORE_INT(only_when_done) };
	return store_exec(c, "job_settle",
			  "UPDATE processing_jobs SET"
			  " status = CASE WHEN status = 'cancelled' THEN status"
			  "   WHEN processed_documents + failed_documents < total_documents THEN 'processing'"
			  "   WHEN total_documents = 0 OR failed_documents = 0 THEN 'completed'"
			  "   WHEN processed_documents = 0 THEN 'failed' ELSE 'partial' END,"
			  " completed_at = CASE WHEN processed_documents + failed_documents >= total_documents"
			  "   THEN coalesce(completed_at, $2) ELSE completed_at END"
			  " WHERE id = $1 AND ($3 = 0 OR processed_documents + failed_documents >="
			  " total_documents)",
			  p, 3, NULL);
}

/*
 * Count the document in its job and settle the job's status. Runs once per
 * document (finish_document refuses a second outcome), so the counters are
 * plain increments.
 */
static enum mtag_err settle_job(struct store_conn *c, const struct store_document *d)
{
	bool ok = strcmp(d->status, "completed") == 0;
	struct store_param p[] = { STORE_TEXT(d->job_id), STORE_TIME(d->processed_at),
				   STORE_INT(ok ? 1 : 0), STORE_INT(ok ? 0 : 1) };
	enum mtag_err e = store_exec(c, "document_finish",
			  "UPDATE processing_jobs SET processed_documents = processed_documents + $3,"
			  " failed_documents = failed_documents + $4,"
			  " started_at = coalesce(started_at, $2), updated_at = $2"
			  " WHERE id = $1",
			  p, 4, NULL);
	return e ? e : store_job_settle(c, d->job_id, d->processed_at, false);
}

#define SHARED_SQL(lock) "SELECT id FROM documents WHERE blob_key = $1 AND id <> $2 LIMIT 1" lock
static const char shared_locking[] = SHARED_SQL(" FOR SHARE");
static const char shared_plain[] = SHARED_SQL("");

static enum mtag_err row_skip(struct store_row *r, void *out)
{
	(void)out;
	return store_row_done(r, "documents");
}

enum mtag_err store_file_still_used(struct store_conn *c, const struct store_document *d)
{
	if (!d->blob_key || !d->blob_shared)
		return ERR_OK;
	struct store_param p[] = { STORE_TEXT(d->blob_key), STORE_TEXT(d->id) };
	enum mtag_err e = store_one(c, NULL, "document_file",
				    c->s->drv->dialect->row_locks ? shared_locking : shared_plain,
				    p, 2, row_skip, NULL);
	return e == ERR_NOT_FOUND ? ERR_CONFLICT : e;
}

enum mtag_err store_document_sharing(struct store *s, struct arena *a, const char *key,
				     const char *id, const char **other)
{
	char who[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(key), STORE_TEXT(who) };
	*other = NULL;
	if (!key || !store_copy_uuid(who, id))
		return ERR_NOT_FOUND;
	return store_read_one(s, a, "document_sharing",
			      "SELECT id FROM documents WHERE blob_key = $1 AND id <> $2"
			      " ORDER BY created_at LIMIT 1", p, 2, store_row_text, other);
}

enum mtag_err store_file_pointed_to(struct store_conn *c, const char *key)
{
	struct store_param p[] = { STORE_TEXT(key) };
	int listed = 0;
	enum mtag_err e = store_exec(c, "blob_deletes", "DELETE FROM blob_deletes WHERE key = $1",
				     p, 1, &listed);
	return e ? e : listed ? ERR_OK : ERR_CONFLICT;
}

static enum mtag_err finish_tx(struct store_conn *c, void *ctx)
{
	const struct store_document *d = ctx;
	enum mtag_err e = finish_document(c, d);
	if (!e)
		e = store_file_still_used(c, d);
	if (!e && d->blob_new)
		e = store_file_pointed_to(c, d->blob_key);
	return e ? e : settle_job(c, d);
}

enum mtag_err store_document_finish(struct store *s, const struct store_document *d)
{
	struct store_document c = *d;

	if (!store_copy_uuid(c.id, d->id) || !store_copy_uuid(c.job_id, d->job_id) ||
	    !d->status || !d->processed_at || !document_text_ok(d))
		return ERR_BAD_REQUEST;
	if (strcmp(d->status, "completed") != 0 && strcmp(d->status, "failed") != 0)
		return ERR_BAD_REQUEST;
	if (!c.tags)
		c.tags = "[]";
	if (!c.metadata)
		c.metadata = "{}";
	return store_tx(s, "document_finish", STORE_TX_WRITE, finish_tx, &c);
}

/*
 * What a claim may take: pending, or a lease run out with attempts left; a
 * cancelled job's documents never. On PostgreSQL other claimers skip the
 * row this one locks.
 */
#define CLAIM_SQL(lock)                                                                    \
	"UPDATE documents SET status = 'processing', attempts = attempts + 1,"            \
	" lease_until = $2, node_id = $1 WHERE id = (SELECT d.id FROM documents d"         \
	" JOIN processing_jobs j ON j.id = d.job_id WHERE j.status <> 'cancelled' AND"     \
	" (d.status = 'pending' OR (d.status = 'processing' AND d.lease_until < $3"        \
	" AND d.attempts < $4)) ORDER BY d.seq, d.created_at, d.id LIMIT 1" lock ")"       \
	" RETURNING " DOC_COLS

static const char claim_locking[] = CLAIM_SQL(" FOR UPDATE OF d SKIP LOCKED");
static const char claim_plain[] = CLAIM_SQL("");

struct claim {
	struct arena *a;
	struct store_param p[4];
	struct store_document *out;
};

/* A job whose first document is claimed is processing from then on. */
static enum mtag_err claim_tx(struct store_conn *c, void *ctx)
{
	struct claim *cl = ctx;
	const char *sql = c->s->drv->dialect->row_locks ? claim_locking : claim_plain;
	enum mtag_err e = store_one(c, cl->a, "document_claim", sql, cl->p, 4, store_row_document,
				    cl->out);
	if (e)
		return e;
	struct store_param p[2] = { STORE_TEXT(cl->out->job_id), cl->p[2] };
	return store_exec(c, "document_claim",
			  "UPDATE processing_jobs SET status = 'processing', started_at = $2,"
			  " updated_at = $2 WHERE id = $1 AND status = 'pending'",
			  p, 2, NULL);
}

enum mtag_err store_document_claim(struct store *s, struct arena *a, const char *node_id,
				   int64_t now, int64_t lease_us, int max_attempts,
				   struct store_document *out)
{
	struct claim cl = { a, { STORE_TEXT(node_id), STORE_TIME(now + lease_us), STORE_TIME(now),
				 STORE_INT(max_attempts) }, out };
	memset(out, 0, sizeof(*out));
	if (!utf8_valid(node_id) || max_attempts < 1)
		return ERR_BAD_REQUEST;
	return store_tx(s, "document_claim", STORE_TX_WRITE, claim_tx, &cl);
}

struct reap {
	int64_t now;
	int max_attempts;
	int failed;
};

static enum mtag_err row_reap(struct store_row *r, void *out)
{
	struct store_document *d = out;
	store_col_uuid(r, 0, d->id);
	store_col_uuid(r, 1, d->job_id);
	d->attempts = (int)store_col_int(r, 2);
	d->status = store_col_bool(r, 3) ? "cancelled" : NULL; /* its job's, read here */
	return store_row_done(r, "documents");
}

/*
 * Fail one batch of exhausted documents, each counted in its job; and those
 * of cancelled jobs whose node died (no claim takes a cancelled job's).
 */
static enum mtag_err reap_tx(struct store_conn *c, void *ctx)
{
	struct reap *rp = ctx;
	struct arena a = ARENA_INIT;
	struct store_param p[] = { STORE_TIME(rp->now), STORE_INT(rp->max_attempts) };
	void *rows = NULL;
	size_t n = 0;
	enum mtag_err e = store_many(c, &a, "document_reap",
				     "SELECT d.id, d.job_id, d.attempts, j.status = 'cancelled' FROM documents d"
				     " JOIN processing_jobs j ON j.id = d.job_id WHERE d.status = 'processing'"
				     " AND d.lease_until < $1 AND (d.attempts >= $2 OR j.status = 'cancelled')"
				     " LIMIT 100",
				     p, 2, row_reap, sizeof(struct store_document), 100, &rows, &n);
	struct store_document *docs = rows;
	for (size_t i = 0; !e && i < n; i++) {
		bool cancelled = docs[i].status != NULL;
		docs[i].status = "failed";
		docs[i].processed_at = rp->now;
		docs[i].tags = "[]";
		docs[i].metadata = "{}";
		docs[i].error_message = cancelled ? "cancelled" :
			arena_printf(&a, "processing was interrupted %d times (the worker stopped)",
				     docs[i].attempts);
		e = finish_document(c, &docs[i]);
		if (!e)
			e = settle_job(c, &docs[i]);
		if (!e)
			rp->failed++;
	}
	arena_release(&a);
	return e;
}

enum mtag_err store_document_reap(struct store *s, int64_t now, int max_attempts, int *failed)
{
	struct reap rp = { now, max_attempts, 0 };
	enum mtag_err e = store_tx(s, "document_reap", STORE_TX_WRITE, reap_tx, &rp);
	if (failed)
		*failed = e ? 0 : rp.failed;
	return e;
}

enum mtag_err store_document_renew(struct store *s, const char *const *ids, size_t n,
				   const char *node_id, int64_t until)
{
	for (size_t i = 0; i < n; i++) {
		char key[UUID_STR_LEN];
		if (!store_copy_uuid(key, ids[i]))
			continue;
		struct store_param p[] = { STORE_TEXT(key), STORE_TIME(until), STORE_TEXT(node_id) };
		enum mtag_err e = store_write(s, "document_renew",
					      "UPDATE documents SET lease_until = $2 WHERE id = $1"
					      " AND status = 'processing' AND node_id = $3", p, 3, NULL);
		if (e)
			return e;
	}
	return ERR_OK;
}

enum mtag_err store_document_find_by_sha(struct store *s, struct arena *a, const char *user_id,
					 const char *sha256, struct store_document *out)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TEXT(sha256) };

	if (!store_copy_uuid(uid, user_id) || !sha256 || strlen(sha256) != 64)
		return ERR_NOT_FOUND;
	return store_read_one(s, a, "document_find_by_sha",
			      "SELECT " DOC_COLS " FROM documents WHERE user_id = $1"
			      " AND content_sha256 = $2 AND status = 'completed'"
			      " AND blob_key IS NOT NULL ORDER BY created_at DESC LIMIT 1",
			      p, 2, store_row_document, out);
}

static enum mtag_err row_int64(struct store_row *r, void *out)
{
	*(int64_t *)out = store_col_int(r, 0);
	return store_row_done(r, "documents");
}

enum mtag_err store_queue_depth(struct store *s, int64_t *n)
{
	*n = 0;
	return store_read_one(s, NULL, "queue_depth",
			      "SELECT count(*) FROM documents d JOIN processing_jobs j ON j.id = d.job_id"
			      " WHERE d.status = 'pending' AND j.status <> 'cancelled'",
			      NULL, 0, row_int64, n);
}

/* ---- delete one document ---- */

struct doc_delete {
	char id[UUID_STR_LEN];
	char who[UUID_STR_LEN];
	int64_t now;
	struct arena *a;
	const char *key; /* OUT */
};

/* What the delete needs of the row: job, owner, status, blob key. */
struct doc_gone {
	char job_id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN];
	const char *status;
	const char *blob_key;
};

static enum mtag_err row_gone(struct store_row *r, void *out)
{
	struct doc_gone *g = out;
	store_col_uuid(r, 0, g->job_id);
	store_col_uuid(r, 1, g->user_id);
	g->status = store_col_text(r, 2);
	g->blob_key = store_col_text(r, 3);
	return store_row_done(r, "documents");
}

#define GONE_SQL(lock) "SELECT job_id, user_id, status, blob_key FROM documents WHERE id = $1" lock
static const char gone_locking[] = GONE_SQL(" FOR UPDATE");
static const char gone_plain[] = GONE_SQL("");

static enum mtag_err delete_tx(struct store_conn *c, void *ctx)
{
	struct doc_delete *dd = ctx;
	struct doc_gone g = { "", "", NULL, NULL };
	struct store_param p[] = { STORE_TEXT(dd->id), STORE_TEXT(NULL) };
	int shared = 0;
	enum mtag_err e = store_one(c, dd->a, "document_delete",
				    c->s->drv->dialect->row_locks ? gone_locking : gone_plain,
				    p, 1, row_gone, &g);
	if (!e && strcmp(g.user_id, dd->who) != 0)
		e = ERR_NOT_FOUND; /* another user's document is not shown */
	p[1] = STORE_TEXT(g.blob_key);
	if (!e && g.blob_key)
		e = store_one(c, NULL, "document_delete", "SELECT count(*) FROM documents"
			      " WHERE blob_key = $2 AND id <> $1", p, 2, store_row_int, &shared);
	if (!e)
		e = store_exec(c, "document_delete", "DELETE FROM documents WHERE id = $1", p, 1, NULL);
	if (e)
		return e;
	dd->key = g.blob_key && !shared ? g.blob_key : NULL;
	struct store_param pj[] = { STORE_TEXT(g.job_id), STORE_INT(!strcmp(g.status, "completed")),
				    STORE_INT(!strcmp(g.status, "failed")) };
	e = store_exec(c, "document_delete",
			  "UPDATE processing_jobs SET total_documents = CASE WHEN total_documents > 0"
			  " THEN total_documents - 1 ELSE 0 END, processed_documents = CASE WHEN $2 = 1"
			  " AND processed_documents > 0 THEN processed_documents - 1 ELSE"
			  " processed_documents END, failed_documents = CASE WHEN $3 = 1 AND"
			  " failed_documents > 0 THEN failed_documents - 1 ELSE failed_documents END"
			  " WHERE id = $1", pj, 3, NULL);
	/* The last document left unfinished may be the one deleted: the job ends now. */
	return e ? e : store_job_settle(c, g.job_id, dd->now, true);
}

enum mtag_err store_document_delete(struct store *s, struct arena *a, const char *id,
				    const char *owner, int64_t now, const char **blob_key)
{
	struct doc_delete dd = { .a = a, .now = now };

	*blob_key = NULL;
	if (!store_copy_uuid(dd.id, id) || !store_copy_uuid(dd.who, owner))
		return ERR_NOT_FOUND;
	enum mtag_err e = store_tx(s, "document_delete", STORE_TX_WRITE, delete_tx, &dd);
	if (!e)
		*blob_key = dd.key;
	return e;
}

/* ---- every document of an owner, page by page ---- */

/* Rows read per statement by store_document_each (without their texts). */
#define EACH_PAGE 500
/*
 * Texts are read apart, at most EACH_TEXT_BYTES or EACH_TEXT_ROWS of them
 * a statement: a text may be 10 MB (the extraction's cap), so a page of 500
 * could hold gigabytes. One text larger than that is read alone. Where the
 * database cannot tell a text's size without reading it (SQLite), each is
 * read alone: one in-process statement, a few microseconds.
 */
#define EACH_TEXT_BYTES ((int64_t)8 << 20)
#define EACH_TEXT_ROWS 100

/*
 * Oldest first by (created_at, id), a page of $n rows, with each text's
 * size (-1: unknown); after: past the key ($2, $3) of the previous page's
 * last row (every parameter must be used: PostgreSQL types them by their
 * use).
 */
#define EACH_SQL(size, after, n)                                                          \
	"SELECT " STORE_DOC_COLS("d.", "NULL") ", " size " FROM documents d"               \
	" WHERE d.user_id = $1" after " ORDER BY d.created_at, d.id LIMIT " n
#define EACH_AFTER " AND d.created_at >= $2 AND (d.created_at > $2 OR d.id > $3)"
/* No text yet (-1, unknown): a pending document may be finished with 10 MB before its
 * text is read, so it is read alone. */
#define EACH_SIZE "coalesce(octet_length(d.extracted_text), -1)"
static const char each_first[] = EACH_SQL("-1", "", "$2");
static const char each_next[] = EACH_SQL("-1", EACH_AFTER, "$4");
static const char each_first_sized[] = EACH_SQL(EACH_SIZE, "", "$2");
static const char each_next_sized[] = EACH_SQL(EACH_SIZE, EACH_AFTER, "$4");
/*
 * The texts of $4 rows from the key ($2, $3) on, in the same order. A row
 * that appeared in that range since the page was read (an anonymous job's
 * documents claimed, with their own times) pushes the batch's last ones
 * out: when the batch comes back full, those are read alone (text_alone).
 */
static const char each_texts[] =
	"SELECT d.id, d.extracted_text FROM documents d WHERE d.user_id = $1 AND"
	" d.created_at >= $2 AND (d.created_at > $2 OR d.id >= $3) ORDER BY d.created_at, d.id"
	" LIMIT $4";
static const char each_text_alone[] =
	"SELECT d.id, d.extracted_text FROM documents d WHERE d.id = $1 AND d.user_id = $2";

struct each_row {
	struct store_document d;
	int64_t text_bytes; /* -1: unknown */
};

static enum mtag_err row_each(struct store_row *r, void *out)
{
	struct each_row *x = out;
	x->text_bytes = store_col_int(r, STORE_DOC_NCOLS);
	return store_row_document(r, &x->d);
}

struct each_text {
	char id[UUID_STR_LEN];
	const char *text;
};

static enum mtag_err row_each_text(struct store_row *r, void *out)
{
	struct each_text *t = out;
	store_col_uuid(r, 0, t->id);
	t->text = store_col_text(r, 1);
	return store_row_done(r, "documents");
}

/* How many rows from the first make one statement's worth of texts. */
static size_t text_batch(const struct each_row *rows, size_t n)
{
	size_t k = 1;
	int64_t bytes = rows[0].text_bytes;
	while (k < n && k < EACH_TEXT_ROWS && bytes >= 0 && rows[k].text_bytes >= 0 &&
	       bytes + rows[k].text_bytes <= EACH_TEXT_BYTES)
		bytes += rows[k++].text_bytes;
	return k;
}

/* fn on d with its text read alone; ERR_OK without a call when it was deleted since. */
static enum mtag_err text_alone(struct store *s, const char *who, struct store_document *d,
				enum mtag_err (*fn)(const struct store_document *d, void *ctx),
				void *ctx)
{
	struct arena a = ARENA_INIT;
	struct each_text t;
	struct store_param p[] = { STORE_TEXT(d->id), STORE_TEXT(who) };
	enum mtag_err e = store_read_one(s, &a, "document_each_text", each_text_alone, p, 2,
					 row_each_text, &t);
	if (e == ERR_NOT_FOUND) {
		e = ERR_OK; /* deleted since its page was read */
	} else if (!e) {
		d->extracted_text = t.text;
		e = fn(d, ctx); /* fn's own errors stand */
		d->extracted_text = NULL;
	}
	arena_release(&a);
	return e;
}

/* fn on rows[0..n), their texts read first when with_text (a document deleted since is skipped). */
static enum mtag_err each_batch(struct store *s, const char *who, bool with_text,
				struct each_row *rows, size_t n,
				enum mtag_err (*fn)(const struct store_document *d, void *ctx), void *ctx)
{
	struct arena a = ARENA_INIT;
	struct each_text *texts = NULL;
	size_t nt = 0;
	enum mtag_err e = ERR_OK;
	if (with_text) {
		struct store_param p[] = { STORE_TEXT(who), STORE_TIME(rows[0].d.created_at),
					   STORE_TEXT(rows[0].d.id), STORE_INT((int64_t)n) };
		void *out = NULL;
		e = store_read_many(s, &a, "document_each_text", each_texts, p, 4, row_each_text,
				    sizeof(*texts), n, &out, &nt);
		texts = out;
	}
	for (size_t i = 0; !e && i < n; i++) {
		struct store_document *d = &rows[i].d;
		if (with_text) {
			size_t t = 0;
			while (t < nt && strcmp(texts[t].id, d->id))
				t++;
			if (t == nt) {
				if (nt == n)
					e = text_alone(s, who, d, fn, ctx);
				continue;
			}
			d->extracted_text = texts[t].text;
		}
		e = fn(d, ctx);
		d->extracted_text = NULL;
	}
	arena_release(&a);
	return e;
}

enum mtag_err store_document_each(struct store *s, const char *owner, bool with_text,
				  enum mtag_err (*fn)(const struct store_document *d, void *ctx),
				  void *ctx)
{
	char who[UUID_STR_LEN], last_id[UUID_STR_LEN] = "";
	int64_t last_at = 0;
	enum mtag_err e = ERR_OK;
	size_t n = EACH_PAGE;
	bool sized = with_text && s->drv->dialect->text_size; /* sizes only to batch texts */

	if (!store_copy_uuid(who, owner))
		return ERR_OK;
	for (bool first = true; !e && n == EACH_PAGE; first = false) {
		struct arena a = ARENA_INIT;
		struct store_param pf[] = { STORE_TEXT(who), STORE_INT(EACH_PAGE) };
		struct store_param pn[] = { STORE_TEXT(who), STORE_TIME(last_at), STORE_TEXT(last_id),
					    STORE_INT(EACH_PAGE) };
		const char *sql = first ? (sized ? each_first_sized : each_first)
					: (sized ? each_next_sized : each_next);
		void *out = NULL;
		/* The page is read, the connection given back, then fn runs (it may be slow). */
		e = store_read_many(s, &a, "document_each", sql, first ? pf : pn, first ? 2 : 4,
				    row_each, sizeof(struct each_row), EACH_PAGE, &out, &n);
		struct each_row *rows = out;
		for (size_t i = 0, k; !e && i < n; i += k) {
			k = with_text ? text_batch(rows + i, n - i) : n - i;
			e = each_batch(s, who, with_text, rows + i, k, fn, ctx);
		}
		if (!e && n) {
			last_at = rows[n - 1].d.created_at;
			memcpy(last_id, rows[n - 1].d.id, UUID_STR_LEN);
		}
		arena_release(&a);
	}
	return e;
}
