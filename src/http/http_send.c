/*
 * http_send.c - a request's response handed to libmicrohttpd: the handler's
 * body, a file or an event stream, with the headers every response carries
 * (request id, security headers, caching), or an early answer before the
 * body was read.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "http_server_int.h"

static const char CSP_HTML[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'";
static const char CSP_OTHER[] = "default-src 'none'; frame-ancestors 'none'";

static bool has_header(const struct http_response *res, const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return true;
	return false;
}

/* The handler's headers, then ours: request id, security headers, caching. */
static void add_headers(const struct http_ctx *ctx, struct MHD_Response *r)
{
	const struct http_response *res = &ctx->res;
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, "X-Request-Id") != 0)
			MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
	if (res->content_type && !has_header(res, "Content-Type"))
		MHD_add_response_header(r, "Content-Type", res->content_type);
	MHD_add_response_header(r, "X-Request-Id", ctx->rid);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (!has_header(res, "Content-Security-Policy"))
		MHD_add_response_header(r, "Content-Security-Policy",
					http_media_is(res->content_type, "text/html") ? CSP_HTML
										     : CSP_OTHER);
	if (http_media_is(res->content_type, "application/json") && !has_header(res, "Cache-Control"))
		MHD_add_response_header(r, "Cache-Control", "no-store");
	/* A user's file (an original): never kept by a shared cache. */
	if (res->file_path && !has_header(res, "Cache-Control"))
		MHD_add_response_header(r, "Cache-Control", "private, no-store");
	if (ctx->srv->cfg.hsts)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	if (ctx->close || atomic_load(&ctx->srv->stopping))
		MHD_add_response_header(r, "Connection", "close");
}

/* A response streaming res->file_path (MHD closes the fd); on failure res becomes a 404. */
static struct MHD_Response *file_response(struct http_ctx *ctx)
{
	struct http_response *res = &ctx->res;
	struct stat st;
	int fd = open(res->file_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (r) {
			ctx->file_size = (size_t)st.st_size;
			return r;
		}
	}
	if (fd >= 0)
		close(fd);
	log_warn("http.file_unavailable", "errno=%d", errno);
	http_respond_error(res, ERR_NOT_FOUND, "the file is gone");
	return NULL;
}

/* The response of an event stream (it always closes the connection); refused, res becomes a 503. */
static struct MHD_Response *stream_response(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	const char *detail = NULL;
	struct MHD_Response *r = http_streams_open(ctx->srv->streams, &ctx->res, conn, ctx->rid,
						   &ctx->bytes, &ctx->client_gone, &detail);
	ctx->close = r != NULL;
	if (r)
		return r;
	log_warn("http.stream_refused", "reason=\"%s\"", detail);
	http_set_header(&ctx->res, "Retry-After", "5");
	http_respond_error(&ctx->res, ERR_UNAVAILABLE, detail);
	return NULL;
}

/* Queue ctx->res (a 500 instead when it has no valid status). MHD_NO when MHD refuses it. */
enum MHD_Result http_send_response(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	struct http_response *res = &ctx->res;
	if (res->status < 200 || res->status > 599) {
		log_error("http.no_status", "status=%d route=%s", res->status,
			  ctx->req.route ? ctx->req.route->pattern : "-");
		http_stream_drop(res);
		*res = (struct http_response){ .arena = &ctx->arena };
		http_respond_error(res, ERR_INTERNAL, NULL);
	}
	struct MHD_Response *r = NULL;
	bool stream = false;
	if (res->stream)
		stream = (r = stream_response(ctx, conn)) != NULL;
	else if (res->file_path)
		r = file_response(ctx);
	/* The body lives in the arena (or static memory) until on_completed. */
	if (!r)
		r = MHD_create_response_from_buffer(res->body ? res->body_len : 0,
						    (void *)res->body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	add_headers(ctx, r);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)res->status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES) {
		ctx->queued = true;
		ctx->status = res->status;
		if (!stream)
			ctx->bytes = res->file_path ? ctx->file_size : res->body ? res->body_len : 0;
		/* A stream's headers are out: http_server_stop ends it rather than waiting. */
		ctx->streaming = stream;
		if (stream)
			atomic_fetch_sub(&ctx->srv->inflight, 1);
	}
	return ret;
}

/* Answer with ctx->res before the body was read. */
enum MHD_Result http_send_early(struct http_ctx *ctx, struct MHD_Connection *conn)
{
	ctx->close = true;
	enum MHD_Result ret = http_send_response(ctx, conn);
	if (ret != MHD_YES)
		log_error("http.queue_failed", "status=%d", ctx->res.status);
	return ret;
}

/* Answer with error e before the body was read. */
enum MHD_Result http_send_early_error(struct http_ctx *ctx, struct MHD_Connection *conn,
				      enum mtag_err e, const char *detail)
{
	http_respond_error(&ctx->res, e, detail);
	return http_send_early(ctx, conn);
}

