/*
 * The policy's own test cases (tests:): each is a request and the expected
 * outcome, run through the same policy_decide() the broker uses.
 */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "policy_int.h"

static const char *const outcome[] = {"allow", "deny", "approval"};

static int outcome_of(const struct policy_decision *d)
{
	if (!d->allow)
		return POL_EXPECT_DENY;
	return d->need_approval ? POL_EXPECT_APPROVAL : POL_EXPECT_ALLOW;
}

static void run_one(const struct policy *p, const struct pol_test *t,
                    struct policy_test_result *res)
{
	struct policy_request q = {
	    .device_cn = t->device,
	    .device_workshop = t->device_ws,
	    .technician_cn = t->tech,
	    .technician_workshop = t->tech_ws,
	    .vin = t->vin,
	    .op = t->op,
	    .now = t->time,
	    .client_addr = NULL,
	    .requested_ttl = t->ttl,
	};
	struct policy_decision d;
	int got;

	memset(res, 0, sizeof(*res));
	res->name = t->name;
	res->file = t->loc.file < p->nfiles ? p->files[t->loc.file] : "?";
	res->line = t->loc.line;
	if (policy_decide(p, &q, &d) != 0) {
		snprintf(res->detail, sizeof(res->detail), "policy_decide failed");
		return;
	}
	got = outcome_of(&d);
	if (got != t->expect) {
		snprintf(res->detail, sizeof(res->detail), "expected %s, got %s by rule %s (%s)",
		         outcome[t->expect], outcome[got], d.rule, d.reason);
		return;
	}
	if (t->rule[0] != '\0' && strcmp(t->rule, d.rule) != 0) {
		snprintf(res->detail, sizeof(res->detail), "expected rule %s, got rule %s (%s)",
		         t->rule, d.rule, d.reason);
		return;
	}
	if (t->has_ttl && t->expect_ttl != d.ttl_s) {
		snprintf(res->detail, sizeof(res->detail), "expected ttl %u, got %u", t->expect_ttl,
		         d.ttl_s);
		return;
	}
	res->pass = 1;
}

int policy_run_tests(const struct policy *p, policy_test_fn fn, void *ctx, size_t *total,
                     size_t *failed)
{
	size_t nfail = 0;

	if (p == NULL)
		return PL_E_INVAL;
	for (size_t i = 0; i < p->ntests; i++) {
		struct policy_test_result res;

		run_one(p, &p->tests[i], &res);
		if (!res.pass)
			nfail++;
		if (fn != NULL)
			fn(ctx, &res);
	}
	if (total != NULL)
		*total = p->ntests;
	if (failed != NULL)
		*failed = nfail;
	return 0;
}
