/*
 * test_fetch.c - fetch.h against a real HTTP server (fetch_server.h) on
 * loopback addresses only: the address classification table, a byte-exact
 * download, refusals before any byte is sent (also at a redirect hop, via an
 * address policy that calls 127.0.0.1 public), redirect limits and schemes,
 * size caps (lying lengths, chunked, close-delimited, a gzip bomb),
 * timeouts, refused connections, HTTP errors, URL validation, DNS failure,
 * environment proxies, and write failures. Nothing leaves the machine.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "fetch_server.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/log.h"
#include "pipeline/fetch.h"

#define MB ((size_t)1 << 20)
/* A bound so a broken build fails instead of hanging; not a speed assertion. */
#define BOUND_MS 20000

/* An unlinked temporary file. */
static int tmp_fd(void)
{
	char path[] = "/tmp/mtag-test-fetch-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static long long fd_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

/* Defaults with a bounded total time. */
static void opts(struct fetch_options *o, bool allow_private)
{
	fetch_options_init(o);
	o->allow_private = allow_private;
	o->total_timeout_ms = BOUND_MS;
}

/* One fetch into a fresh temp file; OUT: *r, *ms, *size (of the file). */
static enum mtag_err fetch_url(struct arena *a, const char *url, const struct fetch_options *o,
			       struct fetch_result *r, int64_t *ms, long long *size)
{
	int fd = tmp_fd();
	int64_t t0 = clock_mono_us();
	enum mtag_err e = fetch_to_fd(a, url, o, fd, r);
	if (ms)
		*ms = (clock_mono_us() - t0) / 1000;
	if (size)
		*size = fd_size(fd);
	close(fd);
	return e;
}

/*
 * A test policy: only public_ip is public (NULL: everything is), and when
 * allow_calls > 0 only the first allow_calls checks pass; counts calls.
 */
struct policy_ctx {
	const char *public_ip;
	int allow_calls;
	atomic_int calls;
};

static const char *test_policy(const char *ip, void *ctx)
{
	struct policy_ctx *p = ctx;
	int n = atomic_fetch_add(&p->calls, 1) + 1;
	if (p->allow_calls > 0 && n > p->allow_calls)
		return "a private address";
	return !p->public_ip || strcmp(ip, p->public_ip) == 0 ? NULL : "a private address";
}

/* gzip (RFC 1952) of n bytes of src, or of n zeros when src is NULL; malloc'd. */
static unsigned char *gzip_bytes(const unsigned char *src, size_t n, size_t *out_len)
{
	static const unsigned char zeros[65536];
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)n) + 64, done = 0;
	unsigned char *out = malloc(cap);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = Z_OK;
	while (rc == Z_OK) {
		size_t chunk = n - done < sizeof(zeros) ? n - done : sizeof(zeros);
		z.next_in = (Bytef *)(src ? src + done : zeros);
		z.avail_in = (uInt)chunk;
		done += chunk;
		rc = deflate(&z, done == n ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_BUF_ERROR && z.avail_out > 0)
			rc = Z_OK; /* no progress possible without more input */
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- classification ------------------------------------------------------- */

static void test_classify(void)
{
	static const struct {
		const char *ip, *reason;
	} cases[] = {
		{ "10.0.0.1", "a private address" },
		{ "172.16.5.4", "a private address" },
		{ "192.168.1.1", "a private address" },
		{ "127.0.0.1", "a loopback address" },
		{ "127.255.0.9", "a loopback address" },
		{ "169.254.169.254", "a link-local address" },
		{ "100.64.0.1", "a CGNAT address" },
		{ "100.100.100.200", "a CGNAT address" },
		{ "224.0.0.1", "a multicast address" },
		{ "0.0.0.0", "an unspecified address" },
		{ "0.1.2.3", "a reserved address" },
		{ "255.255.255.255", "a broadcast address" },
		{ "240.0.0.1", "a reserved address" },
		{ "198.18.0.1", "a reserved address" },
		{ "192.0.2.1", "a reserved address" },
		{ "192.0.0.192", "a reserved address" },
		{ "198.51.100.7", "a reserved address" },
		{ "203.0.113.9", "a reserved address" },
		{ "192.88.99.1", "a reserved address" },
		{ "::1", "a loopback address" },
		{ "::", "an unspecified address" },
		{ "fe80::1", "a link-local address" },
		{ "fe80::1%eth0", "a link-local address" },
		{ "fc00::1", "a unique-local address" },
		{ "fd12::3", "a unique-local address" },
		{ "fd00:ec2::254", "a unique-local address" },
		{ "ff02::1", "a multicast address" },
		{ "::ffff:10.0.0.1", "an IPv4-mapped address" },
		{ "::ffff:8.8.8.8", "an IPv4-mapped address" },
		{ "::ffff:127.0.0.1", "an IPv4-mapped address" },
		{ "::10.0.0.1", "a reserved address" },     /* IPv4-compatible */
		{ "64:ff9b::a00:1", "a private address" },   /* NAT64 of 10.0.0.1 */
		{ "64:ff9b::7f00:1", "a loopback address" }, /* NAT64 of 127.0.0.1 */
		{ "64:ff9b:1::1", "a reserved address" },
		{ "2002:c0a8:101::1", "a private address" }, /* 6to4 of 192.168.1.1 */
		{ "2002:a9fe:a9fe::1", "a link-local address" },
		{ "2001::1", "a reserved address" },         /* Teredo */
		{ "2001:db8::1", "a reserved address" },
		{ "3fff::1", "a reserved address" },
		{ "100::1", "a reserved address" },
		{ "fec0::1", "a reserved address" },
		{ "4000::1", "a reserved address" },         /* outside 2000::/3 */
		{ "not an ip", "an invalid address" },
		{ "", "an invalid address" },
		{ "8.8.8.8", NULL },
		{ "1.1.1.1", NULL },
		{ "100.63.255.255", NULL },
		{ "100.128.0.1", NULL },
		{ "172.15.255.255", NULL },
		{ "172.32.0.1", NULL },
		{ "2606:4700::1111", NULL },
		{ "64:ff9b::808:808", NULL },                /* NAT64 of 8.8.8.8 */
		{ "2002:808:808::1", NULL },                 /* 6to4 of 8.8.8.8 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = fetch_blocked_reason(cases[i].ip);
		if (!cases[i].reason && got)
			FAIL_AT("%s: \"%s\", want public", cases[i].ip, got);
		if (cases[i].reason && (!got || strcmp(got, cases[i].reason) != 0))
			FAIL_AT("%s: \"%s\", want \"%s\"", cases[i].ip, got ? got : "(public)",
				cases[i].reason);
	}
	CHECK_STR(fetch_blocked_reason(NULL), "an invalid address");
}

static void test_options_defaults(void)
{
	struct fetch_options o;
	fetch_options_init(&o);
	CHECK_INT(o.max_bytes, 100 * MB);
	CHECK_INT(o.connect_timeout_ms, 10000);
	CHECK_INT(o.total_timeout_ms, 60000);
	CHECK_INT(o.max_redirects, 5);
	CHECK(!o.allow_private);
	CHECK(o.address_policy == NULL);
	CHECK(strncmp(o.user_agent, "mtag/", 5) == 0);
}

/* ---- downloads --------------------------------------------------------------- */

static void test_download(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/file/report%%20v2.pdf?x=1", s.host, s.port);
	int fd = tmp_fd();
	enum mtag_err e = fetch_to_fd(&a, url, &o, fd, &r);
	fts_stop(&s);

	unsigned char *got = malloc(FTS_FILE_SIZE + 1);
	ssize_t n = pread(fd, got, FTS_FILE_SIZE + 1, 0);
	bool same = n == (ssize_t)FTS_FILE_SIZE && memcmp(got, fts_file_body, FTS_FILE_SIZE) == 0;
	free(got);
	close(fd);
	if (e)
		FAIL_AT("error %d: %s", e, r.error);
	CHECK_STR(r.error, "");
	CHECK_INT(n, FTS_FILE_SIZE);
	CHECK(same);
	CHECK_INT(r.http_status, 200);
	CHECK_INT(r.bytes, FTS_FILE_SIZE);
	CHECK_STR(r.final_url, url);
	CHECK_STR(r.filename, "report v2.pdf");
	CHECK_STR(r.content_type, "application/pdf");
	CHECK(strncmp(s.user_agent, "mtag/", 5) == 0);
	CHECK(strstr(s.accept_encoding, "gzip") != NULL);
	CHECK_INT(s.requests, 1);
	arena_release(&a);
}

/* The file name of http://host/file/<path>, or NULL. */
static const char *filename_of(struct arena *a, struct fts_server *s, const char *path)
{
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[512];
	snprintf(url, sizeof(url), "http://%s:%d/file/%s", s->host, s->port, path);
	return fetch_url(a, url, &o, &r, NULL, NULL) == ERR_OK ? r.filename : "(failed)";
}

static void test_filename_rules(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	const char *plain = filename_of(&a, &s, "a.pdf#frag");
	const char *dir = filename_of(&a, &s, "dir/");
	const char *slash = filename_of(&a, &s, "a%2Fb.pdf");
	const char *nul = filename_of(&a, &s, "a%00b.pdf");
	const char *dots = filename_of(&a, &s, "x/%2e%2e");
	const char *ctl = filename_of(&a, &s, "a%0ab.pdf");
	const char *utf8 = filename_of(&a, &s, "r%C3%A9sum%C3%A9.pdf");
	const char *bad_utf8 = filename_of(&a, &s, "r%C3sum.pdf");
	char longname[300];
	memset(longname, 'x', 256);
	longname[256] = '\0';
	const char *too_long = filename_of(&a, &s, longname);
	fts_stop(&s);
	CHECK_STR(plain, "a.pdf");
	CHECK(dir == NULL);
	CHECK(slash == NULL);
	CHECK(nul == NULL);
	CHECK(dots == NULL);
	CHECK(ctl == NULL);
	CHECK_STR(utf8, "r\xc3\xa9sum\xc3\xa9.pdf");
	CHECK(bad_utf8 == NULL);
	CHECK(too_long == NULL);
	arena_release(&a);
}

/* ---- refusals before any byte is sent ------------------------------------------ */

/* Fetch path from a server on addr through host_in_url, private refused; OUT: r, *conns. */
static enum mtag_err blocked_fetch(const char *addr, const char *host_in_url, struct arena *a,
				   struct fetch_result *r, int *conns, int *reqs, bool *started)
{
	struct fts_server s;
	*started = fts_start(&s, addr);
	if (!*started)
		return ERR_INTERNAL;
	struct fetch_options o;
	opts(&o, false);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/file/x.pdf", host_in_url ? host_in_url : s.host,
		 s.port);
	enum mtag_err e = fetch_url(a, url, &o, r, NULL, NULL);
	fts_stop(&s);
	*conns = atomic_load(&s.connections);
	*reqs = atomic_load(&s.requests);
	return e;
}

static void test_blocked_loopback(void)
{
	struct arena a = ARENA_INIT;
	struct fetch_result r;
	int conns, reqs;
	bool started;
	CHECK_INT(blocked_fetch("127.0.0.1", NULL, &a, &r, &conns, &reqs, &started), ERR_FORBIDDEN);
	CHECK_STR(r.error, "blocked: 127.0.0.1 is a loopback address");
	CHECK_INT(reqs, 0);
	CHECK_INT(conns, 0);
	CHECK_INT(r.bytes, 0);

	CHECK_INT(blocked_fetch("127.0.0.1", "localhost", &a, &r, &conns, &reqs, &started),
		  ERR_FORBIDDEN);
	/* A host name: what it resolves to is not told (the network's names stay its own). */
	CHECK_STR(r.error, "blocked: localhost resolves to a loopback address");
	CHECK_INT(reqs, 0);
	CHECK_INT(conns, 0);

	CHECK_INT(blocked_fetch("127.0.0.1", "[::ffff:127.0.0.1]", &a, &r, &conns, &reqs, &started),
		  ERR_FORBIDDEN);
	CHECK_STR(r.error, "blocked: ::ffff:127.0.0.1 is an IPv4-mapped address");
	CHECK_INT(conns, 0);

	CHECK_INT(blocked_fetch("127.0.0.1", "2130706433", &a, &r, &conns, &reqs, &started),
		  ERR_FORBIDDEN); /* 127.0.0.1 as one decimal number */
	CHECK_STR(r.error, "blocked: 127.0.0.1 is a loopback address");
	CHECK_INT(conns, 0);
	arena_release(&a);
}

static void test_blocked_ipv6_loopback(void)
{
	struct arena a = ARENA_INIT;
	struct fetch_result r;
	int conns, reqs;
	bool started;
	enum mtag_err e = blocked_fetch("::1", NULL, &a, &r, &conns, &reqs, &started);
	if (!started) {
		fprintf(stderr, "skip %s: no IPv6 loopback\n", unit_current);
		arena_release(&a);
		return;
	}
	CHECK_INT(e, ERR_FORBIDDEN);
	CHECK_STR(r.error, "blocked: ::1 is a loopback address");
	CHECK_INT(reqs, 0);
	CHECK_INT(conns, 0);
	arena_release(&a);
}

/* Redirect from a server on 127.0.0.1 to one on 127.0.0.2 under test_policy. */
static void redirect_hop(struct policy_ctx *pc, struct arena *a, struct fetch_result *r,
			 enum mtag_err *e, int *reqs_a, int *conns_b)
{
	struct fts_server sa, sb;
	bool ok_a = fts_start(&sa, "127.0.0.1"), ok_b = ok_a && fts_start(&sb, "127.0.0.2");
	if (!ok_b) {
		if (ok_a)
			fts_stop(&sa);
		*e = ERR_INTERNAL;
		return;
	}
	snprintf(sa.redirect_to, sizeof(sa.redirect_to), "http://127.0.0.2:%d/file/b.pdf", sb.port);
	struct fetch_options o;
	opts(&o, false);
	o.address_policy = test_policy;
	o.address_policy_ctx = pc;
	char url[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/go", sa.port);
	*e = fetch_url(a, url, &o, r, NULL, NULL);
	fts_stop(&sa);
	fts_stop(&sb);
	*reqs_a = atomic_load(&sa.requests);
	*conns_b = atomic_load(&sb.connections);
}

static void test_redirect_hop_blocked(void)
{
	struct arena a = ARENA_INIT;
	struct fetch_result r;
	struct policy_ctx pc = { .public_ip = "127.0.0.1" };
	enum mtag_err e;
	int reqs_a = -1, conns_b = -1;
	redirect_hop(&pc, &a, &r, &e, &reqs_a, &conns_b);
	CHECK_INT(e, ERR_FORBIDDEN);
	CHECK_STR(r.error, "blocked: 127.0.0.2 is a private address");
	CHECK_INT(reqs_a, 1);
	CHECK_INT(conns_b, 0);
	CHECK_INT(r.bytes, 0);

	/* The same hop allowed: the refusal above came from the policy alone. */
	struct policy_ctx all = { .public_ip = NULL };
	redirect_hop(&all, &a, &r, &e, &reqs_a, &conns_b);
	CHECK_INT(e, ERR_OK);
	CHECK_INT(conns_b, 1);
	CHECK_STR(r.filename, "b.pdf");
	CHECK(strncmp(r.final_url, "http://127.0.0.2:", 17) == 0);
	CHECK(atomic_load(&all.calls) >= 4); /* two connections, each checked twice */
	arena_release(&a);
}

static void test_policy_every_connection(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	struct policy_ctx pc = { .public_ip = "127.0.0.1" };
	opts(&o, false);
	o.address_policy = test_policy;
	o.address_policy_ctx = &pc;
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/redir/3", s.host, s.port);
	enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, NULL);
	fts_stop(&s);
	CHECK_INT(e, ERR_OK);
	CHECK_INT(atomic_load(&s.connections), 4);
	CHECK(atomic_load(&pc.calls) >= 8); /* before connect and before the request, each hop */
	arena_release(&a);
}

/*
 * The second check, once connected and before the request: a policy that
 * passes the first check (before connect) and fails the second. The server
 * sees the connection but not one byte of request.
 */
static void test_blocked_after_connect(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	struct policy_ctx pc = { .public_ip = NULL, .allow_calls = 1 };
	opts(&o, false);
	o.address_policy = test_policy;
	o.address_policy_ctx = &pc;
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/file/x.pdf", s.host, s.port);
	enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, NULL);
	fts_stop(&s);
	CHECK_INT(e, ERR_FORBIDDEN);
	CHECK_STR(r.error, "blocked: 127.0.0.1 is a private address");
	CHECK_INT(atomic_load(&pc.calls), 2);
	CHECK_INT(atomic_load(&s.connections), 1);
	CHECK_INT(atomic_load(&s.requests), 0);
	arena_release(&a);
}

/* ---- redirects and schemes -------------------------------------------------------- */

static void test_redirect_limits(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r, r5, r6;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/redir/5", s.host, s.port);
	enum mtag_err e5 = fetch_url(&a, url, &o, &r5, NULL, NULL);
	snprintf(url, sizeof(url), "http://%s:%d/redir/6", s.host, s.port);
	enum mtag_err e6 = fetch_url(&a, url, &o, &r6, NULL, NULL);
	o.max_redirects = 2;
	snprintf(url, sizeof(url), "http://%s:%d/redir/3", s.host, s.port);
	enum mtag_err e3 = fetch_url(&a, url, &o, &r, NULL, NULL);
	fts_stop(&s);
	CHECK_INT(e5, ERR_OK);
	CHECK_INT(r5.bytes, 4);
	CHECK(strstr(r5.final_url, "/redir/0") != NULL);
	CHECK_INT(e6, ERR_UNAVAILABLE);
	CHECK_STR(r6.error, "download failed: more than 5 redirects");
	CHECK_INT(e3, ERR_UNAVAILABLE);
	CHECK_STR(r.error, "download failed: more than 2 redirects");
	arena_release(&a);
}

static void test_redirect_schemes(void)
{
	static const struct {
		const char *to, *error;
	} cases[] = {
		{ "ftp://127.0.0.1/x", "blocked: a redirect to the unsupported scheme ftp" },
		{ "file:///etc/passwd", "blocked: a redirect to the unsupported scheme file" },
		{ "gopher://127.0.0.1/x", "blocked: a redirect to the unsupported scheme gopher" },
	};
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/go", s.host, s.port);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_result r;
		long long size;
		pthread_mutex_lock(&s.mu);
		snprintf(s.redirect_to, sizeof(s.redirect_to), "%s", cases[i].to);
		pthread_mutex_unlock(&s.mu);
		enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, &size);
		if (e != ERR_FORBIDDEN || strcmp(r.error, cases[i].error) != 0 || size != 0) {
			fts_stop(&s);
			FAIL_AT("%s: %d \"%s\" (%lld bytes)", cases[i].to, e, r.error, size);
		}
	}
	fts_stop(&s);
	arena_release(&a);
}

