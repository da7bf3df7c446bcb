#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ratelimit.h"
#include "base/digest.h"
#include "base/random.h"
#include "base/xalloc.h"

/* Slots looked at for one key (open addressing). */
#define PROBE 8

struct bucket {
	uint64_t key;       /* keyed hash of the key string; 0 = empty slot */
	double tokens;
	double cap;         /* per_minute of the key */
	int64_t updated_us;
};

struct ratelimit {
	pthread_mutex_t lock;
	/* Keys are hashed with a secret of the table's: one who can choose keys (emails)
	 * cannot aim them at another key's slots to push its bucket out. */
	unsigned char secret[32];
	struct bucket slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	random_bytes(rl->secret, sizeof(rl->secret));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static uint64_t hash_key(const struct ratelimit *rl, const char *s)
{
	unsigned char mac[32];
	uint64_t h = 0;
	digest_hmac_sha256(rl->secret, sizeof(rl->secret), s, strlen(s), mac);
	for (int i = 0; i < 8; i++)
		h = h << 8 | mac[i];
	return h ? h : 1;
}

/* Tokens b holds at now_us. */
static double bucket_tokens(const struct bucket *b, int64_t now_us)
{
	double refill = now_us > b->updated_us ? (double)(now_us - b->updated_us) * b->cap / 60e6 : 0;
	return b->tokens + refill;
}

/*
 * What forgetting b would cost: 0 for an empty or full bucket (nothing), 1
 * for one that has tokens left (a few attempts), 2 for one that refuses now
 * (a limit lifted).
 */
static int eviction_cost(const struct bucket *b, int64_t now_us)
{
	if (b->key == 0)
		return 0;
	double t = bucket_tokens(b, now_us);
	return t >= b->cap ? 0 : t >= 1.0 ? 1 : 2;
}

/*
 * The key's bucket, or the slot to reuse for it: the one whose loss costs
 * least, the least recently used among equals. A key that is being refused
 * keeps its bucket while any other can go: flooding the table with new keys
 * does not lift its limit.
 */
static struct bucket *find_slot(struct ratelimit *rl, uint64_t key, int64_t now_us)
{
	size_t start = (size_t)(key % RATELIMIT_SLOTS);
	struct bucket *victim = NULL;
	int victim_cost = 3;
	for (size_t i = 0; i < PROBE; i++) {
		struct bucket *b = &rl->slots[(start + i) % RATELIMIT_SLOTS];
		if (b->key == key)
			return b;
		int cost = eviction_cost(b, now_us);
		if (cost < victim_cost || (cost == victim_cost && b->updated_us < victim->updated_us)) {
			victim = b;
			victim_cost = cost;
		}
	}
	return victim;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, int per_minute, int64_t now_us,
		    int *retry_after_s)
{
	uint64_t h = hash_key(rl, key);
	double cap = per_minute, rate_per_us = per_minute / 60e6;
	bool ok;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = find_slot(rl, h, now_us);
	if (b->key != h) {
		b->key = h;
		b->tokens = cap;
		b->updated_us = now_us;
	}
	b->cap = cap;
	if (now_us > b->updated_us) {
		b->tokens = fmin(bucket_tokens(b, now_us), cap);
		b->updated_us = now_us;
	}
	ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	} else {
		double wait_s = (1.0 - b->tokens) / (rate_per_us * 1e6);
		int whole = (int)ceil(wait_s - 1e-6); /* 11.9999999 is 12, not 13 */
		*retry_after_s = whole < 1 ? 1 : whole;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
