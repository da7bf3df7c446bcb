/*
 * store_sqlite.c - the SQLite driver (sqlite://PATH), the embedded default.
 *
 * Connections and threads: the store holds a pool (store_pool.c) of up to
 * pool_size connections to the one file. A connection is used by one thread
 * at a time - the pool guarantees it - so each is opened with
 * SQLITE_OPEN_NOMUTEX (multi-thread mode: no per-call mutex inside SQLite).
 * Sharing one connection between threads would serialise every call on its
 * mutex; several connections in WAL mode give concurrent readers next to the
 * one writer SQLite allows. Writes start with BEGIN IMMEDIATE, which takes
 * the write lock up front: a deferred transaction that reads and then wants
 * to write can be refused SQLITE_BUSY at once (its snapshot is stale, the
 * busy handler is not called), while BEGIN IMMEDIATE simply waits up to
 * busy_timeout (5 s) and then gives ERR_UNAVAILABLE.
 *
 * Values: ids as TEXT, times as TEXT "YYYY-MM-DDTHH:MM:SS.ffffffZ" (base/
 * clock.h), JSON as TEXT checked by the schema, booleans as 0/1.
 *
 * Ownership: struct sqd_store owns its pool and path; results are copied into
 * the caller's arena before the statement is finalised.
 *
 * Sessions, refresh tokens and the audit log are in store_sqlite_auth.c, on
 * the helpers this file shares through store_sqlite_int.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_sqlite_int.h"
#include "base/xalloc.h"

#define SQD_BUSY_TIMEOUT_MS 5000
#define SQD_PREFIX "sqlite://"

enum mtag_err sqd_err(sqlite3 *db, int rc, const char *op)
{
	char msg[256];

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return ERR_CONFLICT;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return ERR_NOT_FOUND;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
		return ERR_BAD_REQUEST;
	}
	log_quote(msg, sizeof(msg), db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
		log_warn("store.sqlite.unavailable", "op=%s code=%d msg=%s", op, rc, msg);
		return ERR_UNAVAILABLE;
	}
	log_error("store.sqlite.error", "op=%s code=%d msg=%s", op, rc, msg);
	return ERR_INTERNAL;
}

enum mtag_err sqd_exec(sqlite3 *db, const char *op, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? ERR_OK : sqd_err(db, rc, op);
}

/* Switch to WAL (a no-op when already so) and say if the file refused. */
static void sqd_use_wal(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		char qp[256];
		log_warn("store.sqlite.no_wal", "path=%s mode=%s", log_quote(qp, sizeof(qp), path),
			 mode ? mode : "unknown");
	}
	sqlite3_finalize(st);
}

static enum mtag_err sqd_conn_open(void *ctx, void **conn)
{
	struct sqd_store *st = ctx;
	sqlite3 *db = NULL;
	enum mtag_err e = ERR_OK;
	int rc;

	rc = sqlite3_open_v2(st->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		char qp[256], qm[256];
		log_warn("store.sqlite.open_failed", "path=%s msg=%s",
			 log_quote(qp, sizeof(qp), st->path),
			 log_quote(qm, sizeof(qm), db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
		e = ERR_UNAVAILABLE;
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	/* The busy handler first: switching to WAL may wait for another connection. */
	sqlite3_busy_timeout(db, SQD_BUSY_TIMEOUT_MS);
	sqd_use_wal(db, st->path);
	/* synchronous=NORMAL is durable in WAL mode against a killed process;
	 * only a power cut may lose the last transactions, never corrupt. */
	e = sqd_exec(db, "connect", "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
out:
	if (e) {
		sqlite3_close_v2(db);
		db = NULL;
	}
	*conn = db;
	return e;
}

static void sqd_conn_close(void *ctx, void *conn)
{
	sqlite3_stmt *st;
	(void)ctx;
	/* The cached statements first: close_v2 would keep the connection alive for them. */
	while ((st = sqlite3_next_stmt(conn, NULL)) != NULL)
		sqlite3_finalize(st);
	sqlite3_close_v2(conn);
}

static const struct store_pool_conn_ops sqd_conn_ops = {
	sqd_conn_open, sqd_conn_close, NULL
};

/* Create every missing directory above the file at path (mode 0700: the data dir holds secrets). */
static enum mtag_err sqd_mkdirs(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);
	enum mtag_err e = ERR_OK;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
			e = ERR_UNAVAILABLE;
			goto out;
		}
		*p = '/';
	}
out:
	free(dir);
	return e;
}

/* Before anything else of SQLite: no global memory statistics, whose mutex
 * every allocation of every connection would take. */
static void sqd_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static enum mtag_err sqd_open(const char *url, int pool_size, struct store **out,
			      char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqd_configure);
	const char *path = url + strlen(SQD_PREFIX);
	struct sqd_store *st = NULL;
	enum mtag_err e;

