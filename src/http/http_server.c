/*
 * http_server.c - the libmicrohttpd daemon and the life of one request.
 *
 * Lifecycle of a request (see README.md): MHD calls on_uri() when the request
 * line arrives; it creates the per-request state (struct http_ctx: arena,
 * request, response) and counts the request as in flight. The first call of
 * on_request() (headers only) sets the request id, routes (404/405 at once)
 * and checks Content-Length against the body cap (413 at once, the body
 * unread). Later calls hand over body bytes, kept in req->body up to the cap;
 * a chunked body that passes it is freed and the rest dropped as it arrives
 * (MHD 0.9.75 refuses a response mid-upload), up to DISCARD_MAX. The last
 * call runs the guard and the handler (or takes the 413) and queues the
 * response (http_send.c). on_completed() writes the access-log line, frees
 * the state and ends the in-flight count.
 *
 * Multipart routes (http_multipart.c) differ: the first call also checks the
 * Content-Type (415) and runs the guard; the body is parsed as it arrives,
 * files going to temp files; a refused upload (a limit passed, malformed) is
 * dropped as it arrives, up to the upload cap plus DISCARD_MAX in all, and
 * answered at its end. The temp files go with the arena in on_completed().
 *
 * Event streams (http_stream.c): a handler that answered with
 * http_respond_stream gets a chunked response fed by the server's streams
 * thread; once it is queued it no longer counts as in flight, and
 * http_server_stop ends it instead of waiting for it.
 *
 * Ownership: struct http_server owns the daemon and the stream set; it
 * borrows cfg->routes, cfg->app and cfg->host, which must outlive it. Each http_ctx is owned by
 * MHD's connection (its *con_cls) from on_uri() to on_completed().
 *
 * Threads: MHD runs cfg->threads event loops (poll); one request is handled
 * by one of them from start to end, and each callback sets the log's request
 * id for its own thread only while it runs. http_server_stop() runs on the
 * caller's thread and only reads the atomic in-flight counter.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/workq.h"
#include "http/http.h"
#include "http_int.h"
#include "http_server_int.h"
#include "base/xalloc.h"

#define CONNECTION_TIMEOUT_S 30u
#define CONNECTION_LIMIT 1024u
/*
 * Each connection's memory pool: the request line and headers, the read
 * buffer and the response headers. MHD's default is 32 KB; 16 KB still takes
 * 8 KB of request headers (nginx's default buffers take 8 KB too) and halves
 * what 64 open connections keep resident (bench/RESULTS.md). Past it, MHD
 * answers 431 itself.
 */
#define CONNECTION_MEMORY 16384u
/*
 * MHD keeps each query argument in that pool too (~64 bytes each, beside the
 * request line): a few hundred short ones (2 KB of address), or 64 of 200
 * bytes, fill it while it reads the request line, and MHD 0.9.75 then neither
 * answers (the client waits for the timeout) nor calls on_completed. A query
 * of more arguments than QUERY_ARGS_MAX, or whose address and arguments
 * would take more than QUERY_POOL_MAX, is cut before MHD parses it (it finds
 * the '?' before calling on_uri and parses what follows after: 0.9.7x; the
 * tests of many arguments would hang again with a version that differs) and
 * answered 414. 12 KiB leaves a 10 KiB search query with its filters and a
 * few KB of headers their room.
 */
#define QUERY_ARGS_MAX 64
#define QUERY_ARG_BYTES 64
#define QUERY_POOL_MAX (12 * 1024)
/*
 * A chunked body past the cap is read and dropped until it ends (MHD 0.9.75
 * cannot answer in the middle of an upload); past this many dropped bytes
 * the connection is closed without an answer. A refused multipart upload is
 * read up to the upload cap plus this much in all (see README.md).
 */
#define DISCARD_MAX ((size_t)4 << 20)
/*
 * At stop, a connection accepted just before it gets this long to deliver its
 * first request (which is then finished); an idle keep-alive connection that
 * has already been served does not hold the stop at all.
 */
