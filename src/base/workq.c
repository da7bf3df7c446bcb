#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/workq.h"
#include "base/xalloc.h"

struct job {
	workq_fn fn;
	void *arg;
};

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *ring;      /* max_pending slots */
	size_t max_pending, head, count;
	bool stopping;
	int nice;
	int nthreads;
	pthread_t *threads;
};

static void *worker_main(void *arg)
{
	struct workq *q = arg;
	/* On Linux a thread has its own nice value. */
	if (q->nice)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), q->nice);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->count == 0 && !q->stopping)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->count == 0)
			break;
		struct job j = q->ring[q->head];
		q->head = (q->head + 1) % q->max_pending;
		q->count--;
		pthread_mutex_unlock(&q->lock);
		j.fn(j.arg);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct workq *workq_new(int threads, size_t max_pending, int nice)
{
	struct workq *q = xcalloc(1, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	q->max_pending = max_pending ? max_pending : 1;
	q->ring = xcalloc(q->max_pending, sizeof(*q->ring));
	q->nice = nice;
	q->threads = xcalloc((size_t)(threads > 0 ? threads : 1), sizeof(*q->threads));
	for (int i = 0; i < (threads > 0 ? threads : 1); i++) {
		if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0) {
			log_error("workq.thread_failed", "started=%d", q->nthreads);
			break;
		}
		q->nthreads++;
	}
	return q;
}

bool workq_push(struct workq *q, workq_fn fn, void *arg)
{
	bool ok = false;
	pthread_mutex_lock(&q->lock);
	if (!q->stopping && q->count < q->max_pending && q->nthreads > 0) {
		q->ring[(q->head + q->count) % q->max_pending] = (struct job){ fn, arg };
		q->count++;
		pthread_cond_signal(&q->more);
		ok = true;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

size_t workq_pending(struct workq *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void workq_free(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q->ring);
	free(q);
}