static void test_tls_to_plain_port(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	o.total_timeout_ms = 5000;
	char url[256];
	snprintf(url, sizeof(url), "https://%s:%d/file/x.pdf", s.host, s.port);
	int64_t ms;
	enum mtag_err e = fetch_url(&a, url, &o, &r, &ms, NULL);
	fts_stop(&s);
	CHECK_INT(e, ERR_UNAVAILABLE);
	CHECK_STR(r.error, "download failed: TLS: the handshake failed");
	CHECK(ms < 15000);
	arena_release(&a);
}

/* ---- size caps ------------------------------------------------------------------------ */

static void test_size_caps(void)
{
	static const char *const paths[] = { "/stream-cl", "/stream-chunked", "/stream-chunked-cl",
					     "/stream-close" };
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	opts(&o, true);
	o.max_bytes = 1 * MB;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char url[256];
		struct fetch_result r;
		int64_t ms;
		long long size;
		snprintf(url, sizeof(url), "http://%s:%d%s", s.host, s.port, paths[i]);
		enum mtag_err e = fetch_url(&a, url, &o, &r, &ms, &size);
		if (e != ERR_TOO_LARGE || strcmp(r.error, "too large: more than 1 MB") != 0 ||
		    size > (long long)MB || ms >= BOUND_MS) {
			fts_stop(&s);
			FAIL_AT("%s: %d \"%s\", %lld bytes in %lld ms", paths[i], e, r.error, size,
				(long long)ms);
		}
	}
	/* A cap that is not whole megabytes is said in bytes. */
	struct fetch_result r;
	o.max_bytes = 1000;
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/stream-chunked", s.host, s.port);
	enum mtag_err e_bytes = fetch_url(&a, url, &o, &r, NULL, NULL);
	char err_bytes[sizeof(r.error)];
	memcpy(err_bytes, r.error, sizeof(err_bytes));
	/* A Content-Length smaller than what is sent: libcurl reads only that many bytes. */
	o.max_bytes = 1 * MB;
	snprintf(url, sizeof(url), "http://%s:%d/stream-lie", s.host, s.port);
	long long size;
	enum mtag_err e_lie = fetch_url(&a, url, &o, &r, NULL, &size);
	fts_stop(&s);
	CHECK_INT(e_bytes, ERR_TOO_LARGE);
	CHECK_STR(err_bytes, "too large: more than 1000 bytes");
	CHECK_INT(e_lie, ERR_OK);
	CHECK_INT(r.bytes, 100);
	CHECK_INT(size, 100);
	arena_release(&a);
}

