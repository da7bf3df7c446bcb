/*
 * extract.c - the type of a file from its bytes, and the dispatch to the
 * format that reads it (extract_pdf.c, extract_html.c, extract_office.c,
 * extract_text.c). Design notes: extract_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/extract_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"

#define SNIFF_MAX (64 * 1024) /* bytes read to decide */
#define PDF_MAGIC_WITHIN 1024

/* What a file looks like: its type and, when unsupported, a name for it. */
struct sniff {
	enum extract_type type;
	const char *what;
};

void extract_limits_init(struct extract_limits *l)
{
	l->max_pages = 2000;
	l->max_text = (size_t)10 << 20;
}

const char *extract_mime_type(enum extract_type t)
{
	switch (t) {
	case EXTRACT_PDF: return "application/pdf";
	case EXTRACT_EPUB: return "application/epub+zip";
	case EXTRACT_XPS: return "application/oxps";
	case EXTRACT_HTML: return "text/html";
	case EXTRACT_DOCX: return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
	case EXTRACT_ODT: return "application/vnd.oasis.opendocument.text";
	case EXTRACT_TEXT: return "text/plain";
	case EXTRACT_UNKNOWN: break;
	}
	return "application/octet-stream";
}

/* Magic numbers of common files we do not read, to name them in the error. */
static const struct {
	size_t off;
	const char *magic;
	size_t len;
	const char *what;
} magics[] = {
	{ 0, "\x89PNG\r\n\x1a\n", 8, "PNG image" },
	{ 0, "GIF87a", 6, "GIF image" },
	{ 0, "GIF89a", 6, "GIF image" },
	{ 0, "\xFF\xD8\xFF", 3, "JPEG image" },
	{ 0, "II*\0", 4, "TIFF image" },
	{ 0, "MM\0*", 4, "TIFF image" },
	{ 8, "WEBP", 4, "WebP image" },
	{ 0, "\x1F\x8B", 2, "gzip data" },
	{ 4, "1AY&SY", 6, "bzip2 data" },
	{ 0, "\xFD" "7zXZ\0", 6, "xz data" },
	{ 0, "\x28\xB5\x2F\xFD", 4, "zstd data" },
	{ 0, "7z\xBC\xAF\x27\x1C", 6, "7-Zip archive" },
	{ 0, "Rar!\x1A\x07", 6, "RAR archive" },
	{ 0, "PK\5\6", 4, "ZIP archive" },
	{ 257, "ustar", 5, "tar archive" },
	{ 0, "\x7F" "ELF", 4, "executable" },
	{ 0, "\xCF\xFA\xED\xFE", 4, "executable" },
	{ 0, "\xCE\xFA\xED\xFE", 4, "executable" },
	{ 0, "\xCA\xFE\xBA\xBE", 4, "executable" },
	{ 0, "\0asm", 4, "WebAssembly module" },
	{ 0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "legacy Microsoft Office document (DOC, XLS or PPT)" },
	{ 0, "{\\rtf", 5, "RTF document" },
	{ 0, "%!PS", 4, "PostScript document" },
	{ 0, "SQLite format 3\0", 16, "SQLite database" },
	{ 0, "OggS", 4, "Ogg audio or video" },
	{ 0, "fLaC", 4, "FLAC audio" },
	{ 4, "ftyp", 4, "MP4 or other ISO media" },
	{ 0, "\x1A\x45\xDF\xA3", 4, "Matroska or WebM video" },
};

static const char *sniff_magic(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].off + magics[i].len &&
		    memcmp(p + magics[i].off, magics[i].magic, magics[i].len) == 0)
			return magics[i].what;
	return NULL;
}

static bool has_prefix_nocase(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && strncasecmp((const char *)p, s, k) == 0;
}

static const void *find_nocase(const unsigned char *p, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (has_prefix_nocase(p + i, n - i, s))
			return p + i;
	return NULL;
}

/* Past the end of the first close after p[i], or 0 when there is none. */
static size_t skip_past(const unsigned char *p, size_t n, size_t i, const char *close)
{
	size_t k = strlen(close);
	const unsigned char *e = memmem(p + i, n - i, close, k);
	return e ? (size_t)(e - p) + k : 0;
}

/*
 * After BOM, white space, comments and an XML declaration: one of the tags
 * a browser sniffs HTML by (WHATWG MIME Sniffing, 7.1), or <meta>; else
 * <html> or <body> in the first KiB.
 */
