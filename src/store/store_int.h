/*
 * store_int.h - what the store drivers share; nothing outside store/ sees it.
 *
 * A driver is one `const struct store_ops` (store_sqlite.c, store_pg.c), as
 * SQLite's VFS or redis' ConnectionType. Its own store struct embeds
 * `struct store` first, so a `struct store *` casts to it. store.c checks and
 * normalises every input before calling a driver (ids in lower case, owner
 * scoping, JSON defaults, UTF-8), so the drivers only talk to their database.
 *
 * Also here: the bounded connection pool both drivers use (store_pool.c), the
 * migration runner (store_migrate.c) and the typed statement parameters the
 * drivers bind (struct store_param).
 *
 * Thread-safety: a store_ops function may be called from any thread at once;
 * a pool hands each caller a connection of its own.
 */
#ifndef MTAG_STORE_INT_H
#define MTAG_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/embed.h"
#include "base/err.h"
#include "store/store.h"

/* How long a call waits for a free connection before ERR_UNAVAILABLE. */
#define STORE_POOL_TIMEOUT_US (5 * 1000000LL)

struct store {
	const struct store_ops *ops;
};

/*
 * One driver. The functions mirror store.h after store.c's checks: ids are
 * valid lower-case UUIDs, required strings are present, JSON fields are not
 * NULL. The gets take no owner: store.c compares the row's user_id itself.
 */
struct store_ops {
	const char *name; /* "sqlite" or "postgresql" */
	enum mtag_err (*open)(const char *url, int pool_size, struct store **out,
			      char *err, size_t errlen);
	void (*close)(struct store *s);
	enum mtag_err (*ping)(struct store *s);
	enum mtag_err (*migrate)(struct store *s, int *applied);
	enum mtag_err (*schema_version)(struct store *s, int *version);
	enum mtag_err (*user_create)(struct store *s, const struct store_user *u);
	enum mtag_err (*user_get)(struct store *s, struct arena *a, const char *id,
				  struct store_user *out);
	enum mtag_err (*user_get_by_email)(struct store *s, struct arena *a,
					   const char *email, struct store_user *out);
	enum mtag_err (*job_create)(struct store *s, const struct store_job *j);
	enum mtag_err (*job_get)(struct store *s, struct arena *a, const char *id,
				 struct store_job *out);
	enum mtag_err (*document_create)(struct store *s, const struct store_document *d);
	enum mtag_err (*document_get)(struct store *s, struct arena *a, const char *id,
				      struct store_document *out);
	/* Accounts and sessions. session_list and audit_list get max >= 1 (store.c answers
	 * 0 itself); limits are at most STORE_LIST_CAP; count outputs are not NULL. */
	enum mtag_err (*session_create)(struct store *s, const struct store_session *ss,
					const char *token_id, const char *token_sha256);
	enum mtag_err (*session_check)(struct store *s, struct arena *a, const char *session_id,
				       const char *user_id, int64_t now, struct store_user *user);
	enum mtag_err (*refresh_rotate)(struct store *s, struct store_rotation *r);
	enum mtag_err (*refresh_session)(struct store *s, const char *token_sha256, int64_t now,
					 char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN]);
	enum mtag_err (*session_revoke)(struct store *s, const char *user_id,
					const char *session_id, int64_t now);
	enum mtag_err (*session_revoke_all)(struct store *s, const char *user_id,
					    const char *except_id, int64_t now, int *count);
	enum mtag_err (*session_list)(struct store *s, struct arena *a, const char *user_id,
				      int64_t now, size_t max, struct store_session **out,
				      size_t *n);
	enum mtag_err (*session_purge)(struct store *s, int64_t now, int *deleted);
	enum mtag_err (*user_set_password)(struct store *s, const char *user_id, const char *hash,
					   int64_t now);
	enum mtag_err (*user_set_flags)(struct store *s, const char *user_id, bool is_active,
					bool is_admin, int64_t now);
	enum mtag_err (*user_list)(struct store *s, struct arena *a, size_t limit, size_t offset,
				   struct store_user **out, size_t *n, size_t *total);
	enum mtag_err (*audit_add)(struct store *s, const struct store_audit *ev);
	enum mtag_err (*audit_list)(struct store *s, struct arena *a, const char *user_id,
				    size_t max, struct store_audit **out, size_t *n);
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* ---- the connection pool (store_pool.c) ---- */

/* Make a new connection. OUT: *conn. ERR_UNAVAILABLE when the database cannot be reached. */
typedef enum mtag_err (*store_conn_open_fn)(void *ctx, void **conn);
/* Close a connection made by the open function. */
typedef void (*store_conn_close_fn)(void *ctx, void *conn);
/* False when an idle connection is known to be dead (then it is made again). */
typedef bool (*store_conn_check_fn)(void *ctx, void *conn);

/* How a pool makes, checks and closes its connections; check may be NULL. */
struct store_pool_conn_ops {
	store_conn_open_fn open;
	store_conn_close_fn close;
	store_conn_check_fn check;
};

/* One place in the pool. conn is NULL until first needed, or after a discard. */
struct store_pool_slot {
	void *conn;
	bool busy; /* handed out; then only its holder touches conn */
};

/*
 * A bounded pool: at most size connections, made lazily, each used by one
 * thread at a time. Acquiring waits up to timeout_us for a free slot. The
 * mutex guards the busy flags only; connections are made and closed outside it.
 */
