/*
 * A small pool of worker threads running blocking jobs (policy, audit commit,
 * HSM signing) off the event loop. Jobs are intrusive: embed a struct
 * workq_item and set its fn. Bounded: a full queue refuses new jobs.
 */
#ifndef PITLANE_BROKER_WORKQ_H
#define PITLANE_BROKER_WORKQ_H

struct workq_item {
	void (*fn)(struct workq_item *it);
};

struct workq;

/* nthreads 1..64, max_queued >= 1. */
int workq_new(unsigned nthreads, unsigned max_queued, struct workq **out);
/* Queues it. PL_E_SRV_BUSY when max_queued jobs wait, PL_E_SRV_SHUTDOWN after workq_free began. */
int workq_push(struct workq *q, struct workq_item *it);
/* Jobs waiting (not yet started). */
unsigned workq_depth(struct workq *q);
/* Runs every queued job, then joins the threads and frees. NULL is fine. */
void workq_free(struct workq *q);

#endif
