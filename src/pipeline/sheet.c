/*
 * sheet.c - reading one column of a spreadsheet: the type from the bytes,
 * the dispatch to the format (sheet_csv.c, sheet_xlsx.c, sheet_ods.c), and
 * the row collector they all feed (design notes: sheet_int.h).
 *
 * Rows: the first non-blank row is the header. A data row is any row after
 * it up to the last row with a non-blank cell, so blank rows in between
 * count as blank and blank rows at the end do not count at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/sheet_int.h"
#include "base/xalloc.h"

#define SNIFF_BYTES 64
#define LIST_MAX 400        /* bytes of header names in a "not found" message */
#define LIST_NAME_MAX 60    /* bytes of one name there */

void sheet_limits_init(struct sheet_limits *l)
{
	l->max_rows = 10000;
	l->max_cell = 64 * 1024;
	l->max_member = (uint64_t)256 << 20;
	l->max_file = (uint64_t)100 << 20;
}

static void vformat(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

enum mtag_err sheet_error(char *err, size_t errlen, enum mtag_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

enum mtag_err sheet_fail(struct sheet_reader *r, enum mtag_err e, const char *fmt, ...)
{
	if (r->e)
		return r->e;
	va_list ap;
	va_start(ap, fmt);
	vformat(r->err, r->errlen, fmt, ap);
	va_end(ap);
	r->e = e;
	r->stop = true;
	return e;
}

void sheet_reader_init(struct sheet_reader *r, struct arena *a, const char *want,
		       const struct sheet_limits *l, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->l = *l;
	r->want = want;
	r->err = err;
	r->errlen = errlen;
	r->col = -1;
}

void sheet_reader_release(struct sheet_reader *r)
{
	free(r->headers);
	free(r->entries);
	free(r->links);
	r->headers = NULL;
	r->entries = NULL;
	r->links = NULL;
}

/* ---- text ------------------------------------------------------------------ */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

const char *sheet_size_text(uint64_t n, char out[32])
{
	if (n && !(n % (1 << 20)))
		snprintf(out, 32, "%llu MB", (unsigned long long)(n >> 20));
	else if (n && !(n % 1024))
		snprintf(out, 32, "%llu KB", (unsigned long long)(n >> 10));
	else
		snprintf(out, 32, "%llu bytes", (unsigned long long)n);
	return out;
}

void sheet_text_append(struct buf *b, size_t *total, const char *s, size_t n)
{
	*total += n;
	size_t room = b->max - b->len;
	buf_append(b, s, n < room ? n : room);
}

bool sheet_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]))
			return false;
	return true;
}

/* Length of the strict UTF-8 sequence at p[0..n), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
		   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
	    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
		return 0;
	return len;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_len(p + i, n - i)))
			return false;
	return true;
}

/* Windows-1252 in 0x80-0x9F (the five holes map to themselves, C1 controls). */
static const unsigned short cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static const char *clean_copy(struct arena *a, const unsigned char *p, size_t n, bool latin1)
{
	char *out = arena_alloc(a, latin1 ? 3 * n + 1 : n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c == 0)
			continue;
		if (!latin1 || c < 0x80) {
			out[o++] = (char)c;
			continue;
		}
		unsigned cp = c < 0xA0 ? cp1252[c - 0x80] : c;
		if (cp < 0x800) {
			out[o++] = (char)(0xC0 | cp >> 6);
		} else {
			out[o++] = (char)(0xE0 | cp >> 12);
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
		}
		out[o++] = (char)(0x80 | (cp & 0x3F));
	}
	out[o] = '\0';
	return out;
}

static const char *clean(struct arena *a, const char *s, size_t n, bool latin1)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n && is_space(p[0])) {
		p++;
		n--;
	}
	while (n && is_space(p[n - 1]))
		n--;
	return clean_copy(a, p, n, latin1 || !utf8_valid(p, n));
}

const char *sheet_clean(struct arena *a, const char *s, size_t n)
{
	return clean(a, s, n, false);
}

long sheet_col_index(const char *s, size_t *used)
{
	long v = 0;
	size_t i = 0;
	while (i < 3 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
		v = v * 26 + ((s[i] | 0x20) - 'a' + 1);
		i++;
	}
	*used = i;
	return i == 0 || v > SHEET_MAX_COLS ? -1 : v - 1;
}

