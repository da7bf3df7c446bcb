/*
 * store_pg_auth.c - sessions, refresh tokens, the audit log and user
 * administration on PostgreSQL (the store_ops of issue 3).
 *
 * Locks: a rotation locks the token's session row, then the token row
 * (SELECT ... FOR UPDATE), before it reads anything it decides on. Two
 * refreshes of one token - or of two tokens of one session - are serialised:
 * the second waits, then (READ COMMITTED: a new snapshot per statement) reads
 * what the first committed. Whoever deletes rows takes them in the same order
 * (the purge locks the sessions it deletes before their tokens), so no two
 * of these calls can deadlock.
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <string.h>

#include "store_pg_int.h"

/* A session and its first token, for pgd_session_create_fn. */
struct pgd_session_new {
	const struct store_session *ss;
	const char *token_id, *token_sha256;
};

static enum mtag_err pgd_session_create_fn(struct pgd_call *c, void *ctx)
{
	const struct pgd_session_new *n = ctx;
	const struct store_session *ss = n->ss;
	struct store_param ps[] = {
		STORE_TEXT(ss->id), STORE_TEXT(ss->user_id), STORE_TEXT(ss->user_agent),
		STORE_TEXT(ss->ip), STORE_TIME(ss->created_at), STORE_TIME(ss->last_used_at),
		STORE_TIME(ss->expires_at), STORE_TIME_OR_NULL(ss->revoked_at),
	};
	struct store_param pt[] = {
		STORE_TEXT(n->token_id), STORE_TEXT(ss->user_id), STORE_TEXT(ss->id),
		STORE_TEXT(n->token_sha256), STORE_TIME(ss->expires_at), STORE_TIME(ss->created_at),
	};
	enum mtag_err e;

	e = pgd_run(c, "session_create",
		    "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at,"
		    " expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", ps, 8, NULL);
	if (!e)
		e = pgd_run(c, "session_create",
			    "INSERT INTO refresh_tokens (id, user_id, session_id, token_sha256,"
			    " expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)", pt, 6, NULL);
	return e;
}

enum mtag_err pgd_session_create(struct store *s, const struct store_session *ss,
				 const char *token_id, const char *token_sha256)
{
	struct pgd_session_new n = { ss, token_id, token_sha256 };
	return pgd_tx(s, "session_create", "BEGIN", false, pgd_session_create_fn, &n);
}

enum mtag_err pgd_session_check(struct store *s, struct arena *a, const char *session_id,
				const char *user_id, int64_t now, struct store_user *user)
{
	struct store_param p[] = { STORE_TEXT(session_id), STORE_TEXT(user_id), STORE_TIME(now) };

	/* Both primary keys: two index lookups, on every authenticated request. */
	return pgd_read_one(s, a, "session_check",
			    "SELECT " PGD_USER_COLS("u.") " FROM sessions s"
			    " JOIN users u ON u.id = s.user_id"
			    " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"
			    " AND s.expires_at > $3 AND u.is_active", p, 3, pgd_row_user, user);
}

/* The token presented (locked), its session, user and replacement, for store_rotation_decide. */
#define PGD_TOKEN_STATE                                                                   \
	"SELECT t.id, t.session_id, s.user_id, " PGD_US("t.expires_at") ", "               \
	PGD_US("t.revoked_at") ", " PGD_US("t.rotated_at") ","                             \
	" n.id IS NULL OR n.rotated_at IS NOT NULL, " PGD_US("s.expires_at") ", "           \
	PGD_US("s.revoked_at") ", u.is_active"                                             \
	" FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"                    \
	" JOIN users u ON u.id = s.user_id"                                                \
	" LEFT JOIN refresh_tokens n ON n.id = t.replaced_by"                              \
	" WHERE t.token_sha256 = $1 FOR UPDATE OF t"

static enum mtag_err pgd_row_token_state(struct pgd_row *r, void *out)
{
	struct store_token_state *t = out;

