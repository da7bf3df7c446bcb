/*
 * seed_history - the history benchmark of issue 7: fill a database with
 * synthetic documents through the store, then time the history queries of
 * one user.
 *
 * usage: seed_history seed URL DOCS [api|bulk] [THREADS]
 *        seed_history measure URL RUNS [QUERY]   (QUERY: only the queries named so)
 *
 * seed: migrates, creates 100 users (SEED_USERS, 1..100: bench-user-000@example.com
 * ..., password "bench password 1"), then DOCS documents in jobs of 1 to 40,
 * spread over the last 30 days in time order, each owned by one of the users
 * at random. Texts are ~2 KB (1600 to
 * 2400 bytes; SEED_TEXT_KB=N: that text repeated to N KB, at most 10 MB) of words drawn with a Zipf law (s = 1) from
 * /usr/share/dict/words (lower-case ASCII words only, shuffled with a fixed
 * seed), so that there are common and rare words; titles 3-7 words; 3-8
 * tags from 300 tag words, also Zipf. 3 % of documents fail (no text).
 * Everything is deterministic but the ids (UUID v7, as in production).
 *   api:  store_job_submit (pending documents), then store_document_finish
 *         for each document: the production path, one transaction per call.
 *   bulk: the final rows inserted with the production INSERT statements
 *         through the driver's connection, 200 jobs per transaction; the
 *         FTS5 triggers / the tsvector trigger run as for any insert.
 * Seeding a database seeded before adds documents for the same users. With
 * SEED_DEADLINE (epoch seconds) set, seeding stops there and says how many
 * documents it wrote ("stopped_early").
 * Prints one JSON line: docs, jobs, seconds, docs_per_s, mode, the words.
 *
 * measure: for the user whose document count is closest to the mean, RUNS
 * timed runs (after 5 untimed) of each query, as the API calls them (limit
 * 50, offset 0): search for a rare word, a common word, a prefix ("comp"), a
 * common word with a tag filter; the document list with a tag filter; the
 * jobs list; stats (store_stats); tag counts (top 10); the stats endpoint
 * (store_stats + top 10 tags + 5 recent jobs); and the seed's approach for
 * the same words: ILIKE '%word%' on title and tags (tags::text; SQLite:
 * LIKE, which ignores ASCII case), owner-scoped, the newest 50 and the
 * count, in one snapshot like the new lists. A query whose first run takes
 * more than 40 ms gets fewer runs (~8 s each, at least 10).
 * Prints one JSON line per query: p50_ms, p99_ms, mean_ms, runs, hits.
 *
 * Built by `make bench` (build/seed_history), run by bench/history.sh.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "auth/password.h"
#include "store/store.h"
#include "store/store_int.h"

#define USERS 100 /* at most; SEED_USERS may ask for fewer */
#define BENCH_PASSWORD "bench password 1"
#define TAG_WORDS 300
#define DAY_US (86400LL * 1000000LL)
#define SPAN_US (30 * DAY_US)
#define BULK_JOBS 200 /* jobs per transaction in bulk mode */

/* The query words: ranks in the Zipf order. */
#define COMMON_RANK 10   /* ~1.7 occurrences per document: in ~80 % of them */
#define RARE_RANK 18000  /* in ~0.1 % of documents */
#define TAG_RANK 4       /* on ~15 % of documents */
#define PREFIX "comp"

/* ---- deterministic randomness ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unit(uint64_t *x)
{
	return (double)(splitmix(x) >> 11) / (double)(1ULL << 53);
}

/* ---- vocabulary ---- */

static char **vocab;
static size_t nvocab;
static double *vocab_cdf;
static const char *tagw[TAG_WORDS];
static double tag_cdf[TAG_WORDS];

static void zipf_cdf(double *cdf, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		cdf[i] = (sum += 1.0 / (double)(i + 1));
	for (size_t i = 0; i < n; i++)
		cdf[i] /= sum;
}

