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
/*
 * unlock_then_start: history is real earlier work on the VIN -- a token the
 * workshop was issued for it at least this long before the unlock, i.e. on an
 * earlier day. Anything nearer (a lock, a second unlock, a diagnosis) belongs
 * to the same visit and proves nothing: a script sends it and waits.
 */
#define HISTORY_MIN_MS (INT64_C(12) * 3600 * 1000)
#define WS_SWEEP_FACTOR 4 /* a workshop's sweep threshold: 4 x a technician's */

static int64_t window_ms(const struct policy_anomaly_view *an)
{
	return (int64_t)(an->window != 0 ? an->window : 3600) * 1000;
}

/* The `suspend` action: the known technician, else the device and its workshop. */
static void suspend(struct abuse *a, const struct suspect *who, const char *rule,
                    const char *evidence, int64_t now_ms)
{
	if (who->technician != NULL) {
		store_suspend(a, "technician", who->technician, rule, evidence, now_ms);
		return;
	}
	if (who->device != NULL)
		store_suspend(a, "device", who->device, rule, evidence, now_ms);
	if (who->workshop != NULL)
		store_suspend(a, "workshop", who->workshop, rule, evidence, now_ms);
}

void detect_fire(struct abuse *a, const struct policy_anomaly_view *an, const char *subject,
                 const struct suspect *who, int64_t now_ms, const char *detector,
                 const char *evidence, struct abuse_verdict *v)
{
	static const char *const acts[] = {"alert", "require_approval", "deny", "suspend"};
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
			verdict_set(v, ABUSE_APPROVAL, "anomaly_approval", rule,
			            "anomaly %s (%s): a "
			            "second person must approve",
			            an->name, evidence);
		break;
	case POLICY_AACT_SUSPEND:
		suspend(a, who, rule, evidence, now_ms);
		/* the request itself is denied as well */
		__attribute__((fallthrough));
	case POLICY_AACT_DENY:
		verdict_set(v, ABUSE_DENY, "anomaly_denied", rule, "anomaly %s (%s)%s", an->name,
		            evidence,
		            an->action == POLICY_AACT_SUSPEND ? "; requester suspended" : "");
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
                      const struct abuse_event *ev, const struct suspect *who,
                      const struct suspect *ws, struct abuse_verdict *v)
{
	char key[160], evd[160];
	uint32_t n;
	uint32_t need = an->distinct_vins < SWEEP_MAX ? an->distinct_vins : SWEEP_MAX;

	snprintf(key, sizeof(key), "%s\x1ft\x1f%s", an->name, ev->technician);
	n = sweep_count(a, key, ev->vin, ev->now_ms, window_ms(an));
	if (n >= need) {
		snprintf(evd, sizeof(evd),
		         "technician %s touched %u distinct VINs in %u s "
		         "(threshold %u)",
		         ev->technician, n, an->window, an->distinct_vins);
		detect_fire(a, an, ev->technician, who, ev->now_ms, "vin_sweep", evd, v);
	}
	snprintf(key, sizeof(key), "%s\x1fw\x1f%s", an->name, ev->workshop);
	n = sweep_count(a, key, ev->vin, ev->now_ms, window_ms(an));
	/* A workshop has several technicians working at once. */
	need = need * WS_SWEEP_FACTOR < SWEEP_MAX ? need * WS_SWEEP_FACTOR : SWEEP_MAX;
	if (n >= need) {
		snprintf(evd, sizeof(evd),
		         "workshop %s touched %u distinct VINs in %u s "
		         "(threshold %u)",
		         ev->workshop, n, an->window, need);
		detect_fire(a, an, ev->workshop, ws, ev->now_ms, "vin_sweep", evd, v);
	}
}

/*
 * 1 when workshop has real earlier work on vin: a token issued at least
 * HISTORY_MIN_MS before unlock_ms, in memory (recent contacts) or in the audit
 * log (older ones). The log unreadable counts as no history (fail closed).
 */
static int has_history(struct abuse *a, const char *workshop, const char *vin,
                       const struct pair_state *s, int64_t unlock_ms, int64_t *first)
{
	int64_t logged;

	*first = s->first_ms != 0 ? s->first_ms : INT64_MAX;
	if (store_first_contact(a, workshop, vin, &logged) == 0 && logged < *first)
		*first = logged;
	return *first <= unlock_ms - HISTORY_MIN_MS;
}

static void unlock_then_start(struct abuse *a, const struct policy_anomaly_view *an,
                              const struct abuse_event *ev, const struct suspect *who,
                              struct abuse_verdict *v)
{
	char key[160], evd[256], since[48];
	struct pair_state *s;
	int64_t first;

	if (strcmp(ev->op, OP_START) != 0)
		return;
	snprintf(key, sizeof(key), "%s\x1f%s", ev->workshop, ev->vin);
	if ((s = smap_get(&a->pairs, key, 0, 0)) == NULL ||
	    s->unlock_ms <= ev->now_ms - window_ms(an))
		return;
	if (has_history(a, ev->workshop, ev->vin, s, s->unlock_ms, &first))
		return;
	if (first == INT64_MAX)
		snprintf(since, sizeof(since), "none");
	else
		snprintf(since, sizeof(since), "first %lld s ago",
		         (long long)((ev->now_ms - first) / 1000));
	/* (the alert keeps the first 159 bytes) */
	snprintf(evd, sizeof(evd),
	         "%s of %s %lld s after %s by workshop %s without work on it "
	         "%lld h before (tokens: %s)",
	         OP_START, ev->vin, (long long)((ev->now_ms - s->unlock_ms) / 1000), OP_UNLOCK,
	         ev->workshop, (long long)(HISTORY_MIN_MS / 3600000), since);
	detect_fire(a, an, ev->vin, who, ev->now_ms, "unlock_then_start", evd, v);
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
	n = colon != NULL && strchr(addr, ':') == colon ? (size_t)(colon - addr)
	    : colon != NULL && addr[0] == '['           ? (size_t)(colon - addr)
	                                                : strlen(addr);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, addr, n);
	out[n] = '\0';
}

