/*
 * tagger_tokens.c - from text to candidate occurrences: UTF-8 decoding,
 * case folding, tokens, stems, and the 1-3 word candidates (word classes and
 * stopwords are tagger_words.c's).
 *
 * Invalid UTF-8 is never copied into a token: a bad byte is punctuation.
 * Case folding uses a C.UTF-8 LC_CTYPE locale object through the *_l
 * functions (thread-safe, no uselocale); without one, a built-in table
 * covers ASCII, Latin-1 Supplement and Latin Extended-A.
 */
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "pipeline/tagger_int.h"
#include "base/utf8.h"
#include "base/xalloc.h"


#define CP_BAD 0xFFFDu

/* ---- string -> id tables ------------------------------------------------ */

static uint32_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

void tagger_intern_init(struct tagger_intern *s)
{
	memset(s, 0, sizeof(*s));
}

void tagger_intern_release(struct tagger_intern *s)
{
	free(s->pool);
	free(s->off);
	free(s->len);
	free(s->slots);
	tagger_intern_init(s);
}

static size_t intern_find(const struct tagger_intern *s, const char *str, size_t n, uint32_t h)
{
	size_t mask = s->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t v = s->slots[i];
		if (!v)
			return i;
		if (s->len[v - 1] == n && !memcmp(s->pool + s->off[v - 1], str, n))
			return i;
	}
}

static void intern_grow(struct tagger_intern *s)
{
	size_t nslots = s->nslots ? s->nslots * 2 : 64;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t id = 0; id < s->n; id++) {
		uint32_t h = fnv1a(s->pool + s->off[id], s->len[id]);
		size_t i = h & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
}

uint32_t tagger_intern_get(const struct tagger_intern *s, const char *str, size_t n)
{
	if (!s->nslots)
		return UINT32_MAX;
	uint32_t v = s->slots[intern_find(s, str, n, fnv1a(str, n))];
	return v ? v - 1 : UINT32_MAX;
}

uint32_t tagger_intern_put(struct tagger_intern *s, const char *str, size_t n, bool *added)
{
	if (added)
		*added = false;
	if ((s->n + 1) * 2 > s->nslots)
		intern_grow(s);
	size_t slot = intern_find(s, str, n, fnv1a(str, n));
	if (s->slots[slot])
		return s->slots[slot] - 1;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->off = xrealloc(s->off, s->cap * sizeof(*s->off));
		s->len = xrealloc(s->len, s->cap * sizeof(*s->len));
	}
	while (s->pool_len + n + 1 > s->pool_cap) {
		s->pool_cap = s->pool_cap ? s->pool_cap * 2 : 1024;
		s->pool = xrealloc(s->pool, s->pool_cap);
	}
	memcpy(s->pool + s->pool_len, str, n);
	s->pool[s->pool_len + n] = '\0';
	s->off[s->n] = (uint32_t)s->pool_len;
	s->len[s->n] = (uint32_t)n;
	s->pool_len += n + 1;
	s->slots[slot] = (uint32_t)++s->n;
	if (added)
		*added = true;
	return (uint32_t)s->n - 1;
}

const char *tagger_intern_str(const struct tagger_intern *s, uint32_t id)
{
	return s->pool + s->off[id];
}

/* ---- UTF-8 and character classes ------------------------------------------ */

/* The code point at s (n > 0 bytes left). OUT: *adv, bytes used (1 for a bad byte). */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *adv)
{
	uint32_t c = s[0], cp, min;
	size_t need;
	*adv = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return CP_BAD;
	}
	if (n <= need)
		return CP_BAD;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return CP_BAD;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return CP_BAD;
	*adv = need + 1;
	return cp;
}

/* Lower case without a locale: Latin-1 Supplement and Latin Extended-A. */
static uint32_t lower_table(uint32_t c)
{
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 0x20;
	if (c == 0x130)
		return 'i';
	if (c == 0x178)
		return 0xFF;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return (c & 1) ? c : c + 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c + 1 : c;
	return c;
}