	pgd_uuid(r, 0, t->token_id);
	pgd_uuid(r, 1, t->session_id);
	pgd_uuid(r, 2, t->user_id);
	t->expires_at = pgd_int(r, 3);
	t->revoked_at = pgd_int(r, 4);
	t->rotated_at = pgd_int(r, 5);
	t->next_rotated = pgd_bool(r, 6);
	t->session_expires_at = pgd_int(r, 7);
	t->session_revoked_at = pgd_int(r, 8);
	t->user_active = pgd_bool(r, 9);
	return pgd_row_done(r, "refresh_tokens");
}

/* Write what r->outcome says about the token t (store.h, store_refresh_rotate). */
static enum mtag_err pgd_rotate_write(struct pgd_call *c, const struct store_token_state *t,
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
		return pgd_run(c, "refresh_rotate", "UPDATE sessions SET revoked_at = $2 WHERE id = $1",
			       ps, 2, NULL);
	if (r->outcome == STORE_ROTATED)
		e = pgd_run(c, "refresh_rotate", "UPDATE refresh_tokens SET rotated_at = $2,"
			    " replaced_by = $3 WHERE id = $1", pm, 3, NULL);
	if (!e)
		e = pgd_run(c, "refresh_rotate",
			    "INSERT INTO refresh_tokens (id, user_id, session_id, token_sha256,"
			    " expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)", pt, 6, NULL);
	if (!e)
		e = pgd_run(c, "refresh_rotate",
			    "UPDATE sessions SET last_used_at = $2, expires_at = $3,"
			    " user_agent = coalesce($4, user_agent), ip = coalesce($5, ip)"
			    " WHERE id = $1", ps, 5, NULL);
	return e;
}

static enum mtag_err pgd_rotate_fn(struct pgd_call *c, void *ctx)
{
	struct store_rotation *r = ctx;
	struct store_param p[] = { STORE_TEXT(r->old_sha256) };
	struct store_token_state t;
	PGresult *res = NULL;
	enum mtag_err e;

	/* The session first (see the top of this file); no row: no such token. */
	e = pgd_run(c, "refresh_rotate",
		    "SELECT id FROM sessions WHERE id ="
		    " (SELECT session_id FROM refresh_tokens WHERE token_sha256 = $1) FOR UPDATE",
		    p, 1, &res);
	if (!e && PQntuples(res) < 1)
		e = ERR_NOT_FOUND;
	PQclear(res);
	memset(&t, 0, sizeof(t));
	if (!e)
		e = pgd_one(c, NULL, "refresh_rotate", PGD_TOKEN_STATE, p, 1, pgd_row_token_state, &t);
	if (e)
		return e;
	memcpy(r->user_id, t.user_id, sizeof(r->user_id));
	memcpy(r->session_id, t.session_id, sizeof(r->session_id));
	r->outcome = store_rotation_decide(&t, r);
	return pgd_rotate_write(c, &t, r);
}

enum mtag_err pgd_refresh_rotate(struct store *s, struct store_rotation *r)
{
	/* READ COMMITTED on purpose: after waiting for a lock, the next statement sees its holder's commit. */
	return pgd_tx(s, "refresh_rotate", "BEGIN", false, pgd_rotate_fn, r);
}

/* Where store_refresh_session puts its row. */
struct pgd_ids {
	char *user_id, *session_id;
};

static enum mtag_err pgd_row_ids(struct pgd_row *r, void *out)
{
	struct pgd_ids *ids = out;

	pgd_uuid(r, 0, ids->user_id);
	pgd_uuid(r, 1, ids->session_id);
	return pgd_row_done(r, "sessions");
}

enum mtag_err pgd_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				  char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN])
{
	struct store_param p[] = { STORE_TEXT(token_sha256), STORE_TIME(now) };
	struct pgd_ids ids = { user_id, session_id };
	enum mtag_err e;

	e = pgd_read_one(s, NULL, "refresh_session",
			 "SELECT s.user_id, s.id FROM refresh_tokens t"
			 " JOIN sessions s ON s.id = t.session_id"
			 " WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"
			 " AND s.revoked_at IS NULL AND s.expires_at > $2", p, 2, pgd_row_ids, &ids);
	if (e)
		user_id[0] = session_id[0] = '\0';
	return e;
}