const char *sheet_column_letters(long col, char out[4])
{
	char tmp[4];
	size_t n = 0;
	for (long v = col + 1; v > 0 && n < 3; v = (v - 1) / 26)
		tmp[n++] = (char)('A' + (v - 1) % 26);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return out;
}

const char *sheet_formula_link(struct arena *a, const char *f, size_t n)
{
	size_t i = 0;
	while (i < n && (is_space((unsigned char)f[i]) || f[i] == '='))
		i++;
	if (n - i >= 3 && !strncasecmp(f + i, "of:", 3))
		i += 3;
	while (i < n && (is_space((unsigned char)f[i]) || f[i] == '='))
		i++;
	if (n - i < 10 || strncasecmp(f + i, "HYPERLINK", 9))
		return NULL;
	for (i += 9; i < n && is_space((unsigned char)f[i]); i++)
		;
	if (i >= n || f[i++] != '(')
		return NULL;
	while (i < n && is_space((unsigned char)f[i]))
		i++;
	if (i >= n || f[i++] != '"')
		return NULL;
	struct buf b = BUF_INIT(n);
	for (; i < n; i++) {
		if (f[i] == '"' && i + 1 < n && f[i + 1] == '"')
			i++;
		else if (f[i] == '"')
			break;
		buf_putc(&b, f[i]);
	}
	const char *v = i < n && b.len ? sheet_clean(a, b.ptr, b.len) : NULL;
	buf_release(&b);
	return v && v[0] ? v : NULL;
}

/* ---- rows ------------------------------------------------------------------ */

void sheet_row_begin(struct sheet_reader *r, size_t rowno)
{
	if (r->stop)
		return;
	if (rowno <= r->last_row)
		rowno = r->last_row + 1;
	r->row = r->last_row = rowno;
	r->row_nonblank = false;
	r->cur = NULL;
	if (r->col < 0) {
		for (size_t i = 0; i < r->nheaders; i++)
			r->headers[i] = NULL;
		r->nheaders = 0;
	}
}

bool sheet_wants(const struct sheet_reader *r, size_t col)
{
	return !r->stop && col < SHEET_MAX_COLS && (r->col < 0 || (size_t)r->col == col);
}

bool sheet_wants_span(const struct sheet_reader *r, size_t col, size_t n)
{
	if (r->stop || col >= SHEET_MAX_COLS)
		return false;
	return r->col < 0 || ((size_t)r->col >= col && (size_t)r->col - col < n);
}

static void set_header(struct sheet_reader *r, size_t col, size_t repeat, const char *v)
{
	size_t end = col + (repeat < SHEET_MAX_COLS ? repeat : SHEET_MAX_COLS);
	if (end > SHEET_MAX_COLS)
		end = SHEET_MAX_COLS;
	if (end > r->cap_headers) {
		size_t cap = r->cap_headers ? r->cap_headers : 16;
		while (cap < end)
			cap *= 2;
		r->headers = xrealloc(r->headers, cap * sizeof(*r->headers));
		memset(r->headers + r->cap_headers, 0, (cap - r->cap_headers) * sizeof(*r->headers));
		r->cap_headers = cap;
	}
	for (size_t c = col; c < end; c++)
		r->headers[c] = v;
	if (end > r->nheaders)
		r->nheaders = end;
}

/* A non-blank cell's clean value v, in the header or in the chosen column. */
static void keep(struct sheet_reader *r, size_t col, size_t repeat, const char *v)
{
	if (r->col < 0)
		set_header(r, col, repeat, v);
	else if (sheet_wants_span(r, col, repeat))
		r->cur = v;
}

static bool too_big(struct sheet_reader *r, size_t col, size_t repeat, size_t n)
{
	if (n <= r->l.max_cell || r->col < 0 || !sheet_wants_span(r, col, repeat))
		return false;
	char size[32];
	sheet_fail(r, ERR_TOO_LARGE, "the cell in row %zu of column '%s' is larger than %s", r->row,
		   r->column, sheet_size_text(r->l.max_cell, size));
	return true;
}