static void place_check(struct abuse *a, const struct policy_anomaly_view *an,
                        const struct abuse_event *ev, const char *kind, const char *id,
                        const struct suspect *who, struct abuse_verdict *v)
{
	char key[160], host[64], evd[320];
	struct place_state *s;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", an->name, kind, id);
	host_of(ev->client_addr, host, sizeof(host));
	if ((s = smap_get(&a->places, key, 1, ev->now_ms)) == NULL)
		return;
	if (s->t != 0 && s->t > ev->now_ms - window_ms(an) &&
	    (strcmp(s->addr, host) != 0 || strcmp(s->workshop, ev->workshop) != 0)) {
		snprintf(evd, sizeof(evd), "%s active from %s/%s and %s/%s in %u s", id, s->addr,
		         s->workshop, host, ev->workshop, an->window);
		detect_fire(a, an, id, who, ev->now_ms, "two_places", evd, v);
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

/*
 * Who a detector suspends for this request: the technician if the policy knows
 * their certificate CN, else the device and the workshop; *ws is the workshop
 * alone (workshop-level detectors). ids[] holds the policy ids.
 */
static void suspects(const struct policy *p, const struct abuse_event *ev, char ids[2][64],
                     struct suspect *who, struct suspect *ws)
{
	memset(who, 0, sizeof(*who));
	memset(ws, 0, sizeof(*ws));
	ws->workshop = policy_workshop_id(p, ev->workshop, ids[1]) == 0 ? ids[1] : ev->workshop;
	if (policy_technician_id(p, ev->technician, ids[0]) == 0) {
		who->technician = ev->technician;
		return;
	}
	who->workshop = ws->workshop;
	who->device = ev->device != NULL && ev->device[0] != '\0' ? ev->device : NULL;
}

void detect_all(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                struct abuse_verdict *v)
{
	size_t n = policy_anomaly_count(p);
	struct policy_anomaly_view an;
	struct suspect who, ws;
	char evd[160], dev[160], ids[2][64];
	const struct policy_decision *d = ev->d;

	/* Malformed requests (rule "request.*") carry nothing to correlate. */
	if (strncmp(d->rule, "request.", 8) == 0)
		return;
	suspects(p, ev, ids, &who, &ws);
	for (size_t i = 0; i < n; i++) {
		if (policy_anomaly_at(p, i, &an) != 0)
			continue;
		switch (an.detector) {
		case POLICY_DET_DECOY_VIN:
			if (strcmp(d->rule, "decoy_vins") != 0)
				break;
			snprintf(evd, sizeof(evd),
			         "%s requested for decoy VIN %s by technician %s "
			         "from device %s at %s",
			         ev->op, ev->vin, ev->technician, ev->device,
			         ev->client_addr ? ev->client_addr : "?");
			detect_fire(a, &an, ev->technician, &who, ev->now_ms, "decoy_vin", evd, v);
			break;
		case POLICY_DET_OUT_OF_HOURS:
			if (!ends_with(d->rule, ".opening_hours"))
				break;
			snprintf(evd, sizeof(evd),
			         "%s (risk %s) by technician %s outside the opening "
			         "hours of workshop %s",
			         ev->op, policy_risk_name(d->risk), ev->technician, ev->workshop);
			detect_fire(a, &an, ev->technician, &who, ev->now_ms, "out_of_hours", evd,
			            v);
			break;
		case POLICY_DET_VIN_SWEEP:
			vin_sweep(a, &an, ev, &who, &ws, v);
			break;
		case POLICY_DET_UNLOCK_THEN_START:
			unlock_then_start(a, &an, ev, &who, v);
			break;
		case POLICY_DET_TWO_PLACES:
			place_check(a, &an, ev, "t", ev->technician, &who, v);
			snprintf(dev, sizeof(dev), "%s/%s", ev->device, ev->workshop);
			place_check(a, &an, ev, "d", dev, &ws, v);
			break;
		default:
			break; /* ecu_failures: abuse_receipt() */
		}
	}
	detect_observe(a, ev);
}

void detect_observe(struct abuse *a, const struct abuse_event *ev)
{
	char key[160];
	struct pair_state *s;

	/* Any unlock the policy allows: one parked for approval may still be issued. */
	if (!ev->d->allow || strcmp(ev->op, OP_UNLOCK) != 0)
		return;
	snprintf(key, sizeof(key), "%s\x1f%s", ev->workshop, ev->vin);
	if ((s = smap_get(&a->pairs, key, 1, ev->now_ms)) != NULL)
		s->unlock_ms = ev->now_ms;
}

void detect_issued(struct abuse *a, const struct abuse_event *ev)
{
	char key[160];
	struct pair_state *s;

	snprintf(key, sizeof(key), "%s\x1f%s", ev->workshop, ev->vin);
	if ((s = smap_get(&a->pairs, key, 1, ev->now_ms)) != NULL && s->first_ms == 0)
		s->first_ms = ev->now_ms;
}
