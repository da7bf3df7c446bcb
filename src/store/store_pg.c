/*
 * store_pg.c - the PostgreSQL driver (postgresql://... or postgres://...):
 * the primitives of the driver contract (store_int.h) on libpq.
 *
 * Connections and threads: a bounded pool (store_pool.c) of up to pool_size
 * connections, made lazily with connect_timeout=3 (unless the URL sets its
 * own), client_encoding UTF8, TIME ZONE 'UTC' and DateStyle ISO. A libpq
 * connection is used by one thread at a time, which the pool guarantees.
 *
 * Reconnecting: before a pooled connection is handed out, the pool's check
 * reads whatever the server sent while it sat idle; a server that restarted
 * or killed the backend has closed the socket, libpq then reports
 * CONNECTION_BAD and the connection is made again before any statement is
 * sent. A statement that still fails with a connection error (no result,
 * SQLSTATE class 08, 57P01-57P03) marks the connection broken (it is closed)
 * and the call gives ERR_UNAVAILABLE; reads (and only reads) are tried once
 * more on a fresh connection (store_with_conn). A write is never repeated:
 * it may have been committed.
 *
 * Statements: only PQexecParams with $n parameters; no SQL is built from
 * input. The one exception is a migration file, run with PQexec because it
 * holds several statements: it is embedded at build time, never input.
 *
 * Values: uuid, timestamptz written as ISO-8601 text with Z and read back as
 * the server prints it in UTC with DateStyle ISO ("2026-11-29
 * 03:51:41.123456+00", exact microseconds; store_col_time parses it), jsonb,
 * text, booleans as "t" / "f".
 *
 * Ownership: struct pgd_store owns its pool and URL; row text is copied into
 * the caller's arena and every PGresult is cleared before returning.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_int.h"
#include "base/xalloc.h"

struct pgd_store {
	struct store base; /* first: a struct store * is a struct pgd_store * */
	char *url;
};

/* A pooled connection. */
struct pgd_conn {
	PGconn *pg;
	bool fatal; /* the server sent FATAL while it was idle: it is closing it */
};