void sheet_cell(struct sheet_reader *r, size_t col, size_t repeat, const char *s, size_t n,
		bool nonblank)
{
	if (r->stop)
		return;
	size_t take = n < r->l.max_cell ? n : r->l.max_cell;
	if (s)
		nonblank = !sheet_blank(s, take);
	if (!nonblank)
		return;
	r->row_nonblank = true;
	if (!s || !sheet_wants_span(r, col, repeat) || too_big(r, col, repeat, n))
		return;
	while (take < n && take && ((unsigned char)s[take] & 0xC0) == 0x80)
		take--; /* a cut header ends on a character */
	const char *v = clean(r->a, s, take, r->latin1);
	if (r->col >= 0 && (r->kept_bytes += strlen(v)) > SHEET_MAX_TOTAL) {
		sheet_fail(r, ERR_TOO_LARGE, "column '%s' holds more than %zu MB of text",
			   r->column, SHEET_MAX_TOTAL >> 20);
		return;
	}
	keep(r, col, repeat, v);
}

void sheet_cell_clean(struct sheet_reader *r, size_t col, size_t repeat, const char *s, size_t len)
{
	if (r->stop || !s || !s[0])
		return;
	r->row_nonblank = true;
	if (sheet_wants_span(r, col, repeat) && !too_big(r, col, repeat, len))
		keep(r, col, repeat, s);
}

/* "a, b, c" of the non-blank headers, shortened. */
static const char *header_list(struct sheet_reader *r)
{
	struct buf b = BUF_INIT(LIST_MAX + 2 * LIST_NAME_MAX);
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *h = r->headers[i];
		if (!h)
			continue;
		if (b.len >= LIST_MAX) {
			buf_puts(&b, ", ...");
			break;
		}
		size_t n = strlen(h) <= LIST_NAME_MAX ? strlen(h) : LIST_NAME_MAX;
		while (n < strlen(h) && n && ((unsigned char)h[n] & 0xC0) == 0x80)
			n--;
		buf_printf(&b, "%s%.*s%s", b.len ? ", " : "", (int)n, h, n < strlen(h) ? "..." : "");
	}
	const char *s = arena_strdup(r->a, b.len ? buf_cstr(&b) : "(none)");
	buf_release(&b);
	return s;
}

/* Lower case without white space, for the loose match. */
static void squeeze(const char *s, struct buf *b)
{
	buf_reset(b);
	for (; *s; s++)
		if (!is_space((unsigned char)*s))
			buf_putc(b, (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s));
}

static long match_header(struct sheet_reader *r, const char *want)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i] && !strcmp(r->headers[i], want))
			return (long)i;
	struct buf w = BUF_INIT(strlen(want) + 1), h = BUF_INIT(r->l.max_cell + 1);
	long found = -1;
	squeeze(want, &w);
	for (size_t i = 0; i < r->nheaders && found < 0 && w.len; i++) {
		if (!r->headers[i])
			continue;
		squeeze(r->headers[i], &h);
		if (h.len == w.len && !memcmp(h.ptr, w.ptr, w.len))
			found = (long)i;
	}
	buf_release(&w);
	buf_release(&h);
	return found;
}

static bool is_url(const char *s)
{
	return s && (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8));
}

/* The header row ended: choose the column. */
static bool choose_column(struct sheet_reader *r)
{
	const char *want = sheet_clean(r->a, r->want, strlen(r->want));
	long col = match_header(r, want);
	size_t used = 0;
	char letters[4];
	if (col >= 0) {
		r->column = r->headers[col];
	} else if (strlen(want) <= 2 && (col = sheet_col_index(want, &used)) >= 0 &&
		   used == strlen(want) && (size_t)col < r->nheaders) {
		r->column = r->headers[col] ? r->headers[col] : arena_strdup(r->a, sheet_column_letters(col, letters));
		/* A list of links without a header: the first row is a link too. */
		if (is_url(r->headers[col])) {
			r->header_is_data = true;
			r->column = arena_strdup(r->a, sheet_column_letters(col, letters));
		}
	} else {
		sheet_fail(r, ERR_VALIDATION, "column '%s' not found; headers: %s", want, header_list(r));
		return false;
	}
	r->col = col;
	return true;
}

