/*
 * core_auth.h - accounts and sessions: register, login, refresh with
 * rotation, logout, sessions, password change, and user administration.
 *
 * Every operation takes the client's context (address, user agent) for the
 * audit log and the rate limits, and returns our error codes: ERR_VALIDATION
 * with the field named, ERR_CONFLICT for a taken email, ERR_UNAUTHORIZED for
 * anything about credentials (always the same sentence, so an attacker learns
 * nothing), ERR_RATE_LIMITED with a retry delay. Thread-safe.
 */
#ifndef MTAG_CORE_AUTH_H
#define MTAG_CORE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/random.h"
#include "core/core.h"

/* A user as the API and the CLI show it (never the password hash). */
struct core_user {
	char id[UUID_STR_LEN];
	const char *email;
	const char *full_name; /* NULL when not given */
	bool is_active;
	bool is_admin;
	int64_t created_at;
	int64_t updated_at;
};

/* Who is calling: set from a valid access token. */
struct core_identity {
	struct core_user user;
	char session_id[UUID_STR_LEN];
};

/* Where a call comes from. */
struct core_client {
	const char *ip;         /* the client address (after trusted proxies) */
	const char *user_agent; /* NULL when not sent */
};

/* A new pair of tokens. */
struct core_tokens {
	const char *access_token;
	const char *refresh_token;
	int64_t expires_in;     /* seconds the access token lives */
	int64_t refresh_expires_in;
};

/* One live session, for the sessions list. */
struct core_session {
	char id[UUID_STR_LEN];
	const char *user_agent;
	const char *ip;
	int64_t created_at;
	int64_t last_used_at;
	int64_t expires_at;
};

/* The outcome of a failed call: a sentence, the field, and for 429 the delay. */
struct core_failure {
	const char *detail;     /* NULL: the error's generic sentence */
	int retry_after_s;      /* for ERR_RATE_LIMITED */
};

/* Register an account and log it in. OUT: user, tokens. */
enum mtag_err core_auth_register(struct core *c, struct arena *a, const struct core_client *cl,
				 const char *email, const char *password, const char *full_name,
				 struct core_user *user, struct core_tokens *tokens,
				 struct core_failure *f);
/* Log in. OUT: user, tokens. */
enum mtag_err core_auth_login(struct core *c, struct arena *a, const struct core_client *cl,
			      const char *email, const char *password, struct core_user *user,
			      struct core_tokens *tokens, struct core_failure *f);
/* Exchange a refresh token for a new pair (the old one stops working). OUT: tokens. */
enum mtag_err core_auth_refresh(struct core *c, struct arena *a, const struct core_client *cl,
				const char *refresh_token, struct core_tokens *tokens,
				struct core_failure *f);
/* Check a bearer access token and its session. OUT: id. */
enum mtag_err core_auth_authenticate(struct core *c, struct arena *a, const char *access_token,
				     struct core_identity *id);
/* End a session: the caller's (id non-NULL) or the one of refresh_token. */
enum mtag_err core_auth_logout(struct core *c, const struct core_client *cl,
			       const struct core_identity *id, const char *refresh_token);
/* End every session of the caller, or every other one (keep_current). OUT: *count. */
enum mtag_err core_auth_logout_all(struct core *c, const struct core_client *cl,
				   const struct core_identity *id, bool keep_current, int *count);
/* The caller's live sessions, most recently used first. OUT: *out (arena), *n. */
enum mtag_err core_auth_sessions(struct core *c, struct arena *a, const struct core_identity *id,
				 struct core_session **out, size_t *n);
/* End one of the caller's sessions. ERR_NOT_FOUND when it is not a live one of theirs. */
enum mtag_err core_auth_revoke_session(struct core *c, const struct core_client *cl,
				       const struct core_identity *id, const char *session_id);
/* Change the caller's password (the current one is required); every other session ends. */
enum mtag_err core_auth_change_password(struct core *c, struct arena *a,
					const struct core_client *cl,
					const struct core_identity *id, const char *current,
					const char *new_password, struct core_failure *f);

/* Administration (the CLI): add a user with a password. */
enum mtag_err core_user_add(struct core *c, struct arena *a, const char *email,
			    const char *password, const char *full_name, bool is_admin,
			    struct core_user *user, struct core_failure *f);
/* Users ordered by email. OUT: *out (arena), *n, *total. */
enum mtag_err core_user_list(struct core *c, struct arena *a, size_t limit, size_t offset,
			     struct core_user **out, size_t *n, size_t *total);
/* Disable (ending every session) or enable an account. */
enum mtag_err core_user_set_active(struct core *c, struct arena *a, const char *email,
				   bool active);
/* Grant or withdraw administration. */
enum mtag_err core_user_set_admin(struct core *c, struct arena *a, const char *email, bool admin);
/* Delete expired sessions and tokens now (the janitor calls it periodically). */
enum mtag_err core_auth_purge(struct core *c, int *deleted);

#endif