static void test_gzip(void)
{
	static const char text[] = "hello, compressed world. hello, compressed world.";
	size_t small_len, bomb_len;
	unsigned char *small = gzip_bytes((const unsigned char *)text, sizeof(text) - 1, &small_len);
	unsigned char *bomb = gzip_bytes(NULL, 16 * MB, &bomb_len);
	CHECK(small && bomb);
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r1, r2;
	opts(&o, true);
	o.max_bytes = 1 * MB;
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/gzip", s.host, s.port);

	s.gzip_body = small; /* the server thread reads these only during a request */
	s.gzip_len = small_len;
	int fd = tmp_fd();
	enum mtag_err e1 = fetch_to_fd(&a, url, &o, fd, &r1);
	char got[128] = "";
	ssize_t n = pread(fd, got, sizeof(got) - 1, 0);
	close(fd);

	s.gzip_body = bomb;
	s.gzip_len = bomb_len;
	long long size;
	enum mtag_err e2 = fetch_url(&a, url, &o, &r2, NULL, &size);
	fts_stop(&s);
	free(small);
	free(bomb);
	CHECK_INT(e1, ERR_OK);
	CHECK_INT(n, sizeof(text) - 1);
	CHECK(memcmp(got, text, sizeof(text) - 1) == 0);
	CHECK(bomb_len < MB); /* what arrives is under the cap: only decoding passes it */
	CHECK_INT(e2, ERR_TOO_LARGE);
	CHECK_STR(r2.error, "too large: more than 1 MB");
	CHECK(size <= (long long)MB);
	arena_release(&a);
}

