/*
 * test_store_documents.c - a document's outcome and its job's progress in
 * one transaction, de-duplication by content hash, and the purge of old
 * anonymous work; on SQLite and PostgreSQL (store_fixture.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "store_fixture.h"
#include "base/xalloc.h"

static void finished(struct store_document *d, const char *status)
{
	d->status = status;
	d->processed_at = T0 + 1000000;
	if (!strcmp(status, "completed")) {
		d->title = "Quarterly report";
		d->tags = "[\"revenue\", \"growth\"]";
		d->extracted_text = "Revenue grew.";
		d->metadata = "{\"processing_time\": 0.25}";
		d->content_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
		d->size_bytes = 1234;
		d->mime_type = "application/pdf";
		d->language = "en";
		d->page_count = 3;
		d->blob_key = "u/j/d.pdf";
	} else {
		d->error_message = "download failed: HTTP 404";
	}
}

static void test_finish_settles_the_job(void)
{
	struct store_user u;
	struct store_job j, got;
	struct store_document d[3], back;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&j, u.id);
	j.total_documents = 3;
	CHECK_INT(store_job_create(T.s, &j), ERR_OK);
	for (int i = 0; i < 3; i++) {
		make_document(&d[i], &j);
		CHECK_INT(store_document_create(T.s, &d[i]), ERR_OK);
	}
	finished(&d[0], "completed");
	CHECK_INT(store_document_finish(T.s, &d[0]), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_STR(got.status, "processing");
	CHECK_INT(got.processed_documents, 1);
	CHECK_INT(got.started_at, T0 + 1000000);
	CHECK_INT(got.completed_at, 0);
	/* An outcome is recorded once. */
	CHECK_INT(store_document_finish(T.s, &d[0]), ERR_CONFLICT);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_INT(got.processed_documents, 1);
	finished(&d[1], "failed");
	CHECK_INT(store_document_finish(T.s, &d[1]), ERR_OK);
	finished(&d[2], "completed");
	CHECK_INT(store_document_finish(T.s, &d[2]), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_STR(got.status, "partial");
	CHECK_INT(got.processed_documents, 2);
	CHECK_INT(got.failed_documents, 1);
	CHECK_INT(got.completed_at, T0 + 1000000);
	CHECK_INT(store_document_get(T.s, &T.a, d[0].id, u.id, &back), ERR_OK);
	CHECK_STR(back.status, "completed");
	CHECK_STR(back.content_sha256, d[0].content_sha256);
	CHECK_INT(back.size_bytes, 1234);
	CHECK_STR(back.mime_type, "application/pdf");
	CHECK_STR(back.language, "en");
	CHECK_INT(back.page_count, 3);
	CHECK_STR(back.blob_key, "u/j/d.pdf");
	CHECK(json_same(back.tags, "[\"revenue\", \"growth\"]"));
	CHECK_INT(store_document_get(T.s, &T.a, d[1].id, u.id, &back), ERR_OK);
	CHECK_STR(back.error_message, "download failed: HTTP 404");
	CHECK(back.content_sha256 == NULL);
	CHECK_INT(back.size_bytes, 0);
}

static void test_finish_single_outcomes(void)
{
	struct store_job j, got;
	struct store_document d;
	const char *outcomes[] = { "completed", "failed" };
	const char *want[] = { "completed", "failed" };
	for (int i = 0; i < 2; i++) {
		make_job(&j, "");
		j.job_type = "single";
		j.total_documents = 1;
		CHECK_INT(store_job_create(T.s, &j), ERR_OK);
		make_document(&d, &j);
		CHECK_INT(store_document_create(T.s, &d), ERR_OK);
		finished(&d, outcomes[i]);
		CHECK_INT(store_document_finish(T.s, &d), ERR_OK);
		CHECK_INT(store_job_get(T.s, &T.a, j.id, "", &got), ERR_OK);
		CHECK_STR(got.status, want[i]);
	}
	/* Bad input and a missing document. */
	finished(&d, "completed");
	d.status = "pending";
	CHECK_INT(store_document_finish(T.s, &d), ERR_BAD_REQUEST);
	uuid_v4(d.id);
	d.status = "completed";
	CHECK_INT(store_document_finish(T.s, &d), ERR_NOT_FOUND);
}

