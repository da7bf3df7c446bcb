/*
 * blob_s3.c - the s3:// driver: AWS S3, MinIO and any S3-compatible store.
 *
 *   s3://BUCKET?endpoint=http://host:9000&region=us-east-1&path_style=1&create_bucket=1
 *
 * endpoint defaults to https://s3.REGION.amazonaws.com, region to us-east-1,
 * path_style to 1 when an endpoint is given (MinIO, s3rver) and 0 for AWS
 * (virtual-hosted: BUCKET.host/key). create_bucket, when present, overrides
 * blob_open's argument. Values may be percent-encoded.
 *
 * The bucket is created lazily: blob_open does no network I/O (a store that
 * cannot be reached is not an error there), and the first operation that
 * talks to S3 (blob_ping at start-up, in practice) sends CreateBucket once;
 * "already owned by you" counts as success, and so does "already exists"
 * when a HeadBucket then succeeds (s3rver answers that way).
 *
 * Objects of multipart_threshold bytes or more go up as a multipart upload
 * (parts of part_size, grown when needed to stay within 10,000 parts),
 * aborted when any step fails. Everything streams from and to files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob/blob_s3_int.h"
#include "base/log.h"
#include "base/xalloc.h"

#define LIST_PAGE_MAX 1000
#define COMPLETE_XML_MAX (4u << 20)

static struct s3 *s3_of(struct blob *b)
{
	return (struct s3 *)b;
}

static void req_init(struct s3_req *r, const char *method, const char *op, const char *key)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->op = op;
	r->key = key;
	r->body_fd = -1;
	r->out_fd = -1;
	r->idempotent = true;
}

/* ---- the bucket, made on first use ---- */

static enum mtag_err head_bucket(struct s3 *s, bool quick, char *err, size_t errlen)
{
	struct s3_req r;
	req_init(&r, "HEAD", "head bucket", NULL);
	r.quick = quick;
	return s3_perform(s, &r, err, errlen);
}

static enum mtag_err ensure_bucket(struct s3 *s, char *err, size_t errlen)
{
	if (atomic_load(&s->bucket_ready))
		return ERR_OK;
	struct s3_req r;
	char body[256];
	req_init(&r, "PUT", "create bucket", NULL);
	if (strcmp(s->region, "us-east-1") != 0) {
		r.body_len = (size_t)snprintf(body, sizeof(body),
			"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			"<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
			s->region);
		r.body = body;
		r.content_type = "application/xml";
	}
	enum mtag_err e = s3_perform(s, &r, err, errlen);
	if (e == ERR_CONFLICT && strcmp(r.code, "BucketAlreadyOwnedByYou") == 0)
		e = ERR_OK;
	else if (e == ERR_CONFLICT && head_bucket(s, false, err, errlen) == ERR_OK)
		e = ERR_OK;
	else if (e == ERR_OK)
		log_info("blob.s3.bucket_created", "endpoint=%s bucket=%s", s->endpoint, s->bucket);
	if (e == ERR_OK)
		atomic_store(&s->bucket_ready, true);
	return e;
}

static enum mtag_err s3_ping(struct blob *b, char *err, size_t errlen)
{
	struct s3 *s = s3_of(b);
	enum mtag_err e = ensure_bucket(s, err, errlen);
	return e != ERR_OK ? e : head_bucket(s, true, err, errlen);
}

/* ---- put ---- */

static enum mtag_err put_single(struct s3 *s, const char *key, int fd, uint64_t size,
				const char *content_type, char *err, size_t errlen)
{
	struct s3_req r;
	req_init(&r, "PUT", "put", key);
	r.content_type = content_type;
	r.body_fd = fd;
	r.body_fd_len = size;
	r.large = true;
	return s3_perform(s, &r, err, errlen);
}

/* The part query "partNumber=N&uploadId=ID" or "uploadId=ID" (n == 0), canonical. */
static void upload_query(struct buf *q, int part, const char *upload_id)
{
	buf_reset(q);
	if (part)
		buf_printf(q, "partNumber=%d&", part);
	buf_puts(q, "uploadId=");
	s3_uri_encode(q, upload_id, strlen(upload_id), false);
}

