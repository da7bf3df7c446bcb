/*
 * http_multipart.c - multipart/form-data request bodies, streamed.
 *
 * libmicrohttpd's post processor splits the body into parts as it arrives
 * and hands each part's bytes to on_part() in pieces. Which part a piece
 * belongs to is not in its API (a part's first call may come without data,
 * then again at offset 0; the name and filename strings of consecutive parts
 * may share addresses), so we find the delimiters ("--boundary", then
 * "\r\n--boundary") in the stream ourselves and feed the post processor one
 * slice per delimiter: every call made while a slice is processed belongs
 * to the part opened by the last delimiter before it. A file part goes
 * straight to a temp file of its own (mkostemp in the upload directory:
 * mode 0600, O_CLOEXEC); a text field is collected in a buffer capped at
 * HTTP_FORM_FIELD_MAX, then copied into the arena. Nothing is held whole in
 * memory but text fields and the headers of the part being begun.
 *
 * The first limit passed (too many files or fields, a file or field too
 * large) or parse error ends the reading: the error and its detail are kept
 * for the server to answer with, and every temp file of the request is
 * deleted at once, so none is left even before the answer goes out.
 *
 * Ownership: struct http_multipart, req->form and all their strings live in
 * the request's arena. An arena cleanup hook destroys the post processor,
 * closes the open file and deletes every temp file still listed: however
 * the request ends (answered, refused, client gone, server stopping), its
 * temp files go with its arena, i.e. after the response has been sent.
 * Threads: the event loop reading the body is the only user until the body
 * is complete; after that the handler (possibly on the offload pool) only
 * reads req->form.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "http/http.h"
#include "http_int.h"
#include "base/xalloc.h"

/*
 * The post processor's buffer: a part header line (Content-Disposition with
 * its file name) must fit in it; file data is handed over in pieces of at
 * most this size. libmicrohttpd advises 32-64 KiB for speed.
 */
#define PP_BUFFER (32 * 1024)
/* Room for boundaries and part headers in http_upload_cap(). */
#define UPLOAD_SLACK ((uint64_t)1 << 20)
/* RFC 2046: a boundary is 1 to 70 characters. */
#define BOUNDARY_MAX 70
/* "\r\n--" and the boundary. */
#define DELIM_MAX (4 + BOUNDARY_MAX)
/* Characters of a client's file or field name quoted in an error detail. */
#define NAME_SHOWN 40

static const char MULTIPART[] = "multipart/form-data";

/* The disk uploads are written to keeps this free (or 5 % of a smaller disk); its room is
 * looked at as a file begins and after each UPLOAD_DISK_CHECK bytes written. */
#define UPLOAD_DISK_RESERVE ((uint64_t)512 << 20)
#define UPLOAD_DISK_CHECK ((uint64_t)4 << 20)

enum part_kind { PART_NONE, PART_FIELD, PART_FILE };

struct http_multipart {
	struct http_request *req;
	const struct http_upload_limits *lim; /* the server's */
	struct MHD_PostProcessor *pp;         /* NULL once destroyed */
	char delim[DELIM_MAX];                /* "\r\n--" boundary (the first is without CR LF) */
	size_t dlen;
	char carry[DELIM_MAX];                /* the stream's last bytes after the last delimiter */
	size_t ncarry;                        /* (fewer than a delimiter) */
	size_t delims;                        /* delimiters fed to the post processor */
	size_t tail;                          /* bytes after the last one that began "--\r\n" */
	bool closing;                         /* the last one may be the closing one: deciding */
	bool closed;                          /* it was: the rest is the epilogue, not read */
	size_t nparts;                        /* parts begun */
	size_t part;                          /* the part being read: delims - 1 when it began */
	enum part_kind kind;                  /* its kind */
	uint64_t part_bytes;                  /* its bytes so far */
	int fd;                               /* its temp file (PART_FILE), else -1 */
	struct buf value;                     /* its value (PART_FIELD) */
	struct buf head;                      /* the headers after the last delimiter */
	bool in_head;                         /* their blank line has not come yet */
	bool head_done;                       /* it has: head holds them whole */
	bool ended;                           /* http_multipart_end has run */
	enum mtag_err err;                    /* the first error; nothing is read after it */
	const char *detail;
	const char *client;                   /* counted in lim->clients, or NULL */
	uint64_t counted;                     /* bytes of its temp files counted there */
	uint64_t unchecked;                   /* bytes written since the disk's room was looked at */
};

