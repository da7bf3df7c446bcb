/*
 * store_sql.c - statements on the driver contract: what every domain
 * operation is written with.
 *
 * A call holds one pooled connection (store_with_conn), optionally inside a
 * transaction (store_in_tx), runs statements on it (store_exec, store_one,
 * store_many) and reads rows with a row reader (store_col_*), whichever
 * driver runs. The drivers supply the primitives (store_int.h, struct
 * store_driver); nothing here knows which one it is.
 *
 * Ownership: row values are copied into the caller's arena before the
 * driver moves to the next row.
 */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_int.h"

enum mtag_err store_with_conn(struct store *s, bool retry, store_conn_fn fn, void *ctx)
{
	enum mtag_err e;

	for (int attempt = 0;; attempt++) {
		struct store_pool_slot *slot = NULL;
		struct store_conn c = { s, NULL, false };

		e = store_pool_acquire(&s->pool, &slot);
		if (e)
			return e;
		c.db = slot->conn;
		e = fn(&c, ctx);
		c.broken = c.broken || !s->drv->reusable(&c);
		store_pool_return(&s->pool, slot, c.broken);
		if (e != ERR_UNAVAILABLE || !c.broken || !retry || attempt > 0)
			return e;
		log_info("store.retry", "driver=%s reason=connection_lost", s->drv->name);
	}
}

enum mtag_err store_in_tx(struct store_conn *c, const char *op, enum store_tx_kind kind,
			  store_conn_fn fn, void *ctx)
{
	const struct store_driver *d = c->s->drv;
	enum mtag_err e = d->begin(c, op, kind);

	if (!e)
		e = fn(c, ctx);
	if (!e)
		e = d->commit(c, op);
	if (e)
		d->rollback(c);
	return e;
}

/* A transaction for store_tx_fn. */
struct store_txn {
	const char *op;
	enum store_tx_kind kind;
	store_conn_fn fn;
	void *ctx;
};

static enum mtag_err store_tx_fn(struct store_conn *c, void *ctx)
{
	struct store_txn *t = ctx;
	return store_in_tx(c, t->op, t->kind, t->fn, t->ctx);
}

enum mtag_err store_tx(struct store *s, const char *op, enum store_tx_kind kind,
		       store_conn_fn fn, void *ctx)
{
	struct store_txn t = { op, kind, fn, ctx };
	return store_with_conn(s, kind == STORE_TX_SNAPSHOT, store_tx_fn, &t);
}

enum mtag_err store_exec(struct store_conn *c, const char *op, const char *sql,
			 const struct store_param *p, int n, int *changes)
{
	int count = 0;
	enum mtag_err e = c->s->drv->exec(c, op, sql, p, n, &count);

	if (changes)
		*changes = e ? 0 : count;
	return e;
}

/* The reader and the target of store_one. */
struct store_first {
	store_row_fn fn;
	void *out;
	bool found; /* OUT */
};

static enum mtag_err store_first_each(struct store_row *r, void *ctx)
{
	struct store_first *f = ctx;

	f->found = true;
	return f->fn(r, f->out);
}

enum mtag_err store_one(struct store_conn *c, struct arena *a, const char *op, const char *sql,
			const struct store_param *p, int n, store_row_fn fn, void *out)
{
	struct store_first f = { fn, out, false };
	enum mtag_err e = c->s->drv->query(c, op, sql, p, n, a, 1, store_first_each, &f);

	return e ? e : f.found ? ERR_OK : ERR_NOT_FOUND;
}

/* The growing array of store_many, in the arena. */
struct store_rows {
	struct arena *a;
	store_row_fn fn;
	size_t size;
	char *arr;
	size_t cap, count; /* OUT: count */
};

static enum mtag_err store_rows_each(struct store_row *r, void *ctx)
{
	struct store_rows *l = ctx;
	enum mtag_err e;

	if (l->count == l->cap) { /* grow by doubling; the old array stays in the arena */
		size_t cap = l->cap ? 2 * l->cap : 16;
		char *bigger = arena_calloc(l->a, cap, l->size);
		if (l->count)
			memcpy(bigger, l->arr, l->count * l->size);
		l->arr = bigger;
		l->cap = cap;
	}
	e = l->fn(r, l->arr + l->count * l->size);
	if (!e)
		l->count++;
	return e;
}

enum mtag_err store_many(struct store_conn *c, struct arena *a, const char *op,
			 const char *sql, const struct store_param *p, int n, store_row_fn fn,
			 size_t size, size_t max, void **out, size_t *count)
{
	struct store_rows l = { a, fn, size, NULL, 0, 0 };
	enum mtag_err e = c->s->drv->query(c, op, sql, p, n, a, max, store_rows_each, &l);

	*out = !e && l.count ? l.arr : NULL;
	*count = e ? 0 : l.count;
	return e;
}

