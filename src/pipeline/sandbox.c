/*
 * sandbox.c - the helper processes of sandbox.h: the parent's pool (spawn,
 * request, timeout, replace) and the helper's loop.
 *
 * Wire format, both ways: a 4-byte big-endian length, then that many bytes of
 * JSON. Two kinds of request:
 *   extract (no "kind", as before): {"path_hex", "max_pages", "max_text", "cpu_s"};
 *     answer {"ok": true, "type", "mime", "text", "pages", "truncated",
 *     "title", ...}
 *   sheet: {"kind": "sheet", "path_hex", "column", "max_rows", "max_cell",
 *     "max_member", "max_file", "cpu_s"}; answer {"ok": true, "format",
 *     "column", "rows": [[row, value], ...], "blank", "duplicates"};
 *     without "column", the header row only: answer {"ok": true, "format",
 *     "headers": [name, ...]}
 * and for both the failure {"ok": false, "code", "error"}. A file's path is
 * sent as hex: a name need not be UTF-8, and JSON's strings must be.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/log.h"
#include "pipeline/sandbox.h"
#include "base/xalloc.h"

extern char **environ;

#define SANDBOX_PROCS_MAX 64
#define REQUEST_MAX (64 * 1024)
/* A sheet answer: at most 64 MB of text (sheet_int.h), each byte escaped to at most 6. */
#define SHEET_ANSWER_MAX ((size_t)448 << 20)
/* A header row: at most 1024 names of 256 bytes (sheet.h), each byte escaped to at most 6. */
#define HEADERS_ANSWER_MAX ((size_t)2 << 20)
#define HELPER_NOFILE 16

struct helper {
	pid_t pid;   /* 0 when not running */
	int fd;      /* our end of the socketpair */
	int docs;    /* documents served */
	bool busy;
};

/* A helper to start, handed to the spawner thread. */
struct spawn {
	struct helper *h;
	char *err;
	size_t errlen;
	enum mtag_err e; /* OUT */
	bool done;
};

struct sandbox {
	struct sandbox_options o;
	char exe[4096];
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct helper helpers[SANDBOX_PROCS_MAX];
	/*
	 * Helpers are started by a thread of the sandbox's own, which lives as long
	 * as it: a helper's PR_SET_PDEATHSIG fires when the thread that started it
	 * ends, and the threads that ask for helpers (the HTTP offload pool's, the
	 * workers) end before the sandbox at a stop - the pool's ending had killed
	 * helpers that workers were using ("the helper process crashed (KILL)").
	 */
	pthread_t spawner;
	bool spawner_running;
	bool spawner_stop;          /* under spawn_lock */
	pthread_mutex_t spawn_lock;
	pthread_cond_t spawn_wake;  /* a request came, or the stop */
	pthread_cond_t spawn_done;  /* a request was served, or the slot is free */
	struct spawn *request;      /* the one being asked for, or NULL */
};

static enum mtag_err helper_spawn_here(struct sandbox *sb, struct helper *h, char *err,
				       size_t errlen);

static void *spawner_main(void *arg)
{
	struct sandbox *sb = arg;
	pthread_mutex_lock(&sb->spawn_lock);
	for (;;) {
		while (!sb->request && !sb->spawner_stop)
			pthread_cond_wait(&sb->spawn_wake, &sb->spawn_lock);
		if (!sb->request)
			break;
		struct spawn *sp = sb->request;
		pthread_mutex_unlock(&sb->spawn_lock);
		sp->e = helper_spawn_here(sb, sp->h, sp->err, sp->errlen);
		pthread_mutex_lock(&sb->spawn_lock);
		sp->done = true;
		sb->request = NULL;
		pthread_cond_broadcast(&sb->spawn_done);
	}
	pthread_mutex_unlock(&sb->spawn_lock);
	return NULL;
}

/* Start a helper in slot h, on the spawner thread (on this one when there is none). */
static enum mtag_err helper_spawn(struct sandbox *sb, struct helper *h, char *err, size_t errlen)
{
	if (!sb->spawner_running)
		return helper_spawn_here(sb, h, err, errlen);
	struct spawn sp = { h, err, errlen, ERR_OK, false };
	pthread_mutex_lock(&sb->spawn_lock);
	while (sb->request)
		pthread_cond_wait(&sb->spawn_done, &sb->spawn_lock);
	sb->request = &sp;
	pthread_cond_signal(&sb->spawn_wake);
	while (!sp.done)
		pthread_cond_wait(&sb->spawn_done, &sb->spawn_lock);
	pthread_mutex_unlock(&sb->spawn_lock);
	return sp.e;
}

