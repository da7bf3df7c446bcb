/*
 * api_auth.c - the /api/auth endpoints: register, login, refresh, logout, profile,
 * sessions, password change. Browsers also get the refresh token as an
 * HttpOnly SameSite=Strict cookie scoped to /api/auth (docs/security.md).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "core/core.h"
#include "base/xalloc.h"

#define REFRESH_COOKIE "mtag_refresh"
#define EMAIL_FIELD_MAX 1024
#define PASSWORD_FIELD_MAX 4096 /* bytes; the rule (1024 characters) is checked by core */
#define NAME_FIELD_MAX 4096
#define TOKEN_FIELD_MAX 256

json_t *api_json_time(int64_t us)
{
	char iso[CLOCK_ISO_LEN];
	return us ? json_string(clock_format_iso(us, iso)) : json_null();
}

void api_fail(struct http_response *res, enum mtag_err e, const struct core_failure *f)
{
	if (e == ERR_RATE_LIMITED) {
		char s[16];
		snprintf(s, sizeof(s), "%d", f->retry_after_s > 0 ? f->retry_after_s : 1);
		http_set_header(res, "Retry-After", s);
	}
	if (e == ERR_UNAUTHORIZED)
		http_set_header(res, "WWW-Authenticate", "Bearer");
	http_respond_error(res, e, f ? f->detail : NULL);
}

static json_t *user_json(const struct core_user *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(u->id));
	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "full_name", u->full_name ? json_string(u->full_name) : json_null());
	json_object_set_new(o, "is_active", json_boolean(u->is_active));
	json_object_set_new(o, "is_admin", json_boolean(u->is_admin));
	json_object_set_new(o, "created_at", api_json_time(u->created_at));
	return o;
}

/* The refresh cookie: HttpOnly, SameSite=Strict, only sent to /api/auth; Secure behind https. */
static void set_refresh_cookie(struct http_request *req, struct http_response *res,
			       const char *token, int64_t max_age)
{
	const struct core *c = req->app;
	bool secure = strncmp(core_public_url(c), "https://", 8) == 0;
	http_set_header(res, "Set-Cookie",
			arena_printf(req->arena, "%s=%s; Path=/api/auth; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
				     REFRESH_COOKIE, token, (long long)max_age, secure ? "; Secure" : ""));
}

static void respond_tokens(struct http_request *req, struct http_response *res, int status,
			   const struct core_user *user, const struct core_tokens *t)
{
	json_t *o = jsonx_own(req->arena, json_object());
	if (user)
		json_object_set_new(o, "user", user_json(user));
	json_object_set_new(o, "access_token", json_string(t->access_token));
	json_object_set_new(o, "refresh_token", json_string(t->refresh_token));
	json_object_set_new(o, "token_type", json_string("bearer"));
	json_object_set_new(o, "expires_in", json_integer(t->expires_in));
	set_refresh_cookie(req, res, t->refresh_token, t->refresh_expires_in);
	http_respond_json(res, status, o);
}

/* The JSON body, answering 415/400/422 itself. */
static json_t *body_or_fail(struct http_request *req, struct http_response *res)
{
	json_t *body;
	const char *detail;
	enum mtag_err e = http_json_body(req, &body, &detail);
	if (e) {
		http_respond_error(res, e, detail);
		return NULL;
	}
	return body;
}

/* Read the string fields named in keys[] (NULL-terminated); answers 422 itself. */
static bool get_strings(struct http_request *req, struct http_response *res, json_t *body,
			const char *const *keys, const bool *required, const size_t *max,
			const char **out)
{
	for (size_t i = 0; keys[i]; i++) {
		const char *detail;
		out[i] = NULL;
		enum mtag_err e = jsonx_get_string(req->arena, body, keys[i], required[i], max[i],
						   &out[i], &detail);
		if (e) {
			http_respond_error(res, e, detail);
			return false;
		}
	}
	return true;
}

