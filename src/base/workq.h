/*
 * workq.h - a fixed pool of threads running queued jobs, with a bounded queue.
 *
 * Used to keep slow work (password hashing, later downloads) off the HTTP
 * event loops. The queue holds at most max_pending jobs: a push past that
 * fails at once, so a burst turns into quick refusals instead of unbounded
 * memory. Threads may run at a lower priority (nice) so that interactive
 * work on other threads is served first. Thread-safe.
 */
#ifndef MTAG_WORKQ_H
#define MTAG_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*workq_fn)(void *arg);

struct workq;

/* Start threads workers running at nice (0 = unchanged). Owned by the caller. */
struct workq *workq_new(int threads, size_t max_pending, int nice);
/* Queue fn(arg); false when the queue is full or stopping. */
bool workq_push(struct workq *q, workq_fn fn, void *arg);
/* Jobs queued and not started yet. */
size_t workq_pending(struct workq *q);
/* Run every queued job, stop the threads and free the pool; NULL is a no-op. */
void workq_free(struct workq *q);

#endif