struct store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* signalled when a slot is returned */
	int size;
	int64_t timeout_us;
	const struct store_pool_conn_ops *ops;
	void *ctx;
	struct store_pool_slot slots[STORE_POOL_MAX];
};

/* Set up a pool of size (1..STORE_POOL_MAX) slots; no connection is made yet. */
void store_pool_init(struct store_pool *p, int size, int64_t timeout_us,
		     const struct store_pool_conn_ops *ops, void *ctx);
/* Close every connection; no slot may be in use. */
void store_pool_release(struct store_pool *p);
/*
 * Take a free slot with an open connection, making or remaking it as needed.
 * ERR_UNAVAILABLE when none frees up within the timeout, or the open
 * function's error. OUT: *slot, owned by the caller until store_pool_return.
 */
enum mtag_err store_pool_acquire(struct store_pool *p, struct store_pool_slot **slot);
/* Give a slot back; discard closes its connection (it is broken or in a bad state). */
void store_pool_return(struct store_pool *p, struct store_pool_slot *slot, bool discard);

/* ---- migrations (store_migrate.c) ---- */

/* One embedded migration file, NNNN_name.sql. */
struct store_migration {
	int version;      /* the leading number of the file name */
	const char *name; /* the file name */
	const char *sql;  /* its text, NUL-terminated */
};

/*
 * Apply m unless schema_migrations already records its version; the driver
 * does the check and the apply in one locked transaction. OUT: *applied.
 */
typedef enum mtag_err (*store_migration_fn)(void *ctx, const struct store_migration *m,
					    bool *applied);

/*
 * Run fn on every migration of the embedded table, in file-name order, until
 * one fails. ERR_INTERNAL (logged) when a name has no version or versions do
 * not increase. OUT: *applied, how many fn applied.
 */
enum mtag_err store_migrate_each(const struct embed_file *table, store_migration_fn fn,
				 void *ctx, int *applied);
/* The highest migration version in the embedded table (0 when empty). */
int store_migrate_latest(const struct embed_file *table);

/* The embedded migration tables, generated by the Makefile. */
extern const struct embed_file store_migrations_sqlite[];
extern const struct embed_file store_migrations_pg[];

/* ---- statement parameters ---- */

/* Most parameters one statement takes. */
#define STORE_MAX_PARAMS 16

enum store_param_kind {
	STORE_P_TEXT,        /* text; NULL is SQL NULL */
	STORE_P_INT,         /* integer in num */
	STORE_P_BOOL,        /* num != 0 */
	STORE_P_TIME,        /* microseconds since the epoch in num */
	STORE_P_TIME_OR_NULL /* as STORE_P_TIME, 0 is SQL NULL */
};

/* One value bound to a statement placeholder, in order ($1 / ?1 first). */
struct store_param {
	enum store_param_kind kind;
	const char *text;
	int64_t num;
};

#define STORE_TEXT(s) ((struct store_param){ STORE_P_TEXT, (s), 0 })
#define STORE_INT(n) ((struct store_param){ STORE_P_INT, NULL, (int64_t)(n) })
#define STORE_BOOL(b) ((struct store_param){ STORE_P_BOOL, NULL, (b) ? 1 : 0 })
#define STORE_TIME(t) ((struct store_param){ STORE_P_TIME, NULL, (t) })
#define STORE_TIME_OR_NULL(t) ((struct store_param){ STORE_P_TIME_OR_NULL, NULL, (t) })
/* A user id of a row: "" (anonymous) is SQL NULL. */
#define STORE_OWNER(id) STORE_TEXT((id)[0] ? (id) : NULL)

/* Copy a UUID read from the database into out; false unless it is one. */
bool store_copy_uuid(char out[UUID_STR_LEN], const char *s);

/* ---- sessions and refresh tokens (rules shared by the drivers, store.c) ---- */

/* A session revoked longer ago than this is deleted by store_session_purge. */
#define STORE_REVOKED_KEEP_US (86400 * 1000000LL)
/* The most rows a list binds as its LIMIT / OFFSET (store.c clamps to it). */
#define STORE_LIST_CAP 1000000000LL

/*
 * What a driver reads about the token presented, inside its rotation
 * transaction and after taking its locks, for store_rotation_decide.
 */
struct store_token_state {
	char token_id[UUID_STR_LEN];
	char session_id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN];  /* the session's */
	int64_t expires_at;          /* the token's */
	int64_t revoked_at;          /* the token's; 0 when not revoked */
	int64_t rotated_at;          /* 0 while it is the newest of its chain */
	bool next_rotated;           /* its replacement (replaced_by) was rotated too, or is gone */
	int64_t session_expires_at;
	int64_t session_revoked_at;  /* 0 while live */
	bool user_active;
};

/*
 * The outcome of presenting that token (the rules of store.h, in one place):
 * revoked, expired or disabled is STORE_DEAD; not yet rotated STORE_ROTATED;
 * rotated at most grace_us ago (grace_us > 0) with its replacement unrotated
 * STORE_ROTATED_IN_GRACE; else STORE_REUSED. The driver then writes what the
 * outcome says (store.h, store_refresh_rotate).
 */
enum store_rotation_outcome store_rotation_decide(const struct store_token_state *t,
						  const struct store_rotation *r);

#endif
