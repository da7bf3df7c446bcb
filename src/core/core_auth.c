/*
 * core_auth.c - sessions and tokens: login, refresh, logout, authentication.
 * Account creation and input rules live in core_users.c.
 */
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/token.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/core_auth.h"
#include "core/core_int.h"
#include "store/store.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* A refresh token presented again this soon after its rotation, its
 * replacement not used yet, gets that replacement again (token_refresh_next
 * gives the same one) instead of ending the session: it absorbs a double
 * submit (two tabs), and still leaves one chain of tokens per session. */
#define REFRESH_GRACE_US (10 * 1000000LL)
#define SESSIONS_MAX 100
#define USER_AGENT_MAX 256

static const char bad_credentials[] = "incorrect email or password";
static const char bad_token[] = "invalid or expired token";

void core_user_from_store(struct core_user *out, const struct store_user *u)
{
	memcpy(out->id, u->id, sizeof(out->id));
	out->email = u->email;
	out->full_name = u->full_name;
	out->is_active = u->is_active;
	out->is_admin = u->is_admin;
	out->created_at = u->created_at;
	out->updated_at = u->updated_at;
}

void core_audit(struct core *c, const char *user_id, const char *event, const char *ip,
		const char *detail_json)
{
	struct store_audit ev = { .event = event, .ip = ip, .detail = detail_json,
				  .created_at = clock_now_us() };
	uuid_v7(ev.id);
	snprintf(ev.user_id, sizeof(ev.user_id), "%s", user_id ? user_id : "");
	enum mtag_err e = store_audit_add(c->store, &ev);
	if (e)
		log_warn("auth.audit_failed", "event=%s err=%s", event, err_name(e));
}

enum mtag_err core_rate_check(struct core *c, const char *key, int per_minute,
			      struct core_failure *f)
{
	int retry = 0;
	if (ratelimit_take(c->limits, key, per_minute, clock_mono_us(), &retry))
		return ERR_OK;
	f->detail = "too many attempts; try again later";
	f->retry_after_s = retry;
	log_info("core.rate_limited", "bucket=%.*s retry_after_s=%d", (int)strcspn(key, ":"), key, retry);
	return ERR_RATE_LIMITED;
}

/* Sign an access token for the user and session. */
static void sign_access(struct core *c, struct arena *a, const char *user_id, const char *sid,
			struct core_tokens *t)
{
	int64_t now = clock_now_us() / 1000000;
	struct token_claims claims = { .sub = user_id, .sid = sid, .type = "access", .iat = now,
				       .exp = now + c->cfg->access_token_minutes * 60 };
	t->access_token = token_sign(a, (const char *)c->access_key, sizeof(c->access_key), &claims);
	t->expires_in = c->cfg->access_token_minutes * 60;
	t->refresh_expires_in = (int64_t)c->cfg->refresh_token_days * 86400;
}

static int64_t refresh_expiry(struct core *c, int64_t now)
{
	return now + (int64_t)c->cfg->refresh_token_days * 86400 * 1000000;
}

/*
 * The user agent as a session keeps it: at most USER_AGENT_MAX bytes, cut
 * between characters, each ill-formed byte as '?'. It is only shown to the
 * user; a header in Latin-1, or one cut in the middle of a character, had
 * made the store refuse the login (400).
 */
static const char *clip_user_agent(struct arena *a, const char *ua)
{
	if (!ua)
		return NULL;
	size_t n = strnlen(ua, 4 * USER_AGENT_MAX), o = 0, len;
	char *out = arena_alloc(a, USER_AGENT_MAX + 1);
	for (size_t i = 0; i < n; i += len) {
		bool bad = utf8_get(ua + i, n - i, &len) == UTF8_BAD;
		if (o + (bad ? 1 : len) > USER_AGENT_MAX)
			break;
		if (bad) {
			out[o++] = '?';
		} else {
			memcpy(out + o, ua + i, len);
			o += len;
		}
	}
	out[o] = '\0';
	return out;
}

enum mtag_err core_start_session(struct core *c, struct arena *a, const struct core_client *cl,
				 const char *user_id, struct core_tokens *t)
{
	struct store_session ss = { .user_agent = clip_user_agent(a, cl->user_agent), .ip = cl->ip };
	char token_id[UUID_STR_LEN], hash[SHA256_HEX_LEN];
	char *refresh = arena_alloc(a, REFRESH_TOKEN_LEN + 1);
	uuid_v7(ss.id);
	uuid_v7(token_id);
	memcpy(ss.user_id, user_id, sizeof(ss.user_id));
	ss.created_at = ss.last_used_at = clock_now_us();
	ss.expires_at = refresh_expiry(c, ss.created_at);
	token_refresh_new(refresh);
	token_sha256_hex(refresh, hash);
	enum mtag_err e = store_session_create(c->store, &ss, token_id, hash);
	if (e)
		return e;
	t->refresh_token = refresh;
	sign_access(c, a, user_id, ss.id, t);
	return ERR_OK;
}

