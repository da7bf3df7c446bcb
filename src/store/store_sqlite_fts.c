/*
 * store_sqlite_fts.c - the FTS5 tokenizer "mtag": SQLite's unicode61 with
 * every token qualified by its owner, so that one user's search reads one
 * user's part of the index.
 *
 * Why: an FTS5 MATCH is global. A prefix term ("tech"*) is evaluated by
 * merging the doclists of every term that starts with it - every user's
 * postings - before anything can restrict it to one owner, so a search cost
 * grew with all documents, not the user's (bench/RESULTS.md, issue 7). With
 * the owner inside each token, "u1a2b3c4d5e6f tech"* only walks the terms of
 * that owner.
 *
 * The owner travels in the text: the indexed columns (migration 0008) and
 * every phrase of a query (store_search.c) start with the owner key, "u" and
 * the last 12 hex digits of the user's UUID, and one space. The key is
 * removed before unicode61 sees the text and prepended to each token it
 * gives; offsets stay those of the original text, so snippet() never shows
 * the key. Text that does not start with a key gives no token at all: it can
 * neither be found nor find anything. Two users whose ids share the last 12
 * digits share index terms, which costs speed, never privacy: every search
 * also filters documents.user_id.
 *
 * Arguments after the name go to unicode61 ('mtag remove_diacritics 2'),
 * but a first "ligatures" (migration 0014) or "letters" (0016): each
 * token's letters are then written as PostgreSQL's unaccent writes them
 * ("strasse" finds "Straße", "oresund" "Øresund"; store_fts_fold). A binary
 * older than that option cannot open the table (unicode61 refuses the
 * word), so it cannot write tokens the index does not have.
 * Registered on every connection (store_sqlite.c), before the migrations run,
 * with the search's ranking function mtag_rank (below).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define FTS_KEY_LEN STORE_SEARCH_KEY_LEN
#define FTS_TOKEN_STACK 256

struct fts_tokenizer {
	fts5_tokenizer base; /* unicode61's methods */
	Fts5Tokenizer *inner;
	enum store_fold fold; /* store_fts_fold on each token (the options "ligatures", "letters") */
};

/* One xTokenize call: the caller's callback and the buffer for qualified tokens. */
struct fts_call {
	void *ctx;
	int (*token)(void *ctx, int tflags, const char *tok, int n, int start, int end);
	enum store_fold fold;
	char key[FTS_KEY_LEN];
	char stack[FTS_TOKEN_STACK];
	char *heap;
	size_t heap_cap;
};

/* Each letter and what it is indexed as; the first FTS_NLIGATURES are the ligatures. */
static const struct {
	const char *from, *to;
} fts_folds[] = {
	{ "ß", "ss" }, { "æ", "ae" }, { "œ", "oe" }, { "þ", "th" }, { "ĳ", "ij" },
	{ "ø", "o" }, { "ł", "l" }, { "đ", "d" }, { "ħ", "h" }, { "ŧ", "t" }, { "ı", "i" },
	{ "ŀ", "l" }, { "ƀ", "b" },
	{ "ⅰ", "i" }, { "ⅱ", "ii" }, { "ⅲ", "iii" }, { "ⅳ", "iv" }, { "ⅴ", "v" }, { "ⅵ", "vi" },
	{ "ⅶ", "vii" }, { "ⅷ", "viii" }, { "ⅸ", "ix" }, { "ⅹ", "x" }, { "ⅺ", "xi" },
	{ "ⅻ", "xii" }, { "ⅼ", "l" }, { "ⅽ", "c" }, { "ⅾ", "d" }, { "ⅿ", "m" },
};
#define FTS_NLIGATURES 5
#define FTS_NFOLDS (sizeof(fts_folds) / sizeof(fts_folds[0]))

/*
 * What s[i..n) begins with folds to (*used bytes of it), or NULL. A
 * full-width letter or digit (U+FF10-FF19, FF21-FF3A, FF41-FF5A) is
 * written into one[].
 */
static const char *fts_fold_at(enum store_fold f, const char *s, size_t n, size_t i,
			       size_t *used, char one[2])
{
	const unsigned char *u = (const unsigned char *)s + i;
	/* Only these lead bytes begin a folded letter: Cyrillic, CJK and the rest go by. */
	if (f == STORE_FOLD_NONE || !((u[0] >= 0xC3 && u[0] <= 0xC6) || u[0] == 0xE2 || u[0] == 0xEF))
		return NULL;
	if (f == STORE_FOLD_LETTERS && n - i >= 3 && u[0] == 0xEF && (u[1] == 0xBC || u[1] == 0xBD)) {
		unsigned cp = 0xF000 | (unsigned)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
		char c = cp >= 0xFF10 && cp <= 0xFF19 ? (char)('0' + cp - 0xFF10)
			 : cp >= 0xFF21 && cp <= 0xFF3A ? (char)('a' + cp - 0xFF21)
			 : cp >= 0xFF41 && cp <= 0xFF5A ? (char)('a' + cp - 0xFF41) : 0;
		if (c) {
			one[0] = c;
			one[1] = '\0';
			*used = 3;
			return one;
		}
	}
	size_t count = f == STORE_FOLD_LETTERS ? FTS_NFOLDS : FTS_NLIGATURES;
	for (size_t k = 0; k < count; k++) {
		size_t len = strlen(fts_folds[k].from);
		if (n - i >= len && !memcmp(s + i, fts_folds[k].from, len)) {
			*used = len;
			return fts_folds[k].to;
		}
	}
	return NULL;
}

