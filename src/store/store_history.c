/*
 * store_history.c - a user's history: document lists and full-text search
 * with filters, on either driver; the statements of the history (also those
 * of store_stats.c).
 *
 * Every statement is written once here. Where the two databases differ the
 * difference is a named fragment below (the full-text engine, the elements
 * of a JSON array, the UTC day of a time), and each driver's dialect points
 * at the statement table built with its fragments (store_int.h, struct
 * store_history_sql). Parameters are the same in both tables but for the
 * search's (search_ranked).
 *
 * The search's operation is in store_history_search.c.
 *
 * Every operation takes the owner, a user id; anything else lists nothing.
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/jsonx.h"
#include "base/utf8.h"
#include "store_int.h"

/* STORE_SEARCH_WINDOW in the statements' text. */
#define HIST_STR_(x) #x
#define HIST_STR(x) HIST_STR_(x)
#define SEARCH_WINDOW HIST_STR(STORE_SEARCH_WINDOW)

/*
 * The filters of lists and search, $1 .. $7: owner, status, lang, job_id,
 * from, to, and the wanted tags as a JSON array of strings, as given.
 * tags_all is the dialect's "the document has every wanted tag", both sides
 * lower-cased by the database's own mtag_lower (SQLite: a function of ours,
 * Unicode's simple case mapping; PostgreSQL: lower(), its locale's, which an
 * ICU locale maps in full: a C mapping of the wanted tags would miss there;
 * on both a Greek word's last sigma is ς, any other σ: migration 0017). A
 * parameter's first use types it on PostgreSQL: the comparison comes before
 * the IS NULL.
 */
#define HIST_FILTER(tags_all)                                                             \
	" d.user_id = $1 AND (d.status = $2 OR $2 IS NULL) AND (d.language = $3 OR"       \
	" $3 IS NULL) AND (d.job_id = $4 OR $4 IS NULL) AND (d.created_at >= $5 OR"        \
	" $5 IS NULL) AND (d.created_at < $6 OR $6 IS NULL) AND (" tags_all " OR"          \
	" $7 IS NULL)"

#define HIST_ORDER " d.created_at DESC, d.id DESC"
#define HIST_LIST(tags_all)                                                              \
	"SELECT " STORE_DOC_COLS("d.", "NULL") " FROM documents d WHERE"                 \
	HIST_FILTER(tags_all) " ORDER BY" HIST_ORDER " LIMIT $8 OFFSET $9"
#define HIST_COUNT(tags_all) "SELECT count(*) FROM documents d WHERE" HIST_FILTER(tags_all)

/*
 * The same with a tag filter: the search index matches the wanted tags'
 * words ($8, store_search_render_tags) among the owner's documents, so the
 * list reads the documents that may have those tags instead of all the
 * owner's; the exact test stays. from: the index and the documents, joined.
 */
#define HIST_TAGGED(from, match, tags_all)                                               \
	" FROM " from " WHERE " match " AND" HIST_FILTER(tags_all)
#define HIST_LIST_TAGGED(from, match, tags_all)                                          \
	"SELECT " STORE_DOC_COLS("d.", "NULL") HIST_TAGGED(from, match, tags_all)        \
	" ORDER BY" HIST_ORDER " LIMIT $9 OFFSET $10"
#define HIST_COUNT_TAGGED(from, match, tags_all)                                         \
	"SELECT count(*)" HIST_TAGGED(from, match, tags_all)
/*
 * Which way a list with a tag filter goes, from the counts the writes keep
 * ($1 owner, $2 the wanted tags): how many of the wanted tags the user has,
 * how many distinct tags are wanted, the fewest documents of one of them,
 * and the user's documents. See tagged_tx.
 */
#define TAG_PLAN(wanted)                                                                  \
	"SELECT count(*), coalesce(min(t.documents), 0), (SELECT count(DISTINCT w) FROM "    \
	wanted "), (SELECT docs_pending + docs_processing + docs_completed + docs_failed"     \
	" FROM user_stats WHERE user_id = $1) FROM user_tags t WHERE t.user_id = $1 AND"      \
	" t.tag IN (SELECT w FROM " wanted ")"
