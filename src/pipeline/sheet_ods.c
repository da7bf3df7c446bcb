/*
 * sheet_ods.c - ODS (OpenDocument spreadsheets): content.xml through expat.
 *
 * The first table:table of the document; rows are table:table-row at any
 * depth inside it (header-rows, row-groups), cells table:table-cell and
 * table:covered-table-cell (the hidden part of a merged cell). Repetition is
 * arithmetic, never expanded: number-columns-repeated and
 * number-rows-repeated are capped, a run of empty rows longer than the row
 * limit ends the table (office programs pad every sheet to 1,048,576 rows
 * that way), and only the chosen column of a repeated row is kept.
 *
 * A cell's value: the target of its first text:a link; else a formula
 * HYPERLINK("url"; ...); else, for float, percentage and currency cells,
 * office:value (date, time and boolean: their own attributes); else its
 * text: text:p paragraphs joined by line breaks, with text:span, text:s,
 * text:tab and text:line-break; office:annotation (comments) is not text.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/sheet_int.h"
#include "base/xalloc.h"

#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_XLINK "http://www.w3.org/1999/xlink"
#define SPACES_MAX 1000

struct ods_job {
	struct sheet_xml x;
	struct sheet_reader *r;
	int tables;           /* table:table elements open (nested ones inside cells too) */
	bool seen_table;      /* the first table ended or is open */
	bool in_row;
	size_t row;           /* the next row number */
	size_t repeat;        /* repetitions of the current row */
	size_t col;           /* the next column */
	/* the current cell */
	bool in_cell, want, nonblank;
	size_t span;          /* columns it covers */
	int paragraphs;       /* text:p and text:h seen */
	int in_p, skip;
	const char *link, *value;
	struct buf text;
	size_t total;
};

/* The local name when name is in namespace ns, else NULL. */
static const char *in_ns(const char *name, const char *ns)
{
	size_t n = strlen(ns);
	return !strncmp(name, ns, n) && name[n] == '|' ? name + n + 1 : NULL;
}

static const char *attr(const char **atts, const char *ns, const char *local)
{
	for (size_t i = 0; atts[i]; i += 2) {
		const char *l = in_ns(atts[i], ns);
		if (l && !strcmp(l, local))
			return atts[i + 1];
	}
	return NULL;
}

/* A repetition count attribute, 1 when absent, capped at max. */
static size_t count_attr(const char **atts, const char *local, size_t max)
{
	const char *s = attr(atts, NS_TABLE, local);
	char *e;
	unsigned long long v = s ? strtoull(s, &e, 10) : 1;
	return v < 1 ? 1 : v > max ? max : (size_t)v;
}

static void add_text(struct ods_job *j, const char *s, size_t n)
{
	if (j->want)
		sheet_text_append(&j->text, &j->total, s, n);
	else if (!j->nonblank)
		j->nonblank = !sheet_blank(s, n);
}

/* The typed value of a cell from its attributes, or NULL for text. */
static const char *typed_value(const char **atts)
{
	const char *type = attr(atts, NS_OFFICE, "value-type");
	if (!type || !strcmp(type, "string"))
		return NULL;
	if (!strcmp(type, "float") || !strcmp(type, "percentage") || !strcmp(type, "currency"))
		return attr(atts, NS_OFFICE, "value");
	if (!strcmp(type, "date"))
		return attr(atts, NS_OFFICE, "date-value");
	if (!strcmp(type, "time"))
		return attr(atts, NS_OFFICE, "time-value");
	if (!strcmp(type, "boolean"))
		return attr(atts, NS_OFFICE, "boolean-value");
	return NULL;
}

static void cell_start(struct ods_job *j, const char **atts)
{
	struct sheet_reader *r = j->r;
	j->in_cell = true;
	j->span = count_attr(atts, "number-columns-repeated", SHEET_MAX_COLS);
	j->want = sheet_wants_span(r, j->col, j->span);
	j->nonblank = false;
	j->paragraphs = j->in_p = j->skip = 0;
	j->link = j->value = NULL;
	j->total = 0;
	buf_reset(&j->text);
	const char *v = typed_value(atts), *f = attr(atts, NS_TABLE, "formula");
	if (v && j->want)
		j->value = arena_strdup(r->a, v);
	j->nonblank = v && !sheet_blank(v, strlen(v));
	if (f && j->want)
		j->link = sheet_formula_link(r->a, f, strlen(f));
}

static void cell_end(struct ods_job *j)
{
	struct sheet_reader *r = j->r;
	const char *v = j->link ? j->link : j->value;
	j->in_cell = false;
	if (j->col < SHEET_MAX_COLS) {
		if (v)
			sheet_cell(r, j->col, j->span, v, strlen(v), true);
		else
			sheet_cell(r, j->col, j->span, j->want ? buf_cstr(&j->text) : NULL, j->total,
				   j->nonblank);
	}
	j->col = j->col + j->span > SHEET_MAX_COLS ? SHEET_MAX_COLS : j->col + j->span;
}