/* ---- sizes and names in error details ----------------------------------- */

/* n as "4 MB", "64 KB" or "1000 bytes" (MB and KB are binary, exact). */
static const char *size_text(struct arena *a, uint64_t n)
{
	if (n >= ((uint64_t)1 << 20) && n % ((uint64_t)1 << 20) == 0)
		return arena_printf(a, "%llu MB", (unsigned long long)(n >> 20));
	if (n >= 1024 && n % 1024 == 0)
		return arena_printf(a, "%llu KB", (unsigned long long)(n >> 10));
	return arena_printf(a, "%llu bytes", (unsigned long long)n);
}

/* One UTF-8 character at s. OUT: *cp. Its length, or 0 when it is not well-formed. */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, v = s[0] & 0x1fu, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, v = s[0] & 0x0fu, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, v = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* False for controls, quotes, markup and bidirectional or line-breaking format characters. */
static bool char_shown(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x61c || (c >= 0x200e && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		return false;
	return c >= 0x80 || !strchr("'\"\\<>`", (int)c);
}

/*
 * A client's file name, made fit for an error detail: its last path
 * component, at most NAME_SHOWN characters ("..." after), each character
 * that is not well-formed UTF-8 or not char_shown() as '?'.
 */
static const char *shown_name(struct arena *a, const char *name)
{
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	char out[NAME_SHOWN * 4 + 4];
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)base;
	for (int chars = 0; *p && chars < NAME_SHOWN; chars++) {
		uint32_t c;
		size_t len = utf8_char(p, &c);
		if (len && char_shown(c)) {
			memcpy(out + o, p, len);
			o += len;
		} else {
			out[o++] = '?';
		}
		p += len ? len : 1;
	}
	if (*p) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	return arena_strndup(a, out, o);
}

/* ---- limits and the Content-Type ----------------------------------------- */

uint64_t http_upload_cap(const struct http_upload_limits *lim)
{
	uint64_t files = lim->max_files > UINT64_MAX / lim->max_file_bytes
				 ? UINT64_MAX
				 : (uint64_t)lim->max_files * lim->max_file_bytes;
	uint64_t extra = (uint64_t)HTTP_FORM_MAX_FIELDS * HTTP_FORM_FIELD_MAX + UPLOAD_SLACK;
	return files > UINT64_MAX - extra ? UINT64_MAX : files + extra;
}

const char *http_upload_cap_detail(struct arena *a, const struct http_upload_limits *lim)
{
	return arena_printf(a, "the upload is larger than %s in total (at most %zu file%s of %s each)",
			    size_text(a, http_upload_cap(lim)), lim->max_files,
			    lim->max_files == 1 ? "" : "s", size_text(a, lim->max_file_bytes));
}

