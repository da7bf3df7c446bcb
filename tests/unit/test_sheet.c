/*
 * test_sheet.c - the spreadsheet readers: every fixture of tests/data/sheet
 * (made by tools/make-sheet-fixtures.py) with its exact values and row
 * numbers, the column choice, the limits (rows, cells, zip members, file
 * size, repetition), files that are not spreadsheets, and the same results
 * through the sandbox's helper processes.
 *
 * Needs the mtag binary for the helpers (MTAG_TEST_BIN, default
 * build/san/mtag). The big files are written at run time in $TMPDIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "harness.h"
#include "base/buf.h"
#include "base/clock.h"
#include "pipeline/sandbox.h"
#include "pipeline/sheet.h"
#include "base/xalloc.h"

#define DATA(name) "tests/data/sheet/" name

static struct arena arena = ARENA_INIT;
static struct sheet_result res;
static char err[512];
static char rendered[8192];

/* Read a column with the default limits (or l). */
static enum mtag_err rd_limits(const char *path, const char *column, const struct sheet_limits *l)
{
	arena_release(&arena);
	err[0] = '\0';
	return sheet_read_column(&arena, path, column, l, &res, err, sizeof(err));
}

static enum mtag_err rd(const char *path, const char *column)
{
	return rd_limits(path, column, NULL);
}

/* The rows as "row value" lines, for one comparison. */
static const char *rows_text(const struct sheet_result *r)
{
	size_t o = 0;
	rendered[0] = '\0';
	for (size_t i = 0; i < r->nrows && o < sizeof(rendered); i++)
		o += (size_t)snprintf(rendered + o, sizeof(rendered) - o, "%zu %s\n", r->rows[i].row,
				      r->rows[i].value);
	return rendered;
}

static const char *tmp_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/mtag-test-sheet-%d-%s", dir && dir[0] ? dir : "/tmp",
		 (int)getpid(), name);
	return path;
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
}

/* A CSV of a header and rows data rows "https://example.com/N,N". */
static const char *big_csv(size_t rows)
{
	const char *path = tmp_path(rows > 10000 ? "big-over.csv" : "big.csv");
	FILE *f = fopen(path, "wb");
	fputs("url,n\n", f);
	for (size_t i = 1; i <= rows; i++)
		fprintf(f, "https://example.com/%zu,%zu\n", i, i);
	fclose(f);
	return path;
}

/* ---- CSV ------------------------------------------------------------------- */