void api_auth_register(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "email", "password", "full_name", NULL };
	static const bool required[] = { true, true, false };
	static const size_t max[] = { EMAIL_FIELD_MAX, PASSWORD_FIELD_MAX, NAME_FIELD_MAX };
	const char *v[3];
	json_t *body = body_or_fail(req, res);
	if (!body || !get_strings(req, res, body, keys, required, max, v))
		return;
	struct core_client cl;
	struct core_user user;
	struct core_tokens t;
	struct core_failure f = { 0 };
	api_client(req, &cl);
	enum mtag_err e = core_auth_register(req->app, req->arena, &cl, v[0], v[1], v[2], &user, &t, &f);
	if (e)
		return api_fail(res, e, &f);
	respond_tokens(req, res, 201, &user, &t);
}

void api_auth_login(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "email", "password", NULL };
	static const bool required[] = { true, true };
	static const size_t max[] = { EMAIL_FIELD_MAX, PASSWORD_FIELD_MAX };
	const char *v[2];
	json_t *body = body_or_fail(req, res);
	if (!body || !get_strings(req, res, body, keys, required, max, v))
		return;
	struct core_client cl;
	struct core_user user;
	struct core_tokens t;
	struct core_failure f = { 0 };
	api_client(req, &cl);
	enum mtag_err e = core_auth_login(req->app, req->arena, &cl, v[0], v[1], &user, &t, &f);
	if (e)
		return api_fail(res, e, &f);
	respond_tokens(req, res, 200, &user, &t);
}

/*
 * The refresh_token of a JSON body, when there is a body: NULL when it has
 * none. Answers a malformed body itself and returns false.
 */
static bool body_token(struct http_request *req, struct http_response *res, const char **token)
{
	static const char *const keys[] = { "refresh_token", NULL };
	static const bool required[] = { false };
	static const size_t max[] = { TOKEN_FIELD_MAX };
	*token = NULL;
	if (req->body.len == 0)
		return true;
	json_t *body = body_or_fail(req, res);
	return body && get_strings(req, res, body, keys, required, max, token);
}

/*
 * The refresh token of a refresh or logout call: from the JSON body, else
 * from the cookie. A cookie alone must come with Content-Type
 * application/json, which a cross-site HTML form cannot send. Answers the
 * error itself and returns false; *token may be NULL when none was given.
 */
static bool refresh_token_of(struct http_request *req, struct http_response *res,
			     const char **token)
{
	if (!body_token(req, res, token))
		return false;
	if (*token)
		return true;
	*token = http_cookie(req, REFRESH_COOKIE);
	if (*token && !http_media_is(http_header(req, "Content-Type"), "application/json")) {
		http_respond_error(res, ERR_UNSUPPORTED_TYPE,
				   "calls authenticated by cookie must send Content-Type: application/json");
		return false;
	}
	return true;
}

void api_auth_refresh(struct http_request *req, struct http_response *res)
{
	const char *token;
	if (!refresh_token_of(req, res, &token))
		return;
	if (!token) {
		struct core_failure f = { "no refresh token: send refresh_token or the cookie", 0 };
		return api_fail(res, ERR_UNAUTHORIZED, &f);
	}
	struct core_client cl;
	struct core_tokens t;
	struct core_failure f = { 0 };
	api_client(req, &cl);
	enum mtag_err e = core_auth_refresh(req->app, req->arena, &cl, token, &t, &f);
	if (e) {
		/* A dead token in the cookie is of no more use: drop it. */
		if (e == ERR_UNAUTHORIZED)
			set_refresh_cookie(req, res, "", 0);
		return api_fail(res, e, &f);
	}
	respond_tokens(req, res, 200, NULL, &t);
}

static void respond_message(struct http_request *req, struct http_response *res, const char *msg)
{
	json_t *o = jsonx_own(req->arena, json_pack("{s:s}", "message", msg));
	http_respond_json(res, 200, o);
}

