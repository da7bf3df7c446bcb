/*
 * test_store.c - one suite, run on both drivers (DESIGN.md section 5): the
 * schema, users, jobs and documents, concurrency. The fixture - a fresh
 * database per driver, PostgreSQL through MTAG_TEST_PG_URL - is in
 * store_fixture.h; sessions and the audit log are in test_store_auth.c.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store_fixture.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* ---- tests on any driver ---- */

static void test_migrate(void)
{
	int applied = -1, version = -1, n = migration_count();

	CHECK(n >= 1);
	CHECK_STR(store_driver_name(T.s), T.name);
	CHECK_INT(store_schema_version(T.s, &version), ERR_OK);
	CHECK_INT(version, 0);
	CHECK_INT(store_migrate(T.s, &applied), ERR_OK);
	CHECK_INT(applied, n);
	CHECK_INT(store_schema_version(T.s, &version), ERR_OK);
	CHECK_INT(version, store_migrate_latest(T.migrations));
	CHECK_INT(store_migrate(T.s, &applied), ERR_OK);
	CHECK_INT(applied, 0);
	CHECK_INT(store_schema_version(T.s, &version), ERR_OK);
	CHECK_INT(version, store_migrate_latest(T.migrations));
}

/* One process-like migrator: a store of its own, migrate, close. */
struct migrator {
	const char *url;
	enum mtag_err open_err, err;
	int applied;
};

static void *migrator_main(void *arg)
{
	struct migrator *m = arg;
	struct store *s = NULL;
	char err[256];

	m->open_err = store_open(m->url, 2, &s, err, sizeof(err));
	if (!m->open_err)
		m->err = store_migrate(s, &m->applied);
	store_close(s);
	return NULL;
}

static void test_migrate_concurrent(void)
{
	char url[URL_MAX], err[256];
	struct migrator m[2] = { { url, 0, 0, 0 }, { url, 0, 0, 0 } };
	pthread_t th[2];
	struct store *s = NULL;
	int version = -1;

	CHECK(T.fresh_url(url, sizeof(url)));
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, migrator_main, &m[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(m[i].open_err, ERR_OK);
		CHECK_INT(m[i].err, ERR_OK);
	}
	/* Every migration applied exactly once, by one or the other. */
	CHECK_INT(m[0].applied + m[1].applied, migration_count());
	CHECK_INT(store_open(url, 1, &s, err, sizeof(err)), ERR_OK);
	CHECK_INT(store_schema_version(s, &version), ERR_OK);
	store_close(s);
	CHECK_INT(version, store_migrate_latest(T.migrations));
}

static void test_ping(void)
{
	CHECK_INT(store_ping(T.s), ERR_OK);
}

static void check_user_equal(const struct store_user *got, const struct store_user *want)
{
	CHECK_STR(got->id, want->id);
	CHECK_STR(got->email, want->email);
	if (want->full_name)
		CHECK_STR(got->full_name, want->full_name);
	else
		CHECK(got->full_name == NULL);
	CHECK_STR(got->password_hash, want->password_hash);
	CHECK_INT(got->is_active, want->is_active);
	CHECK_INT(got->is_admin, want->is_admin);
	CHECK_INT(got->created_at, want->created_at);
	CHECK_INT(got->updated_at, want->updated_at);
}

static void test_user_roundtrip(void)
{
	struct store_user u, v, got;
	char upper_id[UUID_STR_LEN];

	make_user(&u);
	u.is_admin = true;
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	memset(&got, 0, sizeof(got));
	CHECK_INT(store_user_get(T.s, &T.a, u.id, &got), ERR_OK);
	check_user_equal(&got, &u);
	if (unit_current_failed)
		return;
	memset(&got, 0, sizeof(got));
	CHECK_INT(store_user_get_by_email(T.s, &T.a, u.email, &got), ERR_OK);
	check_user_equal(&got, &u);
	if (unit_current_failed)
		return;

	/* NULL full name, inactive, times at whole seconds and before 1970 work too. */
	make_user(&v);
	v.full_name = NULL;
	v.is_active = false;
	v.created_at = 1700000000000000LL;
	v.updated_at = -1234567;
	CHECK_INT(store_user_create(T.s, &v), ERR_OK);
	CHECK_INT(store_user_get(T.s, &T.a, v.id, &got), ERR_OK);
	check_user_equal(&got, &v);
	if (unit_current_failed)
		return;

	/* Ids are found whatever their case, and come back in lower case. */
	snprintf(upper_id, sizeof(upper_id), "%s", u.id);
	upper(upper_id);
	CHECK_INT(store_user_get(T.s, &T.a, upper_id, &got), ERR_OK);
	CHECK_STR(got.id, u.id);
}

