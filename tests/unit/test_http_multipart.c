/*
 * test_http_multipart.c - multipart/form-data routes on a real server
 * (127.0.0.1, port 0) with a private upload directory, spoken to over TCP
 * with bodies built by hand: files and fields arrive byte for byte (binary,
 * 3 MB in small writes, chunked, parts split across deliveries), file names
 * come through as sent, every limit answers with its sentence, Content-Type
 * and announced-size errors come before the body is read, and no temp file
 * outlives its request (success, refusal, malformed body, client gone).
 */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "http_client.h"
#include "http/http.h"
#include "base/xalloc.h"

#define MAX_FILE ((size_t)4 << 20)
#define MAX_FILES 3
#define BOUNDARY "XyZ-b0undary.42"
#define CT "multipart/form-data; boundary=" BOUNDARY
/* 3 files of 4 MB, 32 fields of 64 KB, 1 MB of slack. */
#define CAP_DETAIL "the upload is larger than 15 MB in total (at most 3 files of 4 MB each)"

static char updir[] = "/tmp/test_http_multipart_XXXXXX";

/* ---- what the handler saw (copied: the request's memory dies with it) ---- */

struct seen_file {
	char *field, *filename, *ctype; /* NULL as given */
	char *data;
	size_t len;
	uint64_t size;
	int mode;
	bool in_dir;
};

static struct {
	pthread_mutex_t lock;
	int calls;
	size_t nfields, nfiles, dir_files;
	char *names[HTTP_FORM_MAX_FIELDS], *values[HTTP_FORM_MAX_FIELDS];
	size_t value_len[HTTP_FORM_MAX_FIELDS];
	struct seen_file files[MAX_FILES];
	char *languages; /* http_form_field(req, "languages") */
	pthread_t guard_thread, handler_thread;
	bool guard_saw_form;
} seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Free what the handler copied (the lock held). */
static void seen_clear(void)
{
	for (size_t i = 0; i < seen.nfields; i++) {
		free(seen.names[i]);
		free(seen.values[i]);
	}
	for (size_t i = 0; i < seen.nfiles; i++) {
		struct seen_file *f = &seen.files[i];
		free(f->field);
		free(f->filename);
		free(f->ctype);
		free(f->data);
	}
	free(seen.languages);
	memset(seen.files, 0, sizeof(seen.files));
	seen.nfields = seen.nfiles = seen.dir_files = 0;
	seen.languages = NULL;
}

static void seen_reset(void)
{
	pthread_mutex_lock(&seen.lock);
	seen_clear();
	seen.calls = 0;
	pthread_mutex_unlock(&seen.lock);
}

