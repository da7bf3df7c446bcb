/*
 * blob.c - the public face of blob/: the driver chosen from the URL, key
 * rules applied before any I/O, and dispatch through struct blob_ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "blob/blob.h"
#include "blob/blob_int.h"
#include "base/xalloc.h"

enum mtag_err blob_errf(enum mtag_err e, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

static void err_clear(char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
}

static bool key_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool blob_segment_valid(const char *name, size_t len)
{
	if (len == 0 || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!key_char_ok((unsigned char)name[i]))
			return false;
	}
	return true;
}

/*
 * Walk s as '/'-separated segments. Every complete segment must be valid;
 * the last one must be valid too unless partial_last (a list prefix, where
 * "" after a final '/' and a partial name such as "." are fine).
 */
static bool path_valid(const char *s, bool partial_last)
{
	if (!s)
		return false;
	size_t n = strnlen(s, BLOB_KEY_MAX + 1);
	if (n > BLOB_KEY_MAX)
		return false;
	if (n == 0)
		return partial_last;
	const char *seg = s;
	for (;;) {
		const char *slash = memchr(seg, '/', (size_t)(s + n - seg));
		size_t len = slash ? (size_t)(slash - seg) : (size_t)(s + n - seg);
		if (!slash) {
			if (!partial_last)
				return blob_segment_valid(seg, len);
			for (size_t i = 0; i < len; i++) {
				if (!key_char_ok((unsigned char)seg[i]))
					return false;
			}
			return true;
		}
		if (!blob_segment_valid(seg, len))
			return false;
		seg = slash + 1;
	}
}

bool blob_key_valid(const char *key)
{
	return path_valid(key, false);
}

bool blob_prefix_valid(const char *prefix)
{
	return path_valid(prefix, true);
}

static enum mtag_err bad_key(char *err, size_t errlen)
{
	return blob_errf(ERR_VALIDATION, err, errlen,
			 "invalid object key: must be 1 to %d bytes of [A-Za-z0-9._-] segments "
			 "joined by '/', without '.' or '..' segments",
			 BLOB_KEY_MAX);
}

enum mtag_err blob_open(const char *url, bool create_bucket, struct blob **out, char *err,
			size_t errlen)
{
	*out = NULL;
	err_clear(err, errlen);
	if (!url || !*url)
		return blob_errf(ERR_VALIDATION, err, errlen, "storage URL is empty");
	if (strncmp(url, "file://", 7) == 0)
		return blob_fs_open(url + 7, out, err, errlen);
	if (strncmp(url, "s3://", 5) == 0)
		return blob_s3_open(url + 5, create_bucket, out, err, errlen);
	return blob_errf(ERR_VALIDATION, err, errlen,
			 "storage URL must start with file:// or s3://");
}

void blob_close(struct blob *b)
{
	if (b)
		b->ops->close(b);
}

const char *blob_driver_name(const struct blob *b)
{
	return b->ops->name;
}

enum mtag_err blob_ping(struct blob *b, char *err, size_t errlen)
{
	err_clear(err, errlen);
	return b->ops->ping(b, err, errlen);
}

enum mtag_err blob_put_file(struct blob *b, const char *key, const char *path,
			    const char *content_type, char *err, size_t errlen)
{
	err_clear(err, errlen);
	if (!blob_key_valid(key))
		return bad_key(err, errlen);
	if (!path || !*path)
		return blob_errf(ERR_VALIDATION, err, errlen, "no source file given");
	return b->ops->put_file(b, key, path, content_type, err, errlen);
}

enum mtag_err blob_get_to_fd(struct blob *b, const char *key, int fd, char *err, size_t errlen)
{
	err_clear(err, errlen);
	if (!blob_key_valid(key))
		return bad_key(err, errlen);
	if (fd < 0)
		return blob_errf(ERR_VALIDATION, err, errlen, "no output file given");
	return b->ops->get_to_fd(b, key, fd, err, errlen);
}

enum mtag_err blob_head(struct blob *b, struct arena *a, const char *key, struct blob_info *out,
			char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	err_clear(err, errlen);
	if (!blob_key_valid(key))
		return bad_key(err, errlen);
	return b->ops->head(b, a, key, out, err, errlen);
}

enum mtag_err blob_delete(struct blob *b, const char *key, char *err, size_t errlen)
{
	err_clear(err, errlen);
	if (!blob_key_valid(key))
		return bad_key(err, errlen);
	return b->ops->del(b, key, err, errlen);
}

enum mtag_err blob_list(struct blob *b, struct arena *a, const char *prefix, size_t max,
			struct blob_info **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	err_clear(err, errlen);
	if (!prefix)
		prefix = "";
	if (!blob_prefix_valid(prefix))
		return blob_errf(ERR_VALIDATION, err, errlen,
				 "invalid list prefix: must be at most %d bytes of [A-Za-z0-9._-] "
				 "segments joined by '/'",
				 BLOB_KEY_MAX);
	if (max == 0)
		return ERR_OK;
	return b->ops->list(b, a, prefix, max, out, n, err, errlen);
}

enum mtag_err blob_presign_get(struct blob *b, struct arena *a, const char *key, int ttl_s,
			       const char *content_type, const char *disposition,
			       const char **url, char *err, size_t errlen)
{
	*url = NULL;
	err_clear(err, errlen);
	if (!blob_key_valid(key))
		return bad_key(err, errlen);
	if (!b->ops->presign_get)
		return ERR_OK;
	return b->ops->presign_get(b, a, key, ttl_s, content_type, disposition, url, err,
				   errlen);
}

enum mtag_err blob_local_path(struct blob *b, struct arena *a, const char *key, const char **path)
{
	*path = NULL;
	if (!blob_key_valid(key))
		return ERR_VALIDATION;
	if (!b->ops->local_path)
		return ERR_OK;
	return b->ops->local_path(b, a, key, path);
}
