/*
 * store.c - choosing the driver, and the input rules every operation applies.
 *
 * The rules both databases must agree on are applied by each operation
 * before any SQL runs, with the helpers here: ids are canonical UUIDs,
 * written in lower case (PostgreSQL's uuid type would do it, SQLite's TEXT
 * would not); a malformed id never reaches a database; all text is UTF-8
 * (PostgreSQL refuses anything else, SQLite would keep it); lists bind at
 * most STORE_LIST_CAP.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static const struct {
	const char *prefix;
	const struct store_driver *drv;
} drivers[] = {
	{ "sqlite://", &store_sqlite_driver },
	{ "postgresql://", &store_pg_driver },
	{ "postgres://", &store_pg_driver },
};

enum mtag_err store_open(const char *url, int pool_size, struct store **out,
			 char *err, size_t errlen)
{
	*out = NULL;
	if (pool_size < 1 || pool_size > STORE_POOL_MAX) {
		snprintf(err, errlen, "database pool size must be between 1 and %d", STORE_POOL_MAX);
		return ERR_VALIDATION;
	}
	for (size_t i = 0; url && i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strncmp(url, drivers[i].prefix, strlen(drivers[i].prefix)))
			return drivers[i].drv->open(url, pool_size, out, err, errlen);
	snprintf(err, errlen, "database URL must start with sqlite://, postgresql:// or postgres://");
	return ERR_VALIDATION;
}

void store_close(struct store *s)
{
	if (s)
		s->drv->close(s);
}

const char *store_driver_name(const struct store *s)
{
	return s->drv->name;
}

enum mtag_err store_ping(struct store *s)
{
	int one = 0;
	enum mtag_err e = store_read_one(s, NULL, "ping", "SELECT 1", NULL, 0, store_row_int, &one);

	return e ? ERR_UNAVAILABLE : ERR_OK;
}

bool store_copy_uuid(char out[UUID_STR_LEN], const char *s)
{
	if (!s || !uuid_valid(s)) {
		out[0] = '\0';
		return false;
	}
	for (int i = 0; i < UUID_STR_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return true;
}

bool store_owner_copy(char out[UUID_STR_LEN], const char *s)
{
	if (s[0] == '\0') {
		out[0] = '\0';
		return true;
	}
	return store_copy_uuid(out, s);
}

enum mtag_err store_owner_scope(enum mtag_err e, const char *owner, const char *row_owner,
				void *out, size_t size)
{
	if (e || !owner || !strcmp(owner, row_owner))
		return e;
	memset(out, 0, size);
	return ERR_NOT_FOUND;
}

size_t store_list_cap(size_t n)
{
	return n > (size_t)STORE_LIST_CAP ? (size_t)STORE_LIST_CAP : n;
}
