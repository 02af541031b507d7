/* Shared helpers of the broker/abuse unit tests. */
#ifndef PITLANE_ABUSE_TEST_UTIL_H
#define PITLANE_ABUSE_TEST_UTIL_H

#include "abuse.h"
#include "policy.h"

/* The catalogue, roles, two workshops (open every day 00:00-24:00 except "ws-night",
 * which is never open) and technicians t1, t2 (ws-a), t3 (ws-b), officer (approver). */
extern const char abuse_test_base_yaml[];

/* Loads abuse_test_base_yaml followed by extra (limits:, anomalies:, ...). */
struct policy *abuse_test_policy(const char *extra);

/* Runs policy_decide + abuse_check for one request at now_ms. */
int abuse_test_request(struct abuse *a, const struct policy *p, int64_t now_ms,
		       const char *tech, const char *ws, const char *addr, const char *vin,
		       const char *op, struct abuse_verdict *v);

#endif
