/*
 * api_metrics.c - GET /metrics: the Prometheus text exposition (format
 * 0.0.4) of the HTTP server's and the core's metrics.
 *
 * Access: with MTAG_METRICS_TOKEN set, only "Authorization: Bearer <token>"
 * (compared in constant time; 401 otherwise). Unset, only clients on
 * loopback that came directly - a request carrying X-Forwarded-For,
 * Forwarded or X-Real-IP went through a proxy and is refused (403), so a
 * reverse proxy on the same host does not make /metrics public.
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/netaddr.h"
#include "core/core.h"

/* The exposition of a busy node is a few tens of kilobytes. */
#define METRICS_BODY_MAX ((size_t)4 << 20)

/* a == b without a time that depends on where they differ. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
	unsigned char diff = la != lb;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^ (unsigned char)(i < lb ? b[i] : 0);
	return diff == 0;
}

static bool is_loopback(const char *ip)
{
	static const unsigned char v6[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned char a[16];
	if (!ip || !netaddr_parse(ip, a))
		return false;
	return !memcmp(a, v6, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

/* True when the caller may read the metrics; else res holds the refusal. */
static bool metrics_allowed(struct http_request *req, struct http_response *res)
{
	const struct core *c = req->app;
	const char *token = c->cfg->metrics_token;
	if (token) {
		const char *auth = http_header(req, "Authorization");
		if (auth && !strncasecmp(auth, "Bearer ", 7) && same_secret(auth + 7, token))
			return true;
		http_set_header(res, "WWW-Authenticate", "Bearer");
		http_respond_error(res, ERR_UNAUTHORIZED, "the metrics token is missing or wrong");
		return false;
	}
	if (is_loopback(req->remote_addr) && !http_header(req, "X-Forwarded-For") &&
	    !http_header(req, "Forwarded") && !http_header(req, "X-Real-IP"))
		return true;
	http_respond_error(res, ERR_FORBIDDEN,
			   "metrics are served to loopback clients only when MTAG_METRICS_TOKEN is unset");
	return false;
}

void api_metrics(struct http_request *req, struct http_response *res)
{
	if (!metrics_allowed(req, res))
		return;
	struct buf out = BUF_INIT(METRICS_BODY_MAX);
	enum mtag_err e = http_metrics_render(&out);
	if (!e)
		e = core_metrics_render(req->app, &out);
	if (e) {
		buf_release(&out);
		http_respond_error(res, ERR_INTERNAL, "the metrics do not fit in their buffer");
		return;
	}
	char *body = arena_strndup(req->arena, buf_cstr(&out), out.len);
	http_respond_bytes(res, 200, "text/plain; version=0.0.4; charset=utf-8", body, out.len);
	http_set_header(res, "Cache-Control", "no-store");
	buf_release(&out);
}