static void add_entry(struct sheet_reader *r, size_t row, const char *v)
{
	if (r->nentries == r->cap_entries) {
		r->cap_entries = r->cap_entries ? 2 * r->cap_entries : 256;
		r->entries = xrealloc(r->entries, r->cap_entries * sizeof(*r->entries));
	}
	r->entries[r->nentries++] = (struct sheet_entry){ row, v };
}

bool sheet_row_end(struct sheet_reader *r, size_t repeat)
{
	if (r->stop)
		return false;
	repeat = repeat < 1 ? 1 : repeat > SHEET_MAX_REPEAT ? SHEET_MAX_REPEAT : repeat;
	size_t first = r->row, end = r->row + repeat - 1;
	r->last_row = end;
	if (!r->row_nonblank)
		return true;
	if (r->col < 0 && !r->want) {
		/* Only the header row was asked for: it is here, stop. */
		r->header_row = r->row;
		r->stop = true;
		return false;
	}
	if (r->col < 0) {
		if (!choose_column(r))
			return false;
		r->header_row = r->row;
		r->cur = (size_t)r->col < r->nheaders ? r->headers[r->col] : NULL;
		if (r->header_is_data)
			r->header_row--;
		else
			first++;
		if (first > end)
			return true;
	}
	r->last_data = end;
	if (end - r->header_row > r->l.max_rows) {
		sheet_fail(r, ERR_TOO_LARGE, "more than %zu rows", r->l.max_rows);
		return false;
	}
	for (size_t row = first; r->cur && row <= end; row++)
		add_entry(r, row, r->cur);
	return true;
}

bool sheet_link(struct sheet_reader *r, size_t row, const char *target)
{
	if (r->nlinks >= 4 * r->l.max_rows + 16)
		return false;
	if (r->col < 0 || row <= r->header_row || row > r->last_data)
		return true;
	if (r->nlinks == r->cap_links) {
		r->cap_links = r->cap_links ? 2 * r->cap_links : 64;
		r->links = xrealloc(r->links, r->cap_links * sizeof(*r->links));
	}
	r->links[r->nlinks] = (struct sheet_link){ row, r->nlinks, target };
	r->nlinks++;
	return true;
}

/* ---- the result ------------------------------------------------------------ */