static void test_find_by_sha(void)
{
	struct store_user u, other;
	struct store_job j;
	struct store_document d, found;
	make_user(&u);
	make_user(&other);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	CHECK_INT(store_user_create(T.s, &other), ERR_OK);
	make_job(&j, u.id);
	j.total_documents = 1;
	CHECK_INT(store_job_create(T.s, &j), ERR_OK);
	make_document(&d, &j);
	CHECK_INT(store_document_create(T.s, &d), ERR_OK);
	const char *sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	CHECK_INT(store_document_find_by_sha(T.s, &T.a, u.id, sha, &found), ERR_NOT_FOUND);
	finished(&d, "completed");
	d.content_sha256 = sha;
	CHECK_INT(store_document_finish(T.s, &d), ERR_OK);
	CHECK_INT(store_document_find_by_sha(T.s, &T.a, u.id, sha, &found), ERR_OK);
	CHECK_STR(found.id, d.id);
	CHECK_STR(found.blob_key, "u/j/d.pdf");
	/* Another user's bytes are never shared. */
	CHECK_INT(store_document_find_by_sha(T.s, &T.a, other.id, sha, &found), ERR_NOT_FOUND);
	CHECK_INT(store_document_find_by_sha(T.s, &T.a, "", sha, &found), ERR_NOT_FOUND);
	CHECK_INT(store_document_find_by_sha(T.s, &T.a, u.id, "short", &found), ERR_NOT_FOUND);
}

static void test_anonymous_purge(void)
{
	struct store_user u;
	struct store_job old1, old2, young, mine;
	struct store_document d;
	const char **keys;
	size_t nkeys;
	int jobs;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	struct store_job *all[] = { &old1, &old2, &young, &mine };
	int64_t created[] = { T0 - 3000000, T0 - 2000000, T0 + 5000000, T0 - 9000000 };
	for (int i = 0; i < 4; i++) {
		make_job(all[i], i == 3 ? u.id : "");
		all[i]->created_at = created[i];
		all[i]->total_documents = 1;
		CHECK_INT(store_job_create(T.s, all[i]), ERR_OK);
		make_document(&d, all[i]);
		CHECK_INT(store_document_create(T.s, &d), ERR_OK);
		finished(&d, "completed");
		d.blob_key = arena_printf(&T.a, "anonymous/%s/%s.pdf", all[i]->id, d.id);
		CHECK_INT(store_document_finish(T.s, &d), ERR_OK);
	}
	/* At most one job per call, oldest first; the user's job is never touched. */
	CHECK_INT(store_anonymous_purge(T.s, &T.a, T0, 1, &keys, &nkeys, &jobs), ERR_OK);
	CHECK_INT(jobs, 1);
	CHECK_INT(nkeys, 1);
	CHECK(strstr(keys[0], old1.id) != NULL);
	CHECK_INT(store_anonymous_purge(T.s, &T.a, T0, 100, &keys, &nkeys, &jobs), ERR_OK);
	CHECK_INT(jobs, 1);
	CHECK(nkeys == 1 && strstr(keys[0], old2.id) != NULL);
	CHECK_INT(store_anonymous_purge(T.s, &T.a, T0, 100, &keys, &nkeys, &jobs), ERR_OK);
	CHECK_INT(jobs, 0);
	CHECK_INT(nkeys, 0);
	struct store_job got;
	CHECK_INT(store_job_get(T.s, &T.a, old1.id, NULL, &got), ERR_NOT_FOUND);
	CHECK_INT(store_job_get(T.s, &T.a, young.id, NULL, &got), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, mine.id, NULL, &got), ERR_OK);
}

