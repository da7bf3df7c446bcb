/*
 * store_sqlite_int.h - what the two files of the SQLite driver share.
 *
 * store_sqlite.c holds the connections, the statement helpers, migrations
 * and the seed's tables (users, jobs, documents); store_sqlite_auth.c holds
 * sessions, refresh tokens, the audit log and user administration, on the
 * helpers declared here. Nothing outside these two files includes it.
 *
 * Statements use ?1, ?2, ... placeholders bound from struct store_param;
 * times are TEXT "YYYY-MM-DDTHH:MM:SS.ffffffZ", which sort as they compare.
 *
 * Thread-safety: as store_int.h; a sqlite3 * handed to a helper is held by
 * the calling thread alone (taken from the pool).
 */
#ifndef MTAG_STORE_SQLITE_INT_H
#define MTAG_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store_int.h"

struct sqd_store {
	struct store base; /* first: a struct store * is a struct sqd_store * */
	struct store_pool pool;
	char *path;
};

/* A row being read into an arena; bad is set when a stored value does not parse. */
struct sqd_row {
	sqlite3_stmt *st;
	struct arena *a;
	bool bad;
};

/* Copies the current row into out; ERR_INTERNAL when the row is corrupt. */
typedef enum mtag_err (*sqd_row_fn)(struct sqd_row *r, void *out);
/* Runs statements on a connection inside a transaction (sqd_tx). */
typedef enum mtag_err (*sqd_tx_fn)(sqlite3 *db, void *ctx);

/* The users columns, each name prefixed by p ("" or "u."), in sqd_row_user's order. */
#define SQD_USER_COLS(p)                                                       \
	p "id, " p "email, " p "full_name, " p "password_hash, " p "is_active, " \
	p "is_admin, " p "created_at, " p "updated_at"

/* Turn a SQLite result code into ours; unexpected ones are logged. */
enum mtag_err sqd_err(sqlite3 *db, int rc, const char *op);
/* Run SQL without parameters or results (transaction control, pragmas, migrations). */
enum mtag_err sqd_exec(sqlite3 *db, const char *op, const char *sql);
/* Prepare, bind and step sql once. OUT: *row, true when a row came (may be NULL). */
enum mtag_err sqd_run(sqlite3 *db, const char *op, const char *sql,
		      const struct store_param *p, int n, bool *row);
/* As sqd_run, for a write. OUT: *changes, the rows it inserted, updated or deleted. */
enum mtag_err sqd_run_count(sqlite3 *db, const char *op, const char *sql,
			    const struct store_param *p, int n, int *changes);
/* Run a query on db and copy its first row with fn; ERR_NOT_FOUND when it returns none. */
enum mtag_err sqd_one(sqlite3 *db, struct arena *a, const char *op, const char *sql,
		      const struct store_param *p, int n, sqd_row_fn fn, void *out);
/*
 * Run a query on db and copy every row (at most max) with fn into an array of
 * elements of size bytes in the arena. OUT: *out (NULL when no row), *count.
 */
enum mtag_err sqd_many(sqlite3 *db, struct arena *a, const char *op, const char *sql,
		       const struct store_param *p, int n, sqd_row_fn fn, size_t size,
		       size_t max, void **out, size_t *count);
/*
 * Run fn in a transaction on a pooled connection: BEGIN IMMEDIATE when write
 * (the write lock up front), else a deferred BEGIN (one read snapshot). The
 * transaction commits when fn succeeds and is rolled back otherwise.
 */
enum mtag_err sqd_tx(struct sqd_store *s, const char *op, bool write, sqd_tx_fn fn, void *ctx);
/* Run one write statement in its own BEGIN IMMEDIATE transaction. OUT: *changes (may be NULL). */
enum mtag_err sqd_write_count(struct sqd_store *s, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes);
/* Run one query on a pooled connection and copy its first row with fn (as sqd_one). */
enum mtag_err sqd_read_one(struct sqd_store *s, struct arena *a, const char *op,
			   const char *sql, const struct store_param *p, int n,
			   sqd_row_fn fn, void *out);

/* Column i as text in the arena; NULL for SQL NULL. */
const char *sqd_text(struct sqd_row *r, int i);
/* Column i as microseconds since the epoch; 0 for SQL NULL. */
int64_t sqd_time(struct sqd_row *r, int i);
/* Column i as a UUID into out; "" for SQL NULL. */
void sqd_uuid(struct sqd_row *r, int i, char out[UUID_STR_LEN]);
/* The end of a row reader: a value that does not parse means a corrupt row. */
enum mtag_err sqd_row_done(struct sqd_row *r, const char *what);
/* A row of SQD_USER_COLS into a struct store_user. */
enum mtag_err sqd_row_user(struct sqd_row *r, void *out);
/* Column 0 as an int. */
enum mtag_err sqd_row_int(struct sqd_row *r, void *out);

/* ---- store_sqlite_auth.c: the store_ops of accounts and sessions ---- */

enum mtag_err sqd_session_create(struct store *s, const struct store_session *ss,
				 const char *token_id, const char *token_sha256);
enum mtag_err sqd_session_check(struct store *s, struct arena *a, const char *session_id,
				const char *user_id, int64_t now, struct store_user *user);
enum mtag_err sqd_refresh_rotate(struct store *s, struct store_rotation *r);
enum mtag_err sqd_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				  char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN]);
enum mtag_err sqd_session_revoke(struct store *s, const char *user_id, const char *session_id,
				 int64_t now);
enum mtag_err sqd_session_revoke_all(struct store *s, const char *user_id,
				     const char *except_id, int64_t now, int *count);
enum mtag_err sqd_session_list(struct store *s, struct arena *a, const char *user_id,
			       int64_t now, size_t max, struct store_session **out, size_t *n);
enum mtag_err sqd_session_purge(struct store *s, int64_t now, int *deleted);
enum mtag_err sqd_user_set_password(struct store *s, const char *user_id, const char *hash,
				    int64_t now);
enum mtag_err sqd_user_set_flags(struct store *s, const char *user_id, bool is_active,
				 bool is_admin, int64_t now);
enum mtag_err sqd_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			    struct store_user **out, size_t *n, size_t *total);
enum mtag_err sqd_audit_add(struct store *s, const struct store_audit *ev);
enum mtag_err sqd_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			     struct store_audit **out, size_t *n);

#endif