	if (!path[0] || !strcmp(path, ":memory:")) {
		snprintf(err, errlen, "sqlite:// needs a file path, e.g. sqlite://./mtag-data/mtag.db");
		return ERR_VALIDATION;
	}
	e = sqd_mkdirs(path, err, errlen);
	if (e)
		return e;
	st = xcalloc(1, sizeof(*st));
	st->base.ops = &store_sqlite_ops;
	st->path = xstrdup(path);
	store_pool_init(&st->pool, pool_size, STORE_POOL_TIMEOUT_US, &sqd_conn_ops, st);
	*out = &st->base;
	return ERR_OK;
}

static void sqd_close(struct store *s)
{
	struct sqd_store *st = (struct sqd_store *)s;

	if (!st)
		return;
	store_pool_release(&st->pool);
	free(st->path);
	free(st);
}

/*
 * The connection's idle prepared statement for sql, or NULL. SQLite keeps
 * the list of a connection's statements; reusing one saves parsing and
 * planning on every call (the session check runs on every request).
 */
static sqlite3_stmt *sqd_cached(sqlite3 *db, const char *sql)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
		if (!sqlite3_stmt_busy(st) && strcmp(sqlite3_sql(st), sql) == 0)
			return st;
	return NULL;
}

/* Give a statement of sqd_prepare back to the connection's cache. */
static void sqd_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Prepare sql (or take it from the cache) and bind params ($1.. as ?1..). OUT: *out, for sqd_done. */
static enum mtag_err sqd_prepare(sqlite3 *db, const char *op, const char *sql,
				 const struct store_param *p, int n, sqlite3_stmt **out)
{
	sqlite3_stmt *st = sqd_cached(db, sql);
	int rc = st ? SQLITE_OK : sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);

	for (int i = 0; rc == SQLITE_OK && i < n; i++) {
		char ts[CLOCK_ISO_LEN];
		switch (p[i].kind) {
		case STORE_P_TEXT:
			rc = p[i].text ? sqlite3_bind_text(st, i + 1, p[i].text, -1, SQLITE_STATIC)
				       : sqlite3_bind_null(st, i + 1);
			break;
		case STORE_P_INT:
		case STORE_P_BOOL:
			rc = sqlite3_bind_int64(st, i + 1, p[i].num);
			break;
		case STORE_P_TIME_OR_NULL:
			if (!p[i].num) {
				rc = sqlite3_bind_null(st, i + 1);
				break;
			}
			/* fall through */
		case STORE_P_TIME:
			clock_format_iso(p[i].num, ts);
			rc = sqlite3_bind_text(st, i + 1, ts, -1, SQLITE_TRANSIENT);
			break;
		}
	}
	*out = st;
	return rc == SQLITE_OK ? ERR_OK : sqd_err(db, rc, op);
}

enum mtag_err sqd_run(sqlite3 *db, const char *op, const char *sql,
		      const struct store_param *p, int n, bool *row)
{
	sqlite3_stmt *st = NULL;
	enum mtag_err e = sqd_prepare(db, op, sql, p, n, &st);
	int rc = SQLITE_DONE;

	if (!e && (rc = sqlite3_step(st)) != SQLITE_DONE && rc != SQLITE_ROW)
		e = sqd_err(db, rc, op);
	if (row)
		*row = !e && rc == SQLITE_ROW;
	sqd_done(st);
	return e;
}

