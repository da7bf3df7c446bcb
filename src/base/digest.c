/*
 * digest.c - SHA-256 and HMAC-SHA256 through nettle (digest.h).
 */
#include <nettle/hmac.h>
#include <nettle/memops.h>

#include "base/digest.h"

void sha256_stream_begin(struct sha256_stream *s)
{
	sha256_init(&s->ctx);
}

void sha256_stream_add(struct sha256_stream *s, const void *data, size_t n)
{
	sha256_update(&s->ctx, n, data);
}

void sha256_stream_end(struct sha256_stream *s, unsigned char md[SHA256_LEN])
{
	sha256_digest(&s->ctx, SHA256_LEN, md);
}

void digest_sha256(const void *data, size_t n, unsigned char md[SHA256_LEN])
{
	struct sha256_stream s;
	sha256_stream_begin(&s);
	sha256_stream_add(&s, data, n);
	sha256_stream_end(&s, md);
}

void digest_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
			unsigned char mac[SHA256_LEN])
{
	struct hmac_sha256_ctx c;
	hmac_sha256_set_key(&c, keylen, key);
	hmac_sha256_update(&c, n, data);
	hmac_sha256_digest(&c, SHA256_LEN, mac);
}

void digest_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void digest_sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN])
{
	unsigned char md[SHA256_LEN];
	digest_sha256(data, n, md);
	digest_hex(md, sizeof(md), hex);
}

bool digest_equal(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n) != 0;
}