static size_t zipf(const double *cdf, size_t n, uint64_t *rng)
{
	double u = unit(rng);
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void vocab_add(const char *w)
{
	static size_t cap;
	if (nvocab == cap) {
		cap = cap ? cap * 2 : 65536;
		vocab = realloc(vocab, cap * sizeof(*vocab));
	}
	vocab[nvocab++] = strdup(w);
}

/* /usr/share/dict/words, lower-case ASCII words of 2-14 letters, shuffled; or made-up words. */
static void vocab_load(void)
{
	FILE *f = fopen("/usr/share/dict/words", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		bool ok = n >= 2 && n <= 14;
		for (size_t i = 0; ok && i < n; i++)
			ok = line[i] >= 'a' && line[i] <= 'z';
		if (ok)
			vocab_add(line);
	}
	if (f)
		fclose(f);
	if (nvocab < 30000) { /* no word list: syllables */
		static const char *syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe",
					     "dra", "com", "pu", "ter", "ga", "bel", "xi" };
		uint64_t r = 1;
		for (size_t i = 0; i < 60000; i++) {
			char w[32] = "";
			int k = 2 + (int)(splitmix(&r) % 3);
			for (int j = 0; j < k; j++)
				strcat(w, syl[splitmix(&r) % 16]);
			vocab_add(w);
		}
	}
	uint64_t r = 42;
	for (size_t i = nvocab - 1; i > 0; i--) {
		size_t j = splitmix(&r) % (i + 1);
		char *t = vocab[i];
		vocab[i] = vocab[j];
		vocab[j] = t;
	}
	vocab_cdf = malloc(nvocab * sizeof(double));
	zipf_cdf(vocab_cdf, nvocab);
	/* Tags: 300 words from the middle of the order (they also occur in texts, rarely). */
	for (size_t i = 0; i < TAG_WORDS; i++)
		tagw[i] = vocab[2000 + i * 7];
	zipf_cdf(tag_cdf, TAG_WORDS);
}

static const char *word(uint64_t *rng)
{
	return vocab[zipf(vocab_cdf, nvocab, rng)];
}

static const char *rare_word(void)
{
	return vocab[RARE_RANK < nvocab ? RARE_RANK : nvocab - 1];
}

/* ---- documents ---- */

struct job_plan {
	int ndocs;
	int user;
	int type;          /* 0 single, 1 batch, 2 upload */
	int64_t first_doc; /* documents before it */
};

static struct job_plan *plan;
static size_t njobs;
static int64_t ndocs_total, t_start;
static size_t text_bytes; /* SEED_TEXT_KB, or 0 */
static char users[USERS][UUID_STR_LEN];
static int nusers = USERS;
static const char *const job_types[] = { "single", "batch", "upload" };

static void plan_jobs(int64_t docs)
{
	uint64_t r = 7;
	size_t cap = 0;
	for (int64_t d = 0; d < docs;) {
		if (njobs == cap) {
			cap = cap ? cap * 2 : 4096;
			plan = realloc(plan, cap * sizeof(*plan));
		}
		double u = unit(&r);
		int type = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
		int n = type == 0 ? 1 : type == 1 ? 2 + (int)(splitmix(&r) % 39) : 1 + (int)(splitmix(&r) % 5);
		if (n > docs - d)
			n = (int)(docs - d);
		plan[njobs++] = (struct job_plan){ n, (int)(splitmix(&r) % (uint64_t)nusers), type, d };
		d += n;
	}
	ndocs_total = docs;
}

static void append_word(char *buf, size_t *len, const char *w, bool cap, const char *sep)
{
	size_t n = strlen(w);
	if (*len)
		buf[(*len)++] = ' ';
	memcpy(buf + *len, w, n);
	if (cap)
		buf[*len] = (char)(buf[*len] - 'a' + 'A');
	*len += n;
	for (; *sep; sep++)
		buf[(*len)++] = *sep;
	buf[*len] = '\0';
}