static enum mtag_err mp_create(struct s3 *s, struct arena *a, const char *key,
			       const char *content_type, const char **upload_id, char *err,
			       size_t errlen)
{
	struct buf resp = BUF_INIT(S3_XML_MAX);
	struct s3_req r;
	req_init(&r, "POST", "create multipart upload", key);
	r.query = "uploads=";
	r.content_type = content_type;
	r.resp = &resp;
	enum mtag_err e = s3_perform(s, &r, err, errlen);
	if (e == ERR_OK) {
		*upload_id = s3_xml_upload_id(a, resp.ptr, resp.len);
		if (!*upload_id)
			e = blob_errf(ERR_IO, err, errlen, "S3 %s: no UploadId in the answer",
				      s->endpoint);
	}
	buf_release(&resp);
	return e;
}

static enum mtag_err mp_parts(struct s3 *s, const char *key, const char *upload_id, int fd,
			      uint64_t size, uint64_t part_size, struct buf *complete, char *err,
			      size_t errlen)
{
	struct buf q = BUF_INIT(4096);
	enum mtag_err e = ERR_OK;
	buf_puts(complete, "<CompleteMultipartUpload>");
	int part = 1;
	for (uint64_t off = 0; off < size && e == ERR_OK; off += part_size, part++) {
		struct s3_req r;
		req_init(&r, "PUT", "upload part", key);
		upload_query(&q, part, upload_id);
		r.query = buf_cstr(&q);
		r.body_fd = fd;
		r.body_off = off;
		r.body_fd_len = size - off < part_size ? size - off : part_size;
		r.large = true;
		e = s3_perform(s, &r, err, errlen);
		if (e == ERR_OK && (!r.etag[0] || strpbrk(r.etag, "<>&")))
			e = blob_errf(ERR_IO, err, errlen, "S3 %s: no usable ETag for part %d",
				      s->endpoint, part);
		if (e == ERR_OK)
			e = buf_printf(complete, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
				       part, r.etag);
	}
	buf_puts(complete, "</CompleteMultipartUpload>");
	buf_release(&q);
	return e;
}

static enum mtag_err mp_complete(struct s3 *s, const char *key, const char *upload_id,
				 const struct buf *body, char *err, size_t errlen)
{
	struct buf q = BUF_INIT(4096), resp = BUF_INIT(S3_XML_MAX);
	struct s3_req r;
	req_init(&r, "POST", "complete multipart upload", key);
	upload_query(&q, 0, upload_id);
	r.query = buf_cstr(&q);
	r.body = body->ptr;
	r.body_len = body->len;
	r.content_type = "application/xml";
	r.resp = &resp;
	r.large = true; /* S3 may take minutes to assemble a large object */
	enum mtag_err e = s3_perform(s, &r, err, errlen);
	/* S3 may answer 200 and still fail: the body is then an <Error>. */
	char code[64];
	if (e == ERR_OK && s3_xml_error_code(resp.ptr, resp.len, code, sizeof(code)))
		e = blob_errf(ERR_UNAVAILABLE, err, errlen, "S3 %s: %s (200)", s->endpoint, code);
	buf_release(&q);
	buf_release(&resp);
	return e;
}

static void mp_abort(struct s3 *s, const char *key, const char *upload_id)
{
	struct buf q = BUF_INIT(4096);
	char err[256];
	struct s3_req r;
	req_init(&r, "DELETE", "abort multipart upload", key);
	upload_query(&q, 0, upload_id);
	r.query = buf_cstr(&q);
	if (s3_perform(s, &r, err, sizeof(err)) != ERR_OK)
		log_warn("blob.s3.abort_failed", "endpoint=%s error=\"%s\"", s->endpoint, err);
	buf_release(&q);
}

