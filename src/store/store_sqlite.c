/*
 * store_sqlite.c - the SQLite driver (sqlite://PATH), the embedded default:
 * the primitives of the driver contract (store_int.h) on SQLite 3.
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
 * Statements: each connection keeps its prepared statements in a hash table
 * keyed by the address of the statement's SQL (a constant of the program),
 * so a lookup is a pointer hash, not a string compare. The shared SQL uses
 * PostgreSQL's $1, $2, ...; SQLite would read "$1" as a named parameter
 * numbered by first appearance, so the text is rewritten to ?1, ?2, ... once,
 * when the statement is prepared.
 *
 * Values: ids as TEXT, times as TEXT "YYYY-MM-DDTHH:MM:SS.ffffffZ" (base/
 * clock.h; they sort as they compare), JSON as TEXT checked by the schema,
 * booleans as 0/1.
 *
 * Ownership: struct sqd_store owns its pool and path; a struct sqd_conn owns
 * its sqlite3 handle and statements; row text is copied into the caller's
 * arena before the statement is reset.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_int.h"
#include "base/xalloc.h"

#define SQD_BUSY_TIMEOUT_MS 5000
#define SQD_PREFIX "sqlite://"

struct sqd_store {
	struct store base; /* first: a struct store * is a struct sqd_store * */
	char *path;
};

/* A prepared statement, cached under the address of its (original) SQL. */
struct sqd_cached {
	const char *sql;
	sqlite3_stmt *st;
};

/* A pooled connection and its statement cache (open addressing, cap a power of two). */
struct sqd_conn {
	sqlite3 *db;
	struct sqd_cached *cache;
	size_t cap, used;
};

static enum mtag_err sqd_err(sqlite3 *db, int rc, const char *op)
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

/* ---- connections ---- */

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
	struct sqd_conn *k = NULL;
	sqlite3 *db = NULL;
	int rc;

	*conn = NULL;
	rc = sqlite3_open_v2(st->path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		char qp[256], qm[256];
		log_warn("store.sqlite.open_failed", "path=%s msg=%s",
			 log_quote(qp, sizeof(qp), st->path),
			 log_quote(qm, sizeof(qm), db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
		sqlite3_close_v2(db);
		return ERR_UNAVAILABLE;
	}
	sqlite3_extended_result_codes(db, 1);
	/* The busy handler first: switching to WAL may wait for another connection. */
	sqlite3_busy_timeout(db, SQD_BUSY_TIMEOUT_MS);
	sqd_use_wal(db, st->path);
	/* synchronous=NORMAL is durable in WAL mode against a killed process;
	 * only a power cut may lose the last transactions, never corrupt. */
	rc = sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_sqlite_fts_register(db); /* before any statement touches the index */
	if (rc == SQLITE_OK)
		rc = store_sqlite_func_register(db);
	if (rc != SQLITE_OK) {
		enum mtag_err e = sqd_err(db, rc, "connect");
		sqlite3_close_v2(db);
		return e;
	}
	k = xcalloc(1, sizeof(*k));
	k->db = db;
	*conn = k;
	return ERR_OK;
}

static void sqd_conn_close(void *ctx, void *conn)
{
	struct sqd_conn *k = conn;

	(void)ctx;
	/* Our statements first: close_v2 would keep the connection alive for them.
	 * Only the cache's: a virtual table (FTS5) prepares statements of its own
	 * on the connection and finalizes them itself when it is disconnected. */
	for (size_t i = 0; i < k->cap; i++)
		sqlite3_finalize(k->cache[i].st);
	sqlite3_close_v2(k->db);
	free(k->cache);
	free(k);
}

static const struct store_pool_conn_ops sqd_conn_ops = {
	sqd_conn_open, sqd_conn_close, NULL
};

/* ---- the statement cache ---- */

/* The slot of sql in the cache: its entry, or the empty slot where it goes. cap > 0. */
static struct sqd_cached *sqd_slot(const struct sqd_conn *k, const char *sql)
{
	size_t mask = k->cap - 1;
	size_t i = (size_t)(((uint64_t)(uintptr_t)sql * 0x9e3779b97f4a7c15ULL) >> 32) & mask;

	while (k->cache[i].sql && k->cache[i].sql != sql)
		i = (i + 1) & mask;
	return &k->cache[i];
}

/* Cache st under sql, growing the table past three quarters full. */
static void sqd_cache_put(struct sqd_conn *k, const char *sql, sqlite3_stmt *st)
{
	if (4 * (k->used + 1) > 3 * k->cap) {
		struct sqd_cached *old = k->cache;
		size_t n = k->cap;

		k->cap = n ? 2 * n : 64;
		k->cache = xcalloc(k->cap, sizeof(*k->cache));
		for (size_t i = 0; i < n; i++)
			if (old[i].sql)
				*sqd_slot(k, old[i].sql) = old[i];
		free(old);
	}
	*sqd_slot(k, sql) = (struct sqd_cached){ sql, st };
	k->used++;
}

/* Prepare sql with its $N placeholders written ?N (quoted text left alone). */
static int sqd_prepare_text(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	char *text = xstrdup(sql);
	char quote = 0;
	int rc;

	for (char *p = text; *p; p++) {
		if (quote)
			quote = *p == quote ? 0 : quote;
		else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '$' && p[1] >= '0' && p[1] <= '9')
			*p = '?';
	}
	rc = sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	free(text);
	return rc;
}

