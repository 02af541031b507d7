/* Rate limits and circuit breakers (REQ-ABU-001..012, docs/abuse.md). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "abuse_test_util.h"

#define T0 INT64_C(1741683600000)  /* 2025-03-11T09:00:00Z, a Tuesday */
#define VIN "WVWZZZ1JZXW000001"

static const char two_windows[] =
	"limits:\n"
	"  - name: tech-unlocks\n"
	"    key: technician\n"
	"    operations: [door.unlock]\n"
	"    windows: [ { count: 3, seconds: 60 }, { count: 10, seconds: 86400 } ]\n";

static int burst(struct abuse *a, struct policy *p, int64_t t, const char *tech, int n,
		 uint32_t *retry)
{
	struct abuse_verdict v;
	int admitted = 0;

	for (int i = 0; i < n; i++) {
		int k = abuse_test_request(a, p, t + i, tech, "ws-a", "10.0.0.1:1", VIN,
					   "door.unlock", &v);
		if (k == ABUSE_PASS)
			admitted++;
		else {
			cr_assert_eq(k, ABUSE_LIMITED);
			cr_assert_str_eq(v.code, "rate_limited");
			cr_assert_str_eq(v.rule, "limits.tech-unlocks");
			if (retry != NULL)
				*retry = v.retry_after;
		}
	}
	return admitted;
}

Test(abuse_limits, REQ_ABU_001_burst_of_ten_times_r_admits_r_per_key)
{
	struct policy *p = abuse_test_policy(two_windows);
	struct abuse *a = NULL;
	uint32_t retry = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	cr_assert_eq(burst(a, p, T0, "t1", 30, &retry), 3);
	cr_assert(retry >= 1 && retry <= 68, "retry-after %u", retry);
	/* Another key has its own count. */
	cr_assert_eq(burst(a, p, T0 + 100, "t2", 30, NULL), 3);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_limits, REQ_ABU_002_windows_interplay)
{
	struct policy *p = abuse_test_policy(two_windows);
	struct abuse *a = NULL;
	int total = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	/* A burst of 30 every 2 minutes: 3 per minute until the day's 10 are used. */
	for (int m = 0; m < 10; m++) {
		int got = burst(a, p, T0 + (int64_t)m * 120000, "t1", 30, NULL);

		cr_assert_eq(got, m < 3 ? 3 : m == 3 ? 1 : 0, "minute %d admitted %d", m * 2, got);
		total += got;
	}
	cr_assert_eq(total, 10);
	/* The next day the day window has emptied. */
	cr_assert_eq(burst(a, p, T0 + INT64_C(86400000) * 2, "t1", 30, NULL), 3);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_limits, REQ_ABU_003_window_slides_and_retry_after_is_honest)
{
	struct policy *p = abuse_test_policy(two_windows);
	struct abuse *a = NULL;
	uint32_t retry = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	cr_assert_eq(burst(a, p, T0, "t1", 5, &retry), 3);
	/* Before Retry-After: still refused; at Retry-After: admitted. */
	cr_assert_eq(burst(a, p, T0 + (int64_t)(retry - 1) * 1000, "t1", 1, NULL), 0);
	cr_assert_eq(burst(a, p, T0 + (int64_t)retry * 1000 + 5, "t1", 1, NULL), 1);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_limits, REQ_ABU_004_other_operations_and_policy_denials_do_not_count)
{
	struct policy *p = abuse_test_policy(two_windows);
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(abuse_test_request(a, p, T0 + i, "t1", "ws-a", "10.0.0.1:1", VIN,
						 "dtc.clear", &v), ABUSE_PASS);
	/* VIN outside the prefixes: denied by the policy, not charged. */
	for (int i = 0; i < 5; i++)
		cr_assert_eq(abuse_test_request(a, p, T0 + 20 + i, "t1", "ws-a", "10.0.0.1:1",
						"WAUZZZ1JZXW000001", "door.unlock", &v), -1);
	cr_assert_eq(burst(a, p, T0 + 100, "t1", 10, NULL), 3);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_limits, REQ_ABU_005_keys_by_vin_risk_and_workshop)
{
	struct policy *p = abuse_test_policy(
		"limits:\n"
		"  - { name: per-vin, key: vin, windows: [ { count: 2, seconds: 60 } ] }\n"
		"  - { name: high-risk, key: risk, min_risk: high, windows: [ { count: 4, seconds: 60 } ] }\n"
		"  - { name: per-ws, key: workshop, windows: [ { count: 6, seconds: 60 } ] }\n");
	struct abuse *a = NULL;
	struct abuse_verdict v;
	char vin[18];
	int ok = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	/* per VIN: 2 */
	cr_assert_eq(abuse_test_request(a, p, T0, "t1", "ws-a", "a", VIN, "dtc.clear", &v), 0);
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t2", "ws-a", "a", VIN, "dtc.clear", &v), 0);
	cr_assert_eq(abuse_test_request(a, p, T0 + 2, "t1", "ws-a", "a", VIN, "dtc.clear", &v),
		     ABUSE_LIMITED);
	cr_assert_str_eq(v.rule, "limits.per-vin");
	/* risk high+ fleet of classes: 4 ignition/key.learn on distinct VINs */
	for (int i = 0; i < 6; i++) {
		snprintf(vin, sizeof(vin), "WVWZZZ1JZXW%06d", 100 + i);
		if (abuse_test_request(a, p, T0 + 10 + i, i % 2 ? "t3" : "t1", i % 2 ? "ws-b" : "ws-a",
				       "a", vin, "ignition.enable", &v) == ABUSE_PASS)
			ok++;
		else
			cr_assert_str_eq(v.rule, "limits.high-risk");
	}
	cr_assert_eq(ok, 4);
	abuse_close(a);
	policy_unref(p);
}

