/*
 * The core's counters (Prometheus text 0.0.4, rendered by the core and served
 * by the network child's admin listener): requests by outcome code, HSM sign
 * latency and check latency histograms, network child restarts.
 */
#ifndef PITLANE_COSIGN_METRICS_H
#define PITLANE_COSIGN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_CODES_MAX 48
#define METRICS_CODE_LEN 48
#define METRICS_BUCKETS 10

struct metrics_hist {
	uint64_t le[METRICS_BUCKETS]; /* cumulative at render time */
	uint64_t count;
	double sum_s;
};

struct core_metrics {
	struct {
		char code[METRICS_CODE_LEN];
		uint64_t n;
	} outcome[METRICS_CODES_MAX];
	size_t noutcomes;
	uint64_t outcome_other; /* codes beyond the table */
	struct metrics_hist sign, check;
	uint64_t net_restarts;
	uint64_t channel_violations;
};

/* One request's outcome: "signed" or the refusal code. */
void metrics_outcome(struct core_metrics *m, const char *code);
/* A duration in seconds into a histogram. */
void metrics_observe(struct metrics_hist *h, double seconds);
/* The text, to f. */
void metrics_render(const struct core_metrics *m, FILE *f);

#endif
