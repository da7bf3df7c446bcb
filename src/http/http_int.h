/*
 * http_int.h - private to src/http: what http_server.c uses of
 * http_request.c, http_multipart.c and http_stream.c. No other module
 * includes it.
 *
 * A multipart reader lives in its request's arena and is used by one thread
 * at a time (the event loop that reads the body).
 *
 * The stream set (struct http_streams) is owned by the server: created at
 * start, shut down and freed by http_server_stop. Its functions are
 * thread-safe; each struct http_stream is owned by the set from
 * http_streams_open until the set frees it.
 */
#ifndef MTAG_HTTP_INT_H
#define MTAG_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/netaddr.h"
#include "http/http.h"

struct MHD_Connection;
struct MHD_Response;
struct http_multipart;
struct http_streams;

/* Longest request id (X-Request-Id) taken from a client. */
#define HTTP_RID_MAX 64

/* ---- open connections per client (http_clients.c) ---- */

struct sockaddr;
struct http_clients;
/* A table of up to max_clients clients, each allowed limit open connections. */
struct http_clients *http_clients_new(int limit, size_t max_clients);
void http_clients_free(struct http_clients *c);
/* The client an address is (netaddr_client: an IPv6 address's /64). OUT: out. */
void http_client_key(const struct sockaddr *sa, char out[NETADDR_CLIENT_LEN]);
/* Count one more connection of key; false (nothing counted) when it has limit open. */
bool http_clients_take(struct http_clients *c, const char *key);
/* Count one connection of key less. */
void http_clients_give(struct http_clients *c, const char *key);
/* The connections key has open. */
int http_clients_open(struct http_clients *c, const char *key);
/*
 * Count bytes more (or, negative, fewer) of key's uploads being received;
 * false (nothing counted) when that would pass max. A key with no open
 * connection is not counted.
 */
bool http_clients_upload(struct http_clients *c, const char *key, int64_t bytes, uint64_t max);

/* ---- the connection, before the request is routed (http_request.c) ---- */

/* The peer's address as numeric text ("127.0.0.1", "::1"; "-" if unknown), in the arena. */
const char *http_peer_address(struct arena *a, struct MHD_Connection *conn);
/* The client's X-Request-Id when it is 1-64 of [A-Za-z0-9._-], else 32 random hex digits. */
void http_request_id(struct MHD_Connection *conn, char out[HTTP_RID_MAX + 1]);
/* True when the request announces (Content-Length) a body larger than max. */
bool http_announced_over(struct MHD_Connection *conn, uint64_t max);
/*
 * The name of the first query argument whose name or value holds a NUL
 * (%00, which the handlers' C strings would silently cut), or NULL.
 */
const char *http_query_nul(struct arena *a, struct MHD_Connection *conn);

/* ---- a finished request's access line and metrics (http_observe.c) ---- */

/* What a request came to, when it is over. */
struct http_outcome {
	const struct http_request *req;
	const char *rid;   /* its request id, "" when none was set */
	int status;        /* what was sent; 0 when MHD answered itself or nothing was */
	size_t bytes;      /* of the body sent */
	int64_t start_us;  /* monotonic, when its request line arrived */
	const char *end;   /* how it ended: "ok", "error", "timeout", "client_gone", ... */
};

/* Write its access-log line and count it in the request metrics (http_metrics_render). */
void http_observe(const struct http_outcome *o);

/* ---- the web application (http_site.c) ---- */

struct http_site_state;
/* Prepare site's answers (version, rendered index, gzip); ERR_VALIDATION when its index is missing. */
enum mtag_err http_site_load(const struct http_site *site, struct http_site_state **out);
void http_site_free(struct http_site_state *s);
/* True when the site answers this request (see struct http_site). */
bool http_site_answers(const struct http_site_state *s, struct http_request *req);
/* Fill res with the site's answer to req (once its body, if any, was read). */
void http_site_respond(const struct http_site_state *s, struct http_request *req,
		       struct http_response *res);

/* ---- multipart bodies (http_multipart.c) ---- */

/* A server's upload limits, defaults resolved; owned by the server. */
struct http_upload_limits {
	const char *dir;         /* where the temp files go */
	uint64_t max_file_bytes; /* per file, >= 1 */
	size_t max_files;        /* per request, >= 1 */
	struct http_clients *clients; /* counts each client's upload bytes (NULL: not counted) */
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
 * client: the connection's client in lim->clients, whose upload bytes on
 * disk may not pass a whole request's cap (NULL: not counted). A file is
 * refused (ERR_UNAVAILABLE) when the upload directory's disk would keep less
 * than 512 MB free (or 5 % of a smaller disk). OUT: *out; *detail on error.
 */
enum mtag_err http_multipart_begin(struct http_request *req, struct MHD_Connection *conn,
				   const struct http_upload_limits *lim, const char *client,
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

/* ---- event streams (http_stream.c) ---- */

/*
 * Start the streams thread, cfg's stream settings resolved (defaults for
 * values of 0). ERR_IO when it cannot (errno says why). OUT: *out.
 */
enum mtag_err http_streams_new(const struct http_server_config *cfg, struct http_streams **out);
/*
 * Take res->stream (res->stream is NULL after, whatever happens) and return
 * the MHD response that sends it, its reader registered with set. rid is
 * the request id for the poll function's log lines; the reader adds the
 * body bytes it hands to MHD to *bytes and sets *client_gone when it ends
 * the stream because the client left (both the caller's, valid until the
 * request completes; written on the connection's thread). NULL when
 * refused - max streams open, shutting down, out of memory in MHD - with
 * the stream dropped (its free_ctx run now, or soon on the streams thread);
 * OUT: *detail says why.
 */
struct MHD_Response *http_streams_open(struct http_streams *set, struct http_response *res,
				       struct MHD_Connection *conn, const char *rid, size_t *bytes,
				       bool *client_gone, const char **detail);
/*
 * Refuse new streams, stop the streams thread (waiting for a poll function
 * that is running) and end every open stream: what is pending is sent, then
 * the end of the response, and the connection closes. Before MHD_stop_daemon:
 * no connection of a stream is left suspended.
 */
void http_streams_shutdown(struct http_streams *set);
/* Streams whose response libmicrohttpd still holds (connection not over). */
size_t http_streams_live(struct http_streams *set);
/* Free every stream (running its free_ctx) and the set; only after MHD_stop_daemon. NULL: no-op. */
void http_streams_free(struct http_streams *set);
/* Drop res->stream if it has one: its free_ctx runs now. */
void http_stream_drop(struct http_response *res);

#endif
