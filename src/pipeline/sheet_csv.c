/*
 * sheet_csv.c - CSV through libcsv.
 *
 * The text: UTF-8 (BOM dropped), UTF-16 with a BOM (converted), or, when the
 * first 64 KB are not UTF-8, Windows-1252 (Latin-1's superset); a UTF-8 file
 * with a damaged cell has that cell read as Windows-1252. NUL bytes in the
 * first 64 KB make it binary data, not CSV. An Excel "sep=;" first line
 * names the delimiter and is not a row; otherwise the delimiter is sniffed
 * among ',', ';' and tab on the first lines: the one found outside quotes
 * the same number of times on most lines wins (ties: the first line's
 * count, then that order).
 *
 * libcsv runs without CSV_STRICT, so a stray quote inside a field is kept as
 * a character instead of refusing the file, and with CSV_REPALL_NL, so blank
 * lines are rows (as a spreadsheet program shows them); the LF of a CRLF is
 * not a second row. libcsv holds a whole field in memory, so the cell limit
 * applies to every column here, not only the chosen one. A quoted field
 * still open at the end of the file, or growing past the cell limit, is
 * reported with the line its row started on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "pipeline/sheet_int.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#define CSV_CHUNK (64 * 1024)
#define SNIFF_LINES 20
/* libcsv's parser state inside a field (csv_parser.pstate), from libcsv.c. */
#define LIBCSV_FIELD_BEGUN 2

enum csv_enc { ENC_BYTES, ENC_UTF16LE, ENC_UTF16BE };

/* The file as UTF-8 (or Windows-1252) chunks. */
struct csv_src {
	int fd;
	enum csv_enc enc;
	unsigned char raw[CSV_CHUNK];
	size_t have;          /* bytes of raw not yet converted */
	bool eof;
	char out[3 * CSV_CHUNK / 2 + 8];
};

struct csv_job {
	struct sheet_reader *r;
	struct csv_parser p;
	size_t field;         /* index of the next field of the row */
	size_t row;           /* the current row (1-based) */
	size_t lines;         /* line breaks seen */
	size_t row_line;      /* the line the current row started on */
	bool in_row;
	int prev_term;        /* the character that ended the last row */
};

static enum mtag_err src_fill(struct sheet_reader *r, struct csv_src *s)
{
	while (!s->eof && s->have < sizeof(s->raw)) {
		ssize_t n = read(s->fd, s->raw + s->have, sizeof(s->raw) - s->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sheet_fail(r, ERR_IO, "cannot read the spreadsheet: %s", strerror(errno));
		if (n == 0)
			s->eof = true;
		s->have += (size_t)n;
	}
	return ERR_OK;
}

/* Convert the whole UTF-16 units (and pairs) of s->raw; OUT: the bytes written to s->out. */
static size_t utf16_convert(struct csv_src *s)
{
	bool be = s->enc == ENC_UTF16BE;
	size_t i = 0, o = 0;
	const unsigned char *p = s->raw;
	while (i + 2 <= s->have) {
		unsigned u = be ? (unsigned)p[i] << 8 | p[i + 1] : (unsigned)p[i + 1] << 8 | p[i];
		unsigned cp = u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u;
		size_t step = 2;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (i + 4 > s->have && !s->eof)
				break; /* the low half comes with the next read */
			unsigned lo = i + 4 <= s->have ? (be ? (unsigned)p[i + 2] << 8 | p[i + 3]
							     : (unsigned)p[i + 3] << 8 | p[i + 2]) : 0;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				step = 4;
			}
		}
		o += utf8_put(s->out + o, cp);
		i += step;
	}
	if (s->eof && i < s->have) {
		o += utf8_put(s->out + o, 0xFFFD);
		i = s->have;
	}
	s->have -= i;
	memmove(s->raw, s->raw + i, s->have);
	return o;
}

/* The next chunk of text; *n 0 at the end. */
static enum mtag_err src_next(struct sheet_reader *r, struct csv_src *s, const char **data, size_t *n)
{
	enum mtag_err e = src_fill(r, s);
	if (e)
		return e;
	if (s->enc == ENC_BYTES) {
		memcpy(s->out, s->raw, s->have);
		*n = s->have;
		s->have = 0;
	} else {
		*n = utf16_convert(s);
	}
	*data = s->out;
	return ERR_OK;
}

