/*
 * store_pg.c - the PostgreSQL driver (postgresql://... or postgres://...), via libpq.
 *
 * Connections and threads: a bounded pool (store_pool.c) of up to pool_size
 * connections, made lazily with connect_timeout=3 (unless the URL sets its
 * own), client_encoding UTF8 and TIME ZONE 'UTC'. A libpq connection is used
 * by one thread at a time, which the pool guarantees.
 *
 * Reconnecting: before a pooled connection is handed out, the pool's check
 * reads whatever the server sent while it sat idle; a server that restarted
 * or killed the backend has closed the socket, libpq then reports
 * CONNECTION_BAD and the connection is made again before any statement is
 * sent. A statement that still fails with a connection error (no result,
 * SQLSTATE class 08, 57P01-57P03) closes that connection and the call gives
 * ERR_UNAVAILABLE; reads (and only reads) are tried once more on a fresh
 * connection. A write is never repeated: it may have been committed.
 *
 * Statements: only PQexecParams with $n parameters; no SQL is built from
 * input. The one exception is a migration file, run with PQexec because it
 * holds several statements: it is embedded at build time, never input.
 *
 * Values: uuid, timestamptz written as ISO-8601 text with Z and read back as
 * epoch microseconds (bigint, exact), jsonb, text.
 *
 * Ownership: struct pgd_store owns its pool and URL; results are copied into
 * the caller's arena and every PGresult is cleared before returning.
 *
 * Sessions, refresh tokens and the audit log are in store_pg_auth.c, on the
 * helpers this file shares through store_pg_int.h.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_pg_int.h"
#include "base/xalloc.h"

/* Key of the advisory lock that serialises migrations ("mtag" in ASCII). */
#define PGD_MIGRATE_LOCK 0x6d746167LL

/* A pooled connection. */
struct pgd_conn {
	PGconn *pg;
	bool fatal; /* the server sent FATAL while it was idle: it is closing it */
};

/* Server notices (e.g. "relation already exists, skipping", or the FATAL
 * sent before the server closes an idle connection) go to our log; a FATAL
 * marks the connection dead. */
static void pgd_notice(void *arg, const PGresult *res)
{
	struct pgd_conn *pc = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char q[256];
	bool minor = sev && (!strcmp(sev, "NOTICE") || !strcmp(sev, "INFO") ||
			     !strcmp(sev, "LOG") || !strncmp(sev, "DEBUG", 5));

	if (sev && (!strcmp(sev, "FATAL") || !strcmp(sev, "PANIC")))
		pc->fatal = true;
	log_event(minor ? LOG_DEBUG : LOG_WARN, "store.pg.notice", "severity=%s sqlstate=%s msg=%s",
		  sev ? sev : "?", state ? state : "?", log_quote(q, sizeof(q), msg));
}

