/*
 * store_sessions.c - sessions and their refresh tokens: create, check,
 * rotate, revoke, list, purge; on either driver (store_int.h).
 *
 * Concurrency of a rotation (one STORE_TX_WRITE transaction) and of a purge:
 * on SQLite, BEGIN IMMEDIATE holds the database's one write lock from the
 * first read, so two refreshes of one token are serialised and the second
 * sees the first's rotation. On PostgreSQL (dialect row_locks) the rotation
 * locks the token's session row (SELECT ... FOR UPDATE), then reads what it
 * decides on in a second statement that also locks the token row (FOR UPDATE
 * OF t): READ COMMITTED takes a new snapshot per statement, so a refresh that
 * waited for the session reads what the one before it committed. The purge locks the sessions it deletes before their tokens, in
 * the same order, so no two of these calls can deadlock.
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <stdio.h>
#include <string.h>

#include "base/digest.h"
#include "store_int.h"

/* A session revoked longer ago than this is deleted by store_session_purge. */
#define REVOKED_KEEP_US (86400 * 1000000LL)

#define SESSION_INSERT                                                           \
	"INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at," \
	" expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
#define TOKEN_INSERT                                                              \
	"INSERT INTO refresh_tokens (id, user_id, session_id, token_sha256,"        \
	" expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)"

/* A checked session and its first token, for session_create_fn. */
struct session_new {
	const struct store_session *ss;
	const char *token_id, *token_sha256;
};

static enum mtag_err session_create_fn(struct store_conn *c, void *ctx)
{
	const struct session_new *n = ctx;
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
	enum mtag_err e = store_exec(c, "session_create", SESSION_INSERT, ps, 8, NULL);

	return e ? e : store_exec(c, "session_create", TOKEN_INSERT, pt, 6, NULL);
}

enum mtag_err store_session_create(struct store *s, const struct store_session *ss,
				   const char *token_id, const char *token_sha256)
{
	struct store_session c = *ss;
	char tid[UUID_STR_LEN];
	struct session_new n = { &c, tid, token_sha256 };

	if (!store_copy_uuid(c.id, ss->id) || !store_copy_uuid(c.user_id, ss->user_id) ||
	    !token_id || !store_copy_uuid(tid, token_id) || !token_sha256 ||
	    !utf8_valid(ss->user_agent) || !utf8_valid(ss->ip) || !utf8_valid(token_sha256))
		return ERR_BAD_REQUEST;
	return store_tx(s, "session_create", STORE_TX_WRITE, session_create_fn, &n);
}

enum mtag_err store_session_check(struct store *s, struct arena *a, const char *session_id,
				  const char *user_id, int64_t now, struct store_user *user)
{
	char sid[UUID_STR_LEN], uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(sid), STORE_TEXT(uid), STORE_TIME(now) };

	if (!store_copy_uuid(sid, session_id) || !store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	/* Both primary keys: two index lookups, on every authenticated request. */
	return store_read_one(s, a, "session_check",
			      "SELECT " STORE_USER_COLS("u.") " FROM sessions s"
			      " JOIN users u ON u.id = s.user_id"
			      " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"
			      " AND s.expires_at > $3 AND u.is_active", p, 3, store_row_user, user);
}

/* ---- rotation ---- */

/* What a rotation reads about the token presented, after taking its locks. */
struct token_state {
	char token_id[UUID_STR_LEN];
	char session_id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN];  /* the session's */
	int64_t expires_at;          /* the token's */
	int64_t revoked_at;          /* the token's; 0 when not revoked */
	int64_t rotated_at;          /* 0 while it is the newest of its chain */
	bool next_rotated;           /* its replacement (replaced_by) was rotated too, or is gone */
	char next_sha256[SHA256_HEX_LEN]; /* the replacement's hash ("" when gone) */
	int64_t session_expires_at;
	int64_t session_revoked_at;  /* 0 while live */
	bool user_active;
};

