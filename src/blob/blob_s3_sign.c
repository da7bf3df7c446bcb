/*
 * blob_s3_sign.c - AWS Signature Version 4 by hand, for presigned GET URLs
 * (query signing), plus the hashing and URI encoding the requests need.
 *
 * Requests themselves are signed by libcurl (CURLOPT_AWS_SIGV4); a presigned
 * URL is something curl cannot make. The steps follow AWS's "Authenticating
 * Requests: Using Query Parameters": canonical request (method, URI, sorted
 * query, host header, "host", UNSIGNED-PAYLOAD), string to sign, the signing
 * key derived from the secret through date, region, "s3", "aws4_request".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "blob/blob_s3_int.h"
#include "base/xalloc.h"

#define SIGN_TEXT_MAX (64 * 1024) /* canonical request, URL: bounded by the inputs below */
#define PRESIGN_VALUE_MAX 1024    /* Content-Type / Content-Disposition asked for */

void s3_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void s3_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
	static const char HEX[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash)) {
			buf_putc(out, (char)c);
		} else {
			char esc[3] = { '%', HEX[c >> 4], HEX[c & 15] };
			buf_append(out, esc, 3);
		}
	}
}

static void hmac256(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	digest_hmac_sha256(key, keylen, msg, strlen(msg), out);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request"). */
static void signing_key(const char *secret, const char *datestamp, const char *region,
			unsigned char out[32])
{
	size_t sl = strlen(secret);
	char *k = xmalloc(sl + 5);
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, sl + 1);
	unsigned char a[32], b[32];
	hmac256(k, sl + 4, datestamp, a);
	hmac256(a, 32, region, b);
	hmac256(b, 32, "s3", a);
	hmac256(a, 32, "aws4_request", out);
	explicit_bzero(k, sl + 4);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	free(k);
}

struct qparam {
	char *name;  /* encoded */
	char *value; /* encoded */
};

static int qparam_cmp(const void *x, const void *y)
{
	const struct qparam *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->value, b->value);
}

static void qparam_set(struct arena *a, struct qparam *p, const char *name, const char *value)
{
	struct buf t = BUF_INIT(SIGN_TEXT_MAX);
	s3_uri_encode(&t, name, strlen(name), false);
	p->name = arena_strdup(a, buf_cstr(&t));
	buf_reset(&t);
	s3_uri_encode(&t, value, strlen(value), false);
	p->value = arena_strdup(a, buf_cstr(&t));
	buf_release(&t);
}

/* The canonical URI ("/bucket/key" or "/key") and the Host header of key's URL. */
static void object_target(const struct s3 *s, struct buf *uri, struct buf *host, const char *key)
{
	buf_putc(uri, '/');
	if (s->path_style) {
		s3_uri_encode(uri, s->bucket, strlen(s->bucket), false);
		buf_putc(uri, '/');
	} else {
		buf_printf(host, "%s.", s->bucket);
	}
	buf_puts(host, s->hostport);
	s3_uri_encode(uri, key, strlen(key), true);
}

/* The sorted, encoded query of a presigned GET, without the signature. */
static void presign_query(const struct s3 *s, struct arena *a, struct buf *q,
			  const char *amz_date, int ttl_s, const char *content_type,
			  const char *disposition)
{
	struct qparam p[7];
	size_t n = 0;
	char *cred = arena_printf(a, "%s/%.8s/%s/s3/aws4_request", s->access_key, amz_date,
				  s->region);
	char ttl[16];
	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	qparam_set(a, &p[n++], "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
	qparam_set(a, &p[n++], "X-Amz-Credential", cred);
	qparam_set(a, &p[n++], "X-Amz-Date", amz_date);
	qparam_set(a, &p[n++], "X-Amz-Expires", ttl);
	qparam_set(a, &p[n++], "X-Amz-SignedHeaders", "host");
	if (content_type)
		qparam_set(a, &p[n++], "response-content-type", content_type);
	if (disposition)
		qparam_set(a, &p[n++], "response-content-disposition", disposition);
	qsort(p, n, sizeof(p[0]), qparam_cmp);
	for (size_t i = 0; i < n; i++)
		buf_printf(q, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value);
}

static bool header_value_ok(const char *v)
{
	if (!v)
		return true;
	size_t n = strnlen(v, PRESIGN_VALUE_MAX + 1);
	if (n == 0 || n > PRESIGN_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

enum mtag_err s3_presign(struct s3 *s, struct arena *a, const char *key, int ttl_s,
			 const char *content_type, const char *disposition, time_t now,
			 const char **url, char *err, size_t errlen)
{
	if (ttl_s < 1 || ttl_s > S3_PRESIGN_MAX_TTL)
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "presigned URL lifetime must be 1 to %d seconds", S3_PRESIGN_MAX_TTL);
	if (!header_value_ok(content_type) || !header_value_ok(disposition))
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "content type and disposition must be 1 to %d printable bytes",
				 PRESIGN_VALUE_MAX);
	char amz_date[17], hash[65], sig[65];
	unsigned char key_bin[32], mac[32];
	struct buf uri = BUF_INIT(SIGN_TEXT_MAX), host = BUF_INIT(SIGN_TEXT_MAX);
	struct buf q = BUF_INIT(SIGN_TEXT_MAX), t = BUF_INIT(SIGN_TEXT_MAX);

	s3_amz_date(now, amz_date);
	object_target(s, &uri, &host, key);
	presign_query(s, a, &q, amz_date, ttl_s, content_type, disposition);

	buf_printf(&t, "GET\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", buf_cstr(&uri),
		   buf_cstr(&q), buf_cstr(&host));
	digest_sha256_hex(t.ptr, t.len, hash);
	buf_reset(&t);
	buf_printf(&t, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/s3/aws4_request\n%s", amz_date, amz_date,
		   s->region, hash);

	char datestamp[9];
	memcpy(datestamp, amz_date, 8);
	datestamp[8] = '\0';
	signing_key(s->secret_key, datestamp, s->region, key_bin);
	hmac256(key_bin, sizeof(key_bin), buf_cstr(&t), mac);
	explicit_bzero(key_bin, sizeof(key_bin));
	digest_hex(mac, sizeof(mac), sig);

	*url = arena_printf(a, "%s://%s%s?%s&X-Amz-Signature=%s", s->scheme, buf_cstr(&host),
			    buf_cstr(&uri), buf_cstr(&q), sig);
	buf_release(&uri);
	buf_release(&host);
	buf_release(&q);
	buf_release(&t);
	return ERR_OK;
}