static int dir_entries(void)
{
	DIR *d = opendir(updir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

/* Poll until the upload directory is empty (temp files go after the response is sent). */
static bool dir_empty_soon(void)
{
	for (int i = 0; i < 400; i++) {
		if (dir_entries() == 0)
			return true;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void copy_file(const struct http_upload *up, struct seen_file *f)
{
	f->field = dup_or_null(up->field);
	f->filename = dup_or_null(up->filename);
	f->ctype = dup_or_null(up->content_type);
	f->size = up->size;
	f->in_dir = strncmp(up->path, updir, strlen(updir)) == 0 && up->path[strlen(updir)] == '/';
	struct stat st;
	int fd = open(up->path, O_RDONLY | O_CLOEXEC);
	f->mode = -1;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	f->mode = (int)(st.st_mode & 0777);
	f->data = xmalloc((size_t)st.st_size + 1);
	ssize_t n;
	while (f->len < (size_t)st.st_size &&
	       (n = read(fd, f->data + f->len, (size_t)st.st_size - f->len)) > 0)
		f->len += (size_t)n;
	close(fd);
}

static void h_upload(struct http_request *req, struct http_response *res)
{
	pthread_mutex_lock(&seen.lock);
	seen_clear();
	seen.calls++;
	seen.handler_thread = pthread_self();
	const struct http_form *form = req->form;
	seen.nfields = form->nfields;
	for (size_t i = 0; i < form->nfields; i++) {
		seen.names[i] = xstrdup(form->fields[i].name);
		seen.values[i] = xstrdup(form->fields[i].value);
		seen.value_len[i] = strlen(form->fields[i].value);
	}
	seen.nfiles = form->nfiles;
	for (size_t i = 0; i < form->nfiles && i < MAX_FILES; i++)
		copy_file(&form->files[i], &seen.files[i]);
	seen.dir_files = (size_t)dir_entries();
	seen.languages = dup_or_null(http_form_field(req, "languages"));
	pthread_mutex_unlock(&seen.lock);
	http_respond_bytes(res, 200, "text/plain", "ok", 2);
}

static void h_json(struct http_request *req, struct http_response *res)
{
	http_respond_bytes(res, 200, "text/plain", req->form ? "form" : "no form", req->form ? 4 : 7);
}

static const struct http_route routes[] = {
	{ "POST", "/upload", h_upload, 0, false, HTTP_BODY_MULTIPART, false },
	{ "POST", "/offload", h_upload, 0, true, HTTP_BODY_MULTIPART, false },
	{ "POST", "/private", h_upload, 1, false, HTTP_BODY_MULTIPART, false },
	{ "POST", "/json", h_json, 0, false, HTTP_BODY_JSON, false },
};

/* auth 1 needs "X-Test-Key: open-sesame"; records where and when it ran. */
static bool guard(const struct http_route *route, struct http_request *req,
		  struct http_response *res)
{
	pthread_mutex_lock(&seen.lock);
	seen.guard_thread = pthread_self();
	seen.guard_saw_form = req->form != NULL;
	pthread_mutex_unlock(&seen.lock);
	const char *key = http_header(req, "X-Test-Key");
	if (route->auth == 1 && (!key || strcmp(key, "open-sesame") != 0)) {
		http_respond_error(res, ERR_UNAUTHORIZED, NULL);
		return false;
	}
	return true;
}

/* A server for uploads; per_ip: connections a client may hold (0: any). */
static struct http_server *start_limited(uint64_t max_file, int max_files, int per_ip)
{
	struct http_server_config cfg = {
		.host = "127.0.0.1", .threads = 2, .max_body = 1024, .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]), .guard = guard,
		.upload_dir = updir, .max_file_bytes = max_file, .max_files = max_files,
		.per_ip_limit = per_ip,
	};
	struct http_server *srv = NULL;
	char err[256] = "";
	if (http_server_start(&cfg, &srv, err, sizeof(err)) != ERR_OK)
		fprintf(stderr, "cannot start the test server: %s\n", err);
	return srv;
}

static struct http_server *start(uint64_t max_file, int max_files)
{
	return start_limited(max_file, max_files, 0);
}

/* ---- building and sending bodies ------------------------------------------ */

struct part {
	const char *name;     /* NULL: no name parameter */
	const char *filename; /* NULL: none */
	const char *ctype;    /* NULL: no Content-Type */
	const char *data;
	size_t len;
};

/* The multipart body of parts, closed unless open_end. OUT: *len (malloc'd). */
static char *build(const struct part *parts, size_t n, bool open_end, size_t *len)
{
	size_t cap = 256;
	for (size_t i = 0; i < n; i++)
		cap += 256 + parts[i].len + (parts[i].filename ? strlen(parts[i].filename) : 0);
	char *b = xmalloc(cap);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const struct part *p = &parts[i];
		o += (size_t)snprintf(b + o, cap - o, "--%s\r\nContent-Disposition: form-data", BOUNDARY);
		if (p->name)
			o += (size_t)snprintf(b + o, cap - o, "; name=\"%s\"", p->name);
		if (p->filename)
			o += (size_t)snprintf(b + o, cap - o, "; filename=\"%s\"", p->filename);
		if (p->ctype)
			o += (size_t)snprintf(b + o, cap - o, "\r\nContent-Type: %s", p->ctype);
		o += (size_t)snprintf(b + o, cap - o, "\r\n\r\n");
		memcpy(b + o, p->data, p->len);
		o += p->len;
		o += (size_t)snprintf(b + o, cap - o, "\r\n");
	}
	if (!open_end)
		o += (size_t)snprintf(b + o, cap - o, "--%s--\r\n", BOUNDARY);
	*len = o;
	return b;
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000L * 1000L };
	nanosleep(&ts, NULL);
}

/* How send_body() sends: the body in writes of piece bytes (0: one write), or
 * with cut, body[0..cut) and the rest 20 ms later; chunked: in chunks of piece. */
struct how {
	size_t piece, cut;
	bool chunked;
	const char *extra; /* more header lines */
	bool skip_wait;    /* send while another request's files are there */
};

/* A write of body[0..n), as a chunk when chunked. */
static bool send_piece(int fd, const char *body, size_t n, bool chunked)
{
	char line[32];
	snprintf(line, sizeof(line), "%zx\r\n", n);
	if (!chunked)
		return send_all(fd, body, n);
	return send_all(fd, line, strlen(line)) && send_all(fd, body, n) && send_all(fd, "\r\n", 2);
}