static void test_user_conflict(void)
{
	struct store_user u, dup;
	char upper_id[UUID_STR_LEN];

	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_user(&dup);
	dup.email = u.email; /* same email, new id */
	CHECK_INT(store_user_create(T.s, &dup), ERR_CONFLICT);
	make_user(&dup);
	snprintf(upper_id, sizeof(upper_id), "%s", u.id);
	upper(upper_id);
	snprintf(dup.id, sizeof(dup.id), "%s", upper_id); /* same id (other case), new email */
	CHECK_INT(store_user_create(T.s, &dup), ERR_CONFLICT);
	/* Emails are exact: another case is another email (core lower-cases first). */
	make_user(&dup);
	dup.email = arena_strdup(&T.a, u.email);
	upper((char *)dup.email);
	CHECK_INT(store_user_create(T.s, &dup), ERR_OK);
}

static void test_user_missing(void)
{
	struct store_user got;
	char id[UUID_STR_LEN];

	uuid_v4(id);
	CHECK_INT(store_user_get(T.s, &T.a, id, &got), ERR_NOT_FOUND);
	CHECK_INT(store_user_get(T.s, &T.a, "not-a-uuid", &got), ERR_NOT_FOUND);
	CHECK_INT(store_user_get(T.s, &T.a, "", &got), ERR_NOT_FOUND);
	CHECK_INT(store_user_get(T.s, &T.a, "0f8fad5b-d9cb-469f-a165-70867728950e'; --", &got),
		  ERR_NOT_FOUND);
	CHECK_INT(store_user_get_by_email(T.s, &T.a, "nobody@example.com", &got), ERR_NOT_FOUND);
}

static void test_user_bad_input(void)
{
	struct store_user u;

	make_user(&u);
	snprintf(u.id, sizeof(u.id), "nope");
	CHECK_INT(store_user_create(T.s, &u), ERR_BAD_REQUEST);
	make_user(&u);
	u.password_hash = NULL;
	CHECK_INT(store_user_create(T.s, &u), ERR_BAD_REQUEST);
	make_user(&u);
	u.full_name = "bad \xc3\x28 utf-8";
	CHECK_INT(store_user_create(T.s, &u), ERR_BAD_REQUEST);
	make_user(&u);
	u.full_name = "surrogate \xed\xa0\x80";
	CHECK_INT(store_user_create(T.s, &u), ERR_BAD_REQUEST);
}

static void check_job_equal(const struct store_job *got, const struct store_job *want)
{
	CHECK_STR(got->id, want->id);
	CHECK_STR(got->user_id, want->user_id);
	CHECK_STR(got->job_type, want->job_type);
	CHECK_STR(got->status, want->status);
	CHECK_INT(got->total_documents, want->total_documents);
	CHECK_INT(got->processed_documents, want->processed_documents);
	CHECK_INT(got->failed_documents, want->failed_documents);
	CHECK(json_same(got->options, want->options ? want->options : "{}"));
	if (want->error_message)
		CHECK_STR(got->error_message, want->error_message);
	else
		CHECK(got->error_message == NULL);
	CHECK_INT(got->created_at, want->created_at);
	CHECK_INT(got->started_at, want->started_at);
	CHECK_INT(got->completed_at, want->completed_at);
	CHECK_INT(got->updated_at, want->updated_at);
}

static void test_job_roundtrip(void)
{
	struct store_user u;
	struct store_job j, k, got;

	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&j, u.id);
	j.status = "partial";
	j.total_documents = 7;
	j.processed_documents = 6;
	j.failed_documents = 1;
	j.error_message = "1 of 7 documents failed: « timeout »";
	j.started_at = T0 + 1000;
	j.completed_at = T0 + 2000001;
	j.updated_at = T0 + 2000002;
	CHECK_INT(store_job_create(T.s, &j), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, NULL, &got), ERR_OK);
	check_job_equal(&got, &j);
	if (unit_current_failed)
		return;

	/* Anonymous, not started, options left to the default. */
	make_job(&k, "");
	k.job_type = "single";
	k.options = NULL;
	CHECK_INT(store_job_create(T.s, &k), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, k.id, NULL, &got), ERR_OK);
	check_job_equal(&got, &k);
	CHECK_STR(got.user_id, "");
}