enum mtag_err core_login_rate(struct core *c, struct arena *a, const struct core_client *cl,
			      const char *email, struct core_failure *f)
{
	int acct = c->cfg->rate_login_account;
	char who[NETADDR_CLIENT_LEN]; /* an IPv6 client is its /64 */
	netaddr_client(cl->ip, who);
	enum mtag_err e = core_rate_check(c, arena_printf(a, "login:ip:%s", who), c->cfg->rate_login, f);
	if (!e)
		e = core_rate_check(c, arena_printf(a, "login:acct-ip:%s:%s", email, who), acct, f);
	if (!e)
		e = core_rate_check(c, arena_printf(a, "login:acct:%s", email), 6 * acct, f);
	return e;
}

enum mtag_err core_auth_login(struct core *c, struct arena *a, const struct core_client *cl,
			      const char *email_in, const char *password, struct core_user *user,
			      struct core_tokens *tokens, struct core_failure *f)
{
	struct store_user u;
	const char *email = core_normalize_email_loose(a, email_in);
	enum mtag_err e = core_login_rate(c, a, cl, email, f);
	if (e)
		return e;
	e = core_user_by_email(c, a, email_in, &u);
	if (e == ERR_NOT_FOUND) {
		/* Same work, same answer as a wrong password: no account discovery. */
		password_verify_dummy(password);
		core_audit(c, NULL, "login_failed", cl->ip, "{\"reason\":\"unknown_email\"}");
		f->detail = bad_credentials;
		return ERR_UNAUTHORIZED;
	}
	if (e)
		return e;
	bool rehash = false;
	e = password_verify(u.password_hash, password, &rehash);
	if (e == ERR_UNAUTHORIZED) {
		core_audit(c, u.id, "login_failed", cl->ip, "{\"reason\":\"wrong_password\"}");
		f->detail = bad_credentials;
		return e;
	}
	if (e)
		return e;
	if (!u.is_active) {
		core_audit(c, u.id, "login_failed", cl->ip, "{\"reason\":\"disabled\"}");
		f->detail = "this account is disabled";
		return ERR_FORBIDDEN;
	}
	if (rehash)
		core_upgrade_hash(c, a, u.id, password);
	e = core_start_session(c, a, cl, u.id, tokens);
	if (e)
		return e;
	core_user_from_store(user, &u);
	core_audit(c, u.id, "login", cl->ip, NULL);
	return ERR_OK;
}

/* True for exactly REFRESH_TOKEN_LEN lower-case hex digits. */
static bool refresh_token_valid(const char *t)
{
	if (!t || strlen(t) != REFRESH_TOKEN_LEN)
		return false;
	return strspn(t, "0123456789abcdef") == REFRESH_TOKEN_LEN;
}

enum mtag_err core_auth_refresh(struct core *c, struct arena *a, const struct core_client *cl,
				const char *refresh_token, struct core_tokens *tokens,
				struct core_failure *f)
{
	char who[NETADDR_CLIENT_LEN]; /* an IPv6 client is its /64 */
	netaddr_client(cl->ip, who);
	enum mtag_err e = core_rate_check(c, arena_printf(a, "refresh:ip:%s", who), c->cfg->rate_refresh, f);
	if (e)
		return e;
	f->detail = bad_token;
	if (!refresh_token_valid(refresh_token))
		return ERR_UNAUTHORIZED;
	char old_hash[SHA256_HEX_LEN], new_hash[SHA256_HEX_LEN];
	char *fresh = arena_alloc(a, REFRESH_TOKEN_LEN + 1);
	token_sha256_hex(refresh_token, old_hash);
	token_refresh_next(c->refresh_key, refresh_token, fresh);
	token_sha256_hex(fresh, new_hash);
	struct store_rotation r = { .old_sha256 = old_hash, .new_sha256 = new_hash,
				    .now = clock_now_us(), .grace_us = REFRESH_GRACE_US,
				    .user_agent = clip_user_agent(a, cl->user_agent), .ip = cl->ip };
	uuid_v7(r.new_id);
	r.expires_at = refresh_expiry(c, r.now);
	e = store_refresh_rotate(c->store, &r);
	if (e == ERR_NOT_FOUND)
		return ERR_UNAUTHORIZED;
	if (e)
		return e;
	switch (r.outcome) {
	case STORE_ROTATED:
	case STORE_ROTATED_IN_GRACE:
		tokens->refresh_token = fresh;
		sign_access(c, a, r.user_id, r.session_id, tokens);
		f->detail = NULL;
		return ERR_OK;
	case STORE_REUSED:
		log_warn("auth.refresh_reuse", "user=%s session=%s", r.user_id, r.session_id);
		core_audit(c, r.user_id, "refresh_reuse", cl->ip,
			   arena_printf(a, "{\"session_id\":\"%s\"}", r.session_id));
		f->detail = "this refresh token was already used; the session has been ended";
		return ERR_UNAUTHORIZED;
	case STORE_DEAD:
		break;
	}
	return ERR_UNAUTHORIZED;
}

