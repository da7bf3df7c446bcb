/*
 * utf8.h - UTF-8 encoding and decoding of code points, its validation, and
 * lower case as Unicode's simple case mapping gives it (C.UTF-8's towlower:
 * the one lower case of tag filters and search terms on both databases).
 * Thread-safe: the locale is made once.
 */
#ifndef MTAG_UTF8_H
#define MTAG_UTF8_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#define UTF8_BAD 0xFFFFFFFFu /* what utf8_get gives for an ill-formed sequence */

/* Write code point cp (at most 0x10FFFF) as UTF-8 into out (room for 4 bytes). Returns the bytes written. */
size_t utf8_put(char *out, unsigned cp);
/* True when s is NULL or well-formed UTF-8: no overlongs, surrogates or values past U+10FFFF. */
bool utf8_valid(const char *s);
/* The code point at p (n > 0 bytes), UTF8_BAD for an ill-formed one (*len then 1). OUT: *len. */
unsigned utf8_get(const char *p, size_t n, size_t *len);
/* The C.UTF-8 locale, (locale_t)0 where the system has none (no Unicode tables). */
locale_t utf8_locale(void);
/* cp in lower case; cp itself without Unicode tables but for ASCII. */
unsigned utf8_lower_cp(unsigned cp);
/* s (n bytes) in lower case into out, which has room for 2n + 1 bytes (a lower-case
 * letter takes at most 1.5 times the bytes of its capital), a Greek word's last
 * sigma as ς and any other as σ ("ΚΌΣΜΟΣ" is "κόσμος"); ill-formed bytes are
 * copied. Returns the bytes written, out NUL-terminated. */
size_t utf8_lower(const char *s, size_t n, char *out);
/*
 * s (n bytes) in Unicode's composed form (NFC: "e" and a combining acute
 * become "é", as typed), presentation forms first written as their letters
 * (NFKC for those only: Arabic contextual glyphs, "ﬁ"); anything else, as
 * full-width letters or "²", is kept; an ill-formed byte becomes U+FFFD.
 * NULL when that changes nothing; else the text (malloc'd, NUL-terminated)
 * and *outlen.
 */
char *utf8_normalize(const char *s, size_t n, size_t *outlen);
/* s (longer than max bytes) cut to at most max bytes on a character boundary: the length. */
size_t utf8_cut(const char *s, size_t max);
/* The letter cp is made of without its marks (canonical decomposition: "ά" is "α"); cp itself when it has none. */
unsigned utf8_base_letter(unsigned cp);
/* Whether cp is a combining mark (general category M: accents, Indic vowel signs and viramas,
 * Thai vowels and tone marks): part of the letter before it, never a character of its own. */
bool utf8_is_mark(unsigned cp);

/*
 * Whether cp is a letter of Chinese or Japanese (Han, Hiragana, Katakana),
 * written without spaces between words: search indexes such text by pairs
 * of letters (store_sqlite_fts.c, PostgreSQL's migration 0018).
 */
bool utf8_unspaced(unsigned cp);
/* The bytes of the letter at s[i] (s is n bytes) when it is utf8_unspaced, else 0. */
size_t utf8_unspaced_at(const char *s, size_t n, size_t i);

/* Where a character goes in a line (Unicode's bidirectional classes, grouped). */
enum utf8_direction {
	UTF8_NEUTRAL, /* spaces, punctuation, symbols: they take their neighbours' direction */
	UTF8_LTR,     /* letters written left to right */
	UTF8_RTL,     /* Hebrew, Arabic and the other letters written right to left */
	UTF8_NUMBER,  /* digits (Arabic-Indic ones too): a number reads left to right in any line */
	UTF8_MARK,    /* a mark on the letter before it */
};
enum utf8_direction utf8_direction(unsigned cp);
/* The mirror image of cp ("(" of ")"), cp itself when it has none. */
unsigned utf8_mirror(unsigned cp);
/* Where in a word a presentation form is drawn (an Arabic letter's contextual glyph). */
enum utf8_form { UTF8_FORM_NONE, UTF8_FORM_ISOLATED, UTF8_FORM_INITIAL, UTF8_FORM_MEDIAL, UTF8_FORM_FINAL };
/* The letter a presentation form draws (the first, for a ligature), cp itself for any other. OUT: *form. */
unsigned utf8_form(unsigned cp, enum utf8_form *form);

#endif
