/*
 * http_observe.c - what a finished request leaves behind: its line in the
 * access log and its counts in the request metrics. Called once per request
 * by http_server.c, on the event loop that ended it.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/random.h"
#include "http/http_int.h"

/* Longest path written to the access log. */
#define LOG_PATH_MAX 512

/* s as a logfmt value: as it is when it needs no quotes, else quoted (and cut to fit). */
static const char *log_value(char *out, size_t outsz, const char *s)
{
	if (!s)
		return "-";
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || s[n] == '"' ||
		    s[n] == '\\' || s[n] == '=')
			return log_quote(out, outsz, s);
	if (n < outsz)
		return s;
	return log_quote(out, outsz, s);
}

/* Whether s (n bytes) holds a UUID anywhere (a pasted id with a "." or ")" after it). */
static bool holds_id(const char *s, size_t n)
{
	char id[37];
	for (size_t i = 0; i + 36 <= n; i++) {
		if (s[i + 8] != '-')
			continue;
		memcpy(id, s + i, 36);
		id[36] = '\0';
		if (uuid_valid(id))
			return true;
	}
	return false;
}

/*
 * The path of a request no route took (404, 405, or answered by MHD) with
 * every segment that holds an id written "{id}": it may still be a
 * capability, an anonymous job's id sent with a wrong method or a typo
 * around it.
 */
static const char *unrouted_path(struct arena *a, const char *path)
{
	char *out = arena_strdup(a, path);
	for (char *seg = out; *seg;) {
		size_t len = strcspn(seg, "/");
		if (holds_id(seg, len)) {
			memcpy(seg, "{id}", 4);
			memmove(seg + 4, seg + len, strlen(seg + len) + 1);
			len = 4;
		}
		seg += len;
		if (*seg == '/')
			seg++;
	}
	return out;
}

/*
 * One line per request (status 0: MHD answered itself, or the client left).
 * The request id is set around it: the request's callbacks have cleared it.
 * Never the query string, headers or bodies, nor a path that is a capability.
 */
static void access_log(const struct http_outcome *o)
{
	char prev[HTTP_RID_MAX + 1] = "";
	if (log_request_id())
		snprintf(prev, sizeof(prev), "%s", log_request_id());
	log_set_request_id(o->rid[0] ? o->rid : NULL);

	char qm[40], qp[LOG_PATH_MAX];
	long long us = (long long)(clock_mono_us() - o->start_us);
	const char *method = log_value(qm, sizeof(qm), o->req->method);
	const struct http_route *r = o->req->route;
	const char *path = !o->req->path      ? NULL
			   : !r                ? unrouted_path(o->req->arena, o->req->path)
			   : r->secret_path    ? r->pattern
					       : o->req->path;
	path = log_value(qp, sizeof(qp), path);
	log_info("http.access", "method=%s path=%s status=%d bytes=%zu us=%lld addr=%s end=%s",
		 method, path, o->status, o->bytes, us,
		 o->req->remote_addr ? o->req->remote_addr : "-", o->end);

	log_set_request_id(prev[0] ? prev : NULL);
}

/*
 * Request metrics, shared by every server of the process. Labels are
 * bounded: the route's pattern (or "unmatched"), a known method (else
 * "other"), the status code (0 when none was sent).
 */
static struct metrics_family http_requests = {
	.name = "http_requests_total",
	.help = "HTTP requests by route, method and status code.",
	.type = METRICS_COUNTER,
	.labels = { "method", "route", "code" },
	.nlabels = 3,
	.cap = 256,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct metrics_family http_durations = {
	.name = "http_request_duration_seconds",
	.help = "HTTP request durations by route and method, from the request line to the end of the response.",
	.type = METRICS_HISTOGRAM,
	.labels = { "method", "route" },
	.nlabels = 2,
	.bounds = metrics_duration_bounds_us,
	.nbounds = METRICS_DURATION_NBOUNDS,
	.unit = 1000000,
	.cap = 128,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static const char *metrics_method(const char *m)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
					     "OPTIONS" };
	for (size_t i = 0; m && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(m, known[i]))
			return known[i];
	return "other";
}

static void count(const struct http_outcome *o)
{
	const struct http_route *r = o->req->route;
	char code[8];
	snprintf(code, sizeof(code), "%d", o->status >= 100 && o->status <= 599 ? o->status : 0);
	const char *method = metrics_method(o->req->method); /* HEAD on a GET route is HEAD */
	const char *route = r ? r->pattern : "unmatched";
	const char *const rv[] = { method, route, code };
	metrics_counter_add(&http_requests, rv, 1);
	metrics_histogram_observe(&http_durations, rv, clock_mono_us() - o->start_us);
}

void http_observe(const struct http_outcome *o)
{
	access_log(o);
	count(o);
}

enum mtag_err http_metrics_render(struct buf *out)
{
	enum mtag_err e = metrics_render_family(out, &http_requests);
	if (!e)
		e = metrics_render_family(out, &http_durations);
	return e;
}
