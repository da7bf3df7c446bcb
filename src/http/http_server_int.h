/*
 * http_server_int.h - private to http_server.c and http_send.c: the server,
 * a connection's and a request's state, and the sending of a response.
 * The server's threads and ownership: http_server.c's header comment.
 */
#ifndef MTAG_HTTP_SERVER_INT_H
#define MTAG_HTTP_SERVER_INT_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/netaddr.h"
#include "http/http.h"
#include "http_int.h"

/* Per connection, from accept to close (MHD's socket context). */
struct conn_state {
	char client[NETADDR_CLIENT_LEN]; /* counted in the server's clients ("": not counted) */
	bool fresh;            /* no request seen yet */
	struct http_ctx *open; /* on_uri's request until on_completed: MHD does not call
				  on_completed for a request it refused while reading its
				  request line */
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_config cfg; /* a copy; the pointers in it are borrowed */
	int port;                      /* the port actually bound */
	atomic_int inflight;           /* requests between on_uri and on_completed */
	atomic_int fresh;              /* connections accepted that have not sent a request yet */
	atomic_bool stopping;          /* set by http_server_stop: answer with Connection: close */
	atomic_bool abandon;           /* the stop's grace is over: offloaded jobs not begun get 503 */
	struct workq *offload;         /* runs the handlers of offload routes */
	struct http_streams *streams;  /* the open event streams and their thread */
	struct http_upload_limits upload; /* for multipart routes, defaults resolved */
	uint64_t upload_cap;           /* http_upload_cap(&upload) */
	char *upload_dir;              /* owned: upload.dir */
	struct http_site_state *site;  /* the web application, or NULL */
	struct http_clients *clients;  /* open connections per client (NULL: not limited) */
};

/* Where an offloaded request is. */
enum { OFFLOAD_NONE, OFFLOAD_RUNNING, OFFLOAD_DONE };

/* The state of one request, from its request line to the end of its response. */
struct http_ctx {
	struct http_server *srv;
	struct arena arena;
	struct http_request req;
	struct http_response res;
	int64_t start_us;        /* monotonic, when the request line arrived */
	char rid[HTTP_RID_MAX + 1];
	bool started;            /* the first (headers-only) call is done */
	const char *query_cut;   /* why the query was cut (answered 414), or NULL */
	bool queued;             /* a response is queued: ignore the rest of the body */
	bool close;              /* the response goes out before the body was read */
	bool refused;            /* res holds an error (body past a cap, bad upload): the rest
				    of the body is dropped and the handler never runs */
	bool guarded;            /* the guard has run and let the request through */
	bool site;               /* the web application answered (res is filled): no handler */
	size_t dropped;          /* body bytes read and dropped after the refusal */
	uint64_t read;           /* body bytes read in all */
	struct http_multipart *mp; /* multipart routes: the body's reader (arena) */
	int status;              /* what was queued, for the access log */
	size_t bytes;
	size_t file_size;        /* of a streamed file response */
	atomic_int offload;      /* OFFLOAD_*: the handler runs on the offload pool */
	struct MHD_Connection *conn; /* for resuming after an offloaded handler */
	bool streaming;          /* an event stream was queued: no longer counted in flight */
	bool client_gone;        /* the stream's client left while it slept (access log) */
};

/* Queue ctx->res (a 500 instead when it has no valid status). MHD_NO when MHD refuses it. */
enum MHD_Result http_send_response(struct http_ctx *ctx, struct MHD_Connection *conn);
/* Answer with ctx->res before the body was read. */
enum MHD_Result http_send_early(struct http_ctx *ctx, struct MHD_Connection *conn);
/* Answer with error e before the body was read. */
enum MHD_Result http_send_early_error(struct http_ctx *ctx, struct MHD_Connection *conn,
				      enum mtag_err e, const char *detail);

#endif