/* POST len bytes of body to path as how says, then read the response. */
static bool send_body(const char *path, const char *ctype, const char *body, size_t len,
		      struct how how, struct resp *r)
{
	/* The last request's files may be going still: the handler counts this one's. */
	if (!how.skip_wait)
		dir_empty_soon();
	int fd = connect_to(port);
	if (fd < 0)
		return false;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char head[512], cl[64];
	snprintf(cl, sizeof(cl), how.chunked ? "Transfer-Encoding: chunked" : "Content-Length: %zu",
		 len);
	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
		 "Content-Type: %s\r\n%s\r\n\r\n", path, how.extra ? how.extra : "", ctype, cl);
	bool ok = send_all(fd, head, strlen(head));
	if (how.cut) {
		ok = ok && send_piece(fd, body, how.cut, how.chunked);
		pause_ms(20);
		ok = ok && send_piece(fd, body + how.cut, len - how.cut, how.chunked);
	}
	for (size_t off = 0; ok && !how.cut && off < len;) {
		size_t n = how.piece && how.piece < len - off ? how.piece : len - off;
		ok = send_piece(fd, body + off, n, how.chunked);
		off += n;
	}
	if (how.chunked)
		ok = ok && send_all(fd, "0\r\n\r\n", 5);
	ok = ok && read_response(fd, r, false);
	close(fd);
	return ok;
}

static bool upload(const struct part *parts, size_t n, struct resp *r)
{
	size_t len;
	char *body = build(parts, n, false, &len);
	bool ok = send_body("/upload", CT, body, len, (struct how){ 0 }, r);
	free(body);
	return ok;
}

/* Content with CR LF, "--", a boundary prefix, NULs and high bytes (ends in CR). */
static const char BIN[] = "\0\1\2\r\n--XyZ-b0und\r\n\r\nx--" BOUNDARY "--\r\n\xff\xfe\r\n-\r\n--\r\n\r";
#define BIN_LEN (sizeof(BIN) - 1)

#define CHECK_FILE(f, want_field, want_name, want_data, want_len)               \
	do {                                                                    \
		CHECK_STR((f)->field, want_field);                             \
		CHECK_STR((f)->filename, want_name);                           \
		CHECK_INT((f)->size, want_len);                                \
		CHECK_INT((f)->len, want_len);                                 \
		CHECK(memcmp((f)->data, want_data, want_len) == 0);            \
		CHECK_INT((f)->mode, 0600);                                    \
		CHECK((f)->in_dir);                                            \
	} while (0)

/* ---- tests ------------------------------------------------------------------ */

static const struct part MIXED[] = {
	{ "languages", NULL, NULL, "en,es", 5 },
	{ "doc", "a.txt", "text/plain", "hello\r\nworld\n", 13 },
	{ "doc", "empty.txt", "text/plain", "", 0 }, /* empty parts followed by parts */
	{ "bin", "b.dat", "application/octet-stream", BIN, BIN_LEN },
	{ "blank", NULL, NULL, "", 0 },
	{ "max_tags", NULL, NULL, "7", 1 },
	{ "note", NULL, NULL, "", 0 },
};
#define NMIXED (sizeof(MIXED) / sizeof(MIXED[0]))

/* Check what the handler saw of MIXED. */
static void check_mixed(void)
{
	CHECK_INT(seen.calls, 1);
	CHECK_INT(seen.nfields, 4);
	CHECK_STR(seen.names[0], "languages");
	CHECK_STR(seen.values[0], "en,es");
	CHECK_STR(seen.names[1], "blank");
	CHECK_STR(seen.values[1], "");
	CHECK_STR(seen.names[2], "max_tags");
	CHECK_STR(seen.values[2], "7");
	CHECK_STR(seen.names[3], "note");
	CHECK_STR(seen.values[3], "");
	CHECK_STR(seen.languages, "en,es");
	CHECK_INT(seen.nfiles, 3);
	CHECK_FILE(&seen.files[0], "doc", "a.txt", "hello\r\nworld\n", 13);
	CHECK_STR(seen.files[0].ctype, "text/plain");
	CHECK_FILE(&seen.files[1], "doc", "empty.txt", "", 0);
	CHECK_FILE(&seen.files[2], "bin", "b.dat", BIN, BIN_LEN);
	CHECK_STR(seen.files[2].ctype, "application/octet-stream");
	CHECK_INT(seen.dir_files, 3);
	CHECK(!seen.guard_saw_form);
	CHECK(pthread_equal(seen.guard_thread, seen.handler_thread));
}

static void test_files_and_fields(void)
{
	struct resp r;
	seen_reset();
	CHECK(upload(MIXED, NMIXED, &r));
	CHECK_INT(r.status, 200);
	check_mixed();
	CHECK(dir_empty_soon());
}

