/*
 * tagger.c - the built-in tagger: scoring and selection of the candidates
 * that tagger_tokens.c finds.
 *
 * Words (stems) are scored by a position-biased random walk over their
 * co-occurrence graph (PositionRank, Florescu & Caragea 2017: frequency,
 * earliness and spread of a word all raise it; stopwords and verbs are no
 * nodes); a candidate scores the sum of its words (so length counts), adjusted
 * by its own frequency, first sentence and casing, and in English by its
 * length. The best candidates are kept, skipping any whose stems are part of a
 * better one's. Everything is in-document: no corpus statistics.
 */
#include <libstemmer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/tagger_int.h"
#include "base/utf8.h"
#include "base/xalloc.h"

static const struct {
	const char *code, *snowball;
} lang_names[TAGGER_NLANGS] = {
	{ "en", "english" }, { "es", "spanish" }, { "fr", "french" }, { "de", "german" },
	{ "pt", "portuguese" }, { "it", "italian" }, { "nl", "dutch" },
};

/*
 * The weights, chosen on the Inspec DEV set (make eval); see score_candidates.
 */
#define WINDOW 8            /* words co-occur within this many tokens */
#define DAMPING 0.85        /* of the random walk */
#define FREQ_EXP 0.5        /* candidate score ~ sqrt(frequency) */
#define END_WEIGHT 0.2      /* an occurrence that only ends a longer run counts this much */
#define CAPITAL_BONUS 1.0   /* mostly capitalized away from sentence starts: x2 */
#define FIRST_EXP 0.5       /* first seen in sentence s: x 1/sqrt(1 + s) */
/*
 * English makes compounds by putting nouns side by side ("feedback control"), so its
 * keyphrases are mostly runs of 2-3 words and a lone word is seldom one (Inspec: any of
 * 0.1-0.3 does about as well). Romance languages join nouns with stopwords ("contrôle de
 * la température") and German and Dutch write compounds as one word, so there single
 * words are not discounted.
 */
#define ENGLISH_ONE_WORD 0.2 /* x, a candidate of one English word */

struct tagger *tagger_new(void)
{
	struct tagger *t = xcalloc(1, sizeof(*t));
	t->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!t->loc)
		t->loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
	for (size_t i = 0; i < TAGGER_NLANGS; i++) {
		struct tagger_lang *l = &t->langs[i];
		char file[16];
		l->code = lang_names[i].code;
		l->snowball = lang_names[i].snowball;
		l->stemmer = sb_stemmer_new(l->snowball, "UTF_8");
		tagger_intern_init(&l->stop);
		snprintf(file, sizeof(file), "%s.txt", l->code);
		tagger_load_stopwords(l, file);
		tagger_intern_init(&l->lex);
		tagger_load_lexicon(l, file);
	}
	return t;
}

void tagger_free(struct tagger *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < TAGGER_NLANGS; i++) {
		if (t->langs[i].stemmer)
			sb_stemmer_delete(t->langs[i].stemmer);
		tagger_intern_release(&t->langs[i].stop);
		tagger_intern_release(&t->langs[i].lex);
		free(t->langs[i].lex_class);
	}
	if (t->loc)
		freelocale(t->loc);
	free(t);
}

/* The language whose primary subtag is lang ("fr", "fr-CA", "FR"), or NULL. */
static const struct tagger_lang *find_lang(const struct tagger *t, const char *lang)
{
	if (!lang)
		return NULL;
	size_t n = strcspn(lang, "-_");
	for (size_t i = 0; i < TAGGER_NLANGS; i++)
		if (n == 2 && !strncasecmp(lang, t->langs[i].code, 2))
			return &t->langs[i];
	return NULL;
}

/* ---- word scores: PositionRank ---------------------------------------------- */

