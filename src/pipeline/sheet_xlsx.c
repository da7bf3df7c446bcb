/*
 * sheet_xlsx.c - XLSX (Office Open XML spreadsheets) through libzip + expat.
 *
 * The first sheet is the first visible <sheet> of xl/workbook.xml; its r:id
 * is resolved through xl/_rels/workbook.xml.rels to the part that holds it
 * (which need not be sheet1.xml). The shared strings part (found the same
 * way, else xl/sharedStrings.xml) is read first: each <si> is its <t> runs
 * concatenated, phonetic runs (<rPh>) left out. Cells: t="s" (shared
 * string), "inlineStr" (<is> runs), "str" and "e" (text in <v>), "b"
 * (TRUE/FALSE), numbers as written; a cell reference such as "C12" places a
 * cell, so missing cells and rows are gaps. A formula HYPERLINK("url", ...)
 * gives its URL, and <hyperlinks> after the cells, resolved through the
 * sheet's own rels (external targets only), give their targets to the
 * cells they cover. Namespaces are matched by local name, so transitional
 * and strict files read alike.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/sheet_int.h"
#include "base/xalloc.h"

#define FORMULA_MAX 8192
#define MAX_ROW_NUMBER ((size_t)1 << 40)

struct rel {
	const char *id, *type, *target;
	bool external;
};

struct rels {
	struct rel *v;
	size_t n, cap;
};

struct sst_item {
	const char *s;      /* clean, in the arena */
	size_t len;         /* bytes before the cap */
};

struct xlsx {
	struct sheet_reader *r;
	zip_t *za;
	struct sst_item *sst;
	size_t nsst, cap_sst;
	struct rels book, sheet;
};

/* ---- relationships and the workbook ------------------------------------------ */

struct rels_job {
	struct sheet_xml x;
	struct arena *a;
	struct rels *rels;
};

static void XMLCALL rels_start(void *user, const char *name, const char **atts)
{
	struct rels_job *j = user;
	if (strcmp(sheet_xml_local(name), "Relationship"))
		return;
	const char *id = sheet_xml_attr(atts, "Id", true), *target = sheet_xml_attr(atts, "Target", true);
	const char *type = sheet_xml_attr(atts, "Type", true), *mode = sheet_xml_attr(atts, "TargetMode", true);
	if (!id || !target)
		return;
	struct rels *r = j->rels;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct rel){ arena_strdup(j->a, id), arena_strdup(j->a, type ? type : ""),
				     arena_strdup(j->a, target), mode && !strcmp(mode, "External") };
}

static int rel_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rel *)a)->id, ((const struct rel *)b)->id);
}

static const struct rel *rel_find(const struct rels *r, const char *id)
{
	struct rel key = { id, NULL, NULL, false };
	return r->n ? bsearch(&key, r->v, r->n, sizeof(*r->v), rel_cmp) : NULL;
}

static const struct rel *rel_of_type(const struct rels *r, const char *suffix)
{
	size_t k = strlen(suffix);
	for (size_t i = 0; i < r->n; i++) {
		size_t n = strlen(r->v[i].type);
		if (n >= k && !strcmp(r->v[i].type + n - k, suffix))
			return &r->v[i];
	}
	return NULL;
}

/* Parse one member; a failure other than absence is recorded in the reader. */
static enum mtag_err parse(struct xlsx *w, const char *name, struct sheet_xml *x,
			   XML_StartElementHandler start, XML_EndElementHandler end,
			   XML_CharacterDataHandler text)
{
	struct sheet_reader *r = w->r;
	enum mtag_err e = sheet_xml_parse(w->za, name, "XLSX", &r->l, x, start, end, text, r->err,
					  r->errlen);
	if (e && e != ERR_NOT_FOUND && !r->e) {
		r->e = e;
		r->stop = true;
	}
	return e;
}

static enum mtag_err read_rels(struct xlsx *w, const char *name, struct rels *out)
{
	struct rels_job j = { .a = w->r->a, .rels = out };
	enum mtag_err e = parse(w, name, &j.x, rels_start, NULL, NULL);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), rel_cmp);
	return e;
}

struct book_job {
	struct sheet_xml x;
	struct arena *a;
	const char *first, *visible; /* r:id of the first sheet, of the first visible one */
};

