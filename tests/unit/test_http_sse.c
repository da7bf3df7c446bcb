/*
 * test_http_sse.c - event streams (http_respond_stream) on a real server on
 * 127.0.0.1 (port 0), spoken to over raw sockets: the exact bytes of a
 * stream that ends, Last-Event-ID, keep-alive comments, 200 idle streams
 * (other requests still answered, little CPU), a client leaving, the stream
 * cap, http_server_stop with streams open; and http_sse_event's format.
 */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "http_client.h"
#include "base/clock.h"
#include "http/http.h"
#include "base/xalloc.h"

#define POLL_MS 50
#define IDLE_STREAMS 200

static atomic_int freed; /* stream contexts freed */

/* ---- handlers ------------------------------------------------------------ */

/* Counts events next..3; event 3 is the final one ("done"). */
struct counter {
	long next;
};

static void ctx_free(void *ctx)
{
	free(ctx);
	atomic_fetch_add(&freed, 1);
}

static enum http_stream_status counter_poll(void *ctx, struct buf *out)
{
	struct counter *c = ctx;
	char id[32], data[64];
	snprintf(id, sizeof(id), "%ld", c->next);
	if (c->next < 3) {
		snprintf(data, sizeof(data), "{\"n\":%ld}", c->next);
		http_sse_event(out, id, "progress", data);
		c->next++;
		return HTTP_STREAM_MORE;
	}
	snprintf(data, sizeof(data), "{\"n\":%ld,\"done\":true}", c->next);
	http_sse_event(out, id, "done", data);
	return HTTP_STREAM_END;
}

static void h_count(struct http_request *req, struct http_response *res)
{
	struct counter *c = xcalloc(1, sizeof(*c));
	const char *last = http_header(req, "Last-Event-ID");
	c->next = last ? strtol(last, NULL, 10) + 1 : 1;
	http_respond_stream(res, counter_poll, c, ctx_free);
}

/* Never has anything to say. */
static enum http_stream_status idle_poll(void *ctx, struct buf *out)
{
	(void)ctx;
	(void)out;
	return HTTP_STREAM_MORE;
}

static void h_idle(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_stream(res, idle_poll, xcalloc(1, 1), ctx_free);
}

/* Starts a stream, then answers 404 instead: the stream's context goes at once. */
static void h_replaced(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_stream(res, idle_poll, xcalloc(1, 1), ctx_free);
	http_respond_error(res, ERR_NOT_FOUND, "no such job");
}

static void h_hello(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_bytes(res, 200, "text/plain", "hello", 5);
}

