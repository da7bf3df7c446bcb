/*
 * blob_s3_http.c - one S3 request through libcurl.
 *
 * Signing: CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3" with the keys as
 * CURLOPT_USERNAME / CURLOPT_PASSWORD. libcurl 7.88 signs but does not send
 * x-amz-content-sha256, which S3 requires on every signed request: we add it
 * ourselves, and curl then signs it and uses its value as the payload hash.
 * Its value is the SHA-256 of a body held in memory (the empty hash when
 * there is none) and UNSIGNED-PAYLOAD for a body streamed from a file, which
 * S3 accepts over https and http alike. curl 7.88 also signs the query string
 * as given, so callers pass it already canonical (sorted, SigV4-encoded).
 *
 * Retries: a transport error (cannot connect, reset, timeout) or an answer
 * 429/5xx is tried again, S3_TRIES attempts in all, after 100 ms x 2^n plus
 * up to 100 ms of jitter, when the request is idempotent and its body can be
 * sent again (file bodies are re-read with pread; a GET whose output cannot
 * be rewound is not retried once bytes were written).
 *
 * Connections: curl handles are kept in a small idle list so that their
 * connections are reused; each handle serves one request at a time.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "blob/blob_s3_int.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xalloc.h"

#define ERRBODY_MAX (64 * 1024)
#define URL_MAX (16 * 1024)

static pthread_once_t s3_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void s3_global_init(void)
{
	pthread_once(&s3_once, global_init_once);
}

static CURL *handle_get(struct s3 *s)
{
	CURL *h = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->n_idle)
		h = s->idle[--s->n_idle];
	pthread_mutex_unlock(&s->mu);
	if (!h)
		h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "mtag: curl_easy_init failed\n");
		abort();
	}
	return h;
}

static void handle_put(struct s3 *s, CURL *h)
{
	pthread_mutex_lock(&s->mu);
	if (s->n_idle < S3_IDLE_MAX) {
		s->idle[s->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (h)
		curl_easy_cleanup(h);
}

void s3_http_release(struct s3 *s)
{
	for (size_t i = 0; i < s->n_idle; i++)
		curl_easy_cleanup(s->idle[i]);
	s->n_idle = 0;
}

void s3_url(const struct s3 *s, struct buf *out, const char *key, const char *query)
{
	buf_printf(out, "%s://", s->scheme);
	if (s->path_style) {
		buf_printf(out, "%s/", s->hostport);
		s3_uri_encode(out, s->bucket, strlen(s->bucket), false);
		if (key)
			buf_putc(out, '/');
	} else {
		buf_printf(out, "%s.%s/", s->bucket, s->hostport);
	}
	if (key)
		s3_uri_encode(out, key, strlen(key), true);
	if (query)
		buf_printf(out, "?%s", query);
}

/* ---- one transfer ---- */

struct xfer {
	struct s3_req *r;
	CURL *h;
	uint64_t sent;      /* read position within a file body */
	uint64_t written;   /* bytes written to out_fd by this attempt */
	struct buf errbody; /* the body of a non-2xx answer (first ERRBODY_MAX bytes) */
	int io_errno;       /* a local read or write failed */
	bool resp_too_large;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct s3_req *r = x->r;
	size_t want = size * nmemb;
	uint64_t left = r->body_fd_len - x->sent;
	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	for (;;) {
		ssize_t n = pread(r->body_fd, ptr, want, (off_t)(r->body_off + x->sent));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->io_errno = n < 0 ? errno : EIO; /* the file shrank under us */
			return CURL_READFUNC_ABORT;
		}
		x->sent += (uint64_t)n;
		return (size_t)n;
	}
}

static int seek_cb(void *ud, curl_off_t offset, int origin)
{
	struct xfer *x = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->r->body_fd_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct s3_req *r = x->r;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		size_t room = x->errbody.max - x->errbody.len;
		buf_append(&x->errbody, ptr, n < room ? n : room);
		return n;
	}
	if (r->out_fd >= 0) {
		if (!write_all(r->out_fd, ptr, n)) {
			x->io_errno = errno ? errno : EIO;
			return 0;
		}
		x->written += n;
	} else if (r->resp && buf_append(r->resp, ptr, n) != ERR_OK) {
		x->resp_too_large = true;
		return 0;
	}
	return n;
}

