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
 * but a first "bigrams" (migration 0018), then a "ligatures" (0014) or
 * "letters" (0016): each token's letters are then written as PostgreSQL's
 * unaccent writes them ("strasse" finds "Straße", "oresund" "Øresund";
 * store_fts_fold). A binary older than an option cannot open the table
 * (unicode61 refuses the word), so it cannot write tokens the index does
 * not have.
 *
 * "bigrams": Chinese and Japanese are written without spaces, so unicode61
 * gives a whole run of them as one token ("第一季度报告全文"), and a word
 * within it ("季度报告") was never found. A run of them is indexed as its
 * overlapping pairs of letters and its last letter alone (第一 一季 季度 ...
 * 全文 文), and a query's run as its pairs (季度 度报 报告: a phrase of them)
 * or, for one letter, the letter (a prefix of the pairs it begins).
 * Registered on every connection (store_sqlite.c), before the migrations run,
 * with the search's ranking function mtag_rank (below).
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/utf8.h"
#include "store_int.h"

#define FTS_KEY_LEN STORE_SEARCH_KEY_LEN
#define FTS_TOKEN_STACK 256
#define FTS_MAX_ARGS 14 /* unicode61's options given after the name (its own take 6 at most) */

struct fts_tokenizer {
	fts5_tokenizer base; /* unicode61's methods */
	Fts5Tokenizer *inner;
	enum store_fold fold; /* store_fts_fold on each token (the options "ligatures", "letters") */
	bool bigrams;         /* the option "bigrams" */
};

/* One xTokenize call: the caller's callback and the buffer for qualified tokens. */
struct fts_call {
	void *ctx;
	int (*token)(void *ctx, int tflags, const char *tok, int n, int start, int end);
	enum store_fold fold;
	bool bigrams;
	bool query;           /* tokenizing a query (FTS5_TOKENIZE_QUERY), not a document */
	char key[FTS_KEY_LEN];
	char stack[FTS_TOKEN_STACK];
	char *heap;
	size_t heap_cap;
};

/* The ligatures unaccent writes as two letters (STORE_FOLD_LIGATURES and up). */
static const struct fts_fold {
	unsigned cp;
	const char *to;
} fts_ligatures[] = {
	{ 0x00DF, "ss" }, { 0x00E6, "ae" }, { 0x00FE, "th" }, { 0x0133, "ij" }, { 0x0153, "oe" },
};

/*
 * The other letters (STORE_FOLD_LETTERS) unaccent writes as base letters
 * that unicode61 keeps as they are: Latin letters with a stroke, hook or
 * bar, Latin ligatures and Roman numerals, by code point. Greek letters
 * with accents (unicode61 keeps them) go to their base letter by Unicode's
 * decomposition, "ё" to "е"; full-width letters and digits to ASCII.
 */
static const struct fts_fold fts_letters[] = {
	{ 0x00F0, "d" },  { 0x00F8, "o" },  { 0x0111, "d" },  { 0x0127, "h" },  { 0x0131, "i" },
	{ 0x0138, "q" },  { 0x0140, "l" },  { 0x0142, "l" },  { 0x014B, "n" },  { 0x0167, "t" },
	{ 0x0180, "b" },  { 0x0183, "b" },  { 0x0188, "c" },  { 0x018C, "d" },  { 0x0192, "f" },
	{ 0x0199, "k" },  { 0x019A, "l" },  { 0x019E, "n" },  { 0x01A5, "p" },  { 0x01AB, "t" },
	{ 0x01AD, "t" },  { 0x01B4, "y" },  { 0x01B6, "z" },  { 0x01C6, "dz" }, { 0x01C9, "lj" },
	{ 0x01CC, "nj" }, { 0x01E5, "g" },  { 0x01F3, "dz" }, { 0x0225, "z" },  { 0x023C, "c" },
	{ 0x023F, "s" },  { 0x0240, "z" },  { 0x0247, "e" },  { 0x0249, "j" },  { 0x024D, "r" },
	{ 0x024F, "y" },  { 0x0253, "b" },  { 0x0256, "d" },  { 0x0257, "d" },  { 0x025B, "e" },
	{ 0x0260, "g" },  { 0x0268, "i" },  { 0x026B, "l" },  { 0x0272, "n" },  { 0x0282, "s" },
	{ 0x0288, "t" },  { 0x0289, "u" },  { 0x028B, "v" },  { 0x0290, "z" },  { 0x0291, "z" },
	{ 0x0451, "\xD0\xB5" /* е */ },
	{ 0x2170, "i" },  { 0x2171, "ii" }, { 0x2172, "iii" }, { 0x2173, "iv" }, { 0x2174, "v" },
	{ 0x2175, "vi" }, { 0x2176, "vii" }, { 0x2177, "viii" }, { 0x2178, "ix" }, { 0x2179, "x" },
	{ 0x217A, "xi" }, { 0x217B, "xii" }, { 0x217C, "l" },  { 0x217D, "c" },  { 0x217E, "d" },
	{ 0x217F, "m" },
	{ 0xFB00, "ff" }, { 0xFB01, "fi" }, { 0xFB02, "fl" }, { 0xFB03, "ffi" }, { 0xFB04, "ffl" },
	{ 0xFB05, "st" }, { 0xFB06, "st" },
};

