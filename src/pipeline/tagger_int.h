/*
 * tagger_int.h - the tagger's private parts, shared by its three files:
 * tagger_tokens.c (text -> tokens -> candidate occurrences: UTF-8, case,
 * stemming), tagger_words.c (stopwords, word classes, English verb rules) and
 * tagger.c (features, scoring, selection).
 *
 * Nothing here is part of the contract (tagger.h). A struct tagger_doc holds
 * the work of one tagger_extract call; its arrays are malloc'd, bounded by
 * the caps below, and freed by tagger_doc_release.
 */
#ifndef MTAG_TAGGER_INT_H
#define MTAG_TAGGER_INT_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/tagger.h"

struct sb_stemmer;

#define TAGGER_TEXT_MAX (1u << 20) /* bytes of text tagged; the rest is ignored */
#define TAGGER_TOKEN_MAX 64        /* bytes; longer tokens never join a candidate */
#define TAGGER_CANDS_MAX 200000    /* distinct candidates kept per document */
#define TAGGER_NGRAM_MAX 3         /* words per candidate */
#define TAGGER_NLANGS 7

/* A string -> dense id table (open addressing, FNV-1a), strings copied in. */
struct tagger_intern {
	char *pool;         /* the strings, each NUL-terminated */
	size_t pool_len, pool_cap;
	uint32_t *off;      /* id -> offset in pool */
	uint32_t *len;      /* id -> length */
	size_t n, cap;      /* ids used / allocated */
	uint32_t *slots;    /* id + 1, 0 = empty */
	size_t nslots;      /* a power of two */
};

/* One shipped language: stemmer, stopwords and word classes, owned by the tagger. */
struct tagger_lang {
	const char *code;               /* ISO 639-1 */
	const char *snowball;           /* libstemmer's algorithm name */
	struct sb_stemmer *stemmer;     /* NULL when libstemmer lacks it */
	struct tagger_intern stop;      /* the stopwords */
	struct tagger_intern lex;       /* words of a known class (data/lexicon; empty: none) */
	uint8_t *lex_class;             /* lex id -> LEX_* */
	size_t lex_ccap;                /* room in lex_class */
};

/* Word classes of the lexicon; a word not in it may be a noun. */
enum { LEX_NOUN, LEX_VERB, LEX_GERUND, LEX_ADJ, LEX_ADV };

struct tagger {
	locale_t loc;                   /* C.UTF-8 LC_CTYPE, or 0: built-in tables */
	struct tagger_lang langs[TAGGER_NLANGS];
};

enum {
	TOK_STOP = 1 << 0,   /* a stopword */
	TOK_NUM = 1 << 1,    /* no letter: digits (and . , - between them) */
	TOK_CAP = 1 << 2,    /* starts with an upper-case letter */
	TOK_UPPER = 1 << 3,  /* two letters or more, all upper case: an acronym */
	TOK_SENT = 1 << 4,   /* first token of a sentence */
	TOK_BREAK = 1 << 5,  /* punctuation between the previous token and this one */
	TOK_SKIP = 1 << 6,   /* never in a candidate (one letter, too long) */
	TOK_SHORT = 1 << 7,  /* two characters: inside candidates only, unless an acronym */
	TOK_NOEND = 1 << 8,  /* never ends a candidate (adjectives, English past participles) */
	TOK_VERB = 1 << 9,   /* a verb here: inside no candidate, no node of the word graph */
	TOK_GERUND = 1 << 10, /* an -ing verb form: a verb unless after a noun ("image filtering") */
	TOK_LINK = 1 << 11,  /* in a URL or an e-mail address: inside no candidate, yet a node of
				the word graph ("epsych" of http://epsych.msstate.edu is the site's name) */
};

struct tagger_tok {
	uint32_t off, len;  /* the surface bytes in the text */
	uint32_t word;      /* id of the lower-case form (doc->words) */
	uint32_t sent;      /* sentence number, from 0 */
	uint16_t flags;     /* TOK_* */
};

