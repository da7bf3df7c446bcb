/*
 * fetch.h - safe downloads (libcurl): http and https only, every address
 * actually connected to checked (also after each redirect), size and time
 * capped while streaming. Implemented in fetch.c (the transfer) and
 * fetch_addr.c (the address policy).
 *
 * SSRF: the address of every connection is checked twice: before the socket
 * is opened (so no packet reaches a refused address) and again once the
 * connection is up, before any request byte is sent (also when a connection
 * is reused, and on each redirect hop). The check runs after DNS, on the
 * numeric address, so a name that resolves differently the second time
 * cannot slip through. Proxies from the environment (http_proxy, ...) are
 * ignored, so they cannot route around the check. Unless allow_private (or
 * an address_policy), these are refused, with the reason in the error:
 *
 *   IPv4  0.0.0.0              unspecified     0.0.0.0/8      reserved
 *         10/8, 172.16/12, 192.168/16 private  100.64/10      CGNAT
 *         127/8                loopback        169.254/16     link-local (cloud metadata)
 *         192.0.0/24 (IETF, incl. 192.0.0.192 metadata), 192.0.2/24, 198.51.100/24,
 *         203.0.113/24 (TEST-NETs), 192.88.99/24 (6to4 relay), 198.18/15
 *         (benchmarking), 240/4                reserved
 *         224/4                multicast       255.255.255.255 broadcast
 *   IPv6  ::                   unspecified     ::1            loopback
 *         ::ffff:0:0/96        IPv4-mapped, always (whatever the IPv4 inside)
 *         64:ff9b::/96 (NAT64) and 2002::/16 (6to4): the embedded IPv4 is
 *                              classified as above; refused unless public
 *         64:ff9b:1::/48 (local NAT64), 100::/64 (discard), 2001::/32
 *         (Teredo), 2001:2::/48 (benchmarking), 2001:10::/28 and 2001:20::/28
 *         (ORCHID), 2001:db8::/32 and 3fff::/20 (documentation), fec0::/10
 *         (site-local), and everything outside 2000::/3 not listed here
 *         (IPv4-compatible ::/96 included)           reserved
 *         fc00::/7             unique-local (fd00:ec2::254 metadata included)
 *         fe80::/10            link-local      ff00::/8       multicast
 *   A text that is not a numeric address is refused ("an invalid address").
 *
 * Redirects: at most max_redirects, http(s) only; the size cap counts the
 * decoded body (what lands in fd), so a gzip bomb stops at the cap.
 *
 * Errors are one clear sentence in result->error ("download failed: HTTP
 * 404", "blocked: 10.0.0.1 is a private address", "too large: more than 100
 * MB" (bytes when the cap is not whole MB), "timed out after 60 s", "timed
 * out after 10 s connecting to host:443", "download failed: cannot resolve
 * host x", "download failed: connection refused by host:port", "download
 * failed: TLS: ...", "download failed: more than 5 redirects", "blocked: a
 * redirect to the unsupported scheme ftp", "invalid URL: ...", "unsupported
 * scheme: ftp"). Thread-safe: each call has its own handle; the CA bundle is
 * libcurl's default (the system's), peer and host always verified.
 */
#ifndef MTAG_FETCH_H
#define MTAG_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

/* Longest URL accepted. */
#define FETCH_URL_MAX 8192

/*
 * An address policy: NULL when the numeric address ip may be connected to,
 * else the reason, a phrase such as "a private address" (copied, so it may
 * be a temporary). Called from the fetching thread, several times per call.
 */
typedef const char *(*fetch_policy_fn)(const char *ip, void *ctx);

/* Timeouts <= 0 and a NULL user_agent take the defaults; max_redirects < 0 means 0. */
struct fetch_options {
	size_t max_bytes;        /* the body cap (decoded bytes), enforced while streaming */
	int connect_timeout_ms;  /* per connection attempt */
	int total_timeout_ms;    /* the whole transfer, redirects included */
	int max_redirects;       /* 5 by default */
	bool allow_private;      /* MTAG_FETCH_ALLOW_PRIVATE: no address is refused */
	const char *user_agent;  /* "mtag/0.1.0" by default */
	/*
	 * When non-NULL, replaces the default policy (fetch_blocked_reason, or
	 * nothing refused under allow_private) for every connection. An
	 * extension point for deployments with their own rules, and for tests
	 * (which can only use loopback addresses); NULL by default.
	 */
	fetch_policy_fn address_policy;
	void *address_policy_ctx; /* passed to address_policy */
};

struct fetch_result {
	int http_status;          /* of the last response, 0 when none */
	size_t bytes;             /* body bytes written */
	const char *final_url;    /* after redirects (arena, may be NULL) */
	const char *content_type; /* as the server said (arena, may be NULL): informational only */
	const char *filename;     /* last path segment of the final URL, decoded (arena, may be NULL) */
	char error[256];          /* the sentence, when the call failed ("" on success) */
};

/* The defaults: 100 MB, 10 s connect, 60 s total, 5 redirects, private refused, no policy. */
void fetch_options_init(struct fetch_options *o);
/*
 * Download url into fd (a blocking file the caller opened, e.g. a temp
 * file); on failure the caller discards what was written.
 * ERR_VALIDATION for a malformed URL or another scheme, ERR_FORBIDDEN for a
 * blocked address or a redirect to another scheme, ERR_TOO_LARGE past
 * max_bytes, ERR_TIMEOUT, ERR_UNAVAILABLE for an HTTP status other than 2xx
 * or a network failure, ERR_IO when fd cannot be written. OUT: *out
 * (strings in a).
 */
enum mtag_err fetch_to_fd(struct arena *a, const char *url, const struct fetch_options *o, int fd,
			  struct fetch_result *out);
/*
 * The pre-check: an http(s) URL with a host, no user name or password, at
 * most FETCH_URL_MAX bytes. ERR_VALIDATION with the sentence in err.
 */
enum mtag_err fetch_url_check(const char *url, char *err, size_t errsz);
/* "host:port" of url (default port filled in) into out; "?" when it does not parse. */
void fetch_url_host_port(const char *url, char *out, size_t outsz);
/*
 * Classify a numeric IPv4 or IPv6 address (an IPv6 "%zone" suffix is
 * ignored): NULL when public, else the reason ("a private address", "a
 * loopback address", ...; the list above). The default policy.
 */
const char *fetch_blocked_reason(const char *ip);

#endif