static enum mtag_err pgd_conn_open(void *ctx, void **conn)
{
	struct pgd_store *st = ctx;
	/* Before dbname: defaults the URL may override. After it: what we require. */
	const char *const keys[] = { "connect_timeout", "application_name", "dbname",
				     "client_encoding", NULL };
	const char *const vals[] = { "3", "mtag", st->url, "UTF8", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	struct pgd_conn *pc = NULL;
	PGresult *res = NULL;
	enum mtag_err e = ERR_OK;
	char q[512];

	if (!c)
		abort(); /* libpq is out of memory: as xmalloc */
	if (PQstatus(c) != CONNECTION_OK) {
		log_warn("store.pg.connect_failed", "msg=%s",
			 log_quote(q, sizeof(q), PQerrorMessage(c)));
		e = ERR_UNAVAILABLE;
		goto out;
	}
	pc = xcalloc(1, sizeof(*pc));
	pc->pg = c;
	PQsetNoticeReceiver(c, pgd_notice, pc);
	res = PQexecParams(c, "SET TIME ZONE 'UTC'", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warn("store.pg.connect_failed", "msg=%s",
			 log_quote(q, sizeof(q), PQerrorMessage(c)));
		e = ERR_UNAVAILABLE;
	}
out:
	PQclear(res);
	if (e) {
		PQfinish(c);
		free(pc);
		pc = NULL;
	}
	*conn = pc;
	return e;
}

static void pgd_conn_close(void *ctx, void *conn)
{
	struct pgd_conn *pc = conn;

	(void)ctx;
	PQfinish(pc->pg);
	free(pc);
}

/*
 * An idle connection whose server went away has a readable socket (the
 * server's last words - a FATAL - then EOF): consume it without blocking so
 * we notice. False when the connection is dead or not idle.
 */
static bool pgd_conn_check(void *ctx, void *conn)
{
	struct pgd_conn *pc = conn;
	PGconn *c = pc->pg;
	PGnotify *n;

	(void)ctx;
	for (int i = 0; i < 4 && PQstatus(c) == CONNECTION_OK && !pc->fatal; i++) {
		struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
		if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
			break;
		if (!PQconsumeInput(c))
			return false;
		while ((n = PQnotifies(c)))
			PQfreemem(n);
	}
	return !pc->fatal && PQstatus(c) == CONNECTION_OK &&
	       PQtransactionStatus(c) == PQTRANS_IDLE;
}

static const struct store_pool_conn_ops pgd_conn_ops = {
	pgd_conn_open, pgd_conn_close, pgd_conn_check
};

/* True for the SQLSTATEs that mean the connection or server is gone. */
static bool pgd_state_lost(const char *state)
{
	return !state || !strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
	       !strcmp(state, "57P02") || !strcmp(state, "57P03");
}

/* Turn a result into our error; marks the call broken on a connection error. */
static enum mtag_err pgd_err(struct pgd_call *c, const PGresult *res, const char *op)
{
	ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char q[256];

	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return ERR_OK;
	log_quote(q, sizeof(q), msg ? msg : PQerrorMessage(c->conn));
	if (pgd_state_lost(state) || PQstatus(c->conn) != CONNECTION_OK) {
		c->broken = true;
		log_warn("store.pg.connection_lost", "op=%s sqlstate=%s msg=%s", op,
			 state ? state : "none", q);
		return ERR_UNAVAILABLE;
	}
	if (!strcmp(state, "23505"))
		return ERR_CONFLICT;
	if (!strcmp(state, "23503"))
		return ERR_NOT_FOUND;
	/* Class 22 (bad data: uuid text, JSON, UTF-8), not-null and check violations. */
	if (!strncmp(state, "22", 2) || !strcmp(state, "23502") || !strcmp(state, "23514"))
		return ERR_BAD_REQUEST;
	if (!strcmp(state, "57014"))
		return ERR_TIMEOUT;
	if (!strncmp(state, "53", 2) || !strcmp(state, "40001") || !strcmp(state, "40P01") ||
	    !strcmp(state, "55P03")) {
		log_warn("store.pg.unavailable", "op=%s sqlstate=%s msg=%s", op, state, q);
		return ERR_UNAVAILABLE;
	}
	log_error("store.pg.error", "op=%s sqlstate=%s msg=%s", op, state, q);
	return ERR_INTERNAL;
}

enum mtag_err pgd_run(struct pgd_call *c, const char *op, const char *sql,
		      const struct store_param *p, int n, PGresult **out)
{
	char bufs[STORE_MAX_PARAMS][CLOCK_ISO_LEN];
	const char *vals[STORE_MAX_PARAMS];
	PGresult *res;
	enum mtag_err e;

	if (out)
		*out = NULL;
	if (n > STORE_MAX_PARAMS)
		abort(); /* a programmer error: raise STORE_MAX_PARAMS */
	for (int i = 0; i < n; i++) {
		vals[i] = bufs[i];
		switch (p[i].kind) {
		case STORE_P_TEXT:
			vals[i] = p[i].text;
			break;
		case STORE_P_INT:
			snprintf(bufs[i], sizeof(bufs[i]), "%lld", (long long)p[i].num);
			break;
		case STORE_P_BOOL:
			vals[i] = p[i].num ? "true" : "false";
			break;
		case STORE_P_TIME_OR_NULL:
			if (!p[i].num) {
				vals[i] = NULL;
				break;
			}
			/* fall through */
		case STORE_P_TIME:
			clock_format_iso(p[i].num, bufs[i]);
			break;
		}
	}
	res = PQexecParams(c->conn, sql, n, NULL, vals, NULL, NULL, 0);
	e = pgd_err(c, res, op);
	if (!e && out)
		*out = res;
	else
		PQclear(res);
	return e;
}

enum mtag_err pgd_with_conn(struct pgd_store *s, bool retry, pgd_fn fn, void *ctx)
{
	enum mtag_err e;