static void test_job_errors(void)
{
	struct store_job j;

	make_job(&j, "");
	uuid_v4(j.user_id); /* nobody */
	CHECK_INT(store_job_create(T.s, &j), ERR_NOT_FOUND);
	make_job(&j, "");
	snprintf(j.user_id, sizeof(j.user_id), "someone");
	CHECK_INT(store_job_create(T.s, &j), ERR_BAD_REQUEST);
	make_job(&j, "");
	j.status = "exploded";
	CHECK_INT(store_job_create(T.s, &j), ERR_BAD_REQUEST);
	make_job(&j, "");
	j.job_type = "stream";
	CHECK_INT(store_job_create(T.s, &j), ERR_BAD_REQUEST);
	make_job(&j, "");
	j.options = "{not json";
	CHECK_INT(store_job_create(T.s, &j), ERR_BAD_REQUEST);
	make_job(&j, "");
	j.options = "[1, 2]"; /* valid JSON, not an object */
	CHECK_INT(store_job_create(T.s, &j), ERR_BAD_REQUEST);
	make_job(&j, "");
	CHECK_INT(store_job_create(T.s, &j), ERR_OK);
	CHECK_INT(store_job_create(T.s, &j), ERR_CONFLICT); /* same id again */
}

static void test_job_scoping(void)
{
	struct store_user a, b;
	struct store_job ja, anon, got;
	char missing[UUID_STR_LEN], upper_owner[UUID_STR_LEN];

	make_user(&a);
	make_user(&b);
	CHECK_INT(store_user_create(T.s, &a), ERR_OK);
	CHECK_INT(store_user_create(T.s, &b), ERR_OK);
	make_job(&ja, a.id);
	make_job(&anon, "");
	CHECK_INT(store_job_create(T.s, &ja), ERR_OK);
	CHECK_INT(store_job_create(T.s, &anon), ERR_OK);

	CHECK_INT(store_job_get(T.s, &T.a, ja.id, a.id, &got), ERR_OK);
	CHECK_STR(got.user_id, a.id);
	snprintf(upper_owner, sizeof(upper_owner), "%s", a.id);
	upper(upper_owner);
	CHECK_INT(store_job_get(T.s, &T.a, ja.id, upper_owner, &got), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, ja.id, b.id, &got), ERR_NOT_FOUND);
	CHECK(got.id[0] == '\0'); /* nothing of the other user's job shows */
	CHECK_INT(store_job_get(T.s, &T.a, ja.id, "", &got), ERR_NOT_FOUND);
	CHECK_INT(store_job_get(T.s, &T.a, ja.id, NULL, &got), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, ja.id, "garbage", &got), ERR_NOT_FOUND);

	CHECK_INT(store_job_get(T.s, &T.a, anon.id, "", &got), ERR_OK);
	CHECK_STR(got.user_id, "");
	CHECK_INT(store_job_get(T.s, &T.a, anon.id, a.id, &got), ERR_NOT_FOUND);
	CHECK_INT(store_job_get(T.s, &T.a, anon.id, NULL, &got), ERR_OK);

	uuid_v4(missing);
	CHECK_INT(store_job_get(T.s, &T.a, missing, NULL, &got), ERR_NOT_FOUND);
	CHECK_INT(store_job_get(T.s, &T.a, "12345", NULL, &got), ERR_NOT_FOUND);
}

static void check_document_equal(const struct store_document *got,
				 const struct store_document *want)
{
#define CHECK_OPT_STR(f)                                 \
	do {                                             \
		if (want->f)                             \
			CHECK_STR(got->f, want->f);      \
		else                                     \
			CHECK(got->f == NULL);           \
	} while (0)
	CHECK_STR(got->id, want->id);
	CHECK_STR(got->job_id, want->job_id);
	CHECK_STR(got->user_id, want->user_id);
	CHECK_OPT_STR(source_url);
	CHECK_OPT_STR(filename);
	CHECK_OPT_STR(title);
	CHECK_STR(got->status, want->status);
	CHECK(json_same(got->tags, want->tags ? want->tags : "[]"));
	CHECK_OPT_STR(extracted_text);
	CHECK(json_same(got->metadata, want->metadata ? want->metadata : "{}"));
	CHECK_OPT_STR(error_message);
	CHECK_INT(got->created_at, want->created_at);
	CHECK_INT(got->processed_at, want->processed_at);
#undef CHECK_OPT_STR
}

