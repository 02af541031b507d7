/*
 * The `limits:` rules. Each rule matching the request's operation (and risk)
 * keeps one set of sliding windows per key value (technician, workshop, VIN,
 * operation, risk class, or the whole fleet). A request is admitted only when
 * every window of every matching rule holds fewer than its count; then all of
 * them are charged.
 *
 * A `key: fleet` rule is a circuit breaker: when the fleet reaches the count
 * the breaker trips (an alert, a row in the breakers table) and stays open —
 * `action: require_approval` sends every request of the class to a second
 * person, `action: refuse` denies them — until an officer resets it with
 * `pitlanectl breaker reset NAME`.
 */
#include <stdio.h>
#include <string.h>

#include "abuse_int.h"

int limit_matches(const struct policy *p, const struct policy_limit_view *l,
                  const struct abuse_event *ev)
{
	int idx = policy_op_index(p, ev->op);

	if (idx < 0)
		return 0;
	if (!l->all_ops && !(l->ops & (UINT64_C(1) << idx)))
		return 0;
	return l->min_risk < 0 || ev->d->risk >= l->min_risk;
}

static void key_of(const struct policy_limit_view *l, const struct abuse_event *ev, char *out,
                   size_t cap)
{
	const char *k = "fleet";

	switch (l->key) {
	case POLICY_KEY_TECHNICIAN:
		k = ev->technician;
		break;
	case POLICY_KEY_WORKSHOP:
		k = ev->workshop;
		break;
	case POLICY_KEY_VIN:
		k = ev->vin;
		break;
	case POLICY_KEY_OPERATION:
		k = ev->op;
		break;
	case POLICY_KEY_RISK:
		k = policy_risk_name(ev->d->risk);
		break;
	default:
		break;
	}
	snprintf(out, cap, "%s\x1f%s", l->name, k != NULL ? k : "");
}

static struct limit_state *state_of(struct abuse *a, const struct policy_limit_view *l,
                                    const char *key, int64_t now_ms)
{
	struct limit_state *s = smap_get(&a->limits, key, 1, now_ms);

	if (s == NULL)
		return NULL;
	/* New, or the policy changed the windows of this rule: start afresh. */
	if (s->nwin != l->nwindows || memcmp(s->seconds, l->seconds, sizeof(s->seconds)) != 0) {
		memset(s, 0, sizeof(*s));
		s->nwin = (uint32_t)l->nwindows;
		memcpy(s->seconds, l->seconds, sizeof(s->seconds));
		for (size_t k = 0; k < l->nwindows; k++)
			win_init(&s->w[k], l->seconds[k]);
	}
	return s;
}

static void breaker_open(struct abuse *a, const struct policy_limit_view *l, const char *evidence,
                         struct abuse_verdict *v)
{
	char rule[ABUSE_ID_MAX];

	snprintf(rule, sizeof(rule), "limits.%s", l->name);
	if (l->approval)
		verdict_set(
		    v, ABUSE_APPROVAL, "breaker_open", rule,
		    "the fleet-wide circuit "
		    "breaker %s is open (%s): a second person must approve until an officer "
		    "resets it",
		    l->name, evidence);
	else
		verdict_set(v, ABUSE_DENY, "breaker_open", rule,
		            "the fleet-wide circuit breaker %s "
		            "is open (%s): refused until an officer resets it",
		            l->name, evidence);
	(void)a;
}

static void check_one(struct abuse *a, const struct policy_limit_view *l,
                      const struct abuse_event *ev, struct abuse_verdict *v)
{
	char key[160], rule[ABUSE_ID_MAX], ev_text[160];
	struct limit_state *s;
	const char *open;

	snprintf(rule, sizeof(rule), "limits.%s", l->name);
	if (l->key == POLICY_KEY_FLEET && (open = smap_get(&a->breakers, l->name, 0, 0)) != NULL) {
		breaker_open(a, l, open, v);
		return;
	}
	key_of(l, ev, key, sizeof(key));
	if ((s = state_of(a, l, key, ev->now_ms)) == NULL) {
		verdict_set(v, ABUSE_LIMITED, "rate_limited", rule, "out of memory for limit %s",
		            l->name);
		v->retry_after = 1;
		return;
	}
	for (size_t k = 0; k < s->nwin; k++) {
		uint32_t n = win_count(&s->w[k], ev->now_ms);

		if (n < l->count[k])
			continue;
		if (l->key == POLICY_KEY_FLEET) {
			char *e = smap_get(&a->breakers, l->name, 1, ev->now_ms);

			snprintf(ev_text, sizeof(ev_text),
			         "%u %s requests fleet-wide in %u s, ceiling %u", n, ev->op,
			         l->seconds[k], l->count[k]);
			if (e != NULL)
				abuse_strlcpy(e, ev_text, 160);
			store_trip(a, l->name, ev_text, ev->now_ms);
			a->st.breaker_trips++;
			a->st.alerts_by_detector[6]++;
			verdict_alert(v, rule, "breaker", l->approval ? "require_approval" : "deny",
			              ev->op, ev_text);
			breaker_open(a, l, ev_text, v);
			return;
		}
		if (l->approval) {
			verdict_set(v, ABUSE_APPROVAL, "rate_limited", rule,
			            "limit %s reached (%u "
			            "in %u s for %s): a second person must approve",
			            l->name, n, l->seconds[k], strchr(key, '\x1f') + 1);
			continue; /* a refusing rule still wins */
		}
		verdict_set(v, ABUSE_LIMITED, "rate_limited", rule,
		            "limit %s reached: %u requests "
		            "in %u s for %s (at most %u); retry later",
		            l->name, n, l->seconds[k], strchr(key, '\x1f') + 1, l->count[k]);
		v->retry_after = win_retry_after(&s->w[k], ev->now_ms, l->count[k]);
		return;
	}
}

void limits_check(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                  struct abuse_verdict *v)
{
	size_t n = policy_limit_count(p);
	struct policy_limit_view l;

	for (size_t i = 0; i < n && v->kind != ABUSE_LIMITED && v->kind != ABUSE_DENY; i++) {
		if (policy_limit_at(p, i, &l) != 0 || !limit_matches(p, &l, ev))
			continue;
		check_one(a, &l, ev, v);
	}
}

void limits_charge(struct abuse *a, const struct policy *p, const struct abuse_event *ev)
{
	size_t n = policy_limit_count(p);
	struct policy_limit_view l;
	char key[160];
	struct limit_state *s;

	for (size_t i = 0; i < n; i++) {
		if (policy_limit_at(p, i, &l) != 0 || !limit_matches(p, &l, ev))
			continue;
		key_of(&l, ev, key, sizeof(key));
		if ((s = state_of(a, &l, key, ev->now_ms)) == NULL)
			continue;
		for (size_t k = 0; k < s->nwin; k++)
			win_add(&s->w[k], ev->now_ms);
	}
}