void sandbox_options_init(struct sandbox_options *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	o->exe = NULL;
	o->procs = n < 1 ? 1 : n > SANDBOX_PROCS_MAX ? SANDBOX_PROCS_MAX : (int)n;
	o->timeout_s = 60;
	o->max_docs = 100;
	o->mem_limit_mb = 2048;
}

struct sandbox *sandbox_new(const struct sandbox_options *o)
{
	struct sandbox *sb = xcalloc(1, sizeof(*sb));
	sb->o = *o;
	if (sb->o.procs < 1)
		sb->o.procs = 1;
	if (sb->o.procs > SANDBOX_PROCS_MAX)
		sb->o.procs = SANDBOX_PROCS_MAX;
	if (o->exe) {
		snprintf(sb->exe, sizeof(sb->exe), "%s", o->exe);
	} else {
		ssize_t n = readlink("/proc/self/exe", sb->exe, sizeof(sb->exe) - 1);
		sb->exe[n > 0 ? n : 0] = '\0';
	}
	pthread_mutex_init(&sb->lock, NULL);
	pthread_cond_init(&sb->freed, NULL);
	pthread_mutex_init(&sb->spawn_lock, NULL);
	pthread_cond_init(&sb->spawn_wake, NULL);
	pthread_cond_init(&sb->spawn_done, NULL);
	sb->spawner_running = pthread_create(&sb->spawner, NULL, spawner_main, sb) == 0;
	if (!sb->spawner_running)
		log_warn("sandbox.no_spawner", "helpers start on the threads that ask for them:"
			 " one dies with its thread");
	return sb;
}

/* Kill and reap a helper; the slot is free to be respawned. */
static void helper_stop(struct helper *h, bool kill_it)
{
	if (!h->pid)
		return;
	if (kill_it)
		kill(h->pid, SIGKILL);
	close(h->fd);
	int status;
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
	h->fd = -1;
	h->docs = 0;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	/* Closing the socket ends a helper's loop; the kill is for a stuck one. */
	for (int i = 0; i < sb->o.procs; i++)
		helper_stop(&sb->helpers[i], true);
	if (sb->spawner_running) {
		pthread_mutex_lock(&sb->spawn_lock);
		sb->spawner_stop = true;
		pthread_cond_signal(&sb->spawn_wake);
		pthread_mutex_unlock(&sb->spawn_lock);
		pthread_join(sb->spawner, NULL);
	}
	pthread_cond_destroy(&sb->spawn_done);
	pthread_cond_destroy(&sb->spawn_wake);
	pthread_mutex_destroy(&sb->spawn_lock);
	pthread_cond_destroy(&sb->freed);
	pthread_mutex_destroy(&sb->lock);
	free(sb);
}