	for (int attempt = 0;; attempt++) {
		struct store_pool_slot *slot = NULL;
		struct pgd_call c = { NULL, false };
		struct pgd_conn *pc;

		e = store_pool_acquire(&s->pool, &slot);
		if (e)
			return e;
		pc = slot->conn;
		c.conn = pc->pg;
		e = fn(&c, ctx);
		c.broken = c.broken || pc->fatal || PQstatus(c.conn) != CONNECTION_OK ||
			   PQtransactionStatus(c.conn) != PQTRANS_IDLE;
		store_pool_return(&s->pool, slot, c.broken);
		if (e != ERR_UNAVAILABLE || !c.broken || !retry || attempt > 0)
			return e;
		log_info("store.pg.retry", "reason=connection_lost");
	}
}

enum mtag_err pgd_run_count(struct pgd_call *c, const char *op, const char *sql,
			    const struct store_param *p, int n, int *changes)
{
	PGresult *res = NULL;
	enum mtag_err e = pgd_run(c, op, sql, p, n, &res);

	*changes = e ? 0 : (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return e;
}

enum mtag_err pgd_rows(PGresult *res, struct arena *a, pgd_row_fn fn, size_t size, size_t max,
		       void **out, size_t *count)
{
	size_t rows = (size_t)PQntuples(res);
	struct pgd_row row = { res, a, false, 0 };
	char *arr;
	enum mtag_err e = ERR_OK;

	*out = NULL;
	*count = 0;
	if (rows > max)
		rows = max;
	if (!rows)
		return ERR_OK;
	arr = arena_calloc(a, rows, size);
	for (size_t i = 0; !e && i < rows; i++) {
		row.row = (int)i;
		e = fn(&row, arr + i * size);
	}
	if (!e) {
		*out = arr;
		*count = rows;
	}
	return e;
}

enum mtag_err pgd_one(struct pgd_call *c, struct arena *a, const char *op, const char *sql,
		      const struct store_param *p, int n, pgd_row_fn fn, void *out)
{
	struct pgd_row row = { NULL, a, false, 0 };
	enum mtag_err e = pgd_run(c, op, sql, p, n, &row.res);

	if (!e)
		e = PQntuples(row.res) < 1 ? ERR_NOT_FOUND : fn(&row, out);
	PQclear(row.res);
	return e;
}

/* A transaction for pgd_tx_fn. */
struct pgd_tx {
	const char *op;
	const char *begin;
	pgd_fn fn;
	void *ctx;
};

static enum mtag_err pgd_tx_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_tx *t = ctx;
	enum mtag_err e = pgd_run(c, t->op, t->begin, NULL, 0, NULL);

	if (!e)
		e = t->fn(c, t->ctx);
	if (!e)
		e = pgd_run(c, t->op, "COMMIT", NULL, 0, NULL);
	if (e && !c->broken && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		PQclear(PQexecParams(c->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
	return e;
}

enum mtag_err pgd_tx(struct store *s, const char *op, const char *begin, bool read, pgd_fn fn,
		     void *ctx)
{
	struct pgd_tx t = { op, begin, fn, ctx };
	return pgd_with_conn((struct pgd_store *)s, read, pgd_tx_fn, &t);
}

/* One statement for the single-statement helpers below. */
struct pgd_query {
	struct arena *a;
	const char *op;
	const char *sql;
	const struct store_param *p;
	int n;
	pgd_row_fn fn;
	size_t size, max;
	void *out;    /* OUT: a row (read_one) or an array (read_many) */
	size_t count; /* OUT: rows read or changed */
};

static enum mtag_err pgd_write_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_query *q = ctx;
	int changes = 0;
	enum mtag_err e = pgd_run_count(c, q->op, q->sql, q->p, q->n, &changes);

	q->count = (size_t)changes;
	return e;
}

enum mtag_err pgd_write_count(struct store *s, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes)
{
	struct pgd_query q = { NULL, op, sql, p, n, NULL, 0, 0, NULL, 0 };
	enum mtag_err e = pgd_with_conn((struct pgd_store *)s, false, pgd_write_fn, &q);

	if (changes)
		*changes = e ? 0 : (int)q.count;
	return e;
}

/* Run one write statement (atomic on its own). */
static enum mtag_err pgd_write(struct store *s, const char *op, const char *sql,
			       const struct store_param *p, int n)
{
	return pgd_write_count(s, op, sql, p, n, NULL);
}

static enum mtag_err pgd_read_one_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_query *q = ctx;
	return pgd_one(c, q->a, q->op, q->sql, q->p, q->n, q->fn, q->out);
}

enum mtag_err pgd_read_one(struct store *s, struct arena *a, const char *op,
			   const char *sql, const struct store_param *p, int n,
			   pgd_row_fn fn, void *out)
{
	struct pgd_query q = { a, op, sql, p, n, fn, 0, 0, out, 0 };
	return pgd_with_conn((struct pgd_store *)s, true, pgd_read_one_fn, &q);
}

static enum mtag_err pgd_read_many_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_query *q = ctx;
	PGresult *res = NULL;
	enum mtag_err e = pgd_run(c, q->op, q->sql, q->p, q->n, &res);

	if (!e)
		e = pgd_rows(res, q->a, q->fn, q->size, q->max, &q->out, &q->count);
	PQclear(res);
	return e;
}

enum mtag_err pgd_read_many(struct store *s, struct arena *a, const char *op, const char *sql,
			    const struct store_param *p, int n, pgd_row_fn fn, size_t size,
			    size_t max, void **out, size_t *count)
{
	struct pgd_query q = { a, op, sql, p, n, fn, size, max, NULL, 0 };
	enum mtag_err e = pgd_with_conn((struct pgd_store *)s, true, pgd_read_many_fn, &q);

	*out = e ? NULL : q.out;
	*count = e ? 0 : q.count;
	return e;
}

const char *pgd_text(struct pgd_row *r, int i)
{
	if (PQgetisnull(r->res, r->row, i))
		return NULL;
	return arena_strndup(r->a, PQgetvalue(r->res, r->row, i),
			     (size_t)PQgetlength(r->res, r->row, i));
}

int64_t pgd_int(struct pgd_row *r, int i)
{
	const char *t = PQgetvalue(r->res, r->row, i);
	char *end = NULL;
	long long v;

	if (PQgetisnull(r->res, r->row, i))
		return 0;
	v = strtoll(t, &end, 10);
	if (end == t || *end)
		r->bad = true;
	return v;
}

bool pgd_bool(struct pgd_row *r, int i)
{
	return PQgetvalue(r->res, r->row, i)[0] == 't';
}

void pgd_uuid(struct pgd_row *r, int i, char out[UUID_STR_LEN])
{
	out[0] = '\0';
	if (!PQgetisnull(r->res, r->row, i) && !store_copy_uuid(out, PQgetvalue(r->res, r->row, i)))
		r->bad = true;
}

enum mtag_err pgd_row_done(struct pgd_row *r, const char *what)
{
	if (!r->bad)
		return ERR_OK;
	log_error("store.pg.bad_row", "table=%s", what);
	return ERR_INTERNAL;
}

enum mtag_err pgd_row_int(struct pgd_row *r, void *out)
{
	*(int *)out = (int)pgd_int(r, 0);
	return pgd_row_done(r, "(value)");
}

static enum mtag_err pgd_open(const char *url, int pool_size, struct store **out,
			      char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &msg);
	struct pgd_store *st;