/*
 * Arabic and Hebrew vowel marks (harakat, niqqud, cantillation): unicode61
 * splits words at them ("حَبيبي" was "ح" and "بيبي"); the index takes them as
 * word characters (tokenchars, store_fts_marks) and the fold drops them, so
 * that a word typed without them, as it usually is, finds it.
 */
static const struct {
	unsigned lo, hi;
} fts_mark_ranges[] = {
	{ 0x0591, 0x05BD }, { 0x05BF, 0x05BF }, { 0x05C1, 0x05C2 }, { 0x05C4, 0x05C5 },
	{ 0x05C7, 0x05C7 }, { 0x064B, 0x065F }, { 0x0670, 0x0670 },
};
#define FTS_NMARK_RANGES (sizeof(fts_mark_ranges) / sizeof(fts_mark_ranges[0]))

bool store_fts_mark(unsigned cp)
{
	for (size_t i = 0; i < FTS_NMARK_RANGES; i++)
		if (cp >= fts_mark_ranges[i].lo && cp <= fts_mark_ranges[i].hi)
			return true;
	return false;
}

static char fts_marks[512];
static pthread_once_t fts_marks_once = PTHREAD_ONCE_INIT;

static void fts_marks_init(void)
{
	size_t n = 0;
	for (size_t i = 0; i < FTS_NMARK_RANGES; i++)
		for (unsigned cp = fts_mark_ranges[i].lo; cp <= fts_mark_ranges[i].hi; cp++)
			n += utf8_put(fts_marks + n, cp);
	fts_marks[n] = '\0';
}

void store_fts_mark_class(struct buf *b)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < FTS_NMARK_RANGES; i++) {
		buf_printf(b, "\\u%04X", fts_mark_ranges[i].lo);
		if (fts_mark_ranges[i].hi != fts_mark_ranges[i].lo)
			buf_printf(b, "-\\u%04X", fts_mark_ranges[i].hi);
	}
	buf_putc(b, ']');
}

const char *store_fts_marks(void)
{
	pthread_once(&fts_marks_once, fts_marks_init);
	return fts_marks;
}

