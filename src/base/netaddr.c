#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/netaddr.h"
#include "base/xalloc.h"

bool netaddr_parse(const char *ip, unsigned char out[16])
{
	unsigned char v4[4];
	if (inet_pton(AF_INET, ip, v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, ip, out) == 1;
}

/* One entry: an address with an optional /prefix. */
static bool parse_cidr(const char *s, size_t len, struct netaddr_cidr *out)
{
	char tmp[64];
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *slash = strchr(tmp, '/');
	long bits = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || bits < 0 || bits > 128)
			return false;
	}
	if (!netaddr_parse(tmp, out->addr))
		return false;
	bool v4 = strchr(tmp, ':') == NULL;
	if (v4 && bits > 32)
		return false;
	out->bits = bits < 0 ? 128 : v4 ? 96 + (int)bits : (int)bits;
	return true;
}

bool netaddr_list_parse(const char *s, struct netaddr_list *out)
{
	out->n = 0;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		size_t len = strcspn(s, ", ");
		if (out->n == NETADDR_LIST_MAX || !parse_cidr(s, len, &out->items[out->n]))
			return false;
		out->n++;
		s += len;
	}
	return true;
}

static bool in_cidr(const struct netaddr_cidr *c, const unsigned char a[16])
{
	int full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr, a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

bool netaddr_list_contains(const struct netaddr_list *l, const char *ip)
{
	unsigned char a[16];
	if (!ip || !netaddr_parse(ip, a))
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (in_cidr(&l->items[i], a))
			return true;
	return false;
}

void netaddr_client(const char *ip, char out[NETADDR_CLIENT_LEN])
{
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	if (!ip || !netaddr_parse(ip, a)) {
		snprintf(out, NETADDR_CLIENT_LEN, "%s", ip ? ip : "");
	} else if (!memcmp(a, v4_mapped, sizeof(v4_mapped))) {
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
		snprintf(out, NETADDR_CLIENT_LEN, "%s", text);
	} else {
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, NETADDR_CLIENT_LEN, "%s/64", text);
	}
}
