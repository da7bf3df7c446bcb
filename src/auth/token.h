/*
 * token.h - JWT access tokens (HS256) and opaque refresh tokens.
 *
 * Our own small JWT implementation over OpenSSL's HMAC rather than Debian
 * 12's libjwt 1.10, which accepts "alg":"none" when no key is passed and
 * never checks "exp". Signing always writes {"alg":"HS256","typ":"JWT"};
 * verification accepts exactly alg HS256 (anything else, "none" included, is
 * refused before the signature is looked at), compares the signature in
 * constant time, and checks exp, type and iss. Checking that the session is
 * still live is the caller's job (auth/session). Thread-safe; no state.
 */
#ifndef MTAG_TOKEN_H
#define MTAG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/digest.h"
#include "base/err.h"

#define TOKEN_ISSUER "mtag"
#define TOKEN_MAX_LEN 4096
/* How far in the future a token's iat may be (nodes' clocks differ a little). */
#define TOKEN_CLOCK_SKEW_S 60
/* An opaque refresh token: 32 random bytes as 64 hex digits. */
#define REFRESH_TOKEN_LEN 64

struct token_claims {
	const char *sub;  /* user id */
	const char *sid;  /* session id */
	const char *type; /* "access" */
	int64_t iat;      /* seconds since the epoch */
	int64_t exp;
};

/* Sign claims with key (at least 32 bytes). OUT: the compact JWT in the arena. */
char *token_sign(struct arena *a, const char *key, size_t keylen, const struct token_claims *c);
/*
 * Verify a compact JWT: structure, alg HS256 exactly, no crit header,
 * signature, iss, type equal to want_type, exp > now, iat at most
 * TOKEN_CLOCK_SKEW_S after now. ERR_UNAUTHORIZED on any failure.
 * OUT: *out, claims whose strings live in the arena.
 */
enum mtag_err token_verify(struct arena *a, const char *key, size_t keylen, const char *jwt,
			   const char *want_type, int64_t now, struct token_claims *out);
/* A 32-byte key for one purpose ("access-token", "download-link") derived from the secret. */
void token_derive_key(const char *secret, const char *purpose, unsigned char out[32]);
/* A new refresh token: 64 hex digits and a NUL. */
void token_refresh_new(char out[REFRESH_TOKEN_LEN + 1]);
/*
 * The refresh token that replaces token: HMAC-SHA256 under key (derived from
 * the secret for this use) as 64 hex digits. One token has one replacement,
 * whoever presents it and however often (a double submit within the grace
 * gets the same one again), and nobody without the key can compute it.
 */
void token_refresh_next(const unsigned char key[32], const char *token,
			char out[REFRESH_TOKEN_LEN + 1]);
/* The SHA-256 of s as 64 hex digits: what the database keeps of a refresh token. */
void token_sha256_hex(const char *s, char out[SHA256_HEX_LEN]);

#endif
