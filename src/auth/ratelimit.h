/*
 * ratelimit.h - token buckets in memory, keyed by strings ("login:ip:1.2.3.4").
 *
 * A bucket holds at most per_minute tokens and refills at per_minute per
 * minute; each attempt takes one. The table has a fixed number of slots
 * (RATELIMIT_SLOTS), keys hashed with a secret of the table's: when a key's
 * slots are taken, the bucket reused is an empty or full one, else one with
 * tokens left, and only last one that refuses (the least recently used among
 * equals): a flood of new keys cannot aim at a key's slots, nor lift a limit
 * while other buckets can go, and can never punish a new key. Limits
 * are per process (per node): see docs/security.md for why. Thread-safe
 * (one mutex; each call is a few hundred nanoseconds).
 */
#ifndef MTAG_RATELIMIT_H
#define MTAG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 16384

struct ratelimit;

/* A new, empty table. Owned by the caller; free with ratelimit_free. */
struct ratelimit *ratelimit_new(void);
/* Free the table; NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);
/*
 * Take one token from key's bucket at time now_us. False when it is empty;
 * then OUT: *retry_after_s, whole seconds until a token is back (at least 1).
 */
bool ratelimit_take(struct ratelimit *rl, const char *key, int per_minute, int64_t now_us,
		    int *retry_after_s);

#endif
