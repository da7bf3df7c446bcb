/*
 * http_client.h - a raw HTTP/1.1 client over TCP for the server tests: one
 * request per connection (or by hand on a kept connection), the response
 * read whole. Functions are static inline so that each test uses what it needs.
 */
#ifndef MTAG_TEST_HTTP_CLIENT_H
#define MTAG_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- the raw client ----------------------------------------------------- */

struct resp {
	int status;
	char head[8192]; /* status line and headers, NUL-terminated */
	char body[65536];
	size_t body_len;
};

static int port;

static inline int connect_to(int p)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline bool send_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * The value of the first header called name in r, copied into out (NULL when
 * absent). OUT: *count, how many headers have that name (count may be NULL).
 */
static inline const char *header_n(const struct resp *r, const char *name, char *out, size_t outsz,
			    int *count)
{
	const char *found = NULL;
	size_t n = strlen(name);
	int c = 0;
	for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, name, n) != 0 || line[n] != ':' || c++)
			continue;
		const char *v = line + n + 1 + strspn(line + n + 1, " ");
		snprintf(out, outsz, "%.*s", (int)strcspn(v, "\r"), v);
		found = out;
	}
	if (count)
		*count = c;
	return found;
}

static inline const char *header(const struct resp *r, const char *name, char *out, size_t outsz)
{
	return header_n(r, name, out, outsz, NULL);
}

static inline int header_count(const struct resp *r, const char *name)
{
	char v[1024];
	int count;
	header_n(r, name, v, sizeof(v), &count);
	return count;
}

/* Read one response: headers, then Content-Length bytes of body (none for HEAD). */
static inline bool read_response(int fd, struct resp *r, bool head)
{
	char buf[sizeof(r->head) + sizeof(r->body)];
	size_t len = 0;
	char *end = NULL;
	memset(r, 0, sizeof(*r));
	while (!end) {
		if (len == sizeof(buf) - 1)
			return false;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	size_t hlen = (size_t)(end - buf);
	if (hlen >= sizeof(r->head))
		return false;
	memcpy(r->head, buf, hlen);
	r->head[hlen] = '\0';
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		return false;
	char cl[32];
	size_t want = header(r, "Content-Length", cl, sizeof(cl)) && !head ? strtoul(cl, NULL, 10) : 0;
	if (want > sizeof(r->body) - 1)
		return false;
	size_t have = len - hlen - 4;
	memcpy(r->body, end + 4, have < want ? have : want);
	while (have < want) {
		ssize_t n = recv(fd, r->body + have, want - have, 0);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	r->body_len = want;
	r->body[want] = '\0';
	return true;
}

/* Send raw on a new connection and read the response. */
static inline bool roundtrip(const char *raw, struct resp *r)
{
	int fd = connect_to(port);
	if (fd < 0)
		return false;
	bool ok = send_all(fd, raw, strlen(raw)) &&
		  read_response(fd, r, strncmp(raw, "HEAD ", 5) == 0);
	close(fd);
	return ok;
}

/* A request with a body and the given Content-Type (NULL: none). */
static inline bool post(const char *path, const char *ctype, const char *body, struct resp *r)
{
	char raw[4096];
	snprintf(raw, sizeof(raw),
		 "POST %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s%s%s"
		 "Content-Length: %zu\r\n\r\n%s",
		 path, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
		 strlen(body), body);
	return roundtrip(raw, r);
}

static inline bool get(const char *path, struct resp *r)
{
	char raw[2048];
	snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	return roundtrip(raw, r);
}

static inline bool is_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

#define CHECK_HEADER(r, name, want)                                             \
	do {                                                                    \
		char hv_[1024];                                                 \
		CHECK_STR(header(r, name, hv_, sizeof(hv_)), want);             \
	} while (0)

#endif
