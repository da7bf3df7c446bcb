/*
 * store_int.h - the inside of the store; nothing outside store/ sees it
 * (SQLite's btree.h vs btreeInt.h).
 *
 * Two layers. Every domain operation of store.h (store_users.c,
 * store_jobs.c, store_documents.c, store_sessions.c, store_audit.c) is
 * written once, as SQL with $1, $2, ... placeholders, against a small driver
 * contract: hold a pooled connection, begin / commit / roll back, run a
 * statement with typed parameters, read rows through a row reader. A driver
 * (store_sqlite.c, store_pg.c) is one `const struct store_driver`, as
 * SQLite's VFS or redis' ConnectionType; the few places where the SQL of the
 * two databases cannot be the same are its `struct store_dialect`, named
 * fields chosen in one place, never SQL built at run time.
 *
 * Also here: the bounded connection pool (store_pool.c), the migration
 * runner (store_migrate.c), the input rules every operation applies
 * (store.c) and the shared statement helpers (store_sql.c).
 *
 * Ownership: a driver's store struct embeds `struct store` first and owns
 * its pool. A struct store_conn is held by one call on one thread.
 *
 * Thread-safety: every function may be called from any thread at once; a
 * pool hands each caller a connection of its own.
 */
#ifndef MTAG_STORE_INT_H
#define MTAG_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/embed.h"
#include "base/err.h"
#include "base/utf8.h" /* utf8_valid: every text a statement binds (PostgreSQL refuses anything else) */
#include "store/store.h"

/* How long a call waits for a free connection before ERR_UNAVAILABLE. */
#define STORE_POOL_TIMEOUT_US (5 * 1000000LL)

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

/* ---- statement parameters ---- */

/* Most parameters one statement takes. */
#define STORE_MAX_PARAMS 24

enum store_param_kind {
	STORE_P_TEXT,        /* text; NULL is SQL NULL */
	STORE_P_INT,         /* integer in num */
	STORE_P_INT_OR_NULL, /* as STORE_P_INT, 0 is SQL NULL */
	STORE_P_BOOL,        /* num != 0 */
	STORE_P_TIME,        /* microseconds since the epoch in num */
	STORE_P_TIME_OR_NULL /* as STORE_P_TIME, 0 is SQL NULL */
};

/* One value bound to a statement placeholder, in order ($1 first). */
struct store_param {
	enum store_param_kind kind;
	const char *text;
	int64_t num;
};

#define STORE_TEXT(s) ((struct store_param){ STORE_P_TEXT, (s), 0 })
#define STORE_INT(n) ((struct store_param){ STORE_P_INT, NULL, (int64_t)(n) })
#define STORE_INT_OR_NULL(n) ((struct store_param){ STORE_P_INT_OR_NULL, NULL, (int64_t)(n) })
#define STORE_BOOL(b) ((struct store_param){ STORE_P_BOOL, NULL, (b) ? 1 : 0 })
#define STORE_TIME(t) ((struct store_param){ STORE_P_TIME, NULL, (t) })
#define STORE_TIME_OR_NULL(t) ((struct store_param){ STORE_P_TIME_OR_NULL, NULL, (t) })
/* A user id of a row: "" (anonymous) is SQL NULL. */
#define STORE_OWNER(id) STORE_TEXT((id)[0] ? (id) : NULL)

/* ---- the driver contract ---- */

struct store_driver;
struct store_history_sql;

/* The base of every driver's store struct (embedded first). */
struct store {
	const struct store_driver *drv;
	struct store_pool pool; /* of the driver's connections */
};

/* A pooled connection, held by one call (store_with_conn). */
struct store_conn {
	struct store *s;
	void *db;    /* the driver's connection, as its pool's open function made it */
	bool broken; /* set by the driver when the connection failed: closed, not pooled */
};

/* The current row of a query, as a driver hands it to a store_each_fn. */
struct store_row {
	const struct store_driver *drv;
	struct arena *a; /* where text is copied; NULL when the reader copies none */
	bool bad;        /* a value did not parse: the row is corrupt */
	void *res;       /* the driver's: its sqlite3_stmt *, its PGresult * */
	int at;          /* the driver's: the row's number in res (PostgreSQL) */
};

