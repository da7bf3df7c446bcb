/*
 * http_stream.c - event streams (Server-Sent Events) and the thread that
 * feeds them.
 *
 * A handler answers with http_respond_stream(); when the server sends that
 * response, http_streams_open() registers the stream and gives
 * libmicrohttpd a response of unknown size (chunked) whose reader,
 * stream_read(), hands over the bytes the stream has pending. When nothing
 * is pending and the stream is not over, the reader suspends the connection
 * and returns 0. libmicrohttpd 0.9.75 calls a reader that returned 0 again
 * at once - a busy loop on a daemon with internal threads, which its manual
 * forbids - unless the connection is suspended; a suspended connection is
 * out of the event loop altogether (no polling, no timeout, no CPU).
 *
 * One thread per server, streams_main(), does the rest. It sleeps in
 * poll(2) until the next tick, watching an eventfd (a stream opened or
 * released, shutdown) and the sockets of the suspended streams for a
 * hang-up (POLLRDHUP: libmicrohttpd does not watch a suspended connection,
 * so a client that leaves would otherwise be noticed only at the next
 * keep-alive). Every tick (poll_us) it calls each open stream's poll
 * function, outside the lock, queues a keep-alive comment on streams that
 * sent nothing for keepalive_us, and resumes exactly the suspended
 * connections that now have bytes to send or are over; a new stream is
 * polled as soon as it opens. A resumed connection's reader hands over the
 * bytes and suspends it again.
 *
 * Ending: a stream is over when its poll function returns HTTP_STREAM_END
 * (the reader sends what is pending, then END_OF_STREAM: the last chunk,
 * and with Connection: close the connection ends), when its client leaves
 * (nothing more is sent: the last chunk, which MHD may fail to write, and
 * the close; the access log says end=client_gone) or reads too slowly
 * (END_WITH_ERROR: closed at once), or at shutdown.
 * libmicrohttpd then releases the response: stream_released() marks the
 * stream, and the thread unlinks it, runs free_ctx and frees it. So a
 * stream outlives every call of its reader, and free_ctx runs once, on the
 * streams thread (or in http_streams_free, after MHD_stop_daemon).
 *
 * Locking: set->lock guards the list and every stream's pending bytes and
 * flags. The reader holds it while it calls MHD_suspend_connection, so the
 * thread, which decides under the lock, never resumes a connection that is
 * not suspended yet; the thread never calls libmicrohttpd while holding it;
 * stream_released() takes no lock (an atomic flag and the eventfd). One
 * order, then: MHD's response lock, set->lock, MHD's internal locks.
 */
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "http/http.h"
#include "http_int.h"
#include "base/xalloc.h"

/* Bytes a client may leave unread before its stream is cut. */
#define PENDING_MAX ((size_t)4 << 20)
/* A pending buffer that grew past this is freed, not kept, once sent. */
#define PENDING_KEEP ((size_t)64 << 10)
/* libmicrohttpd's buffer per response (advisory; chunked replies use the connection's). */
#define READ_BLOCK 4096

static const char KEEPALIVE[] = ": keep-alive\n\n";

struct http_stream {
	http_stream_fn poll;          /* set by http_respond_stream, then read-only */
	void *ctx;
	void (*free_ctx)(void *ctx);
	struct http_streams *set;     /* set by http_streams_open, then read-only */
	struct MHD_Connection *conn;
	int fd;                       /* the connection's socket, watched while suspended */
	size_t *bytes;                /* the request's body byte count (the reader's) */
	bool *client_gone;            /* the request's: set when the stream ends for that */
	char rid[HTTP_RID_MAX + 1];   /* the request id, for the poll function's log lines */
	struct http_stream *next;     /* in set->head */
	/* Under set->lock: */
	struct buf pending;           /* bytes for the client; those before off are sent */
	size_t off;
	int64_t last_us;              /* when bytes were last queued (monotonic) */
	bool polled;                  /* the poll function has run */
	bool suspended;               /* the reader suspended the connection */
	bool ended;                   /* no more polls: send what is pending, then end */
	bool failed;                  /* end with an error (client too slow): close now */
	bool gone;                    /* ended because the client left */
	atomic_bool released;         /* libmicrohttpd released the response: no reader call comes */
};