static uint32_t cp_lower(const struct tagger *t, uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (t->loc) {
		wint_t l = towlower_l((wint_t)c, t->loc);
		return l <= 0x10FFFF ? (uint32_t)l : c;
	}
	return lower_table(c);
}

static bool cp_letter(const struct tagger *t, uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c == CP_BAD)
		return false;
	if (t->loc)
		return iswalpha_l((wint_t)c, t->loc) != 0;
	return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || c == 0xAA || c == 0xB5 ||
	       c == 0xBA;
}

/* Marks are no letters to glibc (iswalpha is false for a virama or a Thai tone mark), yet
 * a word goes on through them: "मंत्र" and "พิทักษ์" were cut at their first mark. So it
 * does through the zero-width (non-)joiner, which Persian writes inside words
 * ("کتاب‌های"). */
static bool cp_mark(uint32_t c)
{
	return c == 0x200C || c == 0x200D || (c >= 0x300 && c != CP_BAD && utf8_is_mark(c));
}

static bool cp_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool cp_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	       c == 0xA0 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF || c == 0xAD;
}

static bool cp_newline(uint32_t c)
{
	return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029 || c == '\f' || c == '\v';
}

static bool cp_sentence_end(uint32_t c)
{
	return c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == 0x2026 ||
	       c == 0x3002 || c == 0xA1 || c == 0xBF;
}

static bool cp_hyphen(uint32_t c)
{
	return c == '-' || c == 0x2010 || c == 0x2011;
}

static bool cp_apostrophe(uint32_t c)
{
	return c == '\'' || c == 0x2019;
}

size_t tagger_lower(const struct tagger *t, const char *s, size_t n, char *out)
{
	size_t o = 0, adv;
	for (size_t i = 0; i < n; i += adv) {
		uint32_t c = utf8_next((const unsigned char *)s + i, n - i, &adv);
		if (c == CP_BAD && adv == 1) /* a real U+FFFD takes 3 bytes */
			out[o++] = '?';
		else
			o += utf8_put(out + o, cp_lower(t, c));
	}
	out[o] = '\0';
	return o;
}

/* ---- tokens ------------------------------------------------------------------ */

struct scan {
	size_t start, end;      /* bytes */
	unsigned ncp;           /* code points */
	unsigned nletters, nupper;
	bool first_upper;
	bool apostrophe;        /* stopped at an apostrophe between two letters */
};

/* Whether the code point after s[i..] (a joiner of adv bytes) is a letter or digit. */
static bool word_follows(const struct tagger *t, const unsigned char *s, size_t len, size_t i,
			 bool *letter)
{
	size_t adv;
	if (i >= len)
		return false;
	uint32_t d = utf8_next(s + i, len - i, &adv);
	*letter = cp_letter(t, d);
	return *letter || cp_digit(d);
}

/* Read the token starting at s[i], a letter or a digit. OUT: *k. */
static void scan_token(const struct tagger *t, const unsigned char *s, size_t len, size_t i,
		       struct scan *k)
{
	uint32_t prev = 0;
	memset(k, 0, sizeof(*k));
	k->start = i;
	while (i < len) {
		size_t adv;
		bool next_letter = false;
		uint32_t c = utf8_next(s + i, len - i, &adv);
		if (cp_letter(t, c) || cp_digit(c) || (k->ncp && cp_mark(c))) {
			bool upper = cp_digit(c) ? false : cp_lower(t, c) != c;
			if (k->ncp == 0)
				k->first_upper = upper;
			k->nletters += !cp_digit(c);
			k->nupper += upper;
			k->ncp++;
			prev = c;
			i += adv;
			continue;
		}
		if (!word_follows(t, s, len, i + adv, &next_letter))
			break;
		if (cp_hyphen(c) || ((c == '.' || c == ',') && cp_digit(prev) && !next_letter)) {
			k->ncp++;
			i += adv;
			continue;
		}
		k->apostrophe = cp_apostrophe(c) && next_letter && !cp_digit(prev);
		break;
	}
	k->end = i;
}