/* The token presented, its session, its user and its replacement. */
#define TOKEN_STATE                                                                       \
	"SELECT t.id, t.session_id, s.user_id, t.expires_at, t.revoked_at, t.rotated_at,"  \
	" n.id IS NULL OR n.rotated_at IS NOT NULL, s.expires_at, s.revoked_at, u.is_active," \
	" n.token_sha256"                                                                  \
	" FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"                    \
	" JOIN users u ON u.id = s.user_id"                                                \
	" LEFT JOIN refresh_tokens n ON n.id = t.replaced_by"                              \
	" WHERE t.token_sha256 = $1"

static enum mtag_err row_token_state(struct store_row *r, void *out)
{
	struct token_state *t = out;

	store_col_uuid(r, 0, t->token_id);
	store_col_uuid(r, 1, t->session_id);
	store_col_uuid(r, 2, t->user_id);
	t->expires_at = store_col_time(r, 3);
	t->revoked_at = store_col_time(r, 4);
	t->rotated_at = store_col_time(r, 5);
	t->next_rotated = store_col_bool(r, 6);
	t->session_expires_at = store_col_time(r, 7);
	t->session_revoked_at = store_col_time(r, 8);
	t->user_active = store_col_bool(r, 9);
	size_t len = 0;
	const char *next = r->drv->col_raw(r, 10, &len); /* no arena: read in place */
	snprintf(t->next_sha256, sizeof(t->next_sha256), "%.*s", next ? (int)len : 0, next ? next : "");
	return store_row_done(r, "refresh_tokens");
}

/*
 * The outcome of presenting token t (store.h, enum store_rotation_outcome):
 * revoked, expired or disabled is STORE_DEAD; not yet rotated STORE_ROTATED;
 * rotated at most grace_us ago (grace_us > 0) with its replacement unrotated
 * STORE_ROTATED_IN_GRACE when that replacement is the new token (the caller
 * derives it from the old one), STORE_DEAD when not (a replacement issued
 * otherwise, or under another secret: no second chain is started); else
 * STORE_REUSED.
 */
static enum store_rotation_outcome rotation_decide(const struct token_state *t,
						   const struct store_rotation *r)
{
	if (t->session_revoked_at || t->revoked_at || t->session_expires_at <= r->now ||
	    t->expires_at <= r->now || !t->user_active)
		return STORE_DEAD;
	if (!t->rotated_at)
		return STORE_ROTATED;
	/* A grace of 0 (or less) is none: even a same-microsecond repeat is a reuse. */
	if (r->grace_us > 0 && r->now - t->rotated_at <= r->grace_us && !t->next_rotated)
		return strcmp(t->next_sha256, r->new_sha256) ? STORE_DEAD : STORE_ROTATED_IN_GRACE;
	return STORE_REUSED;
}

/* Write what r->outcome says about the token t (store.h, store_refresh_rotate). */
static enum mtag_err rotate_write(struct store_conn *c, const struct token_state *t,
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
		return store_exec(c, "refresh_rotate",
				  "UPDATE sessions SET revoked_at = $2 WHERE id = $1", ps, 2, NULL);
	if (r->outcome == STORE_ROTATED) {
		e = store_exec(c, "refresh_rotate", "UPDATE refresh_tokens SET rotated_at = $2,"
			       " replaced_by = $3 WHERE id = $1", pm, 3, NULL);
		if (!e)
			e = store_exec(c, "refresh_rotate", TOKEN_INSERT, pt, 6, NULL);
	}
	if (!e)
		e = store_exec(c, "refresh_rotate",
			       "UPDATE sessions SET last_used_at = $2, expires_at = $3,"
			       " user_agent = coalesce($4, user_agent), ip = coalesce($5, ip)"
			       " WHERE id = $1", ps, 5, NULL);
	return e;
}

static enum mtag_err rotate_fn(struct store_conn *c, void *ctx)
{
	struct store_rotation *r = ctx;
	struct store_param p[] = { STORE_TEXT(r->old_sha256) };
	bool locks = c->s->drv->dialect->row_locks;
	struct token_state t;
	enum mtag_err e = ERR_OK;

