/*
 * test_http_clients.c - open connections counted per client: an IPv4
 * address, or an IPv6 /64 whatever its host part (libmicrohttpd's own limit
 * counted each IPv6 address apart, so one host held every connection).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "http/http_int.h"

static void key_of(const char *ip, char out[NETADDR_CLIENT_LEN])
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
	http_client_key((struct sockaddr *)&ss, out);
}

static void test_a_64_is_one_client(void)
{
	char a[NETADDR_CLIENT_LEN], b[NETADDR_CLIENT_LEN], c[NETADDR_CLIENT_LEN],
		d[NETADDR_CLIENT_LEN], e[NETADDR_CLIENT_LEN];
	key_of("fd00:beef::1", a);
	key_of("fd00:beef::ffff:1234:5678:9abc", b);
	key_of("fd00:beef:0:1::1", c);
	key_of("192.0.2.7", d);
	key_of("192.0.2.8", e);
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK_STR(d, "192.0.2.7");
	struct http_clients *cl = http_clients_new(3, 4);
	/* Three connections of the /64, from any of its addresses; a fourth is refused. */
	CHECK(http_clients_take(cl, a));
	CHECK(http_clients_take(cl, b));
	CHECK(http_clients_take(cl, a));
	CHECK(!http_clients_take(cl, b));
	CHECK_INT(http_clients_open(cl, a), 3);
	/* Another /64 and IPv4 addresses are clients of their own. */
	CHECK(http_clients_take(cl, c));
	CHECK(http_clients_take(cl, d));
	CHECK(http_clients_take(cl, e));
	CHECK_INT(http_clients_open(cl, e), 1);
	/* The table is full (4 clients): a fifth client waits for one to go. */
	char f[NETADDR_CLIENT_LEN];
	key_of("198.51.100.1", f);
	CHECK(!http_clients_take(cl, f));
	http_clients_give(cl, d);
	CHECK_INT(http_clients_open(cl, d), 0);
	CHECK(http_clients_take(cl, f));
	/* A connection closed is a place for another. */
	http_clients_give(cl, a);
	CHECK(http_clients_take(cl, b));
	CHECK_INT(http_clients_open(cl, b), 3);
	CHECK_INT(http_clients_open(cl, e), 1);
	http_clients_free(cl);
}

int main(void)
{
	RUN(test_a_64_is_one_client);
	return unit_report("test_http_clients");
}
