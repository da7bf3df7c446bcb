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
	const char *anon_client;    /* anonymous work: its submitter's key, for the limits
				       (core_anon_client); written on create only */
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
	const char *content_sha256; /* hex SHA-256 of the original; NULL until known */
	int64_t size_bytes;         /* of the original; 0 until known (stored as NULL) */
	const char *mime_type;      /* NULL until known */
	const char *language;       /* ISO 639-1 or "und"; NULL until known */
	int page_count;             /* 0 until known (stored as NULL) */
	const char *blob_key;       /* where the original is stored; NULL when not stored */
	bool blob_shared;           /* blob_key is another document's (the same bytes): on submit
				       and finish, another row must still point to it */
	bool blob_new;              /* blob_key was stored for this row and listed to delete
				       (store_blob_delete_later): on submit and finish it must
				       still be listed, and is taken off */
	int seq;                    /* place in its job (0-based): claims take low seq first */
	int attempts;               /* claims so far */
	int64_t lease_until;        /* while processing: the claim holds until then; 0 otherwise */
	const char *node_id;        /* the node that claimed it last; NULL before */
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
/* The connection pool's slots held by a call now and its size (metrics). OUT: *in_use, *size. */
void store_pool_usage(struct store *s, int *in_use, int *size);
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

/*
 * The limits a submission keeps, counted in its own transaction, so that
 * submissions at once cannot pass them together (store_user_load's counts).
 */
struct store_submit_limits {
	int running;        /* the owner's (an anonymous client's) jobs not ended, this one included */
	size_t pending;     /* their documents waiting, these included */
	int running_all;    /* anonymous work: all of it (0: not counted) */
	size_t pending_all;
};

/*
 * Insert a job and its documents in one transaction (the documents' job and
 * user are the job's; only id, source_url, filename, status, created_at,
 * error_message, blob_key, content_sha256, size_bytes, seq, attempts,
 * lease_until and node_id of each are used - a document processed at once
 * is submitted claimed: processing, one attempt, a lease of its node; a
 * document submitted as failed is counted in the job at once).
 * ERR_NOT_FOUND when the user does not exist; ERR_CONFLICT when a document
 * reuses another document's file (blob_shared) that no row points to any
 * more (it was deleted meanwhile); ERR_RATE_LIMITED, nothing inserted, when
 * lim (NULL: none) would be passed.
 */
enum mtag_err store_job_submit(struct store *s, const struct store_job *j,
			       const struct store_document *docs, size_t n,
			       const struct store_submit_limits *lim);
/* The oldest other document whose stored file is key (the same bytes, stored once), or
 * ERR_NOT_FOUND. OUT: *other, its id in a. */
enum mtag_err store_document_sharing(struct store *s, struct arena *a, const char *key,
				     const char *id, const char **other);
/* Insert a document. ERR_NOT_FOUND when its job (or its user) does not exist. */
enum mtag_err store_document_create(struct store *s, const struct store_document *d);
/* The document with this id, if it belongs to owner (as for store_job_get). */
enum mtag_err store_document_get(struct store *s, struct arena *a, const char *id,
				 const char *owner, struct store_document *out);
/*
 * Record a document's outcome and its job's progress in one transaction: the
 * document's status (completed or failed), title, tags, text, metadata,
 * error, processed_at, content columns and blob key are set from d; then the
 * job's processed or failed counter goes up by one, started_at is set if unset,
 * and when every document is done the job becomes completed, failed (none
 * completed) or partial, with completed_at = d->processed_at. A cancelled
 * job keeps its status. ERR_NOT_FOUND when the document does not exist,
 * ERR_CONFLICT when it is already finished (an outcome is recorded once), or
 * when it reuses another document's file (blob_shared) that no other row
 * points to any more (deleted meanwhile), or a file of its own (blob_new)
 * that is no longer listed to delete (taken to be deleted, as one no row
 * pointed to: store_blob_delete_take): nothing is recorded then; else its
 * blob_key is taken off the list.
 */