static void XMLCALL book_start(void *user, const char *name, const char **atts)
{
	struct book_job *j = user;
	if (strcmp(sheet_xml_local(name), "sheet"))
		return;
	const char *rid = sheet_xml_attr(atts, "id", false), *state = sheet_xml_attr(atts, "state", true);
	if (!rid)
		return;
	if (!j->first)
		j->first = arena_strdup(j->a, rid);
	if (!j->visible && (!state || !strcmp(state, "visible")))
		j->visible = arena_strdup(j->a, rid);
}

/* A part name from a relationship target relative to dir ("xl/"), with "." and ".." resolved. */
static const char *part_path(struct arena *a, const char *dir, const char *target)
{
	const char *joined = target[0] == '/' ? target + 1 : arena_printf(a, "%s%s", dir, target);
	char *out = arena_alloc(a, strlen(joined) + 1);
	size_t o = 0;
	for (const char *p = joined; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && !strncmp(p, "..", 2)) {
			while (o && out[o - 1] == '/')
				o--;
			while (o && out[o - 1] != '/')
				o--;
		} else if (n && !(n == 1 && p[0] == '.')) {
			memcpy(out + o, p, n);
			o += n;
			if (slash)
				out[o++] = '/';
		}
		p += n + (slash != NULL);
	}
	out[o] = '\0';
	return out;
}

/* The first sheet's part. NULL (error set) when the workbook does not say. */
static const char *first_sheet(struct xlsx *w)
{
	struct sheet_reader *r = w->r;
	struct book_job j = { .a = r->a };
	if (parse(w, "xl/workbook.xml", &j.x, book_start, NULL, NULL))
		return NULL;
	const char *rid = j.visible ? j.visible : j.first;
	if (!rid) {
		sheet_fail(r, ERR_VALIDATION, "malformed XLSX: xl/workbook.xml lists no sheet");
		return NULL;
	}
	enum mtag_err e = read_rels(w, "xl/_rels/workbook.xml.rels", &w->book);
	const struct rel *rel = e ? NULL : rel_find(&w->book, rid);
	if (!rel && !r->e)
		sheet_fail(r, ERR_VALIDATION, "malformed XLSX: sheet %s is not in "
			   "xl/_rels/workbook.xml.rels", rid);
	return rel ? part_path(r->a, "xl/", rel->target) : NULL;
}

/* ---- shared strings ------------------------------------------------------------ */

struct sst_job {
	struct sheet_xml x;
	struct xlsx *w;
	bool in_si;
	int in_t, skip;
	struct buf text;
	size_t total;
};

static void XMLCALL sst_start(void *user, const char *name, const char **atts)
{
	struct sst_job *j = user;
	const char *l = sheet_xml_local(name);
	(void)atts;
	if (!strcmp(l, "si")) {
		j->in_si = true;
		j->in_t = j->skip = 0;
		j->total = 0;
		buf_reset(&j->text);
	} else if (!strcmp(l, "t")) {
		j->in_t++;
	} else if (!strcmp(l, "rPh")) {
		j->skip++;
	}
}

static void XMLCALL sst_end(void *user, const char *name)
{
	struct sst_job *j = user;
	struct xlsx *w = j->w;
	const char *l = sheet_xml_local(name);
	if (!strcmp(l, "t")) {
		j->in_t--;
	} else if (!strcmp(l, "rPh")) {
		j->skip--;
	} else if (!strcmp(l, "si") && j->in_si) {
		j->in_si = false;
		if (w->nsst == w->cap_sst) {
			w->cap_sst = w->cap_sst ? 2 * w->cap_sst : 256;
			w->sst = xrealloc(w->sst, w->cap_sst * sizeof(*w->sst));
		}
		size_t n = j->text.len;
		while (j->total > n && n && ((unsigned char)j->text.ptr[n] & 0xC0) == 0x80)
			n--;
		/* Empty strings share one "": millions of <si/> cost no arena blocks. */
		const char *v = n ? sheet_clean(w->r->a, buf_cstr(&j->text), n) : "";
		w->sst[w->nsst++] = (struct sst_item){ v, j->total };
	}
}

static void XMLCALL sst_text(void *user, const char *s, int len)
{
	struct sst_job *j = user;
	if (j->in_si && j->in_t > 0 && j->skip == 0)
		sheet_text_append(&j->text, &j->total, s, (size_t)len);
}