/* Reads a row r (into ctx); an error stops the query and is its result. */
typedef enum mtag_err (*store_each_fn)(struct store_row *r, void *ctx);

/* What a transaction is for; each driver maps it onto its database (store_driver.begin). */
enum store_tx_kind {
	/* One write statement, atomic by itself. SQLite: BEGIN IMMEDIATE, as any
	 * write (a deferred write can be refused SQLITE_BUSY at once, without the
	 * busy handler). PostgreSQL: no BEGIN, the statement alone. */
	STORE_TX_ONE,
	/* Statements that read, then write. SQLite: BEGIN IMMEDIATE, the one write
	 * lock held from the first read. PostgreSQL: BEGIN (READ COMMITTED; rows
	 * a decision depends on are locked with FOR UPDATE, see row_locks). */
	STORE_TX_WRITE,
	/* Several reads of one snapshot. SQLite: BEGIN (deferred). PostgreSQL:
	 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY. */
	STORE_TX_SNAPSHOT,
};

/*
 * What the SQL of the two databases cannot share. Everything else - every
 * domain statement - is written once and runs unchanged on both.
 */
struct store_dialect {
	/*
	 * SELECT ... FOR UPDATE exists (PostgreSQL). A read-then-write
	 * (rotation, purge) then locks the rows it decides on, session before
	 * token. SQLite has no row locks and needs none: STORE_TX_WRITE holds
	 * the database's one write lock from its first statement.
	 */
	bool row_locks;
	/*
	 * octet_length(text) reads a stored text's length word, not the text
	 * (PostgreSQL). SQLite 3.40 has no such function: its length() counts
	 * characters, reading the whole text.
	 */
	bool text_size;
	/* The migrations of this database, embedded by the Makefile (the DDL differs). */
	const struct embed_file *migrations;
	/* CREATE TABLE IF NOT EXISTS schema_migrations (version, name, applied_at): column types differ. */
	const char *migrations_table;
	/* One row, one int column: 1 when schema_migrations exists (the catalogs differ). */
	const char *migrations_exist;
	/* Run first in each migration's transaction to serialise migrating
	 * processes (PostgreSQL: an advisory lock); NULL when BEGIN already does. */
	const char *migrations_lock;
	/* The history statements (store_history.c): shared SQL around the fragments that
	 * differ - the full-text engine, JSON array elements, the UTC day of a time. */
	const struct store_history_sql *history;
};

/*
 * One driver. Statements use $1, $2, ... placeholders (the SQLite driver
 * rewrites them to ?1, ?2, ... once) and are constants of the program: the
 * SQLite driver caches its prepared statements by the SQL's address.
 * Errors are mapped onto ours by the driver (README.md, "Error mapping").
 */