#define SQ_WANTED "(SELECT mtag_lower(value) AS w FROM json_each($2))"
#define PG_WANTED "jsonb_array_elements_text(mtag_lower($2)::jsonb) w"
#define SQ_TAGGED_FROM "documents_fts f CROSS JOIN documents d ON d.rid = f.rowid"
#define SQ_TAGGED_MATCH "documents_fts MATCH $8"
#define PG_TAGGED_FROM "documents d, to_tsquery('mtag_search', $8) q"
#define PG_TAGGED_MATCH "d.search_vector @@ q"

/* SQLite: a function of ours (store_sqlite_func.c). */
#define SQ_TAGS_ALL "mtag_tags_all(d.tags, $7)"
/* PostgreSQL: containment in the lower-cased jsonb. Lower-casing and parsing a
 * document's tags costs ~3 µs, a quarter of a tagged search at 1M (1,400 candidates),
 * so the tags as stored (the tagger's are lower-case) are tried first, ~0.5 µs: when
 * they contain the wanted ones, so do the lower-cased ones. */
#define PG_TAGS_ALL                                                                       \
	"(d.tags @> $7::text::jsonb OR mtag_lower(d.tags::text)::jsonb @> mtag_lower($7)::jsonb)"

/*
 * Search ranks a bounded window: the newest STORE_SEARCH_WINDOW matches
 * that pass the filters, best first; total counts them, so it stops at the
 * window (store.h). Ranking every match costs what the user's library costs
 * (a common word is in most documents); the window keeps a word's search
 * flat as a library grows, not a prefix that starts many of the user's
 * words (FTS5 merges their doclists first) nor a tag filter (each
 * candidate is tested): bench/RESULTS.md.
 *
 * SQLite: FTS5 matches $8 (every token behind the owner's key,
 * store_search.c), so the index walks the owner's terms only; d.user_id is
 * still filtered. One statement reads the window, newest first, each match
 * with its bm25 score over the query's $9 words among the owner's documents
 * (mtag_rank: title 10, tags 5, text 1; higher is better), and C ranks it
 * (search_ranked). FTS5's own
 * ORDER BY rank cost four walks of the match where this costs one: the
 * window's bound, the ranking, the seek back to each ranked row and bm25's
 * count of the phrase's rows (which mtag_rank needs for two words or more
 * only); a prefix that starts hundreds of the user's words is merged on
 * each walk (bench/RESULTS.md). The filters read documents_search_idx,
 * whose entries hold every filtered column: a row of documents is ~2 KB, its
 * entry ~190 bytes, and the window reads one per match (~0.9 µs against
 * ~0.25, and a window of rows does not fit SQLite's page cache). CROSS JOIN
 * keeps the index the outer loop.
 *
 * The page ($2, a JSON array of the ranked rowids; $3 the snippets' marks)
 * gives each hit a slice of its text to make its snippet from, as
 * PostgreSQL's does (below), from a little before the first token a mark
 * matches (mtag_first_match: the index's tokens, accents and case folded;
 * the tokenizer stops there), when the index has one of the query's words
 * in its text ($4, the rowids for which the window's mtag_hit_in said so):
 * a hit by its title alone had its 256 Ki characters tokenized for nothing,
 * ~1 ms each. The snippets of both are made in C (store_snippet.c).
 *
 * Both dialects give two snippets, the text's and the title's; the hit
 * shows the text's when it marks a match (hit_snippet).
 */
static const char sq_search_window[] =
	"SELECT f.rowid, mtag_rank(documents_fts, $9, (SELECT docs_pending + docs_processing +"
	" docs_completed + docs_failed FROM user_stats WHERE user_id = $1), 10.0, 5.0, 1.0),"
	" d.created_at, mtag_hit_in(documents_fts, $9, 2)"
	" FROM documents_fts f"
	" CROSS JOIN documents d INDEXED BY documents_search_idx ON d.rid = f.rowid"
	" WHERE documents_fts MATCH $8 AND" HIST_FILTER(SQ_TAGS_ALL)
	" ORDER BY f.rowid DESC LIMIT " SEARCH_WINDOW;
#define SQ_SLICE_AT                                                                       \
	"CASE WHEN d.rid IN (SELECT value FROM json_each($4)) THEN"                       \
	" max(1, mtag_first_match(d.extracted_text, $3) - 240) ELSE 1 END"
