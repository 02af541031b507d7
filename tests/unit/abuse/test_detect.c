/* Anomaly detectors (REQ-ABU-020..027, docs/abuse.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "abuse_test_util.h"
#include "metrics.h"

#define T0 INT64_C(1741683600000)  /* Tuesday 09:00 UTC */
#define VIN "WVWZZZ1JZXW000001"

static struct abuse *a;
static struct policy *p;

static void open_with(const char *anomalies)
{
	p = abuse_test_policy(anomalies);
	cr_assert_eq(abuse_open(NULL, &a), 0);
}

static void done(void)
{
	abuse_close(a);
	policy_unref(p);
}

static int req(int64_t t, const char *tech, const char *ws, const char *addr, const char *vin,
	       const char *op, struct abuse_verdict *v)
{
	return abuse_test_request(a, p, t, tech, ws, addr, vin, op, v);
}

Test(abuse_detect, REQ_ABU_020_vin_sweep_fires_at_the_threshold_once)
{
	struct abuse_verdict v;
	char vin[18];
	int tech_alerts = 0, ws_alerts = 0, first = -1, ws_first = -1;

	open_with("anomalies:\n  - { name: sweep, detector: vin_sweep, action: alert,\n"
		  "      params: { distinct_vins: 5, window: 600 } }\n");
	/* Many requests on one VIN: no alert. */
	for (int i = 0; i < 20; i++) {
		req(T0 + i * 1000, "t1", "ws-a", "10.0.0.1:1", VIN, "dtc.clear", &v);
		cr_assert_eq(v.nalerts, 0);
	}
	for (int i = 0; i < 22; i++) {
		snprintf(vin, sizeof(vin), "WVWZZZ1JZXW%06d", 100 + i);
		cr_assert_eq(req(T0 + 60000 + i * 2000, "t1", "ws-a", "10.0.0.1:1", vin, "dtc.clear",
				 &v), ABUSE_PASS, "action alert does not refuse");
		for (size_t k = 0; k < v.nalerts; k++) {
			if (strcmp(v.alerts[k].subject, "t1") == 0) {
				tech_alerts++;
				first = first < 0 ? i : first;
			} else {
				cr_assert_str_eq(v.alerts[k].subject, "ws-a");
				ws_alerts++;
				ws_first = ws_first < 0 ? i : ws_first;
			}
		}
	}
	/* VIN + 4 new = 5 distinct at i = 3; the workshop's threshold is 4 x 5. */
	cr_assert_eq(first, 3);
	cr_assert_eq(ws_first, 18);
	cr_assert_eq(tech_alerts, 1, "one alert per subject and window");
	cr_assert_eq(ws_alerts, 1, "one alert per subject and window");
	done();
}

Test(abuse_detect, REQ_ABU_020_vin_sweep_forgets_after_the_window)
{
	struct abuse_verdict v;
	char vin[18];
	int alerts = 0;

	open_with("anomalies:\n  - { name: sweep, detector: vin_sweep, action: deny,\n"
		  "      params: { distinct_vins: 5, window: 600 } }\n");
	/* 4 VINs an hour, all day: never 5 in 10 minutes. */
	for (int i = 0; i < 40; i++) {
		snprintf(vin, sizeof(vin), "WVWZZZ1JZXW%06d", i);
		cr_assert_eq(req(T0 + (int64_t)i * 900000, "t1", "ws-a", "a", vin, "dtc.clear", &v),
			     ABUSE_PASS);
		alerts += (int)v.nalerts;
	}
	cr_assert_eq(alerts, 0);
	done();
}

