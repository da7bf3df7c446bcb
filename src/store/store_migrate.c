/*
 * store_migrate.c - the migration runner both drivers share.
 *
 * Migrations are SQL files embedded at build time (src/store/migrations/
 * <driver>/NNNN_name.sql, in file-name order; the DDL differs per database).
 * The runner parses each version and applies each file in a transaction of
 * its own on one connection, safe against a second process: the write lock
 * (SQLite's BEGIN IMMEDIATE) or the dialect's migration lock (PostgreSQL's
 * advisory lock) first, then a look at schema_migrations.
 */
#include <stdbool.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store_int.h"

/* The version of "NNNN_name.sql": its leading digits; 0 when the name has none. */
static int migration_version(const char *name)
{
	long v = 0;
	const char *p = name;

	while (*p >= '0' && *p <= '9' && v < 1000000)
		v = v * 10 + (*p++ - '0');
	if (p == name || *p != '_' || v >= 1000000)
		return 0;
	return (int)v;
}

enum mtag_err store_migrate_each(const struct embed_file *table, store_migration_fn fn,
				 void *ctx, int *applied)
{
	enum mtag_err e = ERR_OK;
	int count = 0, last = 0;

	for (const struct embed_file *f = table; f && f->name; f++) {
		struct store_migration m = { migration_version(f->name), f->name,
					     (const char *)f->data };
		bool done = false;

		if (m.version <= last) {
			log_error("store.migrate.bad_name", "file=%s previous=%d", f->name, last);
			e = ERR_INTERNAL;
			goto out;
		}
		last = m.version;
		e = fn(ctx, &m, &done);
		if (e) {
			log_error("store.migrate.failed", "version=%d file=%s err=%s", m.version,
				  f->name, err_name(e));
			goto out;
		}
		if (done) {
			log_info("store.migrate.applied", "version=%d file=%s", m.version, f->name);
			count++;
		}
	}
out:
	if (applied)
		*applied = count;
	return e;
}

int store_migrate_latest(const struct embed_file *table)
{
	int latest = 0;

	for (const struct embed_file *f = table; f && f->name; f++) {
		int v = migration_version(f->name);
		if (v > latest)
			latest = v;
	}
	return latest;
}

/* One migration for store_migrate_tx. */
struct store_migrate_step {
	const struct store_migration *m;
	bool applied; /* OUT */
};

static enum mtag_err store_migrate_tx(struct store_conn *c, void *ctx)
{
	struct store_migrate_step *st = ctx;
	const struct store_dialect *d = c->s->drv->dialect;
	struct store_param p[] = { STORE_INT(st->m->version), STORE_TEXT(st->m->name),
				   STORE_TIME(clock_now_us()) };
	int one = 0;
	enum mtag_err e = ERR_OK;

	/* A second process waits here (or at BEGIN IMMEDIATE), then sees the row. */
	if (d->migrations_lock)
		e = store_exec(c, "migrate", d->migrations_lock, NULL, 0, NULL);
	if (!e)
		e = store_exec(c, "migrate", d->migrations_table, NULL, 0, NULL);
	if (!e)
		e = store_one(c, NULL, "migrate", "SELECT 1 FROM schema_migrations WHERE version = $1",
			      p, 1, store_row_int, &one);
	if (e != ERR_NOT_FOUND)
		return e; /* recorded already, or failed */
	e = c->s->drv->script(c, "migrate", st->m->sql);
	if (!e)
		e = store_exec(c, "migrate", "INSERT INTO schema_migrations (version, name, applied_at)"
			       " VALUES ($1, $2, $3)", p, 3, NULL);
	st->applied = !e;
	return e;
}

/* Apply one migration in its own write transaction unless it is recorded. */
static enum mtag_err store_migrate_apply(void *ctx, const struct store_migration *m,
					 bool *applied)
{
	struct store_migrate_step st = { m, false };
	enum mtag_err e = store_in_tx(ctx, "migrate", STORE_TX_WRITE, store_migrate_tx, &st);

	*applied = !e && st.applied;
	return e;
}

/* Output of store_migrate_fn. */
struct store_migrate_run {
	int applied;
};

static enum mtag_err store_migrate_fn(struct store_conn *c, void *ctx)
{
	struct store_migrate_run *run = ctx;
	return store_migrate_each(c->s->drv->dialect->migrations, store_migrate_apply, c,
				  &run->applied);
}

enum mtag_err store_migrate(struct store *s, int *applied)
{
	struct store_migrate_run run = { 0 };
	enum mtag_err e = store_with_conn(s, false, store_migrate_fn, &run);

	if (applied)
		*applied = run.applied;
	return e;
}

enum mtag_err store_schema_version(struct store *s, int *version)
{
	int exists = 0;
	enum mtag_err e;

	*version = 0;
	e = store_read_one(s, NULL, "schema_version", s->drv->dialect->migrations_exist, NULL, 0,
			   store_row_int, &exists);
	if (!e && exists)
		e = store_read_one(s, NULL, "schema_version",
				   "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL, 0,
				   store_row_int, version);
	return e;
}