bool store_fts_folds(enum store_fold f, const char *s, size_t n)
{
	char one[2];
	size_t used;
	for (size_t i = 0; i < n; i++)
		if (fts_fold_at(f, s, n, i, &used, one))
			return true;
	return false;
}

size_t store_fts_fold(enum store_fold f, const char *s, size_t n, char *out)
{
	size_t o = 0, used;
	char one[2];
	for (size_t i = 0; i < n;) {
		const char *to = fts_fold_at(f, s, n, i, &used, one);
		if (to) {
			size_t k = strlen(to); /* at most 4 letters for at least 2 bytes */
			memcpy(out + o, to, k);
			o += k;
			i += used;
		} else {
			out[o++] = s[i++];
		}
	}
	return o;
}

static bool fts_key_ok(const char *s, int n)
{
	if (n < FTS_KEY_LEN + 1 || s[0] != 'u' || s[FTS_KEY_LEN] != ' ')
		return false;
	for (int i = 1; i < FTS_KEY_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int fts_qualify(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
	struct fts_call *c = ctx;
	size_t need = FTS_KEY_LEN + 2 * (size_t)n; /* a fold writes at most twice the bytes */
	char *out = c->stack;

	if (need > sizeof(c->stack)) {
		if (need > c->heap_cap) {
			char *grown = realloc(c->heap, need);
			if (!grown)
				return SQLITE_NOMEM;
			c->heap = grown;
			c->heap_cap = need;
		}
		out = c->heap;
	}
	memcpy(out, c->key, FTS_KEY_LEN);
	size_t len = store_fts_fold(c->fold, tok, (size_t)n, out + FTS_KEY_LEN);
	return c->token(c->ctx, tflags, out, (int)(FTS_KEY_LEN + len), start + FTS_KEY_LEN + 1,
			end + FTS_KEY_LEN + 1);
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	struct fts_tokenizer *ft = (struct fts_tokenizer *)t;
	struct fts_call c = { .ctx = ctx, .token = token, .fold = ft->fold };
	int rc;

	if (!text || !fts_key_ok(text, n))
		return SQLITE_OK;
	memcpy(c.key, text, FTS_KEY_LEN);
	rc = ft->base.xTokenize(ft->inner, &c, flags, text + FTS_KEY_LEN + 1, n - FTS_KEY_LEN - 1,
				fts_qualify);
	free(c.heap);
	return rc;
}

static int fts_create(void *api, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *fts = api;
	struct fts_tokenizer *ft = calloc(1, sizeof(*ft));
	void *uctx = NULL;
	int rc;

	*out = NULL;
	if (!ft)
		return SQLITE_NOMEM;
	ft->fold = argc > 0 && !strcmp(argv[0], "letters")     ? STORE_FOLD_LETTERS
		   : argc > 0 && !strcmp(argv[0], "ligatures") ? STORE_FOLD_LIGATURES
							       : STORE_FOLD_NONE;
	argv += ft->fold != STORE_FOLD_NONE;
	argc -= ft->fold != STORE_FOLD_NONE;
	rc = fts->xFindTokenizer(fts, "unicode61", &uctx, &ft->base);
	if (rc == SQLITE_OK)
		rc = ft->base.xCreate(uctx, argv, argc, &ft->inner);
	if (rc != SQLITE_OK) {
		free(ft);
		return rc;
	}
	*out = (Fts5Tokenizer *)ft;
	return SQLITE_OK;
}

static void fts_delete(Fts5Tokenizer *t)
{
	struct fts_tokenizer *ft = (struct fts_tokenizer *)t;

	ft->base.xDelete(ft->inner);
	free(ft);
}

/*
 * mtag_rank(documents_fts, P, N, weight...): FTS5's bm25 (k1 1.2, b 0.75,
 * each hit weighted by its column's weight, the row's length against the
 * table's mean, the same inverse document frequencies) over the query's
 * first P phrases: the words the user typed. N is the rows the phrases are
 * counted among: the owner's documents, as every token is keyed by its
 * owner (store_search.c), where bm25 takes every row of the table (then
 * another user's library changes how this one's words weigh: a word in
 * every document of the owner still weighed as a rare one); NULL or less
 * than 1 for every row. The phrases after them are the wanted
 * tags (store_search.c writes them last), filters that every row matched
 * has and that bm25 ranked too. With one phrase the inverse document
 * frequency is left out: it weighs phrases against one another and does
 * not change the order of the rows, and bm25 got it by walking every row
 * of each phrase a second time (a common word's search took twice as long,
 * a prefix merged all of its terms again; bench/RESULTS.md). Higher is
 * better.
 */
#define RANK_K1 1.2
#define RANK_B 0.75
#define RANK_COLUMNS 8 /* weights read; a column past them weighs 1 */

/* The query's constants, computed at its first row (words: the P of that call). */
struct rank_query {
	double mean_len;
	int words;
	double idf[];
};

static int rank_count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *count)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)count)++;
	return SQLITE_OK;
}

