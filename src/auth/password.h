/*
 * password.h - password hashing: argon2id for new hashes, bcrypt accepted.
 *
 * New hashes are argon2id (m=19 MiB, t=2, p=1, 16-byte salt, 32-byte tag) in
 * PHC form. Hashes imported from the original system in bcrypt form ($2a$,
 * $2b$, $2y$) verify through libxcrypt and are reported as needing a rehash.
 * Hashing and verifying run at most PASSWORD_MAX_PARALLEL at once (each takes
 * ~20 ms of CPU and 19 MiB), so a burst of logins cannot starve other work:
 * callers past the limit wait up to 5 s, then get ERR_UNAVAILABLE.
 * Thread-safe.
 */
#ifndef MTAG_PASSWORD_H
#define MTAG_PASSWORD_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/err.h"

/* Hash pw with argon2id. OUT: *out, the PHC string in the arena. */
enum mtag_err password_hash(struct arena *a, const char *pw, const char **out);
/*
 * Check pw against an argon2id or bcrypt hash. ERR_UNAUTHORIZED on mismatch
 * or on a hash of any other form. OUT: *needs_rehash, true when the hash is
 * not argon2id with the current parameters (may be NULL).
 */
enum mtag_err password_verify(const char *hash, const char *pw, bool *needs_rehash);
/* Spend the time of a real verification, for an unknown account (same timing). */
void password_verify_dummy(const char *pw);

#endif
