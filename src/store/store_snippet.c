/*
 * store_snippet.c - a search hit's snippet: SNIPPET_TOKENS tokens of a
 * slice of its text from a few before its first match, each matching token
 * between [[ and ]], "… " before when the fragment does not start the text
 * and " …" after when more follows; without a match, the slice's first
 * tokens. The text between tokens is copied as it is (so is a short run
 * before the text's first token or after its last: a title's "-" or
 * "(draft)"; squeezed later,
 * store_history.c) but for brackets: a space is put between two that would
 * touch, so that [[ and ]] in a snippet are always marks (a text may hold
 * "[[" itself).
 *
 * Tokens are marked against the query's words and their stems
 * (store_search_marks), token by token, on both databases: PostgreSQL's
 * ts_headline parsed every text it was given at ~50 µs a KB, ~2.5 ms of a
 * page of 50, and FTS5's own marks needed the ranked rows read back through
 * the index, which merged a prefix's terms once more (bench/RESULTS.md).
 * Both use SQLite's unicode61 tokenizer (diacritics removed): the tokens of
 * SQLite's index, and PostgreSQL's words but for the few its parser or
 * unaccent split or fold otherwise (hyphenated words, ligatures), which can
 * only leave a word unmarked.
 *
 * Thread-safety: the tokenizer's methods are looked up once, on a private
 * in-memory connection kept for the process; each marker has its own
 * tokenizer instance.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/log.h"
#include "store_int.h"

#define SNIPPET_BEFORE 3 /* tokens shown before the first match */
/* What stands before the text's first token or after its last (a title's
 * "-", "(draft)") is kept when it is this short. */
#define SNIPPET_EDGE 80
#define SNIPPET_MAX_BYTES (16 * 1024)

/*
 * The snippet being written: a tokenizer's callback (snippet_token) writes
 * it, token by token, once begun at the first match's token (-1: none) and
 * with marked[] set for the tokens [first, last); snippet_end gives it
 * (malloc'd; empty when the text has no token).
 */
#define SNIPPET_TOKENS 16
struct snippet {
	const char *text;
	int first, last; /* the fragment: tokens [first, last) */
	bool marked[SNIPPET_TOKENS];
	int seen;        /* tokens so far */
	int end;         /* byte after the last token copied, -1 before the first */
	bool lead;       /* the text's start is whole: what precedes its first token is kept */
	bool more;       /* a token past the fragment */
	struct buf out;
};

static void snippet_begin(struct snippet *sn, const char *text, int first_match)
{
	memset(sn, 0, sizeof(*sn));
	sn->text = text;
	sn->first = first_match > SNIPPET_BEFORE ? first_match - SNIPPET_BEFORE : 0;
	sn->last = sn->first + SNIPPET_TOKENS;
	sn->end = -1;
	sn->out = (struct buf)BUF_INIT(SNIPPET_MAX_BYTES);
	if (sn->first > 0)
		buf_puts(&sn->out, "… ");
}

/* c, after a space when it and the last byte written are both brackets. */
static void put_apart(struct buf *out, char c)
{
	char last = out->len ? out->ptr[out->len - 1] : '\0';
	if ((c == '[' || c == ']') && (last == '[' || last == ']'))
		buf_putc(out, ' ');
	buf_putc(out, c);
}

/* The text between two tokens (unicode61 tokens hold no bracket). */
static void put_gap(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_apart(out, s[i]);
}

static int snippet_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
	struct snippet *sn = ctx;
	(void)token;
	(void)n;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	int i = sn->seen++;
	if (i < sn->first)
		return SQLITE_OK;
	if (i >= sn->last) {
		sn->more = true;
		return SQLITE_DONE; /* the rest of the value is not read */
	}
	if (sn->end >= 0 && start > sn->end)
		put_gap(&sn->out, sn->text + sn->end, (size_t)(start - sn->end));
	else if (sn->end < 0 && i == 0 && sn->lead && start <= SNIPPET_EDGE)
		put_gap(&sn->out, sn->text, (size_t)start);
	bool m = sn->marked[i - sn->first];
	if (m) {
		put_apart(&sn->out, '[');
		buf_putc(&sn->out, '[');
	}
	buf_append(&sn->out, sn->text + start, (size_t)(end - start));
	if (m)
		buf_puts(&sn->out, "]]");
	sn->end = end;
	return SQLITE_OK;
}