/* ---- network failures ------------------------------------------------------------------ */

static void test_timeout(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	o.total_timeout_ms = 1000;
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/silent", s.host, s.port);
	int64_t ms;
	enum mtag_err e = fetch_url(&a, url, &o, &r, &ms, NULL);
	fts_stop(&s);
	CHECK_INT(e, ERR_TIMEOUT);
	CHECK_STR(r.error, "timed out after 1 s");
	CHECK(ms < 15000);
	arena_release(&a);
}

/* A port on 127.0.0.1 that nothing listens on (bound, never listening). */
static int closed_port(int *holder)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*holder < 0 || bind(*holder, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(*holder, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	return ntohs(sin.sin_port);
}

static void test_connection_refused(void)
{
	int holder;
	int port = closed_port(&holder);
	CHECK(port > 0);
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[256], want[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x.pdf", port);
	snprintf(want, sizeof(want), "download failed: connection refused by 127.0.0.1:%d", port);
	enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, NULL);
	close(holder);
	CHECK_INT(e, ERR_UNAVAILABLE);
	CHECK_STR(r.error, want);
	CHECK_INT(r.http_status, 0);
	arena_release(&a);
}

static void test_http_404(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/missing", s.host, s.port);
	long long size;
	enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, &size);
	fts_stop(&s);
	CHECK_INT(e, ERR_UNAVAILABLE);
	CHECK_STR(r.error, "download failed: HTTP 404");
	CHECK_INT(r.http_status, 404);
	CHECK_INT(size, 0); /* the error page is not written */
	arena_release(&a);
}

