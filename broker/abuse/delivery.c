/*
 * The last look before the token of an approved request leaves (the
 * requester's signed poll, docs/abuse.md "What is in flight"): an approval
 * is a second person's yes to one request, not a pass around what an officer
 * or a breaker decided since. So delivery meets again the checks that a new
 * request would meet and that count nothing: officer suspensions of the
 * technician and the workshop, and the open fleet breakers of the
 * operation's class. Rate limits and detectors counted the request when it
 * was parked; running them again would count it twice.
 */
#include <stdio.h>
#include <string.h>

#include "abuse_int.h"
#include "pl_err.h"

/*
 * Officer suspensions under the ids the approval was made with and those the
 * policy gives now, and a suspension of the requesting PC (an unknown identity
 * offered from it suspends the device, docs/abuse.md).
 */
static int suspended(struct abuse *a, const struct abuse_approval *ap,
                     const struct policy_decision *d, struct abuse_verdict *v)
{
	return susp_check(a, "device", ap->device_cn, NULL, v) ||
	       susp_check(a, "workshop", d->workshop_id, ap->workshop, v) ||
	       susp_check(a, "workshop", ap->workshop_id, NULL, v) ||
	       susp_check(a, "technician", d->technician_id, ap->technician, v) ||
	       susp_check(a, "technician", ap->technician_id, NULL, v);
}

/*
 * An open breaker of the class: one in refuse mode refuses every token of it;
 * one in approval mode asks for a second person's look while it is open, so it
 * refuses an approval decided before it tripped (the approver did not know of
 * the wave) and lets through one decided since. 1 and v set when it refuses.
 */
static int breaker_refuses(struct abuse *a, const struct policy_limit_view *l,
                           const struct abuse_approval *ap, const char *evidence,
                           struct abuse_verdict *v, int *err)
{
	char rule[ABUSE_ID_MAX];
	int64_t tripped = 0;
	int r;

	snprintf(rule, sizeof(rule), "limits.%s", l->name);
	if (!l->approval) {
		verdict_set(
		    v, ABUSE_DENY, "breaker_open", rule,
		    "the fleet-wide circuit breaker %s "
		    "is open (%s): no token of this class leaves until an officer resets it",
		    l->name, evidence);
		return 1;
	}
	r = store_tripped_ms(a, l->name, &tripped);
	if (r != 0 && r != PL_E_NOTFOUND) {
		*err = r;
		return 0;
	}
	/* Unknown trip time (no row, no database): fail closed, as if it tripped just now. */
	if (r == 0 && tripped < ap->decided_ms)
		return 0;
	verdict_set(v, ABUSE_DENY, "breaker_open", rule,
	            "the fleet-wide circuit breaker %s "
	            "tripped (%s) after approval %s was decided: ask again, a new request goes to "
	            "a second person while it is open",
	            l->name, evidence, ap->id);
	return 1;
}

static int breakers(struct abuse *a, const struct policy *p, const struct abuse_approval *ap,
                    const struct policy_decision *d, struct abuse_verdict *v)
{
	struct abuse_event ev = {.technician = ap->technician,
	                         .workshop = ap->workshop,
	                         .device = ap->device_cn,
	                         .vin = ap->vin,
	                         .op = ap->op,
	                         .d = d};
	size_t n = policy_limit_count(p);
	struct policy_limit_view l;
	const char *evidence;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		if (policy_limit_at(p, i, &l) != 0 || l.key != POLICY_KEY_FLEET ||
		    !limit_matches(p, &l, &ev))
			continue;
		if ((evidence = smap_get(&a->breakers, l.name, 0, 0)) == NULL)
			continue;
		if (breaker_refuses(a, &l, ap, evidence, v, &err))
			return 0;
		if (err != 0)
			return err;
	}
	return 0;
}

int abuse_delivery_check(struct abuse *a, const struct policy *p, const struct abuse_approval *ap,
                         const struct policy_decision *d, struct abuse_verdict *v)
{
	int r = 0;

	if (a == NULL || p == NULL || ap == NULL || d == NULL || v == NULL)
		return PL_E_INVAL;
	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&a->mu);
	if (a->db != NULL && (r = store_refresh(a)) != 0)
		goto out;
	if (!suspended(a, ap, d, v))
		r = breakers(a, p, ap, d, v);
	if (r != 0)
		memset(v, 0, sizeof(*v));
out:
	pthread_mutex_unlock(&a->mu);
	return r;
}
