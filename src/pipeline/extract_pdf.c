/*
 * extract_pdf.c - PDF, EPUB and XPS through MuPDF.
 *
 * Each call builds its own fz_context (no locks, nothing shared: threads may
 * extract at once) with an allocator that refuses to hold more than
 * MUPDF_MEM_MAX, which turns decompression bombs (a JBIG2 page of 100000 x
 * 100000 pixels) into a quick error instead of minutes of work. MuPDF's
 * messages go to our log at debug level. Its exceptions (fz_try/fz_catch)
 * stay in this file: every fz_try here is small, keeps the state it touches
 * in struct mu (never in locals that longjmp could clobber) and becomes an
 * enum mtag_err at the function's edge.
 *
 * A damaged file is read as far as MuPDF repairs it; one that repairs to no
 * pages, to pages none of which loads, or that was cut short and gives no
 * text is corrupt (extract_mupdf). A complete file without text (a scan) is
 * not: ERR_OK with an empty text.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "pipeline/extract_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"

#define MUPDF_MEM_MAX ((size_t)512 << 20) /* live bytes MuPDF may hold */
#define MUPDF_STORE_MAX ((size_t)64 << 20) /* its cache of fonts, images, objects */
#define META_MAX 8192

/* The allocator's bookkeeping: a header before each block holds its size. */
#define MEM_HDR (sizeof(max_align_t))

struct mu {
	fz_context *ctx;
	fz_document *doc;
	fz_stream *stm;
	fz_page *page;
	fz_stext_page *stext;
	fz_buffer *buf;
	fz_alloc_context alloc;
	size_t mem_used;
	size_t mem_max;
	bool mem_refused;    /* the cap refused an allocation */
	const char *label;   /* "PDF", "EPUB", "XPS" */
	int page_count;
	int pages_read;
	int pages_failed;
	char page_error[160]; /* MuPDF's message for the first page it failed on */
};