/* The libpq connection held by c. */
static PGconn *pgd_pg(const struct store_conn *c)
{
	return ((const struct pgd_conn *)c->db)->pg;
}

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
	/* Times are printed as store_col_time reads them, whatever the server's defaults. */
	res = PQexec(c, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'");
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

/* ---- errors and statements ---- */

/* True for the SQLSTATEs that mean the connection or server is gone. */
static bool pgd_state_lost(const char *state)
{
	return !state || !strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
	       !strcmp(state, "57P02") || !strcmp(state, "57P03");
}

/* Turn a result into our error; marks the call broken on a connection error. */
static enum mtag_err pgd_err(struct store_conn *c, const PGresult *res, const char *op)
{
	ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char q[256];

	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return ERR_OK;
	log_quote(q, sizeof(q), msg ? msg : PQerrorMessage(pgd_pg(c)));
	if (pgd_state_lost(state) || PQstatus(pgd_pg(c)) != CONNECTION_OK) {
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

/* Run one statement with parameters as text. OUT: *out, the result on success. */
static enum mtag_err pgd_run(struct store_conn *c, const char *op, const char *sql,
			     const struct store_param *p, int n, PGresult **out)
{
	char bufs[STORE_MAX_PARAMS][CLOCK_ISO_LEN];
	const char *vals[STORE_MAX_PARAMS];
	PGresult *res;
	enum mtag_err e;

	*out = NULL;
	if (n > STORE_MAX_PARAMS)
		abort(); /* a programmer error: raise STORE_MAX_PARAMS */
	for (int i = 0; i < n; i++) {
		vals[i] = bufs[i];
		switch (p[i].kind) {
		case STORE_P_TEXT:
			vals[i] = p[i].text;
			break;
		case STORE_P_INT_OR_NULL:
			if (!p[i].num) {
				vals[i] = NULL;
				break;
			}
			/* fall through */
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
	res = PQexecParams(pgd_pg(c), sql, n, NULL, vals, NULL, NULL, 0);
	e = pgd_err(c, res, op);
	if (!e)
		*out = res;
	else
		PQclear(res);
	return e;
}

/* ---- the contract ---- */

static enum mtag_err pgd_exec(struct store_conn *c, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes)
{
	PGresult *res = NULL;
	enum mtag_err e = pgd_run(c, op, sql, p, n, &res);

	if (changes)
		*changes = e ? 0 : (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return e;
}

static enum mtag_err pgd_query(struct store_conn *c, const char *op, const char *sql,
			       const struct store_param *p, int n, struct arena *a, size_t max,
			       store_each_fn each, void *ctx)
{
	struct store_row row = { c->s->drv, a, false, NULL, 0 };
	PGresult *res = NULL;
	enum mtag_err e = pgd_run(c, op, sql, p, n, &res);

	row.res = res;
	for (int i = 0; !e && i < PQntuples(res) && (size_t)i < max; i++) {
		row.at = i;
		e = each(&row, ctx);
	}
	PQclear(res);
	return e;
}

static enum mtag_err pgd_script(struct store_conn *c, const char *op, const char *sql)
{
	PGresult *res = PQexec(pgd_pg(c), sql);
	enum mtag_err e = pgd_err(c, res, op);

	PQclear(res);
	return e;
}

static enum mtag_err pgd_begin(struct store_conn *c, const char *op, enum store_tx_kind kind)
{
	switch (kind) {
	case STORE_TX_ONE:
		return ERR_OK; /* a statement is atomic on its own */
	case STORE_TX_WRITE:
		return pgd_exec(c, op, "BEGIN", NULL, 0, NULL);
	case STORE_TX_SNAPSHOT:
		break;
	}
	return pgd_exec(c, op, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, 0, NULL);
}

static enum mtag_err pgd_commit(struct store_conn *c, const char *op)
{
	if (PQtransactionStatus(pgd_pg(c)) == PQTRANS_IDLE)
		return ERR_OK;
	return pgd_exec(c, op, "COMMIT", NULL, 0, NULL);
}

static void pgd_rollback(struct store_conn *c)
{
	if (!c->broken && PQtransactionStatus(pgd_pg(c)) != PQTRANS_IDLE)
		PQclear(PQexec(pgd_pg(c), "ROLLBACK"));
}

static bool pgd_reusable(struct store_conn *c)
{
	const struct pgd_conn *pc = c->db;

	return !pc->fatal && PQstatus(pc->pg) == CONNECTION_OK &&
	       PQtransactionStatus(pc->pg) == PQTRANS_IDLE;
}

static const char *pgd_col_raw(struct store_row *r, int i, size_t *len)
{
	*len = 0;
	if (PQgetisnull(r->res, r->at, i))
		return NULL;
	*len = (size_t)PQgetlength(r->res, r->at, i);
	return PQgetvalue(r->res, r->at, i);
}

static int64_t pgd_col_int(struct store_row *r, int i)
{
	const char *t = PQgetvalue(r->res, r->at, i);
	char *end = NULL;
	long long v;

	if (PQgetisnull(r->res, r->at, i))
		return 0;
	v = strtoll(t, &end, 10);
	if (end == t || *end)
		r->bad = true;
	return v;
}

static bool pgd_col_bool(struct store_row *r, int i)
{
	return PQgetvalue(r->res, r->at, i)[0] == 't';
}

static double pgd_col_double(struct store_row *r, int i)
{
	return strtod(PQgetvalue(r->res, r->at, i), NULL); /* "" for NULL: 0 */
}

/* ---- open and close ---- */

static enum mtag_err pgd_open(const char *url, int pool_size, struct store **out,
			      char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &msg);
	struct pgd_store *st;

	if (!opts) {
		/* libpq quotes what it could not read, which may be the password: only an
		 * option's name is told. */
		bool option = msg && (!strncmp(msg, "invalid URI query parameter", 27) ||
				      !strncmp(msg, "invalid connection option", 25));
		size_t n = msg ? strcspn(msg, option ? "\n" : ":\"\n") : 0;
		while (n && msg[n - 1] == ' ')
			n--;
		snprintf(err, errlen, "malformed postgresql URL: %.*s (a %% @ : or / in the user name"
			 " or password is written %%25 %%40 %%3A %%2F)", (int)n, msg ? msg : "");
		PQfreemem(msg);
		return ERR_VALIDATION;
	}
	PQconninfoFree(opts);
	st = xcalloc(1, sizeof(*st));
	st->base.drv = &store_pg_driver;
	st->url = xstrdup(url);
	store_pool_init(&st->base.pool, pool_size, STORE_POOL_TIMEOUT_US, &pgd_conn_ops, st);
	*out = &st->base;
	return ERR_OK;
}

static void pgd_close(struct store *s)
{
	struct pgd_store *st = (struct pgd_store *)s;

	if (!st)
		return;
	store_pool_release(&st->base.pool);
	free(st->url);
	free(st);
}

/* What PostgreSQL's SQL does differently (store_int.h, struct store_dialect). */
static const struct store_dialect pgd_dialect = {
	.row_locks = true,
	.text_size = true,
	.migrations = store_migrations_pg,
	.migrations_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied_at timestamptz NOT NULL DEFAULT now())",
	.migrations_exist = "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int",
	/* Held to the end of the transaction; the key is "mtag" in ASCII (0x6d746167). */
	.history = &store_history_pg,
	.migrations_lock = "SELECT pg_advisory_xact_lock(1836345703)",
};

const struct store_driver store_pg_driver = {
	.name = "postgresql",
	.dialect = &pgd_dialect,
	.open = pgd_open,
	.close = pgd_close,
	.begin = pgd_begin,
	.commit = pgd_commit,
	.rollback = pgd_rollback,
	.reusable = pgd_reusable,
	.exec = pgd_exec,
	.query = pgd_query,
	.script = pgd_script,
	.col_raw = pgd_col_raw,
	.col_int = pgd_col_int,
	.col_bool = pgd_col_bool,
	.col_double = pgd_col_double,
};