static enum mtag_err put_multipart(struct s3 *s, const char *key, int fd, uint64_t size,
				   const char *content_type, char *err, size_t errlen)
{
	struct arena a = ARENA_INIT;
	struct buf complete = BUF_INIT(COMPLETE_XML_MAX);
	const char *upload_id = NULL;
	uint64_t part_size = s->part_size;
	if (size / part_size >= S3_MAX_PARTS)
		part_size = size / (S3_MAX_PARTS - 1);
	enum mtag_err e = mp_create(s, &a, key, content_type, &upload_id, err, errlen);
	if (e == ERR_OK)
		e = mp_parts(s, key, upload_id, fd, size, part_size, &complete, err, errlen);
	if (e == ERR_OK)
		e = mp_complete(s, key, upload_id, &complete, err, errlen);
	if (e != ERR_OK && upload_id)
		mp_abort(s, key, upload_id);
	buf_release(&complete);
	arena_release(&a);
	return e;
}

static enum mtag_err s3_put_file(struct blob *b, const char *key, const char *path,
				 const char *content_type, char *err, size_t errlen)
{
	struct s3 *s = s3_of(b);
	struct stat st;
	if (!content_type || !*content_type)
		content_type = "application/octet-stream";
	if (strlen(content_type) > 1000 || strpbrk(content_type, "\r\n"))
		return blob_errf(ERR_VALIDATION, err, errlen, "invalid content type");
	enum mtag_err e = ensure_bucket(s, err, errlen);
	if (e != ERR_OK)
		return e;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return blob_errf(ERR_IO, err, errlen, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return blob_errf(ERR_IO, err, errlen, "%s is not a regular file", path);
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size >= s->multipart_threshold)
		e = put_multipart(s, key, fd, size, content_type, err, errlen);
	else
		e = put_single(s, key, fd, size, content_type, err, errlen);
	close(fd);
	return e;
}

/* ---- get, head, delete ---- */

static enum mtag_err s3_get_to_fd(struct blob *b, const char *key, int fd, char *err,
				  size_t errlen)
{
	struct s3 *s = s3_of(b);
	enum mtag_err e = ensure_bucket(s, err, errlen);
	if (e != ERR_OK)
		return e;
	struct s3_req r;
	req_init(&r, "GET", "get", key);
	r.out_fd = fd;
	r.large = true;
	return s3_perform(s, &r, err, errlen);
}

static enum mtag_err s3_head(struct blob *b, struct arena *a, const char *key,
			     struct blob_info *out, char *err, size_t errlen)
{
	struct s3 *s = s3_of(b);
	enum mtag_err e = ensure_bucket(s, err, errlen);
	if (e != ERR_OK)
		return e;
	struct s3_req r;
	req_init(&r, "HEAD", "head", key);
	e = s3_perform(s, &r, err, errlen);
	if (e != ERR_OK)
		return e;
	size_t el = strlen(r.etag);
	out->key = arena_strdup(a, key);
	out->size = r.content_length;
	if (el >= 2 && r.etag[0] == '"' && r.etag[el - 1] == '"')
		out->etag = arena_strndup(a, r.etag + 1, el - 2);
	else
		out->etag = el ? arena_strdup(a, r.etag) : NULL;
	out->modified_us = r.modified_us;
	return ERR_OK;
}

static enum mtag_err s3_del(struct blob *b, const char *key, char *err, size_t errlen)
{
	struct s3 *s = s3_of(b);
	enum mtag_err e = ensure_bucket(s, err, errlen);
	if (e != ERR_OK)
		return e;
	struct s3_req r;
	req_init(&r, "DELETE", "delete", key);
	e = s3_perform(s, &r, err, errlen);
	if (e == ERR_NOT_FOUND) { /* S3 answers 204 anyway; some stores do not */
		if (err && errlen)
			err[0] = '\0';
		e = ERR_OK;
	}
	return e;
}

/* ---- list ---- */

/* The canonical ListObjectsV2 query (parameters in byte order). */
static void list_query(struct buf *q, const char *token, size_t page, const char *prefix)
{
	buf_reset(q);
	if (token) {
		buf_puts(q, "continuation-token=");
		s3_uri_encode(q, token, strlen(token), false);
		buf_putc(q, '&');
	}
	buf_printf(q, "list-type=2&max-keys=%zu", page);
	if (*prefix) {
		buf_puts(q, "&prefix=");
		s3_uri_encode(q, prefix, strlen(prefix), false);
	}
}

