/*
 * store_sqlite_auth.c - sessions, refresh tokens, the audit log and user
 * administration on SQLite (the store_ops of issue 3).
 *
 * A write that reads first (a rotation, a purge) runs in one BEGIN IMMEDIATE
 * transaction: it holds the database's one write lock from its first read,
 * so two refreshes of the same token are serialised and the second sees the
 * first's rotation. Times compare as TEXT (one fixed-width format).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <string.h>

#include "store_sqlite_int.h"

/* A session and its first token, for sqd_session_create_fn. */
struct sqd_session_new {
	const struct store_session *ss;
	const char *token_id, *token_sha256;
};

static enum mtag_err sqd_session_create_fn(sqlite3 *db, void *ctx)
{
	const struct sqd_session_new *c = ctx;
	const struct store_session *ss = c->ss;
	struct store_param ps[] = {
		STORE_TEXT(ss->id), STORE_TEXT(ss->user_id), STORE_TEXT(ss->user_agent),
		STORE_TEXT(ss->ip), STORE_TIME(ss->created_at), STORE_TIME(ss->last_used_at),
		STORE_TIME(ss->expires_at), STORE_TIME_OR_NULL(ss->revoked_at),
	};
	struct store_param pt[] = {
		STORE_TEXT(c->token_id), STORE_TEXT(ss->user_id), STORE_TEXT(ss->id),
		STORE_TEXT(c->token_sha256), STORE_TIME(ss->expires_at), STORE_TIME(ss->created_at),
	};
	enum mtag_err e;

	e = sqd_run(db, "session_create",
		    "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at,"
		    " expires_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", ps, 8, NULL);
	if (!e)
		e = sqd_run(db, "session_create",
			    "INSERT INTO refresh_tokens (id, user_id, session_id, token_sha256,"
			    " expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", pt, 6, NULL);
	return e;
}

enum mtag_err sqd_session_create(struct store *s, const struct store_session *ss,
				 const char *token_id, const char *token_sha256)
{
	struct sqd_session_new c = { ss, token_id, token_sha256 };

	return sqd_tx((struct sqd_store *)s, "session_create", true, sqd_session_create_fn, &c);
}

enum mtag_err sqd_session_check(struct store *s, struct arena *a, const char *session_id,
				const char *user_id, int64_t now, struct store_user *user)
{
	struct store_param p[] = { STORE_TEXT(session_id), STORE_TEXT(user_id), STORE_TIME(now) };

	/* Both primary keys: two index lookups, on every authenticated request. */
	return sqd_read_one((struct sqd_store *)s, a, "session_check",
			    "SELECT " SQD_USER_COLS("u.") " FROM sessions s"
			    " JOIN users u ON u.id = s.user_id"
			    " WHERE s.id = ?1 AND s.user_id = ?2 AND s.revoked_at IS NULL"
			    " AND s.expires_at > ?3 AND u.is_active = 1", p, 3, sqd_row_user, user);
}

/* The token presented, its session, its user and its replacement, for store_rotation_decide. */
#define SQD_TOKEN_STATE                                                                   \
	"SELECT t.id, t.session_id, s.user_id, t.expires_at, t.revoked_at, t.rotated_at,"  \
	" n.id IS NULL OR n.rotated_at IS NOT NULL, s.expires_at, s.revoked_at, u.is_active" \
	" FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"                    \
	" JOIN users u ON u.id = s.user_id"                                                \
	" LEFT JOIN refresh_tokens n ON n.id = t.replaced_by"                              \
	" WHERE t.token_sha256 = ?1"

static enum mtag_err sqd_row_token_state(struct sqd_row *r, void *out)
{
	struct store_token_state *t = out;

	sqd_uuid(r, 0, t->token_id);
	sqd_uuid(r, 1, t->session_id);
	sqd_uuid(r, 2, t->user_id);
	t->expires_at = sqd_time(r, 3);
	t->revoked_at = sqd_time(r, 4);
	t->rotated_at = sqd_time(r, 5);
	t->next_rotated = sqlite3_column_int(r->st, 6) != 0;
	t->session_expires_at = sqd_time(r, 7);
	t->session_revoked_at = sqd_time(r, 8);
	t->user_active = sqlite3_column_int(r->st, 9) != 0;
	return sqd_row_done(r, "refresh_tokens");
}