/* Text of 1600-2400 bytes in sentences of 6-18 words. buf has 3000 bytes. */
static void make_text(char *buf, uint64_t *rng)
{
	size_t len = 0, target = 1600 + splitmix(rng) % 801;
	buf[0] = '\0';
	while (len < target) {
		int n = 6 + (int)(splitmix(rng) % 13);
		for (int i = 0; i < n && len < target; i++)
			append_word(buf, &len, word(rng), i == 0, i == n - 1 || len + 16 >= target ? "." : "");
	}
}

static void make_title(char *buf, uint64_t *rng)
{
	size_t len = 0;
	int n = 3 + (int)(splitmix(rng) % 5);
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		append_word(buf, &len, word(rng), i == 0, "");
}

static void make_tags(char *buf, uint64_t *rng)
{
	size_t pick[8], n = 0, want = 3 + splitmix(rng) % 6;
	for (int tries = 0; n < want && tries < 64; tries++) {
		size_t t = zipf(tag_cdf, TAG_WORDS, rng);
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= pick[i] == t;
		if (!dup)
			pick[n++] = t;
	}
	size_t len = 0;
	buf[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s\"%s\"", i ? "," : "", tagw[pick[i]]);
	buf[len++] = ']';
	buf[len] = '\0';
}

/* The strings of one document's outcome. */
struct doc_text {
	char title[160];
	char tags[200];
	char text[3000];
	char *big;      /* SEED_TEXT_KB: text repeated to text_bytes */
	char meta[96];
	char sha[65];
	char url[64];
	char file[64];
};

/* One job, its documents in their final state (pending when submitted in api mode). */
struct job_build {
	struct store_job j;
	struct store_document *d;
	struct doc_text *t;
	int64_t times[3]; /* created, started, completed */
};

static void build_job(size_t k, struct job_build *b)
{
	const struct job_plan *p = &plan[k];
	uint64_t rng = 0x5eed0000ULL + k * 0x100000001b3ULL;
	int64_t t = t_start + (int64_t)((double)p->first_doc / (double)ndocs_total * (double)SPAN_US);
	int failed = 0;

	memset(&b->j, 0, sizeof(b->j));
	uuid_v7(b->j.id);
	memcpy(b->j.user_id, users[p->user], UUID_STR_LEN);
	b->j.job_type = job_types[p->type];
	b->j.total_documents = p->ndocs;
	b->j.options = "{\"languages\":[\"en\",\"fr\",\"de\"],\"max_tags\":8}";
	b->j.created_at = t;
	for (int i = 0; i < p->ndocs; i++) {
		struct store_document *d = &b->d[i];
		struct doc_text *x = &b->t[i];
		memset(d, 0, sizeof(*d));
		uuid_v7(d->id);
		memcpy(d->job_id, b->j.id, UUID_STR_LEN);
		memcpy(d->user_id, b->j.user_id, UUID_STR_LEN);
		d->seq = i;
		d->created_at = t + i;
		d->processed_at = t + (int64_t)(i + 1) * 2000000 + (int64_t)(splitmix(&rng) % 1000000);
		if (p->type == 2) {
			snprintf(x->file, sizeof(x->file), "report-%zu-%d.pdf", k, i);
			d->filename = x->file;
		} else {
			snprintf(x->url, sizeof(x->url), "https://example.com/docs/%zu/%d.pdf", k, i);
			d->source_url = x->url;
		}
		for (int h = 0; h < 64; h++)
			x->sha[h] = "0123456789abcdef"[splitmix(&rng) & 15];
		x->sha[64] = '\0';
		d->content_sha256 = x->sha;
		d->size_bytes = 20000 + (int64_t)(splitmix(&rng) % 500000);
		d->mime_type = "application/pdf";
		d->attempts = 1;
		if (unit(&rng) < 0.03) {
			failed++;
			d->status = "failed";
			d->tags = "[]";
			d->metadata = "{}";
			d->error_message = "extraction failed: the file is not a valid PDF";
			continue;
		}
		make_title(x->title, &rng);
		make_tags(x->tags, &rng);
		make_text(x->text, &rng);
		const char *text = x->text;
		if (text_bytes) {
			size_t n = strlen(x->text), len = 0;
			x->big = realloc(x->big, text_bytes + 1);
			while (len < text_bytes) {
				size_t step = n + 1 < text_bytes - len ? n + 1 : text_bytes - len;
				memcpy(x->big + len, x->text, step);
				len += step;
				x->big[len - 1] = ' ';
			}
			x->big[text_bytes] = '\0';
			text = x->big;
		}
		double u = unit(&rng);
		d->status = "completed";
		d->title = x->title;
		d->tags = x->tags;
		d->extracted_text = text;
		d->language = u < 0.90 ? "en" : u < 0.96 ? "fr" : "de";
		d->page_count = 1 + (int)(strlen(text) / 1800);
		snprintf(x->meta, sizeof(x->meta), "{\"extractor\":\"bench\",\"chars\":%zu}",
			 strlen(text));
		d->metadata = x->meta;
	}
	b->j.processed_documents = p->ndocs - failed;
	b->j.failed_documents = failed;
	b->j.status = !failed ? "completed" : failed == p->ndocs ? "failed" : "partial";
	b->j.started_at = t + 1000;
	b->j.completed_at = b->d[p->ndocs - 1].processed_at;
	b->j.updated_at = b->j.completed_at;
}