static int link_cmp(const void *pa, const void *pb)
{
	const struct sheet_link *a = pa, *b = pb;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Replace values by their hyperlinks (the first link of a row wins); a link on a blank cell adds it. */
static void merge_links(struct sheet_reader *r)
{
	if (!r->nlinks)
		return;
	qsort(r->links, r->nlinks, sizeof(*r->links), link_cmp);
	struct sheet_entry *old = r->entries;
	size_t n = r->nentries, i = 0, k = 0;
	r->entries = NULL;
	r->nentries = r->cap_entries = 0;
	while (i < n || k < r->nlinks) {
		struct sheet_link *l = k < r->nlinks ? &r->links[k] : NULL;
		if (l && l->row > r->last_data) {
			k = r->nlinks;
			continue;
		}
		if (l && (i >= n || l->row <= old[i].row)) {
			add_entry(r, l->row, l->target);
			if (i < n && old[i].row == l->row)
				i++;
			while (k < r->nlinks && r->links[k].row == l->row)
				k++;
		} else {
			add_entry(r, old[i].row, old[i].value);
			i++;
		}
	}
	free(old);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Keep the first occurrence of each value. OUT: out->rows, nrows, duplicates. */
static enum mtag_err dedupe(struct sheet_reader *r, struct sheet_result *out)
{
	size_t cap = 16, total = 0;
	while (cap < 2 * r->nentries)
		cap *= 2;
	const char **set = xcalloc(cap, sizeof(*set));
	out->rows = arena_calloc(r->a, r->nentries ? r->nentries : 1, sizeof(*out->rows));
	for (size_t i = 0; i < r->nentries; i++) {
		const char *v = r->entries[i].value;
		size_t h = (size_t)hash_str(v) & (cap - 1);
		while (set[h] && strcmp(set[h], v))
			h = (h + 1) & (cap - 1);
		if (set[h]) {
			out->duplicates++;
			continue;
		}
		set[h] = v;
		total += strlen(v);
		out->rows[out->nrows++] = (struct sheet_row){ r->entries[i].row, v };
	}
	free(set);
	if (total > SHEET_MAX_TOTAL)
		return sheet_fail(r, ERR_TOO_LARGE, "column '%s' holds more than %zu MB of text",
				  r->column, SHEET_MAX_TOTAL >> 20);
	return ERR_OK;
}

/*
 * The header row as names, a column's letter standing for a blank cell. A
 * person chooses from them: at most SHEET_LIST_COLS columns, names cut to
 * SHEET_LIST_NAME bytes (a few hundred bytes of a file can repeat a 64 KB
 * cell over thousands of columns; the list stays small whatever the file).
 */
static void keep_headers(struct sheet_reader *r, struct sheet_result *out)
{
	char letters[4];
	size_t n = r->nheaders < SHEET_LIST_COLS ? r->nheaders : SHEET_LIST_COLS;
	out->headers = arena_calloc(r->a, n + 1, sizeof(*out->headers));
	for (size_t i = 0; i < n; i++) {
		const char *h = r->headers[i];
		size_t len = h ? strlen(h) : 0;
		if (len > SHEET_LIST_NAME) {
			len = SHEET_LIST_NAME;
			while (len && ((unsigned char)h[len] & 0xC0) == 0x80)
				len--;
		}
		out->headers[i] = h ? arena_strndup(r->a, h, len)
				    : arena_strdup(r->a, sheet_column_letters((long)i, letters));
	}
	out->nheaders = n;
}

enum mtag_err sheet_finish(struct sheet_reader *r, const char *format, struct sheet_result *out)
{
	if (r->e)
		return r->e;
	if (!r->want && r->header_row) {
		memset(out, 0, sizeof(*out));
		out->format = format;
		keep_headers(r, out);
		return ERR_OK;
	}
	if (r->col < 0)
		return sheet_fail(r, ERR_VALIDATION, "the spreadsheet has no rows");
	merge_links(r);
	memset(out, 0, sizeof(*out));
	out->format = format;
	out->column = r->column;
	enum mtag_err e = dedupe(r, out);
	if (e)
		return e;
	size_t data_rows = r->last_data > r->header_row ? r->last_data - r->header_row : 0;
	out->blank = data_rows - r->nentries;
	return ERR_OK;
}

/* ---- detection and dispatch -------------------------------------------------- */

static const struct {
	const char *magic;
	size_t len;
	const char *what;
} magics[] = {
	{ "\x89PNG\r\n\x1a\n", 8, "PNG image" },
	{ "GIF8", 4, "GIF image" },
	{ "\xFF\xD8\xFF", 3, "JPEG image" },
	{ "%PDF-", 5, "PDF document" },
	{ "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8,
	  "legacy Microsoft Office file (XLS); save it as XLSX or CSV" },
	{ "\x1F\x8B", 2, "gzip data" },
	{ "PK\5\6", 4, "empty ZIP archive" },
	{ "{\\rtf", 5, "RTF document" },
	{ "\x7F" "ELF", 4, "executable" },
	{ "SQLite format 3", 15, "SQLite database" },
};

static const char *sniff_magic(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len && !memcmp(p, magics[i].magic, magics[i].len))
			return magics[i].what;
	return NULL;
}

static bool sink_buf(void *user, const char *data, size_t n)
{
	return buf_append(user, data, n) == ERR_OK;
}

/* The mimetype member, trimmed ("" when absent or odd). */
static const char *zip_mimetype(struct arena *a, zip_t *za)
{
	struct sheet_limits l;
	sheet_limits_init(&l);
	l.max_member = 256;
	struct buf b = BUF_INIT(256);
	char err[200];
	enum mtag_err e = sheet_zip_stream(za, "mimetype", &l, sink_buf, &b, err, sizeof(err));
	struct slice s = slice_trim(buf_slice(&b));
	const char *m = e ? "" : arena_strndup(a, s.ptr ? s.ptr : "", s.len);
	buf_release(&b);
	return m;
}

/* What a zip that is not a spreadsheet holds, for the error. */
static const char *zip_what(zip_t *za, const char *mimetype)
{
	if (!strcmp(mimetype, "application/vnd.oasis.opendocument.text"))
		return "OpenDocument text (ODT)";
	if (!strcmp(mimetype, "application/epub+zip"))
		return "EPUB book";
	if (zip_name_locate(za, "word/document.xml", 0) >= 0)
		return "Word document (DOCX)";
	if (zip_name_locate(za, "ppt/presentation.xml", 0) >= 0)
		return "PowerPoint presentation (PPTX)";
	return "ZIP archive";
}

static enum mtag_err read_zip(struct sheet_reader *r, const char *path, struct sheet_result *out)
{
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!za) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		sheet_fail(r, ERR_VALIDATION, "unsupported spreadsheet: damaged ZIP archive (%s)",
			   zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return r->e;
	}
	const char *mt = zip_mimetype(r->a, za);
	enum mtag_err e;
	if (!strncmp(mt, "application/vnd.oasis.opendocument.spreadsheet", 46))
		e = sheet_read_ods(r, za, out);
	else if (zip_name_locate(za, "xl/workbook.xml", 0) >= 0)
		e = sheet_read_xlsx(r, za, out);
	else
		e = sheet_fail(r, ERR_VALIDATION, "unsupported spreadsheet: %s", zip_what(za, mt));
	zip_discard(za);
	return e;
}

