/*
 * core_queue.c - the durable queue's workers: claim a document with a lease,
 * keep the lease alive while working, process it, and fail documents whose
 * workers died three times (DESIGN.md section 8).
 *
 * All state is in the database: a worker that dies leaves its document
 * "processing" with a lease that runs out after MTAG_LEASE_S; any worker of
 * any node then claims it again, up to CORE_MAX_ATTEMPTS claims. Threads:
 * MTAG_WORKERS workers and one lease keeper per process, all stopped by
 * core_free (a worker finishes the document it holds).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "blob/blob.h"
#include "core/core_int.h"
#include "core/core_process.h"
#include "pipeline/fetch.h"
#include "store/store.h"
#include "base/xalloc.h"

#define CORE_MAX_ATTEMPTS 3

/* Wait on work_wake (janitor_lock held) for at most ms; false once *stop is set. */
static bool wait_unless(struct core *c, int ms, const bool *stop)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (!*stop)
		pthread_cond_timedwait(&c->work_wake, &c->janitor_lock, &until);
	return !*stop;
}

/* Wait on work_wake (janitor_lock held) for at most ms; false when stopping. */
static bool idle_wait(struct core *c, int ms)
{
	return wait_unless(c, ms, &c->stopping);
}

static void hold(struct core *c, int slot, const char *id)
{
	pthread_mutex_lock(&c->janitor_lock);
	snprintf(c->held[slot], sizeof(c->held[slot]), "%s", id ? id : "");
	pthread_mutex_unlock(&c->janitor_lock);
}

struct worker_arg {
	struct core *c;
	int slot;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct core *c = wa->c;
	int slot = wa->slot;
	free(wa);
	for (;;) {
		struct arena a = ARENA_INIT;
		struct store_document d;
		int64_t now = clock_now_us();
		/* Storage down: nothing is claimed (idle) until it answers again. */
		enum mtag_err e = !core_storage_back(c) ? ERR_NOT_FOUND
				: store_document_claim(c->store, &a, c->cfg->node_id, now,
						       (int64_t)c->cfg->lease_s * 1000000,
						       CORE_MAX_ATTEMPTS, &d);
		core_metrics_claim_call(clock_now_us() - now);
		if (!e) {
			core_metrics_claimed(d.created_at, clock_now_us());
			hold(c, slot, d.id);
			log_debug("queue.claim", "document=%s attempt=%d", d.id, d.attempts);
			core_process_claimed(c, &a, &d);
			hold(c, slot, NULL);
		} else if (e != ERR_NOT_FOUND) {
			log_warn("queue.claim_failed", "err=%s", err_name(e));
		}
		arena_release(&a);
		pthread_mutex_lock(&c->janitor_lock);
		/* Idle, or the database is down: wait for a wake-up, at most a second. */
		bool go_on = e ? idle_wait(c, 1000) : !c->stopping;
		pthread_mutex_unlock(&c->janitor_lock);
		if (!go_on)
			break;
	}
	return NULL;
}

int core_hold(struct core *c, const char *id)
{
	int slot = -1;
	pthread_mutex_lock(&c->janitor_lock);
	for (int i = CORE_WORKERS_MAX; i < CORE_WORKERS_MAX + CORE_SYNC_MAX && slot < 0; i++)
		if (!c->held[i][0]) {
			snprintf(c->held[i], sizeof(c->held[i]), "%s", id);
			slot = i;
		}
	pthread_mutex_unlock(&c->janitor_lock);
	if (slot < 0)
		log_warn("queue.hold_full", "document=%s", id);
	return slot;
}

void core_unhold(struct core *c, int slot)
{
	if (slot >= CORE_WORKERS_MAX && slot < CORE_WORKERS_MAX + CORE_SYNC_MAX)
		hold(c, slot, NULL);
}

/* Every quarter lease: renew what this node holds; fail what ran out of attempts. */
static void *lease_keeper_main(void *arg)
{
	struct core *c = arg;
	pthread_mutex_lock(&c->janitor_lock);
	/* Not stopping with the workers: they finish what they hold, under a renewed lease
	 * (else another node took it again and it was processed twice). */
	while (wait_unless(c, c->cfg->lease_s * 250, &c->keeper_stopping)) {
		const char *ids[CORE_WORKERS_MAX + CORE_SYNC_MAX];
		char copy[CORE_WORKERS_MAX + CORE_SYNC_MAX][37];
		size_t n = 0;
		for (int i = 0; i < CORE_WORKERS_MAX + CORE_SYNC_MAX; i++)
			if (c->held[i][0]) {
				memcpy(copy[n], c->held[i], sizeof(copy[n]));
				ids[n] = copy[n];
				n++;
			}
		pthread_mutex_unlock(&c->janitor_lock);
		int64_t now = clock_now_us(), until = now + (int64_t)c->cfg->lease_s * 1000000;
		enum mtag_err e = n ? store_document_renew(c->store, ids, n, c->cfg->node_id, until) : ERR_OK;
		if (e)
			log_warn("queue.renew_failed", "err=%s held=%zu", err_name(e), n);
		int failed = 0;
		if (!store_document_reap(c->store, now, CORE_MAX_ATTEMPTS, &failed) && failed)
			log_warn("queue.reaped", "documents=%d", failed);
		pthread_mutex_lock(&c->janitor_lock);
	}
	pthread_mutex_unlock(&c->janitor_lock);
	return NULL;
}