static char *snippet_end(struct snippet *sn, size_t *len)
{
	if (sn->more)
		buf_puts(&sn->out, " …");
	return buf_detach(&sn->out, len);
}

/* ---- marked against the query's words ---- */

static struct {
	sqlite3 *db; /* kept open: the methods below belong to it */
	fts5_tokenizer methods;
	void *uctx;
	bool ok;
} uni;
static pthread_once_t uni_once = PTHREAD_ONCE_INIT;

static void uni_init(void)
{
	if (sqlite3_open_v2(":memory:", &uni.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK)
		return;
	fts5_api *api = store_sqlite_fts5(uni.db);
	uni.ok = api && api->xFindTokenizer(api, "unicode61", &uni.uctx, &uni.methods) == SQLITE_OK;
	if (!uni.ok) /* a hit's snippet is then its title */
		log_warn("store.snippet.no_tokenizer", "msg=%s", "SQLite has no FTS5 unicode61");
}

struct store_marker {
	Fts5Tokenizer *tok;
	struct search_mark *marks; /* folded as the text's tokens are */
	size_t n;
};

/* Gathers the tokens a tokenizer gives for one mark, folded, end to end. */
struct fold {
	char buf[8 * 64 + 1];
	size_t len;
};

static int fold_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
	struct fold *f = ctx;
	(void)start;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED || f->len + 2 * (size_t)n >= sizeof(f->buf))
		return SQLITE_OK;
	f->len += store_fts_fold(STORE_FOLD_LETTERS, token, (size_t)n, f->buf + f->len);
	return SQLITE_OK;
}

struct store_marker *store_marker_new(struct arena *a, const struct search_query *sq)
{
	const char *args[] = { "remove_diacritics", "2", "tokenchars", store_fts_marks() };
	struct store_marker *mk = arena_alloc(a, sizeof(*mk));
	struct search_mark *raw = NULL;
	size_t n = store_search_marks(a, sq, &raw);

	pthread_once(&uni_once, uni_init);
	if (!uni.ok || uni.methods.xCreate(uni.uctx, args, 4, &mk->tok) != SQLITE_OK)
		return NULL;
	mk->marks = arena_alloc(a, (n ? n : 1) * sizeof(*mk->marks));
	mk->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct fold f = { .len = 0 };
		uni.methods.xTokenize(mk->tok, &f, FTS5_TOKENIZE_DOCUMENT, raw[i].s,
				      (int)strlen(raw[i].s), fold_token);
		if (!f.len)
			continue;
		mk->marks[mk->n].s = arena_strndup(a, f.buf, f.len);
		mk->marks[mk->n++].prefix = raw[i].prefix;
	}
	return mk;
}

void store_marker_free(struct store_marker *mk)
{
	if (mk)
		uni.methods.xDelete(mk->tok);
}

/*
 * Whether the text's token (folded as the index folds it, store_fts_fold)
 * is one a mark matches. A mark is at most sizeof(struct fold) bytes, so
 * only that much of a token is compared.
 */