#define FRESH_GRACE_US (1000 * 1000)
/* Offloaded requests waiting for a thread; past this, 503 at once. */
#define OFFLOAD_QUEUE_MAX 4096
/* Offload threads yield the CPU to the event loops (nice +5). */
#define OFFLOAD_NICE 5
/* At stop, ended event streams get this long to send their last bytes. */
#define STREAM_DRAIN_US (250 * 1000)

/* The last message MHD logged on this thread (start-up errors such as "address in use"). */
static _Thread_local char mhd_last_error[256];

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[sizeof(mhd_last_error)];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	memcpy(mhd_last_error, msg, n + 1);
	char q[sizeof(msg) + 8];
	log_warn("http.mhd", "msg=%s", log_quote(q, sizeof(q), msg));
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK: return "ok";
	case MHD_REQUEST_TERMINATED_WITH_ERROR: return "error";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR: return "read_error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client_abort";
	}
	return "unknown";
}

static void ctx_free(struct http_ctx *ctx)
{
	if (!ctx)
		return;
	buf_release(&ctx->req.body);
	arena_release(&ctx->arena);
	free(ctx);
}

/* The query's arguments, as MHD splits them (at '&'). */
static size_t query_args(const char *q)
{
	size_t n = 1;
	for (; *q; q++)
		n += *q == '&';
	return n;
}

/*
 * MHD_OPTION_URI_LOG_CALLBACK: the request line has arrived (uri is raw, with
 * the query, in MHD's buffer; MHD parses the query after this returns).
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct http_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->srv = srv;
	ctx->start_us = clock_mono_us();
	arena_init(&ctx->arena);
	ctx->req.arena = &ctx->arena;
	ctx->res.arena = &ctx->arena;
	ctx->req.app = srv->cfg.app;
	ctx->req.conn_ = conn;
	ctx->req.remote_addr = http_peer_address(&ctx->arena, conn);
	buf_init(&ctx->req.body, srv->cfg.max_body);
	ctx->req.path = arena_strndup(&ctx->arena, uri, strcspn(uri, "?#"));
	char *q = strchr(uri, '?');
	size_t nargs = q ? query_args(q + 1) : 0;
	if (q && nargs > QUERY_ARGS_MAX)
		ctx->query_cut = arena_printf(&ctx->arena, "the query has more than %d parameters",
					      QUERY_ARGS_MAX);
	else if (q && strlen(uri) + nargs * QUERY_ARG_BYTES > QUERY_POOL_MAX)
		ctx->query_cut = arena_printf(&ctx->arena, "the address is too long (at most %d KiB"
					      " with its parameters)", QUERY_POOL_MAX / 1024);
	if (ctx->query_cut)
		q[1] = '\0'; /* the buffer is MHD's, writable: it parses nothing now */
	atomic_fetch_add(&srv->inflight, 1);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_state *cs = ci ? ci->socket_context : NULL;
	if (cs) {
		if (cs->fresh) {
			cs->fresh = false;
			atomic_fetch_sub(&srv->fresh, 1);
		}
		cs->open = ctx;
	}
	return ctx;
}

/*
 * The request is over: its access line, its metrics, its state freed. From
 * on_completed, or from the connection's end when MHD refused the request
 * while reading its request line (on_completed never comes then).
 */
static void request_done(struct http_server *srv, struct MHD_Connection *conn,
			 struct http_ctx *ctx, enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	struct conn_state *cs = ci ? ci->socket_context : NULL;
	if (cs && cs->open == ctx)
		cs->open = NULL;
	struct http_outcome o = {
		.req = &ctx->req,
		.rid = ctx->rid,
		.status = ctx->status,
		.bytes = ctx->bytes,
		.start_us = ctx->start_us,
		.end = ctx->client_gone ? "client_gone" : termination_name(toe),
	};
	http_observe(&o);
	if (!ctx->streaming)
		atomic_fetch_sub(&srv->inflight, 1);
	ctx_free(ctx);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the response was sent (or the connection ended). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_ctx *ctx = *con_cls;
	if (!ctx)
		return;
	*con_cls = NULL;
	request_done(srv, conn, ctx, toe);
}

