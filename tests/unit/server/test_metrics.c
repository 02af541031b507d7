/* Metrics: REQ-BRK-140 (docs/broker.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

Test(metrics, REQ_BRK_140_counters_and_histogram_render)
{
	struct metrics *m;
	struct metrics_gauges g = { .audit_rows = 10, .audit_commits = 4, .hsm_ready = 1,
				    .policy_version = 7 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(metrics_new(&m), 0);
	metrics_request(m, EP_TOKEN, 201);
	metrics_request(m, EP_TOKEN, 201);
	metrics_request(m, EP_TOKEN, 403);
	metrics_request(m, EP_HEALTH, 299);
	metrics_decision(m, DEC_ALLOW);
	metrics_latency(m, 100);      /* first bucket (<= 250 us) */
	metrics_latency(m, 3000);     /* <= 5 ms */
	metrics_latency(m, 9000000);  /* +Inf only */
	cr_assert_eq(metrics_get_request(m, EP_TOKEN, 201), 2);
	cr_assert_eq(metrics_get_decision(m, DEC_ALLOW), 1);
	f = open_memstream(&text, &len);
	cr_assert_eq(metrics_render(m, &g, f), 0);
	fclose(f);
	cr_assert(strstr(text, "pitlane_http_requests_total{endpoint=\"token\",status=\"201\"} 2\n"));
	cr_assert(strstr(text, "pitlane_http_requests_total{endpoint=\"token\",status=\"403\"} 1\n"));
	cr_assert(strstr(text, "pitlane_http_requests_total{endpoint=\"health\",status=\"other\"} 1\n"));
	cr_assert(strstr(text, "pitlane_token_request_seconds_bucket{le=\"0.00025\"} 1\n"), "%s", text);
	cr_assert(strstr(text, "pitlane_token_request_seconds_bucket{le=\"0.005\"} 2\n"));
	cr_assert(strstr(text, "pitlane_token_request_seconds_bucket{le=\"5\"} 2\n"));
	cr_assert(strstr(text, "pitlane_token_request_seconds_bucket{le=\"+Inf\"} 3\n"));
	cr_assert(strstr(text, "pitlane_token_request_seconds_count 3\n"));
	cr_assert(strstr(text, "pitlane_tokens_issued_total 1\n"));
	cr_assert(strstr(text, "pitlane_audit_commits_total 4\n"));
	cr_assert(strstr(text, "pitlane_policy_version 7\n"));
	cr_assert(strstr(text, "# TYPE pitlane_token_request_seconds histogram\n"));
	free(text);
	metrics_free(m);
}