static int info_cmp(const void *x, const void *y)
{
	return strcmp(((const struct blob_info *)x)->key, ((const struct blob_info *)y)->key);
}

static enum mtag_err s3_list(struct blob *b, struct arena *a, const char *prefix, size_t max,
			     struct blob_info **out, size_t *n, char *err, size_t errlen)
{
	struct s3 *s = s3_of(b);
	enum mtag_err e = ensure_bucket(s, err, errlen);
	if (e != ERR_OK)
		return e;
	struct s3_list_page page = { 0 };
	struct buf q = BUF_INIT(8192), resp = BUF_INIT(S3_XML_MAX);
	const char *token = NULL;
	int empty_pages = 0; /* a server that keeps answering "truncated" with nothing */
	while (page.n < max && e == ERR_OK) {
		size_t before = page.n;
		size_t want = max - page.n < s->list_page ? max - page.n : s->list_page;
		struct s3_req r;
		req_init(&r, "GET", "list", NULL);
		list_query(&q, token, want, prefix);
		r.query = buf_cstr(&q);
		r.resp = &resp;
		e = s3_perform(s, &r, err, errlen);
		if (e == ERR_OK && !s3_xml_list(a, resp.ptr, resp.len, &page))
			e = blob_errf(ERR_IO, err, errlen, "S3 %s: unreadable ListObjectsV2 answer",
				      s->endpoint);
		if (e != ERR_OK || !page.truncated || !page.next_token)
			break;
		if (page.n == before && ++empty_pages == 100)
			e = blob_errf(ERR_IO, err, errlen, "S3 %s: ListObjectsV2 makes no progress",
				      s->endpoint);
		token = page.next_token;
	}
	if (e == ERR_OK && page.n) {
		/* S3 answers in byte order already; some compatible servers (s3rver) do not. */
		qsort(page.items, page.n, sizeof(*page.items), info_cmp);
		*n = page.n < max ? page.n : max;
		*out = arena_calloc(a, *n, sizeof(**out));
		memcpy(*out, page.items, *n * sizeof(**out));
	}
	free(page.items);
	buf_release(&q);
	buf_release(&resp);
	return e;
}

/* ---- presign ---- */

static enum mtag_err s3_presign_get(struct blob *b, struct arena *a, const char *key, int ttl_s,
				    const char *content_type, const char *disposition,
				    const char **url, char *err, size_t errlen)
{
	return s3_presign(s3_of(b), a, key, ttl_s, content_type, disposition, time(NULL), url, err,
			  errlen);
}

enum mtag_err blob_s3_presign_at(struct blob *b, struct arena *a, const char *key, int ttl_s,
				 const char *content_type, const char *disposition, time_t now,
				 const char **url, char *err, size_t errlen)
{
	*url = NULL;
	if (b->ops != &blob_s3_ops)
		return blob_errf(ERR_VALIDATION, err, errlen, "not an S3 store");
	if (!blob_key_valid(key))
		return blob_errf(ERR_VALIDATION, err, errlen, "invalid object key");
	return s3_presign(s3_of(b), a, key, ttl_s, content_type, disposition, now, url, err,
			  errlen);
}

void blob_s3_tune(struct blob *b, size_t list_page, uint64_t multipart_threshold,
		  uint64_t part_size)
{
	if (b->ops != &blob_s3_ops)
		return;
	struct s3 *s = s3_of(b);
	if (list_page)
		s->list_page = list_page < LIST_PAGE_MAX ? list_page : LIST_PAGE_MAX;
	if (multipart_threshold)
		s->multipart_threshold = multipart_threshold;
	if (part_size)
		s->part_size = part_size;
}