/*
 * MHD's accept policy: a client (an IPv4 address, an IPv6 /64) that has
 * per_ip_limit connections open gets no more. Counted here, given back when
 * the connection closes (on_connection); MHD checks its global limit before
 * this, so a connection counted is one it starts (but for an allocation
 * failing in between, which would keep one count).
 */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	char key[NETADDR_CLIENT_LEN];
	(void)addrlen;
	if (!srv->clients)
		return MHD_YES;
	http_client_key(addr, key);
	return http_clients_take(srv->clients, key) ? MHD_YES : MHD_NO;
}

/* MHD_OPTION_NOTIFY_CONNECTION: count the connections that have not sent a request yet. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_state *cs = xcalloc(1, sizeof(*cs));
		cs->fresh = true;
		if (srv->clients) { /* on_accept counted it */
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			http_client_key(ci ? ci->client_addr : NULL, cs->client);
		}
		atomic_fetch_add(&srv->fresh, 1);
		*socket_context = cs;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_state *cs = *socket_context;
		if (cs && cs->client[0])
			http_clients_give(srv->clients, cs->client);
		if (cs && cs->fresh)
			atomic_fetch_sub(&srv->fresh, 1);
		if (cs && cs->open) /* refused by MHD while it read the request line */
			request_done(srv, NULL, cs->open, MHD_REQUEST_TERMINATED_WITH_ERROR);
		free(cs);
		*socket_context = NULL;
	}
}

static const char *too_large_detail(struct http_ctx *ctx)
{
	return arena_printf(&ctx->arena, "the request body is larger than %zu bytes",
			    ctx->srv->cfg.max_body);
}

/* The guard, once per request; true to go on, false when it has filled res. */
static bool guard_passes(struct http_ctx *ctx)
{
	const struct http_server_config *cfg = &ctx->srv->cfg;
	if (ctx->guarded || !cfg->guard)
		return true;
	ctx->guarded = cfg->guard(ctx->req.route, &ctx->req, &ctx->res);
	return ctx->guarded;
}

/*
 * First call of a multipart route: Content-Type (415), announced size (413),
 * then the guard, all before any of the body is read or written to disk.
 */
static enum MHD_Result begin_multipart(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	struct http_server *srv = ctx->srv;
	const char *detail = NULL;
	enum mtag_err e = http_multipart_check_type(http_header(&ctx->req, "Content-Type"), &detail);
	if (e)
		return http_send_early_error(ctx, conn, e, detail);
	if (http_announced_over(conn, srv->upload_cap))
		return http_send_early_error(ctx, conn, ERR_TOO_LARGE,
					     http_upload_cap_detail(&ctx->arena, &srv->upload));
	if (!guard_passes(ctx))
		return http_send_early(ctx, conn);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn_state *cs = ci ? ci->socket_context : NULL;
	e = http_multipart_begin(&ctx->req, conn, &srv->upload, cs ? cs->client : NULL, &ctx->mp,
				 &detail);
	if (e)
		return http_send_early_error(ctx, conn, e, detail);
	return MHD_YES;
}

/* How many times a header came (MHD_get_connection_values' callback). */
struct header_count {
	const char *name;
	int n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_count *hc = cls;
	(void)kind;
	(void)value;
	hc->n += key && !strcasecmp(key, hc->name);
	return MHD_YES;
}

