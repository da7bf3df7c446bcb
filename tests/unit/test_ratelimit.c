#include <stdio.h>

#include "harness.h"
#include "auth/ratelimit.h"
#include "base/netaddr.h"
#include "base/xalloc.h"

static void test_bucket_refills(void)
{
	struct ratelimit *rl = ratelimit_new();
	int retry = 0;
	int64_t t = 1000000;
	for (int i = 0; i < 5; i++)
		CHECK(ratelimit_take(rl, "login:ip:1.2.3.4", 5, t, &retry));
	CHECK(!ratelimit_take(rl, "login:ip:1.2.3.4", 5, t, &retry));
	CHECK_INT(retry, 12); /* one token per 12 s */
	/* Another key is untouched. */
	CHECK(ratelimit_take(rl, "login:ip:5.6.7.8", 5, t, &retry));
	/* 12 s later exactly one token is back. */
	CHECK(ratelimit_take(rl, "login:ip:1.2.3.4", 5, t + 12000000, &retry));
	CHECK(!ratelimit_take(rl, "login:ip:1.2.3.4", 5, t + 12000000, &retry));
	/* After a minute the bucket is full again, never fuller. */
	for (int i = 0; i < 5; i++)
		CHECK(ratelimit_take(rl, "login:ip:1.2.3.4", 5, t + 600000000, &retry));
	CHECK(!ratelimit_take(rl, "login:ip:1.2.3.4", 5, t + 600000000, &retry));
	ratelimit_free(rl);
}

static void test_many_keys_stay_bounded(void)
{
	struct ratelimit *rl = ratelimit_new();
	int retry;
	char key[64];
	/* Far more keys than slots: old ones are forgotten, new ones start full. */
	for (int i = 0; i < 4 * RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK(ratelimit_take(rl, key, 1, 1000 + i, &retry));
	}
	ratelimit_free(rl);
}

static void test_netaddr_lists(void)
{
	struct netaddr_list l;
	CHECK(netaddr_list_parse("10.0.0.0/8, 192.168.1.7,fd00::/8", &l));
	CHECK_INT(l.n, 3);
	CHECK(netaddr_list_contains(&l, "10.200.3.4"));
	CHECK(!netaddr_list_contains(&l, "11.0.0.1"));
	CHECK(netaddr_list_contains(&l, "192.168.1.7"));
	CHECK(!netaddr_list_contains(&l, "192.168.1.8"));
	CHECK(netaddr_list_contains(&l, "fd12::1"));
	CHECK(!netaddr_list_contains(&l, "fe80::1"));
	CHECK(netaddr_list_contains(&l, "::ffff:10.1.2.3"));
	CHECK(!netaddr_list_contains(&l, "not-an-ip"));
	CHECK(!netaddr_list_contains(&l, NULL));
	CHECK(netaddr_list_parse("", &l));
	CHECK_INT(l.n, 0);
	CHECK(!netaddr_list_parse("10.0.0.0/33", &l));
	CHECK(!netaddr_list_parse("10.0.0.1,evil", &l));
	CHECK(!netaddr_list_parse("::1/129", &l));
}

/* The client limits count: an IPv4 address, an IPv6 /64. */
static void test_netaddr_client(void)
{
	char c[NETADDR_CLIENT_LEN];
	netaddr_client("203.0.113.5", c);
	CHECK_STR(c, "203.0.113.5");
	netaddr_client("::ffff:203.0.113.5", c);
	CHECK_STR(c, "203.0.113.5");
	netaddr_client("2001:db8:0:1::5", c);
	CHECK_STR(c, "2001:db8:0:1::/64");
	netaddr_client("2001:DB8:0:1:ffff:1:2:3", c);
	CHECK_STR(c, "2001:db8:0:1::/64");
	netaddr_client("not an address", c);
	CHECK_STR(c, "not an address");
	netaddr_client(NULL, c);
	CHECK_STR(c, "");
}

/*
 * A key limited keeps its bucket while keys that are full again are there to
 * reuse, even when it is the least recently used of them.
 */
static void test_limited_key_kept(void)
{
	struct ratelimit *rl = ratelimit_new();
	int retry = 0;
	char key[64];
	for (int i = 0; i < 3; i++)
		ratelimit_take(rl, "login:acct:victim", 3, 0, &retry);
	CHECK(!ratelimit_take(rl, "login:acct:victim", 3, 0, &retry));
	/* A second later, every slot holds a key that took one of its 60 tokens... */
	for (int i = 0; i < 4 * RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "old:%d", i);
		ratelimit_take(rl, key, 60, 1000000, &retry);
	}
	/* ...and is full again two seconds later, when new keys come. */
	for (int i = 0; i < RATELIMIT_SLOTS / 2; i++) {
		snprintf(key, sizeof(key), "new:%d", i);
		ratelimit_take(rl, key, 60, 3000000, &retry);
	}
	CHECK(!ratelimit_take(rl, "login:acct:victim", 3, 3000000, &retry));
	ratelimit_free(rl);
}

int main(void)
{
	RUN(test_bucket_refills);
	RUN(test_many_keys_stay_bounded);
	RUN(test_netaddr_lists);
	RUN(test_netaddr_client);
	RUN(test_limited_key_kept);
	return unit_report("test_ratelimit");
}