/* Bind p[0..n) to st's ?1..?n. */
static int sqd_bind(sqlite3_stmt *st, const struct store_param *p, int n)
{
	int rc = SQLITE_OK;

	for (int i = 0; rc == SQLITE_OK && i < n; i++) {
		char ts[CLOCK_ISO_LEN];
		switch (p[i].kind) {
		case STORE_P_TEXT:
			rc = p[i].text ? sqlite3_bind_text(st, i + 1, p[i].text, -1, SQLITE_STATIC)
				       : sqlite3_bind_null(st, i + 1);
			break;
		case STORE_P_INT_OR_NULL:
			if (!p[i].num) {
				rc = sqlite3_bind_null(st, i + 1);
				break;
			}
			/* fall through */
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
	return rc;
}

/*
 * The connection's statement for sql (cached, or prepared and cached), with
 * p bound. A cached statement still running (a nested use) is not shared: a
 * fresh one is prepared and *own set, for sqd_done to finalize.
 * OUT: *out (NULL when it could not be prepared), *own.
 */
static enum mtag_err sqd_prepare(struct sqd_conn *k, const char *op, const char *sql,
				 const struct store_param *p, int n, sqlite3_stmt **out,
				 bool *own)
{
	sqlite3_stmt *st = k->cap ? sqd_slot(k, sql)->st : NULL;
	int rc = SQLITE_OK;

	*own = st && sqlite3_stmt_busy(st);
	if (!st || *own) {
		st = NULL;
		rc = sqd_prepare_text(k->db, sql, &st);
		if (rc == SQLITE_OK && !*own)
			sqd_cache_put(k, sql, st);
	}
	if (rc == SQLITE_OK)
		rc = sqd_bind(st, p, n);
	*out = st;
	return rc == SQLITE_OK ? ERR_OK : sqd_err(k->db, rc, op);
}

/* Give a statement of sqd_prepare back: reset for the cache, or finalized. */
static void sqd_done(sqlite3_stmt *st, bool own)
{
	if (own) {
		sqlite3_finalize(st);
	} else if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* ---- the contract ---- */

static enum mtag_err sqd_exec(struct store_conn *c, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes)
{
	struct sqd_conn *k = c->db;
	sqlite3_stmt *st = NULL;
	bool own = false;
	enum mtag_err e = sqd_prepare(k, op, sql, p, n, &st, &own);
	int rc;

	while (!e && (rc = sqlite3_step(st)) != SQLITE_DONE)
		if (rc != SQLITE_ROW)
			e = sqd_err(k->db, rc, op);
	if (changes)
		*changes = e ? 0 : sqlite3_changes(k->db);
	sqd_done(st, own);
	return e;
}

static enum mtag_err sqd_query(struct store_conn *c, const char *op, const char *sql,
			       const struct store_param *p, int n, struct arena *a, size_t max,
			       store_each_fn each, void *ctx)
{
	struct sqd_conn *k = c->db;
	struct store_row row = { c->s->drv, a, false, NULL, 0 };
	sqlite3_stmt *st = NULL;
	bool own = false;
	enum mtag_err e = sqd_prepare(k, op, sql, p, n, &st, &own);
	int rc;

	row.res = st;
	for (size_t i = 0; !e && i < max && (rc = sqlite3_step(st)) != SQLITE_DONE; i++)
		e = rc == SQLITE_ROW ? each(&row, ctx) : sqd_err(k->db, rc, op);
	sqd_done(st, own);
	return e;
}

static enum mtag_err sqd_script(struct store_conn *c, const char *op, const char *sql)
{
	struct sqd_conn *k = c->db;
	int rc = sqlite3_exec(k->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? ERR_OK : sqd_err(k->db, rc, op);
}

static enum mtag_err sqd_begin(struct store_conn *c, const char *op, enum store_tx_kind kind)
{
	/* Writes, one statement or several, take the write lock up front (see the top). */
	return sqd_exec(c, op, kind == STORE_TX_SNAPSHOT ? "BEGIN" : "BEGIN IMMEDIATE", NULL, 0,
			NULL);
}

static enum mtag_err sqd_commit(struct store_conn *c, const char *op)
{
	struct sqd_conn *k = c->db;

	return sqlite3_get_autocommit(k->db) ? ERR_OK : sqd_exec(c, op, "COMMIT", NULL, 0, NULL);
}

static void sqd_rollback(struct store_conn *c)
{
	struct sqd_conn *k = c->db;

	if (!sqlite3_get_autocommit(k->db))
		sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
}

static bool sqd_reusable(struct store_conn *c)
{
	struct sqd_conn *k = c->db;

	return sqlite3_get_autocommit(k->db) != 0;
}

static const char *sqd_col_raw(struct store_row *r, int i, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(r->res, i);

	*len = t ? (size_t)sqlite3_column_bytes(r->res, i) : 0;
	return t;
}

static int64_t sqd_col_int(struct store_row *r, int i)
{
	return sqlite3_column_int64(r->res, i);
}

static double sqd_col_double(struct store_row *r, int i)
{
	return sqlite3_column_double(r->res, i);
}

static bool sqd_col_bool(struct store_row *r, int i)
{
	return sqlite3_column_int64(r->res, i) != 0;
}

/* ---- open and close ---- */

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
	const char *path = url + strlen(SQD_PREFIX);
	struct sqd_store *st = NULL;
	enum mtag_err e;

	pthread_once(&once, sqd_configure);
	if (!path[0] || !strcmp(path, ":memory:")) {
		snprintf(err, errlen, "sqlite:// needs a file path, e.g. sqlite://./mtag-data/mtag.db");
		return ERR_VALIDATION;
	}
	e = sqd_mkdirs(path, err, errlen);
	if (e)
		return e;
	st = xcalloc(1, sizeof(*st));
	st->base.drv = &store_sqlite_driver;
	st->path = xstrdup(path);
	store_pool_init(&st->base.pool, pool_size, STORE_POOL_TIMEOUT_US, &sqd_conn_ops, st);
	*out = &st->base;
	return ERR_OK;
}

static void sqd_close(struct store *s)
{
	struct sqd_store *st = (struct sqd_store *)s;

	if (!st)
		return;
	store_pool_release(&st->base.pool);
	free(st->path);
	free(st);
}

/* What SQLite's SQL does differently (store_int.h, struct store_dialect). */
static const struct store_dialect sqd_dialect = {
	.row_locks = false,
	.text_size = false,
	.migrations = store_migrations_sqlite,
	.migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
			    " applied_at TEXT NOT NULL) STRICT",
	.migrations_exist = "SELECT count(*) FROM sqlite_master"
			    " WHERE type = 'table' AND name = 'schema_migrations'",
	.history = &store_history_sqlite,
	.migrations_lock = NULL, /* BEGIN IMMEDIATE: the write lock */
};

const struct store_driver store_sqlite_driver = {
	.name = "sqlite",
	.dialect = &sqd_dialect,
	.open = sqd_open,
	.close = sqd_close,
	.begin = sqd_begin,
	.commit = sqd_commit,
	.rollback = sqd_rollback,
	.reusable = sqd_reusable,
	.exec = sqd_exec,
	.query = sqd_query,
	.script = sqd_script,
	.col_raw = sqd_col_raw,
	.col_int = sqd_col_int,
	.col_bool = sqd_col_bool,
	.col_double = sqd_col_double,
};