static const char sq_search[] =
	"WITH s AS MATERIALIZED (SELECT d.rid, " SQ_SLICE_AT " AS at FROM documents d"
	" WHERE d.rid IN (SELECT value FROM json_each($2)) AND d.user_id = $1)"
	" SELECT " STORE_DOC_COLS("d.", "NULL") ", d.rid, substr(d.extracted_text, s.at, "
	HIST_STR(STORE_SLICE_CHARS) " + 1), s.at FROM s JOIN documents d ON d.rid = s.rid";

/*
 * PostgreSQL search: the GIN index on search_vector matches to_tsquery($8)
 * (the owner's lexemes, migration 0008; stems in some languages, 0011); the
 * window is the newest matches in the lists' order, ranked by ts_rank_cd
 * with weights {D, C, B, A} = {0.1, 0.1, 0.5, 1.0}: title 10, tags 5, text
 * 1, of the query's words ($13: without the wanted tags, which every match
 * has: filters, not relevance). The page's rows give, for their snippets
 * (made in C, store_snippet.c: ts_headline cost ~2.5 ms of a page of 50),
 * STORE_SLICE_CHARS characters of the text from a little before the first
 * word the query's first word begins
 * ($11, a pattern that ignores case and accents as the index does,
 * store_search_first_regex; from the start when there is none), one more to
 * tell that the text goes on, and where the slice starts (OFFSET 0: computed
 * once, not once per use). Looking through 256 Ki characters costs ~1.6 ms
 * (reading them ~1.3), so the first 4 Ki are looked at first: where most
 * first matches are, for ~50 µs; and not at all when the index says the
 * text does not hold the first word ($14, store_search_first_in_text): a
 * hit by its title alone.
 *
 * The GIN index gives the owner's matches in no order, so ordering them for
 * the window fetched every one, ~1 µs each: 8,300 for a common word at 1M.
 * With $12 (a time, search_recent), the window is looked for first among
 * the matches since then, which the created_at index narrows; when they
 * fill it, they are the window, and older ones are not read (a one-time
 * filter on their count); else it is completed by the newest older ones.
 * Without $12 the first part is no part of the plan.
 */
#define PG_WINDOW(what)                                                                  \
	"SELECT " what " FROM documents d, to_tsquery('mtag_search', $8) q"               \
	" WHERE d.search_vector @@ q AND" HIST_FILTER(PG_TAGS_ALL)
#define PG_SLICE_AT                                                                       \
	"greatest(1, coalesce(nullif(regexp_instr(left(d.extracted_text, 4096), $11, 1, 1, 0,"  \
	" 'i'), 0), regexp_instr(left(d.extracted_text, 262144), $11, 1, 1, 0, 'i')) - 240)"
#define PG_WINDOW_COLS "d.id, d.created_at, d.search_vector"
/* (A LIMIT of 1,000 less this count made the planner walk the created_at index
 * through every document of the owner for a rare word: 2 -> 39 ms at 1M.) */
#define PG_RECENT_COUNT "(SELECT count(*) FROM recent)"
static const char pg_search[] =
	"WITH recent AS MATERIALIZED (" PG_WINDOW(PG_WINDOW_COLS) " AND d.created_at >= $12"
	"   AND $12 IS NOT NULL ORDER BY" HIST_ORDER " LIMIT " SEARCH_WINDOW "),"
	" w AS MATERIALIZED (SELECT * FROM recent UNION ALL (" PG_WINDOW(PG_WINDOW_COLS)
	"   AND (d.created_at < $12 OR $12 IS NULL) AND " PG_RECENT_COUNT " < " SEARCH_WINDOW
	"   ORDER BY" HIST_ORDER " LIMIT " SEARCH_WINDOW ") ORDER BY created_at DESC, id DESC"
	"   LIMIT " SEARCH_WINDOW "),"
	" h AS (SELECT id, created_at, ts_rank_cd('{0.1, 0.1, 0.5, 1.0}', search_vector, r)"
	"   AS score, search_vector FROM w, to_tsquery('mtag_search', $13) r"
	"   ORDER BY score DESC, created_at DESC, id DESC LIMIT $9 OFFSET $10)"
	" SELECT " STORE_DOC_COLS("d.", "NULL") ", h.score,"
	" substr(d.extracted_text, s.at, " HIST_STR(STORE_SLICE_CHARS) " + 1), s.at,"
	" (SELECT count(*) FROM w)"
	" FROM h JOIN documents d ON d.id = h.id, to_tsquery('mtag_search', $14) t,"
	" LATERAL (SELECT CASE WHEN h.search_vector @@ t THEN " PG_SLICE_AT " ELSE 1 END AS at"
	"   OFFSET 0) s"
	" ORDER BY h.score DESC," HIST_ORDER;