static enum mtag_err helper_spawn_here(struct sandbox *sb, struct helper *h, char *err,
				       size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "extraction unavailable: socketpair: %s", strerror(errno));
		return ERR_UNAVAILABLE;
	}
	char mem[32], level[64];
	snprintf(mem, sizeof(mem), "%d", sb->o.mem_limit_mb);
	snprintf(level, sizeof(level), "MTAG_LOG_LEVEL=%s", log_level_name(log_get_level()));
	char *argv[] = { sb->exe, "extract-helper", "--mem-mb", mem, NULL };
	char *envp[] = { level, "LC_ALL=C.UTF-8", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	/* Nothing else of ours (sockets, database connections) reaches the helper. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid;
	int rc = posix_spawn(&pid, sb->exe, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		snprintf(err, errlen, "extraction unavailable: cannot start %s: %s", sb->exe, strerror(rc));
		return ERR_UNAVAILABLE;
	}
	h->pid = pid;
	h->fd = sv[0];
	h->docs = 0;
	log_debug("sandbox.spawn", "pid=%d", (int)pid);
	return ERR_OK;
}

static bool write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool write_frame(int fd, const char *data, size_t n)
{
	unsigned char hdr[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };
	return write_all(fd, hdr, 4) && write_all(fd, data, n);
}

/*
 * Read exactly n bytes before deadline_us (monotonic; 0 = no deadline).
 * 1 ok, 0 end of file, -1 error, -2 timeout.
 */
static int read_exact(int fd, void *buf, size_t n, int64_t deadline_us)
{
	char *p = buf;
	while (n) {
		if (deadline_us) {
			int64_t left = deadline_us - clock_mono_us();
			if (left <= 0)
				return -2;
			struct pollfd pfd = { fd, POLLIN, 0 };
			int pr = poll(&pfd, 1, (int)(left / 1000) + 1);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0)
				return -2;
		}
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

/* Read one frame of at most max bytes into a NUL-terminated buffer (free() it). Codes as read_exact; -3 too big. */
static int read_frame(int fd, size_t max, int64_t deadline_us, char **out, size_t *len)
{
	unsigned char hdr[4];
	int rc = read_exact(fd, hdr, 4, deadline_us);
	if (rc != 1)
		return rc;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > max)
		return -3;
	char *buf = xmalloc(n + 1);
	rc = read_exact(fd, buf, n, deadline_us);
	if (rc != 1) {
		free(buf);
		return rc == 0 ? -1 : rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 1;
}

/* ---- the helper's side ---------------------------------------------------- */

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };
	setrlimit(resource, &rl);
}

/* Limits that hold for the helper's whole life. */
static void helper_limits(long mem_mb)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the server */
	/* Extraction is background work: below the server's threads (event loops, workers
	 * waiting on us), whichever thread started us. */
	errno = 0;
	int prio = getpriority(PRIO_PROCESS, 0);
	if (!errno)
		setpriority(PRIO_PROCESS, 0, prio + 5 > 19 ? 19 : prio + 5);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	set_limit(RLIMIT_CORE, 0, 0);
	set_limit(RLIMIT_FSIZE, 0, 0);
	/* Past RLIMIT_FSIZE a write raises SIGXFSZ: ignored, it fails with EFBIG instead, so a
	 * log line to a stderr that is a regular file is lost rather than killing the helper. */
	signal(SIGXFSZ, SIG_IGN);
	set_limit(RLIMIT_NOFILE, HELPER_NOFILE, HELPER_NOFILE);
#if !defined(__SANITIZE_ADDRESS__)
	if (mem_mb > 0)
		set_limit(RLIMIT_AS, (rlim_t)mem_mb << 20, (rlim_t)mem_mb << 20);
#else
	(void)mem_mb;
#endif
}

/* Allow cpu_s more seconds of CPU from now (SIGXCPU kills the helper past them). */
static void helper_cpu_budget(long cpu_s)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec);
	set_limit(RLIMIT_CPU, used + (rlim_t)cpu_s + 1, RLIM_INFINITY);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_stringn(v, strlen(v)));
}

static json_t *result_json(const struct extract_result *r)
{
	json_t *o = json_pack("{s:b, s:i, s:s, s:s%, s:i, s:b}", "ok", 1, "type", (int)r->type,
			      "mime", r->mime_type ? r->mime_type : "", "text", r->text ? r->text : "",
			      r->text_len, "pages", r->page_count, "truncated", r->truncated);
	set_str(o, "title", r->title);
	set_str(o, "author", r->author);
	set_str(o, "subject", r->subject);
	set_str(o, "keywords", r->keywords);
	set_str(o, "creator", r->creator);
	set_str(o, "producer", r->producer);
	set_str(o, "created", r->created);
	set_str(o, "modified", r->modified);
	return o;
}

static json_t *error_json(enum mtag_err e, const char *err)
{
	return json_pack("{s:b, s:i, s:s}", "ok", 0, "code", (int)e, "error",
			 err[0] ? err : err_detail(e));
}

/* The request's "path_hex" as the path it names; NULL when there is none. */
static const char *request_path(struct arena *a, json_t *r)
{
	const char *hex = json_string_value(json_object_get(r, "path_hex"));
	size_t n = hex ? strlen(hex) : 0;
	if (!n || n % 2)
		return NULL;
	char *path = arena_alloc(a, n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !v)
			return NULL;
		path[i] = (char)v;
	}
	return path;
}