struct http_streams {
	int64_t poll_us;              /* tick */
	int64_t keepalive_us;
	size_t max;                   /* streams open at most */
	int wake_fd;                  /* eventfd: wakes the thread */
	pthread_t thread;
	pthread_mutex_t lock;
	struct http_stream *head;     /* every stream not freed yet (under lock) */
	size_t count;                 /* in the list (under lock) */
	bool closed;                  /* shutting down: no new stream, the thread ends (under lock) */
	bool joined;                  /* the thread has been joined (stopping thread only) */
};

/* The thread's scratch arrays, grown as needed. */
struct sweep {
	struct pollfd *pfd;
	struct http_stream **who;
	size_t cap;
};

/* ---- events ----------------------------------------------------------------- */

/* Cut b back to len bytes (undoing appends). */
static void buf_cut(struct buf *b, size_t len)
{
	if (b->ptr && len <= b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

enum mtag_err http_sse_event(struct buf *out, const char *id, const char *event, const char *data)
{
	/* SSE ends a line at CR, LF or CRLF: one in a field would start another field. */
	if ((id && strpbrk(id, "\r\n")) || (event && strpbrk(event, "\r\n")))
		return ERR_VALIDATION;
	size_t start = out->len;
	enum mtag_err e = ERR_OK;
	if (id)
		e = buf_printf(out, "id: %s\n", id);
	if (!e && event && *event)
		e = buf_printf(out, "event: %s\n", event);
	const char *p = data ? data : "";
	while (!e) {
		size_t n = strcspn(p, "\r\n");
		e = buf_puts(out, "data: ");
		if (!e)
			e = buf_append(out, p, n);
		if (!e)
			e = buf_putc(out, '\n');
		p += n;
		if (!*p)
			break;
		p += p[0] == '\r' && p[1] == '\n' ? 2 : 1;
	}
	if (!e)
		e = buf_putc(out, '\n');
	if (e)
		buf_cut(out, start);
	return e;
}

/* ---- the handler's side ------------------------------------------------------- */

static void stream_free(struct http_stream *st)
{
	if (st->free_ctx)
		st->free_ctx(st->ctx);
	buf_release(&st->pending);
	free(st);
}

void http_stream_drop(struct http_response *res)
{
	struct http_stream *st = res->stream;
	res->stream = NULL;
	if (st)
		stream_free(st);
}

/* Arena cleanup: a stream the server never took (no response sent) is dropped. */
static void drop_hook(void *res)
{
	http_stream_drop(res);
}

void http_respond_stream(struct http_response *res, http_stream_fn poll, void *ctx,
			 void (*free_ctx)(void *ctx))
{
	/* Replaces any earlier answer, a stream included (its free_ctx runs). */
	http_respond_bytes(res, 200, "text/event-stream", NULL, 0);
	struct http_stream *st = xcalloc(1, sizeof(*st));
	st->poll = poll;
	st->ctx = ctx;
	st->free_ctx = free_ctx;
	st->fd = -1;
	buf_init(&st->pending, PENDING_MAX);
	atomic_init(&st->released, false);
	res->stream = st;
	arena_cleanup_add(res->arena, drop_hook, res);
	http_set_header(res, "Cache-Control", "no-store");
	/* nginx would otherwise hold the events back in its buffer. */
	http_set_header(res, "X-Accel-Buffering", "no");
}

/* ---- libmicrohttpd's side ----------------------------------------------------- */

static void wake(struct http_streams *set)
{
	uint64_t one = 1;
	if (write(set->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so a wake-up is pending anyway. */
	}
}

/* Everything pending was handed over: empty the buffer (free it when it grew large). */
static void pending_sent(struct http_stream *st)
{
	st->off = 0;
	if (st->pending.cap > PENDING_KEEP)
		buf_release(&st->pending);
	else
		buf_reset(&st->pending);
}

/* MHD's content reader: pending bytes, the end, or suspend until there is more. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_stream *st = cls;
	ssize_t n;
	(void)pos;
	pthread_mutex_lock(&st->set->lock);
	size_t avail = st->pending.len - st->off;
	if (st->failed) {
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	} else if (avail) {
		size_t k = avail < max ? avail : max;
		memcpy(out, st->pending.ptr + st->off, k);
		st->off += k;
		if (st->off == st->pending.len)
			pending_sent(st);
		*st->bytes += k;
		n = (ssize_t)k;
	} else if (st->ended) {
		*st->client_gone = st->gone;
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Returning 0 without suspending would make MHD call again at once. */
		MHD_suspend_connection(st->conn);
		st->suspended = true;
		n = 0;
	}
	pthread_mutex_unlock(&st->set->lock);
	return n;
}

/* MHD released the response (the connection is over): the thread may free the stream. */
static void stream_released(void *cls)
{
	struct http_stream *st = cls;
	struct http_streams *set = st->set;
	atomic_store(&st->released, true);
	wake(set);
}

/* ---- the streams thread ------------------------------------------------------- */

static void sweep_reserve(struct sweep *sw, size_t n)
{
	if (n <= sw->cap)
		return;
	sw->cap = n * 2;
	sw->pfd = xrealloc(sw->pfd, sw->cap * sizeof(*sw->pfd));
	sw->who = xrealloc(sw->who, sw->cap * sizeof(*sw->who));
}

/* Queue bytes for the client (under lock); a client too far behind ends its stream. */
static void queue_bytes(struct http_stream *st, const char *data, size_t n, int64_t now)
{
	if (st->off) {
		size_t rest = st->pending.len - st->off;
		memmove(st->pending.ptr, st->pending.ptr + st->off, rest);
		buf_cut(&st->pending, rest);
		st->off = 0;
	}
	if (buf_append(&st->pending, data, n) != ERR_OK) {
		log_warn("http.stream_slow", "rid=%s pending=%zu", st->rid, st->pending.len);
		st->ended = st->failed = true;
	}
	st->last_us = now;
}

/*
 * Sleep until the tick at until, a wake-up, or a suspended stream's client
 * hanging up (that stream is ended as gone). False once the set is closed.
 */
static bool wait_events(struct http_streams *set, struct sweep *sw, int64_t until)
{
	size_t n = 0;
	pthread_mutex_lock(&set->lock);
	bool closed = set->closed, idle = set->count == 0;
	sweep_reserve(sw, set->count + 1);
	sw->pfd[n++] = (struct pollfd){ set->wake_fd, POLLIN, 0 };
	for (struct http_stream *st = set->head; st; st = st->next)
		if (st->suspended && !st->ended) {
			sw->who[n] = st;
			sw->pfd[n++] = (struct pollfd){ st->fd, POLLRDHUP, 0 };
		}
	pthread_mutex_unlock(&set->lock);
	if (closed)
		return false;
	/* Nothing open: no tick either, only a wake-up (a new stream) ends the sleep. */
	int64_t left = until - clock_mono_us();
	int timeout = idle ? -1 : left <= 0 ? 0 : (int)((left + 999) / 1000);
	if (poll(sw->pfd, n, timeout) <= 0)
		return true;
	uint64_t count;
	if (sw->pfd[0].revents && read(set->wake_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: already drained. */
	}
	/*
	 * Only the thread resumes a suspended stream, so these fds are still
	 * open. A client that left gets a plain end (nothing pending, the last
	 * chunk): MHD closes quietly, where an error would log a warning.
	 */
	pthread_mutex_lock(&set->lock);
	for (size_t i = 1; i < n; i++)
		if (sw->pfd[i].revents && !sw->who[i]->ended) {
			sw->who[i]->ended = sw->who[i]->gone = true;
			pending_sent(sw->who[i]);
		}
	pthread_mutex_unlock(&set->lock);
	return true;
}

/* Call one stream's poll function (no lock held) and queue what it wrote. */
static void poll_one(struct http_streams *set, struct http_stream *st, struct buf *out)
{
	buf_reset(out);
	log_set_request_id(st->rid[0] ? st->rid : NULL);
	enum http_stream_status s = st->poll(st->ctx, out);
	log_set_request_id(NULL);
	pthread_mutex_lock(&set->lock);
	st->polled = true;
	if (!st->ended) {
		if (out->len)
			queue_bytes(st, out->ptr, out->len, clock_mono_us());
		if (s == HTTP_STREAM_END)
			st->ended = true;
	}
	pthread_mutex_unlock(&set->lock);
}

/* Poll the streams due (all at a tick, else the new ones); keep-alives at a tick. */
static void poll_streams(struct http_streams *set, struct sweep *sw, struct buf *out, bool tick)
{
	size_t n = 0;
	pthread_mutex_lock(&set->lock);
	sweep_reserve(sw, set->count);
	for (struct http_stream *st = set->head; st; st = st->next)
		if (!st->ended && !atomic_load(&st->released) && (tick || !st->polled))
			sw->who[n++] = st;
	pthread_mutex_unlock(&set->lock);
	/* Only this thread unlinks streams, so the pointers stay valid while unlocked. */
	for (size_t i = 0; i < n; i++)
		poll_one(set, sw->who[i], out);
	if (!tick)
		return;
	int64_t now = clock_mono_us();
	pthread_mutex_lock(&set->lock);
	for (struct http_stream *st = set->head; st; st = st->next)
		if (!st->ended && st->off == st->pending.len && now - st->last_us >= set->keepalive_us)
			queue_bytes(st, KEEPALIVE, sizeof(KEEPALIVE) - 1, now);
	pthread_mutex_unlock(&set->lock);
}

/* Resume the suspended connections that have bytes to send or are over. */
static void resume_ready(struct http_streams *set, struct sweep *sw)
{
	size_t n = 0;
	pthread_mutex_lock(&set->lock);
	sweep_reserve(sw, set->count);
	for (struct http_stream *st = set->head; st; st = st->next)
		if (st->suspended && (st->pending.len > st->off || st->ended)) {
			st->suspended = false;
			sw->who[n++] = st;
		}
	pthread_mutex_unlock(&set->lock);
	/* Outside the lock (see the top); still suspended until this call, so still open. */
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(sw->who[i]->conn);
}

/* Unlink and free the streams libmicrohttpd has released: free_ctx runs here. */
static void reap(struct http_streams *set)
{
	struct http_stream *dead = NULL;
	pthread_mutex_lock(&set->lock);
	for (struct http_stream **pp = &set->head; *pp;) {
		struct http_stream *st = *pp;
		if (!atomic_load(&st->released)) {
			pp = &st->next;
			continue;
		}
		*pp = st->next;
		set->count--;
		st->next = dead;
		dead = st;
	}
	pthread_mutex_unlock(&set->lock);
	while (dead) {
		struct http_stream *next = dead->next;
		log_set_request_id(dead->rid[0] ? dead->rid : NULL);
		stream_free(dead);
		log_set_request_id(NULL);
		dead = next;
	}
}

static void *streams_main(void *arg)
{
	struct http_streams *set = arg;
	struct sweep sw = { NULL, NULL, 0 };
	struct buf out = BUF_INIT(HTTP_STREAM_POLL_MAX);
	int64_t next_tick = clock_mono_us() + set->poll_us;
	while (wait_events(set, &sw, next_tick)) {
		int64_t now = clock_mono_us();
		bool tick = now >= next_tick;
		if (tick)
			next_tick = now + set->poll_us;
		poll_streams(set, &sw, &out, tick);
		resume_ready(set, &sw);
		reap(set);
	}
	buf_release(&out);
	free(sw.pfd);
	free(sw.who);
	return NULL;
}

/* ---- the server's side -------------------------------------------------------- */

enum mtag_err http_streams_new(const struct http_server_config *cfg, struct http_streams **out)
{
	*out = NULL;
	struct http_streams *set = xcalloc(1, sizeof(*set));
	int poll_ms = cfg->stream_poll_ms > 0 ? cfg->stream_poll_ms : HTTP_STREAM_POLL_MS;
	int keepalive_s = cfg->stream_keepalive_s > 0 ? cfg->stream_keepalive_s : HTTP_STREAM_KEEPALIVE_S;
	set->poll_us = (int64_t)poll_ms * 1000;
	set->keepalive_us = (int64_t)keepalive_s * 1000 * 1000;
	set->max = cfg->max_streams > 0 ? (size_t)cfg->max_streams : HTTP_STREAM_MAX;
	set->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (set->wake_fd < 0) {
		free(set);
		return ERR_IO;
	}
	pthread_mutex_init(&set->lock, NULL);
	int rc = pthread_create(&set->thread, NULL, streams_main, set);
	if (rc != 0) {
		pthread_mutex_destroy(&set->lock);
		close(set->wake_fd);
		free(set);
		errno = rc;
		return ERR_IO;
	}
	pthread_setname_np(set->thread, "mtag-streams");
	*out = set;
	return ERR_OK;
}

struct MHD_Response *http_streams_open(struct http_streams *set, struct http_response *res,
				       struct MHD_Connection *conn, const char *rid, size_t *bytes,
				       bool *client_gone, const char **detail)
{
	struct http_stream *st = res->stream;
	res->stream = NULL;
	st->set = set;
	st->conn = conn;
	st->bytes = bytes;
	st->client_gone = client_gone;
	snprintf(st->rid, sizeof(st->rid), "%s", rid ? rid : "");
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	st->fd = ci ? ci->connect_fd : -1;
	st->last_us = clock_mono_us();

	pthread_mutex_lock(&set->lock);
	*detail = set->closed ? "the server is shutting down"
		: set->count >= set->max ? "too many open event streams" : NULL;
	if (!*detail) {
		st->next = set->head;
		set->head = st;
		set->count++;
	}
	pthread_mutex_unlock(&set->lock);
	if (*detail) {
		stream_free(st);
		return NULL;
	}
	/* From here the stream is the thread's to free, once released. */
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, READ_BLOCK,
								   stream_read, st, stream_released);
	if (!r) {
		*detail = "the event stream could not be started";
		stream_released(st);
		return NULL;
	}
	wake(set); /* the first poll happens now, not at the next tick */
	return r;
}

void http_streams_shutdown(struct http_streams *set)
{
	pthread_mutex_lock(&set->lock);
	set->closed = true;
	pthread_mutex_unlock(&set->lock);
	if (set->joined)
		return;
	wake(set);
	pthread_join(set->thread, NULL);
	set->joined = true;

	/* End every stream; wake the sleeping ones so that they finish. */
	pthread_mutex_lock(&set->lock);
	struct http_stream **sleeping = xcalloc(set->count + 1, sizeof(*sleeping));
	size_t n = 0;
	for (struct http_stream *st = set->head; st; st = st->next) {
		st->ended = true;
		if (st->suspended) {
			st->suspended = false;
			sleeping[n++] = st;
		}
	}
	pthread_mutex_unlock(&set->lock);
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(sleeping[i]->conn);
	free(sleeping);
}

size_t http_streams_live(struct http_streams *set)
{
	size_t n = 0;
	pthread_mutex_lock(&set->lock);
	for (struct http_stream *st = set->head; st; st = st->next)
		n += !atomic_load(&st->released);
	pthread_mutex_unlock(&set->lock);
	return n;
}

void http_streams_free(struct http_streams *set)
{
	if (!set)
		return;
	http_streams_shutdown(set);
	/* After MHD_stop_daemon: no connection is left, so no reader runs. */
	while (set->head) {
		struct http_stream *st = set->head;
		set->head = st->next;
		stream_free(st);
	}
	close(set->wake_fd);
	pthread_mutex_destroy(&set->lock);
	free(set);
}
