/*
 * fetch_server.h - a tiny HTTP/1.1 server for test_fetch.c, on a loopback
 * address only (127.0.0.1, 127.0.0.2, ::1; port 0), one thread that serves
 * one connection at a time and closes it after each response.
 *
 * It counts the connections it accepted and the requests it read (the
 * counters include connections still queued when it stops), remembers the
 * last User-Agent and Accept-Encoding, and serves a fixed set of paths:
 *
 *   /file/<name>        200, application/pdf, 1 MB of fts_pattern()
 *   /redir/N            302 to /redir/N-1; /redir/0 is 200 "done"
 *   /go                 302 to srv->redirect_to
 *   /stream-cl          2 GB announced by Content-Length and streamed
 *   /stream-lie         Content-Length: 100, then 2 GB streamed
 *   /stream-chunked     2 GB chunked
 *   /stream-chunked-cl  Content-Length: 100 and chunked, 2 GB
 *   /stream-close       2 GB without a length, ended by closing
 *   /gzip               srv->gzip_body with Content-Encoding: gzip
 *   /silent             reads the request and never answers
 *   /ua                 200 "ok"
 *   anything else       404
 *
 * A TLS ClientHello gets a plain-text 400, as a real http server would do.
 * Streams are generated on the fly (never stored) and end when the client
 * goes away or the server stops.
 */
#ifndef MTAG_TEST_FETCH_SERVER_H
#define MTAG_TEST_FETCH_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define FTS_FILE_SIZE ((size_t)1 << 20)
#define FTS_STREAM_SIZE ((unsigned long long)2 << 30)

struct fts_server {
	int lfd;
	int port;
	char host[64];          /* for URLs: "127.0.0.1" or "[::1]" */
	pthread_t thread;
	atomic_bool stop;
	atomic_int connections; /* accepted (or queued at stop) */
	atomic_int requests;    /* request heads read */
	pthread_mutex_t mu;
	char user_agent[256];   /* of the last request */
	char accept_encoding[256];
	char redirect_to[1024]; /* for /go */
	const unsigned char *gzip_body;
	size_t gzip_len;
};

/* Byte i of every generated body. */
static inline unsigned char fts_pattern(unsigned long long i)
{
	return (unsigned char)(i % 251);
}

/* The bodies, filled once and read-only afterwards. */
static unsigned char fts_file_body[FTS_FILE_SIZE];
static unsigned char fts_block[65536];
static pthread_once_t fts_once = PTHREAD_ONCE_INIT;

static void fts_fill(void)
{
	for (size_t i = 0; i < sizeof(fts_file_body); i++)
		fts_file_body[i] = fts_pattern(i);
	memcpy(fts_block, fts_file_body, sizeof(fts_block));
}

static bool fts_send(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

__attribute__((format(printf, 2, 3)))
static bool fts_sendf(int fd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < sizeof(buf) && fts_send(fd, buf, (size_t)n);
}

/* Stream total pattern bytes, optionally as chunks, until done, error or stop. */
static void fts_stream(struct fts_server *s, int fd, unsigned long long total, bool chunked)
{
	for (unsigned long long sent = 0; sent < total && !atomic_load(&s->stop);) {
		size_t n = sizeof(fts_block);
		if (chunked && !fts_sendf(fd, "%zx\r\n", n))
			return;
		if (!fts_send(fd, fts_block, n) || (chunked && !fts_send(fd, "\r\n", 2)))
			return;
		sent += n;
	}
	if (chunked)
		fts_send(fd, "0\r\n\r\n", 5);
}

/* Wait until the peer closes (or the server stops). */
static void fts_wait_close(struct fts_server *s, int fd)
{
	char buf[4096];
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 50) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return;
	}
}

/* Read the request head into buf; false on TLS, timeout, close or overflow. */
static bool fts_read_head(struct fts_server *s, int fd, char *buf, size_t size)
{
	size_t len = 0;
	for (int waited = 0; waited < 5000 && !atomic_load(&s->stop);) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0) {
			waited += 50;
			continue;
		}
		ssize_t r = recv(fd, buf + len, size - 1 - len, 0);
		if (r <= 0)
			return false;
		len += (size_t)r;
		buf[len] = '\0';
		if ((unsigned char)buf[0] == 0x16) { /* a TLS handshake */
			fts_sendf(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
			return false;
		}
		if (strstr(buf, "\r\n\r\n"))
			return true;
		if (len == size - 1)
			return false;
	}
	return false;
}

