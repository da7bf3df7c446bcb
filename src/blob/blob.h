/*
 * blob.h - object storage: one interface, two drivers.
 *
 * The driver is chosen once from MTAG_STORAGE_URL: file://DIR (blob_fs.c, the
 * embedded default) or s3://BUCKET?endpoint=...&region=...&path_style=1
 * (blob_s3.c: AWS S3, MinIO and any S3-compatible store; SigV4 via libcurl).
 * Nothing outside blob/ learns which one runs.
 *
 * Keys are relative paths of safe characters ([A-Za-z0-9._-] segments joined
 * by '/'; no "..", no leading '/', no empty segment, at most 512 bytes):
 * anything else is ERR_VALIDATION before any I/O. Objects move between files
 * and the store without being held in memory whole.
 *
 * Errors: ERR_NOT_FOUND for a missing key, ERR_UNAVAILABLE when the store
 * cannot be reached or answers 5xx after retries, or its bucket is missing
 * (err names the endpoint and the S3 error code: "S3 http://host:9000:
 * NoSuchBucket (404)"), ERR_FORBIDDEN for refused credentials. The local
 * driver cannot hold both "a" and "a/b" (ERR_CONFLICT); S3 can.
 *
 * Ownership: the caller owns struct blob from blob_open() to blob_close().
 * Thread-safe: any thread may call any function at once.
 */
#ifndef MTAG_BLOB_H
#define MTAG_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct blob;

/* What blob_head and blob_list tell about an object. */
struct blob_info {
	const char *key;         /* arena */
	uint64_t size;
	const char *etag;        /* may be NULL */
	int64_t modified_us;     /* 0 when unknown */
};

/*
 * Open the store named by url. S3 credentials come from MTAG_S3_ACCESS_KEY /
 * MTAG_S3_SECRET_KEY, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. With
 * create_bucket (or create_bucket=1 in the URL, which wins), a missing
 * bucket is created by the first operation that reaches the store, so call
 * blob_ping at start-up. A malformed URL is ERR_VALIDATION with err naming
 * the problem; a store that cannot be reached is not an error here (no I/O).
 */
enum mtag_err blob_open(const char *url, bool create_bucket, struct blob **out, char *err,
			size_t errlen);
/* Free the store; NULL is a no-op. */
void blob_close(struct blob *b);
/* "local" or "s3", for logs and /health. */
const char *blob_driver_name(const struct blob *b);
/* Check that the store answers; ERR_UNAVAILABLE (err says why) otherwise. */
enum mtag_err blob_ping(struct blob *b, char *err, size_t errlen);
/* True when key is acceptable (see above). */
bool blob_key_valid(const char *key);

/* Store the file at path under key (atomically: readers see the old or the new object). */
enum mtag_err blob_put_file(struct blob *b, const char *key, const char *path,
			    const char *content_type, char *err, size_t errlen);
/* Write the object into fd (a file the caller opened). */
enum mtag_err blob_get_to_fd(struct blob *b, const char *key, int fd, char *err, size_t errlen);
/* Size and etag of an object. OUT: *out (strings in the arena). */
enum mtag_err blob_head(struct blob *b, struct arena *a, const char *key, struct blob_info *out,
			char *err, size_t errlen);
/* Delete an object; deleting a missing key is ERR_OK. */
enum mtag_err blob_delete(struct blob *b, const char *key, char *err, size_t errlen);
/* Objects whose key starts with prefix, in key order, at most max. OUT: *out (arena), *n. */
enum mtag_err blob_list(struct blob *b, struct arena *a, const char *prefix, size_t max,
			struct blob_info **out, size_t *n, char *err, size_t errlen);
/*
 * A URL from which the object can be downloaded for ttl_s seconds, with the
 * given Content-Type and Content-Disposition (attachment; filename=...) when
 * non-NULL. S3: a presigned GET URL (SigV4 query signing). Local: NULL —
 * the caller serves local objects through its own signed links.
 * OUT: *url (arena).
 */
enum mtag_err blob_presign_get(struct blob *b, struct arena *a, const char *key, int ttl_s,
			       const char *content_type, const char *disposition,
			       const char **url, char *err, size_t errlen);
/* The path of a local object (file:// driver only; NULL for S3). OUT: *path (arena). */
enum mtag_err blob_local_path(struct blob *b, struct arena *a, const char *key, const char **path);

#endif