	if (!opts) {
		size_t n = msg ? strcspn(msg, "\n") : 0;
		snprintf(err, errlen, "malformed postgresql URL: %.*s", (int)n, msg ? msg : "");
		PQfreemem(msg);
		return ERR_VALIDATION;
	}
	PQconninfoFree(opts);
	st = xcalloc(1, sizeof(*st));
	st->base.ops = &store_pg_ops;
	st->url = xstrdup(url);
	store_pool_init(&st->pool, pool_size, STORE_POOL_TIMEOUT_US, &pgd_conn_ops, st);
	*out = &st->base;
	return ERR_OK;
}

static void pgd_close(struct store *s)
{
	struct pgd_store *st = (struct pgd_store *)s;

	if (!st)
		return;
	store_pool_release(&st->pool);
	free(st->url);
	free(st);
}

static enum mtag_err pgd_ping(struct store *s)
{
	int one = 0;
	enum mtag_err e = pgd_read_one(s, NULL, "ping", "SELECT 1", NULL, 0, pgd_row_int, &one);

	return e ? ERR_UNAVAILABLE : ERR_OK;
}

static enum mtag_err pgd_schema_version(struct store *s, int *version)
{
	int exists = 0;
	enum mtag_err e;

	e = pgd_read_one(s, NULL, "schema_version",
			 "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int", NULL, 0,
			 pgd_row_int, &exists);
	if (!e && exists)
		e = pgd_read_one(s, NULL, "schema_version",
				 "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL, 0,
				 pgd_row_int, version);
	return e;
}

