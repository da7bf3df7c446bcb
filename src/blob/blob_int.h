/*
 * blob_int.h - the inside of blob/: the driver table every store exports,
 * the rules the public functions apply, and the test hooks of the S3 driver.
 * Nothing outside blob/ (and its unit test) includes this file.
 *
 * A driver embeds `struct blob` first and exports one `const struct
 * blob_ops` (SQLite's VFS, redis' ConnectionType). blob.c validates every
 * key before it reaches a driver, clears err, and turns a missing optional
 * operation (presign_get, local_path) into a NULL result.
 *
 * Ownership: blob_fs_open / blob_s3_open hand the caller a struct blob that
 * ops->close frees. Thread-safety: every operation may run on any thread
 * at once; drivers keep no per-call state in the struct.
 */
#ifndef MTAG_BLOB_INT_H
#define MTAG_BLOB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/err.h"
#include "blob/blob.h"

/* Longest key (and list prefix), in bytes. */
#define BLOB_KEY_MAX 512

/* One driver. Keys given to these are already valid (blob_key_valid). */
struct blob_ops {
	const char *name; /* "local" or "s3" */
	/* Free the driver's struct (never NULL here). */
	void (*close)(struct blob *b);
	enum mtag_err (*ping)(struct blob *b, char *err, size_t errlen);
	enum mtag_err (*put_file)(struct blob *b, const char *key, const char *path,
				  const char *content_type, char *err, size_t errlen);
	enum mtag_err (*get_to_fd)(struct blob *b, const char *key, int fd, char *err,
				   size_t errlen);
	enum mtag_err (*head)(struct blob *b, struct arena *a, const char *key,
			      struct blob_info *out, char *err, size_t errlen);
	enum mtag_err (*del)(struct blob *b, const char *key, char *err, size_t errlen);
	/* prefix is valid (blob_prefix_valid); max > 0. */
	enum mtag_err (*list)(struct blob *b, struct arena *a, const char *prefix, size_t max,
			      struct blob_info **out, size_t *n, char *err, size_t errlen);
	/* NULL: the driver has no presigned URLs (the result is NULL, ERR_OK). */
	enum mtag_err (*presign_get)(struct blob *b, struct arena *a, const char *key, int ttl_s,
				     const char *content_type, const char *disposition,
				     const char **url, char *err, size_t errlen);
	/* NULL: objects have no local path (the result is NULL). */
	enum mtag_err (*local_path)(struct blob *b, struct arena *a, const char *key,
				    const char **path);
};

/* The head of every driver's struct. */
struct blob {
	const struct blob_ops *ops;
};

extern const struct blob_ops blob_fs_ops;
extern const struct blob_ops blob_s3_ops;

/* ---- blob.c ---- */

/* True when prefix may be listed: "" or a key prefix (a trailing '/' and a partial last segment allowed). */
bool blob_prefix_valid(const char *prefix);
/* True when name is one valid key segment (what a directory entry must be to count as an object). */
bool blob_segment_valid(const char *name, size_t len);
/* printf into err (errlen may be 0); returns e, so `return blob_errf(e, ...)` reads well. */
enum mtag_err blob_errf(enum mtag_err e, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- drivers ---- */

/* The file:// driver over directory dir (created, mode 0700, when missing). OUT: *out. */
enum mtag_err blob_fs_open(const char *dir, struct blob **out, char *err, size_t errlen);
/*
 * The s3:// driver; spec is the URL after "s3://" ("BUCKET?endpoint=...").
 * No network I/O here: a wanted bucket is created by the first operation.
 * OUT: *out.
 */
enum mtag_err blob_s3_open(const char *spec, bool create_bucket, struct blob **out, char *err,
			   size_t errlen);

/* ---- S3 test hooks ---- */

/*
 * blob_presign_get with the signing time pinned to now (Unix seconds), so a
 * test can check the result against AWS's published examples. ERR_VALIDATION
 * when b is not an S3 store.
 */
enum mtag_err blob_s3_presign_at(struct blob *b, struct arena *a, const char *key, int ttl_s,
				 const char *content_type, const char *disposition, time_t now,
				 const char **url, char *err, size_t errlen);
/*
 * Tune an S3 store (0 keeps a value): keys per ListObjectsV2 page (1..1000,
 * default 1000), the size from which uploads are multipart (default 16 MiB)
 * and the part size (default 8 MiB; S3 wants at least 5 MiB but the last).
 * No-op on other stores. Call before the store is shared between threads.
 */
void blob_s3_tune(struct blob *b, size_t list_page, uint64_t multipart_threshold,
		  uint64_t part_size);

#endif