static const char *fts_find(const struct fts_fold *t, size_t n, unsigned cp)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t[mid].cp == cp)
			return t[mid].to;
		if (t[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Lead bytes of the code points folded: the rest (ASCII, Cyrillic, CJK...) goes by at once. */
static bool fts_fold_lead(unsigned char c)
{
	return (c >= 0xC3 && c <= 0xCA) || (c >= 0xCD && c <= 0xCF) || c == 0xD1 || c == 0xD6 ||
	       c == 0xD7 || c == 0xD9 || c == 0xE1 || c == 0xE2 || c == 0xEF;
}

/*
 * What s[i..n) begins with folds to (*used bytes of it), or NULL; a letter
 * computed is written into buf (room for 5 bytes).
 */
static const char *fts_fold_at(enum store_fold f, const char *s, size_t n, size_t i,
			       size_t *used, char buf[5])
{
	if (f == STORE_FOLD_NONE || !fts_fold_lead((unsigned char)s[i]))
		return NULL;
	unsigned cp = utf8_get(s + i, n - i, used);
	const char *to = fts_find(fts_ligatures, sizeof(fts_ligatures) / sizeof(fts_ligatures[0]), cp);
	if (to || f == STORE_FOLD_LIGATURES)
		return to;
	if ((to = fts_find(fts_letters, sizeof(fts_letters) / sizeof(fts_letters[0]), cp)))
		return to;
	if (store_fts_mark(cp))
		return "";
	unsigned base = cp >= 0xFF10 && cp <= 0xFF19 ? '0' + cp - 0xFF10
			: cp >= 0xFF21 && cp <= 0xFF3A ? 'a' + cp - 0xFF21
			: cp >= 0xFF41 && cp <= 0xFF5A ? 'a' + cp - 0xFF41
			: (cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x1F00 && cp <= 0x1FFF)
				? utf8_lower_cp(utf8_base_letter(cp))
				: cp;
	if (base == cp)
		return NULL;
	buf[utf8_put(buf, base)] = '\0';
	return buf;
}

bool store_fts_folds(enum store_fold f, const char *s, size_t n)
{
	char buf[5];
	size_t used;
	for (size_t i = 0; i < n; i++)
		if (fts_fold_at(f, s, n, i, &used, buf))
			return true;
	return false;
}

size_t store_fts_fold(enum store_fold f, const char *s, size_t n, char *out)
{
	size_t o = 0, used;
	char buf[5];
	for (size_t i = 0; i < n;) {
		const char *to = fts_fold_at(f, s, n, i, &used, buf);
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

/* The token tok (n bytes), folded, behind the key. */
static int fts_emit(struct fts_call *c, int tflags, const char *tok, int n, int start, int end)
{
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
	if (len == 0)
		return SQLITE_OK; /* marks alone: no word */
	return c->token(c->ctx, tflags, out, (int)(FTS_KEY_LEN + len), start + FTS_KEY_LEN + 1,
			end + FTS_KEY_LEN + 1);
}

/*
 * A run of unspaced letters at tok[0..n): its pairs, then (in a document,
 * or alone in a query) its last letter. The pieces keep the token's offsets:
 * nothing reads an offset of this index (snippets are made in C).
 */
static int fts_pairs(struct fts_call *c, int tflags, const char *tok, size_t n, int start,
		     int end)
{
	int rc = SQLITE_OK;
	size_t a = 0, b = utf8_unspaced_at(tok, n, 0);
	while (rc == SQLITE_OK && a + b < n) {
		size_t next = utf8_unspaced_at(tok, n, a + b);
		rc = fts_emit(c, tflags, tok + a, (int)(b + next), start, end);
		a += b;
		b = next;
	}
	if (rc == SQLITE_OK && (!c->query || a == 0))
		rc = fts_emit(c, tflags, tok + a, (int)b, start, end);
	return rc;
}

static int fts_qualify(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
	struct fts_call *c = ctx;
	size_t i = 0, len = (size_t)n;
	/* Unspaced letters start at U+3005 (lead byte E3): most tokens are passed at a glance. */
	while (c->bigrams && i < len && (unsigned char)tok[i] < 0xE3)
		i++;
	while (c->bigrams && i < len && !utf8_unspaced_at(tok, len, i))
		i++;
	if (!c->bigrams || i == len)
		return fts_emit(c, tflags, tok, n, start, end); /* no unspaced letter: as it is */
	/* Runs of other letters as tokens of their own, runs of unspaced ones as pairs. */
	int rc = SQLITE_OK;
	for (i = 0; rc == SQLITE_OK && i < len;) {
		size_t j = i, step;
		bool unspaced = utf8_unspaced_at(tok, len, i) > 0;
		while (j < len && (utf8_unspaced_at(tok, len, j) > 0) == unspaced) {
			utf8_get(tok + j, len - j, &step);
			j += step;
		}
		rc = unspaced ? fts_pairs(c, tflags, tok + i, j - i, start, end)
			      : fts_emit(c, tflags, tok + i, (int)(j - i), start, end);
		i = j;
	}
	return rc;
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	struct fts_tokenizer *ft = (struct fts_tokenizer *)t;
	struct fts_call c = { .ctx = ctx, .token = token, .fold = ft->fold, .bigrams = ft->bigrams,
			      .query = (flags & FTS5_TOKENIZE_QUERY) != 0 };
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
	ft->bigrams = argc > 0 && !strcmp(argv[0], "bigrams");
	argv += ft->bigrams;
	argc -= ft->bigrams;
	ft->fold = argc > 0 && !strcmp(argv[0], "letters")     ? STORE_FOLD_LETTERS
		   : argc > 0 && !strcmp(argv[0], "ligatures") ? STORE_FOLD_LIGATURES
							       : STORE_FOLD_NONE;
	argv += ft->fold != STORE_FOLD_NONE;
	argc -= ft->fold != STORE_FOLD_NONE;
	/* "letters" keeps the vowel marks inside words, for the fold to drop: two more. */
	const char *args[FTS_MAX_ARGS + 2];
	if (argc < 0 || argc > FTS_MAX_ARGS) {
		free(ft);
		return SQLITE_ERROR;
	}
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	if (ft->fold == STORE_FOLD_LETTERS) {
		args[argc++] = "tokenchars";
		args[argc++] = store_fts_marks();
	}
	rc = fts->xFindTokenizer(fts, "unicode61", &uctx, &ft->base);
	if (rc == SQLITE_OK)
		rc = ft->base.xCreate(uctx, args, argc, &ft->inner);
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