/* Write what r->outcome says about the token t (store.h, store_refresh_rotate). */
static enum mtag_err sqd_rotate_write(sqlite3 *db, const struct store_token_state *t,
				      const struct store_rotation *r)
{
	struct store_param pm[] = { STORE_TEXT(t->token_id), STORE_TIME(r->now), STORE_TEXT(r->new_id) };
	struct store_param pt[] = {
		STORE_TEXT(r->new_id), STORE_TEXT(t->user_id), STORE_TEXT(t->session_id),
		STORE_TEXT(r->new_sha256), STORE_TIME(r->expires_at), STORE_TIME(r->now),
	};
	struct store_param ps[] = {
		STORE_TEXT(t->session_id), STORE_TIME(r->now), STORE_TIME(r->expires_at),
		STORE_TEXT(r->user_agent), STORE_TEXT(r->ip),
	};
	enum mtag_err e = ERR_OK;

	if (r->outcome == STORE_DEAD)
		return ERR_OK;
	if (r->outcome == STORE_REUSED)
		return sqd_run(db, "refresh_rotate", "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1",
			       ps, 2, NULL);
	if (r->outcome == STORE_ROTATED)
		e = sqd_run(db, "refresh_rotate", "UPDATE refresh_tokens SET rotated_at = ?2,"
			    " replaced_by = ?3 WHERE id = ?1", pm, 3, NULL);
	if (!e)
		e = sqd_run(db, "refresh_rotate",
			    "INSERT INTO refresh_tokens (id, user_id, session_id, token_sha256,"
			    " expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", pt, 6, NULL);
	if (!e)
		e = sqd_run(db, "refresh_rotate",
			    "UPDATE sessions SET last_used_at = ?2, expires_at = ?3,"
			    " user_agent = coalesce(?4, user_agent), ip = coalesce(?5, ip)"
			    " WHERE id = ?1", ps, 5, NULL);
	return e;
}

static enum mtag_err sqd_rotate_fn(sqlite3 *db, void *ctx)
{
	struct store_rotation *r = ctx;
	struct store_param p[] = { STORE_TEXT(r->old_sha256) };
	struct store_token_state t;
	enum mtag_err e;

	memset(&t, 0, sizeof(t));
	e = sqd_one(db, NULL, "refresh_rotate", SQD_TOKEN_STATE, p, 1, sqd_row_token_state, &t);
	if (e)
		return e;
	memcpy(r->user_id, t.user_id, sizeof(r->user_id));
	memcpy(r->session_id, t.session_id, sizeof(r->session_id));
	r->outcome = store_rotation_decide(&t, r);
	return sqd_rotate_write(db, &t, r);
}

enum mtag_err sqd_refresh_rotate(struct store *s, struct store_rotation *r)
{
	/* BEGIN IMMEDIATE: the read of the token state already holds the write lock. */
	return sqd_tx((struct sqd_store *)s, "refresh_rotate", true, sqd_rotate_fn, r);
}

/* Where store_refresh_session puts its row. */
struct sqd_ids {
	char *user_id, *session_id;
};

static enum mtag_err sqd_row_ids(struct sqd_row *r, void *out)
{
	struct sqd_ids *ids = out;

	sqd_uuid(r, 0, ids->user_id);
	sqd_uuid(r, 1, ids->session_id);
	return sqd_row_done(r, "sessions");
}

enum mtag_err sqd_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				  char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN])
{
	struct store_param p[] = { STORE_TEXT(token_sha256), STORE_TIME(now) };
	struct sqd_ids ids = { user_id, session_id };
	enum mtag_err e;

	e = sqd_read_one((struct sqd_store *)s, NULL, "refresh_session",
			 "SELECT s.user_id, s.id FROM refresh_tokens t"
			 " JOIN sessions s ON s.id = t.session_id"
			 " WHERE t.token_sha256 = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2"
			 " AND s.revoked_at IS NULL AND s.expires_at > ?2", p, 2, sqd_row_ids, &ids);
	if (e)
		user_id[0] = session_id[0] = '\0';
	return e;
}

