/*
 * test_store_auth.c - sessions, refresh-token rotation, the audit log and
 * user administration (store.h, "Accounts and sessions"), on both drivers
 * with the fixture of store_fixture.h. Times are explicit (NOW, NOW + 1 s,
 * ...), never the clock, so expiry and grace are tested at their edges.
 */
#include <pthread.h>

#include "store_fixture.h"
#include "base/digest.h"
#include "base/xalloc.h"

#define SEC 1000000LL
#define DAY (86400 * SEC)
#define NOW (T0 + 1000 * SEC)
#define LIFE (30 * DAY)  /* how long a session lives after each use */
#define GRACE (10 * SEC)
#define HASH_LEN 65      /* a SHA-256 in hex and its NUL */

/* ---- helpers ---- */

/* A random stand-in for the SHA-256 of a refresh token. */
static void new_hash(char out[HASH_LEN])
{
	random_hex(out, 32);
}

/* A stand-in for the hash of old's one replacement (token_refresh_next): the same each time. */
static void next_hash(const char *old, char out[HASH_LEN])
{
	char salted[HASH_LEN + 8];
	snprintf(salted, sizeof(salted), "next:%s", old);
	digest_sha256_hex(salted, strlen(salted), out);
}

/* Create a user (make_user's defaults) in s. */
static enum mtag_err add_user(struct store *s, struct store_user *u)
{
	make_user(u);
	return store_user_create(s, u);
}

/* Create a session of user_id in s, made at `at` and expiring at `expires`. OUT: *ss, hash of its token. */
static enum mtag_err add_session(struct store *s, const char *user_id, int64_t at,
				 int64_t expires, struct store_session *ss, char hash[HASH_LEN])
{
	char token_id[UUID_STR_LEN];

	memset(ss, 0, sizeof(*ss));
	uuid_v7(ss->id);
	snprintf(ss->user_id, sizeof(ss->user_id), "%s", user_id);
	ss->user_agent = "Mozilla/5.0 (X11; Linux x86_64) « Zoë »";
	ss->ip = "203.0.113.7";
	ss->created_at = ss->last_used_at = at;
	ss->expires_at = expires;
	uuid_v7(token_id);
	new_hash(hash);
	return store_session_create(s, ss, token_id, hash);
}

/* Present the token hashed old at now with a grace, on s. OUT: *r, next (the new token's hash). */
static enum mtag_err rotate_on(struct store *s, const char *old, int64_t now, int64_t grace,
			       char next[HASH_LEN], struct store_rotation *r)
{
	memset(r, 0, sizeof(*r));
	next_hash(old, next);
	r->old_sha256 = old;
	uuid_v7(r->new_id);
	r->new_sha256 = next;
	r->now = now;
	r->grace_us = grace;
	r->expires_at = now + LIFE;
	return store_refresh_rotate(s, r);
}

static enum mtag_err rotate(const char *old, int64_t now, int64_t grace, char next[HASH_LEN],
			    struct store_rotation *r)
{
	return rotate_on(T.s, old, now, grace, next, r);
}

/* store_session_check of ss at now. */
static enum mtag_err check(const struct store_session *ss, int64_t now)
{
	struct store_user u;
	return store_session_check(T.s, &T.a, ss->id, ss->user_id, now, &u);
}

/* Run test on a database of its own (opened and migrated), for a test that counts every row. */
static void on_fresh_store(void (*test)(struct store *s))
{
	char url[URL_MAX], err[256];
	struct store *s = NULL;

	if (!T.fresh_url(url, sizeof(url)) || store_open(url, 2, &s, err, sizeof(err)) != ERR_OK ||
	    store_migrate(s, NULL) != ERR_OK) {
		fprintf(stderr, "FAIL %s: cannot open a fresh %s database\n", unit_current, T.name);
		unit_current_failed = 1;
	} else {
		test(s); /* returns at its first failed check: s is closed here */
	}
	store_close(s);
}

/* ---- tests ---- */

static void test_migrate(void)
{
	int applied = -1, version = -1;

	CHECK_INT(store_migrate(T.s, &applied), ERR_OK);
	CHECK_INT(applied, migration_count());
	CHECK_INT(store_schema_version(T.s, &version), ERR_OK);
	CHECK(version >= 2);
	CHECK_INT(version, store_migrate_latest(T.migrations));
}