static size_t header_cb(char *line, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct s3_req *r = x->r;
	size_t n = size * nmemb;
	struct slice v;
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new answer (after 100 Continue) */
		r->etag[0] = '\0';
		r->content_length = 0;
		return n;
	}
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return n;
	struct slice name = { line, (size_t)(colon - line) };
	v = slice_trim((struct slice){ colon + 1, n - (size_t)(colon + 1 - line) });
	if (slice_eq_cstr_nocase(name, "ETag")) {
		size_t len = v.len < sizeof(r->etag) - 1 ? v.len : sizeof(r->etag) - 1;
		memcpy(r->etag, v.ptr, len);
		r->etag[len] = '\0';
	} else if (slice_eq_cstr_nocase(name, "Content-Length")) {
		uint64_t cl = 0;
		for (size_t i = 0; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++)
			cl = cl * 10 + (uint64_t)(v.ptr[i] - '0');
		r->content_length = cl;
	}
	return n;
}

static void set_body(CURL *h, struct s3_req *r, struct xfer *x)
{
	if (r->body_fd >= 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_fd_len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
		if (strcmp(r->method, "PUT") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
}

static CURLcode perform_once(struct s3 *s, struct s3_req *r, struct xfer *x, const char *url,
			     struct curl_slist *hdrs)
{
	CURL *h = x->h;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, S3_CONNECT_TIMEOUT_MS);
	if (r->large) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, S3_LOW_SPEED_BYTES);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, S3_LOW_SPEED_TIME_S);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, r->quick ? S3_QUICK_TIMEOUT_S : S3_SMALL_TIMEOUT_S);
	}
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	set_body(h, r, x);

	CURLcode rc = curl_easy_perform(h);
	r->status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_off_t ft = -1;
	if (curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft) == CURLE_OK && ft > 0)
		r->modified_us = (int64_t)ft * 1000000;
	return rc;
}

/* ---- errors ---- */

/* The S3 error code of a failed answer: from its XML, else from its status. */
static void error_code(struct s3_req *r, const struct xfer *x)
{
	if (s3_xml_error_code(x->errbody.ptr, x->errbody.len, r->code, sizeof(r->code)))
		return;
	const char *c;
	switch (r->status) {
	case 301: c = "PermanentRedirect"; break;
	case 400: c = "BadRequest"; break;
	case 403: c = "AccessDenied"; break;
	case 404: c = r->key ? "NoSuchKey" : "NoSuchBucket"; break;
	case 409: c = "Conflict"; break;
	case 429: c = "SlowDown"; break;
	case 500: c = "InternalError"; break;
	case 503: c = "ServiceUnavailable"; break;
	default: c = "UnknownError"; break;
	}
	snprintf(r->code, sizeof(r->code), "%s", c);
}

static enum mtag_err status_err(const struct s3_req *r)
{
	if (r->status == 404)
		return strcmp(r->code, "NoSuchBucket") == 0 ? ERR_UNAVAILABLE : ERR_NOT_FOUND;
	if (r->status == 401 || r->status == 403)
		return ERR_FORBIDDEN;
	if (r->status == 409)
		return ERR_CONFLICT;
	if (r->status == 429 || r->status >= 500)
		return ERR_UNAVAILABLE;
	return ERR_IO;
}

static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SEND_FAIL_REWIND:
		return true;
	default:
		return false;
	}
}

/* The final outcome of an attempt: ERR_OK, or the error with err filled in. */
static enum mtag_err outcome(struct s3 *s, struct s3_req *r, struct xfer *x, CURLcode rc,
			     int tries, char *err, size_t errlen)
{
	const char *after = tries > 1 ? " after retries" : "";
	if (x->io_errno)
		return blob_errf(ERR_IO, err, errlen, "S3 %s: %s: local file: %s", s->endpoint,
				 r->op, strerror(x->io_errno));
	if (x->resp_too_large)
		return blob_errf(ERR_IO, err, errlen, "S3 %s: %s: answer larger than %u bytes",
				 s->endpoint, r->op, S3_XML_MAX);
	if (rc != CURLE_OK)
		return blob_errf(ERR_UNAVAILABLE, err, errlen, "S3 %s: %s%s", s->endpoint,
				 curl_easy_strerror(rc), after);
	if (r->status >= 200 && r->status <= 299)
		return ERR_OK;
	error_code(r, x);
	return blob_errf(status_err(r), err, errlen, "S3 %s: %s (%ld)%s", s->endpoint, r->code,
			 r->status, after);
}