static void test_submit_is_one_transaction(void)
{
	struct store_user u;
	struct store_job j, got;
	struct store_document docs[3], back;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&j, u.id);
	j.total_documents = 3;
	for (int i = 0; i < 3; i++) {
		make_document(&docs[i], &j);
		docs[i].source_url = arena_printf(&T.a, "https://example.com/%d.pdf", i);
	}
	docs[2].status = "failed";
	docs[2].error_message = "invalid URL: no host";
	CHECK_INT(store_job_submit(T.s, &j, docs, 3, NULL), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_INT(got.total_documents, 3);
	CHECK_INT(store_document_get(T.s, &T.a, docs[1].id, u.id, &back), ERR_OK);
	CHECK_STR(back.source_url, "https://example.com/1.pdf");
	CHECK_STR(back.job_id, j.id);
	CHECK_STR(back.user_id, u.id);
	/* A duplicate document id fails the whole submission: no job is left behind. */
	struct store_job k;
	make_job(&k, u.id);
	struct store_document dup[2];
	make_document(&dup[0], &k);
	dup[1] = dup[0];
	CHECK_INT(store_job_submit(T.s, &k, dup, 2, NULL), ERR_CONFLICT);
	CHECK_INT(store_job_get(T.s, &T.a, k.id, u.id, &got), ERR_NOT_FOUND);

	/* A document may reuse another job's file (the same bytes) while a row of that job
	 * points to it; once that row is deleted the file is gone, and the job is refused. */
	struct store_job owner, reuse;
	struct store_document own, again;
	make_job(&owner, u.id);
	make_document(&own, &owner);
	own.blob_key = arena_printf(&T.a, "%s/%s/%s.pdf", u.id, owner.id, own.id);
	CHECK_INT(store_job_submit(T.s, &owner, &own, 1, NULL), ERR_OK);
	make_job(&reuse, u.id);
	make_document(&again, &reuse);
	again.blob_key = own.blob_key;
	again.blob_shared = true;
	CHECK_INT(store_job_submit(T.s, &reuse, &again, 1, NULL), ERR_OK);
	const char *key = NULL;
	CHECK_INT(store_document_delete(T.s, &T.a, own.id, u.id, T0 + 5, &key), ERR_OK);
	CHECK(key == NULL); /* still the reusing document's */
	CHECK_INT(store_document_delete(T.s, &T.a, again.id, u.id, T0 + 6, &key), ERR_OK);
	CHECK_STR(key, own.blob_key); /* nobody's now: the caller deletes the file */
	make_job(&reuse, u.id);
	make_document(&again, &reuse);
	again.blob_key = own.blob_key;
	again.blob_shared = true;
	CHECK_INT(store_job_submit(T.s, &reuse, &again, 1, NULL), ERR_CONFLICT);
	CHECK_INT(store_job_get(T.s, &T.a, reuse.id, u.id, &got), ERR_NOT_FOUND);
}

#define PAGE_DOCS 40

static struct store_document page_docs[PAGE_DOCS];

static void *finisher(void *arg)
{
	(void)arg;
	for (int i = 0; i < PAGE_DOCS; i++) {
		finished(&page_docs[i], i % 4 ? "completed" : "failed");
		if (store_document_finish(T.s, &page_docs[i]) != ERR_OK)
			fprintf(stderr, "finisher: document %d not finished\n", i);
	}
	return NULL;
}

/*
 * A document finishing with another job's file (the same bytes, found by its
 * hash) is recorded while another row points to that file; once that row and
 * its file are gone nothing is recorded (the caller stores the bytes again).
 * A job's delete keeps a file another job's document has come to point to.
 */
static void test_finish_reusing_a_file(void)
{
	struct store_user u;
	struct store_job owner, reuse, got;
	struct store_document own, again, back;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&owner, u.id);
	make_document(&own, &owner);
	own.blob_key = arena_printf(&T.a, "%s/%s/%s.pdf", u.id, owner.id, own.id);
	CHECK_INT(store_job_submit(T.s, &owner, &own, 1, NULL), ERR_OK);
	make_job(&reuse, u.id);
	reuse.total_documents = 2;
	struct store_document docs[2];
	for (int i = 0; i < 2; i++) {
		make_document(&docs[i], &reuse);
		docs[i].source_url = "https://example.com/same.pdf";
	}
	CHECK_INT(store_job_submit(T.s, &reuse, docs, 2, NULL), ERR_OK);

	again = docs[0];
	finished(&again, "completed");
	again.blob_key = own.blob_key;
	again.blob_shared = true;
	CHECK_INT(store_document_finish(T.s, &again), ERR_OK);
	CHECK_INT(store_document_get(T.s, &T.a, again.id, u.id, &back), ERR_OK);
	CHECK_STR(back.blob_key, own.blob_key);
	/* The first job's delete leaves the file: the second job's document points to it. */
	const char **keys = NULL;
	size_t nkeys = 9;
	CHECK_INT(store_job_delete(T.s, &T.a, owner.id, u.id, T0 + 5, &keys, &nkeys), ERR_OK);
	CHECK_INT(nkeys, 0);

	/* Now the only row with that file goes, and the file with it. */
	const char *key = NULL;
	CHECK_INT(store_document_delete(T.s, &T.a, again.id, u.id, T0 + 6, &key), ERR_OK);
	CHECK_STR(key, own.blob_key);
	again = docs[1];
	finished(&again, "completed");
	again.blob_key = own.blob_key;
	again.blob_shared = true;
	CHECK_INT(store_document_finish(T.s, &again), ERR_CONFLICT);
	CHECK_INT(store_document_get(T.s, &T.a, again.id, u.id, &back), ERR_OK);
	CHECK_STR(back.status, "pending"); /* nothing recorded */
	CHECK(back.blob_key == NULL);
	CHECK_INT(store_job_get(T.s, &T.a, reuse.id, u.id, &got), ERR_OK);
	CHECK_INT(got.processed_documents, 0);
	/* Stored again as its own, it is recorded. */
	again.blob_key = arena_printf(&T.a, "%s/%s/%s.pdf", u.id, reuse.id, again.id);
	again.blob_shared = false;
	CHECK_INT(store_document_finish(T.s, &again), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, reuse.id, u.id, &got), ERR_OK);
	CHECK_INT(got.processed_documents, 1);
	CHECK_STR(got.status, "completed");
}