static bool sniff_html(const unsigned char *p, size_t n)
{
	static const char *const starts[] = {
		"!doctype html", "html", "head", "script", "iframe", "h1", "div", "font", "table",
		"a", "style", "title", "b", "body", "br", "p", "meta",
	};
	size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\f'))
			i++;
		size_t next = 0;
		if (has_prefix_nocase(p + i, n - i, "<!--"))
			next = skip_past(p, n, i + 4, "-->");
		else if (has_prefix_nocase(p + i, n - i, "<?xml"))
			next = skip_past(p, n, i + 5, "?>");
		if (!next)
			break;
		i = next;
	}
	if (i >= n || p[i] != '<')
		return false;
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		size_t len = strlen(starts[k]);
		if (has_prefix_nocase(p + i + 1, n - i - 1, starts[k]) && i + 1 + len < n &&
		    p[i + 1 + len] && strchr(" \t\r\n>/", p[i + 1 + len]))
			return true;
	}
	size_t near = n - i < 1024 ? n - i : 1024;
	return find_nocase(p + i, near, "<html") || find_nocase(p + i, near, "<body");
}

/*
 * sniff_html of a text in UTF-16 with its byte order mark (the tags it looks
 * for are ASCII: each unit's low byte, anything past ASCII as '?');
 * libxml2 reads the file by the same mark.
 */
static bool sniff_html_utf16(const unsigned char *p, size_t n)
{
	bool le = n >= 2 && p[0] == 0xFF && p[1] == 0xFE, be = n >= 2 && p[0] == 0xFE && p[1] == 0xFF;
	if (!le && !be)
		return false;
	unsigned char ascii[2048];
	size_t k = 0;
	for (size_t i = 2; i + 1 < n && k < sizeof(ascii); i += 2) {
		unsigned lo = le ? p[i] : p[i + 1], hi = le ? p[i + 1] : p[i];
		ascii[k++] = hi == 0 && lo < 0x80 && lo ? (unsigned char)lo : '?';
	}
	return sniff_html(ascii, k);
}

/* Up to max bytes of entry name into b; false when absent or unreadable. */
static bool zip_small(zip_t *za, const char *name, size_t max, struct buf *b)
{
	char err[160];
	return extract_zip_read_buf(za, name, max, b, err, sizeof(err)) == ERR_OK;
}

static void sniff_zip(const char *path, struct sniff *s)
{
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	s->type = EXTRACT_UNKNOWN;
	s->what = "ZIP archive";
	if (!za) {
		s->what = "damaged ZIP archive";
		return;
	}
	struct buf b = BUF_INIT(256);
	const char *mt = zip_small(za, "mimetype", 255, &b) ? buf_cstr(&b) : "";
	struct slice m = slice_trim(slice_from_cstr(mt));
	if (slice_eq_cstr(m, "application/epub+zip"))
		s->type = EXTRACT_EPUB;
	else if (slice_eq_cstr(m, "application/vnd.oasis.opendocument.text"))
		s->type = EXTRACT_ODT;
	else if (slice_eq_cstr(m, "application/vnd.oasis.opendocument.spreadsheet"))
		s->what = "OpenDocument spreadsheet";
	else if (slice_eq_cstr(m, "application/vnd.oasis.opendocument.presentation"))
		s->what = "OpenDocument presentation";
	else if (zip_name_locate(za, "[Content_Types].xml", 0) >= 0) {
		if (zip_name_locate(za, "word/document.xml", 0) >= 0)
			s->type = EXTRACT_DOCX;
		else if (zip_name_locate(za, "xl/workbook.xml", 0) >= 0)
			s->what = "XLSX spreadsheet";
		else if (zip_name_locate(za, "ppt/presentation.xml", 0) >= 0)
			s->what = "PPTX presentation";
	}
	if (s->type == EXTRACT_UNKNOWN && !m.len) {
		buf_reset(&b);
		if (zip_name_locate(za, "FixedDocumentSequence.fdseq", ZIP_FL_NOCASE) >= 0 ||
		    (zip_small(za, "_rels/.rels", 1 << 20, &b) && strstr(buf_cstr(&b), "/fixedrepresentation")))
			s->type = EXTRACT_XPS;
		else if (zip_name_locate(za, "META-INF/container.xml", 0) >= 0)
			s->type = EXTRACT_EPUB; /* an EPUB without its mimetype entry */
	}
	buf_release(&b);
	zip_discard(za);
}

