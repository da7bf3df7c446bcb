/*
 * http_int.h - private to src/http: what http_server.c uses of
 * http_multipart.c. No other module includes it.
 *
 * A multipart reader lives in its request's arena and is used by one thread
 * at a time (the event loop that reads the body).
 */
#ifndef MTAG_HTTP_INT_H
#define MTAG_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "http/http.h"

struct MHD_Connection;
struct http_multipart;

/* A server's upload limits, defaults resolved; owned by the server. */
struct http_upload_limits {
	const char *dir;         /* where the temp files go */
	uint64_t max_file_bytes; /* per file, >= 1 */
	size_t max_files;        /* per request, >= 1 */
};

/*
 * The most body bytes a multipart request may have: every file at its cap,
 * every text field at its cap, and 1 MiB for boundaries and part headers.
 */
uint64_t http_upload_cap(const struct http_upload_limits *lim);
/* "the upload is larger than ..." for a body over http_upload_cap (in the arena). */
const char *http_upload_cap_detail(struct arena *a, const struct http_upload_limits *lim);
/*
 * ERR_UNSUPPORTED_TYPE unless content_type is multipart/form-data with a
 * boundary libmicrohttpd can use; OUT: *detail says why.
 */
enum mtag_err http_multipart_check_type(const char *content_type, const char **detail);
/*
 * Start reading req's body as multipart/form-data (ERR_UNSUPPORTED_TYPE as
 * http_multipart_check_type): sets req->form (empty), creates the post
 * processor and registers the arena cleanup that deletes the temp files.
 * OUT: *out; *detail on error.
 */
enum mtag_err http_multipart_begin(struct http_request *req, struct MHD_Connection *conn,
				   const struct http_upload_limits *lim,
				   struct http_multipart **out, const char **detail);
/*
 * Parse n more body bytes, writing file parts to their temp files. On error
 * (ERR_TOO_LARGE, ERR_BAD_REQUEST, ERR_IO) every temp file of the request is
 * already deleted and the reader takes nothing more. OUT: *detail on error.
 */
enum mtag_err http_multipart_feed(struct http_multipart *mp, const char *data, size_t n,
				  const char **detail);
/*
 * The body is complete: close the last part; ERR_BAD_REQUEST when the body
 * ended before its closing boundary or had no part. Calling it again returns
 * the same result. OUT: *detail on error.
 */
enum mtag_err http_multipart_end(struct http_multipart *mp, const char **detail);
/* The request is refused for another reason: delete its temp files now. */
void http_multipart_abort(struct http_multipart *mp);

#endif