/* The same body split in two deliveries at every interesting place. */
static void test_split_deliveries(void)
{
	size_t len;
	char *body = build(MIXED, NMIXED, false, &len);
	size_t cuts[64], ncuts = 0;
	for (size_t i = 0; i + 4 <= len && ncuts + 6 <= 64; i++) {
		if (memcmp(body + i, "\r\n\r\n", 4) == 0) { /* end of a part's headers */
			cuts[ncuts++] = i + 3;
			cuts[ncuts++] = i + 4;
			cuts[ncuts++] = i + 5;
		}
		if (i >= 2 && memcmp(body + i, "--" BOUNDARY, 4) == 0) { /* a delimiter */
			cuts[ncuts++] = i - 1;
			cuts[ncuts++] = i + 1;
			cuts[ncuts++] = i + 6;
		}
	}
	for (size_t c = 0; c < ncuts; c++) {
		struct resp r;
		if (!dir_empty_soon())
			break;
		seen_reset();
		bool ok = send_body("/upload", CT, body, len, (struct how){ .cut = cuts[c] }, &r);
		if (!ok || r.status != 200) {
			free(body);
			FAIL_AT("cut at %zu: ok=%d status=%d %s", cuts[c], ok, r.status, r.body);
		}
		check_mixed();
		if (unit_current_failed)
			fprintf(stderr, "  (cut at %zu of %zu)\n", cuts[c], len);
		if (unit_current_failed)
			break;
	}
	free(body);
	CHECK(ncuts >= 20);
	CHECK(dir_empty_soon());
}

/* MAX_FILE + 1 pseudo-random bytes with near-delimiters; tests send prefixes of it. */
static char *bigbuf;

static char *big_data(size_t n)
{
	char *d = xmalloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (char)(x >> 16);
		if (i % 4099 == 0 && i + 2 + sizeof(BOUNDARY) < n) { /* near-delimiters */
			memcpy(d + i, "\r\n--XyZ-b0und", 13);
			i += 12;
		}
	}
	return d;
}

/* 3 MB in 1371-byte writes with a Content-Length, then in 1777-byte chunks. */
static void test_big_file(void)
{
	size_t n = 3 * 1000 * 1000;
	struct part parts[] = { { "doc", "big.bin", "application/pdf", bigbuf, n },
				{ "languages", NULL, NULL, "de", 2 } };
	size_t len;
	char *body = build(parts, 2, false, &len);
	for (int chunked = 0; chunked < 2 && !unit_current_failed; chunked++) {
		struct resp r;
		seen_reset();
		struct how how = { .piece = chunked ? 1777 : 1371, .chunked = chunked };
		bool ok = send_body("/upload", CT, body, len, how, &r);
		if (!ok || r.status != 200 || seen.nfiles != 1) {
			free(body);
			FAIL_AT("chunked=%d: ok=%d status=%d nfiles=%zu", chunked, ok, r.status,
				seen.nfiles);
		}
		CHECK_FILE(&seen.files[0], "doc", "big.bin", bigbuf, n);
		CHECK_STR(seen.files[0].ctype, "application/pdf");
		CHECK_STR(seen.languages, "de");
		CHECK(dir_empty_soon());
	}
	free(body);
}

