/*
 * store.h - the database contract: one interface, two drivers.
 *
 * The driver is chosen once, from the URL given to store_open(): sqlite://PATH
 * (store_sqlite.c, the embedded default) or postgresql://... (store_pg.c).
 * Nothing outside store/ learns which one runs: both map their failures onto
 * our error codes the same way (a taken unique value is ERR_CONFLICT, an
 * unreachable server ERR_UNAVAILABLE, a missing row ERR_NOT_FOUND) and both
 * pass the same test suite (tests/unit/test_store.c).
 *
 * Operations are domain-level and atomic: each runs in its own transaction on
 * a pooled connection, so callers never hold a connection or a transaction.
 * When every connection is busy for 5 s a call gives ERR_UNAVAILABLE.
 *
 * Both drivers agree on these rules (store.c applies them before any driver
 * runs): ids are canonical UUIDs, compared without regard to case and
 * returned in lower case; a malformed id given to a get is ERR_NOT_FOUND, to
 * a create ERR_BAD_REQUEST. A value the schema refuses (an unknown status or
 * job_type, JSON that does not parse or has the wrong top-level type, text
 * that is not UTF-8, a missing required string) is ERR_BAD_REQUEST. JSON comes
 * back equal as a JSON value, not byte for byte (PostgreSQL's jsonb reorders
 * keys and spacing).
 *
 * Ownership: the caller owns struct store from store_open() to store_close().
 * Strings in records returned by the store are allocated in the arena the
 * caller passes and live as long as it. Input records are only read.
 *
 * Thread-safety: every function may be called from any thread at once; the
 * drivers hand each call its own connection from a bounded pool.
 */
#ifndef MTAG_STORE_H
#define MTAG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/random.h"

struct store;

/* The most connections one store may hold. */
#define STORE_POOL_MAX 256

/* A registered user. Emails are stored as given; core lower-cases them first. */
struct store_user {
	char id[UUID_STR_LEN];
	const char *email;
	const char *full_name;     /* NULL when not given */
	const char *password_hash; /* argon2id or bcrypt encoded hash */
	bool is_active;
	bool is_admin;
	int64_t created_at;        /* microseconds since the epoch, UTC */
	int64_t updated_at;
};

/* A processing job: one document ("single") or many ("batch", "upload"). */
struct store_job {
	char id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN]; /* "" for anonymous work */
	const char *job_type;       /* single | batch | upload */
	const char *status;         /* pending | processing | completed | partial | failed | cancelled */
	int total_documents;
	int processed_documents;
	int failed_documents;
	const char *options;        /* JSON object: languages, max_tags, ...; NULL on create = {} */
	const char *error_message;  /* NULL when none */
	int64_t created_at;
	int64_t started_at;         /* 0 when not started */
	int64_t completed_at;       /* 0 when not finished */
	int64_t updated_at;
};

/* One document of a job. */
struct store_document {
	char id[UUID_STR_LEN];
	char job_id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN]; /* "" for anonymous work */
	const char *source_url;     /* NULL for uploads */
	const char *filename;       /* NULL when unknown */
	const char *title;          /* NULL until processed */
	const char *status;         /* pending | processing | completed | failed */
	const char *tags;           /* JSON array of strings; NULL on create = [] */
	const char *extracted_text; /* NULL until processed */
	const char *metadata;       /* JSON object: processing_metadata; NULL on create = {} */
	const char *error_message;  /* NULL when none */
	int64_t created_at;
	int64_t processed_at;       /* 0 until processed */
};

/*
 * Open the database at url with at most pool_size (1..STORE_POOL_MAX)
 * connections. Does not migrate. A server that cannot be reached is not an
 * error here (the pool connects lazily and reconnects); a malformed URL or
 * pool size is ERR_VALIDATION with err naming the problem. SQLite creates the
 * directory of its file here (ERR_UNAVAILABLE when it cannot). OUT: *out, NULL
 * on failure.
 */
enum mtag_err store_open(const char *url, int pool_size, struct store **out,
			 char *err, size_t errlen);
/* Close every connection and free the store; NULL is a no-op. */
void store_close(struct store *s);
/* "sqlite" or "postgresql", for logs and /health. */
const char *store_driver_name(const struct store *s);
/* Check that the database answers (a trivial query); ERR_UNAVAILABLE otherwise. */
enum mtag_err store_ping(struct store *s);
/*
 * Apply the pending migrations, each in its own transaction, recorded in
 * schema_migrations. Safe to run twice and from two processes at once.
 * OUT: *applied, how many were applied now (may be NULL).
 */
enum mtag_err store_migrate(struct store *s, int *applied);
/* The highest applied migration version (0 for an empty database). */
enum mtag_err store_schema_version(struct store *s, int *version);

/* Insert a user (id, email, password_hash, flags, times as given). ERR_CONFLICT when the email is taken. */
enum mtag_err store_user_create(struct store *s, const struct store_user *u);
/* The user with this id. ERR_NOT_FOUND when none. */
enum mtag_err store_user_get(struct store *s, struct arena *a, const char *id,
			     struct store_user *out);
/* The user with exactly this email. ERR_NOT_FOUND when none. */
enum mtag_err store_user_get_by_email(struct store *s, struct arena *a, const char *email,
				      struct store_user *out);

/* Insert a job (times as given, 0 = NULL for started/completed). ERR_NOT_FOUND when its user does not exist. */
enum mtag_err store_job_create(struct store *s, const struct store_job *j);
/*
 * The job with this id, if it belongs to owner: a user id, "" for anonymous
 * work, or NULL for any owner (internal callers such as workers only).
 * Another owner's job is ERR_NOT_FOUND, as a missing one; so is an owner
 * that is neither NULL, "" nor a UUID.
 */
enum mtag_err store_job_get(struct store *s, struct arena *a, const char *id,
			    const char *owner, struct store_job *out);

/* Insert a document. ERR_NOT_FOUND when its job (or its user) does not exist. */
enum mtag_err store_document_create(struct store *s, const struct store_document *d);
/* The document with this id, if it belongs to owner (as for store_job_get). */
enum mtag_err store_document_get(struct store *s, struct arena *a, const char *id,
				 const char *owner, struct store_document *out);

#endif