/* A job's delete on another thread (test_pg_job_delete_waits_for_a_reuse). */
struct job_deleter {
	const char *job, *owner;
	struct arena a;
	const char **keys;
	size_t nkeys;
	enum mtag_err e;
};

static void *delete_job(void *arg)
{
	struct job_deleter *jd = arg;
	jd->e = store_job_delete(T.s, &jd->a, jd->job, jd->owner, T0 + 7, &jd->keys, &jd->nkeys);
	return NULL;
}

static void pg_exec(PGconn *pg, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
}

/*
 * PostgreSQL: a job is deleted while another job's document is being
 * finished with its file (store_file_still_used holds the job's row, on a
 * connection of the test's own here). The delete waits for that commit and
 * keeps the file, which a row points to now.
 */
static void test_pg_job_delete_waits_for_a_reuse(void)
{
	if (strcmp(T.name, "postgresql"))
		return;
	struct store_user u;
	struct store_job owner, reuse;
	struct store_document own, again;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&owner, u.id);
	make_document(&own, &owner);
	CHECK_INT(store_job_submit(T.s, &owner, &own, 1, NULL), ERR_OK);
	finished(&own, "completed"); /* a finished document's file is the one reused */
	own.blob_key = arena_printf(&T.a, "%s/%s/%s.pdf", u.id, owner.id, own.id);
	CHECK_INT(store_document_finish(T.s, &own), ERR_OK);
	make_job(&reuse, u.id);
	make_document(&again, &reuse);
	CHECK_INT(store_job_submit(T.s, &reuse, &again, 1, NULL), ERR_OK);

	PGconn *pg = PQconnectdb(T.url);
	CHECK(PQstatus(pg) == CONNECTION_OK);
	pg_exec(pg, "BEGIN");
	pg_exec(pg, arena_printf(&T.a, "UPDATE documents SET blob_key = '%s' WHERE id = '%s'",
				 own.blob_key, again.id));
	pg_exec(pg, arena_printf(&T.a, "SELECT id FROM documents WHERE blob_key = '%s' AND id <> '%s'"
				 " FOR SHARE", own.blob_key, again.id));
	struct job_deleter jd = { .job = owner.id, .owner = u.id, .nkeys = 9 };
	arena_init(&jd.a);
	pthread_t th;
	pthread_create(&th, NULL, delete_job, &jd);
	/* Until the delete waits for the row held (within 20 s). */
	long long waiting = 0;
	for (int i = 0; i < 2000 && waiting < 1; i++) {
		waiting = fixture_sql_value("SELECT count(*) FROM pg_stat_activity"
					    " WHERE wait_event_type = 'Lock' AND datname = current_database()");
		if (waiting < 1)
			usleep(10000);
	}
	CHECK_INT(waiting, 1);
	pg_exec(pg, "COMMIT");
	pthread_join(th, NULL);
	PQfinish(pg);
	CHECK_INT(jd.e, ERR_OK);
	CHECK_INT(jd.nkeys, 0); /* the file is the other job's document's now */
	arena_release(&jd.a);
}

/* Submissions of one owner on threads at once (test_submit_limits). */
#define RACERS 8
struct racer {
	const char *owner, *anon;
	const struct store_submit_limits *lim;
	enum mtag_err e;
};

static void *submit_one(void *arg)
{
	struct racer *r = arg;
	struct store_job j;
	struct store_document d;
	make_job(&j, r->owner);
	j.anon_client = r->anon;
	make_document(&d, &j);
	r->e = store_job_submit(T.s, &j, &d, 1, r->lim);
	return NULL;
}

/* RACERS submissions at once; how many were taken (the others refused as over the limits;
 * any other answer makes the count negative). */
static int race(const char *owner, const char *anon, const struct store_submit_limits *lim)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	int taken = 0;
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ owner, anon, lim, ERR_INTERNAL };
		pthread_create(&th[i], NULL, submit_one, &r[i]);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].e != ERR_OK && r[i].e != ERR_RATE_LIMITED)
			taken = -RACERS; /* neither taken nor refused: the count says so */
		taken += r[i].e == ERR_OK;
	}
	return taken;
}