/* One statement for the single-statement helpers below. */
struct store_stmt {
	struct arena *a;
	const char *op;
	const char *sql;
	const struct store_param *p;
	int n;
	store_row_fn fn;
	size_t size, max;
	void *out;    /* a row (read_one); OUT: an array (read_many) */
	size_t count; /* OUT: rows read */
	int changes;  /* OUT: rows written */
};

static enum mtag_err store_write_fn(struct store_conn *c, void *ctx)
{
	struct store_stmt *q = ctx;
	return store_exec(c, q->op, q->sql, q->p, q->n, &q->changes);
}

enum mtag_err store_write(struct store *s, const char *op, const char *sql,
			  const struct store_param *p, int n, int *changes)
{
	struct store_stmt q = { .op = op, .sql = sql, .p = p, .n = n };
	enum mtag_err e = store_tx(s, op, STORE_TX_ONE, store_write_fn, &q);

	if (changes)
		*changes = e ? 0 : q.changes;
	return e;
}

static enum mtag_err store_read_one_fn(struct store_conn *c, void *ctx)
{
	struct store_stmt *q = ctx;
	return store_one(c, q->a, q->op, q->sql, q->p, q->n, q->fn, q->out);
}

enum mtag_err store_read_one(struct store *s, struct arena *a, const char *op, const char *sql,
			     const struct store_param *p, int n, store_row_fn fn, void *out)
{
	struct store_stmt q = { .a = a, .op = op, .sql = sql, .p = p, .n = n, .fn = fn, .out = out };
	return store_with_conn(s, true, store_read_one_fn, &q);
}

static enum mtag_err store_read_many_fn(struct store_conn *c, void *ctx)
{
	struct store_stmt *q = ctx;
	return store_many(c, q->a, q->op, q->sql, q->p, q->n, q->fn, q->size, q->max, &q->out,
			  &q->count);
}

enum mtag_err store_read_many(struct store *s, struct arena *a, const char *op,
			      const char *sql, const struct store_param *p, int n,
			      store_row_fn fn, size_t size, size_t max, void **out, size_t *count)
{
	struct store_stmt q = { .a = a, .op = op, .sql = sql, .p = p, .n = n, .fn = fn,
				.size = size, .max = max };
	enum mtag_err e = store_with_conn(s, true, store_read_many_fn, &q);

	*out = e ? NULL : q.out;
	*count = e ? 0 : q.count;
	return e;
}

/* ---- the row reader ---- */

const char *store_col_text(struct store_row *r, int i)
{
	size_t len = 0;
	const char *t = r->drv->col_raw(r, i, &len);

	return t ? arena_strndup(r->a, t, len) : NULL;
}

int64_t store_col_int(struct store_row *r, int i)
{
	return r->drv->col_int(r, i);
}

bool store_col_bool(struct store_row *r, int i)
{
	return r->drv->col_bool(r, i);
}

double store_col_double(struct store_row *r, int i)
{
	return r->drv->col_double(r, i);
}

/*
 * Both drivers give a time as ISO-8601 text: SQLite stores it so
 * ("2026-11-29T03:51:41.123456Z"), PostgreSQL prints a timestamptz so in
 * session time zone UTC and DateStyle ISO ("2026-11-29 03:51:41.123456+00",
 * exact to the microsecond). clock_parse_iso reads both.
 */
int64_t store_col_time(struct store_row *r, int i)
{
	size_t len = 0;
	const char *t = r->drv->col_raw(r, i, &len);
	int64_t us = 0;

	if (t && !clock_parse_iso(t, &us))
		r->bad = true;
	return us;
}

void store_col_uuid(struct store_row *r, int i, char out[UUID_STR_LEN])
{
	size_t len = 0;
	const char *t = r->drv->col_raw(r, i, &len);

	out[0] = '\0';
	if (t && !store_copy_uuid(out, t))
		r->bad = true;
}

enum mtag_err store_row_done(struct store_row *r, const char *table)
{
	if (!r->bad)
		return ERR_OK;
	log_error("store.bad_row", "driver=%s table=%s", r->drv->name, table);
	return ERR_INTERNAL;
}

enum mtag_err store_row_int(struct store_row *r, void *out)
{
	*(int *)out = (int)store_col_int(r, 0);
	return store_row_done(r, "(value)");
}

enum mtag_err store_row_text(struct store_row *r, void *out)
{
	*(const char **)out = store_col_text(r, 0);
	return store_row_done(r, "(value)");
}