/* Run a migration file: several statements, so the simple-query protocol. */
static enum mtag_err pgd_script(struct pgd_call *c, const char *sql)
{
	PGresult *res = PQexec(c->conn, sql);
	enum mtag_err e = pgd_err(c, res, "migrate");

	PQclear(res);
	return e;
}

/*
 * Apply one migration in a transaction that first takes the migration lock
 * (a second process waits there), creates schema_migrations if needed, then
 * checks, applies and records the version.
 */
static enum mtag_err pgd_apply(void *ctx, const struct store_migration *m, bool *applied)
{
	struct pgd_call *c = ctx;
	struct store_param p[] = { STORE_INT(m->version), STORE_TEXT(m->name),
				   STORE_INT(PGD_MIGRATE_LOCK) };
	PGresult *res = NULL;
	bool recorded = false;
	enum mtag_err e;

	*applied = false;
	e = pgd_run(c, "migrate", "BEGIN", NULL, 0, NULL);
	if (!e)
		e = pgd_run(c, "migrate", "SELECT pg_advisory_xact_lock($1::bigint)", &p[2], 1, NULL);
	if (!e)
		e = pgd_run(c, "migrate", "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied_at timestamptz NOT NULL DEFAULT now())", NULL, 0, NULL);
	if (!e)
		e = pgd_run(c, "migrate", "SELECT 1 FROM schema_migrations WHERE version = $1",
			    p, 1, &res);
	recorded = !e && PQntuples(res) > 0;
	if (!e && !recorded) {
		e = pgd_script(c, m->sql);
		if (!e)
			e = pgd_run(c, "migrate", "INSERT INTO schema_migrations (version, name)"
				    " VALUES ($1, $2)", p, 2, NULL);
	}
	if (!e)
		e = pgd_run(c, "migrate", "COMMIT", NULL, 0, NULL);
	*applied = !e && !recorded;
	if (e && !c->broken)
		PQclear(PQexecParams(c->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
	PQclear(res);
	return e;
}

/* Output of pgd_migrate_fn. */
struct pgd_migrate_ctx {
	int applied;
};

static enum mtag_err pgd_migrate_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_migrate_ctx *m = ctx;
	return store_migrate_each(store_migrations_pg, pgd_apply, c, &m->applied);
}

static enum mtag_err pgd_migrate(struct store *s, int *applied)
{
	struct pgd_migrate_ctx m = { 0 };
	enum mtag_err e = pgd_with_conn((struct pgd_store *)s, false, pgd_migrate_fn, &m);

