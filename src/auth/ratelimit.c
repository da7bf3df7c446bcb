#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ratelimit.h"
#include "base/xalloc.h"

/* Slots looked at for one key (open addressing). */
#define PROBE 8

struct bucket {
	uint64_t key;       /* FNV-1a of the key string; 0 = empty slot */
	double tokens;
	int64_t updated_us;
};

struct ratelimit {
	pthread_mutex_t lock;
	struct bucket slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* The key's bucket, or the slot to reuse for it (empty, else least recently used). */
static struct bucket *find_slot(struct ratelimit *rl, uint64_t key)
{
	size_t start = (size_t)(key % RATELIMIT_SLOTS);
	struct bucket *victim = NULL;
	for (size_t i = 0; i < PROBE; i++) {
		struct bucket *b = &rl->slots[(start + i) % RATELIMIT_SLOTS];
		if (b->key == key)
			return b;
		if (!victim || b->key == 0 ||
		    (victim->key != 0 && b->updated_us < victim->updated_us))
			victim = b;
	}
	return victim;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, int per_minute, int64_t now_us,
		    int *retry_after_s)
{
	uint64_t h = hash_key(key);
	double cap = per_minute, rate_per_us = per_minute / 60e6;
	bool ok;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = find_slot(rl, h);
	if (b->key != h) {
		b->key = h;
		b->tokens = cap;
		b->updated_us = now_us;
	}
	if (now_us > b->updated_us) {
		b->tokens += (double)(now_us - b->updated_us) * rate_per_us;
		if (b->tokens > cap)
			b->tokens = cap;
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