struct store_driver {
	const char *name; /* "sqlite" or "postgresql" */
	const struct store_dialect *dialect;
	/* Parse url, set up the pool (no connection yet). OUT: *out. */
	enum mtag_err (*open)(const char *url, int pool_size, struct store **out,
			      char *err, size_t errlen);
	/* Close every connection and free the store. */
	void (*close)(struct store *s);
	/* Start a transaction of kind on c (STORE_TX_ONE may start none). */
	enum mtag_err (*begin)(struct store_conn *c, const char *op, enum store_tx_kind kind);
	/* Commit the transaction of c; ERR_OK when none is open. */
	enum mtag_err (*commit)(struct store_conn *c, const char *op);
	/* Roll back what is open on c, if anything; never fails. */
	void (*rollback)(struct store_conn *c);
	/* After a call: false when c must be closed rather than pooled (dead, or inside a transaction). */
	bool (*reusable)(struct store_conn *c);
	/* Run a statement to its end; rows it returns are not read. OUT: *changes (may be NULL), rows inserted, updated or deleted. */
	enum mtag_err (*exec)(struct store_conn *c, const char *op, const char *sql,
			      const struct store_param *p, int n, int *changes);
	/* Run a query and call each on its first max rows in order, text into a; the first error of each ends it. */
	enum mtag_err (*query)(struct store_conn *c, const char *op, const char *sql,
			       const struct store_param *p, int n, struct arena *a, size_t max,
			       store_each_fn each, void *ctx);
	/* Run SQL of several statements without parameters (a migration file, embedded at build time). */
	enum mtag_err (*script)(struct store_conn *c, const char *op, const char *sql);
	/* The row reader: column i of r as NUL-terminated text, valid until the next row; NULL for SQL NULL. OUT: *len. */
	const char *(*col_raw)(struct store_row *r, int i, size_t *len);
	/* Column i as an integer; 0 for SQL NULL; sets r->bad when it is not one. */
	int64_t (*col_int)(struct store_row *r, int i);
	/* Column i as a boolean; false for SQL NULL. */
	bool (*col_bool)(struct store_row *r, int i);
	/* Column i as a double; 0 for SQL NULL. */
	double (*col_double)(struct store_row *r, int i);
};

extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_pg_driver;

/* ---- statements on the contract, for the domain operations (store_sql.c) ---- */

/* Runs statements on a held connection. */
typedef enum mtag_err (*store_conn_fn)(struct store_conn *c, void *ctx);
/* Copies row r into out; ERR_INTERNAL when the row is corrupt (store_row_done). */
typedef enum mtag_err (*store_row_fn)(struct store_row *r, void *out);

/*
 * Hold a pooled connection for fn; a connection the driver finds broken or
 * left in a transaction is closed rather than pooled. retry: fn only reads,
 * so after a lost connection it is run once more on a fresh one (a write
 * never is: it may have committed).
 */
enum mtag_err store_with_conn(struct store *s, bool retry, store_conn_fn fn, void *ctx);
/* Run fn on c in a transaction of kind: committed when fn succeeds, else rolled back. */
enum mtag_err store_in_tx(struct store_conn *c, const char *op, enum store_tx_kind kind,
			  store_conn_fn fn, void *ctx);
/* store_in_tx on a pooled connection (retried as a read for STORE_TX_SNAPSHOT only). */
enum mtag_err store_tx(struct store *s, const char *op, enum store_tx_kind kind,
		       store_conn_fn fn, void *ctx);

/*
 * Settle a job's status from its counters: processing while documents are
 * left; completed (also when none is left at all), failed or partial when
 * all are done. A cancelled job stays cancelled. only_when_done: leave the
 * job alone while documents are left (a deletion must not start a pending job).
 */
enum mtag_err store_job_settle(struct store_conn *c, const char *job_id, int64_t now,
			       bool only_when_done);
/*
 * A document that reuses another document's stored file (d->blob_shared:
 * the same bytes) needs another row still pointing to it, held until the
 * transaction commits: a delete of that row waits (PostgreSQL's row lock;
 * SQLite has one writer) and then sees d's, or came first and this is
 * ERR_CONFLICT (the file is gone, or going). ERR_OK for d's own file.
 */
enum mtag_err store_file_still_used(struct store_conn *c, const struct store_document *d);
/* A stored file a row now points to (in the caller's transaction): off the files to delete;
 * ERR_CONFLICT when it was not listed any more (taken to be deleted: store_blob_delete_take). */
enum mtag_err store_file_pointed_to(struct store_conn *c, const char *key);
/* Run a statement on c (driver exec). OUT: *changes (may be NULL). */
enum mtag_err store_exec(struct store_conn *c, const char *op, const char *sql,
			 const struct store_param *p, int n, int *changes);
/* Run a query on c and copy its first row with fn; ERR_NOT_FOUND when it returns none. */
enum mtag_err store_one(struct store_conn *c, struct arena *a, const char *op, const char *sql,
			const struct store_param *p, int n, store_row_fn fn, void *out);
