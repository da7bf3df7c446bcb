/*
 * http.h - the HTTP server: libmicrohttpd underneath, our request/response
 * types and route table on top.
 *
 * The server owns the connections and one arena per request, freed when the
 * response has been sent. It reads the request headers, finds the route
 * (answering 404, or 405 with Allow, itself), enforces the body cap while the
 * body arrives (never holding more than the cap in memory: a Content-Length
 * over it gets 413 before any of the body is read; a chunked body passing it
 * is dropped as it arrives and answered 413 at its end, or the connection is
 * closed after 4 MiB dropped - libmicrohttpd 0.9.75 cannot answer in the
 * middle of an upload), calls the guard (authentication, declared in the
 * route table), then the handler, and finally writes the access-log line.
 * Every response carries the request id and the security headers; errors
 * always have the body {"detail": ..., "code": ...}. See src/http/README.md.
 *
 * Routes whose body is HTTP_BODY_MULTIPART take multipart/form-data instead:
 * each file part is streamed to a temp file of its own (never held in
 * memory), text fields are kept in the arena (capped), and the handler finds
 * both in req->form. The temp files belong to the request's arena and are
 * deleted when the request ends, however it ends (error, client gone, after
 * the response was sent). For these routes the guard runs as soon as the
 * headers are in, so that an unauthorised upload is refused before anything
 * is written to disk; a refused upload (a limit passed, malformed) loses its
 * temp files at once and is read and dropped up to the upload cap, so that
 * the client still gets its 413 or 400.
 *
 * A handler may answer with an event stream (Server-Sent Events,
 * http_respond_stream): the server then owns the handler's context and calls
 * its poll function on the server's one streams thread, at once and every
 * stream_poll_ms, sending what it appends; the connection sleeps in between
 * (suspended: no CPU, no event-loop time), with a keep-alive comment every
 * stream_keepalive_s. A stream ends when its poll function says so, when the
 * client leaves, or at http_server_stop, which ends streams instead of
 * waiting for them.
 *
 * Threads: handlers run on the server's thread pool (epoll, one event loop
 * per thread); one request is handled by one thread from start to end, and
 * that thread's log request id is the request's while the handler runs.
 * Stream poll functions run on the streams thread (see http_stream_fn).
 */
#ifndef MTAG_HTTP_H
#define MTAG_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 16
/* Text fields of a multipart form: at most this many, each at most this many bytes. */
#define HTTP_FORM_MAX_FIELDS 32
#define HTTP_FORM_FIELD_MAX (64 * 1024)
/* Defaults for a zero http_server_config.max_files / max_file_bytes. */
#define HTTP_UPLOAD_MAX_FILES 20
#define HTTP_UPLOAD_MAX_FILE_BYTES ((uint64_t)50 << 20)
/* Defaults for a zero http_server_config.stream_poll_ms / stream_keepalive_s / max_streams. */
#define HTTP_STREAM_POLL_MS 500
#define HTTP_STREAM_KEEPALIVE_S 15
#define HTTP_STREAM_MAX 512
/* The cap of the buffer a poll function appends to, per call. */
#define HTTP_STREAM_POLL_MAX ((size_t)1 << 20)

struct http_request;
struct http_response;
struct http_stream;

typedef void (*http_handler_fn)(struct http_request *req, struct http_response *res);

/* How a route takes its request body. */
enum http_body {
	HTTP_BODY_JSON = 0,  /* buffered whole in req->body, capped by max_body */
	HTTP_BODY_MULTIPART, /* multipart/form-data only (else 415), streamed into req->form */
	HTTP_BODY_JSON_OR_MULTIPART, /* as the Content-Type says: multipart/form-data streamed, else JSON */
};

/* One row of the route table. */
struct http_route {
	const char *method;      /* "GET", "POST", ... */
	const char *pattern;     /* "/api/history/jobs/{id}": {name} matches one non-empty segment */
	http_handler_fn handler;
	int auth;                /* opaque to http: given to the guard (api decides its meaning) */
	bool offload;            /* slow work (hashing, downloads): run guard and handler on the
				    offload pool, so the event loops keep serving other requests */
	enum http_body body;     /* HTTP_BODY_JSON, or HTTP_BODY_MULTIPART for uploads */
	bool secret_path;        /* the path holds a capability (an anonymous job's id): the
				    access log shows the pattern instead */
};