/* Not UTF-8: more damaged sequences than well-formed multi-byte ones. */
static bool looks_latin1(const unsigned char *p, size_t n, bool more)
{
	size_t multi = 0, invalid = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = p[i] >= 0xC2 && p[i] <= 0xDF ? 2 : p[i] >= 0xE0 && p[i] <= 0xEF ? 3
			   : p[i] >= 0xF0 && p[i] <= 0xF4 ? 4 : 1;
		if (more && i + len > n)
			break; /* cut by the chunk */
		size_t k = 1;
		while (k < len && i + k < n && (p[i + k] & 0xC0) == 0x80)
			k++;
		if (len > 1 && k == len)
			multi++;
		else
			invalid++;
		i += k;
	}
	return invalid > 0 && invalid >= multi;
}

/* The delimiter of the first lines (see the top of the file). */
static char sniff_delimiter(const char *p, size_t n, bool more)
{
	static const char cands[3] = { ',', ';', '\t' };
	size_t counts[3][SNIFF_LINES] = { { 0 } }, lines = 0;
	bool quoted = false, content = false;
	for (size_t i = 0; i < n && lines < SNIFF_LINES; i++) {
		char c = p[i];
		if (c == '"') {
			quoted = !quoted;
		} else if (!quoted && (c == '\n' || c == '\r')) {
			lines += content;
			content = false;
			continue;
		}
		for (int k = 0; k < 3 && !quoted; k++)
			counts[k][lines] += c == cands[k];
		content |= c != ' ';
	}
	if (content && lines < SNIFF_LINES && (!more || lines == 0))
		lines++;
	int best = -1;
	size_t best_same = 0;
	for (int k = 0; k < 3; k++) {
		size_t same = 0;
		for (size_t l = 0; l < lines; l++)
			same += counts[k][l] == counts[k][0];
		if (counts[k][0] && (best < 0 || same > best_same ||
				     (same == best_same && counts[k][0] > counts[best][0]))) {
			best = k;
			best_same = same;
		}
	}
	return best < 0 ? ',' : cands[best];
}

/* Line breaks inside a field (CRLF counted once). */
static size_t breaks(const char *s, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i < n; i++)
		b += s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'));
	return b;
}

static void on_field(void *data, size_t n, void *user)
{
	struct csv_job *j = user;
	struct sheet_reader *r = j->r;
	const char *s = data ? data : "";
	if (r->stop)
		return;
	if (!j->in_row) {
		sheet_row_begin(r, j->row);
		j->row_line = j->lines + 1;
		j->in_row = true;
	}
	size_t col = j->field++;
	if (n > r->l.max_cell) {
		char size[32];
		sheet_fail(r, ERR_TOO_LARGE, "a cell at line %zu is larger than %s", j->row_line,
			   sheet_size_text(r->l.max_cell, size));
		return;
	}
	if (sheet_wants(r, col))
		sheet_cell(r, col, 1, s, n, false);
	else
		sheet_cell(r, col, 1, NULL, 0, !sheet_blank(s, n));
	j->lines += breaks(s, n);
}

static void on_row(int c, void *user)
{
	struct csv_job *j = user;
	if (j->r->stop)
		return;
	bool lf_of_crlf = c == '\n' && j->prev_term == '\r' && !j->in_row;
	j->prev_term = lf_of_crlf ? 0 : c;
	if (lf_of_crlf)
		return;
	if (!j->in_row)
		sheet_row_begin(j->r, j->row);
	sheet_row_end(j->r, 1);
	j->in_row = false;
	j->field = 0;
	j->row++;
	j->lines += c != -1;
}

/* After each chunk: a field that keeps growing is too large or a quote left open. */
static void check_growth(struct csv_job *j)
{
	struct sheet_reader *r = j->r;
	if (r->stop || csv_get_buffer_size(&j->p) <= r->l.max_cell + CSV_CHUNK)
		return;
	size_t line = j->in_row ? j->row_line : j->lines + 1;
	char size[32];
	if (j->p.quoted)
		sheet_fail(r, ERR_VALIDATION, "malformed CSV at line %zu: a quoted field is not closed "
			   "within %s", line, sheet_size_text(r->l.max_cell, size));
	else
		sheet_fail(r, ERR_TOO_LARGE, "a cell at line %zu is larger than %s", line,
			   sheet_size_text(r->l.max_cell, size));
}