/* ---- links ------------------------------------------------------------------- */

static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The length of the host name that starts s[0..n): two labels or more of letters, digits
 * and '-' joined by dots, the last of two letters or more. OUT: *tld, where it starts.
 * 0: none. */
static size_t host_len(const unsigned char *s, size_t n, size_t *tld)
{
	size_t i = 0, labels = 0, letters = 0;
	for (;;) {
		size_t b = i;
		letters = 0;
		for (; i < n && (ascii_alnum(s[i]) || s[i] == '-'); i++)
			letters += (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z';
		if (i == b)
			return 0;
		labels++;
		*tld = b;
		if (i + 1 < n && s[i] == '.' && ascii_alnum(s[i + 1]))
			i++;
		else
			break;
	}
	return labels >= 2 && letters == i - *tld && letters >= 2 ? i : 0;
}

/* Domains named bare in text ("Tecnick.com"); a country's is no sure sign ("frase.Io", a
 * sentence whose space the PDF lost), unless a path follows. Lower case only: "VB.NET",
 * "ASP.NET" are names. */
static bool generic_tld(const unsigned char *s, size_t n)
{
	static const char *const tlds[] = { "com", "org", "net", "edu", "gov", "info" };
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (strlen(tlds[i]) == n && !memcmp(s, tlds[i], n))
			return true;
	return false;
}

/* Whether s[0..n), a run of non-space characters without the punctuation around it, is a
 * URL ("https://x.org", "www.x.com/a.html", "Tecnick.com", "x.de/impressum") or an
 * e-mail address. */
static bool is_link(const unsigned char *s, size_t n)
{
	size_t i = 0, tld = 0, h;
	while (i < n && (ascii_alnum(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'))
		i++;
	if (i && ascii_alnum(s[0]) && i + 3 < n && !memcmp(s + i, "://", 3))
		return true;
	if ((n > 7 && !strncasecmp((const char *)s, "mailto:", 7)) ||
	    (n > 4 && !strncasecmp((const char *)s, "www.", 4) && ascii_alnum(s[4])))
		return true;
	const unsigned char *at = memchr(s, '@', n);
	if (at && at > s && (h = host_len(at + 1, n - (size_t)(at + 1 - s), &tld)))
		return at + 1 + h == s + n;
	h = host_len(s, n, &tld);
	return h && ((h < n && s[h] == '/') || (generic_tld(s + tld, h - tld) &&
						 (h == n || s[h] == ':')));
}

static bool cp_link_open(uint32_t c)
{
	return c == '(' || c == '[' || c == '<' || c == '{' || c == '"' || c == '\'' ||
	       c == 0xAB || c == 0x201C || c == 0x2018;
}

/* Punctuation after a link that is not part of it: "(see https://x.org/a)." */
static bool cp_link_close(uint32_t c)
{
	return cp_sentence_end(c) || c == ',' || c == ')' || c == ']' || c == '>' || c == '}' ||
	       c == '"' || c == '\'' || c == 0xBB || c == 0x201D || c == 0x2019;
}

/* Where the link ends when the run of non-space characters at s[0..n) is one (bytes from
 * s: the punctuation before it included, none after it); 0 when it is none. */
static size_t link_len(const unsigned char *s, size_t n)
{
	size_t b = 0, e = 0, adv;
	uint32_t c;
	while (b < n && cp_link_open(utf8_next(s + b, n - b, &adv)))
		b += adv;
	for (size_t i = b; i < n && !cp_space(c = utf8_next(s + i, n - i, &adv)); i += adv)
		if (!cp_link_close(c))
			e = i + adv;
	return e > b && is_link(s + b, e - b) ? e : 0;
}

static void grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n * elem);
	*cap = n;
}

static uint32_t stem_id(struct tagger_doc *doc, const char *low, size_t n)
{
	if (doc->stemmer) {
		const sb_symbol *r = sb_stemmer_stem(doc->stemmer, (const sb_symbol *)low, (int)n);
		if (r)
			return tagger_intern_put(&doc->stems, (const char *)r,
						 (size_t)sb_stemmer_length(doc->stemmer), NULL);
	}
	return tagger_intern_put(&doc->stems, low, n, NULL);
}

/* low[0..n) with U+2019 as "'", the stopword lists' apostrophe. Returns the length. */
static size_t fold_apostrophes(char *low, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 2 < n && !memcmp(low + i, "\xE2\x80\x99", 3)) {
			low[o++] = '\'';
			i += 2;
		} else {
			low[o++] = low[i];
		}
	}
	low[o] = '\0';
	return o;
}