/*
 * The stems of the query's words ($1, separated by spaces), with their
 * language's tag, in each language of the owner's ($3) documents that is
 * indexed by stems, or in the lang filter's ($2) only: a function of
 * migration 0011, whose plan PostgreSQL keeps.
 */
static const char pg_search_stems[] =
	"SELECT word, stem, lang_tag FROM mtag_search_stems($1, $2, $3)";
/*
 * The day (as a time) since which the owner ($1) has $2 documents, counting
 * back from the newest, from the counts per day of migration 0010; no row
 * when they have fewer.
 */
static const char pg_search_recent[] =
	"SELECT day::timestamp AT TIME ZONE 'UTC' FROM (SELECT day, sum(documents) OVER"
	" (ORDER BY day DESC) AS n FROM user_days WHERE user_id = $1) c WHERE n >= $2"
	" ORDER BY day DESC LIMIT 1";
/* The count alone, when the page is empty (each row of a page carries it): the
 * first matches found, in no order, stop it. */
static const char pg_search_window[] =
	"SELECT count(*) FROM (" PG_WINDOW("1") " LIMIT " SEARCH_WINDOW ") w";

/*
 * Tags ($1 owner, $2 a prefix or NULL, lower-cased by the dialect's lower, $3
 * limit), most used first:
 * the counts the triggers of migration 0007 keep in user_tags (one row per
 * tag of the user, sorted here).
 */
#define TAG_COUNTS(prefix)                                                                \
	"SELECT tag, documents FROM user_tags WHERE user_id = $1 AND (" prefix " IS NULL OR" \
	" substr(tag, 1, length(" prefix ")) = " prefix ") ORDER BY documents DESC, tag LIMIT $3"

/*
 * Documents per UTC day in [$2, $3) (times; day: the dialect's day of one),
 * from the counts the triggers of migration 0010 keep in user_days.
 */
#define PER_DAY(day)                                                                      \
	"SELECT day, documents FROM user_days WHERE user_id = $1 AND day >= " day("$2")    \
	" AND day < " day("$3")
#define SQ_DAY(t) "substr(" t ", 1, 10)"
#define PG_DAY(t) "(" t "::timestamptz AT TIME ZONE 'UTC')::date"

const struct store_history_sql store_history_sqlite = {
	.match = STORE_MATCH_FTS5,
	.doc_list = HIST_LIST(SQ_TAGS_ALL),
	.doc_count = HIST_COUNT(SQ_TAGS_ALL),
	.doc_list_tagged = HIST_LIST_TAGGED(SQ_TAGGED_FROM, SQ_TAGGED_MATCH, SQ_TAGS_ALL),
	.doc_count_tagged = HIST_COUNT_TAGGED(SQ_TAGGED_FROM, SQ_TAGGED_MATCH, SQ_TAGS_ALL),
	.tag_plan = TAG_PLAN(SQ_WANTED),
	.search_window = sq_search_window,
	.search = sq_search,
	.search_ranked = true,
	.tag_counts = TAG_COUNTS("mtag_lower($2)"),
	.per_day = PER_DAY(SQ_DAY),
};

const struct store_history_sql store_history_pg = {
	.match = STORE_MATCH_TSQUERY,
	.doc_list = HIST_LIST(PG_TAGS_ALL),
	.doc_count = HIST_COUNT(PG_TAGS_ALL),
	.doc_list_tagged = HIST_LIST_TAGGED(PG_TAGGED_FROM, PG_TAGGED_MATCH, PG_TAGS_ALL),
	.doc_count_tagged = HIST_COUNT_TAGGED(PG_TAGGED_FROM, PG_TAGGED_MATCH, PG_TAGS_ALL),
	.tag_plan = TAG_PLAN(PG_WANTED),
	.search_window = pg_search_window,
	.search = pg_search,
	.search_stems = pg_search_stems,
	.search_recent = pg_search_recent,
	.tag_counts = TAG_COUNTS("mtag_lower($2::text)"),
	.per_day = PER_DAY(PG_DAY),
};