enum mtag_err store_document_finish(struct store *s, const struct store_document *d);
/*
 * Take a document for processing with a lease until now + lease_us: a
 * pending one, or one whose lease expired (its worker died) after fewer than
 * max_attempts claims; never one of a cancelled job. Low seq first, then the
 * oldest: jobs are interleaved. It becomes "processing", attempts + 1,
 * node_id set, and is handed to exactly one caller, even with many workers
 * in many processes (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write
 * lock). ERR_NOT_FOUND when there is nothing to do. OUT: *out (arena).
 */
enum mtag_err store_document_claim(struct store *s, struct arena *a, const char *node_id,
				   int64_t now, int64_t lease_us, int max_attempts,
				   struct store_document *out);
/*
 * Fail the documents whose lease expired after max_attempts claims, with
 * their jobs' progress (error "processing was interrupted N times"), and
 * those of cancelled jobs whose lease expired at all (error "cancelled": no
 * claim takes a cancelled job's documents again).
 * OUT: *failed (may be NULL).
 */
enum mtag_err store_document_reap(struct store *s, int64_t now, int max_attempts, int *failed);
/* Extend the leases of these processing documents of node_id to until. */
enum mtag_err store_document_renew(struct store *s, const char *const *ids, size_t n,
				   const char *node_id, int64_t until);
/*
 * The job with this id, if it belongs to owner (as store_job_get), with its
 * documents in seq order, without their text, at most limit from offset: one
 * snapshot, so the job's counters and status agree with its documents'.
 * OUT: *job, *docs (arena), *n.
 */
enum mtag_err store_job_page(struct store *s, struct arena *a, const char *id, const char *owner,
			     size_t limit, size_t offset, struct store_job *job,
			     struct store_document **docs, size_t *n);
/*
 * Cancel a pending or processing job of owner (as store_job_get): its pending
 * documents fail as "cancelled", running ones finish. ERR_NOT_FOUND for no
 * such job, ERR_CONFLICT when it already ended. OUT: *cancelled (may be NULL).
 */
enum mtag_err store_job_cancel(struct store *s, const char *id, const char *owner, int64_t now,
			       int *cancelled);
/*
 * Put a job's failed documents back to pending (attempts reset); the job is
 * processing again. A document refused when the job was submitted (a row
 * that is no URL: never attempted) keeps its reason: it would fail again;
 * so does an upload processed at once whose file was never stored (it
 * failed before: there is nothing to process again).
 * ERR_NOT_FOUND for no such job, ERR_CONFLICT for a cancelled one (its
 * documents stopped by the cancel are failed too, and a retry would undo
 * it). OUT: *retried (may be NULL).
 */
enum mtag_err store_job_retry(struct store *s, const char *id, const char *owner, int64_t now,
			      int *retried);
/*
 * Give an anonymous job created at not_before or later, and its documents, to
 * owner (the search index and tag counts follow: same transaction).
 * ERR_NOT_FOUND for no such job, one that has an owner already, or one older
 * (the janitor's to delete). OUT: *documents (may be NULL).
 */
enum mtag_err store_job_claim(struct store *s, const char *id, const char *owner, int64_t now,
			      int64_t not_before, int *documents);
/*
 * Delete a job of owner (as store_job_get) with its documents, cancelling it
 * first when it runs. OUT: *keys (arena), the blob keys no other document
 * uses, for the caller to delete from storage; *nkeys.
 */
enum mtag_err store_job_delete(struct store *s, struct arena *a, const char *id,
			       const char *owner, int64_t now, const char ***keys, size_t *nkeys);
/* The user's jobs not ended, and documents pending, for the per-user limits; user_id ""
 * counts the anonymous work of the client anon_client (store_job.anon_client), or of
 * every client when anon_client is NULL. */
enum mtag_err store_user_load(struct store *s, const char *user_id, const char *anon_client,
			      int *running_jobs, int *pending_documents);