static uint32_t word_id(struct tagger_doc *doc, const char *s, size_t n)
{
	char low[2 * TAGGER_TOKEN_MAX + 4];
	size_t ln = fold_apostrophes(low, tagger_lower(doc->t, s, n, low));
	bool added;
	uint32_t id = tagger_intern_put(&doc->words, low, ln, &added);
	if (!added)
		return id;
	size_t cap = doc->cword;
	grow((void **)&doc->word_stem, &cap, id + 1, sizeof(*doc->word_stem));
	cap = doc->cword;
	grow((void **)&doc->word_lower, &cap, id + 1, sizeof(*doc->word_lower));
	cap = doc->cword;
	grow((void **)&doc->word_capital, &cap, id + 1, sizeof(*doc->word_capital));
	grow((void **)&doc->word_flags, &doc->cword, id + 1, sizeof(*doc->word_flags));
	doc->word_flags[id] = tagger_word_flags(doc, low, ln);
	doc->word_stem[id] = stem_id(doc, low, ln);
	doc->word_lower[id] = doc->word_capital[id] = 0;
	return id;
}

/*
 * k stopped at an apostrophe between letters: take the letters after it into k when the
 * whole is one word, a stopword ("don't", "aujourd'hui") or an English contraction
 * ("needn't"); else it stays two tokens ("l'arbre", "company's": the noun is the tag).
 */
static void join_apostrophe(const struct tagger_doc *doc, const unsigned char *s, struct scan *k)
{
	struct scan tail;
	char low[2 * TAGGER_TOKEN_MAX + 4];
	size_t adv;
	(void)utf8_next(s + k->end, doc->len - k->end, &adv);
	scan_token(doc->t, s, doc->len, k->end + adv, &tail);
	if (tail.end - k->start > TAGGER_TOKEN_MAX)
		return;
	size_t n = tagger_lower(doc->t, (const char *)s + k->start, tail.end - k->start, low);
	if (!tagger_one_word(doc, low, fold_apostrophes(low, n)))
		return;
	k->end = tail.end;
	k->ncp += 1 + tail.ncp;
	k->nletters += tail.nletters;
	k->nupper += tail.nupper;
	k->apostrophe = tail.apostrophe;
}

static void add_token(struct tagger_doc *doc, const struct scan *k, uint16_t flags, uint32_t sent)
{
	size_t n = k->end - k->start;
	uint32_t word = UINT32_MAX;
	if (!k->nletters)
		flags |= TOK_NUM;
	if (k->first_upper)
		flags |= TOK_CAP;
	if (k->nletters >= 2 && k->nupper == k->nletters)
		flags |= TOK_UPPER;
	if (n > TAGGER_TOKEN_MAX || (k->ncp < 2 && !(flags & TOK_NUM)))
		flags |= TOK_SKIP;
	else if (k->ncp == 2)
		flags |= TOK_SHORT;
	if (!(flags & TOK_SKIP)) {
		word = word_id(doc, doc->text + k->start, n);
		flags |= doc->word_flags[word];
		if (!(flags & TOK_SENT) && k->nletters) {
			if (flags & (TOK_CAP | TOK_UPPER))
				doc->word_capital[word]++;
			else
				doc->word_lower[word]++;
		}
	}
	grow((void **)&doc->toks, &doc->ctoks, doc->ntoks + 1, sizeof(*doc->toks));
	doc->toks[doc->ntoks++] = (struct tagger_tok){
		.off = (uint32_t)k->start, .len = (uint32_t)n, .word = word, .sent = sent,
		.flags = flags,
	};
}