	memset(&t, 0, sizeof(t));
	/* With row locks: the session first, then the token as its state is read (the top of this file). */
	if (locks)
		e = store_exec(c, "refresh_rotate", "SELECT id FROM sessions WHERE id = (SELECT"
			       " session_id FROM refresh_tokens WHERE token_sha256 = $1) FOR UPDATE",
			       p, 1, NULL);
	/* No row: no such token (or it went while we waited for a lock). */
	if (!e)
		e = store_one(c, NULL, "refresh_rotate",
			      locks ? TOKEN_STATE " FOR UPDATE OF t" : TOKEN_STATE, p, 1,
			      row_token_state, &t);
	if (e)
		return e;
	memcpy(r->user_id, t.user_id, sizeof(r->user_id));
	memcpy(r->session_id, t.session_id, sizeof(r->session_id));
	r->outcome = rotation_decide(&t, r);
	return rotate_write(c, &t, r);
}

enum mtag_err store_refresh_rotate(struct store *s, struct store_rotation *r)
{
	struct store_rotation c;
	enum mtag_err e;

	r->outcome = STORE_DEAD;
	r->user_id[0] = r->session_id[0] = '\0';
	c = *r;
	if (!r->old_sha256 || !utf8_valid(r->old_sha256))
		return ERR_NOT_FOUND;
	if (!store_copy_uuid(c.new_id, r->new_id) || !r->new_sha256 ||
	    !utf8_valid(r->new_sha256) || !utf8_valid(r->user_agent) || !utf8_valid(r->ip))
		return ERR_BAD_REQUEST;
	/* READ COMMITTED on PostgreSQL on purpose: after waiting for a lock, the next
	 * statement sees its holder's commit. */
	e = store_tx(s, "refresh_rotate", STORE_TX_WRITE, rotate_fn, &c);
	if (!e)
		r->outcome = c.outcome;
	/* Filled once the token is found ("" before), even if a write then failed. */
	memcpy(r->user_id, c.user_id, sizeof(r->user_id));
	memcpy(r->session_id, c.session_id, sizeof(r->session_id));
	return e;
}

/* ---- lookups, revocation, lists ---- */

/* Where store_refresh_session puts its row. */
struct session_ids {
	char *user_id, *session_id;
};

static enum mtag_err row_ids(struct store_row *r, void *out)
{
	struct session_ids *ids = out;

	store_col_uuid(r, 0, ids->user_id);
	store_col_uuid(r, 1, ids->session_id);
	return store_row_done(r, "sessions");
}

enum mtag_err store_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				    char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN])
{
	struct store_param p[] = { STORE_TEXT(token_sha256), STORE_TIME(now) };
	struct session_ids ids = { user_id, session_id };
	enum mtag_err e;

	user_id[0] = session_id[0] = '\0';
	if (!token_sha256 || !utf8_valid(token_sha256))
		return ERR_NOT_FOUND;
	e = store_read_one(s, NULL, "refresh_session",
			   "SELECT s.user_id, s.id FROM refresh_tokens t"
			   " JOIN sessions s ON s.id = t.session_id"
			   " WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"
			   " AND s.revoked_at IS NULL AND s.expires_at > $2", p, 2, row_ids, &ids);
	if (e)
		user_id[0] = session_id[0] = '\0';
	return e;
}