enum mtag_err sqd_session_revoke(struct store *s, const char *user_id, const char *session_id,
				 int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TEXT(session_id), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = sqd_write_count((struct sqd_store *)s, "session_revoke",
			    "UPDATE sessions SET revoked_at = ?3 WHERE id = ?2 AND user_id = ?1"
			    " AND revoked_at IS NULL AND expires_at > ?3", p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err sqd_session_revoke_all(struct store *s, const char *user_id,
				     const char *except_id, int64_t now, int *count)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TIME(now), STORE_TEXT(except_id) };

	/* id IS NOT NULL is true for every row: no except_id, no exception. */
	return sqd_write_count((struct sqd_store *)s, "session_revoke_all",
			       "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1"
			       " AND revoked_at IS NULL AND expires_at > ?2 AND id IS NOT ?3",
			       p, 3, count);
}

static enum mtag_err sqd_row_session(struct sqd_row *r, void *out)
{
	struct store_session *ss = out;

	sqd_uuid(r, 0, ss->id);
	sqd_uuid(r, 1, ss->user_id);
	ss->user_agent = sqd_text(r, 2);
	ss->ip = sqd_text(r, 3);
	ss->created_at = sqd_time(r, 4);
	ss->last_used_at = sqd_time(r, 5);
	ss->expires_at = sqd_time(r, 6);
	ss->revoked_at = sqd_time(r, 7);
	return sqd_row_done(r, "sessions");
}

/* A query of many rows for sqd_many_fn, run by sqd_tx. */
struct sqd_list {
	struct arena *a;
	const char *op;
	const char *sql;
	const struct store_param *p;
	int n;
	sqd_row_fn fn;
	size_t size, max;
	void *out;    /* OUT */
	size_t count; /* OUT */
};

static enum mtag_err sqd_many_fn(sqlite3 *db, void *ctx)
{
	struct sqd_list *l = ctx;
	return sqd_many(db, l->a, l->op, l->sql, l->p, l->n, l->fn, l->size, l->max, &l->out,
			&l->count);
}

/* Run the query of l (one statement, no transaction needed) on a pooled connection. */
static enum mtag_err sqd_read_list(struct sqd_store *s, struct sqd_list *l)
{
	struct store_pool_slot *slot = NULL;
	enum mtag_err e = store_pool_acquire(&s->pool, &slot);

	if (!e)
		e = sqd_many_fn(slot->conn, l);
	store_pool_return(&s->pool, slot, false);
	return e;
}

enum mtag_err sqd_session_list(struct store *s, struct arena *a, const char *user_id,
			       int64_t now, size_t max, struct store_session **out, size_t *n)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TIME(now), STORE_INT(max) };
	struct sqd_list l = {
		a, "session_list",
		"SELECT id, user_id, user_agent, ip, created_at, last_used_at, expires_at, revoked_at"
		" FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2"
		" ORDER BY last_used_at DESC, id DESC LIMIT ?3",
		p, 3, sqd_row_session, sizeof(**out), max, NULL, 0,
	};
	enum mtag_err e = sqd_read_list((struct sqd_store *)s, &l);

	*out = e ? NULL : l.out;
	*n = e ? 0 : l.count;
	return e;
}

/* The time of a purge, and what it deleted. */
struct sqd_purge {
	int64_t now;
	int deleted; /* OUT */
};

static enum mtag_err sqd_purge_fn(sqlite3 *db, void *ctx)
{
	struct sqd_purge *pg = ctx;
	struct store_param p[] = { STORE_TIME(pg->now), STORE_TIME(pg->now - STORE_REVOKED_KEEP_US) };
	int tokens = 0, sessions = 0;
	enum mtag_err e;

	/* The tokens of doomed sessions first, so the count has them (a cascade would not). */
	e = sqd_run_count(db, "session_purge",
			  "DELETE FROM refresh_tokens WHERE expires_at <= ?1 OR session_id IN"
			  " (SELECT id FROM sessions WHERE expires_at <= ?1 OR revoked_at < ?2)",
			  p, 2, &tokens);
	if (!e)
		e = sqd_run_count(db, "session_purge",
				  "DELETE FROM sessions WHERE expires_at <= ?1 OR revoked_at < ?2",
				  p, 2, &sessions);
	pg->deleted = tokens + sessions;
	return e;
}

