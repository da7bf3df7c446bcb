/*
 * sheet_int.h - private to the spreadsheet readers (sheet*.c): the row
 * collector every format feeds, the zip member reader with its bomb checks,
 * and one entry point per format.
 *
 * A format walks its rows in order and reports, per row, sheet_row_begin(),
 * then sheet_cell() for the cells it has, then sheet_row_end(). The collector
 * (sheet.c) takes the first non-blank row as the header, chooses the column
 * there, then keeps only that column's values; it counts rows, blanks and
 * duplicates and enforces the limits. Formats ask sheet_wants() before
 * copying a cell's text, so the cells of other columns are never held.
 *
 * struct sheet_reader owns its arrays (freed by sheet_reader_release); the
 * strings it keeps are in the caller's arena. One thread at a time.
 */
#ifndef MTAG_SHEET_INT_H
#define MTAG_SHEET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <expat.h>
#include <zip.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "pipeline/sheet.h"

/* Columns beyond this (XFD, Excel's last) are ignored. */
#define SHEET_MAX_COLS 16384
/* sheet_read_headers lists at most this many columns, names cut to this many bytes. */
#define SHEET_LIST_COLS 1024
#define SHEET_LIST_NAME 256
/* A repetition count (ODS number-rows-repeated, ...) is capped here. */
#define SHEET_MAX_REPEAT ((size_t)1 << 20)
/* The values kept, all rows together. */
#define SHEET_MAX_TOTAL ((size_t)64 << 20)

/* One kept value: row number and cleaned text (arena). */
struct sheet_entry {
	size_t row;
	const char *value;
};

/* A hyperlink on the chosen column (XLSX); seq keeps the document order. */
struct sheet_link {
	size_t row;
	size_t seq;
	const char *target;
};

struct sheet_reader {
	struct arena *a;
	struct sheet_limits l;
	const char *want;          /* the column asked for; NULL: only the header row */
	char *err;
	size_t errlen;
	enum mtag_err e;           /* the first failure */
	bool stop;                 /* stop reading: e is set, or the data ended */

	size_t header_row;         /* 0 until the header row was seen */
	const char **headers;      /* header cells by column (NULL: blank) */
	size_t nheaders;           /* last non-blank header column + 1 */
	size_t cap_headers;
	long col;                  /* the chosen column, -1 before the header */
	bool header_is_data;       /* chosen by letter and the header cell is a URL */
	const char *column;        /* the chosen column's name */

	size_t row;                /* the current row */
	size_t last_row;           /* the last row begun */
	size_t last_data;          /* the last row with any non-blank cell */
	bool row_nonblank;         /* the current row has a non-blank cell */
	const char *cur;           /* the chosen cell of the current row (arena), or NULL */

	struct sheet_entry *entries; /* non-blank values in row order */
	size_t nentries, cap_entries;
	struct sheet_link *links;  /* XLSX hyperlinks on the chosen column */
	size_t nlinks, cap_links;
	size_t kept_bytes;         /* text copied for entries */
	bool latin1;               /* CSV: the file is Windows-1252, not UTF-8 */
};

/* Set up a reader for column want (no allocation). */
void sheet_reader_init(struct sheet_reader *r, struct arena *a, const char *want,
		       const struct sheet_limits *l, char *err, size_t errlen);