/*
 * A stored file that may come to have no row pointing to it (migration
 * 0019): to be deleted from due on (its rows gone: now; a file about to be
 * stored for a row: later, and the row's submission or outcome takes it off
 * the list, blob_new); the max due the longest that no document points to,
 * in a; one of them taken off the list to be deleted now, if it is still
 * due and no document points to it (*taken: 1 then, 0 when it is not), so
 * that a row written meanwhile, which takes it off first, keeps its file.
 */
enum mtag_err store_blob_delete_later(struct store *s, const char *key, int64_t due);
enum mtag_err store_blob_deletes_due(struct store *s, struct arena *a, int64_t now, size_t max,
				     const char ***keys, size_t *n);
enum mtag_err store_blob_delete_take(struct store *s, const char *key, int64_t now, int *taken);
/* The bytes of the files anonymous work of the client anon_client keeps (NULL: of every client). */
enum mtag_err store_anon_bytes(struct store *s, const char *anon_client, int64_t *bytes);
/* Documents waiting to be claimed (status pending, cancelled jobs' excepted). OUT: *n. */
enum mtag_err store_queue_depth(struct store *s, int64_t *n);
/*
 * The user's most recent completed document whose original has this
 * SHA-256 and is stored (for de-duplication). ERR_NOT_FOUND when none.
 */
enum mtag_err store_document_find_by_sha(struct store *s, struct arena *a, const char *user_id,
					 const char *sha256, struct store_document *out);
/*
 * Delete anonymous jobs created before before_us (at most max jobs, oldest
 * first) with their documents. OUT: *keys (arena), the blob keys their
 * documents had, for the caller to delete from storage; *nkeys; *jobs.
 */
enum mtag_err store_anonymous_purge(struct store *s, struct arena *a, int64_t before_us,
				    size_t max, const char ***keys, size_t *nkeys, int *jobs);

/*
 * Accounts and sessions (issue 3). A session is one login on one device; it
 * holds a chain of refresh tokens of which only the SHA-256 is stored. Every
 * refresh rotates the token: the old one is marked rotated and points to its
 * replacement.
 */
struct store_session {
	char id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN];
	const char *user_agent;    /* NULL when unknown */
	const char *ip;            /* NULL when unknown */
	int64_t created_at;
	int64_t last_used_at;
	int64_t expires_at;        /* moves forward with every rotation */
	int64_t revoked_at;        /* 0 while live */
};

/* What store_refresh_rotate did with the token presented. */
enum store_rotation_outcome {
	STORE_ROTATED,         /* a live token was replaced by the new one */
	STORE_ROTATED_IN_GRACE,/* the immediately previous token, within the grace, its replacement
				  unused and equal to the new one: that replacement stands */
	STORE_REUSED,          /* an already rotated token outside the grace: the session is now revoked */
	STORE_DEAD,            /* the token, its session or its user is expired, revoked or disabled */
};

struct store_rotation {
	const char *old_sha256;    /* hash of the token presented */
	char new_id[UUID_STR_LEN]; /* id of the new token row */
	const char *new_sha256;    /* hash of the new token: the old one's only replacement
				      (token_refresh_next), the same each time it is presented */
	int64_t now;
	int64_t grace_us;          /* how long after its rotation a token still rotates (0: not at all) */
	int64_t expires_at;        /* expiry of the new token and of the session */
	const char *user_agent;    /* recorded on the session (NULL keeps the old) */
	const char *ip;
	/* OUT: */
	enum store_rotation_outcome outcome;
	char user_id[UUID_STR_LEN];
	char session_id[UUID_STR_LEN];
};

/* One line of the audit log. */
struct store_audit {
	char id[UUID_STR_LEN];
	char user_id[UUID_STR_LEN]; /* "" when no account is known (e.g. a failed login for an unknown email) */
	const char *event;          /* register, login, login_failed, refresh_reuse, logout, ... */
	const char *ip;             /* NULL when unknown */
	const char *detail;         /* JSON object, NULL for {} (never a secret) */
	int64_t created_at;
};

