/*
 * Broker metrics (Prometheus text exposition format 0.0.4), lock-free
 * counters updated from the event loop and the workers.
 */
#ifndef PITLANE_BROKER_METRICS_H
#define PITLANE_BROKER_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "proto.h" /* enum metrics_decision: the decider sets it in its answer */

enum metrics_endpoint { EP_TOKEN, EP_HEALTH, EP_READY, EP_METRICS, EP_OTHER, EP_COUNT };

#define METRICS_LAT_BUCKETS 13

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

void metrics_request(struct metrics *m, enum metrics_endpoint ep, int status);
void metrics_decision(struct metrics *m, enum metrics_decision d);
void metrics_latency(struct metrics *m, uint64_t usec); /* POST /v1/token */
void metrics_hsm_error(struct metrics *m);
void metrics_audit_error(struct metrics *m);

/* Values read from the other modules at scrape time. */
struct metrics_gauges {
	uint64_t audit_rows, audit_commits, audit_checkpoints;
	uint64_t hsm_sign_calls, hsm_faults, hsm_reinits;
	int hsm_ready, audit_writable;
	int audit_chain_diverged;
	uint32_t policy_version;
	uint32_t replay_entries;
	uint32_t queue_depth;
	uint64_t policy_reloads, policy_reload_failures;
	int cosigner;                                        /* a co-signer is configured */
	uint64_t cosign_signed, cosign_refused, cosign_down; /* co-signed tokens' outcomes */
	uint32_t cosign_inflight;
};

int metrics_render(struct metrics *m, const struct metrics_gauges *g, FILE *f);

/* Read back one counter (for tests). */
uint64_t metrics_get_request(struct metrics *m, enum metrics_endpoint ep, int status);
uint64_t metrics_get_decision(struct metrics *m, enum metrics_decision d);

/* Prometheus lines of the decider's abuse counters: pitlane_abuse_* (docs/abuse.md). */
struct abuse_stats;
void metrics_render_abuse(const struct abuse_stats *st, FILE *f);

#endif
