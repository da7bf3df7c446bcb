/*
 * store_search.c - the search query language, parsed once in C into a safe
 * internal form, then rendered for one database's full-text engine.
 *
 * Syntax: words (all must match), "a phrase", -excluded (a word or a
 * phrase), OR between two terms; every word matches as a prefix ("tech"
 * finds "technology"). A token is a run of letters and digits (UTF-8 aware,
 * lower-cased); anything else separates tokens, so a word such as "e-mail"
 * is the phrase "e mail". Nothing of the user's text reaches the engine but
 * those tokens, each quoted: operators, quotes, wildcards and column filters
 * typed by the user are plain separators. Inputs are bounded (terms,
 * tokens per term, bytes per token), so a 10 KB query renders to a few KB.
 *
 * Every token carries the owner's key K ("u" and the last 12 hex digits of
 * the user id), as the index does: a query reads one user's part of the
 * index (store_sqlite_fts.c, migrations 0008).
 *
 * PostgreSQL indexes a document in a language it has a stemmer for by its
 * stems, behind the key S ("s", the same digits and the language's tag;
 * migration 0011): a token matches a document of words as itself and one of
 * stems as its stem in that language, which PostgreSQL gives
 * (store_search_add_stem): ('Ktechnologies':* | 'Sentechnolog':*).
 *
 * Rendered forms (store_int.h, enum store_match_syntax), T the wanted tags:
 *   FTS5:    (P NOT (N)) AND T, with P = ("K tech"*) AND ("K a b"* OR "K c"*)
 *   tsquery: (('Ktech':*) & ('Ka' <-> 'Kb':* | 'Kc':*) & !('Kn':*)) & T
 *
 * Thread-safety: stateless (the locale is base/utf8.c's).
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "store_int.h"

#define SEARCH_MAX_TERMS 32   /* terms kept from one query; the rest is ignored */
#define SEARCH_MAX_TOKENS 8   /* tokens kept in one term (a phrase) */
#define SEARCH_MAX_TOKEN 64   /* bytes kept of one token (it still matches as a prefix) */
#define SEARCH_MAX_RENDER (128 * 1024) /* bounded: 256 tokens of 64 bytes, 256 stems of 128 */

/* One term: a word or a phrase of tokens, maybe excluded, maybe OR'ed with the next. */
struct search_term {
	char tok[SEARCH_MAX_TOKENS][SEARCH_MAX_TOKEN + 1];
	bool pair[SEARCH_MAX_TOKENS]; /* the next pair of letters of the run the last token began */
	int ntok;
	bool cut;     /* a token was cut short, tokens were left out, or one may split otherwise */
	bool neg;     /* -excluded */
	bool or_next; /* "OR" stood between this term and the next */
};

/* A stem of a token, in one of the languages PostgreSQL stems (migration 0011). */
struct search_stem {
	const char *word, *stem;
	char tag[3]; /* the language's, in the stem's key */
};

struct search_query {
	struct search_term t[SEARCH_MAX_TERMS];
	int n;
	struct search_stem stem[STORE_SEARCH_MAX_STEMS];
	int nstem;
};

/* What search_fold gives for a mark that is part of its word but not written (store_fts_mark). */
#define SEARCH_SKIP 0xFFFFFFFEu

/* A letter or digit, lower-cased; 0 for a separator; SEARCH_SKIP for a vowel mark. */
static unsigned search_fold(unsigned cp)
{
	if (cp < 0x80) {
		if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z'))
			return cp;
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : 0;
	}
	if (cp == UTF8_BAD)
		return 0;
	if (store_fts_mark(cp))
		return SEARCH_SKIP; /* "حَبيبي" is the word "حبيبي", as the index has it */
	if (utf8_locale() == (locale_t)0)
		return cp; /* no Unicode tables: keep every non-ASCII character */
	if (!iswalnum_l((wint_t)cp, utf8_locale()))
		return 0;
	cp = utf8_lower_cp(cp);
	/* Greek's final sigma is σ where a word ends: one letter, as both indexes have it
	 * (PostgreSQL's migration 0016; FTS5 folds it so). */
	return cp == 0x03C2 ? 0x03C3 : cp;
}

