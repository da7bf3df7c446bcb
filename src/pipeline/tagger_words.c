/*
 * tagger_words.c - what kind of word a token is: stopwords (data/stopwords),
 * word classes (data/lexicon: verbs, adjectives, adverbs that are no nouns,
 * English from WordNet), English suffix rules, and English verbs told from
 * nouns by their neighbours.
 *
 * With these, an English candidate is roughly a noun phrase: a run of
 * adjectives and nouns that ends with a noun; a verb ends a run like a stopword.
 * Languages without a lexicon file use their stopwords alone.
 */
#include <string.h>

#include "base/embed.h"
#include "pipeline/tagger_int.h"
#include "base/xalloc.h"

extern const struct embed_file pipeline_stopwords[];
extern const struct embed_file pipeline_lexicon[];

/* ---- stopwords and the lexicon ------------------------------------------------ */

/* The next line of [*p, end), blanks trimmed; blank lines and '#' comments skipped.
 * OUT: *w, *n. Returns false at the end. */
static bool next_line(const char **p, const char *end, const char **w, size_t *n)
{
	while (*p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		const char *e = nl ? nl : end, *b = *p, *we = e;
		*p = e + 1;
		while (b < we && (*b == ' ' || *b == '\t'))
			b++;
		while (we > b && (we[-1] == ' ' || we[-1] == '\t' || we[-1] == '\r'))
			we--;
		if (we > b && *b != '#') {
			*w = b;
			*n = (size_t)(we - b);
			return true;
		}
	}
	return false;
}

void tagger_load_stopwords(struct tagger_lang *lang, const char *file)
{
	const struct embed_file *f = embed_find(pipeline_stopwords, file);
	if (!f)
		return;
	const char *p = (const char *)f->data, *end = p + f->len, *w;
	size_t n;
	while (next_line(&p, end, &w, &n))
		tagger_intern_put(&lang->stop, w, n, NULL);
}

/* The class of a "[name]" line of the lexicon; LEX_NOUN for an unknown name. */
static uint8_t lexicon_section(const char *w, size_t n)
{
	static const struct {
		const char *name;
		uint8_t cls;
	} names[] = {
		{ "[verb]", LEX_VERB }, { "[gerund]", LEX_GERUND }, { "[adj]", LEX_ADJ },
		{ "[adv]", LEX_ADV },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && !memcmp(names[i].name, w, n))
			return names[i].cls;
	return LEX_NOUN;
}

void tagger_load_lexicon(struct tagger_lang *lang, const char *file)
{
	const struct embed_file *f = embed_find(pipeline_lexicon, file);
	if (!f)
		return;
	const char *p = (const char *)f->data, *end = p + f->len, *w;
	size_t n;
	uint8_t cls = LEX_NOUN;
	while (next_line(&p, end, &w, &n)) {
		if (*w == '[') {
			cls = lexicon_section(w, n);
			continue;
		}
		if (cls == LEX_NOUN)
			continue;
		uint32_t id = tagger_intern_put(&lang->lex, w, n, NULL);
		if (id >= lang->lex_ccap) {
			lang->lex_ccap = lang->lex_ccap ? lang->lex_ccap * 2 : 1024;
			lang->lex_class = xrealloc(lang->lex_class, lang->lex_ccap);
		}
		lang->lex_class[id] = cls;
	}
}

/* ---- word flags ------------------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Nouns and adjectives ending like adverbs (-ly) or participles (-ed). */
static const char *const english_ly_ed[] = {
	"anomaly", "apply", "assembly", "bed", "butterfly", "comply", "embed", "family", "fly",
	"holy", "hundred", "imply", "italy", "july", "kindred", "monopoly", "multiply", "naked",
	"oligopoly", "poly", "rally", "red", "reply", "sacred", "shed", "supply", "ugly", "wicked",
};

/* English-only word rules: adverbs in -ly are stopwords; participles in -ed
 * ("proposed", "obtained") end no candidate ("distributed systems" is fine). */
static uint16_t english_flags(const char *w, size_t n)
{
	bool ly = n >= 5 && ends_with(w, n, "ly");
	bool ed = n >= 5 && ends_with(w, n, "ed") && !ends_with(w, n, "eed");
	if (!ly && !ed)
		return 0;
	for (size_t i = 0; i < sizeof(english_ly_ed) / sizeof(english_ly_ed[0]); i++)
		if (strlen(english_ly_ed[i]) == n && !memcmp(english_ly_ed[i], w, n))
			return 0;
	return ly ? TOK_STOP : TOK_NOEND;
}