static void read_shared_strings(struct xlsx *w)
{
	const struct rel *rel = rel_of_type(&w->book, "/sharedStrings");
	const char *name = rel ? part_path(w->r->a, "xl/", rel->target) : "xl/sharedStrings.xml";
	struct sst_job j = { .w = w };
	buf_init(&j.text, w->r->l.max_cell);
	parse(w, name, &j.x, sst_start, sst_end, sst_text);
	buf_release(&j.text);
}

/* ---- the sheet -------------------------------------------------------------------- */

enum cell_type { T_NUMBER, T_SHARED, T_INLINE, T_STR, T_BOOL };

struct sheet_job {
	struct sheet_xml x;
	struct xlsx *w;
	size_t next_col;
	bool in_row, in_cell, want, nonblank;
	enum cell_type type;
	size_t col;
	int in_v, in_is, in_t, in_f, skip;
	struct buf text, formula;
	size_t total, ftotal;
};

/* "C12": column and row; false when it is not a cell reference. */
static bool parse_ref(const char *s, long *col, size_t *row, const char **end)
{
	size_t used = 0;
	*col = sheet_col_index(s, &used);
	char *e;
	unsigned long long v = used && s[used] >= '0' && s[used] <= '9' ? strtoull(s + used, &e, 10) : 0;
	if (!v || v > MAX_ROW_NUMBER)
		return false;
	*row = (size_t)v;
	*end = e;
	return true;
}

static void row_start(struct sheet_job *j, const char **atts)
{
	const char *rs = sheet_xml_attr(atts, "r", true);
	char *e = NULL;
	unsigned long long v = rs ? strtoull(rs, &e, 10) : 0;
	sheet_row_begin(j->w->r, v && v <= MAX_ROW_NUMBER && !*e ? (size_t)v : 0);
	j->in_row = true;
	j->next_col = 0;
}

static void cell_start(struct sheet_job *j, const char **atts)
{
	const char *ref = sheet_xml_attr(atts, "r", true), *t = sheet_xml_attr(atts, "t", true), *end;
	long col = -1;
	size_t row;
	if (ref && parse_ref(ref, &col, &row, &end))
		j->col = col < 0 ? SHEET_MAX_COLS : (size_t)col;
	else
		j->col = j->next_col;
	j->next_col = j->col + 1;
	j->type = !t ? T_NUMBER : !strcmp(t, "s") ? T_SHARED : !strcmp(t, "inlineStr") ? T_INLINE
		: !strcmp(t, "b") ? T_BOOL : !strcmp(t, "n") ? T_NUMBER : T_STR;
	j->want = sheet_wants(j->w->r, j->col);
	j->in_cell = true;
	j->nonblank = false;
	j->in_v = j->in_is = j->in_t = j->in_f = j->skip = 0;
	j->total = j->ftotal = 0;
	buf_reset(&j->text);
	buf_reset(&j->formula);
}

static void cell_end(struct sheet_job *j)
{
	struct sheet_reader *r = j->w->r;
	const char *s = buf_cstr(&j->text);
	j->in_cell = false;
	if (j->type == T_SHARED) {
		char *e;
		unsigned long long i = strtoull(s, &e, 10);
		if (j->text.len && !*e && i < j->w->nsst)
			sheet_cell_clean(r, j->col, 1, j->w->sst[i].s, j->w->sst[i].len);
		return;
	}
	if (j->type == T_BOOL) {
		const char *v = !strcmp(s, "1") ? "TRUE" : !strcmp(s, "0") ? "FALSE" : s;
		sheet_cell(r, j->col, 1, j->want ? v : NULL, strlen(v), v[0] != '\0');
		return;
	}
	const char *link = j->want && j->formula.len
				   ? sheet_formula_link(r->a, j->formula.ptr, j->formula.len) : NULL;
	if (link)
		sheet_cell(r, j->col, 1, link, strlen(link), true);
	else
		sheet_cell(r, j->col, 1, j->want ? s : NULL, j->total, j->nonblank);
}