/*
 * Run a query on c and copy every row (at most max) with fn into an array of
 * elements of size bytes in the arena. OUT: *out (NULL when no row), *count.
 */
enum mtag_err store_many(struct store_conn *c, struct arena *a, const char *op,
			 const char *sql, const struct store_param *p, int n, store_row_fn fn,
			 size_t size, size_t max, void **out, size_t *count);

/*
 * The one INSERT of a job and of a document, all columns, on c (in the
 * caller's transaction). The rows must be checked and canonical: ids, owner,
 * JSON fields present (store_job_create and store_document_create do it).
 */
enum mtag_err store_job_insert(struct store_conn *c, const struct store_job *j);
enum mtag_err store_document_insert(struct store_conn *c, const struct store_document *d);
/* One write statement on a pooled connection (STORE_TX_ONE). OUT: *changes (may be NULL). */
enum mtag_err store_write(struct store *s, const char *op, const char *sql,
			  const struct store_param *p, int n, int *changes);
/* store_one on a pooled connection, retried as a read. */
enum mtag_err store_read_one(struct store *s, struct arena *a, const char *op, const char *sql,
			     const struct store_param *p, int n, store_row_fn fn, void *out);
/* store_many on a pooled connection, retried as a read. OUT: *out, *count. */
enum mtag_err store_read_many(struct store *s, struct arena *a, const char *op,
			      const char *sql, const struct store_param *p, int n,
			      store_row_fn fn, size_t size, size_t max, void **out, size_t *count);

/* Column i as text in the row's arena; NULL for SQL NULL. */
const char *store_col_text(struct store_row *r, int i);
/* Column i as a 64-bit integer; 0 for SQL NULL. */
int64_t store_col_int(struct store_row *r, int i);
/* Column i as a boolean. */
bool store_col_bool(struct store_row *r, int i);
/* Column i as a double (a score); 0 for SQL NULL. */
double store_col_double(struct store_row *r, int i);
/* Column i (a time: SQLite's ISO text, PostgreSQL's timestamptz) as epoch microseconds; 0 for SQL NULL. */
int64_t store_col_time(struct store_row *r, int i);
/* Column i as a UUID into out; "" for SQL NULL. */
void store_col_uuid(struct store_row *r, int i, char out[UUID_STR_LEN]);
/* The end of a row reader: a value that did not parse means a corrupt row (logged with table). */
enum mtag_err store_row_done(struct store_row *r, const char *table);
/* A row reader: column 0 as an int. */
enum mtag_err store_row_int(struct store_row *r, void *out);
/* A row reader: column 0 as text (const char *, in the row's arena; NULL for SQL NULL). */
enum mtag_err store_row_text(struct store_row *r, void *out);

/* ---- migrations (store_migrate.c) ---- */

/* One embedded migration file, NNNN_name.sql. */
struct store_migration {
	int version;      /* the leading number of the file name */
	const char *name; /* the file name */
	const char *sql;  /* its text, NUL-terminated */
};

/*
 * Apply m unless schema_migrations already records its version, the check
 * and the apply in one locked transaction. OUT: *applied.
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

/* ---- input rules every operation applies before SQL (store.c) ---- */

/* Copy a UUID into out in lower case; false (and "") unless it is one. */
bool store_copy_uuid(char out[UUID_STR_LEN], const char *s);
/* A canonical owner into out: "" (anonymous) or a lower-cased UUID; false for anything else. */
bool store_owner_copy(char out[UUID_STR_LEN], const char *s);
/*
 * The result of a get scoped to owner (store_job_get): e, or ERR_NOT_FOUND
 * with the size bytes at out cleared when owner (canonical; NULL for any) is
 * not the row's row_owner - another owner's row is not shown.
 */
enum mtag_err store_owner_scope(enum mtag_err e, const char *owner, const char *row_owner,
				void *out, size_t size);

/* The most rows a list binds as its LIMIT / OFFSET. */
#define STORE_LIST_CAP 1000000000LL
/* A list size or offset as bound to SQL: at most STORE_LIST_CAP. */
size_t store_list_cap(size_t n);

