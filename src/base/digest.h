/*
 * digest.h - SHA-256, HMAC-SHA256 and constant-time comparison (nettle).
 *
 * nettle rather than OpenSSL: these are plain functions with no global set-up.
 * OpenSSL 3 loads its configuration and providers on the first digest, which
 * costs the server 1.7 MB of resident memory; with nettle, OpenSSL is set up
 * only when libcurl or libpq need TLS (bench/RESULTS.md). Thread-safe.
 */
#ifndef MTAG_DIGEST_H
#define MTAG_DIGEST_H

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65 /* 64 lower-case hex digits and the NUL */

/* A SHA-256 computed piece by piece (a file read in blocks). */
struct sha256_stream {
	struct sha256_ctx ctx;
};

void sha256_stream_begin(struct sha256_stream *s);
void sha256_stream_add(struct sha256_stream *s, const void *data, size_t n);
void sha256_stream_end(struct sha256_stream *s, unsigned char md[SHA256_LEN]);

void digest_sha256(const void *data, size_t n, unsigned char md[SHA256_LEN]);
void digest_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
			unsigned char mac[SHA256_LEN]);
/* SHA-256 of n bytes as hex. */
void digest_sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN]);
/* n bytes as 2n lower-case hex digits and a NUL. */
void digest_hex(const unsigned char *b, size_t n, char *out);
/* a and b equal, in a time that does not depend on where they differ. */
bool digest_equal(const void *a, const void *b, size_t n);

#endif
