/*
 * test_http_server.c - a real server on 127.0.0.1 (port 0) with a tiny route
 * table, spoken to over real TCP sockets by the small raw client below:
 * statuses, bodies, headers, body caps (Content-Length and chunked), JSON
 * body rules, request ids, the access log, and graceful stop.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "http_client.h"
#include "base/clock.h"
#include "base/log.h"
#include "http/http.h"
#include "base/xalloc.h"

#define MAX_BODY 1024

/* ---- handlers ---------------------------------------------------------- */

static atomic_int slow_started;

static void h_hello(struct http_request *req, struct http_response *res)
{
	(void)req;
	static const char body[] = "{\"hello\":\"world\"}";
	http_respond_bytes(res, 200, "application/json", body, sizeof(body) - 1);
}

static void h_echo(struct http_request *req, struct http_response *res)
{
	json_t *v;
	const char *detail = NULL;
	enum mtag_err e = http_json_body(req, &v, &detail);
	if (e) {
		http_respond_error(res, e, detail);
		return;
	}
	http_respond_json(res, 200, v);
}

static void h_page(struct http_request *req, struct http_response *res)
{
	(void)req;
	static const char body[] = "<p>hi</p>";
	http_respond_bytes(res, 200, "text/html; charset=utf-8", body, sizeof(body) - 1);
}

/* Respond 200 with v and drop our reference. */
static void reply(struct http_response *res, json_t *v)
{
	http_respond_json(res, 200, v);
	json_decref(v);
}

static void h_item(struct http_request *req, struct http_response *res)
{
	reply(res, json_pack("{s:s}", "id", http_param(req, "id")));
}

static void h_delete(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_bytes(res, 204, NULL, NULL, 0);
}

static void h_query(struct http_request *req, struct http_response *res)
{
	reply(res, json_pack("{s:s?, s:s?, s:b}", "q", http_query(req, "q"), "flag",
			     http_query(req, "flag"), "missing", http_query(req, "nope") == NULL));
}

static void h_slow(struct http_request *req, struct http_response *res)
{
	(void)req;
	atomic_store(&slow_started, 1);
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	reply(res, json_pack("{s:b}", "slow", 1));
}

static void h_broken(struct http_request *req, struct http_response *res)
{
	(void)req;
	(void)res; /* forgets to respond */
}

static void h_validate(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_error(res, ERR_VALIDATION, "email: must be a string");
}

static void h_private(struct http_request *req, struct http_response *res)
{
	reply(res, json_pack("{s:s}", "user", (const char *)req->user));
}

static void h_whoami(struct http_request *req, struct http_response *res)
{
	reply(res, json_pack("{s:s, s:s, s:s, s:b}", "rid", req->request_id, "addr",
			     req->remote_addr, "method", req->method, "app",
			     req->app == (void *)&slow_started));
}

