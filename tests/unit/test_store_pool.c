/*
 * test_store_pool.c - the store's generic connection pool, on a fake driver:
 * lazy creation, reuse, exhaustion (ERR_UNAVAILABLE after the timeout),
 * discard, a failing open, the liveness check, and many threads at once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "harness.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/store_int.h"
#include "base/xalloc.h"

/* A fake driver: connections are numbers, counted as they open and close. */
struct fake {
	atomic_int opens;
	atomic_int closes;
	atomic_int in_use; /* slots held right now (threads test) */
	atomic_int max_in_use;
	bool fail;   /* open fails */
	intptr_t dead; /* the connection the check reports dead */
};

static enum mtag_err fake_open(void *ctx, void **conn)
{
	struct fake *f = ctx;

	if (f->fail)
		return ERR_UNAVAILABLE;
	*conn = (void *)(intptr_t)(atomic_fetch_add(&f->opens, 1) + 1);
	return ERR_OK;
}

static void fake_close(void *ctx, void *conn)
{
	struct fake *f = ctx;

	(void)conn;
	atomic_fetch_add(&f->closes, 1);
}

static bool fake_check(void *ctx, void *conn)
{
	struct fake *f = ctx;
	return (intptr_t)conn != f->dead;
}

static const struct store_pool_conn_ops fake_ops = { fake_open, fake_close, fake_check };

static void test_pool_lazy_reuse_exhaustion(void)
{
	static struct store_pool p; /* about 4 KB of slots: keep it off the stack */
	struct fake f = { 0 };
	struct store_pool_slot *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	int64_t t0;

	store_pool_init(&p, 2, 100 * 1000, &fake_ops, &f);
	CHECK_INT(atomic_load(&f.opens), 0); /* nothing made before it is needed */
	CHECK_INT(store_pool_acquire(&p, &a), ERR_OK);
	CHECK_INT(store_pool_acquire(&p, &b), ERR_OK);
	CHECK_INT(atomic_load(&f.opens), 2);
	CHECK(a->conn != b->conn);

	t0 = clock_mono_us();
	CHECK_INT(store_pool_acquire(&p, &c), ERR_UNAVAILABLE);
	CHECK(c == NULL);
	CHECK(clock_mono_us() - t0 >= 90 * 1000); /* it waited for the timeout */

	store_pool_return(&p, a, false);
	CHECK_INT(store_pool_acquire(&p, &c), ERR_OK);
	CHECK_INT(atomic_load(&f.opens), 2); /* reused, not remade */
	CHECK(c->conn == (void *)(intptr_t)1);

	store_pool_return(&p, b, true); /* broken: closed now, remade lazily */
	CHECK_INT(atomic_load(&f.closes), 1);
	CHECK_INT(store_pool_acquire(&p, &d), ERR_OK);
	CHECK_INT(atomic_load(&f.opens), 3);
	store_pool_return(&p, c, false);
	store_pool_return(&p, d, false);
	store_pool_release(&p);
	CHECK_INT(atomic_load(&f.closes), 3);
}

static void test_pool_open_failure_frees_slot(void)
{
	static struct store_pool p;
	struct fake f = { 0 };
	struct store_pool_slot *a = NULL;

	store_pool_init(&p, 1, 100 * 1000, &fake_ops, &f);
	f.fail = true;
	CHECK_INT(store_pool_acquire(&p, &a), ERR_UNAVAILABLE);
	CHECK(a == NULL);
	f.fail = false;
	CHECK_INT(store_pool_acquire(&p, &a), ERR_OK); /* the slot came back */
	CHECK_INT(atomic_load(&f.opens), 1);
	store_pool_return(&p, a, false);
	store_pool_release(&p);
}

static void test_pool_check_remakes_dead(void)
{
	static struct store_pool p;
	struct fake f = { 0 };
	struct store_pool_slot *a = NULL;

	store_pool_init(&p, 1, 100 * 1000, &fake_ops, &f);
	CHECK_INT(store_pool_acquire(&p, &a), ERR_OK);
	store_pool_return(&p, a, false);
	f.dead = 1; /* the server dropped connection 1 while it was idle */
	CHECK_INT(store_pool_acquire(&p, &a), ERR_OK);
	CHECK(a->conn == (void *)(intptr_t)2);
	CHECK_INT(atomic_load(&f.closes), 1);
	store_pool_return(&p, a, false);
	store_pool_release(&p);
}

struct pool_worker {
	struct store_pool *p;
	struct fake *f;
	int errors;
};

static void *pool_worker_main(void *arg)
{
	struct pool_worker *w = arg;

	for (int i = 0; i < 300; i++) {
		struct store_pool_slot *s = NULL;
		if (store_pool_acquire(w->p, &s) != ERR_OK) {
			w->errors++;
			continue;
		}
		int now = atomic_fetch_add(&w->f->in_use, 1) + 1;
		int max = atomic_load(&w->f->max_in_use);
		while (now > max && !atomic_compare_exchange_weak(&w->f->max_in_use, &max, now))
			;
		atomic_fetch_sub(&w->f->in_use, 1);
		store_pool_return(w->p, s, i % 50 == 0);
	}
	return NULL;
}

static void test_pool_threads_bounded(void)
{
	static struct store_pool p;
	struct fake f = { 0 };
	pthread_t th[8];
	struct pool_worker w[8];
	int errors = 0;

	store_pool_init(&p, 3, 5 * 1000000LL, &fake_ops, &f);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct pool_worker){ &p, &f, 0 };
		pthread_create(&th[i], NULL, pool_worker_main, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	store_pool_release(&p);
	CHECK_INT(errors, 0);
	CHECK(atomic_load(&f.max_in_use) <= 3);
	CHECK(atomic_load(&f.max_in_use) >= 1);
	CHECK_INT(atomic_load(&f.opens), atomic_load(&f.closes)); /* nothing leaked */
}

int main(void)
{
	log_set_level(LOG_ERROR);
	RUN(test_pool_lazy_reuse_exhaustion);
	RUN(test_pool_open_failure_frees_slot);
	RUN(test_pool_check_remakes_dead);
	RUN(test_pool_threads_bounded);
	return unit_report("test_store_pool");
}
