/*
 * http_clients.c - open connections counted per client, so that one client
 * cannot hold them all (slow headers, idle keep-alives).
 *
 * A client is netaddr_client's: an IPv4 address, or an IPv6 /64, since one
 * host may use any address of its /64. libmicrohttpd's own per-address limit
 * counts each IPv6 address apart, and 2^64 of them are one host's.
 *
 * The table holds the clients that have a connection open, at most as many
 * as the server has connections; each is found by a scan (~1 µs at 1,024),
 * once per accepted and per closed connection. With its connections, the
 * bytes of a client's uploads being received are counted (http_multipart.c):
 * a client cannot fill the disk with uploads it never finishes.
 * Thread-safe: one lock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/netaddr.h"
#include "base/xalloc.h"
#include "http_int.h"

struct client {
	char key[NETADDR_CLIENT_LEN];
	int open;
	uint64_t uploading; /* bytes of its uploads on disk, their requests not ended */
};

struct http_clients {
	pthread_mutex_t lock;
	int limit;          /* connections one client may have open */
	size_t n, max;      /* clients in slot[], its size */
	struct client slot[];
};

struct http_clients *http_clients_new(int limit, size_t max_clients)
{
	struct http_clients *c = xcalloc(1, sizeof(*c) + max_clients * sizeof(c->slot[0]));
	pthread_mutex_init(&c->lock, NULL);
	c->limit = limit;
	c->max = max_clients;
	return c;
}

void http_clients_free(struct http_clients *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void http_client_key(const struct sockaddr *sa, char out[NETADDR_CLIENT_LEN])
{
	char ip[INET6_ADDRSTRLEN] = "-";
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
	netaddr_client(ip, out);
}

static struct client *find(struct http_clients *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->slot[i].key, key))
			return &c->slot[i];
	return NULL;
}

bool http_clients_take(struct http_clients *c, const char *key)
{
	bool ok = false;
	pthread_mutex_lock(&c->lock);
	struct client *cl = find(c, key);
	if (!cl && c->n < c->max) {
		cl = &c->slot[c->n++];
		snprintf(cl->key, sizeof(cl->key), "%s", key);
		cl->open = 0;
		cl->uploading = 0;
	}
	if (cl && cl->open < c->limit) {
		cl->open++;
		ok = true;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void http_clients_give(struct http_clients *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	struct client *cl = find(c, key);
	if (cl && --cl->open <= 0)
		*cl = c->slot[--c->n]; /* the last client takes its slot */
	pthread_mutex_unlock(&c->lock);
}

int http_clients_open(struct http_clients *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	struct client *cl = find(c, key);
	int open = cl ? cl->open : 0;
	pthread_mutex_unlock(&c->lock);
	return open;
}

bool http_clients_upload(struct http_clients *c, const char *key, int64_t bytes, uint64_t max)
{
	bool ok = true;
	pthread_mutex_lock(&c->lock);
	struct client *cl = find(c, key);
	if (cl && bytes > 0 && cl->uploading + (uint64_t)bytes > max)
		ok = false;
	else if (cl && bytes > 0)
		cl->uploading += (uint64_t)bytes;
	else if (cl)
		cl->uploading -= (uint64_t)-bytes < cl->uploading ? (uint64_t)-bytes : cl->uploading;
	pthread_mutex_unlock(&c->lock);
	return ok;
}
