/*
 * store.c - the public store_* functions: choose the driver, check inputs.
 *
 * Every rule both drivers must agree on is applied here, once, before a
 * driver runs: ids are canonical UUIDs, written in lower case (PostgreSQL's
 * uuid type would do it, SQLite's TEXT would not); a malformed id never
 * reaches a database; required strings are present and all text is UTF-8
 * (PostgreSQL refuses anything else, SQLite would keep it); NULL JSON fields
 * get their defaults; owner scoping of the gets compares the row's user_id.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "base/xalloc.h"

static const struct {
	const char *prefix;
	const struct store_ops *ops;
} drivers[] = {
	{ "sqlite://", &store_sqlite_ops },
	{ "postgresql://", &store_pg_ops },
	{ "postgres://", &store_pg_ops },
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
			return drivers[i].ops->open(url, pool_size, out, err, errlen);
	snprintf(err, errlen, "database URL must start with sqlite://, postgresql:// or postgres://");
	return ERR_VALIDATION;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

const char *store_driver_name(const struct store *s)
{
	return s->ops->name;
}

enum mtag_err store_ping(struct store *s)
{
	return s->ops->ping(s);
}

enum mtag_err store_migrate(struct store *s, int *applied)
{
	if (applied)
		*applied = 0;
	return s->ops->migrate(s, applied);
}

enum mtag_err store_schema_version(struct store *s, int *version)
{
	*version = 0;
	return s->ops->schema_version(s, version);
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

/* True when s is NULL or well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		unsigned c = *p++, need, min;
		unsigned long cp;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 0; i < need; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* A canonical owner: "" (anonymous) or a lower-cased UUID; false for anything else. */
static bool owner_copy(char out[UUID_STR_LEN], const char *s)
{
	if (s[0] == '\0') {
		out[0] = '\0';
		return true;
	}
	return store_copy_uuid(out, s);
}

enum mtag_err store_user_create(struct store *s, const struct store_user *u)
{
	struct store_user c = *u;

	if (!store_copy_uuid(c.id, u->id) || !u->email || !u->email[0] || !u->password_hash ||
	    !utf8_ok(u->email) || !utf8_ok(u->full_name) || !utf8_ok(u->password_hash))
		return ERR_BAD_REQUEST;
	return s->ops->user_create(s, &c);
}

enum mtag_err store_user_get(struct store *s, struct arena *a, const char *id,
			     struct store_user *out)
{
	char key[UUID_STR_LEN];

	if (!store_copy_uuid(key, id))
		return ERR_NOT_FOUND;
	return s->ops->user_get(s, a, key, out);
}

enum mtag_err store_user_get_by_email(struct store *s, struct arena *a, const char *email,
				      struct store_user *out)
{
	if (!email || !utf8_ok(email))
		return ERR_NOT_FOUND;
	return s->ops->user_get_by_email(s, a, email, out);
}

enum mtag_err store_job_create(struct store *s, const struct store_job *j)
{
	struct store_job c = *j;

	if (!store_copy_uuid(c.id, j->id) || !owner_copy(c.user_id, j->user_id) ||
	    !j->job_type || !j->status || !utf8_ok(j->options) || !utf8_ok(j->error_message))
		return ERR_BAD_REQUEST;
	if (!c.options)
		c.options = "{}";
	return s->ops->job_create(s, &c);
}

enum mtag_err store_job_get(struct store *s, struct arena *a, const char *id,
			    const char *owner, struct store_job *out)
{
	char key[UUID_STR_LEN], who[UUID_STR_LEN];
	enum mtag_err e;

	if (!store_copy_uuid(key, id) || (owner && !owner_copy(who, owner)))
		return ERR_NOT_FOUND;
	e = s->ops->job_get(s, a, key, out);
	if (!e && owner && strcmp(out->user_id, who) != 0) {
		memset(out, 0, sizeof(*out)); /* another owner's row is not shown */
		e = ERR_NOT_FOUND;
	}
	return e;
}

enum mtag_err store_document_create(struct store *s, const struct store_document *d)
{
	struct store_document c = *d;

	if (!store_copy_uuid(c.id, d->id) || !store_copy_uuid(c.job_id, d->job_id) ||
	    !owner_copy(c.user_id, d->user_id) || !d->status)
		return ERR_BAD_REQUEST;
	if (!utf8_ok(d->source_url) || !utf8_ok(d->filename) || !utf8_ok(d->title) ||
	    !utf8_ok(d->tags) || !utf8_ok(d->extracted_text) || !utf8_ok(d->metadata) ||
	    !utf8_ok(d->error_message))
		return ERR_BAD_REQUEST;
	if (!c.tags)
		c.tags = "[]";
	if (!c.metadata)
		c.metadata = "{}";
	return s->ops->document_create(s, &c);
}

enum mtag_err store_document_get(struct store *s, struct arena *a, const char *id,
				 const char *owner, struct store_document *out)
{
	char key[UUID_STR_LEN], who[UUID_STR_LEN];
	enum mtag_err e;

	if (!store_copy_uuid(key, id) || (owner && !owner_copy(who, owner)))
		return ERR_NOT_FOUND;
	e = s->ops->document_get(s, a, key, out);
	if (!e && owner && strcmp(out->user_id, who) != 0) {
		memset(out, 0, sizeof(*out)); /* another owner's row is not shown */
		e = ERR_NOT_FOUND;
	}
	return e;
}