/* path as request_path reads it. */
static json_t *path_json(const char *path)
{
	size_t n = strlen(path);
	char *hex = xmalloc(2 * n + 1);
	digest_hex((const unsigned char *)path, n, hex);
	json_t *v = json_string(hex);
	free(hex);
	return v;
}

static json_t *serve_extract(struct arena *a, json_t *r)
{
	const char *path = request_path(a, r);
	struct extract_limits l;
	extract_limits_init(&l);
	l.max_pages = (int)json_integer_value(json_object_get(r, "max_pages"));
	l.max_text = (size_t)json_integer_value(json_object_get(r, "max_text"));
	struct extract_result res;
	char err[512] = "";
	enum mtag_err e = path ? extract_file(a, path, &l, &res, err, sizeof(err)) : ERR_BAD_REQUEST;
	return e ? error_json(e, err) : result_json(&res);
}

static json_t *sheet_json(const struct sheet_result *res)
{
	if (res->headers) {
		json_t *headers = json_array();
		for (size_t i = 0; i < res->nheaders; i++)
			json_array_append_new(headers, json_string(res->headers[i]));
		return json_pack("{s:b, s:s, s:o}", "ok", 1, "format", res->format, "headers", headers);
	}
	json_t *rows = json_array();
	for (size_t i = 0; i < res->nrows; i++)
		json_array_append_new(rows, json_pack("[I, s]", (json_int_t)res->rows[i].row,
						      res->rows[i].value));
	return json_pack("{s:b, s:s, s:s, s:o, s:I, s:I}", "ok", 1, "format", res->format, "column",
			 res->column, "rows", rows, "blank", (json_int_t)res->blank, "duplicates",
			 (json_int_t)res->duplicates);
}

static json_t *serve_sheet(struct arena *a, json_t *r)
{
	const char *path = request_path(a, r);
	const char *column = json_string_value(json_object_get(r, "column"));
	struct sheet_limits l = {
		.max_rows = (size_t)json_integer_value(json_object_get(r, "max_rows")),
		.max_cell = (size_t)json_integer_value(json_object_get(r, "max_cell")),
		.max_member = (uint64_t)json_integer_value(json_object_get(r, "max_member")),
		.max_file = (uint64_t)json_integer_value(json_object_get(r, "max_file")),
	};
	struct sheet_result res;
	char err[512] = "";
	/* Without a column: the header row only. */
	enum mtag_err e = !path  ? ERR_BAD_REQUEST
			  : column ? sheet_read_column(a, path, column, &l, &res, err, sizeof(err))
				   : sheet_read_headers(a, path, &l, &res, err, sizeof(err));
	return e ? error_json(e, err) : sheet_json(&res);
}

/* Serve one request; false when the connection is gone. */
static bool helper_serve_one(int fd)
{
	char *req = NULL;
	size_t len;
	if (read_frame(fd, REQUEST_MAX, 0, &req, &len) != 1)
		return false;
	json_t *r = json_loadb(req, len, 0, NULL);
	free(req);
	const char *kind = json_string_value(json_object_get(r, "kind"));
	helper_cpu_budget((long)json_integer_value(json_object_get(r, "cpu_s")));
	struct arena a = ARENA_INIT;
	json_t *answer = kind && !strcmp(kind, "sheet") ? serve_sheet(&a, r) : serve_extract(&a, r);
	char *out = json_dumps(answer, JSON_COMPACT);
	bool ok = out && write_frame(fd, out, strlen(out));
	free(out);
	json_decref(answer);
	json_decref(r);
	arena_release(&a);
	return ok;
}

int sandbox_helper_main(long mem_mb)
{
	helper_limits(mem_mb);
	while (helper_serve_one(0))
		;
	return 0;
}

/* ---- the parent's side ------------------------------------------------------ */

static struct helper *helper_take(struct sandbox *sb)
{
	pthread_mutex_lock(&sb->lock);
	for (;;) {
		for (int i = 0; i < sb->o.procs; i++) {
			if (!sb->helpers[i].busy) {
				sb->helpers[i].busy = true;
				pthread_mutex_unlock(&sb->lock);
				return &sb->helpers[i];
			}
		}
		pthread_cond_wait(&sb->freed, &sb->lock);
	}
}