/* RFC 2046 bchars, and no trailing space. */
static bool boundary_valid(const char *b, size_t len)
{
	if (len < 1 || len > BOUNDARY_MAX || b[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = b[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c && strchr("'()+_,-./:=? ", c));
		if (!ok)
			return false;
	}
	return true;
}

/*
 * The boundary as libmicrohttpd reads it: everything after the first
 * "boundary=" that follows "multipart/form-data", quotes around it removed.
 * NULL when there is none. OUT: *len.
 */
static const char *boundary_of(const char *content_type, size_t *len)
{
	const char *b = strstr(content_type + sizeof(MULTIPART) - 1, "boundary=");
	if (!b)
		return NULL;
	b += strlen("boundary=");
	*len = strlen(b);
	if (*len >= 2 && b[0] == '"' && b[*len - 1] == '"') {
		b++;
		*len -= 2;
	}
	return b;
}

/*
 * libmicrohttpd takes the Content-Type as a prefix "multipart/form-data"
 * and the boundary as boundary_of() does: accept exactly what it will read
 * correctly.
 */
enum mtag_err http_multipart_check_type(const char *content_type, const char **detail)
{
	if (!http_media_is(content_type, MULTIPART) ||
	    strncasecmp(content_type, MULTIPART, sizeof(MULTIPART) - 1) != 0) {
		*detail = "the body must be multipart/form-data "
			  "(Content-Type: multipart/form-data; boundary=...)";
		return ERR_UNSUPPORTED_TYPE;
	}
	size_t len = 0;
	const char *b = boundary_of(content_type, &len);
	if (!b) {
		*detail = "the multipart/form-data Content-Type has no boundary parameter";
		return ERR_UNSUPPORTED_TYPE;
	}
	if (!boundary_valid(b, len)) {
		*detail = "the multipart/form-data boundary must be 1 to 70 letters, digits or "
			  "'()+_,-./:=? and the last parameter of Content-Type";
		return ERR_UNSUPPORTED_TYPE;
	}
	return ERR_OK;
}

/* ---- part headers -------------------------------------------------------- */

/*
 * libmicrohttpd ends a quoted parameter at its first '"': curl's
 * filename="a\"b,c.txt" came through as "a\" (and as no name at all once a
 * handler took its last path component). So the bytes after each delimiter
 * up to the blank line are kept as they pass (at most PP_BUFFER, as much as
 * MHD takes itself) and the part's name and file name read from them here.
 */
static void head_collect(struct http_multipart *mp, const char *data, size_t n)
{
	if (!mp->in_head)
		return;
	size_t old = mp->head.len;
	size_t take = n < PP_BUFFER - old ? n : PP_BUFFER - old;
	if (!take)
		return;
	buf_append(&mp->head, data, take); /* within the cap: cannot fail */
	size_t from = old > 3 ? old - 3 : 0;
	const char *end = memmem(mp->head.ptr + from, mp->head.len - from, "\r\n\r\n", 4);
	if (end) {
		mp->head.len = (size_t)(end - mp->head.ptr) + 2; /* the last line's CR LF kept */
		mp->head.ptr[mp->head.len] = '\0';
		mp->head_done = true;
	}
	if (end || mp->head.len == PP_BUFFER)
		mp->in_head = false; /* headers that long MHD refuses anyway */
}

/*
 * A parameter value at *p, before e: a token, or a quoted-string (RFC 2045)
 * in which a backslash quotes '"' and '\' (curl and Python's urllib3 send
 * them so) and is itself kept before anything else: old browsers send
 * Windows paths unescaped ("C:\fakepath\x.pdf"), and no client quotes other
 * characters. In the arena; NULL when the quote is not closed. Advances *p.
 */
static char *param_value(struct arena *a, const char **p, const char *e)
{
	const char *s = *p;
	if (s >= e || *s != '"') {
		while (s < e && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		char *v = arena_strndup(a, *p, (size_t)(s - *p));
		*p = s;
		return v;
	}
	char *v = arena_alloc(a, (size_t)(e - s));
	size_t n = 0;
	for (s++; s < e; s++) {
		if (*s == '"') {
			v[n] = '\0';
			*p = s + 1;
			return v;
		}
		if (*s == '\\' && s + 1 < e && (s[1] == '"' || s[1] == '\\'))
			s++;
		v[n++] = *s;
	}
	return NULL;
}

static const char *skip_space(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/*
 * The name and filename parameters of a Content-Disposition value in
 * [s, e) ("form-data; name=\"doc\"; filename=\"a.pdf\""). OUT: each one found;
 * what follows a quote never closed is not read.
 */
static void disposition_params(struct arena *a, const char *s, const char *e, char **name,
			       char **filename)
{
	s = memchr(s, ';', (size_t)(e - s)); /* past the disposition type */
	while (s) {
		const char *k = skip_space(s + 1, e);
		s = k;
		while (s < e && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		size_t klen = (size_t)(s - k);
		s = skip_space(s, e);
		if (s < e && *s == '=') {
			s = skip_space(s + 1, e);
			char *v = param_value(a, &s, e);
			if (!v)
				return;
			if (klen == 4 && strncasecmp(k, "name", 4) == 0 && !*name)
				*name = v;
			else if (klen == 8 && strncasecmp(k, "filename", 8) == 0 && !*filename)
				*filename = v;
		}
		s = s < e ? memchr(s, ';', (size_t)(e - s)) : NULL;
	}
}

/*
 * The part starting now is named by its own headers where they say so;
 * otherwise (no Content-Disposition, a quote never closed) what MHD read
 * stands. IN/OUT: *key, *filename.
 */
/*
 * A name as a browser sent it: the HTML standard's multipart/form-data
 * writes '"', CR and LF in names and file names as %22, %0D and %0A, and
 * nothing else so (Chromium sent "x".txt as %22x%22.txt). In place.
 */
static char *browser_unescape(char *s)
{
	char *o = s;
	for (const char *p = s; p && *p;) {
		char c = 0;
		if (p[0] == '%' && p[1] == '2' && p[2] == '2')
			c = '"';
		else if (p[0] == '%' && p[1] == '0' && (p[2] == 'D' || p[2] == 'd'))
			c = '\r';
		else if (p[0] == '%' && p[1] == '0' && (p[2] == 'A' || p[2] == 'a'))
			c = '\n';
		*o++ = c ? c : *p;
		p += c ? 3 : 1;
	}
	if (o)
		*o = '\0';
	return s;
}

static void part_names(struct http_multipart *mp, const char **key, const char **filename)
{
	static const char CD[] = "content-disposition";
	if (!mp->head_done)
		return;
	const char *end = mp->head.ptr + mp->head.len;
	for (const char *p = mp->head.ptr, *eol; p < end; p = eol < end ? eol + 2 : end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) < sizeof(CD) || strncasecmp(p, CD, sizeof(CD) - 1) != 0)
			continue;
		const char *v = skip_space(p + sizeof(CD) - 1, eol);
		if (v == eol || *v != ':')
			continue;
		char *name = NULL, *file = NULL;
		disposition_params(mp->req->arena, v + 1, eol, &name, &file);
		*key = name ? browser_unescape(name) : *key;
		*filename = file ? browser_unescape(file) : *filename;
		return;
	}
}

/* ---- temp files ----------------------------------------------------------- */

/* Close the open temp file and delete every temp file of the request. */
static void discard_files(struct http_multipart *mp)
{
	if (mp->fd >= 0)
		close(mp->fd);
	mp->fd = -1;
	if (mp->counted)
		http_clients_upload(mp->lim->clients, mp->client, -(int64_t)mp->counted, 0);
	mp->counted = 0;
	struct http_form *form = mp->req->form;
	for (size_t i = 0; i < form->nfiles; i++) {
		/* ENOENT: the handler moved it away (e.g. renamed it into storage). */
		if (unlink(form->files[i].path) != 0 && errno != ENOENT)
			log_warn("http.upload_unlink", "path=%s errno=%s", form->files[i].path,
				 strerror(errno));
	}
	form->nfiles = 0;
}

/* Arena cleanup: runs when the request ends, however it ends. */
static void multipart_cleanup(void *data)
{
	struct http_multipart *mp = data;
	if (mp->pp)
		MHD_destroy_post_processor(mp->pp);
	mp->pp = NULL;
	discard_files(mp);
	buf_release(&mp->value);
	buf_release(&mp->head);
}

/* Keep the first error, delete every temp file; MHD_NO stops the post processor. */
static enum MHD_Result fail(struct http_multipart *mp, enum mtag_err e, const char *detail)
{
	if (!mp->err) {
		mp->err = e;
		mp->detail = detail;
	}
	discard_files(mp);
	mp->kind = PART_NONE;
	return MHD_NO;
}

/* ---- parts ---------------------------------------------------------------- */

/*
 * Whether the upload directory's disk keeps UPLOAD_DISK_RESERVE free (or 5 %
 * of a smaller disk) after bytes more: uploads that never end must not fill
 * the disk the database and the stored files are on.
 */
static bool disk_room(const struct http_upload_limits *lim, uint64_t bytes)
{
	struct statvfs st;
	if (statvfs(lim->dir, &st) != 0)
		return true; /* not known: the write itself tells */
	uint64_t size = (uint64_t)st.f_blocks * st.f_frsize, free = (uint64_t)st.f_bavail * st.f_frsize;
	uint64_t reserve = size / 20 < UPLOAD_DISK_RESERVE ? size / 20 : UPLOAD_DISK_RESERVE;
	return free >= reserve + bytes;
}

static enum MHD_Result no_room(struct http_multipart *mp)
{
	log_warn("http.upload_disk_full", "dir=%s", mp->lim->dir);
	return fail(mp, ERR_UNAVAILABLE, "the server is short of disk space for uploads; try again later");
}

static enum MHD_Result file_begin(struct http_multipart *mp, const char *key,
				  const char *filename, const char *content_type)
{
	struct arena *a = mp->req->arena;
	struct http_form *form = mp->req->form;
	if (form->nfiles >= mp->lim->max_files)
		return fail(mp, ERR_TOO_LARGE,
			    arena_printf(a, "more than %zu file%s", mp->lim->max_files,
					 mp->lim->max_files == 1 ? "" : "s"));
	if (!disk_room(mp->lim, 0))
		return no_room(mp);
	char *path = arena_printf(a, "%s/mtag-upload-XXXXXX", mp->lim->dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		char q[512];
		log_error("http.upload_create", "dir=%s errno=%s",
			  log_quote(q, sizeof(q), mp->lim->dir), strerror(errno));
		return fail(mp, ERR_IO, "cannot create a temp file for an upload");
	}
	form->files[form->nfiles++] = (struct http_upload){
		.field = arena_strdup(a, key),
		.filename = filename ? arena_strdup(a, filename) : NULL,
		.content_type = content_type ? arena_strdup(a, content_type) : NULL,
		.path = path,
	};
	mp->fd = fd;
	mp->kind = PART_FILE;
	return MHD_YES;
}

static enum MHD_Result part_begin(struct http_multipart *mp, const char *key,
				  const char *filename, const char *content_type)
{
	struct arena *a = mp->req->arena;
	struct http_form *form = mp->req->form;
	mp->nparts++;
	mp->part = mp->delims - 1;
	mp->part_bytes = 0;
	if (!key)
		return fail(mp, ERR_BAD_REQUEST, "malformed multipart body: a part has no name");
	if (filename || (content_type && !http_media_is(content_type, "text/plain")))
		return file_begin(mp, key, filename, content_type);
	if (form->nfields >= HTTP_FORM_MAX_FIELDS)
		return fail(mp, ERR_TOO_LARGE,
			    arena_printf(a, "more than %d form fields", HTTP_FORM_MAX_FIELDS));
	form->fields[form->nfields++] = (struct http_param){ arena_strdup(a, key), "" };
	buf_reset(&mp->value);
	mp->kind = PART_FIELD;
	return MHD_YES;
}

/* The part being read is complete: close its file, or keep its value. */
static enum MHD_Result part_end(struct http_multipart *mp)
{
	struct http_form *form = mp->req->form;
	enum part_kind kind = mp->kind;
	mp->kind = PART_NONE;
	if (kind == PART_FILE) {
		int fd = mp->fd;
		mp->fd = -1;
		if (close(fd) != 0) {
			log_error("http.upload_close", "errno=%s", strerror(errno));
			return fail(mp, ERR_IO, "cannot write an upload to disk");
		}
	} else if (kind == PART_FIELD) {
		form->fields[form->nfields - 1].value =
			arena_strndup(mp->req->arena, buf_cstr(&mp->value), mp->value.len);
	}
	return MHD_YES;
}

static enum MHD_Result file_write(struct http_multipart *mp, const char *data, size_t size)
{
	struct arena *a = mp->req->arena;
	struct http_upload *up = &mp->req->form->files[mp->req->form->nfiles - 1];
	uint64_t max = mp->lim->max_file_bytes;
	if (size > max - up->size) {
		const char *name = up->filename && *up->filename ? up->filename : up->field;
		return fail(mp, ERR_TOO_LARGE,
			    arena_printf(a, "file '%s' is larger than %s", shown_name(a, name),
					 size_text(a, max)));
	}
	/* A client's uploads on disk at once: one whole request's worth. */
	if (mp->client && !http_clients_upload(mp->lim->clients, mp->client, (int64_t)size,
					       http_upload_cap(mp->lim)))
		return fail(mp, ERR_RATE_LIMITED,
			    "too many uploads from this address at once; try again when they are done");
	mp->counted += mp->client ? size : 0;
	if ((mp->unchecked += size) >= UPLOAD_DISK_CHECK) {
		mp->unchecked = 0;
		if (!disk_room(mp->lim, UPLOAD_DISK_CHECK))
			return no_room(mp);
	}
	while (size) {
		ssize_t w = write(mp->fd, data, size);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("http.upload_write", "errno=%s", w < 0 ? strerror(errno) : "none");
			return fail(mp, ERR_IO, "cannot write an upload to disk");
		}
		data += w;
		size -= (size_t)w;
		up->size += (uint64_t)w;
	}
	return MHD_YES;
}

static enum MHD_Result field_append(struct http_multipart *mp, const char *data, size_t size)
{
	if (buf_append(&mp->value, data, size) == ERR_OK)
		return MHD_YES;
	struct arena *a = mp->req->arena;
	const char *name = mp->req->form->fields[mp->req->form->nfields - 1].name;
	return fail(mp, ERR_TOO_LARGE, arena_printf(a, "field '%s' is larger than %s",
						    shown_name(a, name),
						    size_text(a, HTTP_FORM_FIELD_MAX)));
}

/*
 * MHD_PostDataIterator: a piece of a part's value (all strings are MHD's).
 * It belongs to part delims - 1 (see the top of the file): a new part when
 * that differs from the part being read. MHD counts each part's bytes from
 * offset 0; anything else means a part we cannot place (a nested
 * multipart/mixed, which RFC 7578 forbids, or a delimiter inside part
 * headers) and the body is refused as malformed.
 */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct http_multipart *mp = cls;
	(void)kind;
	(void)transfer_encoding;
	if (mp->err)
		return MHD_NO;
	bool starts = mp->kind == PART_NONE || mp->part != mp->delims - 1;
	if (mp->delims == 0 || off != (starts ? 0 : mp->part_bytes))
		return fail(mp, ERR_BAD_REQUEST, "malformed multipart body");
	if (starts) {
		part_names(mp, &key, &filename);
		if (part_end(mp) != MHD_YES || part_begin(mp, key, filename, content_type) != MHD_YES)
			return MHD_NO;
	}
	if (size == 0)
		return MHD_YES;
	mp->part_bytes += size;
	return mp->kind == PART_FILE ? file_write(mp, data, size) : field_append(mp, data, size);
}