/* ---- shared between the domain files ---- */

/* The users columns, each name prefixed by p ("" or "u."), in store_row_user's order. */
#define STORE_USER_COLS(p)                                                     \
	p "id, " p "email, " p "full_name, " p "password_hash, " p "is_active, " \
	p "is_admin, " p "created_at, " p "updated_at"

/* A row of STORE_USER_COLS into a struct store_user (store_users.c). */
enum mtag_err store_row_user(struct store_row *r, void *out);

/* The document columns with the table prefix p ("" or "d."), in store_row_document's order. */
#define STORE_DOC_COLS(p, text)                                                          \
	p "id, " p "job_id, " p "user_id, " p "source_url, " p "filename, " p "title, "  \
	p "status, " p "tags, " text ", " p "processing_metadata, " p "error_message, "  \
	p "created_at, " p "processed_at, " p "content_sha256, " p "size_bytes, "         \
	p "mime_type, " p "language, " p "page_count, " p "blob_key, " p "seq, "          \
	p "attempts, " p "lease_until, " p "node_id"
/* The number of columns of STORE_DOC_COLS. */
#define STORE_DOC_NCOLS 23

/* A row of STORE_DOC_COLS into a struct store_document (store_documents.c). */
enum mtag_err store_row_document(struct store_row *r, void *out);

/* ---- history and search (store_history.c, store_search.c) ---- */

/* How a parsed search query is written for the database's full-text engine. */
enum store_match_syntax {
	STORE_MATCH_FTS5,    /* SQLite: an FTS5 MATCH expression, tokens behind the owner's key */
	STORE_MATCH_TSQUERY, /* PostgreSQL: to_tsquery text */
};

/*
 * The history statements of one database. Each is the same SQL on both but
 * for a named fragment (store_history.c); the parameters are the same too.
 */
struct store_history_sql {
	enum store_match_syntax match;
	const char *doc_list;     /* the filtered document list */
	const char *doc_count;    /* its total */
	const char *doc_list_tagged;  /* the same, the search index matching $8 (wanted tags) */
	const char *doc_count_tagged; /* its total */
	const char *tag_plan;     /* what a tagged list costs each way (store_history.c) */
	/* SQLite: the window's rowids and scores, newest first; PostgreSQL: its count */
	const char *search_window;
	/* SQLite: the page's rows ($1 owner, $2 their rowids, $3 the first word);
	 * PostgreSQL: the window's page, ranked */
	const char *search;
	/* the stems of words ($1, store_search_words) in the languages of the owner's
	 * ($3) documents, or of the lang filter ($2) (PostgreSQL, 0011); NULL: none */
	const char *search_stems;
	/* the time since which the owner ($1) has $2 documents (PostgreSQL: search's
	 * $12, where its window is looked for first); NULL: none */
	const char *search_recent;
	/* true: search_window gives the window's rows with their scores, ranked in
	 * C, and search reads the page's; false: search ranks and pages itself ($11
	 * the query's first word, $12 a time or NULL, search_recent), each row
	 * carrying the window's size. Each row of a page carries a slice of its
	 * text to make its snippet from. */
	bool search_ranked;
	const char *tag_counts;   /* tags with document counts */
	const char *per_day;      /* documents per UTC day in a range */
};

/* The characters of a search hit's text its snippet is made from (and one more, to
 * tell that the text goes on). */
#define STORE_SLICE_CHARS 1024

/* The filter parameters $1 .. $7 of lists and search into p, in a
 * (store_history.c). False when f cannot match anything. */
bool store_history_filter(struct arena *a, const char *owner, const struct store_doc_filter *f,
			  struct store_param p[7]);
/* A list's or a search's outputs emptied. */
void store_history_clear(void *out, size_t *n, size_t *total);
/* A row of tag_plan: how many of the wanted tags the user has, the fewest documents of
 * one of them, how many distinct tags are wanted, the user's documents. */
struct store_tag_plan {
	long long have, fewest, distinct, docs;
};
enum mtag_err store_row_tag_plan(struct store_row *r, void *out);

