/*
 * store_fixture.h - the two-driver fixture the store suites share
 * (test_store.c, test_store_auth.c); included by one test program each.
 *
 * SQLite runs on files in a fresh temporary directory. PostgreSQL runs when
 * MTAG_TEST_PG_URL is set (a postgresql:// URL, as tools/pg-cluster.sh start
 * prints): through a maintenance connection to that database the suite
 * creates a database of its own with a random name for every fresh start it
 * needs, and drops them all at the end (DROP ... WITH (FORCE)). A new
 * database is the only state no leftover can reach - an aborted earlier run,
 * another suite in the same cluster, a stray schema in public - and it costs
 * ~50 ms. Without the URL the PostgreSQL half is skipped with a line saying
 * so, or counted as a failure when MTAG_TEST_REQUIRE_PG=1.
 *
 * A suite is a function that RUNs its tests on T.s (open, not migrated) and
 * T.a (an arena released after the suite); fixture_main runs it once per
 * driver. Everything here is static: each program has its own copy.
 */
#ifndef MTAG_TEST_STORE_FIXTURE_H
#define MTAG_TEST_STORE_FIXTURE_H

#include <ftw.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "base/arena.h"
#include "base/log.h"
#include "base/random.h"
#include "store/store.h"
#include "store/store_int.h"

#define URL_MAX 1024
#define T0 1764388301123456LL /* 2025-11-29T03:51:41.123456Z */

/* The driver under test. */
static struct {
	const char *suite;                  /* the program, for messages: "test_store" */
	const char *name;                   /* "sqlite" or "postgresql" */
	const struct embed_file *migrations;
	bool (*fresh_url)(char *url, size_t n); /* a new, empty database */
	char url[URL_MAX];                  /* the database of s */
	struct store *s;                    /* open, not migrated, when the suite starts */
	struct arena a;                     /* strings of the current suite */
	int seq;                            /* for unique emails */
} T;

/* One test program: its name and what it runs on each driver. */
struct fixture_suite {
	const char *name;           /* "test_store" */
	void (*tests)(void);        /* RUN(...) each test on T */
	void (*sqlite_extra)(void); /* only on SQLite; may be NULL */
	void (*pg_extra)(void);     /* only on PostgreSQL; may be NULL */
};

static char sqlite_dir[] = "/tmp/mtag-test-store.XXXXXX";
static int sqlite_dbs;

static PGconn *pg_admin;   /* maintenance connection to MTAG_TEST_PG_URL */
static const char *pg_base_url;
static char pg_dbs[8][40]; /* databases to drop at the end; pg_dbs[0] is T.url's */
static int pg_ndbs;

/* ---- helpers ---- */

static inline const char *unique_email(void)
{
	return arena_printf(&T.a, "user%d.%s@example.com", ++T.seq, T.name);
}

static inline void make_user(struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	uuid_v4(u->id);
	u->email = unique_email();
	u->full_name = "Zoë Ünïcode";
	u->password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
	u->is_active = true;
	u->is_admin = false;
	u->created_at = T0;
	u->updated_at = T0 + 1;
}

/* True when a and b parse as equal JSON values. */
/* A pending batch job of user_id ("" = anonymous) at T0. */
static inline void make_job(struct store_job *j, const char *user_id)
{
	memset(j, 0, sizeof(*j));
	uuid_v7(j->id);
	snprintf(j->user_id, sizeof(j->user_id), "%s", user_id);
	j->job_type = "batch";
	j->status = "pending";
	j->options = "{\"languages\":[\"en\",\"fr\"],\"max_tags\":10}";
	j->created_at = T0;
	j->updated_at = T0;
}

/* A pending document of job j. */
static inline void make_document(struct store_document *d, const struct store_job *j)
{
	memset(d, 0, sizeof(*d));
	uuid_v4(d->id);
	snprintf(d->job_id, sizeof(d->job_id), "%s", j->id);
	snprintf(d->user_id, sizeof(d->user_id), "%s", j->user_id);
	d->status = "pending";
	d->source_url = "https://example.com/a.pdf";
	d->created_at = T0 + 5;
}