/* Roll back what is left of a transaction (after an error, or a failed COMMIT). */
static void sqd_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

enum mtag_err sqd_run_count(sqlite3 *db, const char *op, const char *sql,
			    const struct store_param *p, int n, int *changes)
{
	enum mtag_err e = sqd_run(db, op, sql, p, n, NULL);

	*changes = e ? 0 : sqlite3_changes(db);
	return e;
}

enum mtag_err sqd_tx(struct sqd_store *s, const char *op, bool write, sqd_tx_fn fn, void *ctx)
{
	struct store_pool_slot *slot = NULL;
	enum mtag_err e;

	e = store_pool_acquire(&s->pool, &slot);
	if (e)
		goto out;
	e = sqd_exec(slot->conn, op, write ? "BEGIN IMMEDIATE" : "BEGIN");
	if (!e)
		e = fn(slot->conn, ctx);
	if (!e)
		e = sqd_exec(slot->conn, op, "COMMIT");
	sqd_rollback(slot->conn);
out:
	store_pool_return(&s->pool, slot, false);
	return e;
}

/* One statement for sqd_write_count, run by sqd_tx. */
struct sqd_stmt {
	const char *op;
	const char *sql;
	const struct store_param *p;
	int n;
	int changes; /* OUT */
};

static enum mtag_err sqd_stmt_fn(sqlite3 *db, void *ctx)
{
	struct sqd_stmt *q = ctx;
	return sqd_run_count(db, q->op, q->sql, q->p, q->n, &q->changes);
}

enum mtag_err sqd_write_count(struct sqd_store *s, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes)
{
	struct sqd_stmt q = { op, sql, p, n, 0 };
	enum mtag_err e = sqd_tx(s, op, true, sqd_stmt_fn, &q);

	if (changes)
		*changes = e ? 0 : q.changes;
	return e;
}

/* Run one write statement in its own BEGIN IMMEDIATE transaction. */
static enum mtag_err sqd_write(struct sqd_store *s, const char *op, const char *sql,
			       const struct store_param *p, int n)
{
	return sqd_write_count(s, op, sql, p, n, NULL);
}

enum mtag_err sqd_one(sqlite3 *db, struct arena *a, const char *op, const char *sql,
		      const struct store_param *p, int n, sqd_row_fn fn, void *out)
{
	struct sqd_row row = { NULL, a, false };
	enum mtag_err e = sqd_prepare(db, op, sql, p, n, &row.st);
	int rc;

	if (e)
		goto out;
	rc = sqlite3_step(row.st);
	if (rc == SQLITE_DONE)
		e = ERR_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		e = sqd_err(db, rc, op);
	else
		e = fn(&row, out);
out:
	sqd_done(row.st);
	return e;
}

enum mtag_err sqd_many(sqlite3 *db, struct arena *a, const char *op, const char *sql,
		       const struct store_param *p, int n, sqd_row_fn fn, size_t size,
		       size_t max, void **out, size_t *count)
{
	struct sqd_row row = { NULL, a, false };
	enum mtag_err e = sqd_prepare(db, op, sql, p, n, &row.st);
	size_t cap = 0;
	char *arr = NULL;
	int rc;

	*out = NULL;
	*count = 0;
	while (!e && *count < max && (rc = sqlite3_step(row.st)) != SQLITE_DONE) {
		if (rc != SQLITE_ROW) {
			e = sqd_err(db, rc, op);
			break;
		}
		if (*count == cap) { /* grow by doubling; the old array stays in the arena */
			char *bigger = arena_calloc(a, cap ? 2 * cap : 16, size);
			if (cap)
				memcpy(bigger, arr, cap * size);
			arr = bigger;
			cap = cap ? 2 * cap : 16;
		}
		e = fn(&row, arr + *count * size);
		if (!e)
			(*count)++;
	}
	sqd_done(row.st);
	if (e)
		*count = 0;
	*out = *count ? arr : NULL;
	return e;
}