	if (applied)
		*applied = m.applied;
	return e;
}

#define PGD_USER_SELECT "SELECT " PGD_USER_COLS("") " FROM users "

static enum mtag_err pgd_user_create(struct store *s, const struct store_user *u)
{
	struct store_param p[] = {
		STORE_TEXT(u->id), STORE_TEXT(u->email), STORE_TEXT(u->full_name),
		STORE_TEXT(u->password_hash), STORE_BOOL(u->is_active), STORE_BOOL(u->is_admin),
		STORE_TIME(u->created_at), STORE_TIME(u->updated_at),
	};
	return pgd_write(s, "user_create",
			 "INSERT INTO users (id, email, full_name, password_hash, is_active,"
			 " is_admin, created_at, updated_at)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", p, 8);
}

enum mtag_err pgd_row_user(struct pgd_row *r, void *out)
{
	struct store_user *u = out;

	pgd_uuid(r, 0, u->id);
	u->email = pgd_text(r, 1);
	u->full_name = pgd_text(r, 2);
	u->password_hash = pgd_text(r, 3);
	u->is_active = pgd_bool(r, 4);
	u->is_admin = pgd_bool(r, 5);
	u->created_at = pgd_int(r, 6);
	u->updated_at = pgd_int(r, 7);
	return pgd_row_done(r, "users");
}

static enum mtag_err pgd_user_get(struct store *s, struct arena *a, const char *id,
				  struct store_user *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return pgd_read_one(s, a, "user_get", PGD_USER_SELECT "WHERE id = $1", p, 1,
			    pgd_row_user, out);
}

static enum mtag_err pgd_user_get_by_email(struct store *s, struct arena *a, const char *email,
					   struct store_user *out)
{
	struct store_param p[] = { STORE_TEXT(email) };
	return pgd_read_one(s, a, "user_get_by_email", PGD_USER_SELECT "WHERE email = $1", p, 1,
			    pgd_row_user, out);
}

#define PGD_JOB_SELECT                                                                 \
	"SELECT id, user_id, job_type, status, total_documents, processed_documents,"  \
	" failed_documents, options, error_message, " PGD_US("created_at") ", "         \
	PGD_US("started_at") ", " PGD_US("completed_at") ", " PGD_US("updated_at")      \
	" FROM processing_jobs "

static enum mtag_err pgd_job_create(struct store *s, const struct store_job *j)
{
	struct store_param p[] = {
		STORE_TEXT(j->id), STORE_OWNER(j->user_id), STORE_TEXT(j->job_type),
		STORE_TEXT(j->status), STORE_INT(j->total_documents),
		STORE_INT(j->processed_documents), STORE_INT(j->failed_documents),
		STORE_TEXT(j->options), STORE_TEXT(j->error_message), STORE_TIME(j->created_at),
		STORE_TIME_OR_NULL(j->started_at), STORE_TIME_OR_NULL(j->completed_at),
		STORE_TIME(j->updated_at),
	};
	return pgd_write(s, "job_create",
			 "INSERT INTO processing_jobs (id, user_id, job_type, status,"
			 " total_documents, processed_documents, failed_documents, options,"
			 " error_message, created_at, started_at, completed_at, updated_at)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", p, 13);
}

static enum mtag_err pgd_row_job(struct pgd_row *r, void *out)
{
	struct store_job *j = out;

