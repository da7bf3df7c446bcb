/*
 * extract_int.h - private to the extract module (extract*.c): the text
 * builder every format writes into, document properties, errors, the zip
 * reader with its bomb checks, and one entry point per format.
 *
 * struct extract_out owns a capped buffer (base/buf.h) holding UTF-8 text as
 * it is built: every byte that enters it goes through extract_out_text(),
 * which replaces invalid UTF-8 with U+FFFD, drops NUL and other control
 * characters, turns CR and CRLF into LF and, in collapse mode (HTML, ODT),
 * folds runs of white space into one space. When the cap is reached the text
 * is cut at a character boundary, truncated is set and every later call
 * returns false, so a format stops reading. One thread at a time.
 */
#ifndef MTAG_EXTRACT_INT_H
#define MTAG_EXTRACT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zip.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "pipeline/extract.h"

/* Longest property value kept (bytes); longer ones are cut at a character. */
#define EXTRACT_PROP_MAX 4096
/* Largest zip entry we inflate, and the ratio past which a big entry is a bomb. */
#define EXTRACT_ZIP_ENTRY_MAX ((uint64_t)64 << 20)
#define EXTRACT_ZIP_BOMB_RATIO 200
#define EXTRACT_ZIP_BOMB_MIN ((uint64_t)10 << 20)

struct extract_out {
	struct buf text;
	bool truncated;     /* the cap cut the text */
	bool collapse;      /* runs of white space become one space */
	bool space_pending; /* collapse mode: a space is owed before the next character */
	bool cr;            /* the last byte seen was CR (its LF is already written) */
};

/* Set up an empty builder of at most max bytes (no allocation). */
void extract_out_init(struct extract_out *o, size_t max, bool collapse);
/* Free the text. */
void extract_out_release(struct extract_out *o);
/* Append n bytes of text (claimed UTF-8, cleaned as above); false once the cap is reached. */
bool extract_out_text(struct extract_out *o, const char *s, size_t n);
/* Append one structural ASCII character ('\n', '\t', '\f', ' ') as is; false when full. */
bool extract_out_char(struct extract_out *o, char c);
/* End a line or block: drop trailing blanks, then '\n' unless the text is empty or ends a line. */
bool extract_out_break(struct extract_out *o);
/* Drop trailing white space (' ', '\t', '\n', '\f'). */
void extract_out_trim_end(struct extract_out *o);
/* Hand the text to the arena (freed at its release). OUT: r->text, r->text_len, r->truncated. */
void extract_out_finish(struct extract_out *o, struct arena *a, struct extract_result *r);

/*
 * A property value for the result: cleaned UTF-8, white space collapsed and
 * trimmed, cut at EXTRACT_PROP_MAX; NULL when s is NULL or blank.
 */
const char *extract_prop(struct arena *a, const char *s, size_t n);
/* Write a message into err and return e (ERR_VALIDATION for a refused document). */
enum mtag_err extract_fail(char *err, size_t errlen, enum mtag_err e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Bytes of s[0..n) that form complete UTF-8 characters at the end (n minus an incomplete tail). */
size_t extract_utf8_complete(const char *s, size_t n);

/*
 * A page's text (len bytes of UTF-8, lines ended by '\n') whose right-to-left
 * words were drawn in visual order, put in reading order in place
 * (extract_rtl.c); any other text is left as it is.
 */
void extract_rtl_reading_order(char *text, size_t len);

/* Called with each chunk of an entry; return false to stop reading early. */
typedef bool (*extract_zip_sink)(void *user, const char *data, size_t n);

/*
 * Stream the zip entry name into sink in chunks. Refuses (ERR_VALIDATION,
 * err set) an entry that claims more than max bytes or EXTRACT_ZIP_ENTRY_MAX,
 * one whose compression ratio makes it a bomb, and one that inflates to more
 * than it claims. ERR_NOT_FOUND (err untouched) when there is no such entry.
 */
enum mtag_err extract_zip_stream(zip_t *za, const char *name, uint64_t max,
				 extract_zip_sink sink, void *user, char *err, size_t errlen);
/* Append the entry name (at most max bytes) to b. */
enum mtag_err extract_zip_read_buf(zip_t *za, const char *name, size_t max, struct buf *b,
				   char *err, size_t errlen);

/* How the bytes of a text file are encoded, or BINARY when they are not text. */
enum extract_charset {
	EXTRACT_CS_BINARY,
	EXTRACT_CS_UTF8,
	EXTRACT_CS_UTF16LE,
	EXTRACT_CS_UTF16BE,
	EXTRACT_CS_LATIN1, /* read as Windows-1252, its superset */
};

/* The charset of the first n bytes of a file; more: the file goes on. */
enum extract_charset extract_text_charset(const unsigned char *p, size_t n, bool more);

/*
 * A PDF date ("D:20200102030405+01'00'") as ISO-8601: in UTC with 'Z' when it
 * has a zone, else "YYYY-MM-DDTHH:MM:SS"; s itself when it does not parse.
 */
const char *extract_pdf_date(struct arena *a, const char *s);

/* The formats: fill out (type and mime_type already set by the caller). */
enum mtag_err extract_mupdf(struct arena *a, const char *path, const struct extract_limits *l,
			    struct extract_result *out, char *err, size_t errlen);
enum mtag_err extract_html(struct arena *a, const char *path, const struct extract_limits *l,
			   struct extract_result *out, char *err, size_t errlen);
enum mtag_err extract_office(struct arena *a, const char *path, const struct extract_limits *l,
			     struct extract_result *out, char *err, size_t errlen);
enum mtag_err extract_plain(struct arena *a, const char *path, const struct extract_limits *l,
			    struct extract_result *out, char *err, size_t errlen);

#endif
