/*
 * store_pg_int.h - what the two files of the PostgreSQL driver share.
 *
 * store_pg.c holds the connections (pool, reconnects, error mapping), the
 * statement helpers, migrations and the seed's tables (users, jobs,
 * documents); store_pg_auth.c holds sessions, refresh tokens, the audit log
 * and user administration, on the helpers declared here. Nothing outside
 * these two files includes it.
 *
 * Statements use $1, $2, ... bound from struct store_param through
 * PQexecParams; every parameter of the array must appear in the statement
 * (PostgreSQL infers each one's type from where it is used).
 *
 * Thread-safety: as store_int.h; a struct pgd_call is held by one thread.
 */
#ifndef MTAG_STORE_PG_INT_H
#define MTAG_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store_int.h"

/* A timestamptz column as exact epoch microseconds. */
#define PGD_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

/* The users columns, each name prefixed by p ("" or "u."), in pgd_row_user's order. */
#define PGD_USER_COLS(p)                                                           \
	p "id, " p "email, " p "full_name, " p "password_hash, " p "is_active, "     \
	p "is_admin, " PGD_US(p "created_at") ", " PGD_US(p "updated_at")

struct pgd_store {
	struct store base; /* first: a struct store * is a struct pgd_store * */
	struct store_pool pool;
	char *url;
};

/* A connection held for one call; broken when it must be closed, not pooled. */
struct pgd_call {
	PGconn *conn;
	bool broken;
};

/* Row row of a result being read into an arena; bad is set when a value does not parse. */
struct pgd_row {
	PGresult *res;
	struct arena *a;
	bool bad;
	int row;
};

/* Runs statements on a held connection. */
typedef enum mtag_err (*pgd_fn)(struct pgd_call *c, void *ctx);
/* Copies row r->row of a result into out. */
typedef enum mtag_err (*pgd_row_fn)(struct pgd_row *r, void *out);

/* Run one statement with parameters. OUT: *out (may be NULL), the result on success. */
enum mtag_err pgd_run(struct pgd_call *c, const char *op, const char *sql,
		      const struct store_param *p, int n, PGresult **out);
/* As pgd_run, for a write. OUT: *changes, the rows it inserted, updated or deleted. */
enum mtag_err pgd_run_count(struct pgd_call *c, const char *op, const char *sql,
			    const struct store_param *p, int n, int *changes);
/* Run a query on c and copy its first row with fn; ERR_NOT_FOUND when it returns none. */
enum mtag_err pgd_one(struct pgd_call *c, struct arena *a, const char *op, const char *sql,
		      const struct store_param *p, int n, pgd_row_fn fn, void *out);
/*
 * Copy every row of res (at most max) with fn into an array of elements of
 * size bytes in the arena. OUT: *out (NULL when no row), *count.
 */
enum mtag_err pgd_rows(PGresult *res, struct arena *a, pgd_row_fn fn, size_t size, size_t max,
		       void **out, size_t *count);
/*
 * Hold a pooled connection for fn. A connection left broken or inside a
 * transaction is closed rather than pooled. retry: fn only reads, so it is
 * run once more on a fresh connection after a connection error.
 */
enum mtag_err pgd_with_conn(struct pgd_store *s, bool retry, pgd_fn fn, void *ctx);
/*
 * Run fn between begin (a BEGIN statement) and COMMIT on a pooled connection;
 * rolled back when fn fails. read: fn only reads (retried as pgd_with_conn).
 */
enum mtag_err pgd_tx(struct store *s, const char *op, const char *begin, bool read, pgd_fn fn,
		     void *ctx);
/* Run one write statement (atomic on its own). OUT: *changes (may be NULL). */
enum mtag_err pgd_write_count(struct store *s, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes);
/* Run one query on a pooled connection and copy its first row with fn (as pgd_one). */
enum mtag_err pgd_read_one(struct store *s, struct arena *a, const char *op,
			   const char *sql, const struct store_param *p, int n,
			   pgd_row_fn fn, void *out);
/* Run one query on a pooled connection and copy its rows with fn (as pgd_rows). */
enum mtag_err pgd_read_many(struct store *s, struct arena *a, const char *op, const char *sql,
			    const struct store_param *p, int n, pgd_row_fn fn, size_t size,
			    size_t max, void **out, size_t *count);

/* Column i as text in the arena; NULL for SQL NULL. */
const char *pgd_text(struct pgd_row *r, int i);
/* Column i as a 64-bit integer (epoch microseconds, counters); 0 for SQL NULL. */
int64_t pgd_int(struct pgd_row *r, int i);
/* Column i as a boolean ("t" or "f"). */
bool pgd_bool(struct pgd_row *r, int i);
/* Column i as a UUID into out; "" for SQL NULL. */
void pgd_uuid(struct pgd_row *r, int i, char out[UUID_STR_LEN]);
/* The end of a row reader: a value that does not parse means a corrupt row. */
enum mtag_err pgd_row_done(struct pgd_row *r, const char *what);
/* A row of PGD_USER_COLS into a struct store_user. */
enum mtag_err pgd_row_user(struct pgd_row *r, void *out);
/* Column 0 as an int. */
enum mtag_err pgd_row_int(struct pgd_row *r, void *out);

/* ---- store_pg_auth.c: the store_ops of accounts and sessions ---- */

enum mtag_err pgd_session_create(struct store *s, const struct store_session *ss,
				 const char *token_id, const char *token_sha256);
enum mtag_err pgd_session_check(struct store *s, struct arena *a, const char *session_id,
				const char *user_id, int64_t now, struct store_user *user);
enum mtag_err pgd_refresh_rotate(struct store *s, struct store_rotation *r);
enum mtag_err pgd_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				  char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN]);
enum mtag_err pgd_session_revoke(struct store *s, const char *user_id, const char *session_id,
				 int64_t now);
enum mtag_err pgd_session_revoke_all(struct store *s, const char *user_id,
				     const char *except_id, int64_t now, int *count);
enum mtag_err pgd_session_list(struct store *s, struct arena *a, const char *user_id,
			       int64_t now, size_t max, struct store_session **out, size_t *n);
enum mtag_err pgd_session_purge(struct store *s, int64_t now, int *deleted);
enum mtag_err pgd_user_set_password(struct store *s, const char *user_id, const char *hash,
				    int64_t now);
enum mtag_err pgd_user_set_flags(struct store *s, const char *user_id, bool is_active,
				 bool is_admin, int64_t now);
enum mtag_err pgd_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			    struct store_user **out, size_t *n, size_t *total);
enum mtag_err pgd_audit_add(struct store *s, const struct store_audit *ev);
enum mtag_err pgd_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			     struct store_audit **out, size_t *n);

#endif