/*
 * Called after routing and body reading, before the handler; for multipart
 * routes as soon as the headers are in (Content-Type and announced size
 * checked), before any of the body is read, so it sees no body and no form.
 * Returns true to go on; false when it has filled res itself (e.g. 401).
 */
typedef bool (*http_guard_fn)(const struct http_route *route, struct http_request *req,
			      struct http_response *res);

struct http_param {
	const char *name;
	const char *value;
};

/* One uploaded file of a multipart form. Strings are in the request's arena. */
struct http_upload {
	const char *field;        /* the part's name="..." */
	const char *filename;     /* filename="..." as sent: may be "", hold '/', '..', '%22'
				     or any UTF-8; NULL when the part had none. Untrusted:
				     the handler sanitises it before any use */
	const char *content_type; /* the part's Content-Type as sent, or NULL */
	const char *path;         /* the temp file (mode 0600, closed): read it, or rename it
				     away; deleted when the request ends */
	uint64_t size;            /* bytes in the file, exactly */
};

/*
 * A multipart/form-data body, parts in the order sent. A part is a file when
 * it has a filename parameter, or a Content-Type other than text/plain;
 * every other part is a text field.
 */
struct http_form {
	struct http_param fields[HTTP_FORM_MAX_FIELDS]; /* values NUL-terminated, at most
							   HTTP_FORM_FIELD_MAX bytes */
	size_t nfields;
	struct http_upload *files; /* room for the server's max_files (arena) */
	size_t nfiles;
};

struct http_request {
	struct arena *arena;       /* everything of this request; freed after the response */
	void *app;                 /* the server's app pointer (api: the core) */
	const struct http_route *route;
	const char *method;
	const char *path;          /* as sent (still percent-encoded), without the query string */
	const char *request_id;    /* client's X-Request-Id if 1-64 [A-Za-z0-9._-], else 32 hex */
	const char *remote_addr;   /* peer address as numeric text ("127.0.0.1", "::1") */
	struct buf body;           /* the request body, at most the server's body cap
				      (empty on multipart routes) */
	struct http_form *form;    /* the parsed upload on multipart routes, else NULL */
	struct http_param params[HTTP_MAX_PARAMS]; /* values percent-decoded */
	size_t nparams;
	void *user;                /* set by the guard (api: the authenticated identity) */
	void *conn_;               /* private to the server */
};

struct http_header {
	const char *name;
	const char *value;
};

struct http_response {
	int status;
	const char *content_type;  /* NULL for no body */
	const char *body;          /* arena or static memory */
	size_t body_len;
	const char *file_path;     /* when set, the body is this file, streamed (http_respond_file) */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	struct arena *arena;
	struct http_stream *stream; /* private: set by http_respond_stream, taken by the server */
};

/* What an event stream's poll function wants next. */
enum http_stream_status {
	HTTP_STREAM_MORE = 0, /* keep the stream open: poll again at the next interval */
	HTTP_STREAM_END,      /* send what is in out, then end the response and close */
};

/*
 * An event stream's poll function: append zero or more complete events to
 * out (http_sse_event; out is empty at each call and capped at
 * HTTP_STREAM_POLL_MAX). It runs on the server's streams thread, never on
 * an event loop, so it may block (a database query) - but no other stream
 * is polled meanwhile, and http_server_stop waits for a call in progress.
 * Only that thread touches ctx once the handler has returned.
 */
typedef enum http_stream_status (*http_stream_fn)(void *ctx, struct buf *out);

/* A request header (case-insensitive name), or NULL. */
const char *http_header(struct http_request *req, const char *name);
/*
 * Every field of the request named name (case ignored), in order, joined by
 * ", " as one list (RFC 9110 5.3: a proxy may add its own X-Forwarded-For
 * field after the client's); NULL when there is none. OUT: in the arena.
 */