static void test_session_create_check(void)
{
	struct store_user u, got;
	struct store_session ss, dup;
	char hash[HASH_LEN], other_hash[HASH_LEN], upper_id[UUID_STR_LEN], missing[UUID_STR_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, hash), ERR_OK);
	memset(&got, 0, sizeof(got));
	CHECK_INT(store_session_check(T.s, &T.a, ss.id, u.id, NOW + SEC, &got), ERR_OK);
	CHECK_STR(got.id, u.id);
	CHECK_STR(got.email, u.email);
	CHECK_STR(got.full_name, u.full_name);
	CHECK_STR(got.password_hash, u.password_hash);
	CHECK(got.is_active && !got.is_admin);
	CHECK_INT(got.created_at, u.created_at);
	CHECK_INT(got.updated_at, u.updated_at);
	snprintf(upper_id, sizeof(upper_id), "%s", ss.id);
	upper(upper_id);
	CHECK_INT(store_session_check(T.s, &T.a, upper_id, u.id, NOW, &got), ERR_OK);

	/* A user that does not exist, a token hash taken, malformed input. */
	uuid_v4(missing);
	CHECK_INT(add_session(T.s, missing, NOW, NOW + LIFE, &dup, other_hash), ERR_NOT_FOUND);
	CHECK_INT(store_session_check(T.s, &T.a, dup.id, missing, NOW, &got), ERR_NOT_FOUND);
	dup = ss;
	uuid_v7(dup.id);
	CHECK_INT(store_session_create(T.s, &dup, missing, hash), ERR_CONFLICT);
	CHECK_INT(store_session_check(T.s, &T.a, dup.id, u.id, NOW, &got), ERR_NOT_FOUND);
	CHECK_INT(store_session_create(T.s, &dup, missing, "not-hex"), ERR_BAD_REQUEST);
	CHECK_INT(store_session_create(T.s, &dup, "nope", hash), ERR_BAD_REQUEST);
	snprintf(dup.id, sizeof(dup.id), "nope");
	CHECK_INT(store_session_create(T.s, &dup, missing, hash), ERR_BAD_REQUEST);
}

static void test_session_check_refused(void)
{
	struct store_user u, other, got;
	struct store_session ss, gone;
	char hash[HASH_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_user(T.s, &other), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, hash), ERR_OK);
	CHECK_INT(check(&ss, NOW + LIFE - 1), ERR_OK);
	CHECK_INT(check(&ss, NOW + LIFE), ERR_NOT_FOUND); /* expires_at is the first dead instant */
	CHECK_INT(store_session_check(T.s, &T.a, ss.id, other.id, NOW, &got), ERR_NOT_FOUND);
	CHECK_INT(store_session_check(T.s, &T.a, ss.id, "nope", NOW, &got), ERR_NOT_FOUND);
	CHECK_INT(store_session_check(T.s, &T.a, "x'; --", u.id, NOW, &got), ERR_NOT_FOUND);

	/* Disabled, then enabled again (and made admin). */
	CHECK_INT(store_user_set_flags(T.s, u.id, false, false, NOW + 5), ERR_OK);
	CHECK_INT(check(&ss, NOW), ERR_NOT_FOUND);
	CHECK_INT(store_user_set_flags(T.s, u.id, true, true, NOW + 6), ERR_OK);
	CHECK_INT(store_session_check(T.s, &T.a, ss.id, u.id, NOW, &got), ERR_OK);
	CHECK(got.is_active && got.is_admin);
	CHECK_INT(got.updated_at, NOW + 6);
	CHECK_INT(store_user_set_flags(T.s, other.id, true, false, NOW), ERR_OK);
	CHECK_INT(store_user_get(T.s, &T.a, other.id, &got), ERR_OK);
	CHECK(got.is_active && !got.is_admin);
	CHECK_INT(store_user_set_flags(T.s, ss.id, true, false, NOW), ERR_NOT_FOUND); /* no such user */
	CHECK_INT(store_user_set_flags(T.s, "nope", true, false, NOW), ERR_NOT_FOUND);

	/* Revoked: gone at once, and a second revoke finds nothing. */
	CHECK_INT(store_session_revoke(T.s, other.id, ss.id, NOW), ERR_NOT_FOUND); /* not theirs */
	CHECK_INT(store_session_revoke(T.s, u.id, ss.id, NOW + SEC), ERR_OK);
	CHECK_INT(check(&ss, NOW + SEC), ERR_NOT_FOUND);
	CHECK_INT(store_session_revoke(T.s, u.id, ss.id, NOW + 2 * SEC), ERR_NOT_FOUND);
	CHECK_INT(store_session_revoke(T.s, u.id, "nope", NOW), ERR_NOT_FOUND);
	/* An expired session is not live: nothing to revoke. */
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + SEC, &gone, hash), ERR_OK);
	CHECK_INT(store_session_revoke(T.s, u.id, gone.id, NOW + SEC), ERR_NOT_FOUND);
}

/* Find session id among the live sessions of user_id at now. OUT: *out. */
static bool find_session(const char *user_id, const char *id, int64_t now,
			 struct store_session *out)
{
	struct store_session *list = NULL;
	size_t n = 0;