static void test_file_names_as_sent(void)
{
	static const char *names[] = {
		"r\xc3\xa9sum\xc3\xa9 \xe5\xb1\xa5\xe6\xad\xb4\xe6\x9b\xb8.pdf",
		"say %22hi%22.txt", /* how browsers send a quote */
		"../../etc/passwd",
	};
	const char *const read[] = { names[0], "say \"hi\".txt", names[2] };
	struct part parts[] = { { "a", names[0], NULL, "1", 1 },
				{ "b", names[1], NULL, "2", 1 },
				{ "c", names[2], NULL, "3", 1 } };
	struct resp r;
	seen_reset();
	CHECK(upload(parts, 3, &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.nfiles, 3);
	for (size_t i = 0; i < 3; i++)
		CHECK_STR(seen.files[i].filename, read[i]);

	/* A part is a file with a filename (even "") or a non-text Content-Type. */
	struct part more[] = { { "d", "C:\\fakepath\\it's; name=x.pdf", NULL, "4", 1 },
			       { "e", NULL, "application/pdf", "%PDF", 4 },
			       { "f", "", NULL, "", 0 },
			       { "g", NULL, "text/plain; charset=utf-8", "text", 4 } };
	seen_reset();
	CHECK(upload(more, 4, &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.nfiles, 3);
	CHECK_FILE(&seen.files[0], "d", "C:\\fakepath\\it's; name=x.pdf", "4", 1);
	CHECK_STR(seen.files[1].field, "e");
	CHECK(seen.files[1].filename == NULL);
	CHECK_STR(seen.files[1].ctype, "application/pdf");
	CHECK_INT(seen.files[1].size, 4);
	CHECK_FILE(&seen.files[2], "f", "", "", 0);
	CHECK_INT(seen.nfields, 1);
	CHECK_STR(seen.values[0], "text");
	CHECK(dir_empty_soon());
}

/*
 * RFC 2045 quoted-strings: curl sends -F 'f=@x;filename=a\"b,c.txt' as
 * filename="a\"b,c.txt" (libmicrohttpd alone read "a\"); a backslash before
 * anything but '"' or '\\' is a character (Windows paths, above); a quote
 * never closed leaves what libmicrohttpd read; a token is a name too. Sent
 * whole and 5 bytes at a time, so headers cross deliveries.
 */
static void test_file_names_escaped(void)
{
	struct part parts[] = { { "a\\\"q", "a\\\"b,c.txt", NULL, "1", 1 },
				{ "b", "back\\\\slash; x=\\\".txt", NULL, "2", 1 },
				{ "c", "ends in\\", NULL, "3", 1 } };
	static const char token[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=d; "
				    "filename=plain.txt\r\n\r\n4\r\n--" BOUNDARY "--\r\n";
	for (size_t piece = 0; piece <= 5; piece += 5) {
		size_t len;
		char *body = build(parts, 3, false, &len);
		struct resp r;
		seen_reset();
		CHECK(send_body("/upload", CT, body, len, (struct how){ .piece = piece }, &r));
		free(body);
		CHECK_INT(r.status, 200);
		CHECK_INT(seen.nfiles, 3);
		CHECK_FILE(&seen.files[0], "a\"q", "a\"b,c.txt", "1", 1);
		CHECK_FILE(&seen.files[1], "b", "back\\slash; x=\".txt", "2", 1);
		CHECK_FILE(&seen.files[2], "c", "ends in\\", "3", 1);

		seen_reset();
		CHECK(send_body("/upload", CT, token, strlen(token), (struct how){ .piece = piece }, &r));
		CHECK_INT(r.status, 200);
		CHECK_INT(seen.nfiles, 1);
		CHECK_FILE(&seen.files[0], "d", "plain.txt", "4", 1);
	}
	/* A browser writes '"', CR and LF in names as %22, %0D and %0A (the HTML standard), and
	 * leaves any other % as it is. */
	struct part browser[] = { { "q%22", "%22x%22 100%.txt", NULL, "5", 1 } };
	size_t len;
	char *body = build(browser, 1, false, &len);
	struct resp r;
	seen_reset();
	CHECK(send_body("/upload", CT, body, len, (struct how){ 0 }, &r));
	free(body);
	CHECK_INT(r.status, 200);
	CHECK_FILE(&seen.files[0], "q\"", "\"x\" 100%.txt", "5", 1);
	CHECK(dir_empty_soon());
}

static void test_file_too_large(void)
{
	const char *data = bigbuf;
	struct resp r;
	/* Exactly the cap is fine. */
	struct part exact[] = { { "doc", "exact.bin", NULL, data, MAX_FILE } };
	seen_reset();
	CHECK(upload(exact, 1, &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.files[0].size, MAX_FILE);
	CHECK(dir_empty_soon());

	/* One byte more: 413, and not even the first, good file is left. */
	struct part over[] = { { "a", "ok.txt", NULL, "fine", 4 },
			       { "doc", "big.bin", NULL, data, MAX_FILE + 1 } };
	seen_reset();
	bool ok = upload(over, 2, &r);
	int left = dir_entries();
	CHECK(ok);
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"file 'big.bin' is larger than 4 MB\",\"code\":\"too_large\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK_INT(left, 0);
	CHECK_INT(seen.calls, 0);

	/* The client's name is cut to its last component, made printable and short. */
	const char *evil = "dir/sub\\<b>r\xc3\xa9sum\xc3\xa9\xe2\x80\xae'x'\x7f\xff and a long tail that goes on.pdf";
	struct part named[] = { { "doc", evil, NULL, data, MAX_FILE + 1 } };
	CHECK(upload(named, 1, &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"file '?b?r\xc3\xa9sum\xc3\xa9??x??? and a long tail that goe...' "
			  "is larger than 4 MB\",\"code\":\"too_large\"}");
	CHECK_INT(dir_entries(), 0);
}

static void test_too_many(void)
{
	struct part files[] = { { "a", "1", NULL, "1", 1 }, { "a", "2", NULL, "2", 1 },
				{ "a", "3", NULL, "3", 1 }, { "a", "4", NULL, "4", 1 } };
	struct resp r;
	seen_reset();
	CHECK(upload(files, 4, &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"more than 3 files\",\"code\":\"too_large\"}");
	CHECK_INT(dir_entries(), 0);

	struct part fields[HTTP_FORM_MAX_FIELDS + 1];
	for (size_t i = 0; i <= HTTP_FORM_MAX_FIELDS; i++)
		fields[i] = (struct part){ "f", NULL, NULL, "v", 1 };
	CHECK(upload(fields, HTTP_FORM_MAX_FIELDS, &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.nfields, HTTP_FORM_MAX_FIELDS);
	CHECK(upload(fields, HTTP_FORM_MAX_FIELDS + 1, &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"more than 32 form fields\",\"code\":\"too_large\"}");

	static char value[HTTP_FORM_FIELD_MAX + 1];
	memset(value, 'v', sizeof(value));
	struct part big[] = { { "big", NULL, NULL, value, HTTP_FORM_FIELD_MAX } };
	seen_reset();
	CHECK(upload(big, 1, &r));
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.value_len[0], HTTP_FORM_FIELD_MAX);
	big[0].len++;
	CHECK(upload(big, 1, &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"field 'big' is larger than 64 KB\",\"code\":\"too_large\"}");
	CHECK(dir_empty_soon());
}

/* Headers only, announcing a body that is never sent: the answer must come anyway. */
static bool headers_only(const char *path, const char *ctype_line, const char *length,
			 struct resp *r)
{
	char raw[1024];
	snprintf(raw, sizeof(raw), "POST %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %s\r\n\r\n",
		 path, ctype_line, length);
	return roundtrip(raw, r);
}

static void test_content_type(void)
{
	struct resp r;
	CHECK(headers_only("/upload", "Content-Type: application/json\r\n", "100", &r));
	CHECK_INT(r.status, 415);
	CHECK_STR(r.body, "{\"detail\":\"the body must be multipart/form-data (Content-Type: "
			  "multipart/form-data; boundary=...)\",\"code\":\"unsupported_media_type\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK(headers_only("/upload", "", "100", &r));
	CHECK_INT(r.status, 415);
	CHECK(headers_only("/upload", "Content-Type: multipart/mixed; boundary=a\r\n", "100", &r));
	CHECK_INT(r.status, 415);
	/* No boundary: 415 too (the Content-Type is unusable; the body is never looked at). */
	CHECK(headers_only("/upload", "Content-Type: multipart/form-data\r\n", "100", &r));
	CHECK_INT(r.status, 415);
	CHECK_STR(r.body, "{\"detail\":\"the multipart/form-data Content-Type has no boundary "
			  "parameter\",\"code\":\"unsupported_media_type\"}");
	CHECK(headers_only("/upload", "Content-Type: multipart/form-data; boundary=\r\n", "100", &r));
	CHECK_INT(r.status, 415);
	CHECK(headers_only("/upload", "Content-Type: multipart/form-data; boundary=a; x=y\r\n",
			   "100", &r));
	CHECK_INT(r.status, 415);
	CHECK(strstr(r.body, "the last parameter of Content-Type") != NULL);

	/* Quoted boundary and any case of the media type are fine. */
	size_t len;
	char *body = build(MIXED, 1, false, &len);
	CHECK(send_body("/upload", "Multipart/Form-Data; boundary=\"" BOUNDARY "\"", body, len,
			(struct how){ 0 }, &r));
	free(body);
	CHECK_INT(r.status, 200);
	/* A JSON route has no form. */
	CHECK(post("/json", "application/json", "{}", &r));
	CHECK_STR(r.body, "no form");
}

static void test_announced_too_large(void)
{
	struct resp r;
	CHECK(headers_only("/upload", "Content-Type: " CT "\r\n", "15728641", &r));
	CHECK_INT(r.status, 413);
	CHECK_STR(r.body, "{\"detail\":\"" CAP_DETAIL "\",\"code\":\"too_large\"}");
	CHECK_HEADER(&r, "Connection", "close");
	CHECK(headers_only("/upload", "Content-Type: " CT "\r\nExpect: 100-continue\r\n",
			   "99999999999", &r));
	CHECK_INT(r.status, 413);
	CHECK_INT(dir_entries(), 0);
}

/* POST raw as the body; the status and detail. */
static void expect_400(const char *raw, size_t len, const char *detail)
{
	struct resp r;
	CHECK(send_body("/upload", CT, raw, len, (struct how){ 0 }, &r));
	CHECK_INT(r.status, 400);
	char want[512];
	snprintf(want, sizeof(want), "{\"detail\":\"%s\",\"code\":\"bad_request\"}", detail);
	CHECK_STR(r.body, want);
	CHECK_INT(dir_entries(), 0);
}

static void test_malformed(void)
{
	size_t len;
	char *cut = build(MIXED, NMIXED, true, &len); /* no closing delimiter */
	seen_reset();
	expect_400(cut, len, "malformed multipart body: it ends before its closing boundary");
	expect_400(cut, len - 40, "malformed multipart body: it ends before its closing boundary");
	free(cut);
	expect_400("no boundary anywhere in here", 28, "malformed multipart body: it has no part");
	expect_400("", 0, "malformed multipart body: it has no part");
	const char *noname = "--" BOUNDARY "\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\n"
			     "x\r\n--" BOUNDARY "--\r\n";
	expect_400(noname, strlen(noname), "malformed multipart body: a part has no name");
	const char *junk = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"a\"; "
			   "filename=\"a\"\r\n\r\nvalue\r\n--" BOUNDARY "Xjunk\r\n";
	expect_400(junk, strlen(junk), "malformed multipart body");
	/* RFC 7578 forbids nested multipart/mixed; its parts cannot be told apart here. */
	const char *nested = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"files\"\r\n"
			     "Content-Type: multipart/mixed; boundary=NeSt\r\n\r\n"
			     "--NeSt\r\nContent-Disposition: file; filename=\"f1.txt\"\r\n\r\none\r\n"
			     "--NeSt\r\nContent-Disposition: file; filename=\"f2.txt\"\r\n\r\ntwo\r\n"
			     "--NeSt--\r\n--" BOUNDARY "--\r\n";
	expect_400(nested, strlen(nested), "malformed multipart body");
	CHECK_INT(seen.calls, 0);
}

/*
 * RFC 2046: an epilogue may follow the close delimiter and is ignored, even
 * one that looks like another part; the close delimiter may end the body
 * without CR LF. Sent whole and in two pieces cut around the close.
 */
static void test_epilogue(void)
{
	static const char *const tails[] = {
		"", "a short epilogue\r\n",
		"\r\n--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"evil\"\r\n\r\nx\r\n",
	};
	size_t len;
	char *body = build(MIXED, NMIXED, false, &len);
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		for (int crlf = 0; crlf < 2; crlf++) {
			if (!crlf && *tails[t])
				continue; /* without CR LF only at the body's end */
			size_t n = len - (crlf ? 0 : 2) + strlen(tails[t]);
			char *b = xmalloc(n + 1);
			memcpy(b, body, len - (crlf ? 0 : 2));
			memcpy(b + len - (crlf ? 0 : 2), tails[t], strlen(tails[t]) + 1);
			for (size_t cut = 0; cut < 10 && (!cut || len - 9 + cut < n); cut++) {
				struct resp r;
				seen_reset();
				struct how how = { .cut = cut ? len - 9 + cut : 0 }; /* around the close */
				CHECK(send_body("/upload", CT, b, n, how, &r));
				if (r.status != 200) {
					FAIL_AT("tail %zu crlf %d cut %zu: status %d %s", t, crlf, cut,
						r.status, r.body);
					break;
				}
				check_mixed();
				if (unit_current_failed)
					break;
			}
			free(b);
		}
	}
	free(body);
	CHECK(dir_empty_soon());
}

static void test_guard_first(void)
{
	struct resp r;
	/* Refused before the body is read (it is never sent). */
	CHECK(headers_only("/private", "Content-Type: " CT "\r\n", "1000", &r));
	CHECK_INT(r.status, 401);
	CHECK_HEADER(&r, "Connection", "close");
	size_t len;
	char *body = build(MIXED, 2, false, &len);
	seen_reset();
	bool ok = send_body("/private", CT, body, len,
			    (struct how){ .extra = "X-Test-Key: open-sesame\r\n" }, &r);
	free(body);
	CHECK(ok);
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.nfiles, 1);
	CHECK(dir_empty_soon());
}

static void test_offload(void)
{
	size_t len;
	char *body = build(MIXED, NMIXED, false, &len);
	struct resp r;
	seen_reset();
	CHECK(send_body("/offload", CT, body, len, (struct how){ .piece = 100 }, &r));
	free(body);
	CHECK_INT(r.status, 200);
	CHECK_INT(seen.nfiles, 3);
	CHECK_FILE(&seen.files[2], "bin", "b.dat", BIN, BIN_LEN);
	CHECK_INT(seen.dir_files, 3);
	/* Guard on the event loop at headers time, handler on the offload pool. */
	CHECK(!pthread_equal(seen.guard_thread, seen.handler_thread));
	CHECK(dir_empty_soon());
}

static void test_client_leaves(void)
{
	size_t n = 2 << 20;
	struct part parts[] = { { "doc", "gone.bin", NULL, bigbuf, n } };
	size_t len;
	char *body = build(parts, 1, false, &len);
	int fd = connect_to(port);
	char head[512];
	snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: " CT
		 "\r\nContent-Length: %zu\r\n\r\n", len);
	bool ok = fd >= 0 && send_all(fd, head, strlen(head)) && send_all(fd, body, len / 2);
	bool appeared = false;
	for (int i = 0; ok && i < 400 && !appeared; i++) {
		appeared = dir_entries() == 1;
		pause_ms(5);
	}
	if (fd >= 0)
		close(fd);
	free(body);
	CHECK(ok);
	CHECK(appeared);
	CHECK(dir_empty_soon());
}

/* The bytes of the temp files in the upload directory. */
static size_t dir_bytes(void)
{
	DIR *d = opendir(updir);
	size_t n = 0;
	char path[512];
	struct stat st;
	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(path, sizeof(path), "%s/%s", updir, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &st) == 0)
			n += (size_t)st.st_size;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * A client's uploads on disk at once are at most one whole request's worth
 * (4 MB of file, 2 MB of fields, 1 MB: 7 MB here): an upload held unfinished
 * (3.75 MB) and a second one of 3.75 MB from the same address is refused (a
 * client kept hundreds open, each near the cap, and filled the disk); once
 * the first goes, the second is taken.
 */
static void test_uploads_at_once_per_client(void)
{
	struct http_server *srv = start_limited(4 << 20, 1, 8);
	CHECK(srv != NULL);
	int saved = port;
	port = http_server_port(srv);
	size_t n = (15 << 20) / 4, len;
	struct part parts[] = { { "doc", "half.bin", NULL, bigbuf, n } };
	char *body = build(parts, 1, false, &len);
	int held = connect_to(port);
	char head[512];
	snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: " CT
		 "\r\nContent-Length: %zu\r\n\r\n", len + 1);
	bool ok = held >= 0 && send_all(held, head, strlen(head)) && send_all(held, body, len);
	for (int i = 0; ok && i < 1000 && dir_bytes() < n; i++)
		pause_ms(5);
	CHECK(ok && dir_bytes() >= n);
	struct resp r;
	CHECK(send_body("/upload", CT, body, len, (struct how){ .skip_wait = true }, &r));
	CHECK_INT(r.status, 429);
	CHECK(strstr(r.body, "too many uploads from this address at once") != NULL);
	if (held >= 0)
		close(held);
	CHECK(dir_empty_soon());
	seen_reset();
	CHECK(send_body("/upload", CT, body, len, (struct how){ 0 }, &r));
	CHECK_INT(r.status, 200);
	free(body);
	http_server_stop(srv, 1000);
	port = saved;
}

/* A chunked upload with no Content-Length to check: the total cap, then the drop limit. */
static void test_chunked_over_cap(void)
{
	struct http_server *srv = start(64 * 1024, 1);
	CHECK(srv != NULL);
	int saved = port;
	port = http_server_port(srv);
	static char junk[16384];
	memset(junk, 'j', sizeof(junk)); /* preamble: MHD skips it looking for a boundary */
	size_t sent[2] = { 0, 0 }, totals[2] = { 5u << 20, 64u << 20 };
	struct resp r[2];
	bool answered[2] = { false, false };
	for (int t = 0; t < 2; t++) {
		int fd = connect_to(port);
		const char *head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: " CT "\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
		bool open = fd >= 0 && send_all(fd, head, strlen(head));
		while (open && sent[t] < totals[t]) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			if (poll(&pfd, 1, 0) > 0)
				break;
			open = send_piece(fd, junk, sizeof(junk), true);
			sent[t] += open ? sizeof(junk) : 0;
		}
		if (open && sent[t] >= totals[t])
			send_all(fd, "0\r\n\r\n", 5);
		answered[t] = fd >= 0 && read_response(fd, &r[t], false);
		if (fd >= 0)
			close(fd);
	}
	http_server_stop(srv, 1000);
	port = saved;
	CHECK(answered[0]);
	CHECK_INT(r[0].status, 413);
	CHECK_STR(r[0].body, "{\"detail\":\"the upload is larger than 3136 KB in total (at most 1 "
			     "file of 64 KB each)\",\"code\":\"too_large\"}");
	if (answered[1])
		CHECK_INT(r[1].status, 413);
	if (sent[1] >= (32u << 20))
		FAIL_AT("the server read %zu bytes of an upload over its cap", sent[1]);
}

static void test_start_errors(void)
{
	struct http_server_config cfg = { .host = "127.0.0.1", .threads = 1, .routes = routes,
					  .nroutes = 1, .upload_dir = "/nonexistent/uploads" };
	struct http_server *srv = NULL;
	char err[256] = "";
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_VALIDATION);
	CHECK(srv == NULL);
	CHECK(strstr(err, "the upload directory /nonexistent/uploads cannot be written") == err);
	/* Without a multipart route the directory does not matter. */
	cfg.routes = routes + 3;
	CHECK_INT(http_server_start(&cfg, &srv, err, sizeof(err)), ERR_OK);
	http_server_stop(srv, 1000);
}

int main(void)
{
	if (!mkdtemp(updir))
		return 1;
	bigbuf = big_data(MAX_FILE + 1);
	struct http_server *srv = start(MAX_FILE, MAX_FILES);
	if (!srv)
		return 1;
	port = http_server_port(srv);
	RUN(test_files_and_fields);
	RUN(test_split_deliveries);
	RUN(test_big_file);
	RUN(test_file_names_as_sent);
	RUN(test_file_names_escaped);
	RUN(test_file_too_large);
	RUN(test_too_many);
	RUN(test_content_type);
	RUN(test_announced_too_large);
	RUN(test_malformed);
	RUN(test_epilogue);
	RUN(test_guard_first);
	RUN(test_offload);
	RUN(test_client_leaves);
	RUN(test_chunked_over_cap);
	RUN(test_uploads_at_once_per_client);
	RUN(test_start_errors);
	http_server_stop(srv, 1000);
	seen_reset();
	free(bigbuf);
	int left = dir_entries();
	rmdir(updir);
	if (left)
		fprintf(stderr, "FAIL: %d temp files left in %s\n", left, updir);
	return unit_report("test_http_multipart") || left;
}