/* ---- a page and its total, one snapshot ---- */

struct page {
	struct arena *a;
	const char *op, *rows_sql, *count_sql;
	const struct store_param *p;
	int nrows, ncount;     /* parameters of each statement */
	store_row_fn fn;
	size_t size, max;
	void *out;             /* OUT */
	size_t n, total;
};

static enum mtag_err row_size(struct store_row *r, void *out)
{
	*(size_t *)out = (size_t)store_col_int(r, 0);
	return store_row_done(r, "(count)");
}

static enum mtag_err page_tx(struct store_conn *c, void *ctx)
{
	struct page *pg = ctx;
	enum mtag_err e = store_many(c, pg->a, pg->op, pg->rows_sql, pg->p, pg->nrows, pg->fn,
				     pg->size, pg->max, &pg->out, &pg->n);
	if (!e)
		e = store_one(c, NULL, pg->op, pg->count_sql, pg->p, pg->ncount, row_size, &pg->total);
	return e;
}

enum mtag_err store_list_page(struct store *s, struct arena *a, const char *op,
			      const char *rows_sql, int nrows, const char *count_sql, int ncount,
			      const struct store_param *p, store_row_fn fn, size_t size,
			      size_t max, void **out, size_t *n, size_t *total)
{
	struct page pg = { a, op, rows_sql, count_sql, p, nrows, ncount, fn, size, max,
			   NULL, 0, 0 };
	enum mtag_err e = store_tx(s, op, STORE_TX_SNAPSHOT, page_tx, &pg);

	*out = e ? NULL : pg.out;
	*n = e ? 0 : pg.n;
	if (total)
		*total = e ? 0 : pg.total;
	return e;
}

/* ---- filters ---- */

bool store_history_filter(struct arena *a, const char *owner, const struct store_doc_filter *f,
			  struct store_param p[7])
{
	static const struct store_doc_filter none;
	char *job = NULL;

	if (!f)
		f = &none;
	if (!utf8_valid(f->status) || !utf8_valid(f->lang) || f->ntags > STORE_FILTER_TAGS)
		return false;
	if (f->job_id) {
		job = arena_alloc(a, UUID_STR_LEN);
		if (!store_copy_uuid(job, f->job_id))
			return false;
	}
	p[0] = STORE_TEXT(owner);
	p[1] = STORE_TEXT(f->status);
	p[2] = STORE_TEXT(f->lang);
	p[3] = STORE_TEXT(job);
	p[4] = STORE_TIME_OR_NULL(f->from_us);
	p[5] = STORE_TIME_OR_NULL(f->to_us);
	p[6] = STORE_TEXT(NULL);
	if (!f->ntags)
		return true;
	json_t *arr = json_array();
	bool ok = true;
	for (size_t i = 0; ok && i < f->ntags; i++) {
		json_t *v = f->tags[i] ? json_string(f->tags[i]) : NULL; /* NULL for invalid UTF-8 */
		ok = v && json_array_append_new(arr, v) == 0;
	}
	if (ok)
		p[6] = STORE_TEXT(jsonx_dump(a, arr));
	json_decref(arr);
	return ok;
}

void store_history_clear(void *out, size_t *n, size_t *total)
{
	*(void **)out = NULL;
	*n = 0;
	if (total)
		*total = 0;
}

/*
 * A list with a tag filter goes one of two ways, chosen from the counts the
 * writes keep (user_tags, user_stats), so that its cost does not grow with
 * the user's library:
 * - walk: the user's documents newest first, each tested, stopping at the
 *   page's end: reads about (offset + limit) × docs / tagged rows;
 * - index: the search index's documents with the tags' words, every one
 *   tested and sorted: reads the tagged documents.
 * The walk is chosen when it reads fewer. The total of a list filtered by
 * one tag alone is that tag's kept count; a tag the user has none of ends
 * the list at once.
 */