const char *http_header_list(struct http_request *req, const char *name);
/* A query-string argument, decoded ('+' is a space), "" for "?name" without '=', or NULL. */
const char *http_query(struct http_request *req, const char *name);
/* Every value of a repeated query argument (?tag=a&tag=b), in order, at most max. Returns the count. */
size_t http_query_all(struct http_request *req, const char *name, const char **out, size_t max);
/* A cookie sent with the request, or NULL. */
const char *http_cookie(struct http_request *req, const char *name);
/* True when content_type's media type (before any ';') is media, ignoring case and blanks. */
bool http_media_is(const char *content_type, const char *media);
/* A path parameter of the matched route ("id" for {id}), or NULL. */
const char *http_param(const struct http_request *req, const char *name);
/* The first text field of a multipart form with this name, or NULL (also when there is no form). */
const char *http_form_field(const struct http_request *req, const char *name);
/*
 * The body as JSON: ERR_UNSUPPORTED_TYPE unless the Content-Type's media type
 * is application/json (parameters such as charset allowed, any case),
 * ERR_BAD_REQUEST when empty or malformed, ERR_VALIDATION when it is not an
 * object; on error *detail says why. OUT: *out, owned by the arena.
 */
enum mtag_err http_json_body(struct http_request *req, json_t **out, const char **detail);

/*
 * Add a response header (copied into the arena); ignored past HTTP_MAX_HEADERS
 * or when name or value holds CR/LF. The server adds X-Request-Id and the
 * security headers itself; a Content-Security-Policy or Cache-Control set
 * here replaces the server's default.
 */
void http_set_header(struct http_response *res, const char *name, const char *value);
/* Respond with the file at path, streamed from disk (404 if it cannot be opened then). */
void http_respond_file(struct http_response *res, int status, const char *content_type,
		       const char *path);
/* Respond with v as JSON (v is borrowed). */
void http_respond_json(struct http_response *res, int status, const json_t *v);
/* Respond with bytes of the given type (data must outlive the request: arena or static). */
void http_respond_bytes(struct http_response *res, int status, const char *content_type,
			const char *data, size_t len);
/*
 * Respond with an event stream: 200, text/event-stream, Cache-Control:
 * no-store, X-Accel-Buffering: no, the security headers, Connection: close.
 * The server calls poll(ctx, out) on its streams thread at once, then every
 * stream_poll_ms, and sends what it appends; after stream_keepalive_s
 * without a byte sent it sends the comment ": keep-alive\n\n". From this
 * call on the stream owns ctx: free_ctx(ctx) (may be NULL) runs exactly
 * once, when the stream is over - poll returned HTTP_STREAM_END and the
 * bytes went out, the client left, the server stops - or when the stream
 * never starts: refused with 503 (max_streams open, or the server
 * stopping) or replaced by another http_respond_* call.
 */
void http_respond_stream(struct http_response *res, http_stream_fn poll, void *ctx,
			 void (*free_ctx)(void *ctx));
/*
 * Append one Server-Sent Event to out: "id: <id>\n" (id NULL: none),
 * "event: <event>\n" (NULL or "": none, the client's "message"), then one
 * "data: " line per line of data (split at LF, CRLF or CR; NULL is ""), then
 * a blank line. ERR_VALIDATION when id or event holds CR or LF, ERR_TOO_LARGE
 * past out's cap; out is unchanged on error.
 */
enum mtag_err http_sse_event(struct buf *out, const char *id, const char *event, const char *data);
/*
 * Respond with the error body {"detail": detail, "code": err_name(e)} and
 * err_http_status(e); NULL detail uses err_detail(e). ERR_VALIDATION with a
 * detail "<field>: ..." also gets "field": "<field>". Errors answered with 500
 * (ERR_INTERNAL, ERR_IO) log detail and send err_detail(e) instead.
 */