enum mtag_err core_auth_authenticate(struct core *c, struct arena *a, const char *access_token,
				     struct core_identity *id)
{
	struct token_claims claims;
	struct store_user u;
	int64_t now = clock_now_us();
	enum mtag_err e = token_verify(a, (const char *)c->access_key, sizeof(c->access_key),
				       access_token, "access", now / 1000000, &claims);
	if (e)
		return ERR_UNAUTHORIZED;
	e = store_session_check(c->store, a, claims.sid, claims.sub, now, &u);
	if (e == ERR_NOT_FOUND)
		return ERR_UNAUTHORIZED;
	if (e)
		return e;
	core_user_from_store(&id->user, &u);
	snprintf(id->session_id, sizeof(id->session_id), "%s", claims.sid);
	return ERR_OK;
}

enum mtag_err core_auth_logout(struct core *c, const struct core_client *cl,
			       const struct core_identity *id, const char *refresh_token)
{
	char user_id[UUID_STR_LEN], sid[UUID_STR_LEN];
	if (id) {
		memcpy(user_id, id->user.id, sizeof(user_id));
		memcpy(sid, id->session_id, sizeof(sid));
	} else {
		char hash[SHA256_HEX_LEN];
		if (!refresh_token_valid(refresh_token))
			return ERR_UNAUTHORIZED;
		token_sha256_hex(refresh_token, hash);
		enum mtag_err e = store_refresh_session(c->store, hash, clock_now_us(), user_id, sid);
		if (e == ERR_NOT_FOUND)
			return ERR_UNAUTHORIZED;
		if (e)
			return e;
	}
	enum mtag_err e = store_session_revoke(c->store, user_id, sid, clock_now_us());
	if (e == ERR_NOT_FOUND)
		return ERR_UNAUTHORIZED;
	if (e)
		return e;
	core_audit(c, user_id, "logout", cl->ip, NULL);
	return ERR_OK;
}

enum mtag_err core_auth_logout_all(struct core *c, const struct core_client *cl,
				   const struct core_identity *id, bool keep_current, int *count)
{
	enum mtag_err e = store_session_revoke_all(c->store, id->user.id,
						   keep_current ? id->session_id : NULL,
						   clock_now_us(), count);
	if (!e)
		core_audit(c, id->user.id, keep_current ? "logout_others" : "logout_all", cl->ip, NULL);
	return e;
}

enum mtag_err core_auth_sessions(struct core *c, struct arena *a, const struct core_identity *id,
				 struct core_session **out, size_t *n)
{
	struct store_session *ss;
	enum mtag_err e = store_session_list(c->store, a, id->user.id, clock_now_us(), SESSIONS_MAX, &ss, n);
	if (e)
		return e;
	*out = arena_calloc(a, *n ? *n : 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		memcpy((*out)[i].id, ss[i].id, sizeof(ss[i].id));
		(*out)[i].user_agent = ss[i].user_agent;
		(*out)[i].ip = ss[i].ip;
		(*out)[i].created_at = ss[i].created_at;
		(*out)[i].last_used_at = ss[i].last_used_at;
		(*out)[i].expires_at = ss[i].expires_at;
	}
	return ERR_OK;
}

enum mtag_err core_auth_revoke_session(struct core *c, const struct core_client *cl,
				       const struct core_identity *id, const char *session_id)
{
	enum mtag_err e = store_session_revoke(c->store, id->user.id, session_id, clock_now_us());
	if (!e) {
		char detail[80];
		snprintf(detail, sizeof(detail), "{\"session_id\":\"%s\"}", session_id);
		core_audit(c, id->user.id, "session_revoked", cl->ip, detail);
	}
	return e;
}

enum mtag_err core_auth_purge(struct core *c, int *deleted)
{
	return store_session_purge(c->store, clock_now_us(), deleted);
}