void tagger_tokenize(struct tagger_doc *doc)
{
	const unsigned char *s = (const unsigned char *)doc->text;
	uint16_t pending = TOK_SENT | TOK_BREAK;
	uint32_t sent = 0;
	size_t i = 0, adv;
	size_t link_end = 0;    /* the tokens before it are a link's */
	bool word_start = true; /* after a space: where a link may start */
	while (i < doc->len) {
		uint32_t c = utf8_next(s + i, doc->len - i, &adv);
		if (word_start && !cp_space(c)) {
			size_t link = link_len(s + i, doc->len - i);
			word_start = false;
			if (link)
				link_end = i + link;
		}
		if (cp_letter(doc->t, c) || cp_digit(c)) {
			struct scan k;
			scan_token(doc->t, s, doc->len, i, &k);
			if (k.apostrophe)
				join_apostrophe(doc, s, &k);
			if ((pending & TOK_SENT) && doc->ntoks)
				sent++;
			add_token(doc, &k, pending | (i < link_end ? TOK_LINK : 0), sent);
			pending = 0;
			i = k.end;
			if (k.apostrophe) { /* "l'arbre", "industry's": two tokens, no break */
				(void)utf8_next(s + i, doc->len - i, &adv);
				i += adv;
			}
			continue;
		}
		if (cp_newline(c))
			pending |= TOK_SENT | TOK_BREAK;
		else if (!cp_space(c))
			pending |= TOK_BREAK | (cp_sentence_end(c) ? TOK_SENT : 0);
		word_start = cp_space(c);
		i += adv;
	}
	if (doc->english)
		tagger_mark_verbs(doc);
}

/* ---- candidates --------------------------------------------------------------- */

static void cands_rehash(struct tagger_doc *doc)
{
	size_t nslots = doc->ncand_slots ? doc->ncand_slots * 2 : 1024;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t id = 0; id < doc->ncands; id++) {
		const struct tagger_cand *c = &doc->cands[id];
		size_t i = fnv1a(c->stem, c->n * sizeof(c->stem[0])) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(doc->cand_slots);
	doc->cand_slots = slots;
	doc->ncand_slots = nslots;
}

/* The candidate with these stems, created when new; UINT32_MAX past the cap. */
static uint32_t cand_get(struct tagger_doc *doc, const uint32_t *stem, size_t n)
{
	if (doc->ncands < TAGGER_CANDS_MAX && (doc->ncands + 1) * 2 > doc->ncand_slots)
		cands_rehash(doc);
	size_t mask = doc->ncand_slots - 1;
	for (size_t i = fnv1a(stem, n * sizeof(*stem)) & mask;; i = (i + 1) & mask) {
		uint32_t v = doc->cand_slots[i];
		if (v) {
			const struct tagger_cand *c = &doc->cands[v - 1];
			if (c->n == n && !memcmp(c->stem, stem, n * sizeof(*stem)))
				return v - 1;
			continue;
		}
		if (doc->ncands >= TAGGER_CANDS_MAX)
			return UINT32_MAX;
		grow((void **)&doc->cands, &doc->ccands, doc->ncands + 1, sizeof(*doc->cands));
		struct tagger_cand *c = &doc->cands[doc->ncands];
		memset(c, 0, sizeof(*c));
		memcpy(c->stem, stem, n * sizeof(*stem));
		c->n = (uint8_t)n;
		doc->cand_slots[i] = (uint32_t)++doc->ncands;
		return (uint32_t)doc->ncands - 1;
	}
}