/*
 * A submission keeps its owner's limits, counted in its own transaction:
 * jobs not ended and documents waiting, this one's included; an anonymous
 * client's, and all anonymous work's. Submitted at once, on as many
 * connections, they cannot pass them together (a check before the insert
 * let 23 of 24 through a limit of 10).
 */
static void test_submit_limits(void)
{
	struct store_user u;
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	struct store_submit_limits lim = { 3, 100, 0, 0 };
	CHECK_INT(race(u.id, NULL, &lim), 3);
	int running = -1, pending = -1;
	CHECK_INT(store_user_load(T.s, u.id, NULL, &running, &pending), ERR_OK);
	CHECK_INT(running, 3);
	/* Documents waiting: 3 now, and a job of 2 more passes a limit of 4. */
	lim = (struct store_submit_limits){ 10, 4, 0, 0 };
	struct store_job j;
	struct store_document d[2];
	make_job(&j, u.id);
	j.total_documents = 2;
	make_document(&d[0], &j);
	make_document(&d[1], &j);
	CHECK_INT(store_job_submit(T.s, &j, d, 2, &lim), ERR_RATE_LIMITED);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &(struct store_job){ 0 }), ERR_NOT_FOUND);
	d[1].status = "failed"; /* a row refused as it came: not waiting */
	d[1].error_message = "invalid URL";
	CHECK_INT(store_job_submit(T.s, &j, d, 2, &lim), ERR_OK);
	/* Anonymous work: each client its own limits, all of it its own. */
	struct store_submit_limits anon = { 2, 100, 3, 100 };
	CHECK_INT(race("", "client-a", &anon), 2);
	CHECK_INT(race("", "client-b", &anon), 1); /* 3 for all anonymous work */
	CHECK_INT(store_user_load(T.s, "", "client-b", &running, &pending), ERR_OK);
	CHECK_INT(running, 1);
}

/* The keys store_blob_deletes_due gives at now, joined by spaces. */
static const char *due_text(int64_t now)
{
	const char **keys = NULL;
	size_t n = 0;
	if (store_blob_deletes_due(T.s, &T.a, now, 10, &keys, &n) != ERR_OK)
		return "(failed)";
	const char *out = "";
	for (size_t i = 0; i < n; i++)
		out = arena_printf(&T.a, "%s%s%s", out, i ? " " : "", keys[i]);
	return out;
}

/*
 * Stored files to delete again: a file whose rows are gone is due at once,
 * one stored for a row is due later and taken off the list when the row's
 * outcome points to it; a file a document points to is never given, nor
 * taken. A file taken to be deleted meanwhile refuses the outcome.
 */
static void test_files_to_delete(void)
{
	const int64_t hour = 3600LL * 1000000;
	int taken = -1;
	CHECK_STR(due_text(T0), "");
	CHECK_INT(store_blob_delete_later(T.s, "gone/a.pdf", T0), ERR_OK);
	CHECK_INT(store_blob_delete_later(T.s, "gone/a.pdf", T0), ERR_OK); /* once */
	CHECK_INT(store_blob_delete_later(T.s, "stored/b.pdf", T0 + hour), ERR_OK);
	CHECK_STR(due_text(T0 + 1), "gone/a.pdf");
	CHECK_STR(due_text(T0 + hour), "gone/a.pdf stored/b.pdf");
	CHECK_INT(store_blob_delete_take(T.s, "stored/b.pdf", T0 + 1, &taken), ERR_OK);
	CHECK_INT(taken, 0); /* not due yet */
	/* The outcome that points to its file takes it off. */
	struct store_user u;
	struct store_job j;
	struct store_document d[2];
	make_user(&u);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	make_job(&j, u.id);
	j.total_documents = 2;
	make_document(&d[0], &j);
	make_document(&d[1], &j);
	CHECK_INT(store_job_submit(T.s, &j, d, 2, NULL), ERR_OK);
	finished(&d[0], "completed");
	d[0].blob_key = "stored/b.pdf";
	d[0].blob_new = true;
	CHECK_INT(store_document_finish(T.s, &d[0]), ERR_OK);
	CHECK_STR(due_text(T0 + hour), "gone/a.pdf");
	/* A key a document points to is left out and never taken, whatever put it there. */
	CHECK_INT(store_blob_delete_later(T.s, "stored/b.pdf", T0), ERR_OK);
	CHECK_STR(due_text(T0 + hour), "gone/a.pdf");
	CHECK_INT(store_blob_delete_take(T.s, "stored/b.pdf", T0 + hour, &taken), ERR_OK);
	CHECK_INT(taken, 0);
	/* A file of its own that was taken to be deleted (its worker slept past the hour):
	 * the outcome is refused, and recorded nothing. */
	CHECK_INT(store_blob_delete_later(T.s, "stored/c.pdf", T0), ERR_OK);
	CHECK_INT(store_blob_delete_take(T.s, "stored/c.pdf", T0 + 1, &taken), ERR_OK);
	CHECK_INT(taken, 1);
	finished(&d[1], "completed");
	d[1].blob_key = "stored/c.pdf";
	d[1].blob_new = true;
	CHECK_INT(store_document_finish(T.s, &d[1]), ERR_CONFLICT);
	struct store_document back;
	CHECK_INT(store_document_get(T.s, &T.a, d[1].id, u.id, &back), ERR_OK);
	CHECK_STR(back.status, "pending");
	CHECK_INT(store_blob_delete_take(T.s, "gone/a.pdf", T0 + 1, &taken), ERR_OK);
	CHECK_INT(taken, 1);
	CHECK_INT(store_blob_delete_take(T.s, "stored/b.pdf", T0 + hour, &taken), ERR_OK);
	CHECK_INT(taken, 0);
	CHECK_STR(due_text(T0 + hour), "");
	CHECK_INT(store_blob_delete_later(T.s, "", T0), ERR_BAD_REQUEST);
}