/* ---- seeding ---- */

static struct store *S;
static atomic_size_t next_job;
static atomic_int failures;
static bool bulk;

static void die_err(const char *what, enum mtag_err e)
{
	fprintf(stderr, "seed_history: %s: %s\n", what, err_name(e));
	atomic_fetch_add(&failures, 1);
}

/* The production path: submit pending, then finish each document. */
static void seed_api(struct job_build *b)
{
	struct store_job j = b->j;
	j.status = "pending";
	j.processed_documents = j.failed_documents = 0;
	j.started_at = j.completed_at = 0;
	j.updated_at = j.created_at;
	int nd = b->j.total_documents;
	struct store_document pend[40] = { 0 };
	for (int i = 0; i < nd; i++) {
		pend[i] = b->d[i];
		pend[i].status = "pending";
		pend[i].title = pend[i].extracted_text = pend[i].error_message = NULL;
		pend[i].tags = pend[i].metadata = NULL;
		pend[i].processed_at = 0;
	}
	enum mtag_err e = store_job_submit(S, &j, pend, (size_t)nd, NULL);
	if (e)
		return die_err("store_job_submit", e);
	for (int i = 0; i < nd; i++)
		if ((e = store_document_finish(S, &b->d[i])))
			return die_err("store_document_finish", e);
}

/* Bulk: the final rows with the production INSERTs (store_job_insert, store_document_insert). */
struct bulk_tx {
	struct job_build *b;
	size_t n;
};

static enum mtag_err bulk_tx(struct store_conn *c, void *ctx)
{
	struct bulk_tx *bt = ctx;
	enum mtag_err e = ERR_OK;
	for (size_t k = 0; !e && k < bt->n; k++) {
		e = store_job_insert(c, &bt->b[k].j);
		for (int i = 0; !e && i < bt->b[k].j.total_documents; i++)
			e = store_document_insert(c, &bt->b[k].d[i]);
	}
	return e;
}

static atomic_llong done_docs;
static int64_t deadline; /* epoch us from $SEED_DEADLINE (epoch seconds): stop there, 0 = none */

static int seed_threads = 1;