static void test_csv_comma_quotes_blank_duplicate(void)
{
	CHECK_INT(rd(DATA("comma.csv"), "URL"), ERR_OK);
	CHECK_STR(res.format, "csv");
	CHECK_STR(res.column, "URL");
	/* Row 3 holds a quoted line break: still one row. */
	CHECK_STR(rows_text(&res), "2 https://example.com/a\n3 https://example.com/b\n"
				   "6 https://example.com/e?x=1,2\n");
	CHECK_INT(res.blank, 1);
	CHECK_INT(res.duplicates, 1);
	CHECK_INT(rd(DATA("comma.csv"), "Notes"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 first, with comma\n3 two\nlines\n4 no link\n5 duplicate of alpha\n"
				   "6 say \"hi\"\n");
}

static void test_csv_semicolon_crlf(void)
{
	CHECK_INT(rd(DATA("semicolon.csv"), "adresse"), ERR_OK);
	CHECK_STR(res.column, "Adresse");
	/* The blank line is row 4; CRLF is one line break. */
	CHECK_STR(rows_text(&res), "2 https://example.org/1\n3 https://example.org/2\n5 https://example.org/3\n");
	CHECK_INT(res.blank, 1);
	CHECK_INT(res.duplicates, 0);
	CHECK_INT(rd(DATA("semicolon.csv"), "Preis"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 1,5\n3 2,5\n5 3,0\n");
}

static void test_csv_tab(void)
{
	CHECK_INT(rd(DATA("tab.tsv"), "link"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 https://example.net/x\n4 https://example.net/y\n");
	CHECK_INT(res.blank, 1);
	CHECK_INT(rd(DATA("tab.tsv"), "comment"), ERR_OK);
	CHECK_STR(rows_text(&res), "3 missing\n4 ok\n");
	CHECK_INT(res.blank, 1);
}

static void test_csv_encodings(void)
{
	CHECK_INT(rd(DATA("bom.csv"), "url"), ERR_OK);
	CHECK_STR(res.column, "url"); /* the BOM is not part of the header */
	CHECK_STR(rows_text(&res), "2 https://example.com/caf\xc3\xa9\n"
				   "3 https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xe3\x83\x91\xe3\x82\xb9\n");
	CHECK_INT(rd(DATA("latin1.csv"), "Lien"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 https://example.fr/caf\xc3\xa9\n3 https://example.fr/na\xc3\xafve\n");
	CHECK_INT(rd(DATA("latin1.csv"), "remarque"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 5 \xe2\x82\xac\n3 \xc3\xa0 voir\n"); /* 0x80 is the euro sign */
	CHECK_INT(rd(DATA("utf16.txt"), "url"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 https://example.de/\xc3\xbc" "ber\n3 https://example.de/\xf0\x9f\x98\x80\n");
	/* A UTF-8 file with one damaged cell: that cell is read as Windows-1252. */
	const char mixed[] = "url,n\nhttps://example.com/\xc3\xa9t\xc3\xa9,1\nhttps://example.com/\xe9l\xe8ve,2\n"
			     "https://example.com/\xc3\xa0,3\n";
	const char *p = tmp_path("mixed.csv");
	write_file(p, mixed, sizeof(mixed) - 1);
	CHECK_INT(rd(p, "url"), ERR_OK);
	unlink(p);
	CHECK_STR(rows_text(&res), "2 https://example.com/\xc3\xa9t\xc3\xa9\n3 https://example.com/\xc3\xa9l\xc3\xa8ve\n"
				   "4 https://example.com/\xc3\xa0\n");
}

static void test_csv_odd_header_blank_duplicate(void)
{
	const char *want = "2 https://example.com/1\n4 https://example.com/2\n7 https://example.com/3\n";
	const char *names[] = { "Document URL", "document url", "DOCUMENTURL", "  document   URL" };
	for (size_t i = 0; i < 4; i++) {
		CHECK_INT(rd(DATA("odd-header.csv"), names[i]), ERR_OK);
		CHECK_STR(res.column, "Document URL");
		CHECK_STR(rows_text(&res), want);
		/* Row 3 is empty, row 6 only spaces; row 5 repeats row 2; the blank lines at the end are not rows. */
		CHECK_INT(res.blank, 2);
		CHECK_INT(res.duplicates, 1);
	}
}

static void test_csv_quotes(void)
{
	/* A stray quote inside a field is a character, not a broken file. */
	CHECK_INT(rd(DATA("stray-quote.csv"), "note"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 5\" screen\n3 ok\n");
	CHECK_INT(rd(DATA("unclosed-quote.csv"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "malformed CSV at line 2: a quoted field is never closed");
	/* A quote left open on a long file is caught at the cell limit, not at the end. */
	struct buf b = BUF_INIT(1 << 24);
	buf_puts(&b, "url,note\nhttps://example.com/1,ok\nhttps://example.com/2,\"open\n");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "https://example.com/more,text\n");
	const char *p = tmp_path("open.csv");
	write_file(p, b.ptr, b.len);
	buf_release(&b);
	CHECK_INT(rd(p, "url"), ERR_VALIDATION);
	unlink(p);
	CHECK_STR(err, "malformed CSV at line 3: a quoted field is not closed within 64 KB");
}

static void test_csv_sep_line_and_headerless_list(void)
{
	CHECK_INT(rd(DATA("sep.csv"), "url"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 https://example.com/s\n");
	/* Chosen by letter, a header that is a link is data: a plain list of links. */
	CHECK_INT(rd(DATA("urls-only.csv"), "A"), ERR_OK);
	CHECK_STR(res.column, "A");
	CHECK_STR(rows_text(&res), "1 https://example.com/1\n2 https://example.com/2\n");
	CHECK_INT(res.duplicates, 1);
	CHECK_INT(res.blank, 0);
}

/* ---- the column ----------------------------------------------------------------- */

static void test_column_by_letter(void)
{
	CHECK_INT(rd(DATA("comma.csv"), "B"), ERR_OK);
	CHECK_STR(res.column, "URL");
	CHECK_INT(res.nrows, 3);
	CHECK_INT(rd(DATA("comma.csv"), "c"), ERR_OK);
	CHECK_STR(res.column, "Notes");
	/* Past the header's width, or more than two letters: not a column. */
	CHECK_INT(rd(DATA("comma.csv"), "D"), ERR_VALIDATION);
	CHECK_STR(err, "column 'D' not found; headers: Name, URL, Notes");
	CHECK_INT(rd(DATA("comma.csv"), "AAA"), ERR_VALIDATION);
	/* A header named like a letter wins over the letter. */
	const char csv[] = "B,A\nheader-b,header-a\n";
	const char *p = tmp_path("letters.csv");
	write_file(p, csv, sizeof(csv) - 1);
	CHECK_INT(rd(p, "A"), ERR_OK);
	unlink(p);
	CHECK_STR(rows_text(&res), "2 header-a\n");
}

static void test_missing_column_lists_headers(void)
{
	CHECK_INT(rd(DATA("comma.csv"), "link"), ERR_VALIDATION);
	CHECK_STR(err, "column 'link' not found; headers: Name, URL, Notes");
	CHECK_INT(res.nrows, 0);
	CHECK_INT(rd(DATA("shared.xlsx"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "column 'url' not found; headers: Name, Web Address, Count");
	CHECK_INT(rd(DATA("links.ods"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "column 'url' not found; headers: Title, Link");
	CHECK_INT(rd(DATA("comma.csv"), "  "), ERR_VALIDATION);
	CHECK_STR(err, "no column given");
	/* Only blank lines: no header at all. */
	const char *p = tmp_path("blank.csv");
	write_file(p, "\n\n \n", 4);
	CHECK_INT(rd(p, "url"), ERR_VALIDATION);
	unlink(p);
	CHECK_STR(err, "the spreadsheet has no rows");
}

/* ---- XLSX ------------------------------------------------------------------------ */

static void test_xlsx_shared_inline_links(void)
{
	CHECK_INT(rd(DATA("shared.xlsx"), "Web Address"), ERR_OK);
	CHECK_STR(res.format, "xlsx");
	CHECK_STR(res.column, "Web Address"); /* two rich-text runs */
	CHECK_STR(rows_text(&res),
		  "2 https://example.com/shared\n"
		  "3 https://example.com/linked?a=1&b=2\n"  /* "Report" with a hyperlink */
		  "4 https://example.com/inline\n"          /* inline string, two runs */
		  "6 https://example.com/formula\n"         /* t="str": the formula's value */
		  "8 TRUE\n"
		  "9 https://example.com/fx\n"              /* HYPERLINK("...", "click") */
		  "10 https://example.com/a&b\n"
		  "11 https://example.com/noref\n");        /* cells without references */
	CHECK_INT(res.blank, 2);      /* row 5 (missing) and row 12 */
	CHECK_INT(res.duplicates, 1); /* row 7 */
	CHECK_INT(rd(DATA("shared.xlsx"), "name"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 first\n3 second\n4 \xe6\x9d\xb1\xe4\xba\xac\n6 gap before\n7 again\n"
				   "8 bool\n9 function\n10 entity\n11 noref\n12 no url\n");
	CHECK_INT(rd(DATA("shared.xlsx"), "C"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 1\n3 2.5\n");
}

static void test_xlsx_inline_only_absolute_target(void)
{
	CHECK_INT(rd(DATA("inline.xlsx"), "link"), ERR_OK);
	CHECK_STR(res.column, "Link");
	CHECK_STR(rows_text(&res), "3 https://example.com/only\n");
	CHECK_INT(res.blank, 0);
}

static void test_xlsx_bombs(void)
{
	int64_t t0 = clock_mono_us();
	CHECK_INT(rd(DATA("bomb.xlsx"), "url"), ERR_TOO_LARGE);
	CHECK_STR(err, "zip member xl/sharedStrings.xml would inflate to more than 256 MB");
	CHECK(clock_mono_us() - t0 < 10000000); /* refused, not inflated: a bound, not a speed test */
	CHECK_INT(rd(DATA("lying.xlsx"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "damaged zip member xl/worksheets/sheet1.xml: it inflates to more than it declares");
	CHECK_INT(rd(DATA("dtd.xlsx"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "malformed XLSX: xl/worksheets/sheet1.xml declares a DTD");
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_member = 1000;
	CHECK_INT(rd_limits(DATA("shared.xlsx"), "url", &l), ERR_TOO_LARGE);
	CHECK_STR(err, "zip member xl/worksheets/data.xml would inflate to more than 1000 bytes");
}

/* An XLSX of a header and rows inline-string rows, written with libzip. */
static const char *big_xlsx(size_t rows)
{
	const char *path = tmp_path("big.xlsx");
	struct buf sheet = BUF_INIT(1 << 26);
	buf_puts(&sheet, "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
			 "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>url</t></is></c></row>");
	for (size_t i = 2; i <= rows + 1; i++)
		buf_printf(&sheet, "<row r=\"%zu\"><c r=\"A%zu\" t=\"inlineStr\"><is><t>https://example.com/%zu"
			   "</t></is></c></row>", i, i, i);
	buf_puts(&sheet, "</sheetData></worksheet>");
	static const char book[] = "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
		"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
		"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	static const char rels[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
	int zerr;
	unlink(path);
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	size_t len;
	char *data = buf_detach(&sheet, &len);
	zip_file_add(z, "xl/workbook.xml", zip_source_buffer(z, book, sizeof(book) - 1, 0), 0);
	zip_file_add(z, "xl/_rels/workbook.xml.rels", zip_source_buffer(z, rels, sizeof(rels) - 1, 0), 0);
	zip_file_add(z, "xl/worksheets/sheet1.xml", zip_source_buffer(z, data, len, 0), 0);
	zip_close(z);
	free(data);
	return path;
}

/* ---- ODS --------------------------------------------------------------------------- */

static void test_ods_repeats_links_padding(void)
{
	int64_t t0 = clock_mono_us();
	CHECK_INT(rd(DATA("links.ods"), "Link"), ERR_OK);
	CHECK_STR(res.format, "ods");
	CHECK_STR(res.column, "Link");
	/* Row 4 is repeated 3 times (2 duplicates); rows 7-8 are an empty repeated row; row 12 is
	   blank; row 13's cell spans two columns; the row after the padding is not read. */
	CHECK_STR(rows_text(&res), "2 https://example.org/alpha\n3 https://example.org/beta\n"
				   "4 https://example.org/same\n9 42\n10 https://example.org/fx\n"
				   "11 https://example.org/annotated\n13 x\n");
	CHECK_INT(res.blank, 3);
	CHECK_INT(res.duplicates, 2);
	CHECK(clock_mono_us() - t0 < 10000000); /* refused, not inflated: a bound, not a speed test */
	CHECK_INT(rd(DATA("links.ods"), "title"), ERR_OK);
	CHECK_STR(rows_text(&res), "2 Alpha\n3 Beta\n4 Same\n9 Gamma\n10 Function\n11 Commented\n"
				   "12 no link\n13 x\n");
	/* A million rows of a million cells, in 800 bytes: refused at once, never expanded. */
	t0 = clock_mono_us();
	CHECK_INT(rd(DATA("repeat.ods"), "url"), ERR_TOO_LARGE);
	CHECK_STR(err, "more than 10000 rows");
	CHECK(clock_mono_us() - t0 < 10000000); /* refused, not inflated: a bound, not a speed test */
}

/* ---- limits and other files ------------------------------------------------------------ */

static void test_row_limit(void)
{
	CHECK_INT(rd(big_csv(10000), "url"), ERR_OK);
	CHECK_INT(res.nrows, 10000);
	CHECK_INT(res.rows[9999].row, 10001);
	CHECK_STR(res.rows[9999].value, "https://example.com/10000");
	CHECK_INT(rd(big_csv(10001), "url"), ERR_TOO_LARGE);
	CHECK_STR(err, "more than 10000 rows");
	CHECK_INT(res.nrows, 0);
	unlink(tmp_path("big.csv"));
	unlink(tmp_path("big-over.csv"));
	CHECK_INT(rd(big_xlsx(10000), "url"), ERR_OK);
	CHECK_INT(res.nrows, 10000);
	CHECK_INT(rd(big_xlsx(10001), "url"), ERR_TOO_LARGE);
	CHECK_STR(err, "more than 10000 rows");
	unlink(tmp_path("big.xlsx"));
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_rows = 4;
	CHECK_INT(rd_limits(DATA("comma.csv"), "URL", &l), ERR_TOO_LARGE);
	CHECK_STR(err, "more than 4 rows");
	l.max_rows = 5;
	CHECK_INT(rd_limits(DATA("comma.csv"), "URL", &l), ERR_OK);
}

static void test_cell_and_file_limits(void)
{
	struct buf b = BUF_INIT(1 << 20);
	buf_puts(&b, "url,notes\nhttps://example.com/1,");
	for (int i = 0; i < 70 * 1024; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n");
	const char *p = tmp_path("cell.csv");
	write_file(p, b.ptr, b.len);
	buf_release(&b);
	CHECK_INT(rd(p, "url"), ERR_TOO_LARGE);
	CHECK_STR(err, "a cell at line 2 is larger than 64 KB");
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_file = 1000;
	CHECK_INT(rd_limits(p, "url", &l), ERR_TOO_LARGE);
	unlink(p);
	CHECK_STR(err, "the spreadsheet is larger than 1000 bytes");
	l.max_file = 0;
	l.max_cell = 5;
	CHECK_INT(rd_limits(DATA("shared.xlsx"), "Name", &l), ERR_TOO_LARGE);
	CHECK_STR(err, "the cell in row 3 of column 'Name' is larger than 5 bytes");
}

static void test_not_spreadsheets(void)
{
	CHECK_INT(rd(DATA("empty.csv"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "unsupported spreadsheet: empty file");
	CHECK_INT(rd(DATA("image.png"), "url"), ERR_VALIDATION);
	CHECK_STR(err, "unsupported spreadsheet: PNG image");
	CHECK_INT(rd("tests/data/extract/report.docx", "url"), ERR_VALIDATION);
	CHECK_STR(err, "unsupported spreadsheet: Word document (DOCX)");
	CHECK_INT(rd("tests/data/extract/random.bin", "url"), ERR_VALIDATION);
	CHECK_STR(err, "unsupported spreadsheet: binary data");
	CHECK_INT(rd("tests/data/sheet/does-not-exist.csv", "url"), ERR_NOT_FOUND);
	CHECK_STR(err, "cannot open the spreadsheet: No such file or directory");
	CHECK_INT(rd("tests/data/sheet", "url"), ERR_IO);
	CHECK_STR(err, "cannot open the spreadsheet: not a regular file");
}

/* ---- the sandbox -------------------------------------------------------------------------- */

static const char *bin(void)
{
	const char *b = getenv("MTAG_TEST_BIN");
	return b && b[0] ? b : "build/san/mtag";
}

/* A sandbox of one helper process (this build's mtag). */
static struct sandbox *one_helper(void)
{
	struct sandbox_options o;
	sandbox_options_init(&o);
	o.exe = bin();
	o.procs = 1;
	o.timeout_s = 30;
	return sandbox_new(&o);
}


static void test_sandbox_same_result(void)
{
	static const char *const cases[][2] = {
		{ DATA("comma.csv"), "URL" }, { DATA("semicolon.csv"), "adresse" },
		{ DATA("latin1.csv"), "Lien" }, { DATA("utf16.txt"), "url" },
		{ DATA("odd-header.csv"), "document url" }, { DATA("urls-only.csv"), "A" },
		{ DATA("shared.xlsx"), "Web Address" }, { DATA("links.ods"), "Link" },
		{ DATA("comma.csv"), "nope" }, { DATA("bomb.xlsx"), "url" },
		{ DATA("image.png"), "url" }, { DATA("unclosed-quote.csv"), "url" },
		{ DATA("repeat.ods"), "url" }, { "tests/data/sheet/missing.csv", "url" },
	};
	struct sandbox *sb = one_helper();
	struct arena a = ARENA_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sheet_result in, out;
		char ein[512] = "", eout[512] = "";
		enum mtag_err e1 = sheet_read_column(&a, cases[i][0], cases[i][1], NULL, &in, ein, sizeof(ein));
		enum mtag_err e2 = sandbox_read_sheet(sb, &a, cases[i][0], cases[i][1], NULL, &out, eout,
						      sizeof(eout));
		CHECK_INT(e2, e1);
		CHECK_STR(eout, ein);
		if (e1)
			continue;
		CHECK_STR(out.format, in.format);
		CHECK_STR(out.column, in.column);
		CHECK_INT(out.blank, in.blank);
		CHECK_INT(out.duplicates, in.duplicates);
		char want[8192];
		snprintf(want, sizeof(want), "%s", rows_text(&in));
		CHECK_STR(rows_text(&out), want);
	}
	/* Limits travel with the request. */
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_rows = 2;
	struct sheet_result out;
	CHECK_INT(sandbox_read_sheet(sb, &a, DATA("comma.csv"), "URL", &l, &out, err, sizeof(err)),
		  ERR_TOO_LARGE);
	CHECK_STR(err, "more than 2 rows");
	/* Extraction still works on the same helpers. */
	struct extract_limits el;
	struct extract_result er;
	extract_limits_init(&el);
	CHECK_INT(sandbox_extract(sb, &a, DATA("comma.csv"), &el, &er, err, sizeof(err)), ERR_OK);
	CHECK(strstr(er.text, "https://example.com/a") != NULL);
	sandbox_free(sb);
	arena_release(&a);
}

/* The header row alone, for choosing a column: names, letters for blank cells, the rest unread. */
static const char *headers_text(const struct sheet_result *r)
{
	size_t o = 0;
	rendered[0] = '\0';
	for (size_t i = 0; i < r->nheaders && o < sizeof(rendered); i++)
		o += (size_t)snprintf(rendered + o, sizeof(rendered) - o, "%s%s", i ? "|" : "",
				      r->headers[i]);
	return rendered;
}

static void test_headers_only(void)
{
	static const char *const cases[][3] = {
		{ DATA("comma.csv"), "csv", "Name|URL|Notes" },
		{ DATA("shared.xlsx"), "xlsx", "Name|Web Address|Count" },
		{ DATA("links.ods"), "ods", "Title|Link" },
		{ DATA("urls-only.csv"), "csv", "https://example.com/1" },
	};
	struct sandbox *sb = one_helper();
	struct arena a = ARENA_INIT;
	struct sheet_result out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		arena_release(&arena);
		CHECK_INT(sheet_read_headers(&arena, cases[i][0], NULL, &res, err, sizeof(err)), ERR_OK);
		CHECK_STR(res.format, cases[i][1]);
		CHECK_STR(headers_text(&res), cases[i][2]);
		CHECK_INT(res.nrows, 0);
		CHECK_INT(sandbox_read_sheet(sb, &a, cases[i][0], NULL, NULL, &out, err, sizeof(err)), ERR_OK);
		CHECK_STR(out.format, cases[i][1]);
		CHECK_STR(headers_text(&out), cases[i][2]);
	}
	/* Blank lines before the header; a blank header cell is named by its letter; the rows
	 * after the header are not read, so a row limit does not apply. */
	const char *path = tmp_path("headers.csv");
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("\n\ntitle,,link\n", f);
	for (int r = 0; r < 50; r++)
		fprintf(f, "t%d,x,https://example.com/%d\n", r, r);
	fclose(f);
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_rows = 2;
	arena_release(&arena);
	CHECK_INT(sheet_read_headers(&arena, path, &l, &res, err, sizeof(err)), ERR_OK);
	CHECK_STR(headers_text(&res), "title|B|link");
	CHECK_INT(rd_limits(path, "link", &l), ERR_TOO_LARGE);
	/* A header row of 2000 cells of 1000 bytes lists 1024 names of 256 bytes, also
	 * through a helper. */
	f = fopen(path, "w");
	CHECK(f != NULL);
	for (int c = 0; c < 2000; c++) {
		fprintf(f, "%sh%04d", c ? "," : "", c);
		for (int k = 0; k < 995; k++)
			fputc('x', f);
	}
	fputs("\n", f);
	fclose(f);
	arena_release(&arena);
	CHECK_INT(sheet_read_headers(&arena, path, NULL, &res, err, sizeof(err)), ERR_OK);
	CHECK_INT(res.nheaders, 1024);
	CHECK_INT(strlen(res.headers[0]), 256);
	CHECK(strncmp(res.headers[1023], "h1023xxx", 8) == 0);
	CHECK_INT(sandbox_read_sheet(sb, &a, path, NULL, NULL, &out, err, sizeof(err)), ERR_OK);
	CHECK_INT(out.nheaders, 1024);
	CHECK_STR(out.headers[1023], res.headers[1023]);
	/* Failures are those of reading a column. */
	arena_release(&arena);
	CHECK_INT(sheet_read_headers(&arena, DATA("empty.csv"), NULL, &res, err, sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "unsupported spreadsheet: empty file");
	CHECK_INT(sandbox_read_sheet(sb, &a, DATA("bomb.xlsx"), NULL, NULL, &out, err, sizeof(err)), ERR_TOO_LARGE);
	unlink(path);
	sandbox_free(sb);
	arena_release(&a);
}

int main(void)
{
	RUN(test_csv_comma_quotes_blank_duplicate);
	RUN(test_csv_semicolon_crlf);
	RUN(test_csv_tab);
	RUN(test_csv_encodings);
	RUN(test_csv_odd_header_blank_duplicate);
	RUN(test_csv_quotes);
	RUN(test_csv_sep_line_and_headerless_list);
	RUN(test_column_by_letter);
	RUN(test_missing_column_lists_headers);
	RUN(test_xlsx_shared_inline_links);
	RUN(test_xlsx_inline_only_absolute_target);
	RUN(test_xlsx_bombs);
	RUN(test_ods_repeats_links_padding);
	RUN(test_row_limit);
	RUN(test_cell_and_file_limits);
	RUN(test_not_spreadsheets);
	RUN(test_sandbox_same_result);
	RUN(test_headers_only);
	arena_release(&arena);
	return unit_report("test_sheet");
}