static const struct http_route routes[] = {
	{ "GET", "/hello", h_hello, 0, false, HTTP_BODY_JSON, false },
	{ "POST", "/echo", h_echo, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/page", h_page, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/items/{id}", h_item, 0, false, HTTP_BODY_JSON, false },
	{ "DELETE", "/items/{id}", h_delete, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/query", h_query, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/slow", h_slow, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/broken", h_broken, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/validate", h_validate, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/private", h_private, 1, false, HTTP_BODY_JSON, false },
	{ "GET", "/whoami", h_whoami, 0, false, HTTP_BODY_JSON, false },
};

/* auth 1 needs "X-Test-Key: open-sesame". */
static bool guard(const struct http_route *route, struct http_request *req,
		  struct http_response *res)
{
	if (route->auth == 0)
		return true;
	const char *key = http_header(req, "x-test-key");
	if (!key || strcmp(key, "open-sesame") != 0) {
		http_respond_error(res, ERR_UNAUTHORIZED, NULL);
		return false;
	}
	req->user = "tester";
	return true;
}

static struct http_server *start_server(void)
{
	struct http_server_config cfg = {
		.host = "127.0.0.1", .port = 0, .threads = 2, .max_body = MAX_BODY,
		.routes = routes, .nroutes = sizeof(routes) / sizeof(routes[0]),
		.guard = guard, .app = &slow_started,
	};
	struct http_server *srv = NULL;
	char err[256] = "";
	if (http_server_start(&cfg, &srv, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "cannot start the test server: %s\n", err);
		return NULL;
	}
	return srv;
}

/* ---- tests --------------------------------------------------------------- */

static void test_json_ok(void)
{
	struct resp r;
	CHECK(get("/hello", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"hello\":\"world\"}");
	CHECK_HEADER(&r, "Content-Type", "application/json");
	CHECK_HEADER(&r, "Content-Length", "17");
	CHECK_HEADER(&r, "Cache-Control", "no-store");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");
	CHECK_HEADER(&r, "Referrer-Policy", "no-referrer");
	CHECK_HEADER(&r, "X-Frame-Options", "DENY");
	CHECK_HEADER(&r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	char rid[128];
	CHECK(header(&r, "X-Request-Id", rid, sizeof(rid)));
	CHECK(is_hex(rid, 32));
	CHECK_INT(header_count(&r, "X-Request-Id"), 1);
}

static void test_html_headers(void)
{
	struct resp r;
	CHECK(get("/page", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "<p>hi</p>");
	CHECK_HEADER(&r, "Content-Type", "text/html; charset=utf-8");
	CHECK_HEADER(&r, "Content-Security-Policy",
		     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		     "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
		     "frame-ancestors 'none'");
	CHECK_INT(header_count(&r, "Content-Security-Policy"), 1);
	CHECK_INT(header_count(&r, "Cache-Control"), 0);
	CHECK_HEADER(&r, "X-Frame-Options", "DENY");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");
}

static void test_not_found(void)
{
	struct resp r;
	CHECK(get("/nope", &r));
	CHECK_INT(r.status, 404);
	CHECK_STR(r.body, "{\"detail\":\"no route for GET /nope\",\"code\":\"not_found\"}");
	CHECK_HEADER(&r, "Content-Type", "application/json");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");
	CHECK_HEADER(&r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	CHECK(get("/hello/", &r));
	CHECK_INT(r.status, 404);
	CHECK(get("/items/%2F", &r));
	CHECK_INT(r.status, 404);
	CHECK(get("/items//", &r));
	CHECK_INT(r.status, 404);
}

static void test_method_not_allowed(void)
{
	struct resp r;
	CHECK(post("/hello", "application/json", "{}", &r));
	CHECK_INT(r.status, 405);
	CHECK_HEADER(&r, "Allow", "GET, HEAD");
	CHECK_STR(r.body, "{\"detail\":\"POST is not allowed on /hello (allowed: GET, HEAD)\",\"code\":\"method_not_allowed\"}");
	CHECK(roundtrip("PUT /items/7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			"Content-Length: 0\r\n\r\n", &r));
	CHECK_INT(r.status, 405);
	CHECK_HEADER(&r, "Allow", "GET, HEAD, DELETE");
	CHECK(roundtrip("DELETE /items/7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r));
	CHECK_INT(r.status, 204);
	CHECK_INT(r.body_len, 0);
	CHECK_INT(header_count(&r, "Cache-Control"), 0);
	CHECK_HEADER(&r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

static void test_params_and_query(void)
{
	struct resp r;
	CHECK(get("/items/a%20b%C3%A9", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"id\":\"a b\xc3\xa9\"}");
	CHECK(get("/query?q=a%26b+c&flag", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"q\":\"a&b c\",\"flag\":\"\",\"missing\":true}");
	CHECK(get("/query", &r));
	CHECK_STR(r.body, "{\"q\":null,\"flag\":null,\"missing\":true}");
	/* %00 would cut a value short in C: refused, in a value or a name. */
	CHECK(get("/query?q=completed%00x", &r));
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body, "{\"detail\":\"query parameter q holds a NUL byte (%00)\",\"code\":\"bad_request\"}");
	CHECK(get("/query?flag&a%00b=1", &r));
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body, "{\"detail\":\"query parameter a holds a NUL byte (%00)\",\"code\":\"bad_request\"}");
	CHECK(roundtrip("GET /whoami HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			"X-Request-Id: who-1\r\n\r\n", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"rid\":\"who-1\",\"addr\":\"127.0.0.1\",\"method\":\"GET\",\"app\":true}");
}

static void test_too_large_content_length(void)
{
	/* Only the headers are sent: the 413 must come without the body. */
	struct resp r;
	CHECK(roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			"Content-Length: 10000000\r\n\r\n", &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"the request body is larger than 1024 bytes\","
			  "\"code\":\"too_large\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");

	/* With Expect: 100-continue the client is told 413 instead of 100. */
	CHECK(roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			"Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n", &r));
	CHECK_INT(r.status, 413);

	/* Exactly the cap is fine; one byte more is not. */
	char body[MAX_BODY + 2];
	memset(body, ' ', sizeof(body));
	body[0] = '{';
	body[MAX_BODY - 1] = '}';
	body[MAX_BODY] = '\0';
	CHECK(post("/echo", "application/json", body, &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{}");
	body[MAX_BODY - 1] = ' ';
	body[MAX_BODY] = '}';
	body[MAX_BODY + 1] = '\0';
	CHECK(post("/echo", "application/json", body, &r));
	CHECK_INT(r.status, 413);
}

/*
 * Send a chunked body of total bytes in chunks of chunk bytes, stopping early
 * when the server answers or closes. OUT: *sent (body bytes sent), *answered
 * (a response was read into r).
 */
static void chunked_upload(size_t chunk, size_t total, struct resp *r, size_t *sent,
			   bool *answered)
{
	static char data[16384];
	char line[32];
	*sent = 0;
	*answered = false;
	int fd = connect_to(port);
	if (fd < 0 || chunk > sizeof(data))
		return;
	memset(data, 'a', sizeof(data));
	const char *head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n";
	bool open = send_all(fd, head, strlen(head));
	while (open && *sent < total) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 0) > 0)
			break; /* the server answered or closed */
		snprintf(line, sizeof(line), "%zx\r\n", chunk);
		open = send_all(fd, line, strlen(line)) && send_all(fd, data, chunk) &&
		       send_all(fd, "\r\n", 2);
		if (open)
			*sent += chunk;
	}
	if (open && *sent >= total)
		send_all(fd, "0\r\n\r\n", 5);
	*answered = read_response(fd, r, false);
	close(fd);
}

static void test_too_large_chunked(void)
{
	struct resp r;
	size_t sent = 0;
	bool answered = false;
	/* 64 KiB over a 1 KiB cap: read and dropped (not kept), then 413. */
	chunked_upload(4096, 64 << 10, &r, &sent, &answered);
	CHECK(answered);
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"the request body is larger than 1024 bytes\","
			  "\"code\":\"too_large\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK_HEADER(&r, "X-Content-Type-Options", "nosniff");

	/* 64 MiB: the server stops reading after 4 MiB dropped and closes. */
	chunked_upload(16384, 64u << 20, &r, &sent, &answered);
	if (answered)
		CHECK_INT(r.status, 413); /* an MHD that can answer mid-upload */
	if (sent >= (32u << 20))
		FAIL_AT("the server read %zu bytes of an upload over the cap", sent);

	/* A small chunked body within the cap is read whole. */
	int fd = connect_to(port);
	CHECK(fd >= 0);
	const char *req = "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4\r\n{\"a\"\r\n3\r\n:[1\r\n2\r\n]}\r\n0\r\n\r\n";
	bool ok = send_all(fd, req, strlen(req)) && read_response(fd, &r, false);
	close(fd);
	CHECK(ok);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"a\":[1]}");

	/* Framed two ways (a smuggled request after it would run), or by a coding MHD
	 * does not read (it waited for ever): 400, and the connection is closed. */
	CHECK(roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
			"2\r\n{}\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r));
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body, "{\"detail\":\"Transfer-Encoding and Content-Length: send one of them\","
			  "\"code\":\"bad_request\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK(roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", &r));
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body, "{\"detail\":\"Transfer-Encoding: only chunked is read\","
			  "\"code\":\"bad_request\"}");
	CHECK(roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
			"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", &r));
	CHECK_INT(r.status, 400);
}

static void test_json_body_rules(void)
{
	struct resp r;
	CHECK(post("/echo", "text/plain", "{}", &r));
	CHECK_INT(r.status, 415);
	CHECK_STR(r.body, "{\"detail\":\"the body must be JSON (Content-Type: application/json)\","
			  "\"code\":\"unsupported_media_type\"}");
	CHECK(post("/echo", NULL, "{}", &r));
	CHECK_INT(r.status, 415);
	CHECK(post("/echo", "application/jsonx", "{}", &r));
	CHECK_INT(r.status, 415);
	CHECK(post("/echo", "Application/JSON ; charset=utf-8", "{\"k\":\"v\"}", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"k\":\"v\"}");

	CHECK(post("/echo", "application/json", "{bad", &r));
	CHECK_INT(r.status, 400);
	CHECK(strstr(r.body, "\"code\":\"bad_request\"") != NULL);
	CHECK(strncmp(r.body, "{\"detail\":\"malformed JSON at line 1", 35) == 0);
	CHECK(post("/echo", "application/json", "{\"a\":1,\"a\":2}", &r));
	CHECK_INT(r.status, 400);

	CHECK(post("/echo", "application/json", "[1,2]", &r));
	CHECK_INT(r.status, 422);
	CHECK_STR(r.body, "{\"detail\":\"body must be a JSON object\",\"code\":\"validation_error\"}");
	CHECK(post("/echo", "application/json", "", &r));
	CHECK_INT(r.status, 400);
	CHECK_STR(r.body, "{\"detail\":\"the request body is empty\",\"code\":\"bad_request\"}");
}

/* GET /hello with the given X-Request-Id. OUT: the id that came back. */
static bool echo_rid(const char *rid, char *out, size_t outsz)
{
	char raw[1024];
	struct resp r;
	snprintf(raw, sizeof(raw), "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		 "X-Request-Id: %s\r\n\r\n", rid);
	return roundtrip(raw, &r) && r.status == 200 && header(&r, "X-Request-Id", out, outsz);
}

static void test_request_id(void)
{
	char got[256], id64[65], id65[66], id200[201];
	CHECK(echo_rid("abc-123_X.y", got, sizeof(got)));
	CHECK_STR(got, "abc-123_X.y");
	memset(id64, 'r', 64);
	id64[64] = '\0';
	CHECK(echo_rid(id64, got, sizeof(got)));
	CHECK_STR(got, id64);

	CHECK(echo_rid("has space", got, sizeof(got)));
	CHECK(is_hex(got, 32));
	CHECK(echo_rid("semi;colon", got, sizeof(got)));
	CHECK(is_hex(got, 32));
	memset(id65, 'r', 65);
	id65[65] = '\0';
	CHECK(echo_rid(id65, got, sizeof(got)));
	CHECK(is_hex(got, 32));
	memset(id200, 'z', 200);
	id200[200] = '\0';
	CHECK(echo_rid(id200, got, sizeof(got)));
	CHECK(is_hex(got, 32));
	/* Two generated ids differ. */
	char other[256];
	CHECK(echo_rid("has space", other, sizeof(other)));
	CHECK(strcmp(got, other) != 0);
}

static void test_guard_and_broken(void)
{
	struct resp r;
	CHECK(get("/private", &r));
	CHECK_INT(r.status, 401);
	CHECK_STR(r.body, "{\"detail\":\"authentication is required\",\"code\":\"unauthorized\"}");
	CHECK(roundtrip("GET /private HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			"X-Test-Key: open-sesame\r\n\r\n", &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"user\":\"tester\"}");

	CHECK(get("/broken", &r));
	CHECK_INT(r.status, 500);
	CHECK_STR(r.body, "{\"detail\":\"internal error\",\"code\":\"internal_error\"}");
	CHECK_HEADER(&r, "X-Frame-Options", "DENY");

	CHECK(get("/validate", &r));
	CHECK_INT(r.status, 422);
	CHECK_STR(r.body, "{\"detail\":\"email: must be a string\",\"code\":\"validation_error\","
			  "\"field\":\"email\"}");
}

static void test_mhd_errors(void)
{
	/* Headers past MHD's per-connection memory: MHD answers itself (no leak of our state). */
	static char raw[48 * 1024];
	int n = snprintf(raw, sizeof(raw), "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(raw + n, 'b', sizeof(raw) - (size_t)n - 5);
	memcpy(raw + sizeof(raw) - 5, "\r\n\r\n", 5);
	struct resp r;
	CHECK(roundtrip(raw, &r));
	CHECK_INT(r.status, 431);
	/* HEAD takes a GET route: its headers, no body. */
	CHECK(roundtrip("HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(r.body_len, 0);
	CHECK(roundtrip("PUT /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", &r));
	CHECK_INT(r.status, 405);
	CHECK_HEADER(&r, "Allow", "GET, HEAD");
}

/* GET /query?q=<qlen x's> with n arguments in all, each other one of vlen bytes (static buffer). */
static const char *query_of(int n, int qlen, int vlen)
{
	static char raw[24 * 1024];
	int len = snprintf(raw, sizeof(raw), "GET /query?q=%.*s", qlen, "");
	memset(raw + len, 'x', (size_t)qlen);
	len += qlen;
	for (int i = 1; i < n; i++)
		len += snprintf(raw + len, sizeof(raw) - (size_t)len, "&a%d=%0*d", i, vlen, i);
	snprintf(raw + len, sizeof(raw) - (size_t)len, " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	return raw;
}

static void test_many_arguments_and_headers(void)
{
	/* MHD keeps each query argument and header in the connection's pool, beside
	 * the request line: a query of more than 64 arguments, or of fewer but long
	 * enough to fill it, is refused (414) before MHD parses it - it answered
	 * nothing and the client waited for the timeout. */
	static const char too_many[] = "{\"detail\":\"the query has more than 64 parameters\","
				       "\"code\":\"uri_too_long\"}";
	static const char too_long[] = "{\"detail\":\"the address is too long (at most 12 KiB with"
				       " its parameters)\",\"code\":\"uri_too_long\"}";
	struct resp r;
	CHECK(roundtrip(query_of(64, 1, 1), &r));
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"q\":\"x\",\"flag\":null,\"missing\":true}");
	CHECK(roundtrip(query_of(300, 1, 1), &r));
	CHECK_INT(r.status, 414);
	CHECK_STR(r.body, too_many);
	CHECK(roundtrip(query_of(64, 1, 200), &r)); /* a 13 KB line */
	CHECK_INT(r.status, 414);
	CHECK_STR(r.body, too_long);
	CHECK(roundtrip(query_of(1, 12300, 1), &r)); /* one parameter of 12 KB */
	CHECK_INT(r.status, 414);
	CHECK_STR(r.body, too_long);
	/* A 10 KiB search query with 15 filters still fits. */
	CHECK(roundtrip(query_of(16, 10240, 8), &r));
	CHECK_INT(r.status, 200);
	/* Many small headers: MHD answers 431 itself. (Had it refused the request
	 * line, on_completed would not come: the state goes with the connection,
	 * which LeakSanitizer checks at the end of the run.) */
	static char raw[16 * 1024];
	int n = snprintf(raw, sizeof(raw), "GET /hello HTTP/1.1\r\nHost: t\r\n");
	for (int i = 0; i < 400; i++)
		n += snprintf(raw + n, sizeof(raw) - (size_t)n, "X-H%d: b\r\n", i);
	snprintf(raw + n, sizeof(raw) - (size_t)n, "\r\n");
	CHECK(roundtrip(raw, &r));
	CHECK_INT(r.status, 431);
}

static void test_keep_alive(void)
{
	struct resp r1, r2;
	int fd = connect_to(port);
	CHECK(fd >= 0);
	const char *a = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Request-Id: ka-1\r\n\r\n";
	const char *b = "GET /items/x HTTP/1.1\r\nHost: t\r\nX-Request-Id: ka-2\r\n\r\n";
	bool ok = send_all(fd, a, strlen(a)) && read_response(fd, &r1, false) &&
		  send_all(fd, b, strlen(b)) && read_response(fd, &r2, false);
	close(fd);
	CHECK(ok);
	CHECK_INT(r1.status, 200);
	CHECK_INT(r2.status, 200);
	CHECK_STR(r2.body, "{\"id\":\"x\"}");
	CHECK_HEADER(&r1, "X-Request-Id", "ka-1");
	CHECK_HEADER(&r2, "X-Request-Id", "ka-2");
	CHECK_INT(header_count(&r1, "Connection"), 0);
}

/* Wait up to 2 s for needle to appear in the file at fd. OUT: text. */
static bool wait_for_log(int fd, const char *needle, char *text, size_t textsz)
{
	for (int i = 0; i < 200; i++) {
		ssize_t n = pread(fd, text, textsz - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		if (strstr(text, needle))
			return true;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_access_log(void)
{
	char path[] = "/tmp/test_http_server_log_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	struct resp r;
	bool ok = roundtrip("GET /query?q=hunter2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			    "Authorization: Bearer tok-SECRET\r\nCookie: sid=cookie-SECRET\r\n"
			    "X-Request-Id: log-check-1\r\n\r\n", &r);
	char text[8192];
	bool found = ok && wait_for_log(fd, "rid=log-check-1 method=GET", text, sizeof(text));
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	CHECK(ok);
	CHECK_INT(r.status, 200);
	CHECK(found);
	const char *line = strstr(text, "event=http.access rid=log-check-1 method=GET path=/query "
				  "status=200 bytes=42 us=");
	CHECK(line != NULL);
	CHECK(strstr(line, " addr=127.0.0.1") != NULL);
	CHECK(strstr(text, "hunter2") == NULL);
	CHECK(strstr(text, "SECRET") == NULL);
}

/* What a stop during a slow request looked like. */
struct stop_run {
	struct resp idle, slow;
	bool idle_ok, slow_ok, still_open;
	int64_t ms; /* how long http_server_stop took */
};

static void *slow_client(void *arg)
{
	struct stop_run *run = arg;
	int fd = connect_to(port);
	const char *req = "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n";
	run->slow_ok = fd >= 0 && send_all(fd, req, strlen(req)) &&
		       read_response(fd, &run->slow, false);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Own server, one idle keep-alive connection, GET /slow, then stop(timeout_ms). */
static bool stop_during_slow(int timeout_ms, struct stop_run *run)
{
	struct http_server *srv = start_server();
	if (!srv)
		return false;
	int saved_port = port;
	port = http_server_port(srv);
	int idle = connect_to(port);
	const char *a = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
	run->idle_ok = idle >= 0 && send_all(idle, a, strlen(a)) &&
		       read_response(idle, &run->idle, false);

	pthread_t th;
	atomic_store(&slow_started, 0);
	pthread_create(&th, NULL, slow_client, run);
	while (!atomic_load(&slow_started)) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	int64_t t0 = clock_mono_us();
	http_server_stop(srv, timeout_ms);
	run->ms = (clock_mono_us() - t0) / 1000;
	pthread_join(th, NULL);
	int after = connect_to(port);
	run->still_open = after >= 0;
	if (after >= 0)
		close(after);
	if (idle >= 0)
		close(idle);
	port = saved_port;
	return true;
}

static void test_graceful_stop(void)
{
	static struct stop_run run;
	CHECK(stop_during_slow(10000, &run));
	CHECK(run.idle_ok);
	CHECK_INT(run.idle.status, 200);
	CHECK(run.slow_ok);
	CHECK_INT(run.slow.status, 200);
	CHECK_STR(run.slow.body, "{\"slow\":true}");
	CHECK_HEADER(&run.slow, "Connection", "close");
	/* Waited for the slow handler (300 ms), not for the idle connection or the timeout. */
	if (run.ms < 150 || run.ms > 10000)
		FAIL_AT("stop took %lld ms, want about 300", (long long)run.ms);
	CHECK(!run.still_open);
}

static void test_stop_timeout(void)
{
	/* 50 ms is too short: stop gives up waiting, MHD still joins the handler. */
	static struct stop_run run;
	CHECK(stop_during_slow(50, &run));
	if (run.ms > 10000)
		FAIL_AT("stop took %lld ms", (long long)run.ms);
	if (run.slow_ok)
		CHECK_INT(run.slow.status, 200);
	CHECK(!run.still_open);
}

static void test_start_errors(void)
{
	struct http_server_config cfg = { .host = "127.0.0.1", .port = port, .threads = 1,
					  .max_body = 10, .routes = routes, .nroutes = 1 };
	struct http_server *srv = (struct http_server *)&cfg;
	char err[256] = "";
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_IO);
	CHECK(srv == NULL);
	CHECK(strstr(err, "Address already in use") != NULL);

	cfg.host = "no-such-host.invalid";
	cfg.port = 0;
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_VALIDATION);
	CHECK(strncmp(err, "cannot resolve no-such-host.invalid", 35) == 0);
	cfg.host = "127.0.0.1";
	cfg.port = 70000;
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_VALIDATION);
	http_server_stop(NULL, 0);
	CHECK_INT(http_server_port(NULL), 0);
}

static void test_ipv6(void)
{
	struct http_server_config cfg = { .host = "::1", .port = 0, .threads = 1,
					  .max_body = 10, .routes = routes, .nroutes = 1 };
	struct http_server *srv = NULL;
	char err[256] = "";
	if (http_server_start(&cfg, &srv, err, sizeof(err)) == ERR_IO) {
		fprintf(stderr, "test_ipv6: skipped, no ::1 here (%s)\n", err);
		return;
	}
	CHECK(srv != NULL);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				   .sin6_port = htons((uint16_t)http_server_port(srv)) };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const char *req = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct resp r;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		  send_all(fd, req, strlen(req)) && read_response(fd, &r, false);
	close(fd);
	http_server_stop(srv, 1000);
	CHECK(ok);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"hello\":\"world\"}");
}

int main(void)
{
	struct http_server *srv = start_server();
	if (!srv)
		return 1;
	port = http_server_port(srv);
	RUN(test_json_ok);
	RUN(test_html_headers);
	RUN(test_not_found);
	RUN(test_method_not_allowed);
	RUN(test_params_and_query);
	RUN(test_too_large_content_length);
	RUN(test_too_large_chunked);
	RUN(test_json_body_rules);
	RUN(test_request_id);
	RUN(test_guard_and_broken);
	RUN(test_mhd_errors);
	RUN(test_many_arguments_and_headers);
	RUN(test_keep_alive);
	RUN(test_access_log);
	RUN(test_start_errors);
	RUN(test_ipv6);
	RUN(test_graceful_stop);
	RUN(test_stop_timeout);
	http_server_stop(srv, 1000);
	return unit_report("test_http_server");
}
