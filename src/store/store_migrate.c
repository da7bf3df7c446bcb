/*
 * store_migrate.c - the migration runner both drivers share.
 *
 * Migrations are SQL files embedded at build time (src/store/migrations/
 * <driver>/NNNN_name.sql, in file-name order). The runner parses each version
 * and hands the files to the driver one by one; the driver makes each one
 * safe against a second process (a lock taken inside its transaction, then a
 * look at schema_migrations).
 */
#include <stdbool.h>
#include <string.h>

#include "base/log.h"
#include "store_int.h"
#include "base/xalloc.h"

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