static void test_document_roundtrip(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d, e, got;
	struct buf text = BUF_INIT(1 << 20);

	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&j, u.id);
	CHECK_INT(store_job_create(T.s, &j), ERR_OK);
	make_document(&d, &j);
	d.filename = "résumé.pdf";
	d.title = "Résumé — 日本";
	d.status = "completed";
	d.tags = "[\"résumé\", \"日本語\", \"machine learning\", \"\\\"quoted\\\"\"]";
	d.metadata = "{\"page_count\": 3, \"language_detected\": \"fr\","
		     " \"nested\": {\"a\": [1, 2.5, null, true], \"b\": \"é\"}}";
	for (int i = 0; i < 4000; i++)
		buf_printf(&text, "Ligne %d : « données » 日本語のテキスト.\n", i);
	d.extracted_text = buf_cstr(&text);
	d.processed_at = T0 + 3000000;
	CHECK_INT(store_document_create(T.s, &d), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, d.id, u.id, &got), ERR_OK);
	check_document_equal(&got, &d);
	buf_release(&text);
	if (unit_current_failed)
		return;

	/* NULLs stay NULL, JSON gets its defaults, processed_at 0 stays 0. */
	make_document(&e, &j);
	e.source_url = NULL;
	e.error_message = "could not fetch";
	e.status = "failed";
	CHECK_INT(store_document_create(T.s, &e), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, e.id, NULL, &got), ERR_OK);
	check_document_equal(&got, &e);
}

static void test_document_errors_and_scoping(void)
{
	struct store_user a, b;
	struct store_job ja, anon;
	struct store_document da, dn, bad, got;

	make_user(&a);
	make_user(&b);
	CHECK_INT(store_user_create(T.s, &a), ERR_OK);
	CHECK_INT(store_user_create(T.s, &b), ERR_OK);
	make_job(&ja, a.id);
	make_job(&anon, "");
	CHECK_INT(store_job_create(T.s, &ja), ERR_OK);
	CHECK_INT(store_job_create(T.s, &anon), ERR_OK);

	make_document(&bad, &ja);
	uuid_v4(bad.job_id); /* no such job */
	CHECK_INT(store_document_create(T.s, &bad), ERR_NOT_FOUND);
	make_document(&bad, &ja);
	bad.tags = "{\"not\": \"an array\"}";
	CHECK_INT(store_document_create(T.s, &bad), ERR_BAD_REQUEST);
	make_document(&bad, &ja);
	bad.status = "partial"; /* a job status, not a document one */
	CHECK_INT(store_document_create(T.s, &bad), ERR_BAD_REQUEST);

	make_document(&da, &ja);
	make_document(&dn, &anon);
	CHECK_INT(store_document_create(T.s, &da), ERR_OK);
	CHECK_INT(store_document_create(T.s, &dn), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, da.id, a.id, &got), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, da.id, b.id, &got), ERR_NOT_FOUND);
	CHECK_INT(store_document_get(T.s, &T.a, da.id, "", &got), ERR_NOT_FOUND);
	CHECK_INT(store_document_get(T.s, &T.a, da.id, NULL, &got), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, dn.id, "", &got), ERR_OK);
	CHECK_STR(got.user_id, "");
	CHECK_INT(store_document_get(T.s, &T.a, dn.id, a.id, &got), ERR_NOT_FOUND);
	CHECK_INT(store_document_get(T.s, &T.a, "bogus", NULL, &got), ERR_NOT_FOUND);
}

/* A writer thread: creates users and reads each back. */
struct writer {
	struct store *s;
	int id, n, errors;
	enum mtag_err first;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct arena a = ARENA_INIT;

	for (int i = 0; i < w->n; i++) {
		struct store_user u = { .password_hash = "x", .is_active = true,
					.created_at = T0, .updated_at = T0 }, got;
		enum mtag_err e;
		uuid_v4(u.id);
		u.email = arena_printf(&a, "writer%d.%d.%s@example.com", w->id, i, T.name);
		e = store_user_create(w->s, &u);
		if (!e)
			e = store_user_get_by_email(w->s, &a, u.email, &got);
		if (!e && strcmp(got.id, u.id) != 0)
			e = ERR_INTERNAL;
		if (e && !w->errors++)
			w->first = e;
	}
	arena_release(&a);
	return NULL;
}