extern const struct store_history_sql store_history_sqlite;
extern const struct store_history_sql store_history_pg;

/*
 * A page of rows_sql (nrows parameters of p) and the total of count_sql (the
 * first ncount of p) in one snapshot. OUT: *out (arena), *n, *total (may be NULL).
 */
enum mtag_err store_list_page(struct store *s, struct arena *a, const char *op,
			      const char *rows_sql, int nrows, const char *count_sql, int ncount,
			      const struct store_param *p, store_row_fn fn, size_t size,
			      size_t max, void **out, size_t *n, size_t *total);

/* A user's search query (any bytes), parsed once into bounded terms (store_search.c). OUT: in a. */
struct search_query;
struct search_query *store_search_parse(struct arena *a, const char *query);

/*
 * Render a parsed query for syn, every token behind owner's key (owner: a
 * canonical UUID), with the wanted tags (tags[0..ntags), UTF-8) as
 * phrases of the tags that narrow the match. NULL when the query has no
 * positive term with a usable token (then nothing matches). OUT: the text, in a.
 */
const char *store_search_render(struct arena *a, const struct search_query *sq,
				const char *const *tags, size_t ntags,
				enum store_match_syntax syn, const char *owner);

/* The query's positive terms: the first phrases of its FTS5 match, one each. */
int store_search_positive(const struct search_query *sq);

/*
 * The first token of the query's first positive term, lower-cased; NULL
 * when there is none. OUT: the token, in a.
 */
const char *store_search_first_word(struct arena *a, const struct search_query *sq);

/*
 * The first token of each of the query's first positive terms (with its
 * stems; up to 8 terms, OR'ed or not) as a tsquery that only a document's
 * text matches (weight C, migration 0011; prefixes, as the pattern of
 * store_search_first_regex is): whether the text holds one, before its
 * slice is looked for there (a hit by its title alone looked through 256 Ki
 * characters for nothing). NULL when there is none. OUT: in a.
 */
const char *store_search_first_in_text(struct arena *a, const struct search_query *sq,
				       const char *owner);

/*
 * A PostgreSQL regular expression (for flag 'i') of any of those tokens or
 * their stems at the start of a word of the text (no letter or digit before
 * it), accents ignored as unaccent ignores them in the index ("resume" finds
 * "Résumé", "aeroport" "aéroport", "strasse" "Straße"): where PostgreSQL
 * cuts the text it gives a snippet from, at the first word of the text the
 * query matched by any of its terms ("kangaroo OR zebra"). NULL when the
 * query has no word. OUT: the pattern, in a.
 */
const char *store_search_first_regex(struct arena *a, const struct search_query *sq);

/*
 * What a snippet marks for the query: the tokens of its positive terms
 * (prefixes when last of their term, as they match) and their stems
 * (prefixes). OUT: *out (in a); the count.
 */
struct search_mark {
	const char *s;
	bool prefix;
};
size_t store_search_marks(struct arena *a, const struct search_query *sq, struct search_mark **out);

/* Every token of the query's terms, separated by spaces; NULL when none. OUT: in a. */
const char *store_search_words(struct arena *a, const struct search_query *sq);
/*
 * stem is the stem of the query's token word in the language whose stems the
 * index keys with tag (two letters; PostgreSQL, migration 0011): the tsquery
 * then matches the documents of that language by it. Duplicates, and stems
 * past STORE_SEARCH_MAX_STEMS, are left out: such a token finds documents of
 * words only.
 */
#define STORE_SEARCH_MAX_STEMS 256 /* also mtag_search_stems' LIMIT (migration 0011) */
void store_search_add_stem(struct arena *a, struct search_query *sq, const char *word,
			   const char *stem, const char *tag);

/*
 * The wanted tags alone as a match for syn (store_search_render's tag part,
 * without an operator before it), for the lists' tag filter. NULL when no
 * tag can be written (then only the exact test filters). OUT: the text, in a.
 */
