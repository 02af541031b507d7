/*
 * Anomaly detectors (`anomalies:` rules). Each sees every identified request
 * (the policy's decision included), keeps a little state per technician,
 * workshop or (workshop, VIN), and fires with evidence. An alert is reported
 * once per rule and subject per window (the action applies every time).
 */
#include <stdio.h>
#include <string.h>

#include "abuse_int.h"

#define OP_UNLOCK "door.unlock"
#define OP_START "ignition.enable"
#define UNLOCK_FIRST_MS 30000  /* contact this close before the unlock is no history */
#define WS_SWEEP_FACTOR 4      /* a workshop's sweep threshold: 4 x a technician's */

static int64_t window_ms(const struct policy_anomaly_view *an)
{
	return (int64_t)(an->window != 0 ? an->window : 3600) * 1000;
}

void detect_fire(struct abuse *a, const struct policy_anomaly_view *an, const char *subject,
		 const char *tech, const char *workshop, int64_t now_ms, const char *detector,
		 const char *evidence, struct abuse_verdict *v)
{
	static const char *const acts[] = { "alert", "require_approval", "deny", "suspend" };
	char key[160], rule[ABUSE_ID_MAX];
	int64_t *until;

	snprintf(rule, sizeof(rule), "anomalies.%s", an->name);
	snprintf(key, sizeof(key), "%s\x1f%s", an->name, subject);
	until = smap_get(&a->alerted, key, 1, now_ms);
	if (until == NULL || *until <= now_ms) {
		if (until != NULL)
			*until = now_ms + window_ms(an);
		verdict_alert(v, rule, detector, acts[an->action & 3], subject, evidence);
		a->st.alerts++;
		if (an->detector >= 0 && an->detector < 6)
			a->st.alerts_by_detector[an->detector]++;
	}
	switch (an->action) {
	case POLICY_AACT_APPROVAL:
		if (v->kind == ABUSE_PASS)
			verdict_set(v, ABUSE_APPROVAL, "anomaly_approval", rule, "anomaly %s (%s): a "
				    "second person must approve", an->name, evidence);
		break;
	case POLICY_AACT_SUSPEND:
		if (tech != NULL)
			store_suspend(a, "technician", tech, rule, evidence, now_ms);
		else if (workshop != NULL)
			store_suspend(a, "workshop", workshop, rule, evidence, now_ms);
		/* the request itself is denied as well */
		__attribute__((fallthrough));
	case POLICY_AACT_DENY:
		verdict_set(v, ABUSE_DENY, "anomaly_denied", rule, "anomaly %s (%s)%s", an->name,
			    evidence, an->action == POLICY_AACT_SUSPEND ? "; requester suspended" : "");
		break;
	default:
		break;
	}
}

/* Records vin for key and returns the distinct VINs seen inside the window. */
static uint32_t sweep_count(struct abuse *a, const char *key, const char *vin, int64_t now_ms,
			    int64_t win_ms)
{
	struct sweep_state *s = smap_get(&a->sweeps, key, 1, now_ms);
	uint32_t i, n = 0, found = 0;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->n; i++) {
		if (s->t[i] <= now_ms - win_ms)
			continue;
		if (strcmp(s->vin[i], vin) == 0) {
			s->t[i] = now_ms;
			found = 1;
		}
		if (n != i) {
			s->t[n] = s->t[i];
			memcpy(s->vin[n], s->vin[i], sizeof(s->vin[n]));
		}
		n++;
	}
	s->n = n;
	if (!found) {
		if (s->n == SWEEP_MAX) {
			memmove(&s->t[0], &s->t[1], (SWEEP_MAX - 1) * sizeof(s->t[0]));
			memmove(&s->vin[0], &s->vin[1], (SWEEP_MAX - 1) * sizeof(s->vin[0]));
			s->n--;
		}
		s->t[s->n] = now_ms;
		abuse_strlcpy(s->vin[s->n], vin, sizeof(s->vin[0]));
		s->n++;
	}
	return s->n;
}

static void vin_sweep(struct abuse *a, const struct policy_anomaly_view *an,
		      const struct abuse_event *ev, struct abuse_verdict *v)
{
	char key[160], evd[160];
	uint32_t n;
	uint32_t need = an->distinct_vins < SWEEP_MAX ? an->distinct_vins : SWEEP_MAX;

	snprintf(key, sizeof(key), "%s\x1ft\x1f%s", an->name, ev->technician);
	n = sweep_count(a, key, ev->vin, ev->now_ms, window_ms(an));
	if (n >= need) {
		snprintf(evd, sizeof(evd), "technician %s touched %u distinct VINs in %u s "
			 "(threshold %u)", ev->technician, n, an->window, an->distinct_vins);
		detect_fire(a, an, ev->technician, ev->technician, NULL, ev->now_ms, "vin_sweep",
			    evd, v);
	}
	snprintf(key, sizeof(key), "%s\x1fw\x1f%s", an->name, ev->workshop);
	n = sweep_count(a, key, ev->vin, ev->now_ms, window_ms(an));
	/* A workshop has several technicians working at once. */
	need = need * WS_SWEEP_FACTOR < SWEEP_MAX ? need * WS_SWEEP_FACTOR : SWEEP_MAX;
	if (n >= need) {
		snprintf(evd, sizeof(evd), "workshop %s touched %u distinct VINs in %u s "
			 "(threshold %u)", ev->workshop, n, an->window, need);
		detect_fire(a, an, ev->workshop, NULL, ev->workshop, ev->now_ms, "vin_sweep", evd, v);
	}
}

