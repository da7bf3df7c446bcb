/*
 * core_users.c - accounts: the input rules, registration, password changes
 * and the administration the CLI offers.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/password.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "core/core_auth.h"
#include "core/core_int.h"
#include "store/store.h"
#include "base/xalloc.h"

#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define FULL_NAME_MAX 255

/* Code points in a UTF-8 string (continuation bytes are not counted). */
static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The email without the spaces and tabs around it: *s moved past them. Returns its length. */
static size_t email_trim(const char **s)
{
	size_t len = strlen(*s);
	while (len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		len--;
	}
	while (len && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t'))
		len--;
	return len;
}

const char *core_normalize_email_loose(struct arena *a, const char *email)
{
	size_t len = email_trim(&email);
	char *out = arena_alloc(a, 2 * len + 1);
	utf8_lower(email, len, out);
	return out;
}

/*
 * in as it was stored before non-ASCII letters were lower-cased too (ASCII
 * only), when that differs from key (in as stored now): an older account's key.
 */
static const char *email_ascii_lower(struct arena *a, const char *in, const char *key)
{
	size_t len = email_trim(&in);
	char *out = arena_strndup(a, in, len);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return strcmp(out, key) ? out : NULL;
}

/* An account whose email is not stored as it is keyed now: its id and its key. */
struct stale_email {
	char id[UUID_STR_LEN];
	const char *key;
	struct stale_email *next;
};

enum mtag_err core_rekey_emails(struct core *c, int *rekeyed)
{
	struct arena a = ARENA_INIT, keep = ARENA_INIT;
	struct store_user *us;
	struct stale_email *stale = NULL;
	size_t n = 0, total = 0, offset = 0;
	enum mtag_err e;
	*rekeyed = 0;
	/* Every key first, then the changes: an update moves a row in the listing's order. */
	do {
		e = store_user_list(c->store, &a, 500, offset, &us, &n, &total);
		for (size_t i = 0; !e && i < n; i++) {
			const char *key = core_normalize_email_loose(&a, us[i].email);
			if (!strcmp(key, us[i].email))
				continue;
			struct stale_email *se = arena_alloc(&keep, sizeof(*se));
			memcpy(se->id, us[i].id, sizeof(se->id));
			se->key = arena_strdup(&keep, key);
			se->next = stale;
			stale = se;
		}
		offset += n;
		arena_release(&a);
	} while (!e && n > 0 && offset < total);
	for (struct stale_email *se = stale; !e && se; se = se->next) {
		enum mtag_err u = store_user_set_email(c->store, se->id, se->key, clock_now_us());
		if (u == ERR_CONFLICT)
			log_warn("auth.email_clash", "user=%s other=another account has its lower-cased email",
				 se->id);
		else if (u)
			e = u;
		else
			(*rekeyed)++;
	}
	if (*rekeyed)
		log_info("auth.emails_rekeyed", "users=%d", *rekeyed);
	arena_release(&keep);
	return e;
}

enum mtag_err core_user_by_email(struct core *c, struct arena *a, const char *email,
				 struct store_user *u)
{
	const char *key = core_normalize_email_loose(a, email);
	enum mtag_err e = store_user_get_by_email(c->store, a, key, u);
	const char *legacy = e == ERR_NOT_FOUND ? email_ascii_lower(a, email, key) : NULL;
	return legacy ? store_user_get_by_email(c->store, a, legacy, u) : e;
}

/*
 * A code point that makes an address look like another one: a combining
 * mark (a letter written decomposed: "e" and U+0301 look like "é"), or an
 * invisible one (zero widths, direction controls, the BOM, variation
 * selectors, tag characters, Hangul fillers). Letters of other scripts that
 * look like Latin ones (Cyrillic а) are not caught.
 */
static bool email_confusable(unsigned cp)
{
	return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
	       (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
	       (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF ||
	       cp == 0x00AD || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0000 && cp <= 0xE007F) ||
	       (cp >= 0xE0100 && cp <= 0xE01EF) || cp == 0x180E || cp == 0x115F || cp == 0x1160 ||
	       cp == 0x3164 || cp == 0xFFA0;
}

/* Trim, lower-case and check an email. OUT: *out. */
static enum mtag_err normalize_email(struct arena *a, const char *in, const char **out,
				     struct core_failure *f)
{
	const char *e = core_normalize_email_loose(a, in);
	const char *at = strchr(e, '@');
	size_t len = strlen(e);
	f->detail = "email: must be a valid email address";
	if (len == 0 || len > EMAIL_MAX) {
		f->detail = "email: must be 1 to 254 characters";
		return ERR_VALIDATION;
	}
	if (!at || strchr(at + 1, '@') || at == e || (size_t)(at - e) > EMAIL_LOCAL_MAX)
		return ERR_VALIDATION;
	const char *domain = at + 1, *dot = strrchr(domain, '.');
	if (!dot || dot == domain || dot[1] == '\0' || domain[0] == '.' || strstr(domain, ".."))
		return ERR_VALIDATION;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',')
			return ERR_VALIDATION;
	for (size_t i = 0, n; i < len; i += n) {
		unsigned cp = utf8_get(e + i, len - i, &n);
		if (cp == UTF8_BAD)
			return ERR_VALIDATION;
		if (email_confusable(cp)) {
			f->detail = "email: must not hold invisible characters or combining marks"
				    " (write each accented letter as one character)";
			return ERR_VALIDATION;
		}
	}
	f->detail = NULL;
	*out = e;
	return ERR_OK;
}

/* The password rules: 8 to 1024 characters, not the email. */
static enum mtag_err check_password(const char *field, const char *pw, const char *email,
				    struct core_failure *f, struct arena *a)
{
	size_t n = utf8_length(pw);
	if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
		f->detail = arena_printf(a, "%s: must be %d to %d characters", field, PASSWORD_MIN,
					 PASSWORD_MAX);
		return ERR_VALIDATION;
	}
	if (strcasecmp(pw, email) == 0) {
		f->detail = arena_printf(a, "%s: must not be the email address", field);
		return ERR_VALIDATION;
	}
	return ERR_OK;
}

