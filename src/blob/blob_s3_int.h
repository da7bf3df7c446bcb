/*
 * blob_s3_int.h - the inside of the S3 driver, shared by its four files:
 *
 *   blob_s3.c       the URL, the operations (put with multipart, get, head,
 *                   delete, list, ping, presign), the bucket made on first use
 *   blob_s3_http.c  one request through libcurl: signing (CURLOPT_AWS_SIGV4 +
 *                   x-amz-content-sha256), bodies streamed from and to files,
 *                   retries with backoff, S3 errors turned into ours
 *   blob_s3_sign.c  SigV4 by hand: hashes, URI encoding, presigned URLs
 *   blob_s3_xml.c   the XML answers of S3, read with expat
 *
 * Ownership: struct s3 owns its strings and its idle curl handles; a struct
 * s3_req belongs to the one call that performs it. Thread-safety: struct s3
 * is read-only after blob_s3_open (and blob_s3_tune) except for bucket_ready
 * (atomic) and the idle handles (under mu).
 */
#ifndef MTAG_BLOB_S3_INT_H
#define MTAG_BLOB_S3_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "blob/blob_int.h"

#define S3_IDLE_MAX 8                        /* curl handles kept for their connections */
#define S3_TRIES 3                           /* attempts of a retryable request */
#define S3_BACKOFF_MS 100                    /* first pause; doubled each retry, plus jitter */
#define S3_CONNECT_TIMEOUT_MS 5000L
#define S3_SMALL_TIMEOUT_S 30L               /* requests without a large body */
#define S3_QUICK_TIMEOUT_S 5L                /* blob_ping */
#define S3_LOW_SPEED_BYTES 1024L             /* a transfer slower than this ... */
#define S3_LOW_SPEED_TIME_S 30L              /* ... for this long is a timeout */
#define S3_MULTIPART_THRESHOLD (16ULL << 20) /* objects this large go up in parts */
#define S3_PART_SIZE (8ULL << 20)
#define S3_MAX_PARTS 10000
#define S3_XML_MAX (8u << 20)                /* cap on an XML answer */
#define S3_PRESIGN_MAX_TTL (7 * 24 * 3600)   /* SigV4's limit */
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
	struct blob base;
	char *endpoint;   /* "http://127.0.0.1:4568": what errors name */
	char *scheme;     /* "http" or "https" */
	char *hostport;   /* endpoint host[:port], the default port dropped */
	char *bucket;
	char *region;
	char *access_key;
	char *secret_key; /* never logged, never in an error; wiped at close */
	char *sigv4;      /* "aws:amz:REGION:s3" for CURLOPT_AWS_SIGV4 */
	bool path_style;  /* endpoint/bucket/key, else bucket.endpoint/key */
	bool create_bucket;
	size_t list_page;
	uint64_t multipart_threshold;
	uint64_t part_size;
	atomic_bool bucket_ready; /* created (or not wanted) */
	pthread_mutex_t mu;       /* guards idle[] and n_idle */
	void *idle[S3_IDLE_MAX];  /* CURL * */
	size_t n_idle;
};

/* One S3 request. Zero it, fill the inputs, s3_perform(). */
struct s3_req {
	const char *method;       /* "GET", "HEAD", "PUT", "POST", "DELETE" */
	const char *op;           /* for logs: "put", "list", ... */
	const char *key;          /* NULL: the bucket itself */
	const char *query;        /* canonical query string (sorted, SigV4-encoded) or NULL */
	const char *content_type; /* NULL: none sent */
	/* A body: from memory (signed with its SHA-256) ... */
	const char *body;
	size_t body_len;
	/* ... or body_fd >= 0: bytes [off, off+len) of a file, sent as UNSIGNED-PAYLOAD. */
	int body_fd;
	uint64_t body_off, body_fd_len;
	int out_fd;               /* >= 0: a 2xx body is written here (GET) */
	struct buf *resp;         /* non-NULL: a 2xx body is kept here (capped) */
	bool idempotent;          /* may be sent again after a transport error or 5xx */
	bool large;               /* no total timeout, only the low-speed limit */
	bool quick;               /* a health check: S3_QUICK_TIMEOUT_S, one attempt */
	/* OUT */
	long status;
	char etag[130];           /* the ETag header, quotes kept */
	uint64_t content_length;
	int64_t modified_us;      /* from Last-Modified, 0 when absent */
	char code[64];            /* S3 error code of a failed request ("NoSuchKey") */
};

/* ---- blob_s3_http.c ---- */

/* Set up the process-wide libcurl state once. */
void s3_global_init(void);
/* Send r (with retries); ERR_OK for a 2xx answer, else err says why. */
enum mtag_err s3_perform(struct s3 *s, struct s3_req *r, char *err, size_t errlen);
/* The URL of key (or of the bucket when key is NULL), query appended when non-NULL. OUT: buf. */
void s3_url(const struct s3 *s, struct buf *out, const char *key, const char *query);
/* Free the idle handles. */
void s3_http_release(struct s3 *s);

/* ---- blob_s3_sign.c ---- */

/* SigV4 URI encoding of n bytes of s into out: unreserved kept, the rest %XX; '/' kept when keep_slash. */
void s3_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash);
/* "20130524T000000Z" for t. OUT: out (17 bytes). */
void s3_amz_date(time_t t, char out[17]);
/* The presigned GET URL of key, signed at now. OUT: *url (arena). */
enum mtag_err s3_presign(struct s3 *s, struct arena *a, const char *key, int ttl_s,
			 const char *content_type, const char *disposition, time_t now,
			 const char **url, char *err, size_t errlen);

/* ---- blob_s3_xml.c ---- */

/* The Code of an <Error> answer. OUT: code (cap bytes); false when body is no S3 error. */
bool s3_xml_error_code(const char *body, size_t len, char *code, size_t cap);
/* The UploadId of an InitiateMultipartUploadResult (arena), or NULL. */
const char *s3_xml_upload_id(struct arena *a, const char *body, size_t len);

/* One page of a ListObjectsV2 answer. */
struct s3_list_page {
	struct blob_info *items; /* xmalloc'd; keys in the arena */
	size_t n, cap;
	bool truncated;
	const char *next_token;  /* arena, or NULL */
};

/* Append the objects of one ListObjectsV2 answer to page. False when it is not one. */
bool s3_xml_list(struct arena *a, const char *body, size_t len, struct s3_list_page *page);

#endif