static void *mem_malloc(void *user, size_t n)
{
	struct mu *m = user;
	if (n > m->mem_max - m->mem_used) {
		m->mem_refused = true;
		return NULL;
	}
	unsigned char *p = malloc(n + MEM_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	m->mem_used += n;
	return p + MEM_HDR;
}

static void mem_free(void *user, void *q)
{
	struct mu *m = user;
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - MEM_HDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	m->mem_used -= n;
	free(p);
}

static void *mem_realloc(void *user, void *q, size_t n)
{
	struct mu *m = user;
	if (!q)
		return mem_malloc(user, n);
	unsigned char *p = (unsigned char *)q - MEM_HDR;
	size_t old;
	memcpy(&old, p, sizeof(old));
	if (n > old && n - old > m->mem_max - m->mem_used) {
		m->mem_refused = true;
		return NULL;
	}
	unsigned char *r = realloc(p, n + MEM_HDR);
	if (!r)
		return NULL;
	memcpy(r, &n, sizeof(n));
	m->mem_used = m->mem_used - old + n;
	return r + MEM_HDR;
}

static void on_mupdf_message(void *user, const char *message)
{
	(void)user;
	char q[512];
	log_debug("extract.mupdf", "msg=%s", log_quote(q, sizeof(q), message));
}

static bool mu_init(struct mu *m, const char *label)
{
	memset(m, 0, sizeof(*m));
	m->label = label;
	m->mem_max = MUPDF_MEM_MAX;
	m->alloc = (fz_alloc_context){ m, mem_malloc, mem_realloc, mem_free };
	m->ctx = fz_new_context(&m->alloc, NULL, MUPDF_STORE_MAX);
	if (!m->ctx)
		return false;
	fz_set_error_callback(m->ctx, on_mupdf_message, m);
	fz_set_warning_callback(m->ctx, on_mupdf_message, m);
	return true;
}

static void mu_release(struct mu *m)
{
	if (!m->ctx)
		return;
	fz_drop_buffer(m->ctx, m->buf);
	fz_drop_stext_page(m->ctx, m->stext);
	fz_drop_page(m->ctx, m->page);
	fz_drop_document(m->ctx, m->doc);
	fz_drop_stream(m->ctx, m->stm);
	fz_drop_context(m->ctx);
	m->ctx = NULL;
}

static enum mtag_err mu_too_large(char *err, size_t errlen)
{
	return extract_fail(err, errlen, ERR_VALIDATION,
			    "document too large: reading it needs more than %zu MB of memory",
			    MUPDF_MEM_MAX >> 20);
}

/* Open the document, unlock it with the empty password if it is encrypted, count its pages. */
static enum mtag_err mu_open(struct mu *m, const char *path, const char *magic,
			     char *err, size_t errlen)
{
	fz_context *ctx = m->ctx;
	int locked = 0;
	fz_var(locked);
	fz_try(ctx) {
		fz_register_document_handlers(ctx);
		m->stm = fz_open_file(ctx, path);
		m->doc = fz_open_document_with_stream(ctx, magic, m->stm);
		if (fz_needs_password(ctx, m->doc) && !fz_authenticate_password(ctx, m->doc, ""))
			locked = 1;
		else
			m->page_count = fz_count_pages(ctx, m->doc);
	}
	fz_catch(ctx) {
		if (m->mem_refused)
			return mu_too_large(err, errlen);
		return extract_fail(err, errlen, ERR_VALIDATION, "corrupt %s: %s", m->label,
				    fz_caught_message(ctx));
	}
	if (locked)
		return extract_fail(err, errlen, ERR_VALIDATION,
				    "password-protected %s: a password is needed to open it", m->label);
	return ERR_OK;
}

/* One metadata value, or NULL; never throws. */
static const char *mu_meta(struct mu *m, struct arena *a, const char *key, char *val)
{
	fz_context *ctx = m->ctx;
	int n = -1;
	fz_var(n);
	fz_try(ctx)
		n = fz_lookup_metadata(ctx, m->doc, key, val, META_MAX);
	fz_catch(ctx)
		n = -1;
	if (n <= 0)
		return NULL;
	val[META_MAX - 1] = '\0';
	return extract_prop(a, val, strlen(val));
}

static void mu_metadata(struct mu *m, struct arena *a, struct extract_result *out)
{
	char *val = xmalloc(META_MAX);
	out->title = mu_meta(m, a, FZ_META_INFO_TITLE, val);
	out->author = mu_meta(m, a, FZ_META_INFO_AUTHOR, val);
	out->subject = mu_meta(m, a, FZ_META_INFO_SUBJECT, val);
	out->keywords = mu_meta(m, a, FZ_META_INFO_KEYWORDS, val);
	out->creator = mu_meta(m, a, FZ_META_INFO_CREATOR, val);
	out->producer = mu_meta(m, a, FZ_META_INFO_PRODUCER, val);
	const char *c = mu_meta(m, a, FZ_META_INFO_CREATIONDATE, val);
	const char *d = mu_meta(m, a, FZ_META_INFO_MODIFICATIONDATE, val);
	out->created = c ? extract_pdf_date(a, c) : NULL;
	out->modified = d ? extract_pdf_date(a, d) : NULL;
	free(val);
}

static void mu_drop_page(struct mu *m)
{
	fz_drop_buffer(m->ctx, m->buf);
	fz_drop_stext_page(m->ctx, m->stext);
	fz_drop_page(m->ctx, m->page);
	m->buf = NULL;
	m->stext = NULL;
	m->page = NULL;
}

/* The text of page i into m->buf; false (logged) when MuPDF fails on it. */
static bool mu_page_text(struct mu *m, int i)
{
	fz_context *ctx = m->ctx;
	/*
	 * Ligatures expanded, text outside the page dropped. Not FZ_STEXT_DEHYPHENATE:
	 * in MuPDF 1.21.1 it leaks a font reference each time it joins a line.
	 */
	fz_stext_options opts = { .flags = FZ_STEXT_MEDIABOX_CLIP };
	fz_try(ctx) {
		m->page = fz_load_page(ctx, m->doc, i);
		m->stext = fz_new_stext_page_from_page(ctx, m->page, &opts);
		m->buf = fz_new_buffer_from_stext_page(ctx, m->stext);
	}
	fz_catch(ctx) {
		char q[256];
		log_debug("extract.page_failed", "page=%d msg=%s", i + 1,
			  log_quote(q, sizeof(q), fz_caught_message(ctx)));
		if (!m->page_error[0])
			snprintf(m->page_error, sizeof(m->page_error), "%s", fz_caught_message(ctx));
		return false;
	}
	return true;
}

/*
 * Whether a PDF was cut short: MuPDF had to rebuild its cross-reference
 * table to open it, and the file does not end with the %%EOF its writer ends
 * it with (in its last KiB, white space and NULs after it aside). A complete
 * file with a broken table (issue7229.pdf, a scan) or padded after its %%EOF
 * is not.
 */
static bool mu_cut_short(struct mu *m, const char *path)
{
	pdf_document *pdf = pdf_specifics(m->ctx, m->doc);
	char tail[4096];
	size_t n;
	FILE *f;

	if (!pdf || !pdf_was_repaired(m->ctx, pdf) || !(f = fopen(path, "rb")))
		return false;
	if (fseek(f, -(long)sizeof(tail), SEEK_END) != 0)
		rewind(f);
	n = fread(tail, 1, sizeof(tail), f);
	fclose(f);
	while (n && (tail[n - 1] == '\0' || strchr(" \t\r\n\f", tail[n - 1])))
		n--;
	for (size_t i = n > 1024 ? n - 1024 : 0; i + 5 <= n; i++)
		if (!memcmp(tail + i, "%%EOF", 5))
			return false;
	return true;
}

/* Pages joined by '\f', each without its trailing white space; up to the limits. */
static void mu_pages(struct mu *m, const struct extract_limits *l, struct extract_out *o)
{
	int n = m->page_count < l->max_pages ? m->page_count : l->max_pages;
	for (int i = 0; i < n; i++) {
		if (i > 0 && !extract_out_char(o, '\f'))
			break;
		bool ok = mu_page_text(m, i);
		unsigned char *data = NULL;
		size_t len = ok && m->buf ? fz_buffer_storage(m->ctx, m->buf, &data) : 0;
		while (len && strchr(" \t\r\n\f", data[len - 1]))
			len--;
		extract_rtl_reading_order((char *)data, len);
		m->pages_read++;
		m->pages_failed += !ok;
		bool more = extract_out_text(o, (const char *)data, len);
		mu_drop_page(m);
		if (!more)
			break;
	}
	if (m->page_count > l->max_pages)
		o->truncated = true; /* only now: a truncated builder takes no more text */
}

enum mtag_err extract_mupdf(struct arena *a, const char *path, const struct extract_limits *l,
			    struct extract_result *out, char *err, size_t errlen)
{
	const char *magic = out->type == EXTRACT_EPUB ? "application/epub+zip"
			  : out->type == EXTRACT_XPS ? "application/oxps" : "application/pdf";
	const char *label = out->type == EXTRACT_EPUB ? "EPUB" : out->type == EXTRACT_XPS ? "XPS" : "PDF";
	struct mu m;
	struct extract_out o;
	extract_out_init(&o, l->max_text, false);
	enum mtag_err e;
	if (!mu_init(&m, label)) {
		e = extract_fail(err, errlen, ERR_INTERNAL, "cannot start MuPDF");
		goto out;
	}
	e = mu_open(&m, path, magic, err, errlen);
	if (e)
		goto out;
	/* MuPDF repairs a damaged file as it can; one cut short often repairs to no
	 * pages, or to pages none of which loads: corrupt, not an empty document. */
	if (m.page_count == 0) {
		e = extract_fail(err, errlen, ERR_VALIDATION,
				 "corrupt %s: it has no pages (is the file cut short?)", label);
		goto out;
	}
	mu_metadata(&m, a, out);
	mu_pages(&m, l, &o);
	if (m.pages_failed == m.pages_read) {
		e = m.mem_refused ? mu_too_large(err, errlen)
				  : extract_fail(err, errlen, ERR_VALIDATION,
						 "corrupt %s: none of its pages can be read: %s", label,
						 m.page_error);
		goto out;
	}
	extract_out_trim_end(&o);
	if (o.text.len == 0 && mu_cut_short(&m, path)) {
		e = extract_fail(err, errlen, ERR_VALIDATION,
				 "corrupt PDF: it is cut short (no %%%%EOF at its end) and no text can"
				 " be read from it");
		goto out;
	}
	out->page_count = m.page_count;
	extract_out_finish(&o, a, out);
	if (m.pages_failed || m.mem_refused)
		log_info("extract.mupdf_partial", "type=%s pages=%d failed=%d memory_cap_hit=%d", label,
			 m.page_count, m.pages_failed, (int)m.mem_refused);
out:
	mu_release(&m);
	extract_out_release(&o);
	return e;
}

/* "YYYY[MM[DD[HH[mm[SS]]]]]" digits at *p; OUT: fields (missing ones at their defaults). */
static bool date_fields(const char **p, int f[6])
{
	static const int defaults[6] = { 0, 1, 1, 0, 0, 0 };
	const char *s = *p;
	for (int k = 0; k < 6; k++) {
		int width = k == 0 ? 4 : 2, v = 0, i;
		for (i = 0; i < width && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == 0 && k > 0) {
			f[k] = defaults[k];
			continue;
		}
		if (i != width)
			return false;
		f[k] = v;
		s += width;
	}
	*p = s;
	return true;
}

/* "Z", "+HH'mm'", "-HH", ... at p. OUT: *sign (0 = none), *hh, *mm. */
static bool date_zone(const char *p, int *sign, int *hh, int *mm)
{
	*sign = 0, *hh = 0, *mm = 0;
	if (*p == 'Z' || *p == 'z') {
		*sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		*sign = *p == '-' ? -1 : 1;
		p++;
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			return false;
		*hh = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == '\'' || *p == ':')
			p++;
		if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') {
			*mm = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	/* "Z00'00'" and a closing apostrophe carry nothing more. */
	while (*p == '\'' || *p == '0' || *p == ' ')
		p++;
	return *p == '\0' && *hh <= 23 && *mm <= 59;
}

const char *extract_pdf_date(struct arena *a, const char *s)
{
	const char *p = s;
	int f[6], sign, hh, mm;
	if (p[0] == 'D' && p[1] == ':')
		p += 2;
	if (!date_fields(&p, f) || !date_zone(p, &sign, &hh, &mm))
		return s;
	char iso[48], utc[CLOCK_ISO_LEN];
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d", f[0], f[1], f[2], f[3], f[4], f[5]);
	size_t local_len = strlen(iso);
	if (sign)
		snprintf(iso + local_len, sizeof(iso) - local_len, "%c%02d:%02d", sign < 0 ? '-' : '+', hh, mm);
	int64_t us;
	if (!clock_parse_iso(iso, &us))  /* checks the ranges: month 13, February 30 */
		return s;
	if (!sign)
		return arena_strndup(a, iso, local_len);
	clock_format_iso(us, utc);       /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	return arena_printf(a, "%.19sZ", utc);
}
