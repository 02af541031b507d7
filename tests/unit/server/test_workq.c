/* Worker pool: REQ-BRK-150..REQ-BRK-151 (docs/broker.md). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "workq.h"

struct job {
	struct workq_item item;
	atomic_int *done;
	pthread_mutex_t *gate;
};

static void run(struct workq_item *it)
{
	struct job *j = (struct job *)(void *)it;

	if (j->gate != NULL) {
		pthread_mutex_lock(j->gate);
		pthread_mutex_unlock(j->gate);
	}
	atomic_fetch_add(j->done, 1);
}

Test(workq, REQ_BRK_150_every_job_runs_once_and_free_drains)
{
	struct workq *q;
	struct job jobs[500];
	atomic_int done = 0;

	cr_assert_eq(workq_new(4, 500, &q), 0);
	for (int i = 0; i < 500; i++) {
		jobs[i] = (struct job){ .item.fn = run, .done = &done };
		cr_assert_eq(workq_push(q, &jobs[i].item), 0);
	}
	workq_free(q);
	cr_assert_eq(atomic_load(&done), 500);
}

Test(workq, REQ_BRK_151_full_queue_refuses)
{
	struct workq *q;
	struct job jobs[4];
	atomic_int done = 0;
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&gate);
	cr_assert_eq(workq_new(1, 2, &q), 0);
	for (int i = 0; i < 4; i++)
		jobs[i] = (struct job){ .item.fn = run, .done = &done, .gate = &gate };
	cr_assert_eq(workq_push(q, &jobs[0].item), 0);
	/* Wait until the single worker holds job 0, then fill the queue. */
	while (workq_depth(q) != 0)
		usleep(1000);
	cr_assert_eq(workq_push(q, &jobs[1].item), 0);
	cr_assert_eq(workq_push(q, &jobs[2].item), 0);
	cr_assert_eq(workq_push(q, &jobs[3].item), PL_E_SRV_BUSY);
	cr_assert_eq(workq_depth(q), 2);
	pthread_mutex_unlock(&gate);
	workq_free(q);
	cr_assert_eq(atomic_load(&done), 3);
	cr_assert_eq(workq_new(0, 1, &q), PL_E_INVAL);
}