static void *seed_worker(void *arg)
{
	int self = (int)(intptr_t)arg;
	size_t per = bulk ? BULK_JOBS : 1, cursor = 0;
	struct job_build *b = calloc(per, sizeof(*b));
	for (size_t i = 0; i < per; i++) {
		b[i].d = calloc(40, sizeof(struct store_document));
		b[i].t = calloc(40, sizeof(struct doc_text));
	}
	for (;;) {
		if (atomic_load(&failures) || (deadline && clock_now_us() > deadline))
			break;
		size_t n = 0;
		if (bulk) {
			/* Each thread writes the jobs of its own users: two transactions of many
			 * users' documents each would otherwise wait for each other's tag counts
			 * (PostgreSQL then cancels one as a deadlock). */
			for (; n < per && cursor < njobs; cursor++)
				if (plan[cursor].user % seed_threads == self)
					build_job(cursor, &b[n++]);
		} else {
			size_t k = atomic_fetch_add(&next_job, 1);
			if (k < njobs)
				build_job(k, &b[n++]);
		}
		if (n == 0)
			break;
		long long docs = 0;
		for (size_t i = 0; i < n; i++)
			docs += b[i].j.total_documents;
		if (bulk) {
			struct bulk_tx bt = { b, n };
			enum mtag_err e = store_tx(S, "seed", STORE_TX_WRITE, bulk_tx, &bt);
			if (e)
				die_err("bulk insert", e);
		} else {
			seed_api(&b[0]);
		}
		long long before = atomic_fetch_add(&done_docs, docs);
		if ((before + docs) / 100000 != before / 100000)
			fprintf(stderr, "seed_history: %lld documents\n", before + docs);
	}
	for (size_t i = 0; i < per; i++) {
		free(b[i].d);
		for (int k = 0; k < 40; k++)
			free(b[i].t[k].big);
		free(b[i].t);
	}
	free(b);
	return NULL;
}