/* First call, headers only: request id, routing, announced body size. */
static enum MHD_Result begin(struct http_ctx *ctx, struct MHD_Connection *conn, const char *method)
{
	const struct http_server_config *cfg = &ctx->srv->cfg;
	struct http_request *req = &ctx->req;
	ctx->started = true;
	req->method = arena_strdup(&ctx->arena, method);
	http_request_id(conn, ctx->rid);
	req->request_id = ctx->rid;
	log_set_request_id(ctx->rid);
	if (ctx->query_cut)
		return http_send_early_error(ctx, conn, ERR_URI_TOO_LONG, ctx->query_cut);
	const char *nul = http_query_nul(&ctx->arena, conn);
	if (nul)
		return http_send_early_error(ctx, conn, ERR_BAD_REQUEST,
					     arena_printf(&ctx->arena, "query parameter %s holds a NUL byte (%%00)",
						     nul));
	/* A body is framed one way: Transfer-Encoding exactly "chunked" (all MHD reads), or
	 * Content-Length. Both at once is how a request is smuggled past a proxy that reads
	 * the other; another coding left the connection waiting. The connection is closed. */
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
	struct header_count tes = { "Transfer-Encoding", 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &tes);
	if (te && (strcasecmp(te, "chunked") != 0 || tes.n > 1))
		return http_send_early_error(ctx, conn, ERR_BAD_REQUEST, "Transfer-Encoding: only chunked is read");
	if (te && MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length"))
		return http_send_early_error(ctx, conn, ERR_BAD_REQUEST,
					     "Transfer-Encoding and Content-Length: send one of them");

	const struct http_route *route;
	const char *allow;
	enum mtag_err e = http_route_match(cfg->routes, cfg->nroutes, req, &route, &allow);
	if (e == ERR_METHOD_NOT_ALLOWED) {
		http_set_header(&ctx->res, "Allow", allow);
		return http_send_early_error(ctx, conn, e,
					     arena_printf(&ctx->arena, "%s is not allowed on %s (allowed: %s)",
						     req->method, req->path, allow));
	}
	if (e == ERR_NOT_FOUND && http_site_answers(ctx->srv->site, req)) {
		/* Answered in finish(), like a route: a body past the cap is still a 413. */
		static const struct http_route site_route = { "GET", "(site)", NULL, 0, false,
							      HTTP_BODY_JSON, false };
		req->route = route = &site_route;
		ctx->site = true;
		e = ERR_OK;
	}
	if (e)
		return http_send_early_error(ctx, conn, e,
					     arena_printf(&ctx->arena, "no route for %s %s", req->method, req->path));
	if (route->body == HTTP_BODY_MULTIPART ||
	    (route->body == HTTP_BODY_JSON_OR_MULTIPART &&
	     http_media_is(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
			   "multipart/form-data")))
		return begin_multipart(ctx, conn);
	if (http_announced_over(conn, cfg->max_body))
		return http_send_early_error(ctx, conn, ERR_TOO_LARGE, too_large_detail(ctx));
	return MHD_YES;
}

/*
 * Keep n more body bytes: in req->body (JSON), or parsed and written out
 * (multipart). An error when the body is refused; OUT: *detail.
 */
static enum mtag_err keep_body(struct http_ctx *ctx, const char *data, size_t n,
			       const char **detail)
{
	/* Over a cap: only a chunked body gets here (Content-Length was checked). */
	if (!ctx->mp) {
		if (buf_append(&ctx->req.body, data, n) == ERR_OK)
			return ERR_OK;
		*detail = too_large_detail(ctx);
		return ERR_TOO_LARGE;
	}
	if (ctx->read > ctx->srv->upload_cap) {
		*detail = http_upload_cap_detail(&ctx->arena, &ctx->srv->upload);
		return ERR_TOO_LARGE;
	}
	return http_multipart_feed(ctx->mp, data, n, detail);
}

/* Refuse the request while its body arrives: nothing of it is kept, the error waits in res. */
static void refuse_body(struct http_ctx *ctx, struct MHD_Connection *conn, enum mtag_err e,
			const char *detail)
{
	buf_release(&ctx->req.body);
	if (ctx->mp)
		http_multipart_abort(ctx->mp);
	ctx->refused = true;
	http_respond_error(&ctx->res, e, detail);
	ctx->close = true;
	/* MHD 0.9.75 refuses this while the body is arriving: finish() sends it then. */
	(void)http_send_response(ctx, conn);
}

/* A piece of the body: kept while acceptable; else 413/400 now or dropped until the end. */
static enum MHD_Result take_body(struct http_ctx *ctx, struct MHD_Connection *conn,
				 const char *data, size_t *size)
{
	size_t n = *size;
	*size = 0;
	ctx->read += n;
	if (!ctx->queued && !ctx->refused) {
		const char *detail = NULL;
		enum mtag_err e = keep_body(ctx, data, n, &detail);
		if (e == ERR_OK)
			return MHD_YES;
		refuse_body(ctx, conn, e, detail);
	}
	ctx->dropped += n;
	/* An upload may be read to its cap (then answered); any other body 4 MiB past its refusal. */
	bool too_much = ctx->mp ? ctx->read > DISCARD_MAX &&
					  ctx->read - DISCARD_MAX > ctx->srv->upload_cap
				: ctx->dropped > DISCARD_MAX;
	if (too_much) {
		log_warn("http.body_dropped", "dropped=%zu read=%llu max_body=%zu", ctx->dropped,
			 (unsigned long long)ctx->read, ctx->srv->cfg.max_body);
		return MHD_NO; /* MHD closes the connection */
	}
	return MHD_YES;
}

/* Guard (unless it ran at headers time) then handler: on the event loop, or on the offload pool. */
static void run_handler(struct http_ctx *ctx)
{
	if (guard_passes(ctx))
		ctx->req.route->handler(&ctx->req, &ctx->res);
}

/* A job of the offload pool: run the handler, then wake the connection up. */
static void run_offloaded(void *arg)
{
	struct http_ctx *ctx = arg;
	log_set_request_id(ctx->rid);
	if (atomic_load(&ctx->srv->abandon)) {
		http_respond_error(&ctx->res, ERR_UNAVAILABLE, "the server is shutting down");
		ctx->close = true;
	} else {
		run_handler(ctx);
	}
	log_set_request_id(NULL);
	atomic_store(&ctx->offload, OFFLOAD_DONE);
	/* MHD calls on_request again, which sends the response. */
	MHD_resume_connection(ctx->conn);
}

/* Suspend the connection and queue the handler; a full queue is answered 503 at once. */
static enum MHD_Result offload(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	ctx->conn = conn;
	atomic_store(&ctx->offload, OFFLOAD_RUNNING);
	MHD_suspend_connection(conn);
	if (workq_push(ctx->srv->offload, run_offloaded, ctx))
		return MHD_YES;
	log_warn("http.offload_full", "pending=%zu", workq_pending(ctx->srv->offload));
	http_set_header(&ctx->res, "Retry-After", "1");
	http_respond_error(&ctx->res, ERR_UNAVAILABLE, "the server is busy; try again shortly");
	atomic_store(&ctx->offload, OFFLOAD_DONE);
	MHD_resume_connection(conn);
	return MHD_YES;
}

/* Last call, the whole body is in: guard, handler, response. */
static enum MHD_Result finish(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	struct http_response *res = &ctx->res;
	if (ctx->queued)
		return MHD_YES;
	if (ctx->mp && !ctx->refused) {
		/* Closes the last part; a body cut short or without parts is a 400. */
		const char *detail = NULL;
		enum mtag_err e = http_multipart_end(ctx->mp, &detail);
		if (e) {
			ctx->refused = true;
			http_respond_error(res, e, detail);
		}
	}
	/* A refused body has its error in res already. */
	if (!ctx->refused && ctx->site)
		http_site_respond(ctx->srv->site, &ctx->req, res);
	else if (!ctx->refused && atomic_load(&ctx->offload) == OFFLOAD_NONE) {
		if (ctx->req.route->offload)
			return offload(ctx, conn);
		run_handler(ctx);
	}
	enum MHD_Result ret = http_send_response(ctx, conn);
	if (ret != MHD_YES)
		log_error("http.queue_failed", "status=%d", res->status);
	return ret;
}

/* MHD's access handler: called once with the headers, per body piece, and once at the end. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_ctx *ctx = *con_cls;
	(void)cls;
	(void)url;
	(void)version;
	if (!ctx) {
		/* on_uri always runs first; without it there is no state to answer with. */
		log_error("http.no_state", "method=%s", method);
		return MHD_NO;
	}
	log_set_request_id(ctx->rid[0] ? ctx->rid : NULL);
	enum MHD_Result ret;
	if (!ctx->started)
		ret = begin(ctx, conn, method);
	else if (*upload_data_size)
		ret = take_body(ctx, conn, upload_data, upload_data_size);
	else
		ret = finish(ctx, conn);
	log_set_request_id(NULL);
	return ret;
}