static enum mtag_err parse_all(struct csv_job *j, struct csv_src *s, const char *data, size_t n)
{
	struct sheet_reader *r = j->r;
	for (;;) {
		if (n && csv_parse(&j->p, data, n, on_field, on_row, j) != n && !r->stop)
			return sheet_fail(r, ERR_VALIDATION, "malformed CSV at line %zu: %s", j->lines + 1,
					  csv_strerror(csv_error(&j->p)));
		check_growth(j);
		if (r->stop)
			return r->e;
		if (s->eof && !s->have)
			break;
		enum mtag_err e = src_next(r, s, &data, &n);
		if (e)
			return e;
	}
	if (j->p.quoted && j->p.pstate == LIBCSV_FIELD_BEGUN)
		return sheet_fail(r, ERR_VALIDATION, "malformed CSV at line %zu: a quoted field is never "
				  "closed", j->in_row ? j->row_line : j->lines + 1);
	csv_fini(&j->p, on_field, on_row, j);
	return r->e;
}

/* Skip a BOM and an Excel "sep=X" line in the first chunk; OUT: the delimiter when named, else 0. */
static size_t preamble(const char *p, size_t n, bool utf8_bom, char *delim)
{
	size_t i = utf8_bom && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;
	*delim = 0;
	if (n - i >= 5 && !strncmp(p + i, "sep=", 4) && p[i + 4] != '\r' && p[i + 4] != '\n' &&
	    (n - i == 5 || p[i + 5] == '\r' || p[i + 5] == '\n')) {
		*delim = p[i + 4];
		i += 5;
		if (i < n && p[i] == '\r')
			i++;
		if (i < n && p[i] == '\n')
			i++;
	}
	return i;
}

/* Decide the encoding from the first bytes; false (error set) when they are not text. */
static bool detect_encoding(struct sheet_reader *r, struct csv_src *s)
{
	bool le = s->have >= 2 && s->raw[0] == 0xFF && s->raw[1] == 0xFE;
	bool be = s->have >= 2 && s->raw[0] == 0xFE && s->raw[1] == 0xFF;
	if (le || be) {
		s->enc = le ? ENC_UTF16LE : ENC_UTF16BE;
		s->have -= 2;
		memmove(s->raw, s->raw + 2, s->have);
		return true;
	}
	size_t ctrl = 0;
	for (size_t i = 0; i < s->have; i++) {
		unsigned char c = s->raw[i];
		if (c == 0) {
			sheet_fail(r, ERR_VALIDATION, "unsupported spreadsheet: binary data");
			return false;
		}
		ctrl += c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f';
	}
	if (ctrl * 100 > s->have) {
		sheet_fail(r, ERR_VALIDATION, "unsupported spreadsheet: binary data");
		return false;
	}
	r->latin1 = looks_latin1(s->raw, s->have, !s->eof);
	return true;
}

enum mtag_err sheet_read_csv(struct sheet_reader *r, int fd, struct sheet_result *out)
{
	struct csv_src *s = xcalloc(1, sizeof(*s));
	struct csv_job j = { .r = r, .row = 1 };
	const char *data = NULL;
	size_t n = 0;
	char delim = 0;
	s->fd = fd;
	if (lseek(fd, 0, SEEK_SET) < 0 || src_fill(r, s) || !detect_encoding(r, s) ||
	    src_next(r, s, &data, &n)) {
		free(s);
		return r->e;
	}
	size_t skip = preamble(data, n, s->enc == ENC_BYTES, &delim);
	data += skip;
	n -= skip;
	csv_init(&j.p, CSV_REPALL_NL);
	csv_set_delim(&j.p, (unsigned char)(delim ? delim : sniff_delimiter(data, n, !s->eof)));
	enum mtag_err e = parse_all(&j, s, data, n);
	csv_free(&j.p);
	free(s);
	return e ? e : sheet_finish(r, "csv", out);
}
