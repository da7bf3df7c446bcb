/*
 * netaddr.h - IP addresses and CIDR lists (for MTAG_TRUSTED_PROXIES).
 *
 * A list is parsed once at start-up and read-only afterwards, so threads may
 * share it. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) match IPv4 entries.
 */
#ifndef MTAG_NETADDR_H
#define MTAG_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#define NETADDR_LIST_MAX 32

struct netaddr_cidr {
	unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
	int bits;               /* prefix length over the 128 bits */
};

struct netaddr_list {
	struct netaddr_cidr items[NETADDR_LIST_MAX];
	size_t n;
};

/* Parse "10.0.0.1, 192.168.0.0/16, ::1" (empty = no entries). False when an entry is invalid or there are too many. */
bool netaddr_list_parse(const char *s, struct netaddr_list *out);
/* True when the textual address ip lies in one of the list's ranges. */
bool netaddr_list_contains(const struct netaddr_list *l, const char *ip);
/* Parse one textual address into 16 bytes (IPv4 mapped). */
bool netaddr_parse(const char *ip, unsigned char out[16]);

/*
 * The client an address is, for limits: an IPv4 address as it is, an IPv6
 * one as its /64 ("2001:db8:0:1::/64"; one host may use any address in it);
 * text that is no address, as it is (cut to fit). OUT: out.
 */
#define NETADDR_CLIENT_LEN 64
void netaddr_client(const char *ip, char out[NETADDR_CLIENT_LEN]);

#endif