/* Free the reader's arrays. */
void sheet_reader_release(struct sheet_reader *r);
/* Record a failure (the first one wins) and stop reading; returns e. */
enum mtag_err sheet_fail(struct sheet_reader *r, enum mtag_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write a message into err and return e, for callers without a reader. */
enum mtag_err sheet_error(char *err, size_t errlen, enum mtag_err e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Start row rowno (1-based; a number not past the last row is moved past it). */
void sheet_row_begin(struct sheet_reader *r, size_t rowno);
/* True when the text of column col of the current row is needed. */
bool sheet_wants(const struct sheet_reader *r, size_t col);
/* True when some column of [col, col + n) is needed. */
bool sheet_wants_span(const struct sheet_reader *r, size_t col, size_t n);
/*
 * A cell spanning repeat columns from col: its raw text s[0..n) when wanted
 * (cleaned here: trimmed, UTF-8 or else Windows-1252), or s NULL and only
 * whether it has non-blank content. n may pass l.max_cell (the chosen
 * column then fails, a header is cut): only max_cell bytes of s are read.
 */
void sheet_cell(struct sheet_reader *r, size_t col, size_t repeat, const char *s, size_t n,
		bool nonblank);
/* A cell whose text is already clean and lives in the arena (XLSX shared strings); len may pass the cap. */
void sheet_cell_clean(struct sheet_reader *r, size_t col, size_t repeat, const char *s, size_t len);
/* End the current row, repeated repeat times. False: stop reading. */
bool sheet_row_end(struct sheet_reader *r, size_t repeat);
/* A hyperlink on the chosen column at row (XLSX): it replaces the cell's text. False when no more are taken. */
bool sheet_link(struct sheet_reader *r, size_t row, const char *target);
/* After the last row: the result, or the error (column not found, empty sheet). */
enum mtag_err sheet_finish(struct sheet_reader *r, const char *format, struct sheet_result *out);

/* Trimmed, valid UTF-8 copy of s[0..n) in the arena (invalid UTF-8 is read as Windows-1252; NUL dropped). */
const char *sheet_clean(struct arena *a, const char *s, size_t n);
/* Column index of letters "A".."XFD" at s (any case); OUT: *used letters. -1 when none or past the last column. */
long sheet_col_index(const char *s, size_t *used);
/* The URL of a formula HYPERLINK("url", ...) given as a string literal, or NULL. */
const char *sheet_formula_link(struct arena *a, const char *f, size_t n);
/* Append s[0..n) to b while it has room (b's cap); *total counts every byte offered. */
void sheet_text_append(struct buf *b, size_t *total, const char *s, size_t n);
/* n bytes as "256 MB", "64 KB" or "1000 bytes" (the largest whole unit). */
const char *sheet_size_text(uint64_t n, char out[32]);
/* True when the bytes are blank (ASCII white space only). */
bool sheet_blank(const char *s, size_t n);

/* Called with each chunk of a zip member; false stops reading. */
typedef bool (*sheet_zip_sink)(void *user, const char *data, size_t n);
/*
 * Stream the member name into sink. ERR_TOO_LARGE when it declares (or
 * inflates to) more than l->max_member bytes, ERR_VALIDATION when it is
 * damaged, ERR_NOT_FOUND (err untouched) when absent.
 */
enum mtag_err sheet_zip_stream(zip_t *za, const char *name, const struct sheet_limits *l,
			       sheet_zip_sink sink, void *user, char *err, size_t errlen);

/* An expat parse of one zip member (namespaces split by '|', DTDs refused). */
struct sheet_xml {
	XML_Parser p;
	bool stopped;              /* a handler stopped the parse on purpose */
	bool dtd;                  /* the member declared a DTD */
};
/*
 * Parse the member name of the format label ("XLSX") with the handlers; their
 * user pointer is x, which starts the handler's own struct. ERR_NOT_FOUND
 * (err untouched) when absent; ERR_VALIDATION for bad XML or a DTD.
 */
enum mtag_err sheet_xml_parse(zip_t *za, const char *name, const char *label,
			      const struct sheet_limits *l, struct sheet_xml *x,
			      XML_StartElementHandler start, XML_EndElementHandler end,
			      XML_CharacterDataHandler text, char *err, size_t errlen);
/* Stop the running parse (from a handler); sheet_xml_parse then returns ERR_OK. */
void sheet_xml_stop(struct sheet_xml *x);
/* The local part of an expat "uri|local" name (the name itself when it has no namespace). */
const char *sheet_xml_local(const char *name);
/* The value of the attribute whose local name is local (any namespace, or none when bare). */
const char *sheet_xml_attr(const char **atts, const char *local, bool bare);

/* The formats: fill out from the file (CSV) or the open zip. */
enum mtag_err sheet_read_csv(struct sheet_reader *r, int fd, struct sheet_result *out);
enum mtag_err sheet_read_xlsx(struct sheet_reader *r, zip_t *za, struct sheet_result *out);
enum mtag_err sheet_read_ods(struct sheet_reader *r, zip_t *za, struct sheet_result *out);

#endif