struct graph {
	size_t n;           /* nodes (stems) */
	uint32_t *start;    /* n + 1 offsets into adj/w */
	uint32_t *adj;
	double *w;
	double *wsum;       /* out-weight of each node */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool tok_word(const struct tagger_tok *k)
{
	return !(k->flags & (TOK_STOP | TOK_SKIP | TOK_NUM | TOK_VERB));
}

/* Edges between the words that occur within WINDOW tokens of each other. */
static void graph_build(const struct tagger_doc *doc, struct graph *g)
{
	size_t npairs = 0, cap = 0;
	uint64_t *pairs = NULL;
	g->n = doc->stems.n;
	for (size_t i = 0; i < doc->ntoks; i++) {
		if (!tok_word(&doc->toks[i]))
			continue;
		uint32_t u = doc->word_stem[doc->toks[i].word];
		for (size_t j = i + 1; j < doc->ntoks && j < i + WINDOW; j++) {
			if (!tok_word(&doc->toks[j]))
				continue;
			uint32_t v = doc->word_stem[doc->toks[j].word];
			if (u == v)
				continue;
			if (npairs + 2 > cap) {
				cap = cap ? cap * 2 : 1024;
				pairs = xrealloc(pairs, cap * sizeof(*pairs));
			}
			pairs[npairs++] = (uint64_t)u << 32 | v;
			pairs[npairs++] = (uint64_t)v << 32 | u;
		}
	}
	if (npairs)
		qsort(pairs, npairs, sizeof(*pairs), cmp_u64);
	g->start = xcalloc(g->n + 1, sizeof(*g->start));
	g->adj = xmalloc((npairs + 1) * sizeof(*g->adj));
	g->w = xmalloc((npairs + 1) * sizeof(*g->w));
	g->wsum = xcalloc(g->n + 1, sizeof(*g->wsum));
	size_t m = 0;
	for (size_t i = 0; i < npairs; i++) {
		uint32_t u = (uint32_t)(pairs[i] >> 32), v = (uint32_t)pairs[i];
		if (i && pairs[i] == pairs[i - 1]) {
			g->w[m - 1] += 1;
		} else {
			g->adj[m] = v;
			g->w[m++] = 1;
			g->start[u + 1]++;
		}
		g->wsum[u] += 1;
	}
	for (size_t u = 0; u < g->n; u++)
		g->start[u + 1] += g->start[u];
	free(pairs);
}

static void graph_free(struct graph *g)
{
	free(g->start);
	free(g->adj);
	free(g->w);
	free(g->wsum);
}

/* OUT: s[stem], the stationary scores of the position-biased walk. */
static void word_scores(const struct tagger_doc *doc, double *s)
{
	struct graph g;
	size_t n = doc->stems.n;
	double *bias = xcalloc(n + 1, sizeof(*bias)), *next = xcalloc(n + 1, sizeof(*next));
	double total = 0;
	graph_build(doc, &g);
	for (size_t i = 0; i < doc->ntoks; i++) {
		if (!tok_word(&doc->toks[i]))
			continue;
		double b = 1.0 / (double)(i + 1);
		bias[doc->word_stem[doc->toks[i].word]] += b;
		total += b;
	}
	for (size_t u = 0; u < n; u++)
		s[u] = bias[u] = total > 0 ? bias[u] / total : 0;
	for (int it = 0; it < 100; it++) {
		double delta = 0;
		for (size_t u = 0; u < n; u++)
			next[u] = (1 - DAMPING) * bias[u];
		for (size_t u = 0; u < n; u++) {
			if (g.wsum[u] <= 0)
				continue;
			double share = DAMPING * s[u] / g.wsum[u];
			for (size_t e = g.start[u]; e < g.start[u + 1]; e++)
				next[g.adj[e]] += share * g.w[e];
		}
		for (size_t u = 0; u < n; u++) {
			delta += fabs(next[u] - s[u]);
			s[u] = next[u];
		}
		if (delta < 1e-9)
			break;
	}
	graph_free(&g);
	free(bias);
	free(next);
}

/* ---- candidate scores and selection ------------------------------------------ */

/*
 * A candidate's score: the sum of its words' scores (longer phrases of central
 * words win), times the square root of how often it occurs as a whole run of
 * non-stopwords (a part of a longer run is mostly no phrase of its own: "neural"
 * in "neural networks"), doubled for names and acronyms, discounted by the
 * sentence it first occurs in, and for a single English word by ENGLISH_ONE_WORD.
 * Measured and left out on Inspec: the spread (last - first occurrence) and a
 * penalty on length. Zero: never a whole run.
 */
static void score_candidates(struct tagger_doc *doc, const double *ws)
{
	for (size_t i = 0; i < doc->ncands; i++) {
		struct tagger_cand *c = &doc->cands[i];
		double sum = 0, f = c->nmax + END_WEIGHT * c->nend;
		for (size_t j = 0; j < c->n; j++)
			sum += ws[c->stem[j]];
		double sc = sum * pow(f, FREQ_EXP);
		uint32_t mid = c->freq - c->nsent_start;
		if (mid && c->ncap * 2 > mid)
			sc *= 1 + CAPITAL_BONUS;
		if (c->n == 1 && doc->english)
			sc *= ENGLISH_ONE_WORD;
		c->score = sc * pow(1.0 + c->first_sent, -FIRST_EXP);
	}
}

/* Best first; equal scores by their stems, so the order never depends on qsort. */
static int cmp_rank(const void *pa, const void *pb, void *arg)
{
	const struct tagger_doc *doc = arg;
	const struct tagger_cand *a = &doc->cands[*(const uint32_t *)pa];
	const struct tagger_cand *b = &doc->cands[*(const uint32_t *)pb];
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	for (size_t j = 0; j < a->n && j < b->n; j++) {
		int r = strcmp(tagger_intern_str(&doc->stems, a->stem[j]),
			       tagger_intern_str(&doc->stems, b->stem[j]));
		if (r)
			return r;
	}
	return (int)a->n - (int)b->n;
}

/* Whether the stems of small occur, in order and contiguous, in big. */
static bool contains(const struct tagger_cand *big, const struct tagger_cand *small)
{
	for (size_t i = 0; i + small->n <= big->n; i++)
		if (!memcmp(big->stem + i, small->stem, small->n * sizeof(small->stem[0])))
			return true;
	return false;
}

/* The best max ids, near-duplicates skipped. OUT: sel[]; returns how many. */
static size_t select_best(struct tagger_doc *doc, size_t max, uint32_t *sel)
{
	uint32_t *order = xmalloc(doc->ncands * sizeof(*order));
	size_t nsel = 0;
	for (size_t i = 0; i < doc->ncands; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, doc->ncands, sizeof(*order), cmp_rank, doc);
	for (size_t i = 0; i < doc->ncands && nsel < max; i++) {
		const struct tagger_cand *c = &doc->cands[order[i]];
		bool dup = c->score <= 0;
		for (size_t k = 0; k < nsel && !dup; k++) {
			const struct tagger_cand *s = &doc->cands[sel[k]];
			dup = contains(s, c);
		}
		if (!dup)
			sel[nsel++] = order[i];
	}
	free(order);
	return nsel;
}

/* ---- surface forms -------------------------------------------------------------- */

#define SURFACE_MAX (TAGGER_NGRAM_MAX * (2 * TAGGER_TOKEN_MAX + 5))
#define SURFACE_OCCS 64

/* The words of one occurrence, a sentence-initial capital folded when the word
 * is seen lower-case more often than capitalized elsewhere: a word seen nowhere
 * else keeps its capital ("Angela Merkel", German nouns, a line's first word).
 * OUT: out (SURFACE_MAX). Returns the length. */
static size_t occurrence_text(const struct tagger_doc *doc, size_t start, size_t n, char *out)
{
	size_t o = 0;
	for (size_t j = start; j < start + n; j++) {
		const struct tagger_tok *k = &doc->toks[j];
		if (j > start)
			out[o++] = ' ';
		if (j == start && (k->flags & TOK_SENT) && (k->flags & TOK_CAP) &&
		    !(k->flags & TOK_UPPER) && doc->word_capital[k->word] < doc->word_lower[k->word]) {
			o += tagger_lower(doc->t, doc->text + k->off, k->len, out + o);
		} else {
			memcpy(out + o, doc->text + k->off, k->len);
			o += k->len;
		}
	}
	out[o] = '\0';
	return o;
}

/* The most common surface form among the first occurrences (earliest on ties). */
static const char *surface(struct arena *a, const struct tagger_doc *doc,
			   const struct tagger_cand *c, char (*buf)[SURFACE_MAX])
{
	size_t k = 0, best = 0, best_count = 0;
	for (uint32_t o = c->occ_head; o && k < SURFACE_OCCS; o = doc->occ_next[o - 1])
		occurrence_text(doc, doc->occ_tok[o - 1], c->n, buf[k++]);
	for (size_t i = 0; i < k; i++) {
		size_t count = 0;
		for (size_t j = 0; j < k; j++)
			count += !strcmp(buf[i], buf[j]);
		if (count > best_count) {
			best_count = count;
			best = i;
		}
	}
	return arena_strdup(a, buf[best]);
}

/* Score and select the document's candidates. OUT: *out (arena), *n. */
static void rank(struct tagger_doc *doc, struct arena *a, size_t max, struct tag **out, size_t *n)
{
	double *ws = xcalloc(doc->stems.n + 1, sizeof(*ws));
	uint32_t sel[TAGGER_MAX_TAGS];
	word_scores(doc, ws);
	score_candidates(doc, ws);
	size_t nsel = select_best(doc, max, sel);
	if (nsel) {
		char(*buf)[SURFACE_MAX] = xmalloc(SURFACE_OCCS * sizeof(*buf));
		struct tag *tags = arena_calloc(a, nsel, sizeof(*tags));
		double top = doc->cands[sel[0]].score;
		for (size_t i = 0; i < nsel; i++) {
			const struct tagger_cand *c = &doc->cands[sel[i]];
			tags[i].text = surface(a, doc, c, buf);
			tags[i].score = c->score / top; /* top > 0: zero scores are never selected */
		}
		free(buf);
		*out = tags;
		*n = nsel;
	}
	free(ws);
}

enum mtag_err tagger_extract(struct tagger *t, struct arena *a, const char *text, size_t len,
			     const char *lang, int max_tags, struct tag **out, size_t *n)
{
	if (!out || !n)
		return ERR_VALIDATION;
	*out = NULL;
	*n = 0;
	if (!t || !a || (!text && len) || max_tags < 1 || max_tags > TAGGER_MAX_TAGS)
		return ERR_VALIDATION;
	if (len > TAGGER_TEXT_MAX) { /* cut at a character boundary */
		len = utf8_cut(text, TAGGER_TEXT_MAX);
	}
	const struct tagger_lang *l = find_lang(t, lang);
	struct tagger_doc doc = {
		.t = t, .lang = l ? l : &t->langs[0], .stemmer = l ? l->stemmer : NULL,
		.english = !l || l == &t->langs[0], .text = text, .len = len,
	};
	tagger_tokenize(&doc);
	tagger_candidates(&doc);
	if (doc.ncands)
		rank(&doc, a, (size_t)max_tags, out, n);
	tagger_doc_release(&doc);
	return ERR_OK;
}