static void test_job_page(void)
{
	struct store_user u, v;
	struct store_job j, got;
	struct store_document *docs;
	size_t n;
	make_user(&u);
	make_user(&v);
	CHECK_INT(store_user_create(T.s, &u), ERR_OK);
	CHECK_INT(store_user_create(T.s, &v), ERR_OK);
	make_job(&j, u.id);
	j.total_documents = PAGE_DOCS;
	for (int i = 0; i < PAGE_DOCS; i++) {
		make_document(&page_docs[i], &j);
		page_docs[i].seq = i;
	}
	CHECK_INT(store_job_submit(T.s, &j, page_docs, PAGE_DOCS, NULL), ERR_OK);
	CHECK_INT(store_job_page(T.s, &T.a, j.id, u.id, 3, 5, &got, &docs, &n), ERR_OK);
	CHECK_STR(got.id, j.id);
	CHECK_INT(n, 3);
	CHECK_STR(docs[0].id, page_docs[5].id);
	CHECK_STR(docs[2].id, page_docs[7].id);
	CHECK(docs[0].extracted_text == NULL);
	CHECK_INT(store_job_page(T.s, &T.a, j.id, NULL, 100, PAGE_DOCS, &got, &docs, &n), ERR_OK);
	CHECK_INT(n, 0);
	/* Another owner, anonymous or not, sees nothing of it. */
	CHECK_INT(store_job_page(T.s, &T.a, j.id, v.id, 100, 0, &got, &docs, &n), ERR_NOT_FOUND);
	CHECK_INT(n, 0);
	CHECK(docs == NULL && got.id[0] == 0);
	CHECK_INT(store_job_page(T.s, &T.a, j.id, "", 100, 0, &got, &docs, &n), ERR_NOT_FOUND);
	CHECK_INT(store_job_page(T.s, &T.a, "not-an-id", u.id, 100, 0, &got, &docs, &n),
		  ERR_NOT_FOUND);
	/* Read while the documents finish: the job's counters always agree with its
	 * documents (two reads apart saw one and not the other). */
	pthread_t th;
	pthread_create(&th, NULL, finisher, NULL);
	int reads = 0, disagree = 0;
	bool running = true;
	while (running) {
		struct arena a = ARENA_INIT;
		CHECK_INT(store_job_page(T.s, &a, j.id, u.id, 100, 0, &got, &docs, &n), ERR_OK);
		int done = 0;
		for (size_t i = 0; i < n; i++)
			done += strcmp(docs[i].status, "pending") != 0;
		disagree += done != got.processed_documents + got.failed_documents;
		reads++;
		running = !strcmp(got.status, "processing") || !strcmp(got.status, "pending");
		arena_release(&a);
	}
	pthread_join(th, NULL);
	CHECK_INT(disagree, 0);
	CHECK(reads > 1);
	CHECK_INT(store_job_page(T.s, &T.a, j.id, u.id, 100, 0, &got, &docs, &n), ERR_OK);
	CHECK_STR(got.status, "partial");
	CHECK_INT(got.failed_documents, PAGE_DOCS / 4);
}

#define CLAIM_DOCS 24
#define CLAIM_THREADS 4

static char claimed[CLAIM_DOCS][UUID_STR_LEN];
static atomic_int nclaimed;
static char claim_job[UUID_STR_LEN]; /* other tests leave pending documents too */

