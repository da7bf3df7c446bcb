/*
 * http_site.c - the web application, served from files embedded in the
 * binary (see struct http_site in http.h).
 *
 * Caching: every asset URL carries the site's version, a hash of all its
 * files, so an asset can be cached for a year ("immutable") and a new build
 * is fetched at once because its URLs differ. The page itself (index.html,
 * with "{{assets}}" replaced by "/assets/<version>") is revalidated on every
 * load with its ETag, which is the version too: a warm load costs one 304.
 *
 * Compression: text files are gzipped once at start-up (zlib, level 9) and
 * sent gzipped to clients that accept it, when that saves at least a tenth.
 * Everything is prepared at start-up; answering only picks bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/embed.h"
#include "base/xalloc.h"
#include "http/http_int.h"

#define ASSETS_PREFIX "/assets/"
#define PLACEHOLDER "{{assets}}"

struct site_file {
	const char *name;
	const char *type;
	const unsigned char *data; /* the embedded bytes, or (index) the rendered page */
	size_t len;
	unsigned char *gz;         /* gzipped, or NULL when not worth it */
	size_t gzlen;
};

struct http_site_state {
	const struct http_site *site;
	char version[17];             /* 16 hex digits */
	char etag[24], etag_gz[28];   /* "\"<version>\"" and "\"<version>-gz\"" */
	struct site_file *files;
	size_t nfiles;
	struct site_file *index;
	char *page;                   /* the rendered index */
};

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
};

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Gzip f's bytes when the type is text and it saves at least 10%. */
static void compress_file(struct site_file *f)
{
	if (strncmp(f->type, "text/", 5) && strcmp(f->type, "image/svg+xml") &&
	    strcmp(f->type, "application/json"))
		return;
	z_stream z = { 0 };
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	size_t cap = deflateBound(&z, f->len);
	unsigned char *out = xmalloc(cap);
	z.next_in = (unsigned char *)f->data;
	z.avail_in = (uInt)f->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || n > f->len - f->len / 10) {
		free(out);
		return;
	}
	f->gz = out;
	f->gzlen = n;
}

/* The index with every PLACEHOLDER replaced by the assets prefix (malloc'd). */
static char *render_index(const struct embed_file *f, const char *version)
{
	struct buf b = BUF_INIT(4 * f->len + 4096);
	const char *s = (const char *)f->data, *end = s + f->len, *p;
	while ((p = memmem(s, (size_t)(end - s), PLACEHOLDER, strlen(PLACEHOLDER)))) {
		buf_append(&b, s, (size_t)(p - s));
		buf_printf(&b, "%s%s", ASSETS_PREFIX, version);
		s = p + strlen(PLACEHOLDER);
	}
	buf_append(&b, s, (size_t)(end - s));
	char *page = xstrdup(buf_cstr(&b));
	buf_release(&b);
	return page;
}

enum mtag_err http_site_load(const struct http_site *site, struct http_site_state **out)
{
	*out = NULL;
	if (!site || !site->files || !site->index || !embed_find(site->files, site->index))
		return ERR_VALIDATION;
	struct http_site_state *s = xcalloc(1, sizeof(*s));
	s->site = site;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const struct embed_file *f = site->files; f->name; f++) {
		h = fnv1a(h, (const unsigned char *)f->name, strlen(f->name) + 1);
		h = fnv1a(h, f->data, f->len);
		s->nfiles++;
	}
	snprintf(s->version, sizeof(s->version), "%016llx", (unsigned long long)h);
	snprintf(s->etag, sizeof(s->etag), "\"%s\"", s->version);
	snprintf(s->etag_gz, sizeof(s->etag_gz), "\"%s-gz\"", s->version);
	s->files = xcalloc(s->nfiles, sizeof(*s->files));
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct embed_file *ef = &site->files[i];
		struct site_file *f = &s->files[i];
		*f = (struct site_file){ ef->name, type_of(ef->name), ef->data, ef->len, NULL, 0 };
		if (!strcmp(ef->name, site->index)) {
			s->page = render_index(ef, s->version);
			f->data = (const unsigned char *)s->page;
			f->len = strlen(s->page);
			s->index = f;
		}
		compress_file(f);
	}
	*out = s;
	return ERR_OK;
}