/* ---- open: the URL, the credentials ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s; NULL on a bad escape or a NUL. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || hi * 16 + lo == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi * 16 + lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static bool bucket_valid(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-' || b[n - 1] == '.' || b[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool region_valid(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = r[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Split "http(s)://host[:port][/]" into scheme and host[:port] (default port dropped). */
static enum mtag_err set_endpoint(struct s3 *s, const char *ep, char *err, size_t errlen)
{
	const char *rest;
	if (strncmp(ep, "http://", 7) == 0) {
		s->scheme = xstrdup("http");
		rest = ep + 7;
	} else if (strncmp(ep, "https://", 8) == 0) {
		s->scheme = xstrdup("https");
		rest = ep + 8;
	} else {
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 endpoint must start with http:// or https://");
	}
	size_t n = strcspn(rest, "/");
	if (n == 0 || (rest[n] && strcmp(rest + n, "/") != 0))
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 endpoint must be scheme://host[:port] without a path");
	for (size_t i = 0; i < n; i++) {
		char c = rest[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return blob_errf(ERR_VALIDATION, err, errlen,
					 "S3 endpoint host has a character that is not allowed");
	}
	s->hostport = xstrndup(rest, n);
	const char *dflt = strcmp(s->scheme, "http") == 0 ? ":80" : ":443";
	size_t hl = strlen(s->hostport), dl = strlen(dflt);
	if (hl > dl && strcmp(s->hostport + hl - dl, dflt) == 0)
		s->hostport[hl - dl] = '\0';
	s->endpoint = xmalloc(strlen(s->scheme) + strlen(s->hostport) + 4);
	snprintf(s->endpoint, strlen(s->scheme) + strlen(s->hostport) + 4, "%s://%s", s->scheme,
		 s->hostport);
	return ERR_OK;
}

static bool parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
		*out = false;
		return true;
	}
	return false;
}

/* One "name=value" of the URL's query. */
static enum mtag_err set_param(struct s3 *s, const char *name, const char *v, char **endpoint,
			       int *path_style, char *err, size_t errlen)
{
	bool bv;
	if (strcmp(name, "endpoint") == 0) {
		free(*endpoint);
		*endpoint = xstrdup(v);
	} else if (strcmp(name, "region") == 0) {
		if (!region_valid(v))
			return blob_errf(ERR_VALIDATION, err, errlen,
					 "S3 region must be letters, digits and '-'");
		free(s->region);
		s->region = xstrdup(v);
	} else if (strcmp(name, "path_style") == 0) {
		if (!parse_bool(v, &bv))
			return blob_errf(ERR_VALIDATION, err, errlen, "S3 path_style must be 0 or 1");
		*path_style = bv;
	} else if (strcmp(name, "create_bucket") == 0) {
		if (!parse_bool(v, &bv))
			return blob_errf(ERR_VALIDATION, err, errlen,
					 "S3 create_bucket must be 0 or 1");
		s->create_bucket = bv;
	} else {
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 storage URL: unknown parameter '%.40s' (known: endpoint, "
				 "region, path_style, create_bucket)", name);
	}
	return ERR_OK;
}

static enum mtag_err parse_query(struct s3 *s, const char *q, char **endpoint, int *path_style,
				 char *err, size_t errlen)
{
	enum mtag_err e = ERR_OK;
	while (*q && e == ERR_OK) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		char *name = NULL, *val = NULL;
		if (n > 0) {
			size_t nl = eq ? (size_t)(eq - q) : n;
			name = pct_decode(q, nl);
			val = eq ? pct_decode(eq + 1, n - nl - 1) : xstrdup("");
			if (!name || !val)
				e = blob_errf(ERR_VALIDATION, err, errlen,
					      "S3 storage URL: bad percent-encoding");
			else
				e = set_param(s, name, val, endpoint, path_style, err, errlen);
		}
		free(name);
		free(val);
		q += n + (q[n] == '&');
	}
	return e;
}

static bool host_is_ip(const char *hostport)
{
	if (hostport[0] == '[')
		return true;
	for (const char *p = hostport; *p && *p != ':'; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return false;
	}
	return true;
}