static struct MHD_Daemon *start_daemon(struct http_server *srv, const struct sockaddr *addr,
				       bool ipv6)
{
	/*
	 * poll, not epoll: with epoll, MHD_quiesce_daemon (http_server_stop) and a
	 * worker's event loop may both remove the listening socket from the epoll
	 * set, and MHD 0.9.75 aborts the process when it loses that race ("Failed
	 * to remove listen FD from epoll set", seen once in a test run's SIGTERM).
	 * With poll, quiescing only signals the workers.
	 */
	unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ipv6)
		flags |= MHD_USE_IPv6;
	/* MHD warns about a pool of 0 or 1 threads: give the option only for a real pool. */
	struct MHD_OptionItem pool[] = {
		{ MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	mhd_last_error[0] = '\0';
	return MHD_start_daemon(flags, (uint16_t)srv->cfg.port, on_accept, srv, on_request, srv,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
				MHD_OPTION_ARRAY, srv->cfg.threads > 1 ? pool : pool + 1,
				MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
				MHD_OPTION_SOCK_ADDR, addr,
				MHD_OPTION_END);
}

/* Resolve the upload limits; with a multipart route, the directory must be writable. */
static enum mtag_err upload_setup(struct http_server *srv, char *err, size_t errlen)
{
	const struct http_server_config *cfg = &srv->cfg;
	const char *dir = cfg->upload_dir;
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	srv->upload_dir = xstrdup(dir);
	srv->upload = (struct http_upload_limits){
		.dir = srv->upload_dir,
		.max_file_bytes = cfg->max_file_bytes ? cfg->max_file_bytes : HTTP_UPLOAD_MAX_FILE_BYTES,
		.max_files = cfg->max_files > 0 ? (size_t)cfg->max_files : HTTP_UPLOAD_MAX_FILES,
	};
	srv->upload_cap = http_upload_cap(&srv->upload);
	bool multipart = false;
	for (size_t i = 0; i < cfg->nroutes; i++)
		multipart |= cfg->routes[i].body != HTTP_BODY_JSON;
	if (!multipart)
		return ERR_OK;
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "the upload directory %s cannot be written: %s", dir,
			 strerror(errno));
		return ERR_VALIDATION;
	}
	char q[512];
	log_info("http.uploads", "dir=%s max_file_bytes=%llu max_files=%zu",
		 log_quote(q, sizeof(q), dir), (unsigned long long)srv->upload.max_file_bytes,
		 srv->upload.max_files);
	return ERR_OK;
}