static void text_start(struct ods_job *j, const char *l, const char **atts)
{
	if (!strcmp(l, "p") || !strcmp(l, "h")) {
		if (j->paragraphs++)
			add_text(j, "\n", 1);
		j->in_p++;
	} else if (!j->in_p) {
		return;
	} else if (!strcmp(l, "a")) {
		const char *href = attr(atts, NS_XLINK, "href");
		if (href && j->want && !j->link && !sheet_blank(href, strlen(href)))
			j->link = sheet_clean(j->r->a, href, strlen(href));
		j->nonblank |= href != NULL;
	} else if (!strcmp(l, "s")) {
		const char *c = attr(atts, NS_TEXT, "c");
		long n = c ? strtol(c, NULL, 10) : 1;
		for (n = n < 1 ? 1 : n > SPACES_MAX ? SPACES_MAX : n; n > 0; n--)
			add_text(j, " ", 1);
	} else if (!strcmp(l, "tab")) {
		add_text(j, "\t", 1);
	} else if (!strcmp(l, "line-break")) {
		add_text(j, "\n", 1);
	}
}

static void XMLCALL ods_start(void *user, const char *name, const char **atts)
{
	struct ods_job *j = user;
	const char *t = in_ns(name, NS_TABLE), *x;
	if (t && !strcmp(t, "table")) {
		if (j->seen_table && !j->tables)
			sheet_xml_stop(&j->x); /* the second table: done */
		j->seen_table = true;
		j->tables++;
		return;
	}
	if (j->tables != 1 && !j->in_cell)
		return;
	if (j->in_cell) {
		if ((x = in_ns(name, NS_OFFICE)) && !strcmp(x, "annotation"))
			j->skip++;
		else if (!j->skip && (x = in_ns(name, NS_TEXT)))
			text_start(j, x, atts);
	} else if (t && !strcmp(t, "table-row")) {
		j->in_row = true;
		j->repeat = count_attr(atts, "number-rows-repeated", SHEET_MAX_REPEAT);
		j->col = 0;
		sheet_row_begin(j->r, j->row);
	} else if (t && j->in_row && (!strcmp(t, "table-cell") || !strcmp(t, "covered-table-cell"))) {
		cell_start(j, atts);
	}
}

static void row_end(struct ods_job *j)
{
	struct sheet_reader *r = j->r;
	j->in_row = false;
	j->row += j->repeat;
	/* A long run of empty rows is the padding to the end of the sheet. */
	if (!r->row_nonblank && j->repeat > r->l.max_rows && r->col >= 0)
		sheet_xml_stop(&j->x);
	else if (!sheet_row_end(r, j->repeat))
		sheet_xml_stop(&j->x);
}

static void XMLCALL ods_end(void *user, const char *name)
{
	struct ods_job *j = user;
	const char *t = in_ns(name, NS_TABLE), *x;
	if (j->in_cell && t && (!strcmp(t, "table-cell") || !strcmp(t, "covered-table-cell")) &&
	    j->tables == 1) {
		cell_end(j);
	} else if (j->in_cell) {
		if ((x = in_ns(name, NS_OFFICE)) && !strcmp(x, "annotation"))
			j->skip--;
		else if (!j->skip && (x = in_ns(name, NS_TEXT)) && (!strcmp(x, "p") || !strcmp(x, "h")))
			j->in_p--;
	} else if (t && !strcmp(t, "table-row") && j->in_row && j->tables == 1) {
		row_end(j);
	}
	if (t && !strcmp(t, "table"))
		j->tables--;
	if (j->r->stop)
		sheet_xml_stop(&j->x);
}

static void XMLCALL ods_text(void *user, const char *s, int len)
{
	struct ods_job *j = user;
	if (j->in_cell && j->in_p > 0 && !j->skip)
		add_text(j, s, (size_t)len);
}

enum mtag_err sheet_read_ods(struct sheet_reader *r, zip_t *za, struct sheet_result *out)
{
	struct ods_job j = { .r = r, .row = 1 };
	buf_init(&j.text, r->l.max_cell);
	enum mtag_err e = sheet_xml_parse(za, "content.xml", "ODS", &r->l, &j.x, ods_start, ods_end,
					  ods_text, r->err, r->errlen);
	buf_release(&j.text);
	if (e == ERR_NOT_FOUND)
		return sheet_fail(r, ERR_VALIDATION, "malformed ODS: content.xml is missing");
	if (e) {
		r->e = e;
		return e;
	}
	return r->e ? r->e : sheet_finish(r, "ods", out);
}
