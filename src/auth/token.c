#include <jansson.h>
#include <string.h>

#include "auth/token.h"
#include "base/digest.h"
#include "base/jsonx.h"
#include "base/random.h"
#include "base/xalloc.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding, into the arena. */
static char *b64url_encode(struct arena *a, const unsigned char *in, size_t n)
{
	char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1), *p = out;
	size_t i;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*p++ = b64url[v >> 18];
		*p++ = b64url[(v >> 12) & 63];
		*p++ = b64url[(v >> 6) & 63];
		*p++ = b64url[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		*p++ = b64url[v >> 18];
		*p++ = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			*p++ = b64url[(v >> 6) & 63];
	}
	*p = '\0';
	return out;
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

/* Decode n characters of base64url (no padding). OUT: bytes in the arena, *outlen. */
static unsigned char *b64url_decode(struct arena *a, const char *in, size_t n, size_t *outlen)
{
	if (n % 4 == 1)
		return NULL;
	unsigned char *out = arena_alloc(a, n * 3 / 4 + 1);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			return NULL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, so each token has one encoding. */
	if (acc != 0)
		return NULL;
	out[o] = '\0';
	*outlen = o;
	return out;
}

char *token_sign(struct arena *a, const char *key, size_t keylen, const struct token_claims *c)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", TOKEN_ISSUER, "sub", c->sub,
			      "sid", c->sid, "type", c->type, "iat", (json_int_t)c->iat, "exp",
			      (json_int_t)c->exp);
	char *payload = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	char *signing = arena_printf(a, "%s.%s",
				     b64url_encode(a, (const unsigned char *)header, strlen(header)),
				     b64url_encode(a, (const unsigned char *)payload, strlen(payload)));
	free(payload);
	unsigned char mac[32];
	digest_hmac_sha256(key, keylen, signing, strlen(signing), mac);
	return arena_printf(a, "%s.%s", signing, b64url_encode(a, mac, sizeof(mac)));
}

/* The JSON object encoded in n base64url characters, owned by the arena; NULL if invalid. */
static json_t *decode_part(struct arena *a, const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = b64url_decode(a, s, n, &len);
	if (!raw)
		return NULL;
	json_t *v = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return jsonx_own(a, v);
}

static const char *claim_str(struct arena *a, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? arena_strdup(a, json_string_value(v)) : NULL;
}

enum mtag_err token_verify(struct arena *a, const char *key, size_t keylen, const char *jwt,
			   const char *want_type, int64_t now, struct token_claims *out)
{
	size_t n = jwt ? strnlen(jwt, TOKEN_MAX_LEN + 1) : 0;
	if (n == 0 || n > TOKEN_MAX_LEN)
		return ERR_UNAUTHORIZED;
	const char *dot1 = memchr(jwt, '.', n);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - jwt)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - jwt)))
		return ERR_UNAUTHORIZED;

	/* The algorithm is pinned before anything else is trusted. */
	json_t *header = decode_part(a, jwt, (size_t)(dot1 - jwt));
	json_t *alg = header ? json_object_get(header, "alg") : NULL;
	if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0)
		return ERR_UNAUTHORIZED;
	/* RFC 7515 4.1.11: extensions marked critical must be understood; we know none. */
	if (json_object_get(header, "crit"))
		return ERR_UNAUTHORIZED;

	size_t siglen;
	unsigned char *sig = b64url_decode(a, dot2 + 1, n - (size_t)(dot2 + 1 - jwt), &siglen);
	unsigned char mac[32];
	digest_hmac_sha256(key, keylen, jwt, (size_t)(dot2 - jwt), mac);
	if (!sig || siglen != sizeof(mac) || !digest_equal(sig, mac, sizeof(mac)))
		return ERR_UNAUTHORIZED;

	json_t *p = decode_part(a, dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!p)
		return ERR_UNAUTHORIZED;
	json_t *iat = json_object_get(p, "iat"), *exp = json_object_get(p, "exp");
	const char *iss = claim_str(a, p, "iss");
	out->sub = claim_str(a, p, "sub");
	out->sid = claim_str(a, p, "sid");
	out->type = claim_str(a, p, "type");
	if (!json_is_integer(iat) || !json_is_integer(exp) || !iss || !out->sub || !out->sid ||
	    !out->type)
		return ERR_UNAUTHORIZED;
	out->iat = json_integer_value(iat);
	out->exp = json_integer_value(exp);
	/* Issued in the future: another node's clock may be ahead, by this much at most. */
	if (strcmp(iss, TOKEN_ISSUER) != 0 || strcmp(out->type, want_type) != 0 || out->exp <= now ||
	    out->iat > now + TOKEN_CLOCK_SKEW_S)
		return ERR_UNAUTHORIZED;
	return ERR_OK;
}

void token_derive_key(const char *secret, const char *purpose, unsigned char out[32])
{
	/* HMAC(secret, purpose): one secret, independent keys per use. */
	digest_hmac_sha256(secret, strlen(secret), purpose, strlen(purpose), out);
}

void token_refresh_new(char out[REFRESH_TOKEN_LEN + 1])
{
	random_hex(out, REFRESH_TOKEN_LEN / 2);
}

void token_refresh_next(const unsigned char key[32], const char *token,
			char out[REFRESH_TOKEN_LEN + 1])
{
	unsigned char mac[REFRESH_TOKEN_LEN / 2];
	digest_hmac_sha256(key, 32, token, strlen(token), mac);
	digest_hex(mac, sizeof(mac), out);
}

void token_sha256_hex(const char *s, char out[SHA256_HEX_LEN])
{
	digest_sha256_hex(s, strlen(s), out);
}