static void *claimer(void *arg)
{
	(void)arg;
	struct arena a = ARENA_INIT;
	struct store_document d;
	while (store_document_claim(T.s, &a, "node-a", T0, 60000000, 3, &d) == ERR_OK) {
		if (strcmp(d.job_id, claim_job) != 0)
			continue;
		int i = atomic_fetch_add(&nclaimed, 1);
		if (i < CLAIM_DOCS)
			memcpy(claimed[i], d.id, UUID_STR_LEN);
	}
	arena_release(&a);
	return NULL;
}

static int cmp_id(const void *x, const void *y)
{
	return strcmp(x, y);
}

static void test_claim_hands_each_document_out_once(void)
{
	struct store_job j;
	struct store_document docs[CLAIM_DOCS], got;
	/* Drain what earlier tests left pending. */
	while (store_document_claim(T.s, &T.a, "node-a", T0, 60000000, 3, &got) == ERR_OK)
		;
	make_job(&j, "");
	memcpy(claim_job, j.id, sizeof(claim_job));
	j.total_documents = CLAIM_DOCS;
	for (int i = 0; i < CLAIM_DOCS; i++) {
		make_document(&docs[i], &j);
		docs[i].created_at = T0 + i;
		docs[i].blob_key = arena_printf(&T.a, "anonymous/%s/%d.pdf", j.id, i);
	}
	CHECK_INT(store_job_submit(T.s, &j, docs, CLAIM_DOCS, NULL), ERR_OK);
	/* The oldest first, with what was submitted. */
	CHECK_INT(store_document_claim(T.s, &T.a, "node-a", T0, 60000000, 3, &got), ERR_OK);
	CHECK_STR(got.id, docs[0].id);
	CHECK_STR(got.status, "processing");
	CHECK_STR(got.blob_key, docs[0].blob_key);
	atomic_store(&nclaimed, 0);
	pthread_t th[CLAIM_THREADS];
	for (int i = 0; i < CLAIM_THREADS; i++)
		pthread_create(&th[i], NULL, claimer, NULL);
	for (int i = 0; i < CLAIM_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(atomic_load(&nclaimed), CLAIM_DOCS - 1);
	qsort(claimed, CLAIM_DOCS - 1, UUID_STR_LEN, cmp_id);
	for (int i = 1; i < CLAIM_DOCS - 1; i++)
		CHECK(strcmp(claimed[i - 1], claimed[i]) != 0);
	CHECK_INT(store_document_claim(T.s, &T.a, "node-a", T0, 60000000, 3, &got), ERR_NOT_FOUND);
}

static void test_leases_attempts_and_fairness(void)
{
	struct store_job big, small, got;
	struct store_document bd[3], sd, c1, c2;
	struct store_document drain;
	/* Earlier tests' pending documents: claimed with a lease that never runs out here. */
	while (store_document_claim(T.s, &T.a, "n", T0, 1000000000000LL, 3, &drain) == ERR_OK)
		;
	make_job(&big, "");
	big.total_documents = 3;
	for (int i = 0; i < 3; i++) {
		make_document(&bd[i], &big);
		bd[i].seq = i;
	}
	CHECK_INT(store_job_submit(T.s, &big, bd, 3, NULL), ERR_OK);
	make_job(&small, "");
	small.total_documents = 1;
	small.created_at = T0 + 100;
	make_document(&sd, &small);
	sd.created_at = T0 + 100;
	CHECK_INT(store_job_submit(T.s, &small, &sd, 1, NULL), ERR_OK);
	/* Interleaved: the big job's first, then the small job's first (seq 0), then the rest. */
	CHECK_INT(store_document_claim(T.s, &T.a, "node-a", T0, 1000000, 3, &c1), ERR_OK);
	CHECK_STR(c1.id, bd[0].id);
	CHECK_INT(c1.attempts, 1);
	CHECK_STR(c1.node_id, "node-a");
	CHECK_INT(c1.lease_until, T0 + 1000000);
	CHECK_INT(store_document_claim(T.s, &T.a, "node-b", T0, 1000000, 3, &c2), ERR_OK);
	CHECK_STR(c2.id, sd.id);
	/* A renewed lease holds; an expired one is claimed again. */
	const char *ids[] = { c1.id };
	CHECK_INT(store_document_renew(T.s, ids, 1, "node-a", T0 + 5000000), ERR_OK);
	struct store_document x;
	CHECK_INT(store_document_claim(T.s, &T.a, "node-c", T0 + 2000000, 1000000, 3, &x), ERR_OK);
	CHECK_STR(x.id, sd.id); /* c2's lease ran out at T0+1s; c1's was renewed */
	CHECK_INT(x.attempts, 2);
	CHECK_STR(x.node_id, "node-c");
	/* After 3 attempts the reaper fails it with its job's progress. */
	CHECK_INT(store_document_claim(T.s, &T.a, "node-d", T0 + 4000000, 1000000, 3, &x), ERR_OK);
	CHECK_STR(x.id, sd.id);
	CHECK_INT(x.attempts, 3);
	int failed = 0;
	CHECK_INT(store_document_reap(T.s, T0 + 9000000, 3, &failed), ERR_OK);
	CHECK_INT(failed, 1); /* c1's lease ran out too, but it has attempts left */
	CHECK_INT(store_job_get(T.s, &T.a, small.id, NULL, &got), ERR_OK);
	CHECK_STR(got.status, "failed");
	CHECK_INT(got.failed_documents, 1);
	/* A cancelled job's running document whose node died: no claim takes it again, so
	 * the reaper fails it at once, as cancelled (it stayed processing for ever). */
	CHECK_INT(store_job_cancel(T.s, big.id, NULL, T0 + 9000000, NULL), ERR_OK);
	failed = 0;
	CHECK_INT(store_document_reap(T.s, T0 + 9500000, 3, &failed), ERR_OK);
	CHECK_INT(failed, 1); /* c1: its lease ran out at T0+5s, after 1 attempt */
	struct store_document back;
	CHECK_INT(store_document_get(T.s, &T.a, c1.id, NULL, &back), ERR_OK);
	CHECK_STR(back.status, "failed");
	CHECK_STR(back.error_message, "cancelled");
	CHECK_INT(store_job_get(T.s, &T.a, big.id, NULL, &got), ERR_OK);
	CHECK_STR(got.status, "cancelled");
}

static void test_queue_depth(void)
{
	struct store_job j, k;
	struct store_document d[3], drain;
	int64_t before = -1, n = -1;
	/* Earlier tests' pending documents: claimed, so that only this test's count. */
	while (store_document_claim(T.s, &T.a, "n", T0, 1000000000000LL, 3, &drain) == ERR_OK)
		;
	CHECK_INT(store_queue_depth(T.s, &before), ERR_OK);
	CHECK_INT(before, 0);
	make_job(&j, "");
	j.total_documents = 3;
	for (int i = 0; i < 3; i++)
		make_document(&d[i], &j);
	CHECK_INT(store_job_submit(T.s, &j, d, 3, NULL), ERR_OK);
	CHECK_INT(store_queue_depth(T.s, &n), ERR_OK);
	CHECK_INT(n, 3);
	/* A claimed document is no longer waiting. */
	CHECK_INT(store_document_claim(T.s, &T.a, "node-a", T0, 1000000000000LL, 3, &drain), ERR_OK);
	CHECK_INT(store_queue_depth(T.s, &n), ERR_OK);
	CHECK_INT(n, 2);
	/* A cancelled job's documents are never claimed, so they do not count. */
	int cancelled = 0;
	CHECK_INT(store_job_cancel(T.s, j.id, NULL, T0, &cancelled), ERR_OK);
	CHECK_INT(store_queue_depth(T.s, &n), ERR_OK);
	CHECK_INT(n, 0);
	make_job(&k, "");
	k.total_documents = 1;
	make_document(&d[0], &k);
	CHECK_INT(store_job_submit(T.s, &k, d, 1, NULL), ERR_OK);
	CHECK_INT(store_queue_depth(T.s, &n), ERR_OK);
	CHECK_INT(n, 1);
	int in_use = -1, size = -1;
	store_pool_usage(T.s, &in_use, &size);
	CHECK_INT(in_use, 0);
	CHECK(size >= 1);
}

static void test_migrate(void)
{
	int applied = -1;
	CHECK_INT(store_migrate(T.s, &applied), ERR_OK);
	CHECK_INT(applied, migration_count());
}

static void store_tests(void)
{
	RUN(test_migrate);
	RUN(test_submit_is_one_transaction);
	RUN(test_submit_limits);
	RUN(test_files_to_delete);
	RUN(test_claim_hands_each_document_out_once);
	RUN(test_job_page);
	RUN(test_leases_attempts_and_fairness);
	RUN(test_finish_settles_the_job);
	RUN(test_finish_single_outcomes);
	RUN(test_finish_reusing_a_file);
	RUN(test_pg_job_delete_waits_for_a_reuse);
	RUN(test_find_by_sha);
	RUN(test_anonymous_purge);
	RUN(test_queue_depth);
	RUN(test_stats_in_step);
}

int main(void)
{
	static const struct fixture_suite suite = { "test_store_documents", store_tests, NULL, NULL };
	return fixture_main(&suite);
}