static void helper_give(struct sandbox *sb, struct helper *h)
{
	pthread_mutex_lock(&sb->lock);
	h->busy = false;
	pthread_cond_signal(&sb->freed);
	pthread_mutex_unlock(&sb->lock);
}

/* Why a helper's socket closed: reap it and name the signal. what: "extraction", ... */
static void helper_died(struct helper *h, const char *what, char *err, size_t errlen)
{
	int status = 0;
	pid_t pid = h->pid;
	kill(pid, SIGKILL);
	close(h->fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
	h->fd = -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		snprintf(err, errlen, "%s stopped: the CPU time limit was reached", what);
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s failed: the helper process crashed (%s)", what,
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "signal");
	else
		snprintf(err, errlen, "%s failed: the helper process exited (status %d)", what,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	log_warn("sandbox.helper_died", "pid=%d status=%d", (int)pid, status);
}

static const char *json_str(struct arena *a, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? arena_strndup(a, json_string_value(v), json_string_length(v)) : NULL;
}

/* A failure answer: its code and sentence; ERR_OK when the answer is a success. */
static enum mtag_err answer_error(json_t *o, const char *what, char *err, size_t errlen)
{
	if (json_is_true(json_object_get(o, "ok")))
		return ERR_OK;
	json_int_t code = json_integer_value(json_object_get(o, "code"));
	const char *msg = json_string_value(json_object_get(o, "error"));
	snprintf(err, errlen, msg ? "%s" : "%s failed", msg ? msg : what);
	return code > 0 && code < ERR__COUNT ? (enum mtag_err)code : ERR_INTERNAL;
}

static void parse_extract(struct arena *a, json_t *o, struct extract_result *out)
{
	memset(out, 0, sizeof(*out));
	out->type = (enum extract_type)json_integer_value(json_object_get(o, "type"));
	out->mime_type = json_str(a, o, "mime");
	json_t *text = json_object_get(o, "text");
	out->text_len = json_string_length(text);
	out->text = arena_strndup(a, json_string_value(text) ? json_string_value(text) : "", out->text_len);
	out->page_count = (int)json_integer_value(json_object_get(o, "pages"));
	out->truncated = json_is_true(json_object_get(o, "truncated"));
	out->title = json_str(a, o, "title");
	out->author = json_str(a, o, "author");
	out->subject = json_str(a, o, "subject");
	out->keywords = json_str(a, o, "keywords");
	out->creator = json_str(a, o, "creator");
	out->producer = json_str(a, o, "producer");
	out->created = json_str(a, o, "created");
	out->modified = json_str(a, o, "modified");
}

/* False when the answer does not have the sheet shape. */
static bool parse_sheet(struct arena *a, json_t *o, struct sheet_result *out)
{
	json_t *rows = json_object_get(o, "rows"), *headers = json_object_get(o, "headers");
	memset(out, 0, sizeof(*out));
	out->format = json_str(a, o, "format");
	if (json_is_array(headers)) {
		out->headers = arena_calloc(a, json_array_size(headers) + 1, sizeof(*out->headers));
		for (size_t i = 0; i < json_array_size(headers); i++) {
			json_t *v = json_array_get(headers, i);
			if (!json_is_string(v))
				return false;
			out->headers[out->nheaders++] =
				arena_strndup(a, json_string_value(v), json_string_length(v));
		}
		return out->format != NULL;
	}
	out->column = json_str(a, o, "column");
	out->blank = (size_t)json_integer_value(json_object_get(o, "blank"));
	out->duplicates = (size_t)json_integer_value(json_object_get(o, "duplicates"));
	if (!out->format || !out->column || !json_is_array(rows))
		return false;
	out->rows = arena_calloc(a, json_array_size(rows) + 1, sizeof(*out->rows));
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i), *v = json_array_get(r, 1);
		if (!json_is_integer(json_array_get(r, 0)) || !json_is_string(v))
			return false;
		out->rows[i].row = (size_t)json_integer_value(json_array_get(r, 0));
		out->rows[i].value = arena_strndup(a, json_string_value(v), json_string_length(v));
		out->nrows++;
	}
	return true;
}