/*
 * What follows the apostrophe of an English contraction: "not" and forms of be, have,
 * will, would, am. Not "'s", which is mostly a possessive ("the company's"): the
 * contractions with it that are words of their own ("it's", "let's") are stopwords.
 */
static const char *const english_contractions[] = { "t", "re", "ve", "ll", "d", "m" };

bool tagger_one_word(const struct tagger_doc *doc, const char *w, size_t n)
{
	if (tagger_intern_get(&doc->lang->stop, w, n) != UINT32_MAX)
		return true;
	const char *q = memchr(w, '\'', n);
	if (!doc->english || !q)
		return false;
	size_t tail = n - (size_t)(q + 1 - w);
	for (size_t i = 0; i < sizeof(english_contractions) / sizeof(english_contractions[0]); i++)
		if (strlen(english_contractions[i]) == tail && !memcmp(q + 1, english_contractions[i], tail))
			return true;
	return false;
}

uint16_t tagger_word_flags(const struct tagger_doc *doc, const char *w, size_t n)
{
	const struct tagger_lang *l = doc->lang;
	/* a word with an apostrophe is one by tagger_one_word: a stopword or a contraction */
	if (tagger_intern_get(&l->stop, w, n) != UINT32_MAX || memchr(w, '\'', n))
		return TOK_STOP;
	uint16_t f = doc->english ? english_flags(w, n) : 0;
	uint32_t id = tagger_intern_get(&l->lex, w, n);
	if (f & TOK_STOP || id == UINT32_MAX)
		return f;
	switch (l->lex_class[id]) {
	case LEX_VERB:
		return f | TOK_VERB;
	case LEX_ADJ:
		return f | TOK_NOEND;
	case LEX_ADV:
		return TOK_STOP;
	case LEX_GERUND:
		return f | TOK_GERUND;
	default:
		return f;
	}
}

/* ---- verbs in context ----------------------------------------------------------- */

/* Whether token i is one of words (a NULL-terminated list of lower-case words). */
static bool tok_is(const struct tagger_doc *doc, size_t i, const char *const *words)
{
	const struct tagger_tok *k = &doc->toks[i];
	const char *w = "";
	char one[2] = { 0, 0 };
	if (k->word != UINT32_MAX) {
		w = tagger_intern_str(&doc->words, k->word);
	} else if (k->len == 1) { /* "a": one letter, no word of its own */
		one[0] = (char)(doc->text[k->off] | 0x20);
		w = one;
	}
	for (size_t j = 0; words[j]; j++)
		if (!strcmp(w, words[j]))
			return true;
	return false;
}

static const char *const english_determiners[] = {
	"the", "a", "an", "its", "their", "our", "this", "these", "those", "each", "every", NULL,
};
static const char *const english_subjects[] = {
	"we", "they", "can", "cannot", "will", "may", "must", "should", "could", "would", "might",
	"shall", NULL,
};

/*
 * English verbs that the lexicon cannot tell from nouns, by their neighbours: a word right
 * before a determiner ("implement a method", "covers the chain") or right after a subject or
 * a modal ("we exploit", "can serve"), and a verb-only -ing form that follows no noun or
 * adjective ("using neural networks", but "phase unwrapping").
 */
void tagger_mark_verbs(struct tagger_doc *doc)
{
	for (size_t i = 0; i < doc->ntoks; i++) {
		struct tagger_tok *k = &doc->toks[i];
		if (k->flags & (TOK_STOP | TOK_SKIP | TOK_NUM))
			continue;
		bool joined = i > 0 && !(k->flags & TOK_BREAK);
		bool next = i + 1 < doc->ntoks && !(doc->toks[i + 1].flags & TOK_BREAK) &&
			    tok_is(doc, i + 1, english_determiners);
		bool prev = joined && tok_is(doc, i - 1, english_subjects);
		bool gerund = (k->flags & TOK_GERUND) &&
			      (!joined || (doc->toks[i - 1].flags &
					   (TOK_STOP | TOK_SKIP | TOK_NUM | TOK_VERB)));
		if (next || prev || gerund)
			k->flags |= TOK_VERB;
	}
}