static const struct http_route routes[] = {
	{ "GET", "/count", h_count, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/idle", h_idle, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/replaced", h_replaced, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/hello", h_hello, 0, false, HTTP_BODY_JSON, false },
};

static struct http_server *start(int poll_ms, int keepalive_s, int max_streams)
{
	struct http_server_config cfg = {
		.host = "127.0.0.1", .port = 0, .threads = 2, .max_body = 1024,
		.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
		.stream_poll_ms = poll_ms, .stream_keepalive_s = keepalive_s,
		.max_streams = max_streams,
	};
	struct http_server *srv = NULL;
	char err[256] = "";
	if (http_server_start(&cfg, &srv, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "cannot start the test server: %s\n", err);
		return NULL;
	}
	port = http_server_port(srv);
	return srv;
}

/* ---- the client side ------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* Open a connection and send GET path with extra header lines (each ending in CRLF). */
static int open_stream(const char *path, const char *extra)
{
	char raw[1024];
	snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", path, extra ? extra : "");
	int fd = connect_to(port);
	if (fd >= 0 && !send_all(fd, raw, strlen(raw))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Read into buf until the peer closes or timeout_ms pass (or until the
 * headers are in, when head_only). Returns the bytes read; OUT: *closed.
 */
static size_t read_for(int fd, char *buf, size_t cap, int timeout_ms, bool head_only, bool *closed)
{
	size_t len = 0;
	int64_t end = clock_mono_us() + (int64_t)timeout_ms * 1000;
	*closed = false;
	while (len < cap - 1) {
		int64_t left = (end - clock_mono_us()) / 1000;
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, head_only ? 1 : cap - 1 - len, 0);
		if (n <= 0) {
			*closed = true;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (head_only && strstr(buf, "\r\n\r\n"))
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Split raw at the blank line: headers into r->head, status into r->status. OUT: *body. */
static bool split(const char *raw, size_t len, struct resp *r, const char **body, size_t *body_len)
{
	memset(r, 0, sizeof(*r));
	const char *end = strstr(raw, "\r\n\r\n");
	if (!end || (size_t)(end - raw) >= sizeof(r->head))
		return false;
	memcpy(r->head, raw, (size_t)(end - raw));
	*body = end + 4;
	*body_len = len - (size_t)(end + 4 - raw);
	return sscanf(r->head, "HTTP/1.1 %d", &r->status) == 1;
}

/*
 * Decode a chunked body into out (NUL-terminated), stopping at a chunk not
 * fully received. OUT: *complete when the last chunk ended it with nothing
 * after. Returns the decoded length, -1 when malformed.
 */
static long dechunk(const char *in, size_t n, char *out, size_t cap, bool *complete)
{
	size_t i = 0, o = 0;
	*complete = false;
	while (i < n) {
		const char *crlf = memmem(in + i, n - i, "\r\n", 2);
		if (!crlf)
			break;
		char *end;
		unsigned long len = strtoul(in + i, &end, 16);
		if (end != crlf)
			return -1;
		size_t data = (size_t)(crlf - in) + 2;
		if (len == 0) {
			*complete = n - data == 2 && memcmp(in + data, "\r\n", 2) == 0;
			break;
		}
		if (data + len + 2 > n)
			break;
		if (o + len >= cap || memcmp(in + data + len, "\r\n", 2) != 0)
			return -1;
		memcpy(out + o, in + data, len);
		o += len;
		i = data + len + 2;
	}
	out[o] = '\0';
	return (long)o;
}

/* Wait up to ms for freed to reach want. Returns how long it took (ms), or -1. */
static long wait_freed(int want, int ms)
{
	int64_t t0 = clock_mono_us();
	while (atomic_load(&freed) < want) {
		if (clock_mono_us() - t0 > (int64_t)ms * 1000)
			return -1;
		sleep_ms(1);
	}
	return (long)((clock_mono_us() - t0) / 1000);
}

static const char EVENTS[] =
	"id: 1\nevent: progress\ndata: {\"n\":1}\n\n"
	"id: 2\nevent: progress\ndata: {\"n\":2}\n\n"
	"id: 3\nevent: done\ndata: {\"n\":3,\"done\":true}\n\n";

/* ---- tests ------------------------------------------------------------------ */

static void test_event_format(void)
{
	struct buf b = BUF_INIT(1024);
	CHECK_INT(http_sse_event(&b, "7", "progress", "{\"done\":1}"), ERR_OK);
	CHECK_STR(buf_cstr(&b), "id: 7\nevent: progress\ndata: {\"done\":1}\n\n");
	buf_reset(&b);
	CHECK_INT(http_sse_event(&b, NULL, NULL, "one\ntwo\r\nthree\rfour"), ERR_OK);
	CHECK_STR(buf_cstr(&b), "data: one\ndata: two\ndata: three\ndata: four\n\n");
	buf_reset(&b);
	CHECK_INT(http_sse_event(&b, "", "", "x\n"), ERR_OK);
	CHECK_STR(buf_cstr(&b), "id: \ndata: x\ndata: \n\n");
	buf_reset(&b);
	CHECK_INT(http_sse_event(&b, NULL, "end", NULL), ERR_OK);
	CHECK_STR(buf_cstr(&b), "event: end\ndata: \n\n");

	/* Refused: a line break in id or event; out is left as it was. */
	CHECK_INT(http_sse_event(&b, "1\n2", "progress", "x"), ERR_VALIDATION);
	CHECK_INT(http_sse_event(&b, "1\r", NULL, "x"), ERR_VALIDATION);
	CHECK_INT(http_sse_event(&b, "1", "a\nevent: b", "x"), ERR_VALIDATION);
	CHECK_STR(buf_cstr(&b), "event: end\ndata: \n\n");
	buf_release(&b);

	struct buf small = BUF_INIT(24);
	CHECK_INT(http_sse_event(&small, "1", NULL, "short"), ERR_OK);
	CHECK_INT(http_sse_event(&small, "2", NULL, "too long for the rest"), ERR_TOO_LARGE);
	CHECK_STR(buf_cstr(&small), "id: 1\ndata: short\n\n");
	buf_release(&small);
}

static void test_stream_exact_bytes(void)
{
	int before = atomic_load(&freed);
	int fd = open_stream("/count", NULL);
	CHECK(fd >= 0);
	static char raw[65536], body[65536];
	bool closed;
	size_t len = read_for(fd, raw, sizeof(raw), 5000, false, &closed);
	close(fd);
	CHECK(closed);
	struct resp r;
	const char *chunked;
	size_t chunked_len;
	CHECK(split(raw, len, &r, &chunked, &chunked_len));
	CHECK_INT(r.status, 200);
	CHECK(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK_HEADER(&r, "Content-Type", "text/event-stream");
	CHECK_HEADER(&r, "Cache-Control", "no-store");
	CHECK_HEADER(&r, "X-Accel-Buffering", "no");
	CHECK_HEADER(&r, "Transfer-Encoding", "chunked");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");
	CHECK_HEADER(&r, "X-Frame-Options", "DENY");
	CHECK_HEADER(&r, "Referrer-Policy", "no-referrer");
	CHECK_HEADER(&r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	CHECK_INT(header_count(&r, "Content-Length"), 0);
	CHECK_INT(header_count(&r, "Cache-Control"), 1);
	char rid[128];
	CHECK(header(&r, "X-Request-Id", rid, sizeof(rid)) && is_hex(rid, 32));

	bool complete;
	CHECK_INT(dechunk(chunked, chunked_len, body, sizeof(body), &complete),
		  (long)strlen(EVENTS));
	CHECK_STR(body, EVENTS);
	CHECK(complete); /* the last chunk, then the server closed */
	CHECK(wait_freed(before + 1, 2000) >= 0);
}

static void test_last_event_id(void)
{
	int before = atomic_load(&freed);
	int fd = open_stream("/count", "Last-Event-ID: 1\r\n");
	CHECK(fd >= 0);
	static char raw[65536], body[65536];
	bool closed, complete;
	size_t len = read_for(fd, raw, sizeof(raw), 5000, false, &closed);
	close(fd);
	struct resp r;
	const char *chunked;
	size_t chunked_len;
	CHECK(closed);
	CHECK(split(raw, len, &r, &chunked, &chunked_len));
	CHECK_INT(r.status, 200);
	CHECK(dechunk(chunked, chunked_len, body, sizeof(body), &complete) > 0);
	CHECK_STR(body, strstr(EVENTS, "id: 2\n"));
	CHECK(complete);
	/* Its stream is freed before the next test counts frees of its own. */
	CHECK(wait_freed(before + 1, 2000) >= 0);
}

static void test_keepalive(void)
{
	/* keep-alive every 1 s: nothing for the first 0.8 s, then one a second. */
	int before = atomic_load(&freed);
	int fd = open_stream("/idle", NULL);
	CHECK(fd >= 0);
	static char raw[65536], body[65536];
	bool closed, complete;
	size_t len = read_for(fd, raw, sizeof(raw), 5000, true, &closed);
	struct resp r;
	const char *chunked;
	size_t chunked_len;
	bool ok = split(raw, len, &r, &chunked, &chunked_len);
	size_t early = read_for(fd, raw, sizeof(raw), 800, false, &closed);
	len = read_for(fd, raw, sizeof(raw), 1800, false, &closed);
	close(fd);
	CHECK(ok);
	CHECK_INT(r.status, 200);
	CHECK_INT(chunked_len, 0);
	CHECK_INT(early, 0);
	CHECK(!closed);
	CHECK(dechunk(raw, len, body, sizeof(body), &complete) > 0);
	/* Only keep-alive comments, at least one (how many depends on scheduling). */
	for (const char *p = body; *p; p += strlen(": keep-alive\n\n"))
		if (strncmp(p, ": keep-alive\n\n", strlen(": keep-alive\n\n")) != 0)
			FAIL_AT("got \"%s\", want keep-alive comments only", body);
	CHECK(body[0] != '\0');
	CHECK(!complete);
	CHECK(wait_freed(before + 1, 2000) >= 0);
}

static void test_replaced_stream(void)
{
	int before = atomic_load(&freed);
	struct resp r;
	CHECK(get("/replaced", &r));
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body, "{\"detail\":\"no such job\",\"code\":\"not_found\"}");
	CHECK_INT(atomic_load(&freed), before + 1);
}

/* CPU time (user + system) of the whole process so far, in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void test_many_idle_streams(void)
{
	static int fds[IDLE_STREAMS];
	int before = atomic_load(&freed), heads = 0;
	for (int i = 0; i < IDLE_STREAMS; i++)
		fds[i] = open_stream("/idle", NULL);
	for (int i = 0; i < IDLE_STREAMS; i++) {
		char raw[4096];
		bool closed;
		size_t len = fds[i] >= 0 ? read_for(fds[i], raw, sizeof(raw), 5000, true, &closed) : 0;
		heads += len > 0 && strncmp(raw, "HTTP/1.1 200 OK\r\n", 17) == 0;
	}
	/* 3 s with 200 streams open and idle; plain requests meanwhile. */
	double cpu0 = cpu_seconds();
	int64_t t0 = clock_mono_us(), worst = 0;
	int answered = 0, asked = 0;
	while (clock_mono_us() - t0 < 3 * 1000 * 1000) {
		struct resp r;
		int64_t q0 = clock_mono_us();
		asked++;
		answered += get("/hello", &r) && r.status == 200 && strcmp(r.body, "hello") == 0;
		if (clock_mono_us() - q0 > worst)
			worst = clock_mono_us() - q0;
		sleep_ms(100);
	}
	double cpu = cpu_seconds() - cpu0;
	fprintf(stderr, "test_many_idle_streams: %d streams, cpu %.3f s over 3 s, "
		"%d/%d requests answered, slowest %lld ms\n", heads, cpu, answered, asked,
		(long long)(worst / 1000));
	for (int i = 0; i < IDLE_STREAMS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK_INT(heads, IDLE_STREAMS);
	CHECK_INT(answered, asked);
	/* Not a speed test: a spinning implementation burns about 6 s of CPU here. */
	if (cpu >= 2.0)
		FAIL_AT("200 idle streams used %.3f s of CPU in 3 s", cpu);
	/* Every client left: every context is freed. */
	CHECK(wait_freed(before + IDLE_STREAMS, 5000) >= 0);
}

static void test_client_leaves(void)
{
	int before = atomic_load(&freed);
	int fd = open_stream("/idle", NULL);
	CHECK(fd >= 0);
	char raw[4096];
	bool closed;
	size_t len = read_for(fd, raw, sizeof(raw), 5000, true, &closed);
	CHECK(len > 0 && strncmp(raw, "HTTP/1.1 200 OK\r\n", 17) == 0);
	sleep_ms(3 * POLL_MS); /* polled a few times, suspended in between */
	CHECK_INT(atomic_load(&freed), before);
	close(fd);
	/* Noticed while suspended, long before the 15 s keep-alive would reveal it
	 * (a bound against hanging, not a speed assertion). */
	long ms = wait_freed(before + 1, 10000);
	if (ms < 0 || ms > 10000)
		FAIL_AT("the context was not freed within 10 s (%ld ms)", ms);
}

static void test_stream_cap(void)
{
	struct http_server *srv = start(POLL_MS, 15, 2);
	CHECK(srv != NULL);
	int before = atomic_load(&freed);
	int a = open_stream("/idle", NULL), b = open_stream("/idle", NULL);
	char raw[4096];
	bool closed;
	size_t la = read_for(a, raw, sizeof(raw), 5000, true, &closed);
	size_t lb = read_for(b, raw, sizeof(raw), 5000, true, &closed);
	struct resp r, ok;
	bool refused = get("/idle", &r);
	int freed_refused = atomic_load(&freed) - before;
	close(a);
	bool freed_a = wait_freed(before + 2, 2000) >= 0;
	int c = open_stream("/idle", NULL);
	size_t lc = read_for(c, raw, sizeof(raw), 5000, true, &closed);
	bool ok_c = split(raw, lc, &ok, &(const char *){ NULL }, &(size_t){ 0 });
	close(b);
	close(c);
	http_server_stop(srv, 5000);
	CHECK(la > 0 && lb > 0);
	CHECK(refused);
	CHECK_INT(r.status, 503);
	CHECK_STR(r.body, "{\"detail\":\"too many open event streams\",\"code\":\"unavailable\"}");
	CHECK_HEADER(&r, "Retry-After", "5");
	CHECK_INT(freed_refused, 1);
	CHECK(freed_a);
	CHECK(ok_c);
	CHECK_INT(ok.status, 200);
	CHECK_INT(atomic_load(&freed), before + 4);
}

static void test_stop_ends_streams(void)
{
	enum { N = 20 };
	struct http_server *srv = start(POLL_MS, 15, 0);
	CHECK(srv != NULL);
	int before = atomic_load(&freed), fds[N], heads = 0;
	static char raw[N][4096];
	static char body[4096];
	for (int i = 0; i < N; i++)
		fds[i] = open_stream("/idle", NULL);
	bool closed;
	for (int i = 0; i < N; i++)
		heads += read_for(fds[i], raw[i], sizeof(raw[i]), 5000, true, &closed) > 0;
	int64_t t0 = clock_mono_us();
	http_server_stop(srv, 30000);
	long ms = (long)((clock_mono_us() - t0) / 1000);
	int freed_at_return = atomic_load(&freed) - before;
	int ended = 0;
	for (int i = 0; i < N; i++) {
		size_t len = read_for(fds[i], raw[i], sizeof(raw[i]), 2000, false, &closed);
		bool complete = false;
		ended += closed && dechunk(raw[i], len, body, sizeof(body), &complete) == 0 && complete;
		close(fds[i]);
	}
	CHECK_INT(heads, N);
	/* Streams must not hold the stop for its 30 s timeout. */
	if (ms > 10000)
		FAIL_AT("http_server_stop took %ld ms with %d streams open", ms, N);
	CHECK_INT(freed_at_return, N);
	CHECK_INT(ended, N); /* each got the end of the response, then the close */
}

int main(void)
{
	RUN(test_event_format);
	struct http_server *srv = start(POLL_MS, 1, 0);
	if (!srv)
		return 1;
	RUN(test_stream_exact_bytes);
	RUN(test_last_event_id);
	RUN(test_keepalive);
	RUN(test_replaced_stream);
	http_server_stop(srv, 2000);

	/* Default keep-alive (15 s): idle streams are really idle. */
	srv = start(POLL_MS, 0, 0);
	if (!srv)
		return 1;
	RUN(test_many_idle_streams);
	RUN(test_client_leaves);
	http_server_stop(srv, 2000);

	RUN(test_stream_cap);
	RUN(test_stop_ends_streams);
	return unit_report("test_http_sse");
}