/* <hyperlink ref="B2" r:id="rId1"/> (or a range "B2:B9") on the chosen column. */
static void hyperlink(struct sheet_job *j, const char **atts)
{
	struct sheet_reader *r = j->w->r;
	const char *ref = sheet_xml_attr(atts, "ref", true), *rid = sheet_xml_attr(atts, "id", false);
	const struct rel *rel = rid ? rel_find(&j->w->sheet, rid) : NULL;
	long c1, c2;
	size_t r1, r2;
	const char *end;
	if (!ref || !rel || !rel->external || r->col < 0 || !parse_ref(ref, &c1, &r1, &end))
		return;
	c2 = c1;
	r2 = r1;
	if (*end == ':' && !parse_ref(end + 1, &c2, &r2, &end))
		return;
	if (c1 < 0 || c2 < 0 || r->col < c1 || r->col > c2 || r2 < r1)
		return;
	if (r2 > r->last_data)
		r2 = r->last_data;
	for (size_t row = r1; row <= r2 && sheet_link(r, row, rel->target); row++)
		;
}

static void XMLCALL sheet_start(void *user, const char *name, const char **atts)
{
	struct sheet_job *j = user;
	const char *l = sheet_xml_local(name);
	if (!strcmp(l, "row"))
		row_start(j, atts);
	else if (!strcmp(l, "c") && j->in_row)
		cell_start(j, atts);
	else if (!j->in_cell && !strcmp(l, "hyperlink"))
		hyperlink(j, atts);
	else if (!j->in_cell)
		return;
	else if (!strcmp(l, "v"))
		j->in_v++;
	else if (!strcmp(l, "is"))
		j->in_is++;
	else if (!strcmp(l, "t"))
		j->in_t++;
	else if (!strcmp(l, "f"))
		j->in_f++;
	else if (!strcmp(l, "rPh"))
		j->skip++;
}

static void XMLCALL sheet_end(void *user, const char *name)
{
	struct sheet_job *j = user;
	const char *l = sheet_xml_local(name);
	if (!strcmp(l, "row") && j->in_row) {
		j->in_row = false;
		if (!sheet_row_end(j->w->r, 1))
			sheet_xml_stop(&j->x);
	} else if (!strcmp(l, "c") && j->in_cell) {
		cell_end(j);
	} else if (j->in_cell) {
		j->in_v -= !strcmp(l, "v");
		j->in_is -= !strcmp(l, "is");
		j->in_t -= !strcmp(l, "t");
		j->in_f -= !strcmp(l, "f");
		j->skip -= !strcmp(l, "rPh");
	}
	if (j->w->r->stop)
		sheet_xml_stop(&j->x);
}

static void XMLCALL sheet_text(void *user, const char *s, int len)
{
	struct sheet_job *j = user;
	if (!j->in_cell)
		return;
	if (j->in_v > 0 || (j->in_is > 0 && j->in_t > 0 && j->skip == 0)) {
		if (j->want || j->type == T_SHARED || j->type == T_BOOL)
			sheet_text_append(&j->text, &j->total, s, (size_t)len);
		else if (!j->nonblank)
			j->nonblank = !sheet_blank(s, (size_t)len);
	} else if (j->in_f > 0 && j->want) {
		sheet_text_append(&j->formula, &j->ftotal, s, (size_t)len);
	}
}

/* xl/worksheets/data.xml -> xl/worksheets/_rels/data.xml.rels */
static const char *rels_of(struct arena *a, const char *part)
{
	const char *slash = strrchr(part, '/');
	size_t dir = slash ? (size_t)(slash - part) + 1 : 0;
	return arena_printf(a, "%.*s_rels/%s.rels", (int)dir, part, part + dir);
}

static void read_sheet(struct xlsx *w, const char *part)
{
	struct sheet_reader *r = w->r;
	struct sheet_job j = { .w = w };
	read_rels(w, rels_of(r->a, part), &w->sheet);
	if (r->e)
		return;
	buf_init(&j.text, r->l.max_cell);
	buf_init(&j.formula, FORMULA_MAX);
	if (parse(w, part, &j.x, sheet_start, sheet_end, sheet_text) == ERR_NOT_FOUND)
		sheet_fail(r, ERR_VALIDATION, "malformed XLSX: the sheet %s is missing", part);
	buf_release(&j.text);
	buf_release(&j.formula);
}

enum mtag_err sheet_read_xlsx(struct sheet_reader *r, zip_t *za, struct sheet_result *out)
{
	struct xlsx w = { .r = r, .za = za };
	const char *part = first_sheet(&w);
	if (part)
		read_shared_strings(&w);
	if (part && !r->e)
		read_sheet(&w, part);
	free(w.sst);
	free(w.book.v);
	free(w.sheet.v);
	return r->e ? r->e : sheet_finish(r, "xlsx", out);
}