/* One candidate: a sequence of 1..3 stems, with its statistics. */
struct tagger_cand {
	uint32_t stem[TAGGER_NGRAM_MAX];
	uint8_t n;              /* words */
	uint32_t freq;          /* occurrences */
	uint32_t nmax;          /* occurrences that are a whole run (or its last 3 words) */
	uint32_t nend;          /* other occurrences that end a run */
	uint32_t first_sent;    /* sentence of the first occurrence */
	uint32_t ncap;          /* occurrences capitalized away from a sentence start */
	uint32_t nsent_start;   /* occurrences at a sentence start */
	uint32_t occ_head;      /* first occurrence in doc->occ_next chain, +1 */
	uint32_t occ_tail;      /* last occurrence of the chain, +1 */
	double score;
};

struct tagger_doc {
	const struct tagger *t;
	const struct tagger_lang *lang; /* its stopwords */
	struct sb_stemmer *stemmer;     /* NULL: words are their own stems */
	bool english;                   /* English word rules apply */
	const char *text;
	size_t len;
	struct tagger_tok *toks;
	size_t ntoks, ctoks;
	struct tagger_intern words;     /* lower-case forms */
	uint32_t *word_stem;            /* word id -> stem id */
	uint16_t *word_flags;           /* word id -> TOK_STOP, TOK_NOEND */
	uint32_t *word_lower;           /* word id -> lower-case occurrences off a sentence start */
	uint32_t *word_capital;         /* word id -> capitalized occurrences off a sentence start */
	size_t cword;
	struct tagger_intern stems;
	struct tagger_cand *cands;
	size_t ncands, ccands;
	uint32_t *cand_slots;           /* hash of stem sequences -> cand id + 1 */
	size_t ncand_slots;
	uint32_t *occ_tok;              /* occurrence -> first token */
	uint32_t *occ_next;             /* occurrence -> next of the same cand, +1 */
	size_t nocc, cocc;
};

/* tagger_tokens.c */

/* Empty table (no allocation). */
void tagger_intern_init(struct tagger_intern *s);
/* Free the table's contents. */
void tagger_intern_release(struct tagger_intern *s);
/* The id of s[0..n), added when new. OUT: *added (may be NULL). */
uint32_t tagger_intern_put(struct tagger_intern *s, const char *str, size_t n, bool *added);
/* The id of s[0..n), or UINT32_MAX. */
uint32_t tagger_intern_get(const struct tagger_intern *s, const char *str, size_t n);
/* The string of id (NUL-terminated). */
const char *tagger_intern_str(const struct tagger_intern *s, uint32_t id);

/* Lower-case the UTF-8 s[0..n) into out (room for 2n + 1 bytes; a bad byte becomes '?').
 * Returns the length. */
size_t tagger_lower(const struct tagger *t, const char *s, size_t n, char *out);
/* Tokenize doc->text into doc->toks and the word tables. */
void tagger_tokenize(struct tagger_doc *doc);
/* Find the candidates and their occurrences (doc->cands, doc->occ_*). */
void tagger_candidates(struct tagger_doc *doc);
/* Free everything the document holds. */
void tagger_doc_release(struct tagger_doc *doc);

/* tagger_words.c */

/* Load the stopwords of one embedded file ("fr.txt") into lang->stop. */
void tagger_load_stopwords(struct tagger_lang *lang, const char *file);
/* Load the word classes of one embedded file ("en.txt") into lang->lex, if there is one. */
void tagger_load_lexicon(struct tagger_lang *lang, const char *file);
/* The TOK_STOP, TOK_NOEND, TOK_VERB and TOK_GERUND flags of the lower-case word w[0..n). */
uint16_t tagger_word_flags(const struct tagger_doc *doc, const char *w, size_t n);
/* Whether the lower-case w[0..n), two words joined by one "'", is one word: a stopword
 * ("don't", "aujourd'hui") or an English contraction ("needn't", "would've"). */
bool tagger_one_word(const struct tagger_doc *doc, const char *w, size_t n);
/* English: mark the tokens that are verbs by their neighbours (TOK_VERB). */
void tagger_mark_verbs(struct tagger_doc *doc);

#endif