void core_start_workers(struct core *c)
{
	int n = c->cfg->workers < CORE_WORKERS_MAX ? c->cfg->workers : CORE_WORKERS_MAX;
	for (int i = 0; i < n; i++) {
		struct worker_arg *wa = xmalloc(sizeof(*wa));
		wa->c = c;
		wa->slot = c->nworkers;
		if (pthread_create(&c->workers[c->nworkers], NULL, worker_main, wa) == 0)
			c->nworkers++;
		else
			free(wa);
	}
	log_info("queue.start", "workers=%d node=%s lease_s=%d", c->nworkers, c->cfg->node_id,
		 c->cfg->lease_s);
}

void core_start_lease_keeper(struct core *c)
{
	if (pthread_create(&c->lease_keeper, NULL, lease_keeper_main, c) == 0)
		c->lease_keeper_running = true;
}

void core_wake_workers(struct core *c)
{
	pthread_mutex_lock(&c->janitor_lock);
	pthread_cond_broadcast(&c->work_wake);
	pthread_mutex_unlock(&c->janitor_lock);
}

/* The table entry of host (created when a slot is free), or NULL when the table is full. */
static struct core_host *host_entry(struct core *c, const char *host)
{
	struct core_host *free_slot = NULL;
	for (size_t i = 0; i < CORE_WORKERS_MAX; i++) {
		if (c->hosts[i].active && !strcmp(c->hosts[i].host, host))
			return &c->hosts[i];
		if (!c->hosts[i].active && !free_slot)
			free_slot = &c->hosts[i];
	}
	if (free_slot)
		snprintf(free_slot->host, sizeof(free_slot->host), "%s", host);
	return free_slot;
}

bool core_host_take(struct core *c, const char *url, int wait_s)
{
	char host[128];
	fetch_url_host_port(url, host, sizeof(host));
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_s;
	pthread_mutex_lock(&c->host_lock);
	struct core_host *h;
	int rc = 0;
	while (!(h = host_entry(c, host)) || h->active >= c->cfg->fetch_per_host) {
		if (rc == ETIMEDOUT) {
			pthread_mutex_unlock(&c->host_lock);
			return false;
		}
		rc = wait_s > 0 ? pthread_cond_timedwait(&c->host_free, &c->host_lock, &until)
				: pthread_cond_wait(&c->host_free, &c->host_lock);
	}
	h->active++;
	pthread_mutex_unlock(&c->host_lock);
	return true;
}

void core_host_give(struct core *c, const char *url)
{
	char host[128];
	fetch_url_host_port(url, host, sizeof(host));
	pthread_mutex_lock(&c->host_lock);
	for (size_t i = 0; i < CORE_WORKERS_MAX; i++)
		if (c->hosts[i].active && !strcmp(c->hosts[i].host, host)) {
			c->hosts[i].active--;
			break;
		}
	pthread_cond_broadcast(&c->host_free);
	pthread_mutex_unlock(&c->host_lock);
}

bool core_sync_take(struct core *c, const char *owner, char *err, size_t errlen)
{
	int most = 2 * c->cfg->http_threads, each = most / 4 > 1 ? most / 4 : 1;
	struct core_sync_owner *mine = NULL, *free_slot = NULL;
	pthread_mutex_lock(&c->sync_lock);
	for (size_t i = 0; i < CORE_SYNC_MAX; i++) {
		struct core_sync_owner *o = &c->sync_owners[i];
		if (o->n > 0 && !strcmp(o->key, owner))
			mine = o;
		else if (o->n == 0 && !free_slot)
			free_slot = o;
	}
	bool ok = c->sync_busy < most && (mine ? mine->n < each : free_slot != NULL);
	if (ok) {
		if (!mine) {
			mine = free_slot;
			snprintf(mine->key, sizeof(mine->key), "%s", owner);
		}
		mine->n++;
		c->sync_busy++;
	} else if (mine && mine->n >= each) {
		snprintf(err, errlen, "%d of your documents are being processed at once, the most"
			 " allowed; wait for one to end, or send several in one upload or batch", mine->n);
	} else {
		snprintf(err, errlen, "the server is processing as many documents at once as it"
			 " takes; try again in a moment");
	}
	pthread_mutex_unlock(&c->sync_lock);
	return ok;
}

void core_sync_give(struct core *c, const char *owner)
{
	pthread_mutex_lock(&c->sync_lock);
	for (size_t i = 0; i < CORE_SYNC_MAX; i++)
		if (c->sync_owners[i].n > 0 && !strcmp(c->sync_owners[i].key, owner)) {
			c->sync_owners[i].n--;
			c->sync_busy--;
			break;
		}
	pthread_mutex_unlock(&c->sync_lock);
}

void core_storage_down(struct core *c)
{
	atomic_store(&c->storage_down_us, clock_now_us());
}

bool core_storage_back(struct core *c)
{
	int64_t seen = atomic_load(&c->storage_down_us);
	if (!seen)
		return true;
	char err[256];
	if (blob_ping(c->blob, err, sizeof(err)))
		return false;
	/* Cleared only if no worker saw it fail again since: that mark stands. */
	if (atomic_compare_exchange_strong(&c->storage_down_us, &seen, 0))
		log_info("core.storage_back", "workers claim again");
	return !atomic_load(&c->storage_down_us);
}