enum mtag_err sqd_session_purge(struct store *s, int64_t now, int *deleted)
{
	struct sqd_purge pg = { now, 0 };
	enum mtag_err e = sqd_tx((struct sqd_store *)s, "session_purge", true, sqd_purge_fn, &pg);

	*deleted = e ? 0 : pg.deleted;
	return e;
}

enum mtag_err sqd_user_set_password(struct store *s, const char *user_id, const char *hash,
				    int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TEXT(hash), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = sqd_write_count((struct sqd_store *)s, "user_set_password",
			    "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
			    p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err sqd_user_set_flags(struct store *s, const char *user_id, bool is_active,
				 bool is_admin, int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_BOOL(is_active), STORE_BOOL(is_admin),
				   STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = sqd_write_count((struct sqd_store *)s, "user_set_flags",
			    "UPDATE users SET is_active = ?2, is_admin = ?3, updated_at = ?4"
			    " WHERE id = ?1", p, 4, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

/* The page and the total of store_user_list, read in one snapshot. */
struct sqd_user_page {
	struct sqd_list page;
	int total; /* OUT */
};

static enum mtag_err sqd_user_page_fn(sqlite3 *db, void *ctx)
{
	struct sqd_user_page *u = ctx;
	enum mtag_err e = sqd_one(db, NULL, "user_list", "SELECT count(*) FROM users", NULL, 0,
				  sqd_row_int, &u->total);

	return e ? e : sqd_many_fn(db, &u->page);
}

enum mtag_err sqd_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			    struct store_user **out, size_t *n, size_t *total)
{
	struct store_param p[] = { STORE_INT(limit), STORE_INT(offset) };
	struct sqd_user_page u = {
		{ a, "user_list",
		  "SELECT " SQD_USER_COLS("") " FROM users ORDER BY email, id LIMIT ?1 OFFSET ?2",
		  p, 2, sqd_row_user, sizeof(**out), limit, NULL, 0 },
		0,
	};
	enum mtag_err e = sqd_tx((struct sqd_store *)s, "user_list", false, sqd_user_page_fn, &u);

	*out = e ? NULL : u.page.out;
	*n = e ? 0 : u.page.count;
	*total = e || u.total < 0 ? 0 : (size_t)u.total;
	return e;
}

enum mtag_err sqd_audit_add(struct store *s, const struct store_audit *ev)
{
	struct store_param p[] = {
		STORE_TEXT(ev->id), STORE_OWNER(ev->user_id), STORE_TEXT(ev->event),
		STORE_TEXT(ev->ip), STORE_TEXT(ev->detail), STORE_TIME(ev->created_at),
	};
	return sqd_write_count((struct sqd_store *)s, "audit_add",
			       "INSERT INTO audit_log (id, user_id, event, ip, detail, created_at)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", p, 6, NULL);
}

static enum mtag_err sqd_row_audit(struct sqd_row *r, void *out)
{
	struct store_audit *ev = out;

	sqd_uuid(r, 0, ev->id);
	sqd_uuid(r, 1, ev->user_id);
	ev->event = sqd_text(r, 2);
	ev->ip = sqd_text(r, 3);
	ev->detail = sqd_text(r, 4);
	ev->created_at = sqd_time(r, 5);
	return sqd_row_done(r, "audit_log");
}

#define SQD_AUDIT_SELECT "SELECT id, user_id, event, ip, detail, created_at FROM audit_log "

enum mtag_err sqd_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			     struct store_audit **out, size_t *n)
{
	struct store_param p[] = { STORE_INT(max), STORE_TEXT(user_id) };
	struct sqd_list l = {
		a, "audit_list",
		user_id ? SQD_AUDIT_SELECT "WHERE user_id = ?2 ORDER BY created_at DESC, id DESC LIMIT ?1"
			: SQD_AUDIT_SELECT "ORDER BY created_at DESC, id DESC LIMIT ?1",
		p, user_id ? 2 : 1, sqd_row_audit, sizeof(**out), max, NULL, 0,
	};
	enum mtag_err e = sqd_read_list((struct sqd_store *)s, &l);

	*out = e ? NULL : l.out;
	*n = e ? 0 : l.count;
	return e;
}