static void unlock_then_start(struct abuse *a, const struct policy_anomaly_view *an,
			      const struct abuse_event *ev, struct abuse_verdict *v)
{
	char key[160], evd[160];
	struct pair_state *s;
	int64_t w = window_ms(an), first;

	if (strcmp(ev->op, OP_START) != 0)
		return;
	snprintf(key, sizeof(key), "%s\x1f%s", ev->workshop, ev->vin);
	if ((s = smap_get(&a->pairs, key, 0, 0)) == NULL || s->unlock_ms <= ev->now_ms - w)
		return;
	/* The first contact: in memory (recent) or in the audit log (older history). */
	if (store_first_contact(a, ev->workshop, ev->vin, &first) != 0 || first > s->first_ms)
		first = s->first_ms;
	/*
	 * No history: the unlock was the workshop's first contact with the VIN,
	 * or came at script speed (< UNLOCK_FIRST_MS) after it.
	 */
	if (s->unlock_ms - first < UNLOCK_FIRST_MS) {
		snprintf(evd, sizeof(evd), "%s of %s %lld s after %s by workshop %s, whose first "
			 "contact with this VIN was %lld s ago", OP_START, ev->vin,
			 (long long)((ev->now_ms - s->unlock_ms) / 1000), OP_UNLOCK, ev->workshop,
			 (long long)((ev->now_ms - first) / 1000));
		detect_fire(a, an, ev->vin, ev->technician, NULL, ev->now_ms, "unlock_then_start",
			    evd, v);
	}
}

static void host_of(const char *addr, char *out, size_t cap)
{
	const char *colon = addr != NULL ? strrchr(addr, ':') : NULL;
	size_t n;

	if (addr == NULL) {
		out[0] = '\0';
		return;
	}
	/* "[v6]:port", "v4:port" or a bare host */
	n = colon != NULL && strchr(addr, ':') == colon ? (size_t)(colon - addr) :
	    colon != NULL && addr[0] == '[' ? (size_t)(colon - addr) : strlen(addr);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, addr, n);
	out[n] = '\0';
}

static void place_check(struct abuse *a, const struct policy_anomaly_view *an,
			const struct abuse_event *ev, const char *kind, const char *id,
			struct abuse_verdict *v)
{
	char key[160], host[64], evd[320];
	struct place_state *s;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", an->name, kind, id);
	host_of(ev->client_addr, host, sizeof(host));
	if ((s = smap_get(&a->places, key, 1, ev->now_ms)) == NULL)
		return;
	if (s->t != 0 && s->t > ev->now_ms - window_ms(an) &&
	    (strcmp(s->addr, host) != 0 || strcmp(s->workshop, ev->workshop) != 0)) {
		snprintf(evd, sizeof(evd), "%s active from %s/%s and %s/%s in %u s",
			 id, s->addr, s->workshop, host, ev->workshop, an->window);
		detect_fire(a, an, id, kind[0] == 't' ? ev->technician : NULL,
			    kind[0] == 't' ? NULL : ev->workshop, ev->now_ms, "two_places", evd, v);
	}
	abuse_strlcpy(s->addr, host, sizeof(s->addr));
	abuse_strlcpy(s->workshop, ev->workshop, sizeof(s->workshop));
	s->t = ev->now_ms;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void detect_all(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
		struct abuse_verdict *v)
{
	size_t n = policy_anomaly_count(p);
	struct policy_anomaly_view an;
	char evd[160], dev[160];
	const struct policy_decision *d = ev->d;

	/* Malformed requests (rule "request.*") carry nothing to correlate. */
	if (strncmp(d->rule, "request.", 8) == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (policy_anomaly_at(p, i, &an) != 0)
			continue;
		switch (an.detector) {
		case POLICY_DET_DECOY_VIN:
			if (strcmp(d->rule, "decoy_vins") != 0)
				break;
			snprintf(evd, sizeof(evd), "%s requested for decoy VIN %s by technician %s "
				 "from device %s at %s", ev->op, ev->vin, ev->technician, ev->device,
				 ev->client_addr ? ev->client_addr : "?");
			detect_fire(a, &an, ev->technician, ev->technician, NULL, ev->now_ms,
				    "decoy_vin", evd, v);
			break;
		case POLICY_DET_OUT_OF_HOURS:
			if (!ends_with(d->rule, ".opening_hours"))
				break;
			snprintf(evd, sizeof(evd), "%s (risk %s) by technician %s outside the opening "
				 "hours of workshop %s", ev->op, policy_risk_name(d->risk),
				 ev->technician, ev->workshop);
			detect_fire(a, &an, ev->technician, ev->technician, NULL, ev->now_ms,
				    "out_of_hours", evd, v);
			break;
		case POLICY_DET_VIN_SWEEP:
			vin_sweep(a, &an, ev, v);
			break;
		case POLICY_DET_UNLOCK_THEN_START:
			unlock_then_start(a, &an, ev, v);
			break;
		case POLICY_DET_TWO_PLACES:
			place_check(a, &an, ev, "t", ev->technician, v);
			snprintf(dev, sizeof(dev), "%s/%s", ev->device, ev->workshop);
			place_check(a, &an, ev, "d", dev, v);
			break;
		default:
			break;  /* ecu_failures: abuse_receipt() */
		}
	}
	detect_observe(a, ev);
}

void detect_observe(struct abuse *a, const struct abuse_event *ev)
{
	char key[160];
	struct pair_state *s;

	if (!ev->d->allow)
		return;
	snprintf(key, sizeof(key), "%s\x1f%s", ev->workshop, ev->vin);
	if ((s = smap_get(&a->pairs, key, 1, ev->now_ms)) == NULL)
		return;
	if (s->first_ms == 0)
		s->first_ms = ev->now_ms;
	if (strcmp(ev->op, OP_UNLOCK) == 0)
		s->unlock_ms = ev->now_ms;
}
