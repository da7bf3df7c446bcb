/*
 * fetch_addr.c - the default address policy of fetch.h: which numeric
 * addresses a download may not connect to, and why. The tables below are
 * the list documented in fetch.h; the first matching range wins.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "pipeline/fetch.h"
#include "base/xalloc.h"

static const char R_UNSPECIFIED[] = "an unspecified address";
static const char R_LOOPBACK[] = "a loopback address";
static const char R_PRIVATE[] = "a private address";
static const char R_CGNAT[] = "a CGNAT address";
static const char R_LINK_LOCAL[] = "a link-local address";
static const char R_MULTICAST[] = "a multicast address";
static const char R_BROADCAST[] = "a broadcast address";
static const char R_RESERVED[] = "a reserved address";
static const char R_MAPPED[] = "an IPv4-mapped address";
static const char R_UNIQUE_LOCAL[] = "a unique-local address";
static const char R_INVALID[] = "an invalid address";

struct v4_range {
	uint32_t net;
	int bits;
	const char *reason;
};

static const struct v4_range v4_ranges[] = {
	{ 0x00000000, 32, R_UNSPECIFIED }, /* 0.0.0.0 */
	{ 0x00000000, 8, R_RESERVED },     /* 0/8 "this network" */
	{ 0x0a000000, 8, R_PRIVATE },      /* 10/8 */
	{ 0x64400000, 10, R_CGNAT },       /* 100.64/10 */
	{ 0x7f000000, 8, R_LOOPBACK },     /* 127/8 */
	{ 0xa9fe0000, 16, R_LINK_LOCAL },  /* 169.254/16 */
	{ 0xac100000, 12, R_PRIVATE },     /* 172.16/12 */
	{ 0xc0000000, 24, R_RESERVED },    /* 192.0.0/24 IETF protocol assignments */
	{ 0xc0000200, 24, R_RESERVED },    /* 192.0.2/24 TEST-NET-1 */
	{ 0xc0586300, 24, R_RESERVED },    /* 192.88.99/24 6to4 relay anycast */
	{ 0xc0a80000, 16, R_PRIVATE },     /* 192.168/16 */
	{ 0xc6120000, 15, R_RESERVED },    /* 198.18/15 benchmarking */
	{ 0xc6336400, 24, R_RESERVED },    /* 198.51.100/24 TEST-NET-2 */
	{ 0xcb007100, 24, R_RESERVED },    /* 203.0.113/24 TEST-NET-3 */
	{ 0xe0000000, 4, R_MULTICAST },    /* 224/4 */
	{ 0xffffffff, 32, R_BROADCAST },   /* 255.255.255.255 */
	{ 0xf0000000, 4, R_RESERVED },     /* 240/4 */
};

struct v6_range {
	unsigned char net[16];
	int bits;
	const char *reason; /* NULL: classify the IPv4 embedded at v4_at */
	int v4_at;
};

static const struct v6_range v6_ranges[] = {
	{ { 0 }, 128, R_UNSPECIFIED, 0 },                               /* :: */
	{ { [15] = 1 }, 128, R_LOOPBACK, 0 },                           /* ::1 */
	{ { [10] = 0xff, [11] = 0xff }, 96, R_MAPPED, 0 },              /* ::ffff:0:0/96 */
	{ { 0x00, 0x64, 0xff, 0x9b }, 96, NULL, 12 },                   /* 64:ff9b::/96 NAT64 */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, R_RESERVED, 0 }, /* 64:ff9b:1::/48 */
	{ { 0x01, 0x00 }, 64, R_RESERVED, 0 },                          /* 100::/64 discard */
	{ { 0x20, 0x01, 0x00, 0x00 }, 32, R_RESERVED, 0 },              /* 2001::/32 Teredo */
	{ { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 }, 48, R_RESERVED, 0 },  /* 2001:2::/48 */
	{ { 0x20, 0x01, 0x00, 0x10 }, 28, R_RESERVED, 0 },              /* 2001:10::/28 ORCHID */
	{ { 0x20, 0x01, 0x00, 0x20 }, 28, R_RESERVED, 0 },              /* 2001:20::/28 ORCHIDv2 */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, R_RESERVED, 0 },              /* 2001:db8::/32 */
	{ { 0x20, 0x02 }, 16, NULL, 2 },                                /* 2002::/16 6to4 */
	{ { 0x3f, 0xff }, 20, R_RESERVED, 0 },                          /* 3fff::/20 */
	{ { 0xfc }, 7, R_UNIQUE_LOCAL, 0 },                             /* fc00::/7 */
	{ { 0xfe, 0x80 }, 10, R_LINK_LOCAL, 0 },                        /* fe80::/10 */
	{ { 0xfe, 0xc0 }, 10, R_RESERVED, 0 },                          /* fec0::/10 site-local */
	{ { 0xff }, 8, R_MULTICAST, 0 },                                /* ff00::/8 */
	{ { 0x20 }, 3, NULL, -1 },                                      /* 2000::/3: public */
};

static const char *classify_v4(const unsigned char b[4])
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++) {
		const struct v4_range *r = &v4_ranges[i];
		uint32_t mask = r->bits == 0 ? 0 : 0xffffffffu << (32 - r->bits);
		if ((a & mask) == r->net)
			return r->reason;
	}
	return NULL;
}

/* True when the first bits of a and net agree. */
static bool prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
	int full = bits / 8, rest = bits % 8;
	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (net[full] & mask);
}

static const char *classify_v6(const unsigned char a[16])
{
	for (size_t i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++) {
		const struct v6_range *r = &v6_ranges[i];
		if (!prefix_match(a, r->net, r->bits))
			continue;
		if (r->reason)
			return r->reason;
		return r->v4_at < 0 ? NULL : classify_v4(a + r->v4_at);
	}
	return R_RESERVED; /* outside 2000::/3: not global unicast */
}

const char *fetch_blocked_reason(const char *ip)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char a[16];
	if (!ip)
		return R_INVALID;
	size_t n = strcspn(ip, "%");
	if (n == 0 || n >= sizeof(text))
		return R_INVALID;
	memcpy(text, ip, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, a) == 1)
		return classify_v4(a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return classify_v6(a);
	return R_INVALID;
}