static int cmd_seed(const char *url, int64_t docs, const char *mode, int threads)
{
	char err[256] = "";
	enum mtag_err e;
	bulk = !strcmp(mode, "bulk");
	if (threads < 1 || threads > 16)
		threads = 1;
	if ((e = store_open(url, threads + 1, &S, err, sizeof(err)))) {
		fprintf(stderr, "seed_history: %s: %s\n", url, err);
		return 1;
	}
	if ((e = store_migrate(S, NULL))) {
		die_err("migrate", e);
		return 1;
	}
	const char *kb = getenv("SEED_TEXT_KB");
	text_bytes = kb && *kb ? (size_t)strtoul(kb, NULL, 10) * 1024 : 0;
	if (text_bytes > (size_t)10 << 20) /* the extraction's cap on a text */
		text_bytes = (size_t)10 << 20;
	const char *nu = getenv("SEED_USERS");
	if (nu && *nu && (nusers = (int)strtol(nu, NULL, 10)) < 1)
		nusers = 1;
	if (nusers > USERS)
		nusers = USERS;
	/* One real hash for every user, so that a benchmark can log in as any of them. */
	struct arena ha = ARENA_INIT;
	const char *hash;
	if ((e = password_hash(&ha, BENCH_PASSWORD, &hash))) {
		die_err("password_hash", e);
		return 1;
	}
	int64_t now = clock_now_us();
	t_start = now - SPAN_US + 60 * 1000000LL; /* every document in the stats' 30 days */
	for (int i = 0; i < nusers; i++) {
		struct store_user u = { .is_active = true, .created_at = t_start, .updated_at = t_start };
		char email[64];
		uuid_v4(u.id);
		snprintf(email, sizeof(email), "bench-user-%03d@example.com", i);
		u.email = email;
		u.password_hash = hash;
		struct store_user old;
		struct arena a = ARENA_INIT;
		if (!store_user_get_by_email(S, &a, email, &old)) /* seeding more: the same users */
			memcpy(u.id, old.id, UUID_STR_LEN);
		else if ((e = store_user_create(S, &u))) {
			die_err("store_user_create", e);
			return 1;
		}
		arena_release(&a);
		memcpy(users[i], u.id, UUID_STR_LEN);
	}
	arena_release(&ha);
	plan_jobs(docs);
	const char *dl = getenv("SEED_DEADLINE");
	deadline = dl && *dl ? strtoll(dl, NULL, 10) * 1000000LL : 0;
	int64_t t0 = clock_mono_us();
	pthread_t th[16];
	seed_threads = threads;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, seed_worker, (void *)(intptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(clock_mono_us() - t0) / 1e6;
	store_close(S);
	if (atomic_load(&failures))
		return 1;
	long long done = atomic_load(&done_docs);
	printf("{\"driver\":\"%s\",\"docs\":%lld,\"planned\":%lld,\"stopped_early\":%s,"
	       "\"jobs\":%zu,\"users\":%d,\"mode\":\"%s\",\"threads\":%d,\"seconds\":%.1f,"
	       "\"docs_per_s\":%.0f,\"vocabulary\":%zu,\"common\":\"%s\",\"rare\":\"%s\","
	       "\"prefix\":\"%s\",\"tag\":\"%s\"}\n",
	       !strncmp(url, "sqlite", 6) ? "sqlite" : "postgresql", done, (long long)docs,
	       done < docs ? "true" : "false", njobs, nusers, mode, threads, secs,
	       (double)done / secs, nvocab, vocab[COMMON_RANK], rare_word(), PREFIX,
	       tagw[TAG_RANK]);
	return 0;
}

/* ---- measuring ---- */

static char me[UUID_STR_LEN];
static const char *q_common, *q_rare, *q_tag;
static size_t hits; /* of the last run: total matches */

/* The seed's search: ILIKE on title and tags, owner-scoped, a page of 50 and the count. */
#define SEED_COLS STORE_DOC_COLS("", "NULL")
#define SEED_WHERE(title, tags) " FROM documents WHERE user_id = $1 AND (" title " OR " tags ")"
static const char pg_ilike_page[] =
	"SELECT " SEED_COLS SEED_WHERE("title ILIKE $2", "tags::text ILIKE $2")
	" ORDER BY created_at DESC, id DESC LIMIT 50";
static const char pg_ilike_count[] =
	"SELECT count(*)" SEED_WHERE("title ILIKE $2", "tags::text ILIKE $2");
static const char sq_like_page[] =
	"SELECT " SEED_COLS SEED_WHERE("title LIKE $2", "tags LIKE $2")
	" ORDER BY created_at DESC, id DESC LIMIT 50";
static const char sq_like_count[] = "SELECT count(*)" SEED_WHERE("title LIKE $2", "tags LIKE $2");

static bool is_pg;

static enum mtag_err ilike(struct arena *a, const char *w)
{
	const char *pat = arena_printf(a, "%%%s%%", w);
	struct store_param p[] = { STORE_TEXT(me), STORE_TEXT(pat) };
	void *rows;
	size_t n, total;
	enum mtag_err e = store_list_page(S, a, "seed_ilike", is_pg ? pg_ilike_page : sq_like_page,
					  2, is_pg ? pg_ilike_count : sq_like_count, 2, p,
					  store_row_document, sizeof(struct store_document), 50, &rows,
					  &n, &total);
	hits = total;
	return e;
}

static enum mtag_err search(struct arena *a, const char *q, const char *tag)
{
	struct store_doc_filter f = { 0 };
	struct store_hit *h;
	size_t n, total;
	if (tag) {
		f.tags[0] = tag;
		f.ntags = 1;
	}
	enum mtag_err e = store_document_search(S, a, me, q, &f, 50, 0, &h, &n, &total);
	hits = total;
	return e;
}

static enum mtag_err q_search_rare(struct arena *a) { return search(a, q_rare, NULL); }
static enum mtag_err q_search_common(struct arena *a) { return search(a, q_common, NULL); }
static enum mtag_err q_search_prefix(struct arena *a) { return search(a, PREFIX, NULL); }
static enum mtag_err q_search_tag(struct arena *a) { return search(a, q_common, q_tag); }

static enum mtag_err q_list_tag(struct arena *a)
{
	struct store_doc_filter f = { .tags = { q_tag }, .ntags = 1 };
	struct store_document *d;
	size_t n, total;
	enum mtag_err e = store_document_list(S, a, me, &f, 50, 0, &d, &n, &total);
	hits = total;
	return e;
}

static enum mtag_err q_jobs(struct arena *a)
{
	struct store_job_filter f = { NULL, NULL, false };
	struct store_job *j;
	size_t n, total;
	enum mtag_err e = store_job_list(S, a, me, &f, 50, 0, &j, &n, &total);
	hits = total;
	return e;
}

static enum mtag_err q_stats(struct arena *a)
{
	(void)a;
	struct store_stats st;
	enum mtag_err e = store_stats(S, me, clock_now_us(), &st);
	hits = (size_t)st.total_documents;
	return e;
}

static enum mtag_err q_tags(struct arena *a)
{
	struct store_tag_count *t;
	size_t n;
	enum mtag_err e = store_tag_counts(S, a, me, NULL, 10, &t, &n);
	hits = n;
	return e;
}

/* GET /api/history/stats: the statistics, the top 10 tags, the 5 newest jobs. */
static enum mtag_err q_stats_endpoint(struct arena *a)
{
	struct store_stats st;
	struct store_tag_count *t;
	struct store_job_filter f = { NULL, NULL, false };
	struct store_job *j;
	size_t n, total;
	enum mtag_err e = store_stats(S, me, clock_now_us(), &st);
	if (!e)
		e = store_tag_counts(S, a, me, NULL, 10, &t, &n);
	if (!e)
		e = store_job_list(S, a, me, &f, 5, 0, &j, &n, &total);
	hits = (size_t)st.total_documents;
	return e;
}

static enum mtag_err q_ilike_rare(struct arena *a) { return ilike(a, q_rare); }
static enum mtag_err q_ilike_common(struct arena *a) { return ilike(a, q_common); }
static enum mtag_err q_ilike_prefix(struct arena *a) { return ilike(a, PREFIX); }
static enum mtag_err q_ilike_tag(struct arena *a) { return ilike(a, q_tag); }

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static void run(const char *name, enum mtag_err (*fn)(struct arena *), int runs)
{
	int64_t *t = calloc((size_t)runs, sizeof(*t));
	enum mtag_err e = ERR_OK;
	int64_t first = 0;
	for (int i = 0; i < 5 && !e; i++) { /* warm-up */
		struct arena a = ARENA_INIT;
		int64_t t0 = clock_mono_us();
		e = fn(&a);
		if (!i)
			first = clock_mono_us() - t0;
		arena_release(&a);
		if (first > 500000)
			break; /* slow: no more warm-up */
	}
	if (first > 40000 && (int64_t)runs * first > 8000000) /* stay within ~8 s */
		runs = (int)(8000000 / first) > 10 ? (int)(8000000 / first) : 10;
	for (int i = 0; i < runs && !e; i++) {
		struct arena a = ARENA_INIT;
		int64_t t0 = clock_mono_us();
		e = fn(&a);
		t[i] = clock_mono_us() - t0;
		arena_release(&a);
	}
	if (e) {
		fprintf(stderr, "seed_history: %s: %s\n", name, err_name(e));
		atomic_fetch_add(&failures, 1);
		free(t);
		return;
	}
	double sum = 0;
	for (int i = 0; i < runs; i++)
		sum += (double)t[i];
	qsort(t, (size_t)runs, sizeof(*t), cmp_i64);
	int i99 = (int)ceil(0.99 * runs) - 1;
	printf("{\"query\":\"%s\",\"runs\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"mean_ms\":%.3f,"
	       "\"hits\":%zu}\n", name, runs, (double)t[(runs - 1) / 2] / 1000.0,
	       (double)t[i99] / 1000.0, sum / runs / 1000.0, hits);
	fflush(stdout);
	free(t);
}

static enum mtag_err row_count(struct store_row *r, void *out)
{
	*(int64_t *)out = store_col_int(r, 0);
	return store_row_done(r, "(count)");
}

struct user_count {
	char id[UUID_STR_LEN];
	int64_t n;
};

static enum mtag_err row_user_count(struct store_row *r, void *out)
{
	struct user_count *uc = out;
	store_col_uuid(r, 0, uc->id);
	uc->n = store_col_int(r, 1);
	return store_row_done(r, "documents");
}

static int cmd_measure(const char *url, int runs, const char *only)
{
	char err[256] = "";
	struct arena a = ARENA_INIT;
	struct store_user u;
	enum mtag_err e;
	if ((e = store_open(url, 4, &S, err, sizeof(err)))) {
		fprintf(stderr, "seed_history: %s: %s\n", url, err);
		return 1;
	}
	is_pg = !strcmp(store_driver_name(S), "postgresql");
	/* The user whose document count is closest to the mean (jobs of 1-40 documents make
	 * the counts uneven at 10k). */
	struct user_count *uc;
	size_t nu = 0;
	void *rows = NULL;
	int64_t docs = 0, mine = 0, bytes = 0;
	struct store_param p[] = { STORE_TEXT(me) };
	if ((e = store_read_many(S, &a, "users", "SELECT user_id, count(*) FROM documents GROUP BY"
				 " user_id", p, 0, row_user_count, sizeof(*uc), USERS, &rows, &nu))
	    || !nu) {
		die_err("the users' documents (seed first)", e ? e : ERR_NOT_FOUND);
		return 1;
	}
	uc = rows;
	for (size_t i = 0; i < nu; i++)
		docs += uc[i].n;
	size_t best = 0;
	for (size_t i = 1; i < nu; i++)
		if (llabs(uc[i].n * (int64_t)nu - docs) < llabs(uc[best].n * (int64_t)nu - docs))
			best = i;
	memcpy(me, uc[best].id, UUID_STR_LEN);
	mine = uc[best].n;
	if ((e = store_user_get(S, &a, me, &u))) {
		die_err("the user", e);
		return 1;
	}
	q_common = vocab[COMMON_RANK];
	q_rare = rare_word();
	q_tag = tagw[TAG_RANK];
	store_read_one(S, NULL, "size", is_pg ? "SELECT pg_database_size(current_database())"
		       : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
		       p, 0, row_count, &bytes);
	printf("{\"driver\":\"%s\",\"user\":\"%s\",\"docs\":%lld,\"user_docs\":%lld,\"db_mb\":%.0f,\"common\":\"%s\","
	       "\"rare\":\"%s\",\"prefix\":\"%s\",\"tag\":\"%s\"}\n", store_driver_name(S),
	       u.email, (long long)docs, (long long)mine, (double)bytes / 1048576.0, q_common, q_rare, PREFIX,
	       q_tag);
	fflush(stdout);
	static const struct {
		const char *name;
		enum mtag_err (*fn)(struct arena *);
	} qs[] = {
		{ "search_rare", q_search_rare },
		{ "search_common", q_search_common },
		{ "search_prefix", q_search_prefix },
		{ "search_common_tag", q_search_tag },
		{ "list_tag", q_list_tag },
		{ "jobs_list", q_jobs },
		{ "stats", q_stats },
		{ "tag_counts", q_tags },
		{ "stats_endpoint", q_stats_endpoint },
		{ "ilike_rare", q_ilike_rare },
		{ "ilike_common", q_ilike_common },
		{ "ilike_prefix", q_ilike_prefix },
		{ "ilike_tag", q_ilike_tag },
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		if (!only || !strcmp(only, qs[i].name))
			run(qs[i].name, qs[i].fn, runs);
	arena_release(&a);
	store_close(S);
	return atomic_load(&failures) ? 1 : 0;
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	vocab_load();
	if (argc >= 4 && !strcmp(argv[1], "seed"))
		return cmd_seed(argv[2], strtoll(argv[3], NULL, 10), argc > 4 ? argv[4] : "api",
				argc > 5 ? (int)strtol(argv[5], NULL, 10) : 1);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "measure"))
		return cmd_measure(argv[2], (int)strtol(argv[3], NULL, 10), argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: seed_history seed URL DOCS [api|bulk] [THREADS]\n"
			"       seed_history measure URL RUNS [QUERY]\n");
	return 2;
}
