/*
 * Broker metrics (Prometheus text exposition format 0.0.4), lock-free
 * counters updated from the event loop and the workers.
 */
#ifndef PITLANE_BROKER_METRICS_H
#define PITLANE_BROKER_METRICS_H

#include <stdint.h>
#include <stdio.h>

enum metrics_endpoint { EP_TOKEN, EP_HEALTH, EP_READY, EP_METRICS, EP_OTHER, EP_COUNT };

enum metrics_decision {
	DEC_ALLOW,          /* token issued */
	DEC_DENY_POLICY,    /* policy said no */
	DEC_DENY_APPROVAL,  /* policy requires a second person */
	DEC_DENY_IDENTITY,  /* technician certificate / signature / workshop / replay */
	DEC_MALFORMED,      /* body could not be decoded */
	DEC_ERROR,          /* HSM or audit store failed */
	DEC_COUNT
};

#define METRICS_LAT_BUCKETS 13

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

void metrics_request(struct metrics *m, enum metrics_endpoint ep, int status);
void metrics_decision(struct metrics *m, enum metrics_decision d);
void metrics_latency(struct metrics *m, uint64_t usec);   /* POST /v1/token */
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
};

int metrics_render(struct metrics *m, const struct metrics_gauges *g, FILE *f);

/* Read back one counter (for tests). */
uint64_t metrics_get_request(struct metrics *m, enum metrics_endpoint ep, int status);
uint64_t metrics_get_decision(struct metrics *m, enum metrics_decision d);

#endif
