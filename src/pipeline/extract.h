/*
 * extract.h - from a file's bytes to its text and properties.
 *
 * The type is detected from the bytes, never from a name or a header: PDF,
 * EPUB and XPS (MuPDF), HTML (libxml2), DOCX and ODT (libzip + expat), plain
 * text (UTF-8, or Latin-1 converted). Anything else is "unsupported type".
 *
 * This code parses untrusted input: the server never calls it in its own
 * process but in a helper process (pipeline/sandbox.h). `mtag tag` and the
 * tests may call it directly. Each call is independent (its own MuPDF
 * context), so threads may call it at once.
 */
#ifndef MTAG_EXTRACT_H
#define MTAG_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"

enum extract_type {
	EXTRACT_UNKNOWN,
	EXTRACT_PDF,
	EXTRACT_EPUB,
	EXTRACT_XPS,
	EXTRACT_HTML,
	EXTRACT_DOCX,
	EXTRACT_ODT,
	EXTRACT_TEXT,
};

/* A field <= 0 (or NULL limits) means the default. */
struct extract_limits {
	int max_pages;      /* 2000 by default: later pages are not read */
	size_t max_text;    /* 10 MB by default: the text is cut there (at a character boundary) */
};

struct extract_result {
	enum extract_type type;
	const char *mime_type;  /* "application/pdf", "text/plain; charset=utf-8" -> "text/plain", ... */
	const char *text;       /* UTF-8; pages separated by '\f' (form feed) */
	size_t text_len;
	int page_count;         /* pages of a paged format, 1 otherwise */
	bool truncated;         /* a limit cut pages or text */
	/* Document properties, NULL when absent (PDF info; DOCX/ODT core properties; HTML <title>). */
	const char *title;
	const char *author;
	const char *subject;
	const char *keywords;
	const char *creator;
	const char *producer;
	const char *created;    /* ISO-8601 when it could be parsed, else as stored */
	const char *modified;
};

/* The defaults: 2000 pages, 10 MB of text. */
void extract_limits_init(struct extract_limits *l);
/* The type of a file from its first bytes (and, for zip files, the entries inside). */
enum extract_type extract_detect(const char *path);
/* The MIME type of a detected type. */
const char *extract_mime_type(enum extract_type t);
/*
 * Extract the file at path. ERR_VALIDATION with err set for "unsupported
 * type: ..." (including "zip bomb"), "password-protected PDF: ...", "corrupt
 * PDF: ..." (or EPUB, XPS, DOCX, ODT, HTML), "document too large: ...";
 * ERR_IO when the file cannot be opened or is not a regular file. A file with
 * no text (a scan) is ERR_OK with empty text. On an error *out keeps its type
 * and MIME type, with empty text and no properties. OUT: *out, strings in
 * the arena.
 */
enum mtag_err extract_file(struct arena *a, const char *path, const struct extract_limits *l,
			   struct extract_result *out, char *err, size_t errlen);

#endif