static void test_dns_failure(void)
{
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, false);
	enum mtag_err e = fetch_url(&a, "http://example.invalid/x.pdf", &o, &r, NULL, NULL);
	CHECK_INT(e, ERR_UNAVAILABLE);
	CHECK_STR(r.error, "download failed: cannot resolve host example.invalid");
	arena_release(&a);
}

/* Failures at a redirect hop name the hop's host, not the first one. */
static void test_failures_after_redirect(void)
{
	int holder;
	int port = closed_port(&holder);
	CHECK(port > 0);
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r1, r2;
	opts(&o, true);
	char url[256], want[256];
	snprintf(url, sizeof(url), "http://%s:%d/go", s.host, s.port);
	snprintf(s.redirect_to, sizeof(s.redirect_to), "http://nowhere.invalid/x.pdf");
	enum mtag_err e1 = fetch_url(&a, url, &o, &r1, NULL, NULL);
	snprintf(s.redirect_to, sizeof(s.redirect_to), "http://127.0.0.1:%d/x.pdf", port);
	enum mtag_err e2 = fetch_url(&a, url, &o, &r2, NULL, NULL);
	fts_stop(&s);
	close(holder);
	CHECK_INT(e1, ERR_UNAVAILABLE);
	CHECK_STR(r1.error, "download failed: cannot resolve host nowhere.invalid");
	CHECK_INT(e2, ERR_UNAVAILABLE);
	snprintf(want, sizeof(want), "download failed: connection refused by 127.0.0.1:%d", port);
	CHECK_STR(r2.error, want);
	arena_release(&a);
}