Test(abuse_detect, REQ_ABU_021_out_of_hours_high_risk_attempt)
{
	struct abuse_verdict v;

	open_with("anomalies:\n  - { name: night, detector: out_of_hours, action: alert }\n");
	/* medium risk at a closed workshop: allowed, no alert */
	cr_assert_eq(req(T0, "tn", "ws-night", "a", VIN, "door.unlock", &v), ABUSE_PASS);
	cr_assert_eq(v.nalerts, 0);
	/* high risk: the policy denies, the detector reports it */
	cr_assert_eq(req(T0 + 1, "tn", "ws-night", "a", VIN, "ignition.enable", &v), -1);
	cr_assert_eq(v.nalerts, 1);
	cr_assert_str_eq(v.alerts[0].rule, "anomalies.night");
	cr_assert_str_eq(v.alerts[0].detector, "out_of_hours");
	cr_assert_str_eq(v.alerts[0].subject, "tn");
	cr_assert(strstr(v.alerts[0].evidence, "ignition.enable") != NULL);
	done();
}

Test(abuse_detect, REQ_ABU_022_unlock_then_start_without_history)
{
	struct abuse_verdict v;

	open_with("anomalies:\n  - { name: uts, detector: unlock_then_start,\n"
		  "      action: require_approval, params: { window: 600 } }\n");
	/* ws-a knows VIN since yesterday: unlock then start is routine. */
	req(T0 - 86400000, "t1", "ws-a", "a", VIN, "dtc.clear", &v);
	req(T0, "t1", "ws-a", "a", VIN, "door.unlock", &v);
	cr_assert_eq(req(T0 + 60000, "t1", "ws-a", "a", VIN, "ignition.enable", &v), ABUSE_PASS);
	cr_assert_eq(v.nalerts, 0);
	/* ws-b never saw this VIN: unlock, start 2 minutes later -> approval. */
	req(T0, "t3", "ws-b", "b", VIN, "door.unlock", &v);
	cr_assert_eq(req(T0 + 120000, "t3", "ws-b", "b", VIN, "ignition.enable", &v),
		     ABUSE_APPROVAL);
	cr_assert_str_eq(v.code, "anomaly_approval");
	cr_assert_str_eq(v.rule, "anomalies.uts");
	cr_assert_eq(v.nalerts, 1);
	cr_assert_str_eq(v.alerts[0].detector, "unlock_then_start");
	/* A diagnosis minutes before the unlock is the same visit, not history (test_history.c). */
	req(T0, "t3", "ws-b", "b", "WVWZZZ1JZXW000008", "dtc.clear", &v);
	req(T0 + 300000, "t3", "ws-b", "b", "WVWZZZ1JZXW000008", "door.unlock", &v);
	cr_assert_eq(req(T0 + 360000, "t3", "ws-b", "b", "WVWZZZ1JZXW000008", "ignition.enable",
			 &v), ABUSE_APPROVAL);
	/* Nor is one at script speed before the unlock. */
	req(T0, "t3", "ws-b", "b", "WVWZZZ1JZXW000007", "dtc.clear", &v);
	req(T0 + 5000, "t3", "ws-b", "b", "WVWZZZ1JZXW000007", "door.unlock", &v);
	cr_assert_eq(req(T0 + 20000, "t3", "ws-b", "b", "WVWZZZ1JZXW000007", "ignition.enable",
			 &v), ABUSE_APPROVAL);
	/* Outside the window: no longer the pattern. */
	req(T0 + 100000000, "t3", "ws-b", "b", "WVWZZZ1JZXW000009", "door.unlock", &v);
	cr_assert_eq(req(T0 + 100000000 + 700000, "t3", "ws-b", "b", "WVWZZZ1JZXW000009",
			 "ignition.enable", &v), ABUSE_PASS);
	done();
}

