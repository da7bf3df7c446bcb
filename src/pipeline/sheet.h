/*
 * sheet.h - spreadsheets of links: read one column of a CSV, XLSX or ODS.
 *
 * The type comes from the bytes (a zip with xl/workbook.xml is XLSX, with
 * mimetype application/vnd.oasis.opendocument.spreadsheet is ODS, anything
 * else that is text is CSV). CSV: libcsv; the delimiter is sniffed among
 * ',', ';' and tab; UTF-8 with or without BOM (Latin-1 converted). XLSX and
 * ODS: libzip + expat, streamed; the first sheet (XLSX: resolved through
 * xl/workbook.xml and its rels); shared strings, inline strings, and
 * hyperlinks attached to cells (a cell showing "report" that links to a URL
 * gives the URL). The first non-blank row is the header.
 *
 * The URL column is chosen by header name (exact, then ignoring case and
 * spaces) or, when no header matches, by column letter ("B", A..ZZ, within
 * the header's width). A missing column is ERR_VALIDATION listing the
 * headers found. When a column chosen by letter has a link (http:// or
 * https://) as its header, the sheet has no header: that row is data too.
 * Blank rows and duplicate URLs are skipped and counted; blank rows after
 * the last non-blank row are not rows. Limits: rows (sheet_limits.max_rows,
 * default 10,000: more is ERR_TOO_LARGE), cell size (64 KB, for the chosen
 * column), 64 MB of text in the column, the uncompressed size of each zip
 * member (a zip bomb is refused before it is inflated) and the file size.
 * Implemented in sheet.c (detection, column, rows), sheet_csv.c,
 * sheet_xlsx.c, sheet_ods.c and sheet_zip.c; notes in sheet_int.h.
 *
 * Parses untrusted input: the server calls it only in the sandbox's helper
 * processes or on files it received itself, with these limits. Each call is
 * independent (thread-safe).
 */
#ifndef MTAG_SHEET_H
#define MTAG_SHEET_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct sheet_limits {
	size_t max_rows;        /* data rows (after the header); default 10,000 */
	size_t max_cell;        /* bytes per cell; default 64 KB */
	uint64_t max_member;    /* uncompressed bytes of one zip member; default 256 MB */
	uint64_t max_file;      /* bytes of the file; default 100 MB */
};

/* One value of the chosen column, in row order. */
struct sheet_row {
	size_t row;             /* 1-based row number in the sheet (the header is row 1) */
	const char *value;      /* trimmed cell text (or its hyperlink target), UTF-8, arena */
};

struct sheet_result {
	const char *format;     /* "csv", "xlsx" or "ods" */
	const char *column;     /* the header of the chosen column */
	struct sheet_row *rows; /* non-blank, first occurrence of each value */
	size_t nrows;
	size_t blank;           /* rows skipped because the cell was empty */
	size_t duplicates;      /* rows skipped because the value came earlier */
	/* sheet_read_headers only: the header row, one name per column up to the last
	 * non-blank one ("A", "B"... for a blank cell); rows and column are then empty. */
	const char **headers;
	size_t nheaders;
};

/* The letters of the column of index col (0: "A", 27: "AB") into out. */
const char *sheet_column_letters(long col, char out[4]);
/* The defaults above. */
void sheet_limits_init(struct sheet_limits *l);
/*
 * Read the column named column (a header name, or a letter such as "B") of
 * the spreadsheet at path; l NULL or a field 0 means the default. Errors:
 * ERR_VALIDATION with err saying why ("column 'url' not found; headers:
 * Name, Link, Notes", "unsupported spreadsheet: ...", "malformed CSV at line
 * 12: ...", "the spreadsheet has no rows"), ERR_TOO_LARGE for a limit ("more
 * than 10000 rows", "zip member xl/sharedStrings.xml would inflate to more
 * than 256 MB"), ERR_NOT_FOUND or ERR_IO when the file cannot be read.
 * OUT: *out in the arena (zeroed on error).
 */
enum mtag_err sheet_read_column(struct arena *a, const char *path, const char *column,
				const struct sheet_limits *l, struct sheet_result *out, char *err,
				size_t errlen);
/*
 * Only the header row (the first non-blank row) of the spreadsheet at path,
 * so that a person can choose the column: out->format, out->headers (the
 * first 1024 columns, each name cut to 256 bytes). The rest of the file is
 * not read. Errors as sheet_read_column's.
 */
enum mtag_err sheet_read_headers(struct arena *a, const char *path, const struct sheet_limits *l,
				 struct sheet_result *out, char *err, size_t errlen);

#endif