/* ---- the reader ------------------------------------------------------------ */

/*
 * The offset in data just after the next delimiter at or after from, the
 * stream's bytes before data being mp->carry; SIZE_MAX when there is none.
 * The first delimiter is "--boundary" (anywhere: a preamble is skipped),
 * the others "\r\n--boundary", as libmicrohttpd looks for them.
 */
static size_t find_delim(const struct http_multipart *mp, const char *data, size_t n, size_t from)
{
	const char *pat = mp->delims ? mp->delim : mp->delim + 2;
	size_t plen = mp->delims ? mp->dlen : mp->dlen - 2;
	if (from == 0 && mp->ncarry) {
		/* One across the previous piece and this one (carry < plen: none within it). */
		char win[2 * DELIM_MAX];
		size_t take = n < plen - 1 ? n : plen - 1;
		memcpy(win, mp->carry, mp->ncarry);
		memcpy(win + mp->ncarry, data, take);
		const char *m = memmem(win, mp->ncarry + take, pat, plen);
		if (m && (size_t)(m - win) + plen > mp->ncarry)
			return (size_t)(m - win) + plen - mp->ncarry;
	}
	const char *m = memmem(data + from, n - from, pat, plen);
	return m ? (size_t)(m - data) + plen : SIZE_MAX;
}

