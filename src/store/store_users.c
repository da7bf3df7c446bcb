/*
 * store_users.c - users: create, look up, administer, list; on either
 * driver (store_int.h, the driver contract).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include "store_int.h"

#define USER_SELECT "SELECT " STORE_USER_COLS("") " FROM users "

enum mtag_err store_row_user(struct store_row *r, void *out)
{
	struct store_user *u = out;

	store_col_uuid(r, 0, u->id);
	u->email = store_col_text(r, 1);
	u->full_name = store_col_text(r, 2);
	u->password_hash = store_col_text(r, 3);
	u->is_active = store_col_bool(r, 4);
	u->is_admin = store_col_bool(r, 5);
	u->created_at = store_col_time(r, 6);
	u->updated_at = store_col_time(r, 7);
	return store_row_done(r, "users");
}

enum mtag_err store_user_create(struct store *s, const struct store_user *u)
{
	char id[UUID_STR_LEN];
	struct store_param p[] = {
		STORE_TEXT(id), STORE_TEXT(u->email), STORE_TEXT(u->full_name),
		STORE_TEXT(u->password_hash), STORE_BOOL(u->is_active), STORE_BOOL(u->is_admin),
		STORE_TIME(u->created_at), STORE_TIME(u->updated_at),
	};

	if (!store_copy_uuid(id, u->id) || !u->email || !u->email[0] || !u->password_hash ||
	    !utf8_valid(u->email) || !utf8_valid(u->full_name) ||
	    !utf8_valid(u->password_hash))
		return ERR_BAD_REQUEST;
	return store_write(s, "user_create",
			   "INSERT INTO users (" STORE_USER_COLS("") ")"
			   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", p, 8, NULL);
}

enum mtag_err store_user_get(struct store *s, struct arena *a, const char *id,
			     struct store_user *out)
{
	char key[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(key) };

	if (!store_copy_uuid(key, id))
		return ERR_NOT_FOUND;
	return store_read_one(s, a, "user_get", USER_SELECT "WHERE id = $1", p, 1,
			      store_row_user, out);
}

enum mtag_err store_user_get_by_email(struct store *s, struct arena *a, const char *email,
				      struct store_user *out)
{
	struct store_param p[] = { STORE_TEXT(email) };

	if (!email || !utf8_valid(email))
		return ERR_NOT_FOUND;
	return store_read_one(s, a, "user_get_by_email", USER_SELECT "WHERE email = $1", p, 1,
			      store_row_user, out);
}

enum mtag_err store_user_set_password(struct store *s, const char *user_id, const char *hash,
				      int64_t now)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TEXT(hash), STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!hash || !utf8_valid(hash))
		return ERR_BAD_REQUEST;
	e = store_write(s, "user_set_password",
			"UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
			p, 3, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err store_user_set_flags(struct store *s, const char *user_id, bool is_active,
				   bool is_admin, int64_t now)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_BOOL(is_active), STORE_BOOL(is_admin),
				   STORE_TIME(now) };
	int changed = 0;
	enum mtag_err e;

	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	e = store_write(s, "user_set_flags",
			"UPDATE users SET is_active = $2, is_admin = $3, updated_at = $4"
			" WHERE id = $1", p, 4, &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

enum mtag_err store_user_set_email(struct store *s, const char *user_id, const char *email,
				   int64_t now)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_TEXT(uid), STORE_TEXT(email), STORE_TIME(now) };
	int changed = 0;

	if (!store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!email || !utf8_valid(email))
		return ERR_BAD_REQUEST;
	enum mtag_err e = store_write(s, "user_set_email",
				      "UPDATE users SET email = $2, updated_at = $3 WHERE id = $1", p, 3,
				      &changed);
	return !e && !changed ? ERR_NOT_FOUND : e;
}

/* The page and the total of store_user_list, read in one snapshot. */
struct user_page {
	struct arena *a;
	size_t limit, offset;
	void *out; /* OUT: struct store_user[n] */
	size_t n;  /* OUT */
	int total; /* OUT */
};

static enum mtag_err user_page_fn(struct store_conn *c, void *ctx)
{
	struct user_page *u = ctx;
	struct store_param p[] = { STORE_INT(u->limit), STORE_INT(u->offset) };
	enum mtag_err e;

	e = store_one(c, NULL, "user_list", "SELECT count(*) FROM users", NULL, 0, store_row_int,
		      &u->total);
	if (!e)
		e = store_many(c, u->a, "user_list", USER_SELECT "ORDER BY email, id LIMIT $1 OFFSET $2",
			       p, 2, store_row_user, sizeof(struct store_user), u->limit, &u->out,
			       &u->n);
	return e;
}

enum mtag_err store_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			      struct store_user **out, size_t *n, size_t *total)
{
	struct user_page u = { a, store_list_cap(limit), store_list_cap(offset), NULL, 0, 0 };
	enum mtag_err e = store_tx(s, "user_list", STORE_TX_SNAPSHOT, user_page_fn, &u);

	*out = e ? NULL : u.out;
	*n = e ? 0 : u.n;
	if (total)
		*total = e || u.total < 0 ? 0 : (size_t)u.total;
	return e;
}