static inline bool json_same(const char *a, const char *b)
{
	json_t *x = a ? json_loads(a, JSON_DECODE_ANY, NULL) : NULL;
	json_t *y = b ? json_loads(b, JSON_DECODE_ANY, NULL) : NULL;
	bool same = x && y && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

static inline void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static inline int migration_count(void)
{
	int n = 0;
	for (const struct embed_file *f = T.migrations; f->name; f++)
		n++;
	return n;
}

/* ---- SQLite ---- */

static inline bool sqlite_fresh_url(char *url, size_t n)
{
	snprintf(url, n, "sqlite://%s/db%d/mtag.db", sqlite_dir, ++sqlite_dbs);
	return true;
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* ---- PostgreSQL ---- */

/* A new database, CREATE DATABASE's options after its name (ours, constant). */
static inline bool pg_fresh_url_with(char *url, size_t n, const char *options)
{
	char hex[13], sql[192];
	PGresult *r;
	bool ok;

	if (pg_ndbs == (int)(sizeof(pg_dbs) / sizeof(pg_dbs[0])))
		return false;
	random_hex(hex, 6);
	/* An identifier cannot be a parameter; the name is ours, [a-z0-9_] only. */
	snprintf(pg_dbs[pg_ndbs], sizeof(pg_dbs[0]), "mtag_store_%s", hex);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%.39s\" %.96s", pg_dbs[pg_ndbs], options);
	r = PQexec(pg_admin, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s: %s: %s", T.suite, sql, PQerrorMessage(pg_admin));
	PQclear(r);
	/* In a libpq URI a dbname parameter overrides the path's database. */
	if (ok)
		snprintf(url, n, "%s%sdbname=%s", pg_base_url, strchr(pg_base_url, '?') ? "&" : "?",
			 pg_dbs[pg_ndbs++]);
	return ok;
}

static inline bool pg_fresh_url(char *url, size_t n)
{
	return pg_fresh_url_with(url, n, "");
}

static inline void pg_drop_all(void)
{
	for (int i = 0; i < pg_ndbs; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%.39s\" WITH (FORCE)", pg_dbs[i]);
		PQclear(PQexec(pg_admin, sql));
	}
	pg_ndbs = 0;
}

/* A user, a job and a document stored as the history and search tests need them. */
static inline void new_user(struct store_user *u)
{
	make_user(u);
	if (store_user_create(T.s, u) != ERR_OK)
		fprintf(stderr, "new_user: cannot create a user\n");
}

static inline void new_job(struct store_job *j, const char *user_id, int total, int64_t at)
{
	make_job(j, user_id);
	j->total_documents = total;
	j->created_at = at;
	if (store_job_create(T.s, j) != ERR_OK)
		fprintf(stderr, "new_job: cannot create a job\n");
}

/* A document of job j; NULL fields are left unset. */
static inline enum mtag_err add_doc(const struct store_job *j, struct store_document *d,
				     int64_t at, const char *status, const char *title,
				     const char *tags, const char *text)
{
	make_document(d, j);
	d->created_at = at;
	d->status = status;
	d->title = title;
	d->tags = tags;
	d->extracted_text = text;
	d->language = "en";
	return store_document_create(T.s, d);
}

/* The first column of a one-value query run on the database under test; -1 on error. */
static inline long long fixture_sql_value(const char *sql)
{
	long long v = -1;
	if (!strcmp(T.name, "sqlite")) {
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		if (sqlite3_open_v2(T.url + strlen("sqlite://"), &db, SQLITE_OPEN_READONLY, NULL) ==
			    SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		else
			fprintf(stderr, "fixture_sql_value: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		return v;
	}
	PGconn *pg = PQconnectdb(T.url);
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atoll(PQgetvalue(r, 0, 0));
	else
		fprintf(stderr, "fixture_sql_value: %s", PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
	return v;
}

/*
 * Rows where the counts kept by triggers (user_stats, user_days: migration
 * 0010) differ from counting the documents and jobs now, both ways: 0 when
 * every write so far kept them in step.
 */
#define STAT_SUMS(st) \
	"sum(CASE WHEN status = '" st "' THEN 1 ELSE 0 END)"
static inline long long fixture_stats_drift(void)
{
	const char *day = !strcmp(T.name, "sqlite") ? "substr(created_at, 1, 10)"
						     : "(created_at AT TIME ZONE 'UTC')::date";
	const char *sql = arena_printf(&T.a,
		"WITH agg AS (SELECT user_id, sum(jp) AS jp, sum(jr) AS jr, sum(jc) AS jc,"
		" sum(ja) AS ja, sum(jf) AS jf, sum(jx) AS jx, sum(dp) AS dp, sum(dr) AS dr,"
		" sum(dc) AS dc, sum(df) AS df FROM ("
		"  SELECT user_id, " STAT_SUMS("pending") " AS jp, " STAT_SUMS("processing") " AS jr, "
		STAT_SUMS("completed") " AS jc, " STAT_SUMS("partial") " AS ja, " STAT_SUMS("failed")
		" AS jf, " STAT_SUMS("cancelled") " AS jx, 0 AS dp, 0 AS dr, 0 AS dc, 0 AS df"
		"  FROM processing_jobs WHERE user_id IS NOT NULL GROUP BY user_id UNION ALL"
		"  SELECT user_id, 0, 0, 0, 0, 0, 0, " STAT_SUMS("pending") ", " STAT_SUMS("processing")
		", " STAT_SUMS("completed") ", " STAT_SUMS("failed")
		"  FROM documents WHERE user_id IS NOT NULL GROUP BY user_id) x GROUP BY user_id),"
		" kept AS (SELECT user_id, jobs_pending, jobs_processing, jobs_completed, jobs_partial,"
		" jobs_failed, jobs_cancelled, docs_pending, docs_processing, docs_completed,"
		" docs_failed FROM user_stats WHERE jobs_pending <> 0 OR jobs_processing <> 0 OR"
		" jobs_completed <> 0 OR jobs_partial <> 0 OR jobs_failed <> 0 OR jobs_cancelled <> 0"
		" OR docs_pending <> 0 OR docs_processing <> 0 OR docs_completed <> 0 OR"
		" docs_failed <> 0),"
		" days AS (SELECT user_id, %s AS day, count(*) AS n FROM documents"
		" WHERE user_id IS NOT NULL GROUP BY 1, 2),"
		" kept_days AS (SELECT user_id, day, documents FROM user_days WHERE documents <> 0)"
		" SELECT (SELECT count(*) FROM (SELECT * FROM agg EXCEPT SELECT * FROM kept) a)"
		" + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM agg) b)"
		" + (SELECT count(*) FROM (SELECT * FROM days EXCEPT SELECT * FROM kept_days) c)"
		" + (SELECT count(*) FROM (SELECT * FROM kept_days EXCEPT SELECT * FROM days) d)",
		day);
	return fixture_sql_value(sql);
}

/* Run last by the store suites: whatever they wrote, the kept counts are right. */
static inline void test_stats_in_step(void)
{
	CHECK(fixture_sql_value("SELECT count(*) FROM user_stats") > 0);
	CHECK_INT(fixture_stats_drift(), 0);
}

/* ---- the two halves ---- */

static inline void fixture_run(const struct fixture_suite *fs, const char *name,
			       const struct embed_file *migrations,
			       bool (*fresh_url)(char *, size_t), void (*extra)(void))
{
	char err[256];
	int passed = unit_passed, failed = unit_failed;

	T.name = name;
	T.migrations = migrations;
	T.fresh_url = fresh_url;
	arena_init(&T.a);
	fprintf(stderr, "-- %s: %s\n", fs->name, name);
	if (!fresh_url(T.url, sizeof(T.url)) ||
	    store_open(T.url, 4, &T.s, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "FAIL %s: cannot open a %s database\n", fs->name, name);
		unit_failed++;
		return;
	}
	fs->tests();
	if (extra)
		extra();
	store_close(T.s);
	T.s = NULL;
	arena_release(&T.a);
	printf("-- %s: %d tests passed, %d failed\n", name, unit_passed - passed,
	       unit_failed - failed);
}

static inline void fixture_pg_half(const struct fixture_suite *fs)
{
	const char *require = getenv("MTAG_TEST_REQUIRE_PG");

	pg_base_url = getenv("MTAG_TEST_PG_URL");
	if (!pg_base_url || !pg_base_url[0]) {
		if (require && !strcmp(require, "1")) {
			fprintf(stderr, "FAIL %s: MTAG_TEST_REQUIRE_PG=1 but "
					"MTAG_TEST_PG_URL is not set\n", fs->name);
			unit_failed++;
		} else {
			printf("-- %s: PostgreSQL half skipped (MTAG_TEST_PG_URL not set)\n",
			       fs->name);
		}
		return;
	}
	pg_admin = PQconnectdb(pg_base_url);
	if (PQstatus(pg_admin) != CONNECTION_OK) {
		fprintf(stderr, "FAIL %s: cannot connect to MTAG_TEST_PG_URL: %s", fs->name,
			PQerrorMessage(pg_admin));
		unit_failed++;
	} else {
		PQclear(PQexec(pg_admin, "SET client_min_messages = warning"));
		fixture_run(fs, "postgresql", store_migrations_pg, pg_fresh_url, fs->pg_extra);
		pg_drop_all();
	}
	PQfinish(pg_admin);
}

/* The program's main: the suite on SQLite, then on PostgreSQL; the result line. */
static inline int fixture_main(const struct fixture_suite *fs)
{
	const char *level = getenv("MTAG_LOG_LEVEL");
	enum log_level lv = LOG_ERROR;

	T.suite = fs->name;
	if (level)
		log_level_parse(level, &lv);
	log_set_level(lv);
	if (!mkdtemp(sqlite_dir)) {
		perror("mkdtemp");
		return 1;
	}
	fixture_run(fs, "sqlite", store_migrations_sqlite, sqlite_fresh_url, fs->sqlite_extra);
	nftw(sqlite_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fixture_pg_half(fs);
	return unit_report(fs->name);
}

#endif