enum mtag_err http_server_start(const struct http_server_config *cfg, struct http_server **out,
				char *err, size_t errlen)
{
	enum mtag_err e = ERR_OK;
	struct addrinfo *ais = NULL;
	struct http_server *srv = NULL;
	*out = NULL;
	if (cfg->port < 0 || cfg->port > 65535 || (cfg->nroutes && !cfg->routes)) {
		snprintf(err, errlen, "invalid server configuration (port %d)", cfg->port);
		e = ERR_VALIDATION;
		goto out;
	}
	char port[16];
	snprintf(port, sizeof(port), "%d", cfg->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	int rc = getaddrinfo(cfg->host, port, &hints, &ais);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", cfg->host ? cfg->host : "(any)",
			 gai_strerror(rc));
		e = ERR_VALIDATION;
		goto out;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	e = upload_setup(srv, err, errlen);
	if (e)
		goto out;
	if (cfg->site && (e = http_site_load(cfg->site, &srv->site)) != ERR_OK) {
		snprintf(err, errlen, "the web application has no page %s",
			 cfg->site->index ? cfg->site->index : "(none)");
		goto out;
	}
	atomic_init(&srv->inflight, 0);
	atomic_init(&srv->fresh, 0);
	atomic_init(&srv->stopping, false);
	atomic_init(&srv->abandon, false);
	srv->offload = workq_new(cfg->offload_threads > 0 ? cfg->offload_threads : cfg->threads,
				 OFFLOAD_QUEUE_MAX, OFFLOAD_NICE);
	if (cfg->per_ip_limit > 0)
		srv->clients = http_clients_new(cfg->per_ip_limit, CONNECTION_LIMIT);
	srv->upload.clients = srv->clients;
	if (http_streams_new(cfg, &srv->streams) != ERR_OK) {
		snprintf(err, errlen, "cannot start the event-stream thread: %s", strerror(errno));
		e = ERR_IO;
		goto out;
	}
	for (struct addrinfo *ai = ais; ai && !srv->daemon; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			srv->daemon = start_daemon(srv, ai->ai_addr, ai->ai_family == AF_INET6);
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s",
			 cfg->host ? cfg->host : "(any)", cfg->port,
			 mhd_last_error[0] ? mhd_last_error : "libmicrohttpd did not start");
		e = ERR_IO;
		goto out;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info && info->port ? info->port : cfg->port;
	log_info("http.listen", "host=%s port=%d threads=%d max_body=%zu",
		 cfg->host ? cfg->host : "*", srv->port, cfg->threads, cfg->max_body);
	*out = srv;
	srv = NULL;
out:
	if (srv) {
		workq_free(srv->offload);
		http_clients_free(srv->clients);
		http_streams_free(srv->streams);
		http_site_free(srv->site);
		free(srv->upload_dir);
	}
	free(srv);
	if (ais)
		freeaddrinfo(ais);
	return e;
}