/* One request on a running helper. OUT: *answer, the parsed answer (decref it). */
static enum mtag_err helper_request(struct sandbox *sb, struct helper *h, json_t *req,
				    size_t answer_max, const char *what, json_t **answer,
				    char *err, size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT);
	bool sent = text && write_frame(h->fd, text, strlen(text));
	free(text);
	char *data = NULL;
	size_t len = 0;
	int64_t deadline = clock_mono_us() + (int64_t)sb->o.timeout_s * 1000000;
	int rc = sent ? read_frame(h->fd, answer_max, deadline, &data, &len) : -1;
	if (rc == -2) {
		helper_stop(h, true);
		snprintf(err, errlen, "%s timed out after %d s", what, sb->o.timeout_s);
		return ERR_TIMEOUT;
	}
	if (rc != 1) {
		helper_died(h, what, err, errlen);
		return ERR_INTERNAL;
	}
	*answer = json_loadb(data, len, 0, NULL);
	free(data);
	if (!*answer) {
		snprintf(err, errlen, "%s failed: the helper's answer was malformed", what);
		helper_stop(h, true);
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

/* Send req (its reference is taken) to a free helper, starting one when needed. */
static enum mtag_err sandbox_call(struct sandbox *sb, json_t *req, size_t answer_max,
				  const char *what, json_t **answer, char *err, size_t errlen)
{
	struct helper *h = helper_take(sb);
	enum mtag_err e = ERR_OK;
	*answer = NULL;
	json_object_set_new(req, "cpu_s", json_integer(sb->o.timeout_s));
	if (h->pid && h->docs >= sb->o.max_docs)
		helper_stop(h, false);
	if (!h->pid)
		e = helper_spawn(sb, h, err, errlen);
	if (!e) {
		h->docs++;
		e = helper_request(sb, h, req, answer_max, what, answer, err, errlen);
	}
	helper_give(sb, h);
	json_decref(req);
	return e ? e : answer_error(*answer, what, err, errlen);
}

enum mtag_err sandbox_extract(struct sandbox *sb, struct arena *a, const char *path,
			      const struct extract_limits *l, struct extract_result *out,
			      char *err, size_t errlen)
{
	json_t *req = json_pack("{s:o, s:i, s:I}", "path_hex", path_json(path), "max_pages",
				l->max_pages, "max_text", (json_int_t)l->max_text);
	json_t *answer = NULL;
	/* Every byte of text may be escaped as \u00XX: six bytes, plus the properties. */
	enum mtag_err e = sandbox_call(sb, req, l->max_text * 6 + (1 << 20), "extraction", &answer,
				       err, errlen);
	if (!e)
		parse_extract(a, answer, out);
	json_decref(answer);
	return e;
}

enum mtag_err sandbox_read_sheet(struct sandbox *sb, struct arena *a, const char *path,
				 const char *column, const struct sheet_limits *l,
				 struct sheet_result *out, char *err, size_t errlen)
{
	struct sheet_limits none = { 0, 0, 0, 0 };
	if (!l)
		l = &none;
	json_t *name = column ? json_string(column) : NULL;
	if (column && !name) {
		memset(out, 0, sizeof(*out));
		snprintf(err, errlen, "the column's name is not UTF-8 text");
		return ERR_VALIDATION;
	}
	json_t *req = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "kind", "sheet", "path_hex",
				path_json(path), "max_rows", (json_int_t)l->max_rows, "max_cell",
				(json_int_t)l->max_cell, "max_member", (json_int_t)l->max_member,
				"max_file", (json_int_t)l->max_file);
	if (name)
		json_object_set_new(req, "column", name);
	json_t *answer = NULL;
	const char *what = "reading the spreadsheet";
	enum mtag_err e = sandbox_call(sb, req, column ? SHEET_ANSWER_MAX : HEADERS_ANSWER_MAX, what,
				       &answer, err, errlen);
	if (!e && !parse_sheet(a, answer, out)) {
		snprintf(err, errlen, "%s failed: the helper's answer was malformed", what);
		e = ERR_INTERNAL;
	}
	if (e)
		memset(out, 0, sizeof(*out));
	json_decref(answer);
	return e;
}