/* Keep the last bytes of carry + data[0..n), fewer than a delimiter, for find_delim(). */
static void keep_carry(struct http_multipart *mp, const char *data, size_t n)
{
	size_t keep = mp->dlen - 1;
	if (n >= keep) {
		memcpy(mp->carry, data + n - keep, keep);
		mp->ncarry = keep;
		return;
	}
	size_t old = mp->ncarry + n > keep ? keep - n : mp->ncarry;
	memmove(mp->carry, mp->carry + mp->ncarry - old, old);
	memcpy(mp->carry + old, data, n);
	mp->ncarry = old + n;
}

enum mtag_err http_multipart_begin(struct http_request *req, struct MHD_Connection *conn,
				   const struct http_upload_limits *lim, const char *client,
				   struct http_multipart **out, const char **detail)
{
	*out = NULL;
	const char *content_type = http_header(req, "Content-Type");
	enum mtag_err e = http_multipart_check_type(content_type, detail);
	if (e)
		return e;
	struct arena *a = req->arena;
	struct http_multipart *mp = arena_calloc(a, 1, sizeof(*mp));
	mp->req = req;
	mp->lim = lim;
	mp->client = lim->clients && client && *client ? arena_strdup(a, client) : NULL;
	mp->fd = -1;
	size_t blen = 0;
	const char *b = boundary_of(content_type, &blen);
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, b, blen);
	mp->dlen = 4 + blen;
	buf_init(&mp->value, HTTP_FORM_FIELD_MAX);
	buf_init(&mp->head, PP_BUFFER);
	req->form = arena_calloc(a, 1, sizeof(*req->form));
	req->form->files = arena_calloc(a, lim->max_files, sizeof(req->form->files[0]));
	arena_cleanup_add(a, multipart_cleanup, mp);
	mp->pp = MHD_create_post_processor(conn, PP_BUFFER, on_part, mp);
	if (!mp->pp) {
		/* http_multipart_check_type() accepted the Content-Type: MHD should not refuse it. */
		*detail = "the multipart/form-data Content-Type cannot be read";
		return ERR_UNSUPPORTED_TYPE;
	}
	*out = mp;
	return ERR_OK;
}

