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

/* ---- accounts and sessions ---- */

/* A list size or offset as bound to SQL: at most STORE_LIST_CAP. */
static size_t list_cap(size_t n)
{
	return n > (size_t)STORE_LIST_CAP ? (size_t)STORE_LIST_CAP : n;
}

enum store_rotation_outcome store_rotation_decide(const struct store_token_state *t,
						  const struct store_rotation *r)
{
	if (t->session_revoked_at || t->revoked_at || t->session_expires_at <= r->now ||
	    t->expires_at <= r->now || !t->user_active)
		return STORE_DEAD;
	if (!t->rotated_at)
		return STORE_ROTATED;
	/* A grace of 0 (or less) is none: even a same-microsecond repeat is a reuse. */
	if (r->grace_us > 0 && r->now - t->rotated_at <= r->grace_us && !t->next_rotated)
		return STORE_ROTATED_IN_GRACE;
	return STORE_REUSED;
}

enum mtag_err store_session_create(struct store *s, const struct store_session *ss,
				   const char *token_id, const char *token_sha256)
{
	struct store_session c = *ss;
	char tid[UUID_STR_LEN];

	if (!store_copy_uuid(c.id, ss->id) || !store_copy_uuid(c.user_id, ss->user_id) ||
	    !token_id || !store_copy_uuid(tid, token_id) || !token_sha256 ||
	    !utf8_ok(ss->user_agent) || !utf8_ok(ss->ip) || !utf8_ok(token_sha256))
		return ERR_BAD_REQUEST;
	return s->ops->session_create(s, &c, tid, token_sha256);
}

enum mtag_err store_session_check(struct store *s, struct arena *a, const char *session_id,
				  const char *user_id, int64_t now, struct store_user *user)
{
	char sid[UUID_STR_LEN], uid[UUID_STR_LEN];

	if (!store_copy_uuid(sid, session_id) || !store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	return s->ops->session_check(s, a, sid, uid, now, user);
}

enum mtag_err store_refresh_rotate(struct store *s, struct store_rotation *r)
{
	struct store_rotation c;
	enum mtag_err e;

	r->outcome = STORE_DEAD;
	r->user_id[0] = r->session_id[0] = '\0';
	c = *r;
	if (!r->old_sha256 || !utf8_ok(r->old_sha256))
		return ERR_NOT_FOUND;
	if (!store_copy_uuid(c.new_id, r->new_id) || !r->new_sha256 || !utf8_ok(r->new_sha256) ||
	    !utf8_ok(r->user_agent) || !utf8_ok(r->ip))
		return ERR_BAD_REQUEST;
	e = s->ops->refresh_rotate(s, &c);
	if (!e)
		r->outcome = c.outcome;
	/* Filled by the driver once the token is found ("" before), even if a write then failed. */
	memcpy(r->user_id, c.user_id, sizeof(r->user_id));
	memcpy(r->session_id, c.session_id, sizeof(r->session_id));
	return e;
}

enum mtag_err store_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				    char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN])
{
	user_id[0] = session_id[0] = '\0';
	if (!token_sha256 || !utf8_ok(token_sha256))
		return ERR_NOT_FOUND;
	return s->ops->refresh_session(s, token_sha256, now, user_id, session_id);
}

enum mtag_err store_session_revoke(struct store *s, const char *user_id, const char *session_id,
				   int64_t now)
{
	char uid[UUID_STR_LEN], sid[UUID_STR_LEN];

	if (!store_copy_uuid(uid, user_id) || !store_copy_uuid(sid, session_id))
		return ERR_NOT_FOUND;
	return s->ops->session_revoke(s, uid, sid, now);
}

enum mtag_err store_session_revoke_all(struct store *s, const char *user_id,
				       const char *except_id, int64_t now, int *count)
{
	char uid[UUID_STR_LEN], except[UUID_STR_LEN];
	int n = 0;
	enum mtag_err e;

	if (count)
		*count = 0;
	/* A malformed except_id is refused, not ignored: that would revoke the caller's own session. */
	if (!store_copy_uuid(uid, user_id) || (except_id && !store_copy_uuid(except, except_id)))
		return ERR_NOT_FOUND;
	e = s->ops->session_revoke_all(s, uid, except_id ? except : NULL, now, &n);
	if (!e && count)
		*count = n;
	return e;
}

enum mtag_err store_session_list(struct store *s, struct arena *a, const char *user_id,
				 int64_t now, size_t max, struct store_session **out, size_t *n)
{
	char uid[UUID_STR_LEN];

	*out = NULL;
	*n = 0;
	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!max)
		return ERR_OK;
	return s->ops->session_list(s, a, uid, now, list_cap(max), out, n);
}

enum mtag_err store_session_purge(struct store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum mtag_err e = s->ops->session_purge(s, now, &n);

	if (deleted)
		*deleted = e ? 0 : n;
	return e;
}

enum mtag_err store_user_set_password(struct store *s, const char *user_id, const char *hash,
				      int64_t now)
{
	char uid[UUID_STR_LEN];

	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!hash || !utf8_ok(hash))
		return ERR_BAD_REQUEST;
	return s->ops->user_set_password(s, uid, hash, now);
}

enum mtag_err store_user_set_flags(struct store *s, const char *user_id, bool is_active,
				   bool is_admin, int64_t now)
{
	char uid[UUID_STR_LEN];

	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	return s->ops->user_set_flags(s, uid, is_active, is_admin, now);
}

enum mtag_err store_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			      struct store_user **out, size_t *n, size_t *total)
{
	size_t all = 0;
	enum mtag_err e;

	*out = NULL;
	*n = 0;
	e = s->ops->user_list(s, a, list_cap(limit), list_cap(offset), out, n, &all);
	if (e) {
		*out = NULL;
		*n = 0;
	}
	if (total)
		*total = e ? 0 : all;
	return e;
}

enum mtag_err store_audit_add(struct store *s, const struct store_audit *ev)
{
	struct store_audit c = *ev;

	if (!store_copy_uuid(c.id, ev->id) || !owner_copy(c.user_id, ev->user_id) ||
	    !ev->event || !ev->event[0] || !utf8_ok(ev->event) || !utf8_ok(ev->ip) ||
	    !utf8_ok(ev->detail))
		return ERR_BAD_REQUEST;
	if (!c.detail)
		c.detail = "{}";
	return s->ops->audit_add(s, &c);
}

enum mtag_err store_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			       struct store_audit **out, size_t *n)
{
	char uid[UUID_STR_LEN];

	*out = NULL;
	*n = 0;
	if (user_id && !store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!max)
		return ERR_OK;
	return s->ops->audit_list(s, a, user_id ? uid : NULL, list_cap(max), out, n);
}