static enum mtag_err load_credentials(struct s3 *s, char *err, size_t errlen)
{
	const char *ak = getenv("MTAG_S3_ACCESS_KEY"), *sk = getenv("MTAG_S3_SECRET_KEY");
	if (!ak || !*ak || !sk || !*sk) {
		ak = getenv("AWS_ACCESS_KEY_ID");
		sk = getenv("AWS_SECRET_ACCESS_KEY");
	}
	if (!ak || !*ak || !sk || !*sk)
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 credentials missing: set MTAG_S3_ACCESS_KEY and "
				 "MTAG_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
	if (strlen(ak) > 128 || strlen(sk) > 256 || strpbrk(ak, "/\r\n") || strpbrk(sk, "\r\n"))
		return blob_errf(ERR_VALIDATION, err, errlen, "S3 credentials are malformed");
	s->access_key = xstrdup(ak);
	s->secret_key = xstrdup(sk);
	return ERR_OK;
}

static enum mtag_err s3_configure(struct s3 *s, const char *spec, char *err, size_t errlen)
{
	char *endpoint = NULL;
	int path_style = -1;
	size_t bl = strcspn(spec, "?");
	s->bucket = xstrndup(spec, bl);
	if (!bucket_valid(s->bucket))
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 bucket name must be 3 to 63 of [a-z0-9.-]");
	s->region = xstrdup("us-east-1");
	enum mtag_err e = spec[bl] ? parse_query(s, spec + bl + 1, &endpoint, &path_style, err,
						 errlen)
				   : ERR_OK;
	if (e == ERR_OK && !endpoint) {
		size_t n = strlen(s->region) + 32;
		endpoint = xmalloc(n);
		snprintf(endpoint, n, "https://s3.%s.amazonaws.com", s->region);
		if (path_style < 0)
			path_style = 0;
	}
	if (e == ERR_OK)
		e = set_endpoint(s, endpoint, err, errlen);
	free(endpoint);
	if (e != ERR_OK)
		return e;
	s->path_style = path_style != 0; /* default 1 with an explicit endpoint */
	if (!s->path_style && (host_is_ip(s->hostport) || strchr(s->bucket, '.')))
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "S3 virtual-hosted addressing (path_style=0) needs a host name "
				 "endpoint and a bucket name without '.'");
	e = load_credentials(s, err, errlen);
	if (e != ERR_OK)
		return e;
	size_t n = strlen(s->region) + 16;
	s->sigv4 = xmalloc(n);
	snprintf(s->sigv4, n, "aws:amz:%s:s3", s->region);
	return ERR_OK;
}

static void s3_close(struct blob *b)
{
	struct s3 *s = s3_of(b);
	s3_http_release(s);
	pthread_mutex_destroy(&s->mu);
	if (s->secret_key) {
		explicit_bzero(s->secret_key, strlen(s->secret_key));
		free(s->secret_key);
	}
	free(s->access_key);
	free(s->endpoint);
	free(s->scheme);
	free(s->hostport);
	free(s->bucket);
	free(s->region);
	free(s->sigv4);
	free(s);
}

enum mtag_err blob_s3_open(const char *spec, bool create_bucket, struct blob **out, char *err,
			   size_t errlen)
{
	s3_global_init();
	struct s3 *s = xcalloc(1, sizeof(*s));
	s->base.ops = &blob_s3_ops;
	pthread_mutex_init(&s->mu, NULL);
	s->create_bucket = create_bucket;
	s->list_page = LIST_PAGE_MAX;
	s->multipart_threshold = S3_MULTIPART_THRESHOLD;
	s->part_size = S3_PART_SIZE;
	enum mtag_err e = s3_configure(s, spec, err, errlen);
	if (e != ERR_OK) {
		s3_close(&s->base);
		return e;
	}
	atomic_init(&s->bucket_ready, !s->create_bucket);
	*out = &s->base;
	return ERR_OK;
}

const struct blob_ops blob_s3_ops = {
	.name = "s3",
	.close = s3_close,
	.ping = s3_ping,
	.put_file = s3_put_file,
	.get_to_fd = s3_get_to_fd,
	.head = s3_head,
	.del = s3_del,
	.list = s3_list,
	.presign_get = s3_presign_get,
	.local_path = NULL,
};
