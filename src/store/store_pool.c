/*
 * store_pool.c - the bounded connection pool both drivers share.
 *
 * A fixed array of slots guarded by one mutex; a condition variable on the
 * monotonic clock wakes waiters when a slot comes back. A slot's connection
 * is made lazily by the first caller that gets the slot, outside the mutex
 * (connecting may take seconds), and remade when the driver's check says the
 * idle connection died (a PostgreSQL server restart). Discarded connections
 * are closed outside the mutex too.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "store_int.h"
#include "base/xalloc.h"

void store_pool_init(struct store_pool *p, int size, int64_t timeout_us,
		     const struct store_pool_conn_ops *ops, void *ctx)
{
	pthread_condattr_t ca;

	memset(p->slots, 0, sizeof(p->slots));
	p->size = size < 1 ? 1 : size > STORE_POOL_MAX ? STORE_POOL_MAX : size;
	p->timeout_us = timeout_us;
	p->ops = ops;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
}

void store_pool_release(struct store_pool *p)
{
	for (int i = 0; i < p->size; i++) {
		if (p->slots[i].conn)
			p->ops->close(p->ctx, p->slots[i].conn);
		p->slots[i].conn = NULL;
		p->slots[i].busy = false;
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
}

/* A free slot, preferring one whose connection is open; NULL when all are busy. Mutex held. */
static struct store_pool_slot *pool_pick(struct store_pool *p)
{
	struct store_pool_slot *empty = NULL;

	for (int i = 0; i < p->size; i++) {
		struct store_pool_slot *s = &p->slots[i];
		if (s->busy)
			continue;
		if (s->conn)
			return s;
		if (!empty)
			empty = s;
	}
	return empty;
}

/* Wait for a free slot until the deadline and mark it busy; NULL on timeout. */
static struct store_pool_slot *pool_take(struct store_pool *p)
{
	struct timespec deadline;
	struct store_pool_slot *s;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(p->timeout_us / 1000000);
	deadline.tv_nsec += (long)(p->timeout_us % 1000000) * 1000;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (!(s = pool_pick(p))) {
		int rc = pthread_cond_timedwait(&p->cond, &p->mu, &deadline);
		if (rc == ETIMEDOUT) {
			s = pool_pick(p);
			break;
		}
	}
	if (s)
		s->busy = true;
	pthread_mutex_unlock(&p->mu);
	return s;
}

enum mtag_err store_pool_acquire(struct store_pool *p, struct store_pool_slot **slot)
{
	enum mtag_err e = ERR_OK;
	struct store_pool_slot *s = pool_take(p);

	*slot = NULL;
	if (!s) {
		log_warn("store.pool.exhausted", "size=%d waited_ms=%lld", p->size,
			 (long long)(p->timeout_us / 1000));
		return ERR_UNAVAILABLE;
	}
	if (s->conn && p->ops->check && !p->ops->check(p->ctx, s->conn)) {
		p->ops->close(p->ctx, s->conn);
		s->conn = NULL;
	}
	if (!s->conn)
		e = p->ops->open(p->ctx, &s->conn);
	if (e) {
		s->conn = NULL;
		store_pool_return(p, s, false);
		return e;
	}
	*slot = s;
	return ERR_OK;
}

void store_pool_return(struct store_pool *p, struct store_pool_slot *slot, bool discard)
{
	if (!slot)
		return;
	if (discard && slot->conn) {
		p->ops->close(p->ctx, slot->conn);
		slot->conn = NULL;
	}
	pthread_mutex_lock(&p->mu);
	slot->busy = false;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mu);
}

void store_pool_usage(struct store *s, int *in_use, int *size)
{
	struct store_pool *p = &s->pool;
	int busy = 0;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->size; i++)
		busy += p->slots[i].busy;
	*size = p->size;
	pthread_mutex_unlock(&p->mu);
	*in_use = busy;
}