static void sniff_bytes(const char *path, const unsigned char *p, size_t n, bool more,
			struct sniff *s)
{
	s->type = EXTRACT_UNKNOWN;
	s->what = NULL;
	if (n == 0) {
		s->what = "empty file";
		return;
	}
	if (memmem(p, n < PDF_MAGIC_WITHIN ? n : PDF_MAGIC_WITHIN, "%PDF-", 5)) {
		s->type = EXTRACT_PDF;
		return;
	}
	if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0) {
		sniff_zip(path, s);
		return;
	}
	if ((s->what = sniff_magic(p, n)))
		return;
	if (sniff_html(p, n) || sniff_html_utf16(p, n))
		s->type = EXTRACT_HTML;
	else if (extract_text_charset(p, n, more) != EXTRACT_CS_BINARY)
		s->type = EXTRACT_TEXT;
	else if (n >= 2 && memcmp(p, "MZ", 2) == 0)
		s->what = "executable";
	else
		s->what = "binary data";
}

/* Open path (a regular file) and sniff its first bytes. */
static enum mtag_err sniff_path(const char *path, struct sniff *s, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return extract_fail(err, errlen, ERR_IO, "cannot open file: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return extract_fail(err, errlen, ERR_IO, "cannot read file: not a regular file");
	}
	unsigned char *p = xmalloc(SNIFF_MAX);
	size_t n = 0;
	ssize_t r = 0;
	while (n < SNIFF_MAX && (r = read(fd, p + n, SNIFF_MAX - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	int read_errno = errno;
	close(fd);
	enum mtag_err e = ERR_OK;
	if (r < 0)
		e = extract_fail(err, errlen, ERR_IO, "cannot read file: %s", strerror(read_errno));
	else
		sniff_bytes(path, p, n, (off_t)n < st.st_size, s);
	free(p);
	return e;
}

enum extract_type extract_detect(const char *path)
{
	struct sniff s = { EXTRACT_UNKNOWN, NULL };
	char err[160];
	if (sniff_path(path, &s, err, sizeof(err)) != ERR_OK)
		return EXTRACT_UNKNOWN;
	return s.type;
}

static enum mtag_err dispatch(struct arena *a, const char *path, const struct sniff *s,
			      const struct extract_limits *l, struct extract_result *out,
			      char *err, size_t errlen)
{
	switch (s->type) {
	case EXTRACT_PDF:
	case EXTRACT_EPUB:
	case EXTRACT_XPS:
		return extract_mupdf(a, path, l, out, err, errlen);
	case EXTRACT_HTML:
		return extract_html(a, path, l, out, err, errlen);
	case EXTRACT_DOCX:
	case EXTRACT_ODT:
		return extract_office(a, path, l, out, err, errlen);
	case EXTRACT_TEXT:
		return extract_plain(a, path, l, out, err, errlen);
	case EXTRACT_UNKNOWN:
		break;
	}
	return extract_fail(err, errlen, ERR_VALIDATION, "unsupported type: %s",
			    s->what ? s->what : "binary data");
}

enum mtag_err extract_file(struct arena *a, const char *path, const struct extract_limits *l,
			   struct extract_result *out, char *err, size_t errlen)
{
	struct extract_limits lim;
	extract_limits_init(&lim);
	if (l && l->max_pages > 0)
		lim.max_pages = l->max_pages;
	if (l && l->max_text > 0)
		lim.max_text = l->max_text;
	memset(out, 0, sizeof(*out));
	out->text = "";
	if (err && errlen)
		err[0] = '\0';

	int64_t t0 = clock_mono_us();
	struct sniff s = { EXTRACT_UNKNOWN, NULL };
	enum mtag_err e = sniff_path(path, &s, err, errlen);
	if (e)
		return e;
	out->type = s.type;
	out->mime_type = extract_mime_type(s.type);
	out->page_count = 1;
	e = dispatch(a, path, &s, &lim, out, err, errlen);
	if (e) {
		enum extract_type t = out->type;
		memset(out, 0, sizeof(*out));
		out->type = t;
		out->mime_type = extract_mime_type(t);
		out->text = "";
	}
	log_debug("extract.done", "type=%s pages=%d bytes=%zu truncated=%d code=%s ms=%lld",
		  out->mime_type, out->page_count, out->text_len, (int)out->truncated, err_name(e),
		  (long long)((clock_mono_us() - t0) / 1000));
	return e;
}