Test(abuse_detect, REQ_ABU_023_one_technician_from_two_places)
{
	struct abuse_verdict v;

	open_with("anomalies:\n  - { name: two, detector: two_places, action: deny,\n"
		  "      params: { window: 300 } }\n");
	/* Same host, other source ports: one place. */
	cr_assert_eq(req(T0, "t1", "ws-a", "192.0.2.10:40000", VIN, "dtc.clear", &v), ABUSE_PASS);
	cr_assert_eq(req(T0 + 1000, "t1", "ws-a", "192.0.2.10:40001", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	cr_assert_eq(v.nalerts, 0);
	/* Another address 20 s later. */
	cr_assert_eq(req(T0 + 21000, "t1", "ws-a", "198.51.100.7:5000", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.code, "anomaly_denied");
	cr_assert(v.nalerts >= 1);
	cr_assert(strstr(v.alerts[0].evidence, "192.0.2.10") != NULL);
	cr_assert(strstr(v.alerts[0].evidence, "198.51.100.7") != NULL);
	/* Moving after the window is fine. */
	cr_assert_eq(req(T0 + 1000000, "t1", "ws-a", "192.0.2.10:1", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	done();
}

Test(abuse_detect, REQ_ABU_024_decoy_vin_suspends_at_once)
{
	struct abuse_verdict v;

	open_with("anomalies:\n  - { name: decoy, detector: decoy_vin, action: suspend }\n");
	cr_assert_eq(req(T0, "t2", "ws-a", "a", "WVWZZZ1JZ3W386752", "door.unlock", &v),
		     ABUSE_DENY);
	cr_assert_eq(v.nalerts, 1);
	cr_assert_str_eq(v.alerts[0].action, "suspend");
	cr_assert(strstr(v.alerts[0].evidence, "WVWZZZ1JZ3W386752") != NULL);
	cr_assert_eq(req(T0 + 1, "t2", "ws-a", "a", VIN, "dtc.clear", &v), ABUSE_DENY);
	cr_assert_str_eq(v.code, "suspended");
	cr_assert_str_eq(v.rule, "suspensions.technician.t2");
	/* Colleagues are not affected. */
	cr_assert_eq(req(T0 + 2, "t1", "ws-a", "a", VIN, "dtc.clear", &v), ABUSE_PASS);
	done();
}

Test(abuse_detect, REQ_ABU_025_burst_of_ecu_failures)
{
	struct abuse_verdict v;
	int fired = -1;

	open_with("anomalies:\n  - { name: ecu, detector: ecu_failures, action: alert,\n"
		  "      params: { count: 5, window: 600 } }\n");
	/* Successes never count; failures spread over hours do not fire. */
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(abuse_receipt(a, p, T0 + i, "ws-a", "t1", 0, &v), 0);
		cr_assert_eq(v.nalerts, 0);
	}
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(abuse_receipt(a, p, T0 + (int64_t)i * 700000, "ws-a", "t1", 1, &v), 0);
		cr_assert_eq(v.nalerts, 0);
	}
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(abuse_receipt(a, p, T0 + 9000000 + i * 10000, "ws-b", "t3", 1, &v), 0);
		if (v.nalerts > 0 && fired < 0) {
			fired = i;
			cr_assert_str_eq(v.alerts[0].detector, "ecu_failures");
			cr_assert_str_eq(v.alerts[0].subject, "ws-b");
		}
	}
	cr_assert_eq(fired, 4);
	done();
}

Test(abuse_detect, REQ_ABU_026_stats_count_alerts_by_detector)
{
	struct abuse_verdict v;
	struct abuse_stats st;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	open_with("anomalies:\n  - { name: decoy, detector: decoy_vin, action: deny }\n");
	req(T0, "t1", "ws-a", "a", "WVWZZZ1JZ3W386752", "door.unlock", &v);
	abuse_get_stats(a, &st);
	cr_assert_eq(st.alerts, 1);
	cr_assert_eq(st.alerts_by_detector[POLICY_DET_DECOY_VIN], 1);
	cr_assert_eq(st.denied, 1);
	f = open_memstream(&text, &len);
	metrics_render_abuse(&st, f);   /* the front end renders them (broker/front/metrics.c) */
	fclose(f);
	cr_assert(strstr(text, "pitlane_abuse_alerts_total{detector=\"decoy_vin\"} 1\n") != NULL);
	cr_assert(strstr(text, "pitlane_abuse_verdicts_total{verdict=\"denied\"} 1\n") != NULL);
	free(text);
	done();
}