/* ---- input checks ---------------------------------------------------------------------- */

static void test_invalid_urls(void)
{
	static const struct {
		const char *url, *error;
	} cases[] = {
		{ "", "invalid URL: it is empty" },
		{ "not a url", "invalid URL: it must start with http:// or https://" },
		{ "example.com/x.pdf", "invalid URL: it must start with http:// or https://" },
		{ "ftp://x/y", "unsupported scheme: ftp" },
		{ "file:///etc/passwd", "unsupported scheme: file" },
		{ "gopher://127.0.0.1/", "unsupported scheme: gopher" },
		{ "http://user:pw@127.0.0.1/", "invalid URL: a user name or password is not allowed in it" },
		{ "https://user@127.0.0.1/", "invalid URL: a user name or password is not allowed in it" },
		{ "http://", "invalid URL: it has no host" },
		{ "http://127.0.0.1:99999/", "invalid URL: the port is not a number from 1 to 65535" },
		{ "http://exa mple.com/", "invalid URL: the host name is not valid" },
		{ "http://example.com/a b.pdf", "invalid URL: it contains characters that are not allowed" },
		{ "HTTP://user@example.com/", "invalid URL: a user name or password is not allowed in it" },
		{ "FTP://example.com/", "unsupported scheme: ftp" },
		{ "mailto:someone@example.com", "unsupported scheme: mailto" },
		{ "javascript:alert(1)", "unsupported scheme: javascript" },
		{ "example.com:8080/a.pdf", "invalid URL: it must start with http:// or https://" },
		{ "localhost:8080/a.pdf", "invalid URL: it must start with http:// or https://" },
		{ "http://b\xc3\xbc" "cher.example/x.pdf",
		  "invalid URL: the host name is not ASCII (write an international name in its xn-- form)" },
	};
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	opts(&o, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_result r;
		enum mtag_err e = fetch_url(&a, cases[i].url, &o, &r, NULL, NULL);
		if (e != ERR_VALIDATION || strcmp(r.error, cases[i].error) != 0)
			FAIL_AT("\"%s\": %d \"%s\", want \"%s\"", cases[i].url, e, r.error, cases[i].error);
	}
	char *big = malloc(9 * 1024 + 1);
	memcpy(big, "http://127.0.0.1/", 17);
	memset(big + 17, 'a', 9 * 1024 - 17);
	big[9 * 1024] = '\0';
	struct fetch_result r;
	enum mtag_err e = fetch_url(&a, big, &o, &r, NULL, NULL);
	free(big);
	CHECK_INT(e, ERR_VALIDATION);
	CHECK_STR(r.error, "invalid URL: it is longer than 8 KB");
	CHECK_INT(fetch_url(&a, NULL, &o, &r, NULL, NULL), ERR_VALIDATION);
	arena_release(&a);
}