/* Writers on a small pool: more threads than connections, all succeed. */
static void run_writers(int pool_size, int threads, int each)
{
	struct store *s = NULL;
	char err[256];
	pthread_t th[8];
	struct writer w[8];

	CHECK_INT(store_open(T.url, pool_size, &s, err, sizeof(err)), ERR_OK);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct writer){ s, pool_size * 100 + i, each, 0, ERR_OK };
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	store_close(s);
	for (int i = 0; i < threads; i++) {
		CHECK_INT(w[i].first, ERR_OK);
		CHECK_INT(w[i].errors, 0);
	}
}

static void test_concurrent_writers(void)
{
	run_writers(3, 8, 25);
}

static void test_single_connection_shared(void)
{
	run_writers(1, 4, 10);
}

/* ---- driver-specific tests ---- */

/* Another process holds the write lock past busy_timeout (5 s): writes are
 * unavailable, reads go on (WAL), and the store recovers once it is let go. */
static void test_sqlite_busy(void)
{
	struct store_user u, got;
	sqlite3 *db = NULL;
	enum mtag_err wrote, read, wrote_after;
	int64_t t0, waited;
	bool locked;

	make_user(&u);
	locked = sqlite3_open(T.url + strlen("sqlite://"), &db) == SQLITE_OK &&
		 sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	t0 = clock_mono_us();
	wrote = store_user_create(T.s, &u);
	waited = clock_mono_us() - t0;
	read = store_user_get(T.s, &T.a, u.id, &got);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	wrote_after = store_user_create(T.s, &u);
	CHECK(locked);
	CHECK_INT(wrote, ERR_UNAVAILABLE);
	CHECK(waited >= 4500 * 1000);
	CHECK_INT(read, ERR_NOT_FOUND);
	CHECK_INT(wrote_after, ERR_OK);
}

static void sqlite_extra(void)
{
	RUN(test_sqlite_busy);
}

/* Terminate every backend of the suite's database but the admin one; OUT: how many. */
static bool pg_kill_backends(bool wait_gone, int *killed)
{
	const char *db = pg_dbs[0];
	PGresult *r = PQexecParams(pg_admin,
				   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				   " WHERE datname = $1 AND pid <> pg_backend_pid()",
				   1, NULL, &db, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;

	*killed = ok ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	PQclear(r);
	for (int i = 0; ok && wait_gone && i < 500; i++) {
		r = PQexecParams(pg_admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
				 1, NULL, &db, NULL, NULL, 0);
		bool gone = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "0");
		PQclear(r);
		if (gone)
			break;
		usleep(10 * 1000);
	}
	return ok;
}

static void test_pg_reconnect(void)
{
	struct store_user u, got;
	int killed = 0;

	/* The server closed our idle connections (as a restart does): the next
	 * write must not fail - the pool sees the dead socket before using it. */
	CHECK_INT(store_ping(T.s), ERR_OK);
	CHECK(pg_kill_backends(true, &killed));
	CHECK(killed >= 1);
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	CHECK_INT(store_user_get(T.s, &T.a, u.id, &got), ERR_OK);

	/* Killed without waiting: a read either sees it first or is retried once. */
	CHECK(pg_kill_backends(false, &killed));
	CHECK_INT(store_ping(T.s), ERR_OK);
	CHECK_INT(store_user_get(T.s, &T.a, u.id, &got), ERR_OK);
	CHECK_STR(got.email, u.email);
}

/* ---- the program ---- */

static void store_tests(void)
{
	RUN(test_migrate);
	RUN(test_migrate_concurrent);
	RUN(test_ping);
	RUN(test_user_roundtrip);
	RUN(test_user_conflict);
	RUN(test_user_missing);
	RUN(test_user_bad_input);
	RUN(test_job_roundtrip);
	RUN(test_job_errors);
	RUN(test_job_scoping);
	RUN(test_document_roundtrip);
	RUN(test_document_errors_and_scoping);
	RUN(test_concurrent_writers);
	RUN(test_single_connection_shared);
	RUN(test_stats_in_step);
}

static void pg_extra(void)
{
	RUN(test_pg_reconnect);
}

int main(void)
{
	static const struct fixture_suite suite = { "test_store", store_tests, sqlite_extra,
						    pg_extra };
	return fixture_main(&suite);
}