enum mtag_err sqd_read_one(struct sqd_store *s, struct arena *a, const char *op,
			   const char *sql, const struct store_param *p, int n,
			   sqd_row_fn fn, void *out)
{
	struct store_pool_slot *slot = NULL;
	enum mtag_err e = store_pool_acquire(&s->pool, &slot);

	if (!e)
		e = sqd_one(slot->conn, a, op, sql, p, n, fn, out);
	store_pool_return(&s->pool, slot, false);
	return e;
}

const char *sqd_text(struct sqd_row *r, int i)
{
	const unsigned char *t = sqlite3_column_text(r->st, i);

	if (!t)
		return NULL;
	return arena_strndup(r->a, (const char *)t, (size_t)sqlite3_column_bytes(r->st, i));
}

int64_t sqd_time(struct sqd_row *r, int i)
{
	const char *t = (const char *)sqlite3_column_text(r->st, i);
	int64_t us = 0;

	if (t && !clock_parse_iso(t, &us))
		r->bad = true;
	return us;
}

void sqd_uuid(struct sqd_row *r, int i, char out[UUID_STR_LEN])
{
	const char *t = (const char *)sqlite3_column_text(r->st, i);

	out[0] = '\0';
	if (t && !store_copy_uuid(out, t))
		r->bad = true;
}

enum mtag_err sqd_row_done(struct sqd_row *r, const char *what)
{
	if (!r->bad)
		return ERR_OK;
	log_error("store.sqlite.bad_row", "table=%s", what);
	return ERR_INTERNAL;
}

enum mtag_err sqd_row_int(struct sqd_row *r, void *out)
{
	*(int *)out = sqlite3_column_int(r->st, 0);
	return ERR_OK;
}

static enum mtag_err sqd_ping(struct store *s)
{
	int one = 0;
	enum mtag_err e = sqd_read_one((struct sqd_store *)s, NULL, "ping", "SELECT 1", NULL, 0,
				       sqd_row_int, &one);
	return e ? ERR_UNAVAILABLE : ERR_OK;
}

static enum mtag_err sqd_schema_version(struct store *s, int *version)
{
	struct sqd_store *st = (struct sqd_store *)s;
	int exists = 0;
	enum mtag_err e;

	*version = 0;
	e = sqd_read_one(st, NULL, "schema_version",
			 "SELECT count(*) FROM sqlite_master "
			 "WHERE type = 'table' AND name = 'schema_migrations'",
			 NULL, 0, sqd_row_int, &exists);
	if (!e && exists)
		e = sqd_read_one(st, NULL, "schema_version",
				 "SELECT coalesce(max(version), 0) FROM schema_migrations",
				 NULL, 0, sqd_row_int, version);
	return e;
}

/* Apply one migration in its own BEGIN IMMEDIATE transaction unless it is recorded. */
static enum mtag_err sqd_apply(void *ctx, const struct store_migration *m, bool *applied)
{
	sqlite3 *db = ctx;
	struct store_param p[] = { STORE_INT(m->version), STORE_TEXT(m->name),
				   STORE_TIME(clock_now_us()) };
	bool recorded = false;
	enum mtag_err e;

	*applied = false;
	/* The write lock first: a second process waits here, then sees the row. */
	e = sqd_exec(db, "migrate", "BEGIN IMMEDIATE");
	if (e)
		goto out;
	e = sqd_exec(db, "migrate",
		     "CREATE TABLE IF NOT EXISTS schema_migrations ("
		     " version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
		     " applied_at TEXT NOT NULL) STRICT");
	if (!e)
		e = sqd_run(db, "migrate", "SELECT 1 FROM schema_migrations WHERE version = ?1",
			    p, 1, &recorded);
	if (!e && !recorded) {
		e = sqd_exec(db, "migrate", m->sql);
		if (!e)
			e = sqd_run(db, "migrate", "INSERT INTO schema_migrations "
				    "(version, name, applied_at) VALUES (?1, ?2, ?3)", p, 3, NULL);
	}
	if (!e)
		e = sqd_exec(db, "migrate", "COMMIT");
	*applied = !e && !recorded;
out:
	sqd_rollback(db);
	return e;
}

