/* Worker pool: one mutex, one condition variable, a ring of pending jobs. */
#include <pthread.h>
#include <stdlib.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "workq.h"

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct workq_item **ring;
	unsigned cap, head, count;
	int stopping;
	unsigned nthreads;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct workq *q = arg;

	for (;;) {
		struct workq_item *it;

		pthread_mutex_lock(&q->lock);
		while (q->count == 0 && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->count == 0) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		it = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		pthread_mutex_unlock(&q->lock);
		it->fn(it);
	}
}

int workq_new(unsigned nthreads, unsigned max_queued, struct workq **out)
{
	struct workq *q;
	int r = PL_E_NOMEM;

	if (nthreads == 0 || nthreads > 64 || max_queued == 0)
		return PL_E_INVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return PL_E_NOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->cap = max_queued;
	q->ring = calloc(max_queued, sizeof(*q->ring));
	q->threads = calloc(nthreads, sizeof(*q->threads));
	if (q->ring == NULL || q->threads == NULL)
		goto out;
	for (; q->nthreads < nthreads; q->nthreads++) {
		if (pthread_create(&q->threads[q->nthreads], NULL, worker, q) != 0) {
			r = PL_E_INTERNAL;
			goto out;
		}
	}
	*out = q;
	q = NULL;
	r = 0;
out:
	workq_free(q);
	return r;
}

int workq_push(struct workq *q, struct workq_item *it)
{
	int r = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stopping)
		r = PL_E_SRV_SHUTDOWN;
	else if (q->count == q->cap)
		r = PL_E_SRV_BUSY;
	else {
		q->ring[(q->head + q->count) % q->cap] = it;
		q->count++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

unsigned workq_depth(struct workq *q)
{
	unsigned n;

	pthread_mutex_lock(&q->lock);
	n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void workq_free(struct workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q->ring);
	free(q);
}