/*
 * Create a session and its first refresh token (token_id, token_sha256,
 * expiring with the session) in one transaction. ERR_NOT_FOUND when the user
 * does not exist.
 */
enum mtag_err store_session_create(struct store *s, const struct store_session *ss,
				   const char *token_id, const char *token_sha256);
/*
 * The user of a live session: session_id belongs to user_id, is not revoked,
 * has not expired at now, and the user is active. ERR_NOT_FOUND otherwise.
 * OUT: *user (strings in the arena).
 */
enum mtag_err store_session_check(struct store *s, struct arena *a, const char *session_id,
				  const char *user_id, int64_t now, struct store_user *user);
/*
 * Rotate a refresh token in one transaction (see enum store_rotation_outcome):
 * on STORE_ROTATED the new token is stored; on it and STORE_ROTATED_IN_GRACE
 * the session's last use, expiry, user agent and ip are updated; on
 * STORE_REUSED the whole session is revoked. ERR_NOT_FOUND when no token has old_sha256.
 * OUT: r->outcome, r->user_id, r->session_id.
 */
enum mtag_err store_refresh_rotate(struct store *s, struct store_rotation *r);
/* The session of the refresh token with this hash, if live. ERR_NOT_FOUND otherwise. OUT: user_id, session_id. */
enum mtag_err store_refresh_session(struct store *s, const char *token_sha256, int64_t now,
				    char user_id[UUID_STR_LEN], char session_id[UUID_STR_LEN]);
/* Revoke one live session of this user. ERR_NOT_FOUND when there is none with that id. */
enum mtag_err store_session_revoke(struct store *s, const char *user_id, const char *session_id,
				   int64_t now);
/* Revoke every live session of the user but except_id (NULL: all). OUT: *count (may be NULL). */
enum mtag_err store_session_revoke_all(struct store *s, const char *user_id,
				       const char *except_id, int64_t now, int *count);
/* The user's live sessions, most recently used first, at most max. OUT: *out (arena), *n. */
enum mtag_err store_session_list(struct store *s, struct arena *a, const char *user_id,
				 int64_t now, size_t max, struct store_session **out, size_t *n);
/* Delete expired tokens and sessions, and sessions revoked before now - 1 day. OUT: *deleted (may be NULL). */
enum mtag_err store_session_purge(struct store *s, int64_t now, int *deleted);

/* Replace the user's password hash. ERR_NOT_FOUND when no such user. */
enum mtag_err store_user_set_password(struct store *s, const char *user_id, const char *hash,
				      int64_t now);
/* Replace the user's email. ERR_CONFLICT when another user has it, ERR_NOT_FOUND when no such user. */
enum mtag_err store_user_set_email(struct store *s, const char *user_id, const char *email,
				   int64_t now);
/* Set the user's is_active and is_admin flags. ERR_NOT_FOUND when no such user. */
enum mtag_err store_user_set_flags(struct store *s, const char *user_id, bool is_active,
				   bool is_admin, int64_t now);
/* Users by email, at most limit from offset. OUT: *out (arena), *n, *total (may be NULL). */
enum mtag_err store_user_list(struct store *s, struct arena *a, size_t limit, size_t offset,
			      struct store_user **out, size_t *n, size_t *total);

/* Append a line to the audit log. */
enum mtag_err store_audit_add(struct store *s, const struct store_audit *ev);
/* The newest audit lines (of one user, or of all with user_id NULL), at most max. OUT: *out (arena), *n. */
enum mtag_err store_audit_list(struct store *s, struct arena *a, const char *user_id, size_t max,
			       struct store_audit **out, size_t *n);

/*
 * History (issue 7). Every function takes the owner (a user id, never NULL
 * or "": anonymous callers list nothing) so that no query can forget it.
 */
#define STORE_FILTER_TAGS 8