void api_auth_logout(struct http_request *req, struct http_response *res)
{
	const struct core_identity *id = api_identity(req);
	const char *token = NULL;
	/* With a bearer token, that session ends; a body must still be well-formed. */
	if (id ? !body_token(req, res, &token) : !refresh_token_of(req, res, &token))
		return;
	if (id)
		token = NULL;
	if (!id && !token) {
		struct core_failure f = { "authentication is required: send a bearer token, refresh_token or the cookie", 0 };
		return api_fail(res, ERR_UNAUTHORIZED, &f);
	}
	struct core_client cl;
	api_client(req, &cl);
	enum mtag_err e = core_auth_logout(req->app, &cl, id, token);
	if (e) {
		struct core_failure f = { "invalid or expired token", 0 };
		return api_fail(res, e, &f);
	}
	set_refresh_cookie(req, res, "", 0);
	respond_message(req, res, "logged out");
}

void api_auth_logout_all(struct http_request *req, struct http_response *res)
{
	struct core_client cl;
	int n = 0;
	bool keep_current = false;
	/* The body is optional: {"keep_current": true} ends every other session. */
	if (req->body.len) {
		const char *detail;
		json_t *body = body_or_fail(req, res);
		if (!body)
			return;
		enum mtag_err e = jsonx_get_bool(req->arena, body, "keep_current", false,
						 &keep_current, &detail);
		if (e)
			return http_respond_error(res, e, detail);
	}
	api_client(req, &cl);
	enum mtag_err e = core_auth_logout_all(req->app, &cl, api_identity(req), keep_current, &n);
	if (e)
		return http_respond_error(res, e, NULL);
	if (!keep_current)
		set_refresh_cookie(req, res, "", 0);
	json_t *o = jsonx_own(req->arena,
			      json_pack("{s:s, s:i}", "message",
					keep_current ? "logged out everywhere else" : "logged out everywhere",
					"sessions_revoked", n));
	http_respond_json(res, 200, o);
}

void api_auth_me(struct http_request *req, struct http_response *res)
{
	json_t *o = jsonx_own(req->arena, user_json(&api_identity(req)->user));
	http_respond_json(res, 200, o);
}

void api_auth_sessions(struct http_request *req, struct http_response *res)
{
	const struct core_identity *id = api_identity(req);
	struct core_session *ss;
	size_t n;
	enum mtag_err e = core_auth_sessions(req->app, req->arena, id, &ss, &n);
	if (e)
		return http_respond_error(res, e, NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "id", json_string(ss[i].id));
		json_object_set_new(s, "current", json_boolean(strcmp(ss[i].id, id->session_id) == 0));
		json_object_set_new(s, "user_agent", ss[i].user_agent ? json_string(ss[i].user_agent) : json_null());
		json_object_set_new(s, "ip", ss[i].ip ? json_string(ss[i].ip) : json_null());
		json_object_set_new(s, "created_at", api_json_time(ss[i].created_at));
		json_object_set_new(s, "last_used_at", api_json_time(ss[i].last_used_at));
		json_object_set_new(s, "expires_at", api_json_time(ss[i].expires_at));
		json_array_append_new(list, s);
	}
	json_t *o = jsonx_own(req->arena, json_pack("{s:o}", "sessions", list));
	http_respond_json(res, 200, o);
}

void api_auth_session_delete(struct http_request *req, struct http_response *res)
{
	const char *sid = http_param(req, "id");
	struct core_client cl;
	api_client(req, &cl);
	enum mtag_err e = core_auth_revoke_session(req->app, &cl, api_identity(req), sid);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such session");
	if (e)
		return http_respond_error(res, e, NULL);
	json_t *o = jsonx_own(req->arena, json_pack("{s:s, s:s}", "message", "session ended",
						    "session_id", sid));
	http_respond_json(res, 200, o);
}

void api_auth_change_password(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "current_password", "new_password", NULL };
	static const bool required[] = { true, true };
	static const size_t max[] = { PASSWORD_FIELD_MAX, PASSWORD_FIELD_MAX };
	const char *v[2];
	json_t *body = body_or_fail(req, res);
	if (!body || !get_strings(req, res, body, keys, required, max, v))
		return;
	struct core_client cl;
	struct core_failure f = { 0 };
	api_client(req, &cl);
	enum mtag_err e = core_auth_change_password(req->app, req->arena, &cl, api_identity(req),
						    v[0], v[1], &f);
	if (e)
		return api_fail(res, e, &f);
	respond_message(req, res, "password changed; other sessions were ended");
}