void http_site_free(struct http_site_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].gz);
	free(s->files);
	free(s->page);
	free(s);
}

/*
 * True when the client accepts gzip: a "gzip" (or "*") coding in
 * Accept-Encoding whose q is not 0 (RFC 9110 12.5.3).
 */
static bool accepts_gzip(struct http_request *req)
{
	const char *v = http_header(req, "Accept-Encoding");
	while (v && *v) {
		v += strspn(v, " \t,");
		size_t n = strcspn(v, " \t;,");
		bool named = (n == 4 && !strncasecmp(v, "gzip", 4)) || (n == 1 && *v == '*');
		const char *end = v + strcspn(v, ",");
		const char *q = memmem(v, (size_t)(end - v), "q=", 2);
		bool zero = q && strtod(q + 2, NULL) <= 0.0;
		if (named)
			return !zero;
		v = end;
	}
	return false;
}

/* True when If-None-Match names etag, or is "*". */
static bool has_version(struct http_request *req, const char *etag)
{
	const char *inm = http_header(req, "If-None-Match");
	return inm && (strstr(inm, etag) || !strcmp(inm + strspn(inm, " \t"), "*"));
}

static bool is_page(const struct http_site *site, const char *path)
{
	for (const char *const *p = site->pages; p && *p; p++)
		if (!strcmp(*p, path))
			return true;
	return false;
}

/* What the site answers req with; false when req is not the site's. */
struct site_answer {
	const struct site_file *file;
	int status;
	const char *cache;
	bool by_accept;  /* chosen because the client accepts HTML (Vary: Accept) */
};

static bool resolve(const struct http_site_state *s, struct http_request *req,
		    struct site_answer *out)
{
	const char *path = req->path;
	if (!s || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")))
		return false;
	if (!strncmp(path, "/api/", 5) || !strcmp(path, "/api"))
		return false;
	if (!strncmp(path, ASSETS_PREFIX, strlen(ASSETS_PREFIX))) {
		const char *v = path + strlen(ASSETS_PREFIX), *slash = strchr(v, '/');
		if (!slash)
			return false;
		for (size_t i = 0; i < s->nfiles; i++) {
			if (strcmp(s->files[i].name, slash + 1) || &s->files[i] == s->index)
				continue;
			/* A page of an older build asking for its assets gets today's, uncached. */
			bool current = (size_t)(slash - v) == strlen(s->version) &&
				       !strncmp(v, s->version, strlen(s->version));
			*out = (struct site_answer){ &s->files[i], 200,
						     current ? "public, max-age=31536000, immutable"
							     : "no-cache",
						     false };
			return true;
		}
		return false;
	}
	if (is_page(s->site, path)) {
		*out = (struct site_answer){ s->index, 200, "no-cache", false };
		return true;
	}
	/* A browser asking for a page we do not have gets the app's own not-found page. */
	const char *accept = http_header(req, "Accept");
	if (accept && strcasestr(accept, "text/html")) {
		*out = (struct site_answer){ s->index, 404, "no-cache", true };
		return true;
	}
	return false;
}

bool http_site_answers(const struct http_site_state *s, struct http_request *req)
{
	struct site_answer a;
	return resolve(s, req, &a);
}

void http_site_respond(const struct http_site_state *s, struct http_request *req,
		       struct http_response *res)
{
	struct site_answer a;
	if (!resolve(s, req, &a))
		return http_respond_error(res, ERR_NOT_FOUND, "no such page");
	const struct site_file *f = a.file;
	bool gz = f->gz && accepts_gzip(req);
	const char *etag = gz ? s->etag_gz : s->etag;
	http_set_header(res, "Cache-Control", a.cache);
	http_set_header(res, "ETag", etag);
	http_set_header(res, "Vary", a.by_accept ? "Accept, Accept-Encoding" : "Accept-Encoding");
	if (a.status == 200 && has_version(req, etag)) {
		/* The browser takes a 304's headers into its cached copy: the type keeps the
		 * page's Content-Security-Policy the one for HTML (not the one for no body). */
		res->status = 304;
		res->content_type = f->type;
		return;
	}
	if (gz)
		http_set_header(res, "Content-Encoding", "gzip");
	http_respond_bytes(res, a.status, f->type, gz ? (const char *)f->gz : (const char *)f->data,
			   gz ? f->gzlen : f->len);
}