static enum mtag_err sqd_migrate(struct store *s, int *applied)
{
	struct sqd_store *st = (struct sqd_store *)s;
	struct store_pool_slot *slot = NULL;
	enum mtag_err e = store_pool_acquire(&st->pool, &slot);

	if (!e)
		e = store_migrate_each(store_migrations_sqlite, sqd_apply, slot->conn, applied);
	store_pool_return(&st->pool, slot, false);
	return e;
}

static enum mtag_err sqd_user_create(struct store *s, const struct store_user *u)
{
	struct store_param p[] = {
		STORE_TEXT(u->id), STORE_TEXT(u->email), STORE_TEXT(u->full_name),
		STORE_TEXT(u->password_hash), STORE_BOOL(u->is_active), STORE_BOOL(u->is_admin),
		STORE_TIME(u->created_at), STORE_TIME(u->updated_at),
	};
	return sqd_write((struct sqd_store *)s, "user_create",
			 "INSERT INTO users (" SQD_USER_COLS("") ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			 p, 8);
}

enum mtag_err sqd_row_user(struct sqd_row *r, void *out)
{
	struct store_user *u = out;

	sqd_uuid(r, 0, u->id);
	u->email = sqd_text(r, 1);
	u->full_name = sqd_text(r, 2);
	u->password_hash = sqd_text(r, 3);
	u->is_active = sqlite3_column_int(r->st, 4) != 0;
	u->is_admin = sqlite3_column_int(r->st, 5) != 0;
	u->created_at = sqd_time(r, 6);
	u->updated_at = sqd_time(r, 7);
	return sqd_row_done(r, "users");
}

static enum mtag_err sqd_user_get(struct store *s, struct arena *a, const char *id,
				  struct store_user *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return sqd_read_one((struct sqd_store *)s, a, "user_get",
			    "SELECT " SQD_USER_COLS("") " FROM users WHERE id = ?1", p, 1, sqd_row_user, out);
}

static enum mtag_err sqd_user_get_by_email(struct store *s, struct arena *a, const char *email,
					   struct store_user *out)
{
	struct store_param p[] = { STORE_TEXT(email) };
	return sqd_read_one((struct sqd_store *)s, a, "user_get_by_email",
			    "SELECT " SQD_USER_COLS("") " FROM users WHERE email = ?1", p, 1,
			    sqd_row_user, out);
}

#define SQD_JOB_COLS \
	"id, user_id, job_type, status, total_documents, processed_documents, " \
	"failed_documents, options, error_message, created_at, started_at, completed_at, updated_at"

static enum mtag_err sqd_job_create(struct store *s, const struct store_job *j)
{
	struct store_param p[] = {
		STORE_TEXT(j->id), STORE_OWNER(j->user_id), STORE_TEXT(j->job_type),
		STORE_TEXT(j->status), STORE_INT(j->total_documents),
		STORE_INT(j->processed_documents), STORE_INT(j->failed_documents),
		STORE_TEXT(j->options), STORE_TEXT(j->error_message), STORE_TIME(j->created_at),
		STORE_TIME_OR_NULL(j->started_at), STORE_TIME_OR_NULL(j->completed_at),
		STORE_TIME(j->updated_at),
	};
	return sqd_write((struct sqd_store *)s, "job_create",
			 "INSERT INTO processing_jobs (" SQD_JOB_COLS ") VALUES "
			 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
			 p, 13);
}

static enum mtag_err sqd_row_job(struct sqd_row *r, void *out)
{
	struct store_job *j = out;