/* Trim a full name and check its length; "" becomes NULL. */
static enum mtag_err check_full_name(struct arena *a, const char *in, const char **out,
				     struct core_failure *f)
{
	*out = NULL;
	if (!in)
		return ERR_OK;
	size_t len = strlen(in);
	while (len && in[0] == ' ') {
		in++;
		len--;
	}
	while (len && in[len - 1] == ' ')
		len--;
	const char *name = arena_strndup(a, in, len);
	if (!utf8_valid(name)) {
		f->detail = "full_name: must be UTF-8 text";
		return ERR_VALIDATION;
	}
	/* A name is shown in lists, menus and the log: no line breaks or terminal escapes. */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			f->detail = "full_name: must not hold control characters";
			return ERR_VALIDATION;
		}
	}
	if (utf8_length(name) > FULL_NAME_MAX) {
		f->detail = "full_name: must be at most 255 characters";
		return ERR_VALIDATION;
	}
	*out = len ? name : NULL;
	return ERR_OK;
}

/* Validate, hash and insert a user. OUT: *u. */
static enum mtag_err create_user(struct core *c, struct arena *a, const char *email_in,
				 const char *password, const char *full_name_in, bool is_admin,
				 struct store_user *u, struct core_failure *f)
{
	memset(u, 0, sizeof(*u));
	enum mtag_err e = normalize_email(a, email_in, &u->email, f);
	if (!e)
		e = check_password("password", password, u->email, f, a);
	if (!e)
		e = check_full_name(a, full_name_in, &u->full_name, f);
	if (!e)
		e = password_hash(a, password, &u->password_hash);
	if (e)
		return e;
	uuid_v7(u->id);
	u->is_active = true;
	u->is_admin = is_admin;
	u->created_at = u->updated_at = clock_now_us();
	e = store_user_create(c->store, u);
	if (e == ERR_CONFLICT)
		f->detail = "email: an account with this email already exists";
	return e;
}

