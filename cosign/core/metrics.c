/* The core's counters (metrics.h). */
#include <string.h>

#include "metrics.h"

static const double bounds[METRICS_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,  0.1,    0.25,  0.5,  1.0};

void metrics_outcome(struct core_metrics *m, const char *code)
{
	size_t i;

	for (i = 0; i < m->noutcomes; i++)
		if (strcmp(m->outcome[i].code, code) == 0)
			break;
	if (i == m->noutcomes) {
		if (i == METRICS_CODES_MAX || strlen(code) >= METRICS_CODE_LEN) {
			m->outcome_other++;
			return;
		}
		memcpy(m->outcome[i].code, code, strlen(code) + 1);
		m->noutcomes++;
	}
	m->outcome[i].n++;
}

void metrics_observe(struct metrics_hist *h, double seconds)
{
	for (size_t i = 0; i < METRICS_BUCKETS; i++)
		if (seconds <= bounds[i])
			h->le[i]++;
	h->count++;
	h->sum_s += seconds;
}

static void render_hist(const struct metrics_hist *h, const char *name, const char *help, FILE *f)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < METRICS_BUCKETS; i++)
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
		        (unsigned long long)h->le[i]);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
	        (unsigned long long)h->count, name, h->sum_s, name, (unsigned long long)h->count);
}

void metrics_render(const struct core_metrics *m, FILE *f)
{
	fprintf(f, "# HELP pitlane_cosign_requests_total Co-sign requests the core answered, by "
	           "outcome (signed or the refusal code).\n"
	           "# TYPE pitlane_cosign_requests_total counter\n");
	for (size_t i = 0; i < m->noutcomes; i++)
		fprintf(f, "pitlane_cosign_requests_total{code=\"%s\"} %llu\n", m->outcome[i].code,
		        (unsigned long long)m->outcome[i].n);
	if (m->outcome_other != 0)
		fprintf(f, "pitlane_cosign_requests_total{code=\"other\"} %llu\n",
		        (unsigned long long)m->outcome_other);
	render_hist(&m->sign, "pitlane_cosign_sign_seconds",
	            "Time the HSM took to sign one co-signature.", f);
	render_hist(&m->check, "pitlane_cosign_check_seconds",
	            "Time the checks and the audit row took per request.", f);
	fprintf(f,
	        "# HELP pitlane_cosign_net_restarts_total Network process restarts.\n"
	        "# TYPE pitlane_cosign_net_restarts_total counter\n"
	        "pitlane_cosign_net_restarts_total %llu\n"
	        "# HELP pitlane_cosign_channel_violations_total Messages from the network process "
	        "refused by the core.\n"
	        "# TYPE pitlane_cosign_channel_violations_total counter\n"
	        "pitlane_cosign_channel_violations_total %llu\n",
	        (unsigned long long)m->net_restarts, (unsigned long long)m->channel_violations);
}