/* Copy the value of header name (case-insensitive) from head into out. */
static void fts_header(const char *head, const char *name, char *out, size_t outsz)
{
	out[0] = '\0';
	size_t nlen = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (strncasecmp(h, name, nlen) == 0 && h[nlen] == ':') {
			const char *v = h + nlen + 1;
			while (*v == ' ')
				v++;
			size_t n = strcspn(v, "\r\n");
			snprintf(out, outsz, "%.*s", (int)(n < outsz ? n : outsz - 1), v);
			return;
		}
	}
}

static void fts_route(struct fts_server *s, int fd, const char *path)
{
	static const char close_hdr[] = "Connection: close\r\n";
	if (strncmp(path, "/file/", 6) == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
				  "Content-Length: %zu\r\n%s\r\n", FTS_FILE_SIZE, close_hdr))
			fts_send(fd, fts_file_body, FTS_FILE_SIZE);
	} else if (strncmp(path, "/redir/", 7) == 0) {
		int n = (int)strtol(path + 7, NULL, 10);
		if (n > 0)
			fts_sendf(fd, "HTTP/1.1 302 Found\r\nLocation: /redir/%d\r\n"
				      "Content-Length: 0\r\n%s\r\n", n - 1, close_hdr);
		else
			fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				      "Content-Length: 4\r\n%s\r\ndone", close_hdr);
	} else if (strcmp(path, "/go") == 0) {
		fts_sendf(fd, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n%s\r\n",
			  s->redirect_to, close_hdr);
	} else if (strcmp(path, "/stream-cl") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n%s\r\n",
			      FTS_STREAM_SIZE, close_hdr))
			fts_stream(s, fd, FTS_STREAM_SIZE, false);
	} else if (strcmp(path, "/stream-lie") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n%s\r\n", close_hdr))
			fts_stream(s, fd, FTS_STREAM_SIZE, false);
	} else if (strcmp(path, "/stream-chunked") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s\r\n", close_hdr))
			fts_stream(s, fd, FTS_STREAM_SIZE, true);
	} else if (strcmp(path, "/stream-chunked-cl") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
				  "Transfer-Encoding: chunked\r\n%s\r\n", close_hdr))
			fts_stream(s, fd, FTS_STREAM_SIZE, true);
	} else if (strcmp(path, "/stream-close") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\n%s\r\n", close_hdr))
			fts_stream(s, fd, FTS_STREAM_SIZE, false);
	} else if (strcmp(path, "/gzip") == 0) {
		if (fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				  "Content-Length: %zu\r\n%s\r\n", s->gzip_len, close_hdr))
			fts_send(fd, s->gzip_body, s->gzip_len);
	} else if (strcmp(path, "/silent") == 0) {
		fts_wait_close(s, fd);
	} else if (strcmp(path, "/ua") == 0) {
		fts_sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n%s\r\nok", close_hdr);
	} else {
		fts_sendf(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
			      "Content-Length: 9\r\n%s\r\nnot found", close_hdr);
	}
}

static void fts_serve(struct fts_server *s, int fd)
{
	char head[16384], path[4096];
	if (!fts_read_head(s, fd, head, sizeof(head)))
		return;
	atomic_fetch_add(&s->requests, 1);
	pthread_mutex_lock(&s->mu);
	fts_header(head, "User-Agent", s->user_agent, sizeof(s->user_agent));
	fts_header(head, "Accept-Encoding", s->accept_encoding, sizeof(s->accept_encoding));
	pthread_mutex_unlock(&s->mu);
	if (sscanf(head, "GET %4095s HTTP/1.1", path) != 1)
		snprintf(path, sizeof(path), "/bad-request");
	fts_route(s, fd, path);
}

static void *fts_main(void *arg)
{
	struct fts_server *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		atomic_fetch_add(&s->connections, 1);
		fts_serve(s, fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	int fd; /* connections still queued count too */
	fcntl(s->lfd, F_SETFL, fcntl(s->lfd, F_GETFL) | O_NONBLOCK);
	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		atomic_fetch_add(&s->connections, 1);
		close(fd);
	}
	return NULL;
}

/* Listen on the numeric loopback address addr, port 0, and serve. False when it cannot bind. */
static bool fts_start(struct fts_server *s, const char *addr)
{
	pthread_once(&fts_once, fts_fill);
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	bool v6 = strchr(addr, ':') != NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
			return false;
		len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
			return false;
		len = sizeof(*a4);
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&ss, len) != 0 || listen(s->lfd, 16) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&ss, &len) != 0) {
		if (s->lfd >= 0)
			close(s->lfd);
		return false;
	}
	s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			   : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(s->host, sizeof(s->host), v6 ? "[%s]" : "%s", addr);
	return pthread_create(&s->thread, NULL, fts_main, s) == 0;
}

/* Stop serving (after counting queued connections) and close. */
static void fts_stop(struct fts_server *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
}

#endif