	pgd_uuid(r, 0, j->id);
	pgd_uuid(r, 1, j->user_id);
	j->job_type = pgd_text(r, 2);
	j->status = pgd_text(r, 3);
	j->total_documents = (int)pgd_int(r, 4);
	j->processed_documents = (int)pgd_int(r, 5);
	j->failed_documents = (int)pgd_int(r, 6);
	j->options = pgd_text(r, 7);
	j->error_message = pgd_text(r, 8);
	j->created_at = pgd_int(r, 9);
	j->started_at = pgd_int(r, 10);
	j->completed_at = pgd_int(r, 11);
	j->updated_at = pgd_int(r, 12);
	return pgd_row_done(r, "processing_jobs");
}

static enum mtag_err pgd_job_get(struct store *s, struct arena *a, const char *id,
				 struct store_job *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return pgd_read_one(s, a, "job_get", PGD_JOB_SELECT "WHERE id = $1", p, 1,
			    pgd_row_job, out);
}

#define PGD_DOC_SELECT                                                                 \
	"SELECT id, job_id, user_id, source_url, filename, title, status, tags,"       \
	" extracted_text, processing_metadata, error_message, " PGD_US("created_at")    \
	", " PGD_US("processed_at") " FROM documents "

static enum mtag_err pgd_document_create(struct store *s, const struct store_document *d)
{
	struct store_param p[] = {
		STORE_TEXT(d->id), STORE_TEXT(d->job_id), STORE_OWNER(d->user_id),
		STORE_TEXT(d->source_url), STORE_TEXT(d->filename), STORE_TEXT(d->title),
		STORE_TEXT(d->status), STORE_TEXT(d->tags), STORE_TEXT(d->extracted_text),
		STORE_TEXT(d->metadata), STORE_TEXT(d->error_message), STORE_TIME(d->created_at),
		STORE_TIME_OR_NULL(d->processed_at),
	};
	return pgd_write(s, "document_create",
			 "INSERT INTO documents (id, job_id, user_id, source_url, filename, title,"
			 " status, tags, extracted_text, processing_metadata, error_message,"
			 " created_at, processed_at)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", p, 13);
}

static enum mtag_err pgd_row_document(struct pgd_row *r, void *out)
{
	struct store_document *d = out;

	pgd_uuid(r, 0, d->id);
	pgd_uuid(r, 1, d->job_id);
	pgd_uuid(r, 2, d->user_id);
	d->source_url = pgd_text(r, 3);
	d->filename = pgd_text(r, 4);
	d->title = pgd_text(r, 5);
	d->status = pgd_text(r, 6);
	d->tags = pgd_text(r, 7);
	d->extracted_text = pgd_text(r, 8);
	d->metadata = pgd_text(r, 9);
	d->error_message = pgd_text(r, 10);
	d->created_at = pgd_int(r, 11);
	d->processed_at = pgd_int(r, 12);
	return pgd_row_done(r, "documents");
}

static enum mtag_err pgd_document_get(struct store *s, struct arena *a, const char *id,
				      struct store_document *out)
{
	struct store_param p[] = { STORE_TEXT(id) };
	return pgd_read_one(s, a, "document_get", PGD_DOC_SELECT "WHERE id = $1", p, 1,
			    pgd_row_document, out);
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pgd_open,
	.close = pgd_close,
	.ping = pgd_ping,
	.migrate = pgd_migrate,
	.schema_version = pgd_schema_version,
	.user_create = pgd_user_create,
	.user_get = pgd_user_get,
	.user_get_by_email = pgd_user_get_by_email,
	.job_create = pgd_job_create,
	.job_get = pgd_job_get,
	.document_create = pgd_document_create,
	.document_get = pgd_document_get,
	.session_create = pgd_session_create,
	.session_check = pgd_session_check,
	.refresh_rotate = pgd_refresh_rotate,
	.refresh_session = pgd_refresh_session,
	.session_revoke = pgd_session_revoke,
	.session_revoke_all = pgd_session_revoke_all,
	.session_list = pgd_session_list,
	.session_purge = pgd_session_purge,
	.user_set_password = pgd_user_set_password,
	.user_set_flags = pgd_user_set_flags,
	.user_list = pgd_user_list,
	.audit_add = pgd_audit_add,
	.audit_list = pgd_audit_list,
};
