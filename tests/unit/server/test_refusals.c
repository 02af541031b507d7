/* Refusal audit budget: REQ-BRK-209..REQ-BRK-211 (docs/broker.md, "Refusals under a flood"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "refusals.h"

#define T0 1800000000

Test(refusals, REQ_BRK_209_threshold_per_device_then_one_summary_per_window)
{
	struct refusals *rf;
	struct refusal_summary s[4];
	int written = 0;

	cr_assert_eq(refusals_new(5, 60, 16, &rf), 0);
	for (int i = 0; i < 1000; i++)
		written +=
		    refusals_admit(rf, "pc1", "ws-a", NULL, NULL, "not_a_technician", T0 + i % 60);
	cr_assert_eq(written, 5);
	/* another device is not affected */
	cr_assert_eq(refusals_admit(rf, "pc2", "ws-b", NULL, NULL, "x", T0 + 1), 1);
	cr_assert_eq(refusals_take_due(rf, T0 + 59, 0, s, 4), 0, "the window has not ended");
	cr_assert_eq(refusals_take_due(rf, T0 + 60, 0, s, 4), 1);
	cr_assert_str_eq(s[0].kind, "device");
	cr_assert_str_eq(s[0].name, "pc1");
	cr_assert_str_eq(s[0].workshop, "ws-a");
	cr_assert_str_eq(s[0].last_rule, "not_a_technician");
	cr_assert_eq(s[0].count, 995);
	cr_assert_eq(s[0].from, T0);
	cr_assert_eq(s[0].until, T0 + 60);
	cr_assert_eq(refusals_take_due(rf, T0 + 61, 0, s, 4), 0, "taken once");
	/* a new window: the budget is back */
	cr_assert_eq(refusals_admit(rf, "pc1", "ws-a", NULL, NULL, "x", T0 + 70), 1);
	refusals_free(rf);
}

Test(refusals, REQ_BRK_210_technician_budget_across_devices_each_refusal_counted_once)
{
	struct refusals *rf;
	struct refusal_summary s[8];
	uint32_t total = 0;
	int written = 0;
	size_t n;

	cr_assert_eq(refusals_new(3, 10, 64, &rf), 0);
	/* one technician card refused on 20 devices: 3 rows, the rest in her summary */
	for (int i = 0; i < 20; i++) {
		char dev[16];

		snprintf(dev, sizeof(dev), "pc%d", i);
		written += refusals_admit(rf, dev, "ws-a", "tech-x", "ws-a", "policy", T0);
	}
	cr_assert_eq(written, 3);
	n = refusals_take_due(rf, T0 + 10, 0, s, 8);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(s[0].kind, "technician");
	cr_assert_str_eq(s[0].name, "tech-x");
	cr_assert_eq(s[0].count, 17);
	/* flush at shutdown reports a window that has not ended yet */
	for (int i = 0; i < 9; i++)
		written += refusals_admit(rf, "pc0", "ws-a", "tech-y", "ws-a", "policy", T0 + 20);
	n = refusals_take_due(rf, T0 + 21, 1, s, 8);
	for (size_t i = 0; i < n; i++)
		total += s[i].count;
	cr_assert_eq(written, 6);
	cr_assert_eq(total, 6, "9 refusals: 3 written, 6 in a summary");
	cr_assert_eq(s[0].until, T0 + 21);
	refusals_free(rf);
}

Test(refusals, REQ_BRK_211_full_table_counts_into_overflow_never_writes_unbounded)
{
	struct refusals *rf;
	struct refusal_summary s[8];
	int written = 0;

	cr_assert_eq(refusals_new(2, 10, 4, &rf), 0);
	for (int i = 0; i < 100; i++) {
		char dev[16];

		snprintf(dev, sizeof(dev), "pc%d", i);
		written += refusals_admit(rf, dev, "ws", NULL, NULL, "r", T0);
	}
	cr_assert_eq(written, 4, "one row for each of the 4 keys that found room");
	cr_assert_eq(refusals_take_due(rf, T0 + 10, 0, s, 8), 1);
	cr_assert_str_eq(s[0].kind, "overflow");
	cr_assert_eq(s[0].count, 96);
	/* ended windows with nothing to report make room again */
	cr_assert_eq(refusals_admit(rf, "pc-new", "ws", NULL, NULL, "r", T0 + 11), 1);
	refusals_free(rf);
	cr_assert_eq(refusals_new(0, 10, 4, &rf), PL_E_INVAL);
	refusals_free(NULL);
}