static bool marker_match(const struct store_marker *mk, const char *token, int n)
{
	char folded[2 * sizeof(((struct fold *)0)->buf)];
	size_t len = (size_t)n;
	if (store_fts_folds(STORE_FOLD_LETTERS, token, len)) {
		len = store_fts_fold(STORE_FOLD_LETTERS, token,
				     len < sizeof(folded) / 2 ? len : sizeof(folded) / 2, folded);
		token = folded;
	}
	for (size_t i = 0; i < mk->n; i++) {
		const char *m = mk->marks[i].s;
		size_t k = strlen(m), step;
		unsigned cp = utf8_get(m, k, &step);
		/* Chinese and Japanese letters are indexed by pairs: a word of them is found
		 * anywhere in a run of them, which the text's tokenizer gives whole. */
		if (cp != UTF8_BAD && utf8_unspaced(cp) ? len >= k && memmem(token, len, m, k)
		    : len >= k && !memcmp(token, m, k) && (mk->marks[i].prefix || len == k))
			return true;
	}
	return false;
}

/*
 * A slice of a longer text may start and end within words: a token at its
 * very start (cut_before) or end (cut_after) is left out, as if beyond it.
 */
struct text_slice {
	const struct store_marker *mk;
	bool cut_before, cut_after;
	int len;
};

/* 1: the token is left out; 2: it ends the slice. */
static int slice_skip(const struct text_slice *sl, int flags, int start, int end)
{
	if (flags & FTS5_TOKEN_COLOCATED || (sl->cut_before && start == 0))
		return 1;
	return sl->cut_after && end == sl->len ? 2 : 0;
}

/* The first pass: the index of the first matching token (-1: none). */
struct first_match {
	struct text_slice sl;
	int seen, at;
};

static int first_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
	struct first_match *fm = ctx;
	int skip = slice_skip(&fm->sl, flags, start, end);
	if (skip)
		return skip == 2 ? SQLITE_DONE : SQLITE_OK;
	if (marker_match(fm->sl.mk, token, n)) {
		fm->at = fm->seen;
		return SQLITE_DONE;
	}
	fm->seen++;
	return SQLITE_OK;
}

/* The second pass: each token of the fragment marked, then written. */
struct marked {
	struct text_slice sl;
	struct snippet sn;
};

static int marked_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
	struct marked *m = ctx;
	int skip = slice_skip(&m->sl, flags, start, end);
	if (skip == 1)
		return SQLITE_OK;
	if (skip == 2) {
		m->sn.more = true;
		return SQLITE_DONE;
	}
	int i = m->sn.seen - m->sn.first;
	if (i >= 0 && i < m->sn.last - m->sn.first)
		m->sn.marked[i] = marker_match(m->sl.mk, token, n);
	return snippet_token(&m->sn, flags, token, n, start, end);
}

const char *store_marker_snippet(const struct store_marker *mk, struct arena *a, const char *text,
				 size_t len, bool cut_before, bool cut_after)
{
	if (!mk || !text || !len || len > INT_MAX)
		return NULL;
	struct text_slice sl = { .mk = mk, .cut_before = cut_before, .cut_after = cut_after,
			    .len = (int)len };
	struct first_match fm = { .sl = sl, .at = -1 };
	uni.methods.xTokenize(mk->tok, &fm, FTS5_TOKENIZE_DOCUMENT, text, (int)len, first_token);
	struct marked m = { .sl = sl };
	snippet_begin(&m.sn, text, fm.at);
	m.sn.lead = !cut_before;
	if (cut_before && m.sn.first == 0)
		buf_puts(&m.sn.out, "… ");
	uni.methods.xTokenize(mk->tok, &m, FTS5_TOKENIZE_DOCUMENT, text, (int)len, marked_token);
	if (!m.sn.more && !cut_after && m.sn.end >= 0 && len - (size_t)m.sn.end <= SNIPPET_EDGE)
		put_gap(&m.sn.out, text + m.sn.end, len - (size_t)m.sn.end);
	m.sn.more |= cut_after;
	size_t n = 0;
	char *s = snippet_end(&m.sn, &n);
	const char *out = n ? arena_strndup(a, s, n) : NULL;
	free(s);
	return out;
}