enum mtag_err core_auth_register(struct core *c, struct arena *a, const struct core_client *cl,
				 const char *email, const char *password, const char *full_name,
				 struct core_user *user, struct core_tokens *tokens,
				 struct core_failure *f)
{
	struct store_user u;
	char who[NETADDR_CLIENT_LEN]; /* an IPv6 client is its /64 */
	netaddr_client(cl->ip, who);
	enum mtag_err e = core_rate_check(c, arena_printf(a, "register:ip:%s", who),
					  c->cfg->rate_register, f);
	if (!e)
		e = create_user(c, a, email, password, full_name, false, &u, f);
	if (!e)
		e = core_start_session(c, a, cl, u.id, tokens);
	if (e)
		return e;
	core_user_from_store(user, &u);
	core_audit(c, u.id, "register", cl->ip, NULL);
	return ERR_OK;
}

void core_upgrade_hash(struct core *c, struct arena *a, const char *user_id, const char *password)
{
	const char *hash;
	enum mtag_err e = password_hash(a, password, &hash);
	if (!e)
		e = store_user_set_password(c->store, user_id, hash, clock_now_us());
	if (e)
		log_warn("auth.rehash_failed", "user=%s err=%s", user_id, err_name(e));
	else
		log_info("auth.rehashed", "user=%s to=argon2id", user_id);
}

enum mtag_err core_auth_change_password(struct core *c, struct arena *a,
					const struct core_client *cl,
					const struct core_identity *id, const char *current,
					const char *new_password, struct core_failure *f)
{
	struct store_user u;
	const char *hash;
	enum mtag_err e = store_user_get(c->store, a, id->user.id, &u);
	if (e)
		return e == ERR_NOT_FOUND ? ERR_UNAUTHORIZED : e;
	e = core_login_rate(c, a, cl, core_normalize_email_loose(a, u.email), f);
	if (e)
		return e;
	e = password_verify(u.password_hash, current, NULL);
	if (e == ERR_UNAUTHORIZED) {
		core_audit(c, u.id, "password_change_failed", cl->ip, NULL);
		f->detail = "current_password: is not correct";
		return ERR_VALIDATION;
	}
	if (!e)
		e = check_password("new_password", new_password, u.email, f, a);
	if (!e)
		e = password_hash(a, new_password, &hash);
	if (!e)
		e = store_user_set_password(c->store, u.id, hash, clock_now_us());
	if (!e)
		e = store_session_revoke_all(c->store, u.id, id->session_id, clock_now_us(), NULL);
	if (!e)
		core_audit(c, u.id, "password_changed", cl->ip, NULL);
	return e;
}

enum mtag_err core_user_add(struct core *c, struct arena *a, const char *email,
			    const char *password, const char *full_name, bool is_admin,
			    struct core_user *user, struct core_failure *f)
{
	struct store_user u;
	enum mtag_err e = create_user(c, a, email, password, full_name, is_admin, &u, f);
	if (e)
		return e;
	core_user_from_store(user, &u);
	core_audit(c, u.id, "user_added", NULL, is_admin ? "{\"admin\":true}" : NULL);
	return ERR_OK;
}

enum mtag_err core_user_list(struct core *c, struct arena *a, size_t limit, size_t offset,
			     struct core_user **out, size_t *n, size_t *total)
{
	struct store_user *us;
	enum mtag_err e = store_user_list(c->store, a, limit, offset, &us, n, total);
	if (e)
		return e;
	*out = arena_calloc(a, *n ? *n : 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++)
		core_user_from_store(&(*out)[i], &us[i]);
	return ERR_OK;
}

enum mtag_err core_user_set_active(struct core *c, struct arena *a, const char *email, bool active)
{
	struct store_user u;
	int64_t now = clock_now_us();
	enum mtag_err e = core_user_by_email(c, a, email, &u);
	if (!e)
		e = store_user_set_flags(c->store, u.id, active, u.is_admin, now);
	/* Disabling ends every session: the access tokens die with them. */
	if (!e && !active)
		e = store_session_revoke_all(c->store, u.id, NULL, now, NULL);
	if (!e)
		core_audit(c, u.id, active ? "user_enabled" : "user_disabled", NULL, NULL);
	return e;
}

enum mtag_err core_user_set_admin(struct core *c, struct arena *a, const char *email, bool admin)
{
	struct store_user u;
	enum mtag_err e = core_user_by_email(c, a, email, &u);
	if (!e)
		e = store_user_set_flags(c->store, u.id, u.is_active, admin, clock_now_us());
	if (!e)
		core_audit(c, u.id, admin ? "user_admin_granted" : "user_admin_revoked", NULL, NULL);
	return e;
}