/* Filters of the document lists and the search; NULL / 0 means no filter. */
struct store_doc_filter {
	const char *status;               /* pending | processing | completed | failed */
	const char *lang;                 /* ISO 639-1 */
	const char *job_id;
	/* Every one a tag of the document: exact but for case (the database's lower case). */
	const char *tags[STORE_FILTER_TAGS];
	size_t ntags;
	int64_t from_us, to_us;           /* created_at in [from, to) */
};

/* Filters of the job list. */
struct store_job_filter {
	const char *status;
	const char *job_type;
	bool oldest_first;      /* else newest first */
};

/* One search hit. */
struct store_hit {
	struct store_document doc;        /* without extracted_text */
	double rank;                      /* higher is better */
	const char *snippet;              /* a piece of the text (or title) with the matches between [[ and ]] */
};

struct store_tag_count {
	const char *tag;
	int64_t count;
};

#define STORE_STATS_DAYS 30

struct store_stats {
	int64_t total_jobs;
	int64_t total_documents;
	int64_t documents_processed;      /* completed */
	int64_t documents_failed;
	int64_t jobs_by_status[6];        /* pending, processing, completed, partial, failed, cancelled */
	int64_t per_day[STORE_STATS_DAYS]; /* documents created per UTC day, oldest first, ending today */
};

/* The owner's jobs, newest first. OUT: *out (arena), *n, *total (before limit/offset). */
enum mtag_err store_job_list(struct store *s, struct arena *a, const char *owner,
			     const struct store_job_filter *f, size_t limit, size_t offset,
			     struct store_job **out, size_t *n, size_t *total);
/* The owner's documents without their text, newest first. OUT: *out (arena), *n, *total. */
enum mtag_err store_document_list(struct store *s, struct arena *a, const char *owner,
				  const struct store_doc_filter *f, size_t limit, size_t offset,
				  struct store_document **out, size_t *n, size_t *total);
/*
 * Full-text search over title, tags and text of the owner's documents,
 * best first (SQLite FTS5 bm25; PostgreSQL ts_rank_cd over a tsvector with a
 * GIN index), accents ignored. Query syntax: words (all must match, each as
 * a prefix: "tech" finds "technology"), "a phrase", -excluded, OR between
 * words. Any input is safe: at worst no hit, never an error. The index is
 * written by the transaction that writes the document.
 *
 * What is ranked is a window: the newest STORE_SEARCH_WINDOW documents that
 * match (with the filters), so that a search costs the same in a library of
 * 100 documents or of 100,000. *total counts the window: equal to
 * STORE_SEARCH_WINDOW, it means "at least that many". OUT: *out, *n, *total.
 */
#define STORE_SEARCH_WINDOW 1000
enum mtag_err store_document_search(struct store *s, struct arena *a, const char *owner,
				    const char *query, const struct store_doc_filter *f,
				    size_t limit, size_t offset, struct store_hit **out, size_t *n,
				    size_t *total);
/* The owner's tags with document counts, most used first; prefix (may be NULL) filters. */
enum mtag_err store_tag_counts(struct store *s, struct arena *a, const char *owner,
			       const char *prefix, size_t limit, struct store_tag_count **out,
			       size_t *n);
/* The owner's statistics, by aggregate queries; today is the UTC day of now. */
enum mtag_err store_stats(struct store *s, const char *owner, int64_t now, struct store_stats *out);
/*
 * Delete one of the owner's documents: its job's counters follow, and a job
 * left with nothing to do ends at now. OUT: *blob_key (arena), its file when
 * no other document uses it, else NULL.
 */
enum mtag_err store_document_delete(struct store *s, struct arena *a, const char *id,
				    const char *owner, int64_t now, const char **blob_key);
/* Each of the owner's documents, oldest first, text included when with_text; fn's error stops it. */
enum mtag_err store_document_each(struct store *s, const char *owner, bool with_text,
				  enum mtag_err (*fn)(const struct store_document *d, void *ctx),
				  void *ctx);

#endif