	if (store_session_list(T.s, &T.a, user_id, now, 100, &list, &n) != ERR_OK)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].id, id)) {
			*out = list[i];
			return true;
		}
	return false;
}

static void test_rotate_chain(void)
{
	struct store_user u;
	struct store_session ss, now_ss;
	struct store_rotation r;
	char a[HASH_LEN], b[HASH_LEN], c[HASH_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
	CHECK_INT(rotate(a, NOW + SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_STR(r.user_id, u.id);
	CHECK_STR(r.session_id, ss.id);
	/* The session moved forward and took the new user agent; ip NULL kept the old. */
	CHECK(find_session(u.id, ss.id, NOW + SEC, &now_ss));
	CHECK_INT(now_ss.last_used_at, NOW + SEC);
	CHECK_INT(now_ss.expires_at, NOW + SEC + LIFE);
	CHECK_INT(now_ss.created_at, NOW);
	CHECK_STR(now_ss.user_agent, ss.user_agent);
	CHECK_STR(now_ss.ip, ss.ip);

	/* The new token works, past the session's first expiry too. */
	memset(&r, 0, sizeof(r));
	new_hash(c);
	r = (struct store_rotation){ .old_sha256 = b, .new_sha256 = c, .now = NOW + LIFE + 1,
				     .grace_us = GRACE, .expires_at = NOW + 2 * LIFE,
				     .user_agent = "curl/8.5", .ip = "2001:db8::1" };
	uuid_v7(r.new_id);
	CHECK_INT(store_refresh_rotate(T.s, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_STR(r.session_id, ss.id);
	CHECK(find_session(u.id, ss.id, NOW + LIFE + 1, &now_ss));
	CHECK_INT(now_ss.last_used_at, NOW + LIFE + 1);
	CHECK_INT(now_ss.expires_at, NOW + 2 * LIFE);
	CHECK_STR(now_ss.user_agent, "curl/8.5");
	CHECK_STR(now_ss.ip, "2001:db8::1");
	CHECK_INT(check(&ss, NOW + LIFE + 2), ERR_OK);
}

static void test_rotate_grace_then_reuse(void)
{
	struct store_user u;
	struct store_session ss;
	struct store_rotation r;
	char a[HASH_LEN], a1[HASH_LEN], a2[HASH_LEN], a3[HASH_LEN], x[HASH_LEN], h[HASH_LEN];
	char uid[UUID_STR_LEN], sid[UUID_STR_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
	CHECK_INT(rotate(a, NOW + SEC, GRACE, a1, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	/* a again while a1 is unrotated, within the grace: a1 again, not a second token. */
	CHECK_INT(rotate(a, NOW + 2 * SEC, GRACE, a2, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED_IN_GRACE);
	CHECK_STR(a2, a1);
	CHECK_STR(r.user_id, u.id);
	CHECK_STR(r.session_id, ss.id);
	CHECK_INT(check(&ss, NOW + 2 * SEC), ERR_OK);
	CHECK_INT(fixture_sql_value(arena_printf(&T.a, "SELECT count(*) FROM refresh_tokens"
						 " WHERE session_id = '%s'", ss.id)), 2);
	/* Another replacement than a1 (another secret's) starts no second chain. */
	memset(&r, 0, sizeof(r));
	r = (struct store_rotation){ .old_sha256 = a, .new_sha256 = x, .now = NOW + 2 * SEC,
				     .grace_us = GRACE, .expires_at = NOW + LIFE };
	new_hash(x);
	uuid_v7(r.new_id);
	CHECK_INT(store_refresh_rotate(T.s, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
	CHECK_INT(check(&ss, NOW + 2 * SEC), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, x, NOW + 2 * SEC, uid, sid), ERR_NOT_FOUND);

	/* a1 rotates on; now a is a reuse: the session ends. */
	CHECK_INT(rotate(a1, NOW + 3 * SEC, GRACE, a3, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_INT(rotate(a, NOW + 4 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_REUSED);
	CHECK_STR(r.user_id, u.id);
	CHECK_STR(r.session_id, ss.id);
	CHECK_INT(check(&ss, NOW + 4 * SEC), ERR_NOT_FOUND);
	CHECK_INT(store_refresh_session(T.s, a3, NOW + 4 * SEC, uid, sid), ERR_NOT_FOUND);
	CHECK_STR(uid, "");
	/* Every token of it is dead now, the newest included; no new token was stored. */
	CHECK_INT(rotate(a3, NOW + 5 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
	CHECK_STR(r.session_id, ss.id);
	CHECK_INT(rotate(x, NOW + 5 * SEC, GRACE, h, &r), ERR_NOT_FOUND);
	CHECK_INT(rotate(a2, NOW + 5 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
	CHECK_INT(rotate(a, NOW + 6 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD); /* revoked first, reused second */
}

static void test_rotate_past_grace(void)
{
	struct store_user u;
	struct store_session ss, ss0;
	struct store_rotation r;
	char a[HASH_LEN], b[HASH_LEN], x[HASH_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
	CHECK_INT(rotate(a, NOW + SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	/* The grace's last microsecond; then one past it. */
	CHECK_INT(rotate(a, NOW + SEC + GRACE, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED_IN_GRACE);
	CHECK_INT(rotate(a, NOW + SEC + GRACE + 1, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_REUSED);
	CHECK_INT(check(&ss, NOW + 2 * SEC), ERR_NOT_FOUND);
	CHECK_INT(rotate(b, NOW + 2 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);

	/* A grace of 0 is none: the same token again, even in the same microsecond, is a reuse. */
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss0, a), ERR_OK);
	CHECK_INT(rotate(a, NOW + SEC, 0, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_INT(rotate(a, NOW + SEC, 0, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_REUSED);
	CHECK_INT(check(&ss0, NOW + SEC), ERR_NOT_FOUND);
}

static void test_rotate_dead_and_missing(void)
{
	struct store_user u;
	struct store_session ss, short_ss;
	struct store_rotation r;
	char a[HASH_LEN], b[HASH_LEN], s1[HASH_LEN], x[HASH_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
	new_hash(x);
	CHECK_INT(rotate(x, NOW, GRACE, b, &r), ERR_NOT_FOUND); /* unknown hash */
	CHECK_STR(r.user_id, "");
	CHECK_STR(r.session_id, "");
	CHECK_INT(rotate("zz", NOW, GRACE, b, &r), ERR_NOT_FOUND);
	memset(&r, 0, sizeof(r));
	CHECK_INT(store_refresh_rotate(T.s, &r), ERR_NOT_FOUND); /* no hash at all */

	/* Disabled user: dead, and nothing changed - enabled again, a rotates normally. */
	CHECK_INT(store_user_set_flags(T.s, u.id, false, false, NOW), ERR_OK);
	CHECK_INT(rotate(a, NOW + SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
	CHECK_STR(r.user_id, u.id);
	CHECK_INT(store_user_set_flags(T.s, u.id, true, false, NOW), ERR_OK);
	/* A new hash already taken: ERR_CONFLICT and nothing changed either. */
	CHECK_INT(rotate(a, NOW + SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	memset(&r, 0, sizeof(r));
	r = (struct store_rotation){ .old_sha256 = b, .new_sha256 = a, .now = NOW + 2 * SEC,
				     .grace_us = GRACE, .expires_at = NOW + LIFE };
	uuid_v7(r.new_id);
	CHECK_INT(store_refresh_rotate(T.s, &r), ERR_CONFLICT);
	snprintf(r.new_id, sizeof(r.new_id), "nope");
	CHECK_INT(store_refresh_rotate(T.s, &r), ERR_BAD_REQUEST);
	CHECK_INT(rotate(b, NOW + 3 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);

	/* Expired session (and token): dead at its expires_at. */
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + 10 * SEC, &short_ss, s1), ERR_OK);
	CHECK_INT(rotate(s1, NOW + 10 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
	CHECK_STR(r.session_id, short_ss.id);
	CHECK_INT(rotate(s1, NOW + 10 * SEC - 1, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	/* Revoked session: dead. */
	CHECK_INT(store_session_revoke(T.s, u.id, short_ss.id, NOW + 11 * SEC), ERR_OK);
	CHECK_INT(rotate(x, NOW + 12 * SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_DEAD);
}

/* One of two threads presenting the same token at once. */
struct rotator {
	struct store *s;
	pthread_barrier_t *go;
	const char *old;
	int64_t grace;
	char next[HASH_LEN];
	struct store_rotation r;
	enum mtag_err e;
};

static void *rotator_main(void *arg)
{
	struct rotator *t = arg;

	pthread_barrier_wait(t->go);
	t->e = rotate_on(t->s, t->old, NOW + SEC, t->grace, t->next, &t->r);
	return NULL;
}

/* Rounds of two threads rotating one token: one wins, the other gets `loser`. */
static void run_concurrent_rotations(int64_t grace, enum store_rotation_outcome loser)
{
	struct store_user u;
	pthread_barrier_t go;
	pthread_t th[2];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	pthread_barrier_init(&go, NULL, 2);
	for (int round = 0; round < 50; round++) {
		struct store_session ss;
		struct store_rotation r;
		char a[HASH_LEN], x[HASH_LEN];
		struct rotator t[2] = { { T.s, &go, a, grace, "", { 0 }, 0 },
					{ T.s, &go, a, grace, "", { 0 }, 0 } };
		int win;

		CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
		for (int i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, rotator_main, &t[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		CHECK_INT(t[0].e, ERR_OK);
		CHECK_INT(t[1].e, ERR_OK);
		win = t[0].r.outcome == STORE_ROTATED ? 0 : 1;
		CHECK_INT(t[win].r.outcome, STORE_ROTATED);
		CHECK_INT(t[!win].r.outcome, loser);
		CHECK_STR(t[!win].r.session_id, ss.id);
		/* Both got the one replacement. In grace it lives on (presented twice, a
		 * double submit again); after a reuse the session is revoked. */
		CHECK_STR(t[!win].next, t[win].next);
		CHECK_INT(rotate(t[win].next, NOW + 2 * SEC, grace, x, &r), ERR_OK);
		CHECK_INT(r.outcome, loser == STORE_REUSED ? STORE_DEAD : STORE_ROTATED);
		CHECK_INT(rotate(t[!win].next, NOW + 2 * SEC, grace, x, &r), ERR_OK);
		CHECK_INT(r.outcome, loser == STORE_REUSED ? STORE_DEAD : STORE_ROTATED_IN_GRACE);
		CHECK_INT(check(&ss, NOW + 2 * SEC), loser == STORE_REUSED ? ERR_NOT_FOUND : ERR_OK);
	}
	pthread_barrier_destroy(&go);
}

static void test_rotate_concurrent(void)
{
	run_concurrent_rotations(GRACE, STORE_ROTATED_IN_GRACE);
	if (!unit_current_failed)
		run_concurrent_rotations(0, STORE_REUSED);
}

static void test_revoke_all(void)
{
	struct store_user u, other;
	struct store_session ss[3], dead, theirs, *list = NULL;
	char hash[HASH_LEN];
	size_t n = 9;
	int count = -1;

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_user(T.s, &other), ERR_OK);
	for (int i = 0; i < 3; i++)
		CHECK_INT(add_session(T.s, u.id, NOW + i, NOW + LIFE, &ss[i], hash), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + SEC, &dead, hash), ERR_OK); /* expired below */
	CHECK_INT(add_session(T.s, other.id, NOW, NOW + LIFE, &theirs, hash), ERR_OK);

	CHECK_INT(store_session_revoke_all(T.s, u.id, "nope", NOW + 2 * SEC, &count), ERR_NOT_FOUND);
	CHECK_INT(count, 0);
	CHECK_INT(store_session_revoke_all(T.s, "nope", NULL, NOW + 2 * SEC, &count), ERR_NOT_FOUND);
	CHECK_INT(store_session_revoke_all(T.s, u.id, ss[1].id, NOW + 2 * SEC, &count), ERR_OK);
	CHECK_INT(count, 2); /* ss[0] and ss[2]; the expired one is not live */
	CHECK_INT(store_session_list(T.s, &T.a, u.id, NOW + 2 * SEC, 10, &list, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(list[0].id, ss[1].id);
	CHECK_INT(check(&ss[0], NOW + 2 * SEC), ERR_NOT_FOUND);
	CHECK_INT(check(&ss[1], NOW + 2 * SEC), ERR_OK);
	CHECK_INT(check(&theirs, NOW + 2 * SEC), ERR_OK); /* another user's: untouched */

	CHECK_INT(store_session_revoke_all(T.s, u.id, NULL, NOW + 3 * SEC, &count), ERR_OK);
	CHECK_INT(count, 1);
	CHECK_INT(check(&ss[1], NOW + 3 * SEC), ERR_NOT_FOUND);
	CHECK_INT(store_session_revoke_all(T.s, u.id, NULL, NOW + 4 * SEC, NULL), ERR_OK);
	CHECK_INT(store_session_revoke_all(T.s, u.id, NULL, NOW + 4 * SEC, &count), ERR_OK);
	CHECK_INT(count, 0);
	CHECK_INT(check(&theirs, NOW + 4 * SEC), ERR_OK);
}

static void test_session_list(void)
{
	struct store_user u;
	struct store_session ss[4], gone, *list = (struct store_session *)&list;
	struct store_rotation r;
	char hash[HASH_LEN], next[HASH_LEN];
	size_t n = 9;
	/* When each was last used (rotated); ss[2] never is: its last use is its creation, NOW. */
	const int64_t used[4] = { NOW + 3 * SEC, NOW + 9 * SEC, 0, NOW + 5 * SEC };

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(store_session_list(T.s, &T.a, u.id, NOW, 10, &list, &n), ERR_OK);
	CHECK_INT(n, 0);
	CHECK(list == NULL);
	for (int i = 0; i < 4; i++) {
		CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss[i], hash), ERR_OK);
		if (used[i])
			CHECK_INT(rotate(hash, used[i], GRACE, next, &r), ERR_OK);
	}
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + 2 * SEC, &gone, hash), ERR_OK); /* expired */
	CHECK_INT(store_session_revoke(T.s, u.id, ss[3].id, NOW + 6 * SEC), ERR_OK);

	CHECK_INT(store_session_list(T.s, &T.a, u.id, NOW + 10 * SEC, 10, &list, &n), ERR_OK);
	CHECK_INT(n, 3); /* not the revoked ss[3], not the expired one */
	CHECK_STR(list[0].id, ss[1].id);
	CHECK_STR(list[1].id, ss[0].id);
	CHECK_STR(list[2].id, ss[2].id);
	CHECK_INT(list[0].last_used_at, used[1]);
	CHECK_INT(list[0].expires_at, used[1] + LIFE);
	CHECK_INT(list[2].last_used_at, NOW);
	CHECK_INT(list[2].expires_at, NOW + LIFE);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(list[i].user_id, u.id);
		CHECK_STR(list[i].user_agent, ss[0].user_agent);
		CHECK_STR(list[i].ip, ss[0].ip);
		CHECK_INT(list[i].created_at, NOW);
		CHECK_INT(list[i].revoked_at, 0);
	}
	CHECK_INT(store_session_list(T.s, &T.a, u.id, NOW + 10 * SEC, 2, &list, &n), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(list[1].id, ss[0].id);
	CHECK_INT(store_session_list(T.s, &T.a, u.id, NOW + 10 * SEC, 0, &list, &n), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_session_list(T.s, &T.a, "nope", NOW, 10, &list, &n), ERR_NOT_FOUND);
	CHECK_INT(n, 0);
}

static void test_refresh_session(void)
{
	struct store_user u;
	struct store_session ss, brief;
	struct store_rotation r;
	char a[HASH_LEN], b[HASH_LEN], c[HASH_LEN], uid[UUID_STR_LEN], sid[UUID_STR_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + LIFE, &ss, a), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, a, NOW, uid, sid), ERR_OK);
	CHECK_STR(uid, u.id);
	CHECK_STR(sid, ss.id);
	/* A rotated token still names its live session (a logout with the previous token). */
	CHECK_INT(rotate(a, NOW + SEC, GRACE, b, &r), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, a, NOW + SEC, uid, sid), ERR_OK);
	CHECK_STR(sid, ss.id);
	CHECK_INT(store_refresh_session(T.s, b, NOW + SEC, uid, sid), ERR_OK);
	CHECK_STR(sid, ss.id);
	new_hash(c);
	CHECK_INT(store_refresh_session(T.s, c, NOW, uid, sid), ERR_NOT_FOUND);
	CHECK_STR(uid, "");
	CHECK_STR(sid, "");
	CHECK_INT(store_refresh_session(T.s, NULL, NOW, uid, sid), ERR_NOT_FOUND);

	/* Expired, revoked: not live. */
	CHECK_INT(add_session(T.s, u.id, NOW, NOW + SEC, &brief, c), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, c, NOW + SEC - 1, uid, sid), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, c, NOW + SEC, uid, sid), ERR_NOT_FOUND);
	CHECK_INT(store_session_revoke(T.s, u.id, ss.id, NOW + 2 * SEC), ERR_OK);
	CHECK_INT(store_refresh_session(T.s, b, NOW + 2 * SEC, uid, sid), ERR_NOT_FOUND);
}

static void purge_on(struct store *s)
{
	struct store_user u;
	struct store_session live, expired, recent, old;
	struct store_rotation r;
	char a[HASH_LEN], a1[HASH_LEN], h[HASH_LEN], x[HASH_LEN];
	int deleted = -1;

	CHECK_INT(add_user(s, &u), ERR_OK);
	/* live: its first token expires at NOW + 10 s, rotated into one living 30 days. */
	CHECK_INT(add_session(s, u.id, NOW, NOW + 10 * SEC, &live, a), ERR_OK);
	CHECK_INT(rotate_on(s, a, NOW + SEC, GRACE, a1, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_INT(add_session(s, u.id, NOW, NOW + 5 * SEC, &expired, h), ERR_OK);
	CHECK_INT(add_session(s, u.id, NOW, NOW + LIFE, &recent, h), ERR_OK);
	CHECK_INT(store_session_revoke(s, u.id, recent.id, NOW + SEC), ERR_OK);
	CHECK_INT(add_session(s, u.id, NOW - 3 * DAY, NOW + LIFE, &old, h), ERR_OK);
	CHECK_INT(store_session_revoke(s, u.id, old.id, NOW - 2 * DAY), ERR_OK);

	/* a (expired token); expired + its token; old (revoked 2 days ago) + its token. */
	CHECK_INT(store_session_purge(s, NOW + 20 * SEC, &deleted), ERR_OK);
	CHECK_INT(deleted, 5);
	CHECK_INT(store_session_purge(s, NOW + 20 * SEC, &deleted), ERR_OK);
	CHECK_INT(deleted, 0);
	CHECK_INT(rotate_on(s, a, NOW + 21 * SEC, GRACE, x, &r), ERR_NOT_FOUND);
	/* recent was revoked at NOW + 1 s: kept a day, then it goes with its token. */
	CHECK_INT(store_session_purge(s, NOW + DAY + SEC, &deleted), ERR_OK);
	CHECK_INT(deleted, 0);
	CHECK_INT(store_session_purge(s, NOW + DAY + 2 * SEC, NULL), ERR_OK);
	CHECK_INT(store_session_purge(s, NOW + DAY + 3 * SEC, &deleted), ERR_OK);
	CHECK_INT(deleted, 0); /* the NULL call above did it */
	/* live is untouched and a1 still rotates. */
	CHECK_INT(rotate_on(s, a1, NOW + DAY + 4 * SEC, GRACE, x, &r), ERR_OK);
	CHECK_INT(r.outcome, STORE_ROTATED);
	CHECK_INT(store_session_purge(s, NOW + DAY + 5 * SEC, &deleted), ERR_OK);
	CHECK_INT(deleted, 0); /* a1 was rotated, but lives until NOW + 1 s + LIFE */
	CHECK_INT(store_session_purge(s, NOW + 40 * DAY, &deleted), ERR_OK);
	CHECK_INT(deleted, 3); /* live and its last two tokens */
}

static void test_purge(void)
{
	on_fresh_store(purge_on);
}

static void test_set_password(void)
{
	struct store_user u, got;
	const char *hash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA";
	char missing[UUID_STR_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	CHECK_INT(store_user_set_password(T.s, u.id, hash, NOW + 7), ERR_OK);
	CHECK_INT(store_user_get(T.s, &T.a, u.id, &got), ERR_OK);
	CHECK_STR(got.password_hash, hash);
	CHECK_INT(got.updated_at, NOW + 7);
	CHECK_INT(got.created_at, u.created_at);
	CHECK_STR(got.email, u.email);
	uuid_v4(missing);
	CHECK_INT(store_user_set_password(T.s, missing, hash, NOW), ERR_NOT_FOUND);
	CHECK_INT(store_user_set_password(T.s, "nope", hash, NOW), ERR_NOT_FOUND);
	CHECK_INT(store_user_set_password(T.s, u.id, NULL, NOW), ERR_BAD_REQUEST);
	CHECK_INT(store_user_set_password(T.s, u.id, "bad \xc3\x28", NOW), ERR_BAD_REQUEST);
	CHECK_INT(store_user_get(T.s, &T.a, u.id, &got), ERR_OK);
	CHECK_STR(got.password_hash, hash);
}

static void user_list_on(struct store *s)
{
	static const char *const emails[5] = { "carol@example.com", "alice@example.com",
					       "eve@example.com", "bob@example.com",
					       "dave@example.com" };
	static const char *const sorted[5] = { "alice@example.com", "bob@example.com",
					       "carol@example.com", "dave@example.com",
					       "eve@example.com" };
	struct store_user u[5], *list = NULL;
	size_t n = 9, total = 9;

	CHECK_INT(store_user_list(s, &T.a, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 0);
	for (int i = 0; i < 5; i++) {
		make_user(&u[i]);
		u[i].email = emails[i];
		u[i].is_admin = i == 0; /* carol */
		CHECK_INT(store_user_create(s, &u[i]), ERR_OK);
	}
	CHECK_INT(store_user_list(s, &T.a, 2, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_INT(total, 5);
	CHECK_STR(list[0].email, sorted[0]);
	CHECK_STR(list[1].email, sorted[1]);
	CHECK_STR(list[0].id, u[1].id);
	CHECK_STR(list[0].full_name, u[1].full_name);
	CHECK_STR(list[0].password_hash, u[1].password_hash);
	CHECK_INT(list[0].created_at, u[1].created_at);
	CHECK_INT(list[0].updated_at, u[1].updated_at);
	CHECK_INT(store_user_list(s, &T.a, 2, 2, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(list[0].email, sorted[2]);
	CHECK(list[0].is_admin);
	CHECK_STR(list[1].email, sorted[3]);
	CHECK_INT(store_user_list(s, &T.a, 2, 4, &list, &n, NULL), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(list[0].email, sorted[4]);
	CHECK_INT(store_user_list(s, &T.a, 2, 10, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 5);
	CHECK_INT(store_user_list(s, &T.a, 0, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 5);
	CHECK_INT(store_user_list(s, &T.a, SIZE_MAX, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(n, 5);
}

static void test_user_list(void)
{
	on_fresh_store(user_list_on);
}

/* An audit line for user (NULL: none) at `at`, with a fixed id ending in seq. */
static void make_audit(struct store_audit *ev, const char *user, int64_t at, int seq)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->id, sizeof(ev->id), "00000000-0000-4000-8000-%012d", seq);
	snprintf(ev->user_id, sizeof(ev->user_id), "%s", user ? user : "");
	ev->event = "login";
	ev->ip = "198.51.100.4";
	ev->created_at = at;
}

static void test_audit_add_errors(void)
{
	struct store_user u;
	struct store_audit ev;
	char missing[UUID_STR_LEN];

	CHECK_INT(add_user(T.s, &u), ERR_OK);
	make_audit(&ev, u.id, NOW, 900);
	ev.detail = "[1]";
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
	ev.detail = "{nope";
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
	ev.detail = NULL;
	ev.event = "";
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
	ev.event = NULL;
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
	make_audit(&ev, "nope", NOW, 901);
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
	uuid_v4(missing);
	make_audit(&ev, missing, NOW, 902);
	CHECK_INT(store_audit_add(T.s, &ev), ERR_NOT_FOUND);
	make_audit(&ev, u.id, NOW, 903);
	snprintf(ev.id, sizeof(ev.id), "nope");
	CHECK_INT(store_audit_add(T.s, &ev), ERR_BAD_REQUEST);
}

static void audit_list_on(struct store *s)
{
	struct store_user u, v;
	struct store_audit ev[5], *list = NULL;
	size_t n = 9;

	CHECK_INT(add_user(s, &u), ERR_OK);
	CHECK_INT(add_user(s, &v), ERR_OK);
	make_audit(&ev[0], u.id, NOW, 1);
	make_audit(&ev[1], NULL, NOW + 1, 2);         /* no account: user_id "" is NULL */
	make_audit(&ev[2], u.id, NOW + 2, 3);
	make_audit(&ev[3], u.id, NOW + 2, 4);         /* same time as ev[2]: id decides */
	make_audit(&ev[4], v.id, NOW + 3, 5);
	ev[1].event = "login_failed";
	ev[1].detail = "{\"reason\": \"unknown_email\", \"n\": [1, 2]}";
	ev[2].ip = NULL;
	for (int i = 0; i < 5; i++)
		CHECK_INT(store_audit_add(s, &ev[i]), ERR_OK);
	CHECK_INT(store_audit_add(s, &ev[0]), ERR_CONFLICT);

	CHECK_INT(store_audit_list(s, &T.a, NULL, 10, &list, &n), ERR_OK);
	CHECK_INT(n, 5);
	const int all[5] = { 4, 3, 2, 1, 0 };
	for (int i = 0; i < 5; i++) {
		CHECK_STR(list[i].id, ev[all[i]].id);
		CHECK_STR(list[i].user_id, ev[all[i]].user_id);
		CHECK_STR(list[i].event, ev[all[i]].event);
		CHECK_INT(list[i].created_at, ev[all[i]].created_at);
		CHECK(json_same(list[i].detail, ev[all[i]].detail ? ev[all[i]].detail : "{}"));
	}
	CHECK_STR(list[3].user_id, "");
	CHECK(list[2].ip == NULL);
	CHECK_STR(list[1].ip, "198.51.100.4");

	CHECK_INT(store_audit_list(s, &T.a, u.id, 10, &list, &n), ERR_OK);
	CHECK_INT(n, 3);
	CHECK_STR(list[0].id, ev[3].id);
	CHECK_STR(list[1].id, ev[2].id);
	CHECK_STR(list[2].id, ev[0].id);
	CHECK_INT(store_audit_list(s, &T.a, NULL, 2, &list, &n), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(list[1].id, ev[3].id);
	CHECK_INT(store_audit_list(s, &T.a, "nope", 10, &list, &n), ERR_NOT_FOUND);
	CHECK_INT(n, 0);
}

static void test_audit_list(void)
{
	on_fresh_store(audit_list_on);
}

/* ---- the program ---- */

static void auth_tests(void)
{
	RUN(test_migrate);
	if (unit_current_failed)
		return;
	RUN(test_session_create_check);
	RUN(test_session_check_refused);
	RUN(test_rotate_chain);
	RUN(test_rotate_grace_then_reuse);
	RUN(test_rotate_past_grace);
	RUN(test_rotate_dead_and_missing);
	RUN(test_rotate_concurrent);
	RUN(test_revoke_all);
	RUN(test_session_list);
	RUN(test_refresh_session);
	RUN(test_purge);
	RUN(test_set_password);
	RUN(test_user_list);
	RUN(test_audit_add_errors);
	RUN(test_audit_list);
}

int main(void)
{
	static const struct fixture_suite suite = { "test_store_auth", auth_tests, NULL, NULL };
	return fixture_main(&suite);
}