static void backoff(int attempt)
{
	unsigned char j;
	random_bytes(&j, 1);
	long ms = (long)S3_BACKOFF_MS * (1L << (attempt - 1)) + (long)(j % 100);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Undo what a failed GET wrote to out_fd; false when that is impossible. */
static bool rewind_output(struct s3_req *r, const struct xfer *x, off_t start)
{
	if (r->out_fd < 0 || x->written == 0)
		return true;
	return start >= 0 && lseek(r->out_fd, start, SEEK_SET) == start &&
	       ftruncate(r->out_fd, start) == 0;
}

static struct curl_slist *request_headers(const struct s3_req *r)
{
	char line[256];
	char hash[65];
	const char *payload = hash;
	if (r->body_fd >= 0)
		payload = "UNSIGNED-PAYLOAD";
	else if (r->body)
		digest_sha256_hex(r->body, r->body_len, hash);
	else
		memcpy(hash, S3_EMPTY_SHA256, sizeof(hash));
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", payload);
	struct curl_slist *h = curl_slist_append(NULL, line);
	if (r->content_type) {
		struct buf ct = BUF_INIT(1100);
		buf_printf(&ct, "Content-Type: %s", r->content_type);
		h = curl_slist_append(h, buf_cstr(&ct));
		buf_release(&ct);
	}
	if (!h)
		abort();
	return h;
}

enum mtag_err s3_perform(struct s3 *s, struct s3_req *r, char *err, size_t errlen)
{
	struct buf url = BUF_INIT(URL_MAX);
	s3_url(s, &url, r->key, r->query);
	struct curl_slist *hdrs = request_headers(r);
	off_t out_start = r->out_fd >= 0 ? lseek(r->out_fd, 0, SEEK_CUR) : -1;
	struct xfer x = { .r = r, .h = handle_get(s) };
	buf_init(&x.errbody, ERRBODY_MAX);
	enum mtag_err e;
	int64_t t0 = clock_mono_us();

	for (int attempt = 1;; attempt++) {
		x.sent = x.written = 0;
		x.io_errno = 0;
		x.resp_too_large = false;
		buf_reset(&x.errbody);
		if (r->resp)
			buf_reset(r->resp);
		r->modified_us = 0;
		CURLcode rc = perform_once(s, r, &x, buf_cstr(&url), hdrs);
		bool retry = !x.io_errno && !x.resp_too_large &&
			     (rc != CURLE_OK ? transient(rc)
					     : r->status == 429 || r->status >= 500);
		if (!retry || !r->idempotent || r->quick || attempt == S3_TRIES ||
		    !rewind_output(r, &x, out_start)) {
			e = outcome(s, r, &x, rc, attempt, err, errlen);
			break;
		}
		log_warn("blob.s3.retry", "op=%s endpoint=%s attempt=%d reason=\"%s\" status=%ld",
			 r->op, s->endpoint, attempt,
			 rc != CURLE_OK ? curl_easy_strerror(rc) : "server error", r->status);
		backoff(attempt);
	}
	if (log_enabled(LOG_DEBUG))
		log_debug("blob.s3.request", "op=%s method=%s status=%ld bytes_out=%" PRIu64
			  " ms=%" PRId64 " error=%s", r->op, r->method, r->status,
			  r->body_fd >= 0 ? r->body_fd_len : (uint64_t)r->body_len,
			  (clock_mono_us() - t0) / 1000, err_name(e));
	handle_put(s, x.h);
	curl_slist_free_all(hdrs);
	buf_release(&x.errbody);
	buf_release(&url);
	return e;
}