enum mtag_err store_session_revoke(struct store *s, const char *user_id, const char *session_id,
				   int64_t now)
{
	char uid[UUID_STR_LEN], sid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TEXT(sid), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	if (!store_copy_uuid(uid, user_id) || !store_copy_uuid(sid, session_id))
		return ERR_NOT_FOUND;
	e = store_write(s, "session_revoke",
			"UPDATE sessions SET revoked_at = $3 WHERE id = $2 AND user_id = $1"
			" AND revoked_at IS NULL AND expires_at > $3", p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err store_session_revoke_all(struct store *s, const char *user_id,
				       const char *except_id, int64_t now, int *count)
{
	char uid[UUID_STR_LEN], except[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TIME(now),
				   STORE_TEXT(except_id ? except : NULL) };

	if (count)
		*count = 0;
	/* A malformed except_id is refused, not ignored: that would revoke the caller's own session. */
	if (!store_copy_uuid(uid, user_id) || (except_id && !store_copy_uuid(except, except_id)))
		return ERR_NOT_FOUND;
	/* id IS DISTINCT FROM NULL is true for every row: no except_id, no exception. */
	return store_write(s, "session_revoke_all",
			   "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1"
			   " AND revoked_at IS NULL AND expires_at > $2 AND id IS DISTINCT FROM $3",
			   p, 3, count);
}

static enum mtag_err row_session(struct store_row *r, void *out)
{
	struct store_session *ss = out;

	store_col_uuid(r, 0, ss->id);
	store_col_uuid(r, 1, ss->user_id);
	ss->user_agent = store_col_text(r, 2);
	ss->ip = store_col_text(r, 3);
	ss->created_at = store_col_time(r, 4);
	ss->last_used_at = store_col_time(r, 5);
	ss->expires_at = store_col_time(r, 6);
	ss->revoked_at = store_col_time(r, 7);
	return store_row_done(r, "sessions");
}

enum mtag_err store_session_list(struct store *s, struct arena *a, const char *user_id,
				 int64_t now, size_t max, struct store_session **out, size_t *n)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TIME(now), STORE_INT(store_list_cap(max)) };
	void *rows = NULL;
	enum mtag_err e;

	*out = NULL;
	*n = 0;
	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!max)
		return ERR_OK;
	e = store_read_many(s, a, "session_list",
			    "SELECT id, user_id, user_agent, ip, created_at, last_used_at, expires_at,"
			    " revoked_at FROM sessions"
			    " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2"
			    " ORDER BY last_used_at DESC, id DESC LIMIT $3",
			    p, 3, row_session, sizeof(**out), store_list_cap(max), &rows, n);
	*out = rows;
	return e;
}

/* ---- purge ---- */

/* The time of a purge, and what it deleted. */
struct purge {
	int64_t now;
	int deleted; /* OUT */
};

#define DOOMED "expires_at <= $1 OR revoked_at < $2"

static enum mtag_err purge_fn(struct store_conn *c, void *ctx)
{
	struct purge *pg = ctx;
	struct store_param p[] = { STORE_TIME(pg->now), STORE_TIME(pg->now - REVOKED_KEEP_US) };
	int tokens = 0, sessions = 0;
	enum mtag_err e = ERR_OK;

	/* PostgreSQL: the doomed sessions before their tokens, the order a rotation locks them in. */
	if (c->s->drv->dialect->row_locks)
		e = store_exec(c, "session_purge", "SELECT count(*) FROM"
			       " (SELECT 1 FROM sessions WHERE " DOOMED " FOR UPDATE) AS doomed",
			       p, 2, NULL);
	/* The tokens of doomed sessions first, so the count has them (a cascade would not). */
	if (!e)
		e = store_exec(c, "session_purge",
			       "DELETE FROM refresh_tokens WHERE expires_at <= $1 OR session_id IN"
			       " (SELECT id FROM sessions WHERE " DOOMED ")", p, 2, &tokens);
	if (!e)
		e = store_exec(c, "session_purge", "DELETE FROM sessions WHERE " DOOMED, p, 2,
			       &sessions);
	pg->deleted = tokens + sessions;
	return e;
}

enum mtag_err store_session_purge(struct store *s, int64_t now, int *deleted)
{
	struct purge pg = { now, 0 };
	enum mtag_err e = store_tx(s, "session_purge", STORE_TX_WRITE, purge_fn, &pg);

	if (deleted)
		*deleted = e ? 0 : pg.deleted;
	return e;
}