static bool all_capital(const struct tagger_doc *doc, size_t start, size_t n)
{
	for (size_t j = start; j < start + n; j++)
		if (!(doc->toks[j].flags & (TOK_CAP | TOK_UPPER | TOK_NUM)))
			return false;
	return true;
}

static void add_occurrence(struct tagger_doc *doc, size_t start, size_t n, bool whole, bool ends)
{
	uint32_t stem[TAGGER_NGRAM_MAX];
	for (size_t j = 0; j < n; j++)
		stem[j] = doc->word_stem[doc->toks[start + j].word];
	uint32_t id = cand_get(doc, stem, n);
	if (id == UINT32_MAX)
		return;
	struct tagger_cand *c = &doc->cands[id];
	const struct tagger_tok *f = &doc->toks[start];
	if (!c->freq)
		c->first_sent = f->sent;
	c->freq++;
	c->nmax += whole;
	c->nend += !whole && ends;
	if (f->flags & TOK_SENT)
		c->nsent_start++;
	else if (all_capital(doc, start, n))
		c->ncap++;
	size_t cap = doc->cocc;
	grow((void **)&doc->occ_tok, &cap, doc->nocc + 1, sizeof(*doc->occ_tok));
	grow((void **)&doc->occ_next, &doc->cocc, doc->nocc + 1, sizeof(*doc->occ_next));
	size_t o = doc->nocc++;
	doc->occ_tok[o] = (uint32_t)start;
	doc->occ_next[o] = 0;
	if (c->occ_tail)
		doc->occ_next[c->occ_tail - 1] = (uint32_t)o + 1;
	else
		c->occ_head = (uint32_t)o + 1;
	c->occ_tail = (uint32_t)o + 1;
}

/* Whether token i may be inside a candidate. */
static bool tok_inside(const struct tagger_doc *doc, size_t i)
{
	return i < doc->ntoks && !(doc->toks[i].flags & (TOK_STOP | TOK_SKIP | TOK_VERB | TOK_LINK));
}

void tagger_candidates(struct tagger_doc *doc)
{
	size_t run = 0; /* tokens that may be inside a candidate, ending at i */
	for (size_t i = 0; i < doc->ntoks; i++) {
		const struct tagger_tok *k = &doc->toks[i];
		if (k->flags & TOK_BREAK)
			run = 0;
		if (!tok_inside(doc, i)) {
			run = 0;
			continue;
		}
		run++;
		if (k->flags & (TOK_NUM | TOK_NOEND)) /* a number neither ends nor starts one */
			continue;
		bool run_ends = !tok_inside(doc, i + 1) || (doc->toks[i + 1].flags & TOK_BREAK);
		for (size_t n = 1; n <= TAGGER_NGRAM_MAX && n <= run; n++) {
			if (doc->toks[i + 1 - n].flags & TOK_NUM)
				continue;
			if (n == 1 && (k->flags & TOK_SHORT) && !(k->flags & TOK_UPPER))
				continue;
			bool whole = run_ends && (n == run || n == TAGGER_NGRAM_MAX);
			add_occurrence(doc, i + 1 - n, n, whole, run_ends);
		}
	}
}

void tagger_doc_release(struct tagger_doc *doc)
{
	free(doc->toks);
	tagger_intern_release(&doc->words);
	tagger_intern_release(&doc->stems);
	free(doc->word_stem);
	free(doc->word_flags);
	free(doc->word_lower);
	free(doc->word_capital);
	free(doc->cands);
	free(doc->cand_slots);
	free(doc->occ_tok);
	free(doc->occ_next);
	memset(doc, 0, sizeof(*doc));
}