static const char breaker[] =
	"limits:\n"
	"  - name: fleet-unlock\n"
	"    key: fleet\n"
	"    operations: [door.unlock]\n"
	"    windows: [ { count: 20, seconds: 60 } ]\n"
	"    action: require_approval\n"
	"  - name: fleet-start\n"
	"    key: fleet\n"
	"    operations: [ignition.enable]\n"
	"    windows: [ { count: 5, seconds: 60 } ]\n";

Test(abuse_limits, REQ_ABU_010_breaker_trips_within_one_window_and_stays_open)
{
	struct policy *p = abuse_test_policy(breaker);
	struct abuse *a = NULL;
	struct abuse_verdict v;
	char vin[18];
	int passed = 0, first_open = -1, alerts = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	/* A mass-unlock wave: 200 unlocks in 20 s across both workshops. */
	for (int i = 0; i < 200; i++) {
		int k;

		snprintf(vin, sizeof(vin), "WVWZZZ1JZXW%06d", i);
		k = abuse_test_request(a, p, T0 + i * 100, i % 2 ? "t1" : "t3",
				       i % 2 ? "ws-a" : "ws-b", "a", vin, "door.unlock", &v);
		alerts += (int)v.nalerts;
		if (k == ABUSE_PASS) {
			passed++;
			continue;
		}
		cr_assert_eq(k, ABUSE_APPROVAL);
		cr_assert_str_eq(v.code, "breaker_open");
		cr_assert_str_eq(v.rule, "limits.fleet-unlock");
		if (first_open < 0) {
			first_open = i;
			cr_assert_eq(v.nalerts, 1);
			cr_assert_str_eq(v.alerts[0].detector, "breaker");
		}
	}
	cr_assert_eq(passed, 20);
	cr_assert_eq(first_open, 20, "tripped at request %d", first_open);
	cr_assert_eq(alerts, 1, "one alert for the trip, not one per request");
	/* An hour later the window is empty but the breaker stays open. */
	cr_assert_eq(abuse_test_request(a, p, T0 + 3600000, "t1", "ws-a", "a", VIN, "door.unlock",
					&v), ABUSE_APPROVAL);
	cr_assert_str_eq(v.code, "breaker_open");
	/* The deny-mode breaker of another class. */
	for (int i = 0; i < 6; i++)
		abuse_test_request(a, p, T0 + i, "t1", "ws-a", "a", VIN, "ignition.enable", &v);
	cr_assert_eq(v.kind, ABUSE_DENY);
	cr_assert_str_eq(v.rule, "limits.fleet-start");
	abuse_close(a);
	policy_unref(p);
}

struct racer {
	struct abuse *a;
	struct policy *p;
	int admitted;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct abuse_verdict v;

	for (int i = 0; i < 200; i++)
		if (abuse_test_request(r->a, r->p, T0 + i % 50, "t1", "ws-a", "10.0.0.1:1", VIN,
				       "door.unlock", &v) == ABUSE_PASS)
			r->admitted++;
	return NULL;
}

Test(abuse_limits, REQ_ABU_007_concurrent_requests_admit_exactly_r)
{
	struct policy *p = abuse_test_policy(two_windows);
	struct abuse *a = NULL;
	struct racer r[8];
	pthread_t th[8];
	int total = 0;

	cr_assert_eq(abuse_open(NULL, &a), 0);
	for (int i = 0; i < 8; i++) {
		r[i] = (struct racer){ .a = a, .p = p };
		cr_assert_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += r[i].admitted;
	}
	cr_assert_eq(total, 3, "1600 concurrent requests admitted %d", total);
	abuse_close(a);
	policy_unref(p);
}