enum mtag_err pgd_session_revoke(struct store *s, const char *user_id, const char *session_id,
				 int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TEXT(session_id), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = pgd_write_count(s, "session_revoke",
			    "UPDATE sessions SET revoked_at = $3 WHERE id = $2 AND user_id = $1"
			    " AND revoked_at IS NULL AND expires_at > $3", p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err pgd_session_revoke_all(struct store *s, const char *user_id,
				     const char *except_id, int64_t now, int *count)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TIME(now), STORE_TEXT(except_id) };

	/* id IS DISTINCT FROM NULL is true for every row: no except_id, no exception. */
	return pgd_write_count(s, "session_revoke_all",
			       "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1"
			       " AND revoked_at IS NULL AND expires_at > $2"
			       " AND id IS DISTINCT FROM $3::uuid", p, 3, count);
}

static enum mtag_err pgd_row_session(struct pgd_row *r, void *out)
{
	struct store_session *ss = out;

	pgd_uuid(r, 0, ss->id);
	pgd_uuid(r, 1, ss->user_id);
	ss->user_agent = pgd_text(r, 2);
	ss->ip = pgd_text(r, 3);
	ss->created_at = pgd_int(r, 4);
	ss->last_used_at = pgd_int(r, 5);
	ss->expires_at = pgd_int(r, 6);
	ss->revoked_at = pgd_int(r, 7);
	return pgd_row_done(r, "sessions");
}

enum mtag_err pgd_session_list(struct store *s, struct arena *a, const char *user_id,
			       int64_t now, size_t max, struct store_session **out, size_t *n)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TIME(now), STORE_INT(max) };
	void *rows = NULL;
	enum mtag_err e;

	e = pgd_read_many(s, a, "session_list",
			  "SELECT id, user_id, user_agent, ip, " PGD_US("created_at") ", "
			     PGD_US("last_used_at") ", " PGD_US("expires_at") ", "
			     PGD_US("revoked_at") " FROM sessions"
			     " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2"
			     " ORDER BY last_used_at DESC, id DESC LIMIT $3",
			     p, 3, pgd_row_session, sizeof(**out), max, &rows, n);
	*out = rows;
	return e;
}

/* The time of a purge, and what it deleted. */
struct pgd_purge {
	int64_t now;
	int deleted; /* OUT */
};

#define PGD_DOOMED "expires_at <= $1 OR revoked_at < $2"

static enum mtag_err pgd_purge_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_purge *pg = ctx;
	struct store_param p[] = { STORE_TIME(pg->now), STORE_TIME(pg->now - STORE_REVOKED_KEEP_US) };
	int tokens = 0, sessions = 0;
	enum mtag_err e;

	/* Sessions before tokens, the order a rotation locks them in. */
	e = pgd_run(c, "session_purge", "SELECT count(*) FROM"
		    " (SELECT 1 FROM sessions WHERE " PGD_DOOMED " FOR UPDATE) AS doomed", p, 2, NULL);
	/* The tokens of doomed sessions first, so the count has them (a cascade would not). */
	if (!e)
		e = pgd_run_count(c, "session_purge",
				  "DELETE FROM refresh_tokens WHERE expires_at <= $1 OR session_id IN"
				  " (SELECT id FROM sessions WHERE " PGD_DOOMED ")", p, 2, &tokens);
	if (!e)
		e = pgd_run_count(c, "session_purge", "DELETE FROM sessions WHERE " PGD_DOOMED,
				  p, 2, &sessions);
	pg->deleted = tokens + sessions;
	return e;
}

enum mtag_err pgd_session_purge(struct store *s, int64_t now, int *deleted)
{
	struct pgd_purge pg = { now, 0 };
	enum mtag_err e = pgd_tx(s, "session_purge", "BEGIN", false, pgd_purge_fn, &pg);

	*deleted = e ? 0 : pg.deleted;
	return e;
}