/* http_proxy in the environment must not carry the request around the checks. */
static void test_env_proxy_ignored(void)
{
	struct fts_server s, proxy;
	CHECK(fts_start(&s, "127.0.0.1"));
	if (!fts_start(&proxy, "127.0.0.2")) {
		fts_stop(&s);
		FAIL_AT("cannot start the proxy");
	}
	char p[128];
	snprintf(p, sizeof(p), "http://127.0.0.2:%d", proxy.port);
	setenv("http_proxy", p, 1);
	setenv("HTTP_PROXY", p, 1);
	setenv("ALL_PROXY", p, 1);
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/ua", s.host, s.port);
	enum mtag_err e = fetch_url(&a, url, &o, &r, NULL, NULL);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	fts_stop(&s);
	fts_stop(&proxy);
	CHECK_INT(e, ERR_OK);
	CHECK_INT(atomic_load(&s.requests), 1);
	CHECK_INT(atomic_load(&proxy.connections), 0);
	arena_release(&a);
}

static void test_write_failure(void)
{
	struct fts_server s;
	CHECK(fts_start(&s, "127.0.0.1"));
	struct arena a = ARENA_INIT;
	struct fetch_options o;
	struct fetch_result r;
	opts(&o, true);
	char url[256];
	snprintf(url, sizeof(url), "http://%s:%d/file/x.pdf", s.host, s.port);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	enum mtag_err e = fetch_to_fd(&a, url, &o, fd, &r);
	close(fd);
	fts_stop(&s);
	CHECK_INT(e, ERR_IO);
	CHECK(strncmp(r.error, "cannot write the download: ", 27) == 0);
	arena_release(&a);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	RUN(test_classify);
	RUN(test_options_defaults);
	RUN(test_download);
	RUN(test_filename_rules);
	RUN(test_blocked_loopback);
	RUN(test_blocked_ipv6_loopback);
	RUN(test_blocked_after_connect);
	RUN(test_redirect_hop_blocked);
	RUN(test_policy_every_connection);
	RUN(test_redirect_limits);
	RUN(test_redirect_schemes);
	RUN(test_tls_to_plain_port);
	RUN(test_size_caps);
	RUN(test_gzip);
	RUN(test_timeout);
	RUN(test_connection_refused);
	RUN(test_http_404);
	RUN(test_dns_failure);
	RUN(test_failures_after_redirect);
	RUN(test_invalid_urls);
	RUN(test_env_proxy_ignored);
	RUN(test_write_failure);
	return unit_report("test_fetch");
}