const char *store_marker_marks(const struct store_marker *mk, struct arena *a)
{
	/* bounded: at most 512 marks (store_search_marks), each a flag, 256 folded bytes, a space */
	struct buf b = BUF_INIT(512 * 258 + 1);
	const char *out = NULL;
	for (size_t i = 0; mk && i < mk->n; i++)
		buf_printf(&b, "%s%c%s", i ? " " : "", mk->marks[i].prefix ? '1' : '0', mk->marks[i].s);
	if (b.len)
		out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}

/* ---- mtag_first_match, an SQL function on SQLite's connections ---- */

/*
 * What the index holds of a text (migration 0011's substr): a match past it
 * is not looked for. The function takes the whole text and stops at its
 * first match (substr of the first 256 Ki characters cost a copy of them for
 * each hit, ~0.2 ms), so it reads at most the bytes they can take.
 */
#define FIRST_MATCH_CHARS 262144

/* A marker made from store_marker_marks' text, kept for a statement (malloc'd). */
struct sql_marker {
	struct store_marker mk;
	char *text; /* the marks point into it */
};

static void sql_marker_free(void *p)
{
	struct sql_marker *m = p;
	if (m->mk.tok)
		uni.methods.xDelete(m->mk.tok);
	free(m->mk.marks);
	free(m->text);
	free(m);
}

static struct sql_marker *sql_marker_parse(const char *marks)
{
	const char *args[] = { "remove_diacritics", "2", "tokenchars", store_fts_marks() };
	pthread_once(&uni_once, uni_init);
	struct sql_marker *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	size_t n = 1;
	for (const char *p = marks; *p; p++)
		n += *p == ' ';
	m->text = strdup(marks);
	m->mk.marks = calloc(n, sizeof(*m->mk.marks));
	if (!uni.ok || !m->text || !m->mk.marks ||
	    uni.methods.xCreate(uni.uctx, args, 4, &m->mk.tok) != SQLITE_OK) {
		sql_marker_free(m);
		return NULL;
	}
	for (char *save = NULL, *t = strtok_r(m->text, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if ((t[0] == '0' || t[0] == '1') && t[1])
			m->mk.marks[m->mk.n++] = (struct search_mark){ t + 1, t[0] == '1' };
	return m;
}

/* The byte where the first matching token starts, -1 for none. */
struct first_byte {
	const struct store_marker *mk;
	int at;
};

static int first_byte_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
	struct first_byte *fb = ctx;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED || !marker_match(fb->mk, token, n))
		return SQLITE_OK;
	fb->at = start;
	return SQLITE_DONE;
}

void store_first_match_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	const char *marks = (const char *)sqlite3_value_text(argv[1]);
	int len = sqlite3_value_bytes(argv[0]);
	if (!text || !marks) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	struct sql_marker *m = sqlite3_get_auxdata(ctx, 1);
	if (!m) {
		m = sql_marker_parse(marks);
		if (!m) {
			sqlite3_result_int(ctx, 0); /* no tokenizer: the slice starts the text */
			return;
		}
		m = store_sqlite_keep(ctx, 1, m, sql_marker_free);
		if (!m)
			return;
	}
	struct first_byte fb = { &m->mk, -1 };
	if (m->mk.n)
		uni.methods.xTokenize(m->mk.tok, &fb, FTS5_TOKENIZE_DOCUMENT, text,
				      len < 4 * FIRST_MATCH_CHARS ? len : 4 * FIRST_MATCH_CHARS,
				      first_byte_token);
	/* Characters as substr() counts them: a lead byte takes the continuation
	 * bytes after it, any other byte is one (a stray continuation byte too). */
	int chars = 0;
	for (int i = 0; i < fb.at; chars++)
		if ((unsigned char)text[i++] >= 0xC0)
			while (i < fb.at && ((unsigned char)text[i] & 0xC0) == 0x80)
				i++;
	sqlite3_result_int(ctx, fb.at < 0 || chars >= FIRST_MATCH_CHARS ? 0 : chars + 1);
}
