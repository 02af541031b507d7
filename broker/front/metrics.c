/* Prometheus counters and the latency histogram of the token endpoint. */
#include <stdatomic.h>
#include <stdlib.h>

#include "abuse.h"
#include "metrics.h"
#include "pl_err.h"

static const int statuses[] = {200, 201, 202, 400, 401, 403, 404, 405, 413, 415, 429, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const char *const ep_names[EP_COUNT] = {"token", "health", "ready", "metrics", "other"};
static const char *const dec_names[DEC_COUNT] = {"allow",         "deny_policy", "deny_approval",
                                                 "deny_identity", "malformed",   "error"};
/* Upper bounds of the latency buckets in microseconds; the last is +Inf. */
static const uint64_t lat_le_us[METRICS_LAT_BUCKETS - 1] = {
    250, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

struct metrics {
	_Atomic uint64_t req[EP_COUNT][NSTATUS + 1]; /* last column: any other status */
	_Atomic uint64_t dec[DEC_COUNT];
	_Atomic uint64_t lat[METRICS_LAT_BUCKETS];
	_Atomic uint64_t lat_sum_us, lat_count;
	_Atomic uint64_t hsm_errors, audit_errors;
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return PL_E_NOMEM;
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static size_t status_idx(int status)
{
	for (size_t i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS;
}

void metrics_request(struct metrics *m, enum metrics_endpoint ep, int status)
{
	if (ep >= EP_COUNT)
		ep = EP_OTHER;
	atomic_fetch_add_explicit(&m->req[ep][status_idx(status)], 1, memory_order_relaxed);
}

void metrics_decision(struct metrics *m, enum metrics_decision d)
{
	if (d < DEC_COUNT)
		atomic_fetch_add_explicit(&m->dec[d], 1, memory_order_relaxed);
}

void metrics_latency(struct metrics *m, uint64_t usec)
{
	size_t b = 0;

	while (b < METRICS_LAT_BUCKETS - 1 && usec > lat_le_us[b])
		b++;
	atomic_fetch_add_explicit(&m->lat[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lat_sum_us, usec, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lat_count, 1, memory_order_relaxed);
}

void metrics_hsm_error(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->hsm_errors, 1, memory_order_relaxed);
}

void metrics_audit_error(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->audit_errors, 1, memory_order_relaxed);
}

uint64_t metrics_get_request(struct metrics *m, enum metrics_endpoint ep, int status)
{
	return atomic_load(&m->req[ep][status_idx(status)]);
}

uint64_t metrics_get_decision(struct metrics *m, enum metrics_decision d)
{
	return atomic_load(&m->dec[d]);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	        (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
	        (unsigned long long)v);
}

static void render_requests(struct metrics *m, FILE *f)
{
	fputs("# HELP pitlane_http_requests_total HTTP requests by endpoint and status.\n"
	      "# TYPE pitlane_http_requests_total counter\n",
	      f);
	for (int e = 0; e < EP_COUNT; e++) {
		for (size_t s = 0; s <= NSTATUS; s++) {
			uint64_t v = atomic_load(&m->req[e][s]);

			if (v == 0)
				continue;
			if (s < NSTATUS)
				fprintf(
				    f,
				    "pitlane_http_requests_total{endpoint=\"%s\",status=\"%d\"} "
				    "%llu\n",
				    ep_names[e], statuses[s], (unsigned long long)v);
			else
				fprintf(f,
				        "pitlane_http_requests_total{endpoint=\"%s\","
				        "status=\"other\"} %llu\n",
				        ep_names[e], (unsigned long long)v);
		}
	}
}

static void render_latency(struct metrics *m, FILE *f)
{
	uint64_t cum = 0;

	fputs("# HELP pitlane_token_request_seconds Latency of POST /v1/token from decoded "
	      "request to reply.\n# TYPE pitlane_token_request_seconds histogram\n",
	      f);
	for (size_t b = 0; b < METRICS_LAT_BUCKETS; b++) {
		cum += atomic_load(&m->lat[b]);
		if (b < METRICS_LAT_BUCKETS - 1)
			fprintf(f, "pitlane_token_request_seconds_bucket{le=\"%g\"} %llu\n",
			        (double)lat_le_us[b] / 1e6, (unsigned long long)cum);
		else
			fprintf(f, "pitlane_token_request_seconds_bucket{le=\"+Inf\"} %llu\n",
			        (unsigned long long)cum);
	}
	fprintf(f, "pitlane_token_request_seconds_sum %.6f\n",
	        (double)atomic_load(&m->lat_sum_us) / 1e6);
	fprintf(f, "pitlane_token_request_seconds_count %llu\n",
	        (unsigned long long)atomic_load(&m->lat_count));
}

/* The co-signer (docs/broker.md, "Co-signer"): only when one is configured. */
static void render_cosign(const struct metrics_gauges *g, FILE *f)
{
	fprintf(f,
	        "# HELP pitlane_cosigner_total Tokens of co-signed operations by outcome.\n"
	        "# TYPE pitlane_cosigner_total counter\n"
	        "pitlane_cosigner_total{outcome=\"signed\"} %llu\n"
	        "pitlane_cosigner_total{outcome=\"refused\"} %llu\n"
	        "pitlane_cosigner_total{outcome=\"unavailable\"} %llu\n",
	        (unsigned long long)g->cosign_signed, (unsigned long long)g->cosign_refused,
	        (unsigned long long)g->cosign_down);
	gauge(f, "pitlane_cosigner_inflight", "Co-signed requests waiting for the co-signer.",
	      g->cosign_inflight);
}

int metrics_render(struct metrics *m, const struct metrics_gauges *g, FILE *f)
{
	render_requests(m, f);
	fputs("# HELP pitlane_decisions_total Token request outcomes.\n"
	      "# TYPE pitlane_decisions_total counter\n",
	      f);
	for (int d = 0; d < DEC_COUNT; d++)
		fprintf(f, "pitlane_decisions_total{decision=\"%s\"} %llu\n", dec_names[d],
		        (unsigned long long)atomic_load(&m->dec[d]));
	counter(f, "pitlane_tokens_issued_total", "Tokens handed to clients.",
	        atomic_load(&m->dec[DEC_ALLOW]));
	counter(f, "pitlane_hsm_errors_total", "Requests failed because the HSM was unusable.",
	        atomic_load(&m->hsm_errors));
	counter(f, "pitlane_audit_errors_total", "Requests failed because the audit store failed.",
	        atomic_load(&m->audit_errors));
	render_latency(m, f);
	counter(f, "pitlane_audit_rows_total", "Audit rows committed by this process.",
	        g->audit_rows);
	counter(f, "pitlane_audit_commits_total",
	        "Audit transactions committed (rows / commits = mean group size).",
	        g->audit_commits);
	counter(f, "pitlane_audit_checkpoints_total", "Signed audit checkpoints written.",
	        g->audit_checkpoints);
	counter(f, "pitlane_hsm_sign_calls_total", "C_Sign calls made.", g->hsm_sign_calls);
	counter(f, "pitlane_hsm_faults_total", "HSM faults seen by the signer.", g->hsm_faults);
	counter(f, "pitlane_hsm_reinits_total", "HSM re-initialisations after faults.",
	        g->hsm_reinits);
	counter(f, "pitlane_policy_reloads_total", "Successful policy reloads.", g->policy_reloads);
	counter(f, "pitlane_policy_reload_failures_total", "Refused policy reloads.",
	        g->policy_reload_failures);
	gauge(f, "pitlane_hsm_ready", "1 when an HSM session is usable.", (uint64_t)g->hsm_ready);
	gauge(f, "pitlane_audit_writable", "1 when the audit store accepts writes.",
	      (uint64_t)g->audit_writable);
	gauge(f, "pitlane_audit_chain_diverged",
	      "1 when the audit chain head stopped extending "
	      "what this broker committed (no checkpoint is signed).",
	      (uint64_t)g->audit_chain_diverged);
	gauge(f, "pitlane_policy_version", "Declared version of the policy in force.",
	      g->policy_version);
	gauge(f, "pitlane_replay_cache_entries", "Request nonces remembered.", g->replay_entries);
	gauge(f, "pitlane_worker_queue_depth", "Token requests waiting for a worker.",
	      g->queue_depth);
	if (g->cosigner)
		render_cosign(g, f);
	return ferror(f) ? PL_E_IO : 0;
}

void metrics_render_abuse(const struct abuse_stats *s, FILE *f)
{
	static const char *const det[7] = {"vin_sweep",  "out_of_hours", "unlock_then_start",
	                                   "two_places", "decoy_vin",    "ecu_failures",
	                                   "breaker"};
	struct abuse_stats st = *s;

	fprintf(f,
	        "# HELP pitlane_abuse_checked_total Requests seen by the abuse checks.\n"
	        "# TYPE pitlane_abuse_checked_total counter\n"
	        "pitlane_abuse_checked_total %llu\n",
	        (unsigned long long)st.checked);
	fprintf(f,
	        "# HELP pitlane_abuse_verdicts_total Abuse verdicts other than pass.\n"
	        "# TYPE pitlane_abuse_verdicts_total counter\n"
	        "pitlane_abuse_verdicts_total{verdict=\"rate_limited\"} %llu\n"
	        "pitlane_abuse_verdicts_total{verdict=\"denied\"} %llu\n"
	        "pitlane_abuse_verdicts_total{verdict=\"approval\"} %llu\n",
	        (unsigned long long)st.limited, (unsigned long long)st.denied,
	        (unsigned long long)st.approvals);
	fprintf(f, "# HELP pitlane_abuse_alerts_total Alerts raised, by detector.\n"
	           "# TYPE pitlane_abuse_alerts_total counter\n");
	for (size_t i = 0; i < 7; i++)
		fprintf(f, "pitlane_abuse_alerts_total{detector=\"%s\"} %llu\n", det[i],
		        (unsigned long long)st.alerts_by_detector[i]);
	fprintf(f,
	        "# HELP pitlane_abuse_breaker_trips_total Circuit breaker trips.\n"
	        "# TYPE pitlane_abuse_breaker_trips_total counter\n"
	        "pitlane_abuse_breaker_trips_total %llu\n"
	        "# HELP pitlane_abuse_breakers_open Circuit breakers open now.\n"
	        "# TYPE pitlane_abuse_breakers_open gauge\n"
	        "pitlane_abuse_breakers_open %u\n"
	        "# HELP pitlane_abuse_suspensions Workshops and technicians suspended now.\n"
	        "# TYPE pitlane_abuse_suspensions gauge\n"
	        "pitlane_abuse_suspensions %u\n"
	        "# HELP pitlane_abuse_limit_keys Live rate-limit keys.\n"
	        "# TYPE pitlane_abuse_limit_keys gauge\n"
	        "pitlane_abuse_limit_keys %llu\n",
	        (unsigned long long)st.breaker_trips, st.breakers_open, st.suspensions,
	        (unsigned long long)st.keys);
}