const char *store_search_render_tags(struct arena *a, const char *const *tags, size_t ntags,
				     enum store_match_syntax syn, const char *owner);

/*
 * The length of a user's search key: "u" and the last 12 hex digits of the
 * id. The index holds each token of a user's documents behind it
 * (store_sqlite_fts.c, the migrations 0008).
 */
#define STORE_SEARCH_KEY_LEN 13

/*
 * Letters a token is indexed by as PostgreSQL's unaccent writes them, after
 * unicode61 (lower case, most accents gone): STORE_FOLD_LIGATURES writes ß,
 * æ, œ, þ and ĳ as two letters (migration 0014); STORE_FOLD_LETTERS also
 * Latin letters with a stroke or hook (ð, ø, ł, đ, ħ...) and Greek ones with
 * accents as their base letters, ё as е, full-width letters and digits as
 * ASCII and Roman numerals as letters ("ⅻ" is "xii"; migration 0016).
 */
enum store_fold { STORE_FOLD_NONE, STORE_FOLD_LIGATURES, STORE_FOLD_LETTERS };
/* s (n bytes of UTF-8) folded into out (room for 2n bytes). Returns the bytes written. */
size_t store_fts_fold(enum store_fold f, const char *s, size_t n, char *out);
/* Whether store_fts_fold would change s (n bytes). */
bool store_fts_folds(enum store_fold f, const char *s, size_t n);
/*
 * The Arabic and Hebrew vowel marks STORE_FOLD_LETTERS drops: kept inside
 * words by unicode61 given them as tokenchars (store_fts_marks: a UTF-8
 * string of them all), as PostgreSQL's parser keeps them.
 */
bool store_fts_mark(unsigned cp);
const char *store_fts_marks(void);
/* The marks as a PostgreSQL regular expression's bracket expression ("[\u0591-\u05BD...]"). */
struct buf;
void store_fts_mark_class(struct buf *b);

/* Register the FTS5 tokenizer "mtag" (store_sqlite_fts.c) on db. An SQLite result code. */
struct sqlite3;
int store_sqlite_fts_register(struct sqlite3 *db);
/* db's FTS5 interface (version 2 or later), or NULL. */
struct fts5_api;
struct fts5_api *store_sqlite_fts5(struct sqlite3 *db);


/*
 * A search hit's snippet (store_snippet.c), marked against a query's words
 * and stems: a marker per search (NULL when SQLite's tokenizer cannot be
 * had: hits then have no snippet). store_marker_snippet: the snippet of text (len bytes; a
 * slice of a longer text when cut_before / cut_after), NULL for none.
 * OUT: in a.
 */
struct store_marker;
struct store_marker *store_marker_new(struct arena *a, const struct search_query *sq);
const char *store_marker_snippet(const struct store_marker *mk, struct arena *a, const char *text,
				 size_t len, bool cut_before, bool cut_after);
void store_marker_free(struct store_marker *mk);
/* The marks of mk as text, for mtag_first_match; NULL for none. OUT: in a. */
const char *store_marker_marks(const struct store_marker *mk, struct arena *a);
/*
 * mtag_first_match(text, marks), an SQL function on SQLite's connections
 * (registered by store_sqlite_func_register): the character, from 1, where
 * the first token of text that one of the marks (store_marker_marks)
 * matches starts; 0 for none. Where a snippet's slice of a text starts.
 */
struct sqlite3_context;
struct sqlite3_value;
void store_first_match_sql(struct sqlite3_context *ctx, int argc, struct sqlite3_value **argv);
/* Register the SQL functions mtag_tags_all, mtag_lower and mtag_first_match on db.
 * An SQLite result code. */
int store_sqlite_func_register(struct sqlite3 *db);
/* p kept as argument arg's auxiliary data for the statement (SQLite calls destroy when
 * done with it); NULL, with the function's result an out-of-memory error, when it could
 * not be kept (p destroyed already). */
void *store_sqlite_keep(struct sqlite3_context *ctx, int arg, void *p, void (*destroy)(void *));

#endif
