/*
 * store_documents.c - the documents of a job: create, get (owner-scoped);
 * on either driver (store_int.h, the driver contract).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include "store_int.h"

#define DOC_COLS                                                                  \
	"id, job_id, user_id, source_url, filename, title, status, tags, "         \
	"extracted_text, processing_metadata, error_message, created_at, processed_at"

/* Insert a checked document (ids canonical, JSON fields present). */
static enum mtag_err document_insert(struct store *s, const struct store_document *d)
{
	struct store_param p[] = {
		STORE_TEXT(d->id), STORE_TEXT(d->job_id), STORE_OWNER(d->user_id),
		STORE_TEXT(d->source_url), STORE_TEXT(d->filename), STORE_TEXT(d->title),
		STORE_TEXT(d->status), STORE_TEXT(d->tags), STORE_TEXT(d->extracted_text),
		STORE_TEXT(d->metadata), STORE_TEXT(d->error_message), STORE_TIME(d->created_at),
		STORE_TIME_OR_NULL(d->processed_at),
	};
	return store_write(s, "document_create",
			   "INSERT INTO documents (" DOC_COLS ") VALUES"
			   " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", p, 13, NULL);
}

enum mtag_err store_document_create(struct store *s, const struct store_document *d)
{
	struct store_document c = *d;

	if (!store_copy_uuid(c.id, d->id) || !store_copy_uuid(c.job_id, d->job_id) ||
	    !store_owner_copy(c.user_id, d->user_id) || !d->status)
		return ERR_BAD_REQUEST;
	if (!store_utf8_ok(d->source_url) || !store_utf8_ok(d->filename) ||
	    !store_utf8_ok(d->title) || !store_utf8_ok(d->tags) ||
	    !store_utf8_ok(d->extracted_text) || !store_utf8_ok(d->metadata) ||
	    !store_utf8_ok(d->error_message))
		return ERR_BAD_REQUEST;
	if (!c.tags)
		c.tags = "[]";
	if (!c.metadata)
		c.metadata = "{}";
	return document_insert(s, &c);
}

static enum mtag_err row_document(struct store_row *r, void *out)
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
			   p, 1, row_document, out);
	return store_owner_scope(e, owner ? who : NULL, out->user_id, out, sizeof(*out));
}