/*
 * Whether the delimiter just passed closes the body: "--", then an optional
 * CR LF, after it. Returns the bytes of data[0..n) that belong to the close
 * delimiter when it does (mp->closed then set), 0 otherwise; undecided at
 * the end of data, mp->closing stays true for the next piece. RFC 2046: what
 * follows the close delimiter is an epilogue, to be ignored; libmicrohttpd
 * would refuse it.
 */
static size_t close_delim(struct http_multipart *mp, const char *data, size_t n)
{
	static const char close[] = "--\r\n";
	size_t take = 0;
	while (take < n && mp->tail < 4 && data[take] == close[mp->tail]) {
		take++;
		mp->tail++;
	}
	if (mp->tail == 4 || (take < n && mp->tail >= 2)) {
		mp->closed = true; /* "--" and maybe CR LF, then anything: the epilogue */
		mp->closing = false;
		return take;
	}
	if (take < n)
		mp->closing = false; /* another part's headers follow */
	return 0;
}

enum mtag_err http_multipart_feed(struct http_multipart *mp, const char *data, size_t n,
				  const char **detail)
{
	/* One slice per delimiter: a slice ends just after a delimiter, or at the end of data. */
	for (size_t from = 0; !mp->err && !mp->closed;) {
		if (mp->closing) {
			size_t take = close_delim(mp, data + from, n - from);
			if (mp->closed) {
				if (take && MHD_post_process(mp->pp, data + from, take) != MHD_YES)
					fail(mp, ERR_BAD_REQUEST, "malformed multipart body");
				break;
			}
		}
		size_t end = find_delim(mp, data, n, from);
		size_t stop = end == SIZE_MAX ? n : end;
		head_collect(mp, data + from, stop - from); /* before MHD reads them */
		if (MHD_post_process(mp->pp, data + from, stop - from) != MHD_YES) {
			fail(mp, ERR_BAD_REQUEST, "malformed multipart body"); /* ours kept if first */
			break;
		}
		if (end == SIZE_MAX) {
			keep_carry(mp, data + from, n - from);
			break;
		}
		mp->delims++;
		mp->ncarry = 0;
		buf_reset(&mp->head);
		mp->in_head = true;
		mp->head_done = false;
		mp->closing = true;
		mp->tail = 0;
		from = end;
	}
	*detail = mp->detail;
	return mp->err;
}

enum mtag_err http_multipart_end(struct http_multipart *mp, const char **detail)
{
	if (!mp->ended) {
		mp->ended = true;
		if (!mp->err)
			part_end(mp);
		/* MHD_NO: the body stopped inside a part, before the closing boundary. */
		bool complete = MHD_destroy_post_processor(mp->pp) == MHD_YES;
		mp->pp = NULL;
		if (!complete)
			fail(mp, ERR_BAD_REQUEST,
			     "malformed multipart body: it ends before its closing boundary");
		else if (mp->nparts == 0)
			fail(mp, ERR_BAD_REQUEST, "malformed multipart body: it has no part");
	}
	*detail = mp->detail;
	return mp->err;
}

void http_multipart_abort(struct http_multipart *mp)
{
	discard_files(mp);
	mp->kind = PART_NONE;
}
