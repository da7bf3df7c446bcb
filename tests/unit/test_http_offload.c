/*
 * test_http_offload.c - routes marked offload run on the offload pool: with
 * one event-loop thread, a fast request is answered while a slow offloaded
 * handler is still running, and the slow one still gets its answer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "harness.h"
#include "http_client.h"
#include "http/http.h"
#include "base/xalloc.h"

static atomic_int slow_started, slow_done;

static void h_fast(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_respond_bytes(res, 200, "text/plain", "fast", 4);
}

static void h_slow(struct http_request *req, struct http_response *res)
{
	(void)req;
	atomic_store(&slow_started, 1);
	struct timespec ts = { 0, 400 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	http_respond_bytes(res, 200, "text/plain", "slow", 4);
	atomic_store(&slow_done, 1);
}

static bool guard(const struct http_route *route, struct http_request *req,
		  struct http_response *res)
{
	(void)route;
	(void)req;
	(void)res;
	return true;
}

static const struct http_route routes[] = {
	{ "GET", "/fast", h_fast, 0, false, HTTP_BODY_JSON, false },
	{ "GET", "/slow", h_slow, 0, true, HTTP_BODY_JSON, false },
};

struct slow_run {
	struct resp r;
	bool ok;
};

static void *slow_client(void *arg)
{
	struct slow_run *run = arg;
	run->ok = get("/slow", &run->r);
	return NULL;
}

static void test_fast_answered_while_slow_runs(void)
{
	struct http_server_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 1,
					  .offload_threads = 2, .max_body = 1024, .routes = routes,
					  .nroutes = 2, .guard = guard };
	struct http_server *srv = NULL;
	char err[256];
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_OK);
	port = http_server_port(srv);
	static struct slow_run run;
	pthread_t th;
	pthread_create(&th, NULL, slow_client, &run);
	while (!atomic_load(&slow_started)) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	struct resp fast;
	bool ok = get("/fast", &fast);
	/* Answered while the one event loop's other request is still in its handler. */
	int done_when_fast = atomic_load(&slow_done);
	pthread_join(th, NULL);
	http_server_stop(srv, 5000);
	CHECK(ok);
	CHECK_INT(fast.status, 200);
	CHECK_STR(fast.body, "fast");
	CHECK_INT(done_when_fast, 0);
	CHECK(run.ok);
	CHECK_INT(run.r.status, 200);
	CHECK_STR(run.r.body, "slow");
}

static void test_stop_waits_for_offloaded(void)
{
	struct http_server_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 1,
					  .max_body = 1024, .routes = routes, .nroutes = 2 };
	struct http_server *srv = NULL;
	char err[256];
	atomic_store(&slow_started, 0);
	atomic_store(&slow_done, 0);
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_OK);
	port = http_server_port(srv);
	static struct slow_run run;
	pthread_t th;
	pthread_create(&th, NULL, slow_client, &run);
	while (!atomic_load(&slow_started)) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	http_server_stop(srv, 5000);
	int done = atomic_load(&slow_done);
	pthread_join(th, NULL);
	CHECK_INT(done, 1);
	CHECK(run.ok);
	CHECK_INT(run.r.status, 200);
	CHECK_STR(run.r.body, "slow");
}

int main(void)
{
	RUN(test_fast_answered_while_slow_runs);
	RUN(test_stop_waits_for_offloaded);
	return unit_report("test_http_offload");
}
