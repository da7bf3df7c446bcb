/*
 * blob_s3_xml.c - the XML answers of S3 (errors, ListObjectsV2,
 * InitiateMultipartUpload), read with expat, never by string search.
 *
 * One small walker serves them all: it keeps the path of open elements
 * ("ListBucketResult/Contents/Key", namespaces ignored) and the text of the
 * innermost one, and calls a handler at each end tag. Text is capped per
 * element; expat refuses DTDs with entity expansion beyond its limits, and
 * the whole answer is capped by the caller (S3_XML_MAX).
 */
#include <expat.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_s3_int.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define XML_PATH_MAX 256
#define XML_TEXT_MAX 4096

typedef void (*xml_end_fn)(void *ctx, const char *path, const char *text, size_t len);

struct xml_walk {
	char path[XML_PATH_MAX];
	size_t path_len;
	size_t depth, overflow; /* overflow: levels not recorded because path was full */
	struct buf text;
	xml_end_fn on_end;
	void *ctx;
};

static const char *local_name(const char *name)
{
	const char *sep = strrchr(name, ':');
	return sep ? sep + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	struct xml_walk *w = ud;
	const char *ln = local_name(name);
	size_t nl = strlen(ln), need = (w->path_len ? 1 : 0) + nl;
	buf_reset(&w->text);
	w->depth++;
	if (w->overflow || w->path_len + need >= XML_PATH_MAX) {
		w->overflow++;
		return;
	}
	if (w->path_len)
		w->path[w->path_len++] = '/';
	memcpy(w->path + w->path_len, ln, nl);
	w->path_len += nl;
	w->path[w->path_len] = '\0';
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	(void)name;
	struct xml_walk *w = ud;
	w->depth--;
	if (w->overflow) {
		w->overflow--;
		return;
	}
	w->on_end(w->ctx, w->path, buf_cstr(&w->text), w->text.len);
	char *slash = strrchr(w->path, '/');
	w->path_len = slash ? (size_t)(slash - w->path) : 0;
	w->path[w->path_len] = '\0';
	buf_reset(&w->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_walk *w = ud;
	(void)buf_append(&w->text, s, (size_t)len); /* past the cap: the text stays cut */
}

/* Parse body, calling on_end for each element. False when it is not well-formed XML. */
static bool xml_walk(const char *body, size_t len, xml_end_fn fn, void *ctx)
{
	if (!body || len == 0 || len > S3_XML_MAX)
		return false;
	XML_Parser p = XML_ParserCreate("UTF-8");
	if (!p)
		return false;
	struct xml_walk w = { .on_end = fn, .ctx = ctx };
	buf_init(&w.text, XML_TEXT_MAX);
	XML_SetUserData(p, &w);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	bool ok = XML_Parse(p, body, (int)len, XML_TRUE) == XML_STATUS_OK;
	XML_ParserFree(p);
	buf_release(&w.text);
	return ok;
}

/* ---- <Error><Code>...</Code></Error> ---- */

struct err_ctx {
	char *code;
	size_t cap;
	bool found;
};

static void err_end(void *ctx, const char *path, const char *text, size_t len)
{
	struct err_ctx *e = ctx;
	if (strcmp(path, "Error/Code") != 0 || len == 0)
		return;
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < e->cap; i++) {
		char c = text[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')
			e->code[n++] = c;
	}
	e->code[n] = '\0';
	e->found = n > 0;
}

bool s3_xml_error_code(const char *body, size_t len, char *code, size_t cap)
{
	struct err_ctx e = { code, cap, false };
	if (cap == 0)
		return false;
	code[0] = '\0';
	return xml_walk(body, len, err_end, &e) && e.found;
}

/* ---- InitiateMultipartUploadResult/UploadId ---- */

struct upload_ctx {
	struct arena *a;
	const char *id;
};

static void upload_end(void *ctx, const char *path, const char *text, size_t len)
{
	struct upload_ctx *u = ctx;
	if (strcmp(path, "InitiateMultipartUploadResult/UploadId") == 0 && len)
		u->id = arena_strndup(u->a, text, len);
}

const char *s3_xml_upload_id(struct arena *a, const char *body, size_t len)
{
	struct upload_ctx u = { a, NULL };
	return xml_walk(body, len, upload_end, &u) ? u.id : NULL;
}

/* ---- ListBucketResult ---- */

struct list_ctx {
	struct arena *a;
	struct s3_list_page *page;
	struct blob_info cur;
	bool bad;
};

static void list_end(void *ctx, const char *path, const char *text, size_t len)
{
	struct list_ctx *l = ctx;
	struct s3_list_page *pg = l->page;
	if (strncmp(path, "ListBucketResult/", 17) != 0)
		return;
	path += 17;
	if (strcmp(path, "IsTruncated") == 0) {
		pg->truncated = len == 4 && memcmp(text, "true", 4) == 0;
	} else if (strcmp(path, "NextContinuationToken") == 0) {
		pg->next_token = len ? arena_strndup(l->a, text, len) : NULL;
	} else if (strcmp(path, "Contents/Key") == 0) {
		l->cur.key = arena_strndup(l->a, text, len);
	} else if (strcmp(path, "Contents/Size") == 0) {
		char *end;
		l->cur.size = strtoull(text, &end, 10);
		l->bad |= len == 0 || *end != '\0';
	} else if (strcmp(path, "Contents/ETag") == 0) {
		if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
			l->cur.etag = arena_strndup(l->a, text + 1, len - 2);
		else
			l->cur.etag = len ? arena_strndup(l->a, text, len) : NULL;
	} else if (strcmp(path, "Contents/LastModified") == 0) {
		int64_t us;
		l->cur.modified_us = clock_parse_iso(text, &us) ? us : 0;
	} else if (strcmp(path, "Contents") == 0) {
		if (!l->cur.key) {
			l->bad = true;
			return;
		}
		if (pg->n == pg->cap) {
			pg->cap = pg->cap ? pg->cap * 2 : 64;
			pg->items = xrealloc(pg->items, pg->cap * sizeof(*pg->items));
		}
		pg->items[pg->n++] = l->cur;
		memset(&l->cur, 0, sizeof(l->cur));
	}
}

bool s3_xml_list(struct arena *a, const char *body, size_t len, struct s3_list_page *page)
{
	struct list_ctx l = { .a = a, .page = page };
	page->truncated = false;
	page->next_token = NULL;
	return xml_walk(body, len, list_end, &l) && !l.bad;
}