static enum mtag_err open_sheet(const char *path, const struct sheet_limits *l, int *fd_out,
				unsigned char *head, size_t *nhead, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		enum mtag_err e = sheet_error(err, errlen, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
					      "cannot open the spreadsheet: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	*fd_out = fd;
	if (!S_ISREG(st.st_mode))
		return sheet_error(err, errlen, ERR_IO, "cannot open the spreadsheet: not a regular file");
	char size[32];
	if ((uint64_t)st.st_size > l->max_file)
		return sheet_error(err, errlen, ERR_TOO_LARGE, "the spreadsheet is larger than %s",
				   sheet_size_text(l->max_file, size));
	ssize_t n = pread(fd, head, SNIFF_BYTES, 0);
	if (n < 0)
		return sheet_error(err, errlen, ERR_IO, "cannot read the spreadsheet: %s", strerror(errno));
	*nhead = (size_t)n;
	if (n == 0)
		return sheet_error(err, errlen, ERR_VALIDATION, "unsupported spreadsheet: empty file");
	return ERR_OK;
}

/* Read column (NULL: only the header row) of the spreadsheet at path. */
static enum mtag_err read_sheet(struct arena *a, const char *path, const char *column,
				const struct sheet_limits *l, struct sheet_result *out, char *err,
				size_t errlen)
{
	struct sheet_limits lim;
	sheet_limits_init(&lim);
	if (l && l->max_rows)
		lim.max_rows = l->max_rows;
	if (l && l->max_cell)
		lim.max_cell = l->max_cell;
	if (l && l->max_member)
		lim.max_member = l->max_member;
	if (l && l->max_file)
		lim.max_file = l->max_file;
	memset(out, 0, sizeof(*out));
	unsigned char head[SNIFF_BYTES];
	size_t nhead = 0;
	int fd = -1;
	enum mtag_err e = open_sheet(path, &lim, &fd, head, &nhead, err, errlen);
	if (!e) {
		struct sheet_reader r;
		sheet_reader_init(&r, a, column, &lim, err, errlen);
		const char *what = sniff_magic(head, nhead);
		if (nhead >= 4 && !memcmp(head, "PK\3\4", 4))
			e = read_zip(&r, path, out);
		else if (what)
			e = sheet_fail(&r, ERR_VALIDATION, "unsupported spreadsheet: %s", what);
		else
			e = sheet_read_csv(&r, fd, out);
		sheet_reader_release(&r);
	}
	if (fd >= 0)
		close(fd);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

enum mtag_err sheet_read_column(struct arena *a, const char *path, const char *column,
				const struct sheet_limits *l, struct sheet_result *out, char *err,
				size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!column || sheet_blank(column, strlen(column)))
		return sheet_error(err, errlen, ERR_VALIDATION, "no column given");
	return read_sheet(a, path, column, l, out, err, errlen);
}

enum mtag_err sheet_read_headers(struct arena *a, const char *path, const struct sheet_limits *l,
				 struct sheet_result *out, char *err, size_t errlen)
{
	return read_sheet(a, path, NULL, l, out, err, errlen);
}