enum mtag_err pgd_user_set_password(struct store *s, const char *user_id, const char *hash,
				    int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_TEXT(hash), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = pgd_write_count(s, "user_set_password",
			    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
			    p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err pgd_user_set_flags(struct store *s, const char *user_id, bool is_active,
				 bool is_admin, int64_t now)
{
	struct store_param p[] = { STORE_TEXT(user_id), STORE_BOOL(is_active), STORE_BOOL(is_admin),
				   STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	e = pgd_write_count(s, "user_set_flags",
			    "UPDATE users SET is_active = $2, is_admin = $3, updated_at = $4"
			    " WHERE id = $1", p, 4, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

/* The page and the total of store_user_list. */
struct pgd_user_page {
	struct arena *a;
	size_t limit, offset;
	void *out;              /* OUT: struct store_user[n] */
	size_t n;               /* OUT */
	int total;              /* OUT */
};

static enum mtag_err pgd_user_page_fn(struct pgd_call *c, void *ctx)
{
	struct pgd_user_page *u = ctx;
	struct store_param p[] = { STORE_INT(u->limit), STORE_INT(u->offset) };
	PGresult *res = NULL;
	enum mtag_err e;

	e = pgd_one(c, NULL, "user_list", "SELECT count(*) FROM users", NULL, 0, pgd_row_int,
		    &u->total);
	if (!e)
		e = pgd_run(c, "user_list", "SELECT " PGD_USER_COLS("") " FROM users"
			    " ORDER BY email, id LIMIT $1 OFFSET $2", p, 2, &res);
	if (!e)
		e = pgd_rows(res, u->a, pgd_row_user, sizeof(struct store_user), u->limit, &u->out,
			     &u->n);
	PQclear(res);
	return e;
}

enum mtag_err pgd_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			    struct store_user **out, size_t *n, size_t *total)
{
	struct pgd_user_page u = { a, limit, offset, NULL, 0, 0 };
	/* One snapshot for the count and the page. */
	enum mtag_err e = pgd_tx(s, "user_list", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
				 true, pgd_user_page_fn, &u);

	*out = e ? NULL : u.out;
	*n = e ? 0 : u.n;
	*total = e || u.total < 0 ? 0 : (size_t)u.total;
	return e;
}

enum mtag_err pgd_audit_add(struct store *s, const struct store_audit *ev)
{
	struct store_param p[] = {
		STORE_TEXT(ev->id), STORE_OWNER(ev->user_id), STORE_TEXT(ev->event),
		STORE_TEXT(ev->ip), STORE_TEXT(ev->detail), STORE_TIME(ev->created_at),
	};
	return pgd_write_count(s, "audit_add",
			       "INSERT INTO audit_log (id, user_id, event, ip, detail, created_at)"
			       " VALUES ($1, $2, $3, $4, $5, $6)", p, 6, NULL);
}

static enum mtag_err pgd_row_audit(struct pgd_row *r, void *out)
{
	struct store_audit *ev = out;

	pgd_uuid(r, 0, ev->id);
	pgd_uuid(r, 1, ev->user_id);
	ev->event = pgd_text(r, 2);
	ev->ip = pgd_text(r, 3);
	ev->detail = pgd_text(r, 4);
	ev->created_at = pgd_int(r, 5);
	return pgd_row_done(r, "audit_log");
}

#define PGD_AUDIT_SELECT \
	"SELECT id, user_id, event, ip, detail, " PGD_US("created_at") " FROM audit_log "

enum mtag_err pgd_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			     struct store_audit **out, size_t *n)
{
	struct store_param p[] = { STORE_INT(max), STORE_TEXT(user_id) };
	void *rows = NULL;
	enum mtag_err e;

	e = pgd_read_many(s, a, "audit_list",
			     user_id ? PGD_AUDIT_SELECT "WHERE user_id = $2"
				       " ORDER BY created_at DESC, id DESC LIMIT $1"
				     : PGD_AUDIT_SELECT "ORDER BY created_at DESC, id DESC LIMIT $1",
			     p, user_id ? 2 : 1, pgd_row_audit, sizeof(**out), max, &rows, n);
	*out = rows;
	return e;
}