	sqd_uuid(r, 0, j->id);
	sqd_uuid(r, 1, j->user_id);
	j->job_type = sqd_text(r, 2);
	j->status = sqd_text(r, 3);
	j->total_documents = sqlite3_column_int(r->st, 4);
	j->processed_documents = sqlite3_column_int(r->st, 5);
	j->failed_documents = sqlite3_column_int(r->st, 6);
	j->options = sqd_text(r, 7);
	j->error_message = sqd_text(r, 8);
	j->created_at = sqd_time(r, 9);
	j->started_at = sqd_time(r, 10);
	j->completed_at = sqd_time(r, 11);
	j->updated_at = sqd_time(r, 12);
	return sqd_row_done(r, "processing_jobs");
}

static enum mtag_err sqd_job_get(struct store *s, struct arena *a, const char *id,
				 struct store_job *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return sqd_read_one((struct sqd_store *)s, a, "job_get",
			    "SELECT " SQD_JOB_COLS " FROM processing_jobs WHERE id = ?1", p, 1,
			    sqd_row_job, out);
}

#define SQD_DOC_COLS \
	"id, job_id, user_id, source_url, filename, title, status, tags, extracted_text, " \
	"processing_metadata, error_message, created_at, processed_at"

static enum mtag_err sqd_document_create(struct store *s, const struct store_document *d)
{
	struct store_param p[] = {
		STORE_TEXT(d->id), STORE_TEXT(d->job_id), STORE_OWNER(d->user_id),
		STORE_TEXT(d->source_url), STORE_TEXT(d->filename), STORE_TEXT(d->title),
		STORE_TEXT(d->status), STORE_TEXT(d->tags), STORE_TEXT(d->extracted_text),
		STORE_TEXT(d->metadata), STORE_TEXT(d->error_message), STORE_TIME(d->created_at),
		STORE_TIME_OR_NULL(d->processed_at),
	};
	return sqd_write((struct sqd_store *)s, "document_create",
			 "INSERT INTO documents (" SQD_DOC_COLS ") VALUES "
			 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
			 p, 13);
}

static enum mtag_err sqd_row_document(struct sqd_row *r, void *out)
{
	struct store_document *d = out;

	sqd_uuid(r, 0, d->id);
	sqd_uuid(r, 1, d->job_id);
	sqd_uuid(r, 2, d->user_id);
	d->source_url = sqd_text(r, 3);
	d->filename = sqd_text(r, 4);
	d->title = sqd_text(r, 5);
	d->status = sqd_text(r, 6);
	d->tags = sqd_text(r, 7);
	d->extracted_text = sqd_text(r, 8);
	d->metadata = sqd_text(r, 9);
	d->error_message = sqd_text(r, 10);
	d->created_at = sqd_time(r, 11);
	d->processed_at = sqd_time(r, 12);
	return sqd_row_done(r, "documents");
}

static enum mtag_err sqd_document_get(struct store *s, struct arena *a, const char *id,
				      struct store_document *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return sqd_read_one((struct sqd_store *)s, a, "document_get",
			    "SELECT " SQD_DOC_COLS " FROM documents WHERE id = ?1", p, 1,
			    sqd_row_document, out);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqd_open,
	.close = sqd_close,
	.ping = sqd_ping,
	.migrate = sqd_migrate,
	.schema_version = sqd_schema_version,
	.user_create = sqd_user_create,
	.user_get = sqd_user_get,
	.user_get_by_email = sqd_user_get_by_email,
	.job_create = sqd_job_create,
	.job_get = sqd_job_get,
	.document_create = sqd_document_create,
	.document_get = sqd_document_get,
	.session_create = sqd_session_create,
	.session_check = sqd_session_check,
	.refresh_rotate = sqd_refresh_rotate,
	.refresh_session = sqd_refresh_session,
	.session_revoke = sqd_session_revoke,
	.session_revoke_all = sqd_session_revoke_all,
	.session_list = sqd_session_list,
	.session_purge = sqd_session_purge,
	.user_set_password = sqd_user_set_password,
	.user_set_flags = sqd_user_set_flags,
	.user_list = sqd_user_list,
	.audit_add = sqd_audit_add,
	.audit_list = sqd_audit_list,
};