static struct rank_query *rank_query(const Fts5ExtensionApi *api, Fts5Context *fts, int nphrase,
				     sqlite3_int64 owned, int *rc)
{
	struct rank_query *q = api->xGetAuxdata(fts, 0);
	sqlite3_int64 rows = 0, tokens = 0;

	if (q)
		return q;
	q = sqlite3_malloc64(sizeof(*q) + (size_t)nphrase * sizeof(double));
	if (!q) {
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	q->words = nphrase;
	*rc = api->xRowCount(fts, &rows);
	if (*rc == SQLITE_OK)
		*rc = api->xColumnTotalSize(fts, -1, &tokens);
	q->mean_len = rows > 0 && tokens > 0 ? (double)tokens / (double)rows : 1.0;
	if (owned > 0)
		rows = owned;
	for (int i = 0; *rc == SQLITE_OK && i < nphrase; i++) {
		sqlite3_int64 hits = 0;
		if (nphrase > 1)
			*rc = api->xQueryPhrase(fts, i, &hits, rank_count_row);
		/* hits past rows (a count that lags): the word is everywhere. */
		double idf = log(((double)rows - (double)hits + 0.5) / ((double)hits + 0.5));
		q->idf[i] = nphrase == 1 ? 1.0 : idf > 0.0 ? idf : 1e-6;
	}
	if (*rc == SQLITE_OK)
		*rc = api->xSetAuxdata(fts, q, sqlite3_free);
	else
		sqlite3_free(q);
	return *rc == SQLITE_OK ? q : NULL;
}

static void fts_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		     int nval, sqlite3_value **val)
{
	int nphrase = api->xPhraseCount(fts), len = 0, rc = SQLITE_OK;
	int words = nval > 0 ? sqlite3_value_int(val[0]) : nphrase;
	sqlite3_int64 owned = nval > 1 ? sqlite3_value_int64(val[1]) : 0;
	double weight[RANK_COLUMNS], score = 0.0;

	if (words < 1 || words > nphrase)
		words = nphrase;
	for (int c = 0; c < RANK_COLUMNS; c++)
		weight[c] = c + 2 < nval ? sqlite3_value_double(val[c + 2]) : 1.0;
	struct rank_query *q = rank_query(api, fts, words, owned, &rc);
	if (q) {
		words = words < q->words ? words : q->words; /* one P a query: the first call's */
		rc = api->xColumnSize(fts, -1, &len);
	}
	double norm = RANK_K1 * (1.0 - RANK_B + RANK_B * (double)len / (q ? q->mean_len : 1.0));
	for (int i = 0; rc == SQLITE_OK && i < words; i++) {
		Fts5PhraseIter it;
		int col, off;
		double freq = 0.0;
		rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		for (; rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			freq += col < RANK_COLUMNS ? weight[col] : 1.0;
		score += q->idf[i] * freq * (RANK_K1 + 1.0) / (freq + norm);
	}
	if (rc == SQLITE_OK)
		sqlite3_result_double(ctx, score);
	else
		sqlite3_result_error_code(ctx, rc);
}

/*
 * mtag_hit_in(documents_fts, P, column): 1 when one of the query's first P
 * phrases (the words typed) has a hit in that column of the row, else 0:
 * whether a snippet's slice is worth looking for in the text (a hit by its
 * title alone is not; store_history.c).
 */
static void fts_hit_in(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		       int nval, sqlite3_value **val)
{
	int nphrase = api->xPhraseCount(fts), rc = SQLITE_OK, hit = 0;
	int words = nval > 0 ? sqlite3_value_int(val[0]) : nphrase;
	int want = nval > 1 ? sqlite3_value_int(val[1]) : 0;

	if (words < 1 || words > nphrase)
		words = nphrase;
	for (int i = 0; rc == SQLITE_OK && !hit && i < words; i++) {
		Fts5PhraseIter it;
		int col, off;
		rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		for (; rc == SQLITE_OK && col >= 0 && !hit; api->xPhraseNext(fts, &it, &col, &off))
			hit = col == want;
	}
	if (rc == SQLITE_OK)
		sqlite3_result_int(ctx, hit);
	else
		sqlite3_result_error_code(ctx, rc);
}

struct fts5_api *store_sqlite_fts5(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api && api->iVersion >= 2 ? api : NULL;
}

int store_sqlite_fts_register(sqlite3 *db)
{
	static fts5_tokenizer methods = { fts_create, fts_delete, fts_tokenize };
	fts5_api *api = store_sqlite_fts5(db);

	if (!api)
		return SQLITE_ERROR;
	int rc = api->xCreateTokenizer(api, "mtag", api, &methods, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "mtag_rank", NULL, fts_rank, NULL);
	return rc == SQLITE_OK ? api->xCreateFunction(api, "mtag_hit_in", NULL, fts_hit_in, NULL) : rc;
}