int http_server_port(const struct http_server *srv)
{
	return srv ? srv->port : 0;
}

void http_server_stop(struct http_server *srv, int timeout_ms)
{
	if (!srv)
		return;
	int64_t t0 = clock_mono_us();
	atomic_store(&srv->stopping, true);
	/* Stop accepting. MHD's docs: close the socket only after MHD_stop_daemon;
	 * shutting it down now makes the kernel refuse new connections at once
	 * instead of queueing them until the stop resets them. */
	MHD_socket listen_fd = MHD_quiesce_daemon(srv->daemon);
	if (listen_fd != MHD_INVALID_SOCKET)
		shutdown(listen_fd, SHUT_RDWR);
	/* Event streams are not waited for: they end now, with STREAM_DRAIN_US to send the rest. */
	http_streams_shutdown(srv->streams);
	int64_t deadline = t0 + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
	for (;;) {
		int64_t now = clock_mono_us();
		bool busy = atomic_load(&srv->inflight) > 0 ||
			    (atomic_load(&srv->fresh) > 0 && now < t0 + FRESH_GRACE_US) ||
			    (http_streams_live(srv->streams) > 0 && now < t0 + STREAM_DRAIN_US);
		if (!busy || now >= deadline)
			break;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	int left = atomic_load(&srv->inflight);
	if (left > 0)
		log_warn("http.stop_timeout", "inflight=%d timeout_ms=%d", left, timeout_ms);
	/* Offloaded handlers still queued answer 503; running ones finish. Every
	 * suspended connection is resumed before MHD_stop_daemon, as MHD requires. */
	atomic_store(&srv->abandon, true);
	workq_free(srv->offload);
	/* Closes the idle keep-alive connections; waits for handlers still running. */
	MHD_stop_daemon(srv->daemon);
	http_streams_free(srv->streams); /* the free_ctx of streams cut by the stop run here */
	http_clients_free(srv->clients);  /* every connection is closed by now */
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	log_info("http.stop", "port=%d ms=%lld", srv->port,
		 (long long)((clock_mono_us() - t0) / 1000));
	http_site_free(srv->site);
	free(srv->upload_dir);
	free(srv);
}
