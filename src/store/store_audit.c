/*
 * store_audit.c - the audit log: append, list newest first; on either
 * driver (store_int.h, the driver contract).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include "store_int.h"

/* Append a checked line (ids canonical, detail present). */
static enum mtag_err audit_insert(struct store *s, const struct store_audit *ev)
{
	struct store_param p[] = {
		STORE_TEXT(ev->id), STORE_OWNER(ev->user_id), STORE_TEXT(ev->event),
		STORE_TEXT(ev->ip), STORE_TEXT(ev->detail), STORE_TIME(ev->created_at),
	};
	return store_write(s, "audit_add",
			   "INSERT INTO audit_log (id, user_id, event, ip, detail, created_at)"
			   " VALUES ($1, $2, $3, $4, $5, $6)", p, 6, NULL);
}

enum mtag_err store_audit_add(struct store *s, const struct store_audit *ev)
{
	struct store_audit c = *ev;

	if (!store_copy_uuid(c.id, ev->id) || !store_owner_copy(c.user_id, ev->user_id) ||
	    !ev->event || !ev->event[0] || !utf8_valid(ev->event) || !utf8_valid(ev->ip) ||
	    !utf8_valid(ev->detail))
		return ERR_BAD_REQUEST;
	if (!c.detail)
		c.detail = "{}";
	return audit_insert(s, &c);
}

static enum mtag_err row_audit(struct store_row *r, void *out)
{
	struct store_audit *ev = out;

	store_col_uuid(r, 0, ev->id);
	store_col_uuid(r, 1, ev->user_id);
	ev->event = store_col_text(r, 2);
	ev->ip = store_col_text(r, 3);
	ev->detail = store_col_text(r, 4);
	ev->created_at = store_col_time(r, 5);
	return store_row_done(r, "audit_log");
}

#define AUDIT_SELECT "SELECT id, user_id, event, ip, detail, created_at FROM audit_log "
/* Newest first; id breaks ties (both indexes carry it: no sort). */
#define AUDIT_ORDER "ORDER BY created_at DESC, id DESC LIMIT $1"

enum mtag_err store_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			       struct store_audit **out, size_t *n)
{
	char uid[UUID_STR_LEN];
	struct store_param p[] = { STORE_INT(store_list_cap(max)), STORE_TEXT(uid) };
	void *rows = NULL;
	enum mtag_err e;

	*out = NULL;
	*n = 0;
	if (user_id && !store_copy_uuid(uid, user_id))
		return ERR_NOT_FOUND;
	if (!max)
		return ERR_OK;
	/* Every parameter bound must appear in the statement (PostgreSQL infers its type there). */
	e = store_read_many(s, a, "audit_list",
			    user_id ? AUDIT_SELECT "WHERE user_id = $2 " AUDIT_ORDER
				    : AUDIT_SELECT AUDIT_ORDER,
			    p, user_id ? 2 : 1, row_audit, sizeof(**out), store_list_cap(max), &rows, n);
	*out = rows;
	return e;
}