void http_respond_error(struct http_response *res, enum mtag_err e, const char *detail);
/* http_respond_error with a printf-formatted detail. */
void http_respond_errorf(struct http_response *res, enum mtag_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Match req->method and req->path against the table (the first matching
 * row wins). Each path segment is percent-decoded before it is compared; a
 * bad %-escape, or a parameter that is empty or decodes to '/' or NUL,
 * matches nothing. OUT: *route and the path parameters in req.
 * ERR_NOT_FOUND when no pattern matches the path; ERR_METHOD_NOT_ALLOWED
 * when some do but not for this method, with allow (arena) listing their
 * methods, e.g. "GET, DELETE".
 */
enum mtag_err http_route_match(const struct http_route *routes, size_t nroutes,
			       struct http_request *req, const struct http_route **route,
			       const char **allow);

struct http_server_config {
	const char *host;            /* address to bind (IPv4 or IPv6 literal, or a name); NULL: any */
	int port;                    /* 0 lets the kernel choose */
	int threads;                 /* event-loop threads (1 or less: one thread) */
	int offload_threads;         /* threads for routes with offload (0: as many as threads) */
	size_t max_body;             /* request body cap in bytes (JSON routes) */
	const char *upload_dir;      /* temp files of multipart uploads (NULL: $TMPDIR, else /tmp);
					copied at start */
	uint64_t max_file_bytes;     /* per uploaded file (0: HTTP_UPLOAD_MAX_FILE_BYTES) */
	int max_files;               /* files per multipart request (0 or less: HTTP_UPLOAD_MAX_FILES) */
	const struct http_route *routes; /* borrowed, like app: must outlive the server */
	size_t nroutes;
	http_guard_fn guard;         /* may be NULL */
	void *app;                   /* given to handlers as req->app */
	int stream_poll_ms;          /* event streams: poll interval (0 or less: HTTP_STREAM_POLL_MS) */
	int stream_keepalive_s;      /* keep-alive comment after this long idle (0 or less:
					HTTP_STREAM_KEEPALIVE_S) */
	int max_streams;             /* open event streams; past it 503 (0 or less: HTTP_STREAM_MAX) */
	const struct http_site *site; /* the web application (borrowed), or NULL for none */
	bool hsts;                   /* served over https (behind a proxy): Strict-Transport-Security */
	int per_ip_limit;            /* open connections from one client, an IPv4 address or an
					IPv6 /64 (0: no limit, as behind a proxy every
					connection comes from the proxy) */
};

/*
 * A web application of embedded files (http_site.c), answered for GET and
 * HEAD requests no route matches, never for paths under /api/:
 *   /assets/<version>/<name>  a file (cached for a year: the version, a hash
 *                             of all the files, changes with any of them)
 *   a path of pages           index, with "{{assets}}" replaced by
 *                             "/assets/<version>" (revalidated by ETag)
 *   any other path            index with status 404, when the client accepts
 *                             text/html (a browser): the app shows its own
 *                             not-found page; otherwise the JSON 404.
 * Text files are sent gzipped to clients that accept it.
 */
struct embed_file;
struct http_site {
	const struct embed_file *files; /* NULL-terminated (base/embed.h) */
	const char *index;              /* the name of the page file in files */
	const char *const *pages;       /* the app's paths ("/", "/dashboard"), NULL-terminated */
};

struct http_server;

/*
 * Append the request metrics of every server of this process (Prometheus
 * text): http_requests_total{method,route,code} and the histogram
 * http_request_duration_seconds{method,route}, recorded when a request ends.
 * ERR_TOO_LARGE past out's cap.
 */
enum mtag_err http_metrics_render(struct buf *out);

/*
 * Bind (the first address host resolves to that works) and start serving.
 * On failure err says why (e.g. address in use): ERR_VALIDATION for a bad
 * port or host, or an upload directory that cannot be written when a route
 * takes multipart; ERR_IO when it cannot listen.
 */
enum mtag_err http_server_start(const struct http_server_config *cfg, struct http_server **out,
				char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *srv);
/*
 * Stop accepting, let in-flight requests finish for up to timeout_ms (idle
 * keep-alive connections and event streams do not count), then close
 * everything and free the server. Event streams are ended at once (their
 * pending bytes and the end of the response are sent, for at most 250 ms)
 * and every stream's free_ctx has run when this returns. A handler or poll
 * function still running is waited for, since libmicrohttpd joins its
 * threads. NULL is a no-op.
 */
void http_server_stop(struct http_server *srv, int timeout_ms);

#endif