struct tagged_list {
	struct arena *a;
	const struct store_history_sql *h;
	struct store_param *p; /* the list's: filters, the tags' match, limit, offset */
	bool tag_only;         /* no filter but the tags */
	size_t limit, want;    /* the page's rows; offset + limit */
	void *out;             /* OUT */
	size_t n, total;
};

enum mtag_err store_row_tag_plan(struct store_row *r, void *out)
{
	struct store_tag_plan *t = out;
	t->have = store_col_int(r, 0);
	t->fewest = store_col_int(r, 1);
	t->distinct = store_col_int(r, 2);
	t->docs = store_col_int(r, 3); /* 0 when the user has no row yet */
	return store_row_done(r, "(tag plan)");
}

static enum mtag_err tagged_tx(struct store_conn *c, void *ctx)
{
	struct tagged_list *l = ctx;
	struct store_param pp[2] = { l->p[0], l->p[6] };
	struct store_tag_plan t = { 0 };
	l->out = NULL; /* a retried transaction starts over */
	l->n = l->total = 0;
	enum mtag_err e = store_one(c, NULL, "document_list", l->h->tag_plan, pp, 2,
				    store_row_tag_plan, &t);
	if (e || t.have < t.distinct)
		return e; /* a wanted tag no document of the user has: nothing */
	/* The walk also serves tags the index cannot match (store_search_render_tags). */
	bool indexed = l->p[7].text != NULL;
	double tagged = (double)t.fewest;
	bool walk = !indexed || (double)l->want * (double)t.docs < tagged * tagged;
	/* The walk's statements have no match parameter: limit and offset follow the filters. */
	struct store_param wp[9];
	memcpy(wp, l->p, 7 * sizeof(wp[0]));
	wp[7] = l->p[8];
	wp[8] = l->p[9];
	e = store_many(c, l->a, "document_list", walk ? l->h->doc_list : l->h->doc_list_tagged,
		       walk ? wp : l->p, walk ? 9 : 10, store_row_document,
		       sizeof(struct store_document), l->limit, &l->out, &l->n);
	if (e)
		return e;
	if (l->tag_only && t.distinct == 1) {
		l->total = (size_t)t.fewest;
		return ERR_OK;
	}
	return store_one(c, NULL, "document_list", indexed ? l->h->doc_count_tagged : l->h->doc_count,
			 l->p, indexed ? 8 : 7, row_size, &l->total);
}

enum mtag_err store_document_list(struct store *s, struct arena *a, const char *owner,
				  const struct store_doc_filter *f, size_t limit, size_t offset,
				  struct store_document **out, size_t *n, size_t *total)
{
	const struct store_history_sql *h = s->drv->dialect->history;
	char who[UUID_STR_LEN];
	struct store_param p[10];
	void *rows = NULL;

	store_history_clear(out, n, total);
	if (!store_copy_uuid(who, owner) || !store_history_filter(a, who, f, p))
		return ERR_OK;
	if (!f || !f->ntags) {
		p[7] = STORE_INT(store_list_cap(limit));
		p[8] = STORE_INT(store_list_cap(offset));
		enum mtag_err e = store_list_page(s, a, "document_list", h->doc_list, 9,
						  h->doc_count, 7, p, store_row_document,
						  sizeof(**out), store_list_cap(limit), &rows, n,
						  total);
		*out = rows;
		return e;
	}
	p[7] = STORE_TEXT(store_search_render_tags(a, f->tags, f->ntags, h->match, who));
	p[8] = STORE_INT(store_list_cap(limit));
	p[9] = STORE_INT(store_list_cap(offset));
	struct tagged_list l = {
		.a = a, .h = h, .p = p,
		.tag_only = !f->status && !f->lang && !f->job_id && !f->from_us && !f->to_us,
		.limit = store_list_cap(limit),
		.want = store_list_cap(limit) + store_list_cap(offset),
	};
	enum mtag_err e = store_tx(s, "document_list", STORE_TX_SNAPSHOT, tagged_tx, &l);
	if (!e) {
		*out = l.out;
		*n = l.n;
		if (total)
			*total = l.total;
	}
	return e;
}
