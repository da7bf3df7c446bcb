/*
 * tagger.h - the built-in tagger: unsupervised keyphrase extraction.
 *
 * Candidates are runs of 1 to 3 words that cross no stopword and no
 * punctuation (in English also no verb or adverb, from a word-class list
 * derived from WordNet: data/lexicon/en.txt, so candidates are roughly
 * adjective* noun+); words are lower-cased and stemmed with Snowball
 * (libstemmer) for the document's language; candidates are scored from
 * statistical features (frequency as a whole run, first position through a
 * position-weighted walk over co-occurrences, casing, length);
 * duplicates by stem and near-duplicates are removed; the best max_tags are
 * returned in their most common surface form with a score in 0..1.
 * Deterministic: the same text and language give the same tags.
 *
 * A struct tagger holds the stemmers and stopword lists; stemmers are not
 * thread-safe, so one tagger per thread. Stopword lists are data files
 * (data/stopwords/xx.txt) embedded in the binary.
 */
#ifndef MTAG_TAGGER_H
#define MTAG_TAGGER_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"

#define TAGGER_MAX_TAGS 100

struct tag {
	const char *text; /* the surface form, in the arena */
	double score;     /* 0..1, the best tag scores highest */
};

struct tagger;

/* A tagger with every shipped language loaded. */
struct tagger *tagger_new(void);
/* Free the tagger; NULL is a no-op. */
void tagger_free(struct tagger *t);
/*
 * The best max_tags (1..TAGGER_MAX_TAGS) keyphrases of text in language lang
 * (ISO 639-1; an unknown or "und" language uses no stemmer and the English
 * stopwords). OUT: *out (arena, best first), *n (may be fewer than max_tags).
 */
enum mtag_err tagger_extract(struct tagger *t, struct arena *a, const char *text, size_t len,
			     const char *lang, int max_tags, struct tag **out, size_t *n);

#endif
