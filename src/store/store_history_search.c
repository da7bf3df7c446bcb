/*
 * store_history_search.c - a user's full-text search over their documents,
 * on either driver: the window of matches, its ranking, the page and its
 * snippets. The statements are store_history.c's (struct store_history_sql);
 * the query language is store_search.c's, the snippets store_snippet.c's.
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store_int.h"

/* Bytes of white space (or U+FFFD) at p, 0 for anything else. */
static size_t space_len(const char *p, const char *end)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
		return 1;
	return end - p >= 3 && !memcmp(p, "\xef\xbf\xbd", 3) ? 3 : 0;
}

/*
 * A snippet with each run of white space as one space and none at either
 * end: the extracted text's line breaks, and U+FFFD, which extraction gives
 * for glyphs without a Unicode value (often a PDF's spaces). s: n bytes.
 * OUT: in a.
 */
static const char *squeeze_space(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	bool space = false;
	for (const char *p = s, *end = s + n; p < end;) {
		size_t k = space_len(p, end);
		if (k) {
			space = o != out;
			p += k;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* A hit shows the text's snippet when it marks a match, else the title's. */
static const char *hit_snippet(struct arena *a, const char *text, size_t tlen, const char *title,
			       size_t len)
{
	if (text && memmem(text, tlen, "[[", 2))
		return squeeze_space(a, text, tlen);
	return title ? squeeze_space(a, title, len) : NULL;
}

/*
 * A hit of a page: the slice of its text its snippet is made from (after
 * the transaction, search_snippets), and where it comes from: PostgreSQL's
 * rows carry the window's size, SQLite's their rowid (ranked in C).
 */
struct page_hit {
	struct store_hit hit;
	const char *slice;
	size_t slice_len;
	bool cut_before;
	size_t window;
	int64_t rid;
};

/* A search's statements and what they give, in one snapshot. */
struct search {
	struct arena *a;
	const struct store_history_sql *h;
	struct search_query *sq;
	const char *owner;
	const struct store_doc_filter *f;
	struct store_param p[14];
	size_t max;
	void *out; /* OUT */
	const struct page_hit *page; /* before its snippets */
	size_t n, total;
	bool nothing; /* known to match nothing (search_recent) */
};

/* A stem of one of the query's words (search_stems). */
struct word_stem {
	const char *word, *stem, *tag;
};

static enum mtag_err row_stem(struct store_row *r, void *out)
{
	struct word_stem *ws = out;
	ws->word = store_col_text(r, 0);
	ws->stem = store_col_text(r, 1);
	ws->tag = store_col_text(r, 2);
	return store_row_done(r, "(stems)");
}

static enum mtag_err row_time(struct store_row *r, void *out)
{
	*(int64_t *)out = store_col_time(r, 0);
	return store_row_done(r, "(time)");
}

/*
 * Where PostgreSQL looks for the window first ($12, pg_search): since the day
 * from which the owner has twice a window of documents, counting back from
 * the newest. With a tag filter, since the day from which they have about
 * twice a window of documents with the rarest wanted tag (the kept counts:
 * user_tags, user_stats; the tags spread evenly over time), and only when
 * that is fewer than all of them: a tag on few documents narrows the match
 * enough that reading every candidate costs less than looking twice
 * (bench/RESULTS.md). Both guesses assume the query's words are common,
 * which is when the window fills: a rarer word finds too few there, and its
 * older matches are read too.
 */
static enum mtag_err search_recent(struct store_conn *c, struct search *sr)
{
	int64_t since = 0;
	long long span = 2 * STORE_SEARCH_WINDOW;
	sr->p[11] = STORE_TIME_OR_NULL(0);
	if (!sr->h->search_recent)
		return ERR_OK;
	if (sr->f && sr->f->ntags) {
		struct store_param tp[2] = { sr->p[0], sr->p[6] };
		struct store_tag_plan t = { 0 };
		enum mtag_err e = store_one(c, NULL, "document_search", sr->h->tag_plan, tp, 2,
					    store_row_tag_plan, &t);
		sr->nothing = !e && t.have < t.distinct; /* a wanted tag on none of their documents */
		if (e || sr->nothing || t.fewest <= span)
			return e;
		span = (long long)((double)span * (double)t.docs / (double)t.fewest);
	}
	struct store_param p[2] = { sr->p[0], STORE_INT(span) };
	enum mtag_err e = store_one(c, NULL, "document_search", sr->h->search_recent, p, 2,
				    row_time, &since);
	if (e && e != ERR_NOT_FOUND)
		return e;
	sr->p[11] = STORE_TIME_OR_NULL(since);
	return ERR_OK;
}

/*
 * The query's parameters: $8 the match, $11 the first word as a pattern
 * (where PostgreSQL's snippets' slices start), where PostgreSQL's window is
 * looked for first ($12, search_recent), $13 the match without the
 * wanted tags (what PostgreSQL ranks by) and $14 the first word in the
 * text only (whether a slice is looked for there). Where the dialect has stems, the
 * query's words are stemmed first (search_stems).
 */
static enum mtag_err search_render(struct store_conn *c, struct search *sr)
{
	const struct store_doc_filter *f = sr->f;
	if (sr->h->search_stems) {
		struct store_param sp[3] = { STORE_TEXT(store_search_words(sr->a, sr->sq)), sr->p[2],
					     sr->p[0] };
		void *rows = NULL;
		size_t n = 0;
		enum mtag_err e = store_many(c, sr->a, "document_search", sr->h->search_stems, sp, 3,
					     row_stem, sizeof(struct word_stem), STORE_SEARCH_MAX_STEMS,
					     &rows, &n);
		if (e)
			return e;
		for (struct word_stem *ws = rows; n--; ws++)
			store_search_add_stem(sr->a, sr->sq, ws->word, ws->stem, ws->tag);
	}
	sr->p[7] = STORE_TEXT(store_search_render(sr->a, sr->sq, f ? f->tags : NULL,
						  f ? f->ntags : 0, sr->h->match, sr->owner));
	sr->p[12] = STORE_TEXT(store_search_render(sr->a, sr->sq, NULL, 0, sr->h->match, sr->owner));
	sr->p[10] = STORE_TEXT(store_search_first_regex(sr->a, sr->sq));
	sr->p[13] = STORE_TEXT(store_search_first_in_text(sr->a, sr->sq, sr->owner));
	return search_recent(c, sr);
}

static enum mtag_err row_count(struct store_row *r, void *out)
{
	*(size_t *)out = (size_t)store_col_int(r, 0);
	return store_row_done(r, "(window)");
}

/* The slice and the document of a page's row; col: the slice's column. */
static enum mtag_err row_page_slice(struct store_row *r, struct page_hit *ph, int col)
{
	const char *slice = r->drv->col_raw(r, col, &ph->slice_len);
	ph->slice = slice ? arena_strndup(r->a, slice, ph->slice_len) : NULL;
	ph->cut_before = store_col_int(r, col + 1) > 1;
	enum mtag_err e = store_row_document(r, &ph->hit.doc);
	return e ? e : store_row_done(r, "documents");
}

/* PostgreSQL's page: the score, the slice, where it starts, the window's size. */
static enum mtag_err row_counted_hit(struct store_row *r, void *out)
{
	struct page_hit *ph = out;
	ph->hit.rank = store_col_double(r, STORE_DOC_NCOLS);
	ph->window = (size_t)store_col_int(r, STORE_DOC_NCOLS + 3);
	return row_page_slice(r, ph, STORE_DOC_NCOLS + 1);
}

/* SQLite's page: the rowid (ranked already), the slice, where it starts. */
static enum mtag_err row_ranked_hit(struct store_row *r, void *out)
{
	struct page_hit *ph = out;
	ph->rid = store_col_int(r, STORE_DOC_NCOLS);
	return row_page_slice(r, ph, STORE_DOC_NCOLS + 1);
}

/* Whether s (n bytes of UTF-8) holds more than max characters. */
static bool utf8_longer(const char *s, size_t n, size_t max)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars > max;
}

/*
 * The page's hits with their snippets, made from their slices once the
 * transaction is over. Without a marker (store_int.h), the title.
 * OUT: sr->out.
 */
static void search_snippets(struct search *sr)
{
	struct store_marker *mk = store_marker_new(sr->a, sr->sq);
	struct store_hit *hits = arena_alloc(sr->a, sr->n * sizeof(*hits));
	for (size_t i = 0; i < sr->n; i++) {
		const struct page_hit *ph = &sr->page[i];
		bool cut_after = ph->slice && utf8_longer(ph->slice, ph->slice_len, STORE_SLICE_CHARS);
		const char *text = store_marker_snippet(mk, sr->a, ph->slice, ph->slice_len,
							ph->cut_before, cut_after);
		const char *title = ph->hit.doc.title;
		if (mk && !(text && strstr(text, "[["))) /* the title's is shown only then */
			title = store_marker_snippet(mk, sr->a, title, title ? strlen(title) : 0,
						     false, false);
		hits[i] = ph->hit;
		hits[i].snippet = hit_snippet(sr->a, text, text ? strlen(text) : 0, title,
					      title ? strlen(title) : 0);
	}
	store_marker_free(mk);
	sr->out = hits;
}

/* A match of SQLite's window: its rowid, score and time, and whether its text has a hit. */
struct scored {
	int64_t rid, created_at;
	double score;
	bool in_text;
};

static enum mtag_err row_scored(struct store_row *r, void *out)
{
	struct scored *sc = out;
	sc->rid = store_col_int(r, 0);
	sc->score = store_col_double(r, 1);
	sc->created_at = store_col_time(r, 2);
	sc->in_text = store_col_bool(r, 3);
	return store_row_done(r, "(window)");
}

/* Best first; among equals the newest, as PostgreSQL orders them (then the last stored). */
static int scored_cmp(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at ? -1 : 1;
	return a->rid > b->rid ? -1 : a->rid < b->rid;
}

/*
 * SQLite: the window's matches with their scores (one walk of the match),
 * ranked here; the page's rows read by rowid, put in the ranking's order.
 */
static enum mtag_err search_ranked(struct store_conn *c, struct search *sr)
{
	void *rows = NULL;
	size_t n = 0;
	struct store_param wp[9];
	memcpy(wp, sr->p, 8 * sizeof(wp[0]));
	wp[8] = STORE_INT(store_search_positive(sr->sq));
	enum mtag_err e = store_many(c, sr->a, "document_search", sr->h->search_window, wp, 9,
				     row_scored, sizeof(struct scored), STORE_SEARCH_WINDOW, &rows,
				     &n);
	size_t offset = (size_t)sr->p[9].num;
	if (e)
		return e;
	sr->total = n;
	if (n <= offset)
		return ERR_OK;
	struct scored *sc = rows;
	size_t want = n - offset < sr->max ? n - offset : sr->max;
	qsort(sc, n, sizeof(*sc), scored_cmp);
	/* bounded: the page's rowids, each 20 bytes or less, then those with a hit in the text */
	struct buf ids = BUF_INIT(want * 21 + 2), in_text = BUF_INIT(want * 21 + 2);
	for (size_t i = 0; i < want; i++) {
		buf_printf(&ids, "%c%lld", i ? ',' : '[', (long long)sc[offset + i].rid);
		if (sc[offset + i].in_text)
			buf_printf(&in_text, "%c%lld", in_text.len ? ',' : '[',
				   (long long)sc[offset + i].rid);
	}
	buf_putc(&ids, ']');
	buf_puts(&in_text, in_text.len ? "]" : "[]");
	struct store_marker *mk = store_marker_new(sr->a, sr->sq);
	struct store_param p[4] = { sr->p[0], STORE_TEXT(arena_strdup(sr->a, buf_cstr(&ids))),
				    STORE_TEXT(store_marker_marks(mk, sr->a)),
				    STORE_TEXT(arena_strdup(sr->a, buf_cstr(&in_text))) };
	store_marker_free(mk);
	buf_release(&ids);
	buf_release(&in_text);
	void *got = NULL;
	size_t ngot = 0;
	e = store_many(c, sr->a, "document_search", sr->h->search, p, 4, row_ranked_hit,
		       sizeof(struct page_hit), want, &got, &ngot);
	if (e)
		return e;
	struct page_hit *page = arena_alloc(sr->a, want * sizeof(*page)), *in = got;
	for (size_t i = 0; i < want; i++)
		for (size_t k = 0; k < ngot; k++)
			if (in[k].rid == sc[offset + i].rid) {
				page[sr->n] = in[k];
				page[sr->n++].hit.rank = sc[offset + i].score;
				break;
			}
	sr->page = page;
	return ERR_OK;
}

/*
 * PostgreSQL's page has the window at hand and gives its size on each row;
 * the window is counted alone only for an empty page past the first (or of
 * no rows): an empty first page means no match.
 */
static enum mtag_err search_tx(struct store_conn *c, void *ctx)
{
	struct search *sr = ctx;
	enum mtag_err e;
	sr->out = NULL; /* a retried transaction starts over */
	sr->page = NULL;
	sr->n = sr->total = 0;
	sr->nothing = false;
	e = search_render(c, sr);
	if (e || sr->nothing)
		return e;
	if (sr->h->search_ranked)
		return search_ranked(c, sr);
	void *rows = NULL;
	size_t n = 0;
	e = store_many(c, sr->a, "document_search", sr->h->search, sr->p, 14, row_counted_hit,
		       sizeof(struct page_hit), sr->max, &rows, &n);
	if (e)
		return e;
	if (!n && sr->p[8].num > 0 && sr->p[9].num == 0)
		return ERR_OK; /* a first page with no hit: no match at all */
	if (!n)
		return store_one(c, NULL, "document_search", sr->h->search_window, sr->p, 8,
				 row_count, &sr->total);
	sr->page = rows;
	sr->n = n;
	sr->total = sr->page[0].window;
	return ERR_OK;
}

enum mtag_err store_document_search(struct store *s, struct arena *a, const char *owner,
				    const char *query, const struct store_doc_filter *f,
				    size_t limit, size_t offset, struct store_hit **out, size_t *n,
				    size_t *total)
{
	struct search sr = { .a = a, .h = s->drv->dialect->history, .f = f,
			     .max = store_list_cap(limit) };
	char who[UUID_STR_LEN];

	store_history_clear(out, n, total);
	if (!store_copy_uuid(who, owner) || !store_history_filter(a, who, f, sr.p))
		return ERR_OK;
	sr.owner = who;
	sr.sq = store_search_parse(a, query);
	if (!store_search_first_word(a, sr.sq))
		return ERR_OK; /* no usable word: nothing, not everything */
	sr.p[8] = STORE_INT(store_list_cap(limit));
	sr.p[9] = STORE_INT(store_list_cap(offset));
	enum mtag_err e = store_tx(s, "document_search", STORE_TX_SNAPSHOT, search_tx, &sr);
	if (e)
		return e;
	if (sr.page)
		search_snippets(&sr);
	*out = sr.out;
	*n = sr.n;
	if (total)
		*total = sr.total;
	return ERR_OK;
}
