/*
 * random.h - bytes from the kernel's CSPRNG (getrandom), and ids made of them.
 *
 * Thread-safe. UUIDs are written in the canonical lower-case 36-character form.
 */
#ifndef MTAG_RANDOM_H
#define MTAG_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Fill buf with n cryptographically secure random bytes; aborts if the kernel cannot. */
void random_bytes(void *buf, size_t n);
/* Write n random bytes as 2n lower-case hex digits and a NUL into out (2n+1 bytes). */
void random_hex(char *out, size_t n);
/* A random (version 4) UUID. */
void uuid_v4(char out[UUID_STR_LEN]);
/* A time-ordered (version 7) UUID: 48-bit Unix milliseconds, then random bits. */
void uuid_v7(char out[UUID_STR_LEN]);
/* True when s is a UUID in canonical form (any version, either case). */
bool uuid_valid(const char *s);

#endif