/*
 * Whether the index's tokenizer surely splits and folds cp as search_fold
 * does. Combining marks are separators here but join a word in FTS5's
 * unicode61 (which then drops them) and in PostgreSQL's parser; without
 * Unicode tables no non-ASCII character is known. Only the tags' phrases
 * need this: a term that matches less than the index holds would lose
 * documents there (search_put_tags).
 */
static bool search_exact(unsigned cp)
{
	if (cp < 0x80)
		return true;
	if (utf8_locale() == (locale_t)0)
		return false;
	return !((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
		 (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
		 (cp >= 0xFE20 && cp <= 0xFE2F));
}

/* Append s[0..n) to t's tokens (pair: as the next pair of a run); false when t is full. */
static bool search_add_token(struct search_term *t, const char *s, size_t n, bool pair)
{
	if (t->ntok == SEARCH_MAX_TOKENS) {
		t->cut = true;
		return false;
	}
	memcpy(t->tok[t->ntok], s, n);
	t->tok[t->ntok][n] = '\0';
	t->pair[t->ntok++] = pair;
	return true;
}

/*
 * Chinese and Japanese letters in t's tokens as the index has them
 * (store_sqlite_fts.c, PostgreSQL's migration 0018): a run of them is its
 * overlapping pairs ("季度报告": 季度 度报 报告), one alone is itself; the
 * letters and digits around a run are tokens of their own ("2018年": 2018 年).
 */
static void search_pairs(struct search_term *t)
{
	struct search_term in = *t;
	t->ntok = 0;
	for (int k = 0; k < in.ntok; k++) {
		const char *s = in.tok[k];
		size_t n = strlen(s), i = 0;
		while (i < n) {
			size_t j = i, at[SEARCH_MAX_TOKEN + 1], m = 0, step;
			if (!utf8_unspaced_at(s, n, i)) { /* other letters, up to an unspaced one */
				while (j < n && !utf8_unspaced_at(s, n, j))
					j++;
				if (!search_add_token(t, s + i, j - i, false))
					return;
				i = j;
				continue;
			}
			while (j < n && (step = utf8_unspaced_at(s, n, j))) { /* the run's letters */
				at[m++] = j;
				j += step;
			}
			at[m] = j;
			if (m == 1 && !search_add_token(t, s + i, j - i, false))
				return;
			for (size_t p = 0; p + 1 < m; p++)
				if (!search_add_token(t, s + at[p], at[p + 2] - at[p], p > 0))
					return;
			i = j;
		}
	}
}

/* Split s[0..n) into the term's tokens (at most SEARCH_MAX_TOKENS). */
static void search_tokens(struct search_term *t, const char *s, size_t n)
{
	size_t at = 0, len = 0;

	t->ntok = 0;
	t->cut = false;
	while (at < n && t->ntok < SEARCH_MAX_TOKENS) {
		size_t step;
		unsigned raw = utf8_get(s + at, n - at, &step);
		unsigned cp = search_fold(raw);
		char *tok = t->tok[t->ntok];
		at += step;
		if (cp == SEARCH_SKIP) {
			if (at == n && len) {
				tok[len] = '\0';
				t->ntok++;
			}
			continue;
		}
		if (!search_exact(raw))
			t->cut = true;
		if (cp) {
			char enc[4];
			size_t k = utf8_put(enc, cp);
			if (len + k <= SEARCH_MAX_TOKEN) { /* longer: the prefix kept still matches */
				memcpy(tok + len, enc, k);
				len += k;
			} else {
				t->cut = true;
			}
		}
		if ((!cp || at == n) && len) {
			tok[len] = '\0';
			t->ntok++;
			len = 0;
		}
	}
	if (at < n)
		t->cut = true;
	search_pairs(t);
}

static bool search_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Parse q into terms. Terms without a token are dropped; "OR" joins its neighbours. */
static void search_parse(struct search_query *sq, const char *q)
{
	const char *p = q;

	sq->n = 0;
	while (*p && sq->n < SEARCH_MAX_TERMS) {
		struct search_term *t = &sq->t[sq->n];
		const char *start, *end;
		bool neg = false, quoted = false;
		while (search_space(*p))
			p++;
		if (*p == '-') {
			neg = true;
			p++;
		}
		if (*p == '"') {
			quoted = true;
			start = ++p;
			while (*p && *p != '"')
				p++;
			end = p;
			if (*p)
				p++;
		} else {
			start = p;
			while (*p && !search_space(*p))
				p++;
			end = p;
		}
		if (!neg && !quoted && end - start == 2 && !memcmp(start, "OR", 2)) {
			if (sq->n && !sq->t[sq->n - 1].neg)
				sq->t[sq->n - 1].or_next = true;
			continue;
		}
		search_tokens(t, start, (size_t)(end - start));
		t->neg = neg;
		t->or_next = false;
		if (t->ntok)
			sq->n++;
	}
	/* An OR with nothing positive after it joins nothing. */
	for (int i = 0; i < sq->n; i++)
		if (sq->t[i].or_next && (i + 1 == sq->n || sq->t[i + 1].neg))
			sq->t[i].or_next = false;
}

/* How a query is written out: the engine's syntax and the owner's key. */
struct search_out {
	enum store_match_syntax syn;
	char key[STORE_SEARCH_KEY_LEN + 1];      /* of words */
	char stem_key[STORE_SEARCH_KEY_LEN + 1]; /* of stems, before a language's tag */
	const struct search_query *sq;           /* its stems */
};

/*
 * A token in a tsquery, 'Kt' (a prefix when last), or with its stems,
 * ('Kt':* | 'Sens':*): the word in documents of words, its stem in the
 * documents of that language (a prefix of the stem: "tech" finds the stem
 * "technolog").
 */
static void search_put_token(struct buf *b, const char *tok, const char *prefix,
			     const struct search_out *o)
{
	bool any = false;

	for (int k = 0; k < o->sq->nstem && !any; k++)
		any = !strcmp(o->sq->stem[k].word, tok);
	buf_printf(b, "%s'%s%s'%s", any ? "(" : "", o->key, tok, prefix);
	for (int k = 0; k < o->sq->nstem; k++) {
		const struct search_stem *st = &o->sq->stem[k];
		if (!strcmp(st->word, tok))
			buf_printf(b, " | '%s%s%s'%s", o->stem_key, st->tag, st->stem, prefix);
	}
	buf_puts(b, any ? ")" : "");
}

/* One term: FTS5 "K a b"*, tsquery 'Ka' <-> 'Kb':* (tokens are letters and digits only). */
static void search_put_term(struct buf *b, const struct search_term *t, const struct search_out *o)
{
	if (o->syn == STORE_MATCH_FTS5) {
		buf_printf(b, "\"%s", o->key);
		for (int i = 0; i < t->ntok; i++)
			buf_printf(b, " %s", t->tok[i]);
		buf_puts(b, "\"*");
		return;
	}
	buf_putc(b, '(');
	for (int i = 0; i < t->ntok; i++) {
		/* A run's pairs are all wanted, not in a row: a vector's positions stop at 16,383. */
		buf_puts(b, !i ? "" : t->pair[i] ? " & " : " <-> ");
		search_put_token(b, t->tok[i], i + 1 == t->ntok ? ":*" : "", o);
	}
	buf_putc(b, ')');
}

/* The positive terms, OR groups in parentheses, AND between groups. False when there is none. */
static bool search_put_positive(struct buf *b, const struct search_query *sq,
				const struct search_out *o)
{
	const char *and = o->syn == STORE_MATCH_FTS5 ? " AND " : " & ";
	const char *or = o->syn == STORE_MATCH_FTS5 ? " OR " : " | ";
	bool any = false, in_group = false;

	for (int i = 0; i < sq->n; i++) {
		const struct search_term *t = &sq->t[i];
		if (t->neg)
			continue;
		if (!in_group) {
			buf_puts(b, any ? and : "");
			buf_putc(b, '(');
		}
		search_put_term(b, t, o);
		in_group = t->or_next;
		buf_puts(b, in_group ? or : ")");
		any = true;
	}
	return any;
}

/*
 * The wanted tags' words, ANDed to the match so that a tag filter costs
 * what the matching documents cost, not what the user's library costs; the
 * exact test, tag by tag, stays in the statement. FTS5: the phrase in the
 * tags column, ' AND tags : "K a b"'. tsquery: the words anywhere,
 * " & 'Ka' & 'Kb'": a weight or a phrase would make PostgreSQL re-read
 * every candidate's vector to check positions, which costs more than the
 * exact test. A tag that cannot be written exactly (no token, or too long)
 * is left to the exact test alone. after: an operator goes before the first.
 * False when no tag could be written.
 */
static bool search_put_tags(struct buf *b, const char *const *tags, size_t ntags,
			    const struct search_out *o, bool after)
{
	const char *and = o->syn == STORE_MATCH_FTS5 ? " AND " : " & ";
	struct search_term t;
	bool any = false;

	for (size_t i = 0; i < ntags; i++) {
		search_tokens(&t, tags[i], strlen(tags[i]));
		if (!t.ntok || t.cut)
			continue;
		buf_puts(b, any || after ? and : "");
		any = true;
		if (o->syn == STORE_MATCH_FTS5) {
			buf_printf(b, "tags : \"%s", o->key);
			for (int k = 0; k < t.ntok; k++)
				buf_printf(b, " %s", t.tok[k]);
			buf_putc(b, '"');
			continue;
		}
		for (int k = 0; k < t.ntok; k++)
			buf_printf(b, "%s'%s%s'", k ? and : "", o->key, t.tok[k]);
	}
	return any;
}

/* The excluded terms: FTS5 " NOT (a OR b)", tsquery " & !a & !b". */
static void search_put_negative(struct buf *b, const struct search_query *sq,
				const struct search_out *o)
{
	bool first = true;

	for (int i = 0; i < sq->n; i++) {
		if (!sq->t[i].neg)
			continue;
		if (o->syn == STORE_MATCH_FTS5)
			buf_puts(b, first ? " NOT (" : " OR ");
		else
			buf_puts(b, " & !");
		search_put_term(b, &sq->t[i], o);
		first = false;
	}
	if (o->syn == STORE_MATCH_FTS5 && !first)
		buf_putc(b, ')');
}

/* owner's key of kind ('u' words, 's' stems). OUT: key. */
static void search_key(char key[STORE_SEARCH_KEY_LEN + 1], char kind, const char *owner)
{
	key[0] = kind;
	memcpy(key + 1, owner + UUID_STR_LEN - 1 - (STORE_SEARCH_KEY_LEN - 1),
	       STORE_SEARCH_KEY_LEN - 1);
	key[STORE_SEARCH_KEY_LEN] = '\0';
}

struct search_query *store_search_parse(struct arena *a, const char *query)
{
	struct search_query *sq = arena_alloc(a, sizeof(*sq));
	size_t n = 0;
	/* Composed as the texts are (pipeline.c): "e" + U+0301 typed is "é". */
	char *composed = query ? utf8_normalize(query, strlen(query), &n) : NULL;

	search_parse(sq, composed ? composed : query ? query : "");
	free(composed);
	return sq;
}

const char *store_search_render(struct arena *a, const struct search_query *sq,
				const char *const *tags, size_t ntags,
				enum store_match_syntax syn, const char *owner)
{
	struct buf b = BUF_INIT(SEARCH_MAX_RENDER);
	struct search_out o = { .syn = syn, .sq = sq };
	const char *out = NULL;

	search_key(o.key, 'u', owner);
	search_key(o.stem_key, 's', owner);
	buf_putc(&b, '(');
	if (search_put_positive(&b, sq, &o)) {
		search_put_negative(&b, sq, &o);
		buf_putc(&b, ')');
		search_put_tags(&b, tags, ntags, &o, true);
		out = arena_strdup(a, buf_cstr(&b));
	}
	buf_release(&b);
	return out;
}

int store_search_positive(const struct search_query *sq)
{
	int n = 0;
	for (int i = 0; i < sq->n; i++)
		n += !sq->t[i].neg;
	return n;
}

const char *store_search_first_word(struct arena *a, const struct search_query *sq)
{
	for (int i = 0; i < sq->n; i++)
		if (!sq->t[i].neg)
			return arena_strdup(a, sq->t[i].tok[0]);
	return NULL;
}

/*
 * Whether term i is one a snippet may be placed by: not excluded, and among
 * the first SEARCH_SNIPPET_TERMS of those (bounding the pattern that looks
 * for them through a text).
 */
#define SEARCH_SNIPPET_TERMS 8
static bool search_snippet_term(const struct search_query *sq, int i)
{
	int before = 0;
	for (int k = 0; k < i; k++)
		before += !sq->t[k].neg;
	return !sq->t[i].neg && before < SEARCH_SNIPPET_TERMS;
}

const char *store_search_first_in_text(struct arena *a, const struct search_query *sq,
				       const char *owner)
{
	struct buf b = BUF_INIT(SEARCH_MAX_RENDER);
	struct search_out o = { .syn = STORE_MATCH_TSQUERY, .sq = sq };
	const char *out = NULL;

	search_key(o.key, 'u', owner);
	search_key(o.stem_key, 's', owner);
	for (int i = 0; i < sq->n; i++) {
		if (!search_snippet_term(sq, i))
			continue;
		buf_puts(&b, b.len ? " | " : "");
		search_put_token(&b, sq->t[i].tok[0], ":*C", &o);
	}
	if (b.len)
		out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}

/* Add mark {s, prefix} to m[0..*n) unless there (bounded: MARKS_MAX). */
#define MARKS_MAX (SEARCH_MAX_TERMS * SEARCH_MAX_TOKENS + STORE_SEARCH_MAX_STEMS)
static void search_add_mark(struct search_mark *m, size_t *n, const char *s, bool prefix)
{
	for (size_t i = 0; i < *n; i++)
		if (m[i].prefix == prefix && !strcmp(m[i].s, s))
			return;
	if (*n < MARKS_MAX)
		m[(*n)++] = (struct search_mark){ s, prefix };
}

size_t store_search_marks(struct arena *a, const struct search_query *sq, struct search_mark **out)
{
	size_t n = 0;
	*out = arena_alloc(a, MARKS_MAX * sizeof(**out));
	for (int i = 0; i < sq->n; i++) {
		const struct search_term *t = &sq->t[i];
		for (int k = 0; k < t->ntok && !t->neg; k++) {
			search_add_mark(*out, &n, t->tok[k], k + 1 == t->ntok);
			for (int j = 0; j < sq->nstem; j++)
				if (!strcmp(sq->stem[j].word, t->tok[k]))
					search_add_mark(*out, &n, sq->stem[j].stem, true);
		}
	}
	return n;
}

const char *store_search_words(struct arena *a, const struct search_query *sq)
{
	struct buf b = BUF_INIT(64 * 1024); /* bounded: 32 terms of 8 tokens of 64 bytes */
	const char *out = NULL;

	for (int i = 0; i < sq->n; i++)
		for (int k = 0; k < sq->t[i].ntok; k++)
			buf_printf(&b, "%s%s", b.len ? " " : "", sq->t[i].tok[k]);
	if (b.len)
		out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}

void store_search_add_stem(struct arena *a, struct search_query *sq, const char *word,
			   const char *stem, const char *tag)
{
	if (!word || !stem || !*stem || !tag || strlen(tag) != 2 ||
	    sq->nstem == STORE_SEARCH_MAX_STEMS || strlen(stem) > SEARCH_MAX_TOKEN * 2)
		return;
	for (int k = 0; k < sq->nstem; k++)
		if (!strcmp(sq->stem[k].word, word) && !strcmp(sq->stem[k].stem, stem) &&
		    !strcmp(sq->stem[k].tag, tag))
			return;
	for (const char *p = stem; *p; p++)
		if (*p == '\'' || *p == '\\' || *p == ' ')
			return; /* no stem is written so; nothing that is not a word reaches a tsquery */
	for (int i = 0; i < 2; i++)
		if (tag[i] < 'a' || tag[i] > 'z')
			return;
	struct search_stem *st = &sq->stem[sq->nstem++];
	st->word = arena_strdup(a, word);
	st->stem = arena_strdup(a, stem);
	memcpy(st->tag, tag, 3);
}

const char *store_search_render_tags(struct arena *a, const char *const *tags, size_t ntags,
				     enum store_match_syntax syn, const char *owner)
{
	struct buf b = BUF_INIT(64 * 1024); /* bounded: 8 tags of 8 tokens of 64 bytes */
	static const struct search_query none;
	struct search_out o = { .syn = syn, .sq = &none };
	const char *out = NULL;

	search_key(o.key, 'u', owner);
	if (search_put_tags(&b, tags, ntags, &o, false))
		out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}

/*
 * Letters with the accented forms PostgreSQL's unaccent folds to them, the
 * letter first, in both cases (without an ICU or libc locale PostgreSQL's
 * regular expressions fold ASCII case only): Latin-1, Latin Extended-A, the
 * Vietnamese letters, and monotonic Greek and Russian ё.
 */
static const char *const search_accents[] = {
	"aàáâãäåāăąǎạảấầẩẫậắằẳẵặAÀÁÂÃÄÅĀĂĄǍẠẢẤẦẨẪẬẮẰẲẴẶ",
	"cçćĉċčCÇĆĈĊČ",
	"dďđðDĎĐÐ",
	"eèéêëēĕėęěẹẻẽếềểễệEÈÉÊËĒĔĖĘĚẸẺẼẾỀỂỄỆ",
	"gĝğġģGĜĞĠĢ",
	"hĥħHĤĦ",
	"iìíîïĩīĭįıǐỉịIÌÍÎÏĨĪĬĮİǏỈỊ",
	"jĵJĴ",
	"kķKĶ",
	"lĺļľŀłLĹĻĽĿŁ",
	"nñńņňNÑŃŅŇ",
	"oòóôõöøōŏőơǒọỏốồổỗộớờởỡợOÒÓÔÕÖØŌŎŐƠǑỌỎỐỒỔỖỘỚỜỞỠỢ",
	"rŕŗřRŔŖŘ",
	"sśŝşšșSŚŜŞŠȘ",
	"tţťŧțTŢŤŦȚ",
	"uùúûüũūŭůűųưǔụủứừửữựUÙÚÛÜŨŪŬŮŰŲƯǓỤỦỨỪỬỮỰ",
	"wŵWŴ",
	"yýÿŷỳỵỷỹYÝŸŶỲỴỶỸ",
	"zźżžZŹŻŽ",
	"αάΑΆ",
	"εέΕΈ",
	"ηήΗΉ",
	"ιίϊΐΙΊΪ",
	"οόΟΌ",
	"υύϋΰΥΎΫ",
	"ωώΩΏ",
	"σςΣ",
	"еёЕЁ",
};

/* The letters unaccent writes as two. */
static const struct {
	const char *pair, *forms;
} search_ligatures[] = {
	{ "ss", "ßẞ" }, { "ae", "æÆ" }, { "oe", "œŒ" }, { "th", "þÞ" }, { "ij", "ĳĲ" },
};

/* Whether cp is one of the code points of the UTF-8 string forms. */
static bool search_among(unsigned cp, const char *forms)
{
	size_t n = strlen(forms), step;
	for (size_t at = 0; at < n; at += step)
		if (utf8_get(forms + at, n - at, &step) == cp)
			return true;
	return false;
}

/* The letters of the pattern's class for cp (NULL: none but cp itself). */
static const char *search_accent_class(unsigned cp)
{
	for (size_t k = 0; k < sizeof(search_accents) / sizeof(search_accents[0]); k++)
		if (search_among(cp, search_accents[k]))
			return search_accents[k];
	return NULL;
}

/* The ligature written at p (as its pair, or as cp, *step bytes), or -1. */
static int search_ligature(const char *p, unsigned cp, size_t *step)
{
	for (size_t k = 0; k < sizeof(search_ligatures) / sizeof(search_ligatures[0]); k++) {
		if (!strncmp(p, search_ligatures[k].pair, 2)) {
			*step = 2;
			return (int)k;
		}
		if (search_among(cp, search_ligatures[k].forms))
			return (int)k;
	}
	return -1;
}

/* One letter or digit as a pattern: with the forms unaccent folds to it, an ASCII one's full-width forms. */
static void search_put_letter(struct buf *b, const char *at, size_t len, unsigned cp)
{
	const char *forms = search_accent_class(cp);
	char wide[8] = "";
	if (cp < 0x80) {
		size_t k = 0;
		if (cp >= '0' && cp <= '9') {
			k = utf8_put(wide, 0xFF10 + cp - '0');
		} else if (cp >= 'a' && cp <= 'z') {
			k = utf8_put(wide, 0xFF41 + cp - 'a');
			k += utf8_put(wide + k, 0xFF21 + cp - 'a');
		}
		wide[k] = '\0';
	}
	if (forms || wide[0]) {
		buf_putc(b, '[');
		if (forms)
			buf_puts(b, forms);
		else
			buf_append(b, at, len);
		buf_puts(b, wide);
		buf_putc(b, ']');
	} else { /* a letter or digit (search_fold): never special in a pattern */
		buf_append(b, at, len);
	}
	/* An Arabic or Hebrew letter may carry vowel marks the word was typed without. */
	if (cp >= 0x0590 && cp <= 0x06FF) {
		store_fts_mark_class(b);
		buf_putc(b, '*');
	}
}

/* word as a pattern: each letter with the forms unaccent folds to it. */
static void search_put_pattern(struct buf *b, const char *word)
{
	size_t n = strlen(word), step;
	for (size_t at = 0; at < n; at += step) {
		unsigned cp = utf8_get(word + at, n - at, &step);
		int lig = search_ligature(word + at, cp, &step);
		if (lig < 0) {
			search_put_letter(b, word + at, step, cp);
			continue;
		}
		/* "ae" is "æ", and "aé" too: unaccent folds both to "ae". */
		const char *pair = search_ligatures[lig].pair;
		buf_puts(b, "(?:");
		search_put_letter(b, pair, 1, (unsigned char)pair[0]);
		search_put_letter(b, pair + 1, 1, (unsigned char)pair[1]);
		buf_printf(b, "|[%s])", search_ligatures[lig].forms);
	}
}

/* A term's first token, or the run of letters its first pairs are ("季度报告", not "季度"). */
static const char *search_first_run(struct arena *a, const struct search_term *t)
{
	struct buf b = BUF_INIT(SEARCH_MAX_TOKENS * (SEARCH_MAX_TOKEN + 1));
	buf_puts(&b, t->tok[0]);
	for (int k = 1; k < t->ntok && t->pair[k]; k++) {
		size_t step;
		utf8_get(t->tok[k], strlen(t->tok[k]), &step);
		buf_puts(&b, t->tok[k] + step); /* the pair's second letter */
	}
	const char *out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}

const char *store_search_first_regex(struct arena *a, const struct search_query *sq)
{
	/* The first word of each term (OR'ed or not: the text may hold any of them)
	 * and each of its stems: "studi" for "study" begins neither it nor "studies",
	 * which the text holds and the index matched by the stem. */
	const char *alt[SEARCH_SNIPPET_TERMS * (1 + STORE_SEARCH_MAX_STEMS)];
	size_t nalt = 0;
	for (int i = 0; i < sq->n; i++) {
		if (!search_snippet_term(sq, i))
			continue;
		const char *word = sq->t[i].tok[0];
		for (int k = -1; k < sq->nstem; k++) {
			const char *w = k < 0 ? search_first_run(a, &sq->t[i]) : sq->stem[k].stem;
			bool skip = k >= 0 && strcmp(sq->stem[k].word, word); /* another's stem */
			for (size_t j = 0; j < nalt && !skip; j++)
				skip = !strcmp(alt[j], w);
			if (!skip)
				alt[nalt++] = w;
		}
	}
	if (!nalt)
		return NULL;
	struct buf b = BUF_INIT(SEARCH_MAX_RENDER);
	/* Not \m: in a database of locale C a word character is an ASCII one, and
	 * \m never matches before "Ü"; no letter or digit before is what \m means
	 * elsewhere (and "_" splits words, as PostgreSQL's parser does). */
	buf_puts(&b, nalt > 1 ? "(?:" : "");
	for (size_t j = 0; j < nalt; j++) {
		/* Chinese and Japanese words are found within runs of letters. */
		bool unspaced = utf8_unspaced_at(alt[j], strlen(alt[j]), 0) > 0;
		buf_puts(&b, j ? "|" : "");
		buf_puts(&b, unspaced ? "" : "(?<![[:alnum:]])");
		search_put_pattern(&b, alt[j]);
	}
	buf_puts(&b, nalt > 1 ? ")" : "");
	const char *out = arena_strdup(a, buf_cstr(&b));
	buf_release(&b);
	return out;
}
