/* The engine: open, the per-request check, receipts, metrics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "abuse_int.h"
#include "pl_err.h"

#define GC_EVERY_MS INT64_C(60000)
#define PAIR_KEEP_MIN_MS (INT64_C(3600) * 1000)
#define KEEP_MS (INT64_C(31) * 86400 * 1000) /* detector state: the longest window */

void abuse_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void verdict_set(struct abuse_verdict *v, int kind, const char *code, const char *rule,
                 const char *fmt, ...)
{
	va_list ap;

	v->kind = kind;
	abuse_strlcpy(v->code, code, sizeof(v->code));
	abuse_strlcpy(v->rule, rule, sizeof(v->rule));
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

void verdict_alert(struct abuse_verdict *v, const char *rule, const char *detector,
                   const char *action, const char *subject, const char *evidence)
{
	struct abuse_alert *al;

	if (v->nalerts >= ABUSE_MAX_ALERTS)
		return;
	al = &v->alerts[v->nalerts++];
	abuse_strlcpy(al->rule, rule, sizeof(al->rule));
	abuse_strlcpy(al->detector, detector, sizeof(al->detector));
	abuse_strlcpy(al->action, action, sizeof(al->action));
	abuse_strlcpy(al->subject, subject, sizeof(al->subject));
	abuse_strlcpy(al->evidence, evidence, sizeof(al->evidence));
}

int abuse_open(const char *db_path, struct abuse **out)
{
	struct abuse *a = calloc(1, sizeof(*a));
	int r = PL_E_NOMEM;

	if (a == NULL)
		return PL_E_NOMEM;
	if (pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a);
		return PL_E_NOMEM;
	}
	if (smap_init(&a->limits, sizeof(struct limit_state)) != 0 ||
	    smap_init(&a->sweeps, sizeof(struct sweep_state)) != 0 ||
	    smap_init(&a->places, sizeof(struct place_state)) != 0 ||
	    smap_init(&a->pairs, sizeof(struct pair_state)) != 0 ||
	    smap_init(&a->fails, sizeof(struct fail_state)) != 0 ||
	    smap_init(&a->alerted, sizeof(int64_t)) != 0 || smap_init(&a->susp, 160) != 0 ||
	    smap_init(&a->breakers, 160) != 0)
		goto fail;
	if (db_path != NULL) {
		if (sqlite3_open_v2(db_path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK) {
			r = PL_E_IO;
			goto fail;
		}
		sqlite3_busy_timeout(a->db, 5000);
		a->gen = -1;
		if ((r = store_refresh(a)) != 0)
			goto fail;
	}
	*out = a;
	return 0;
fail:
	abuse_close(a);
	return r;
}

void abuse_close(struct abuse *a)
{
	if (a == NULL)
		return;
	sqlite3_finalize(a->hist);
	if (a->db != NULL)
		sqlite3_close(a->db);
	smap_fini(&a->limits);
	smap_fini(&a->sweeps);
	smap_fini(&a->places);
	smap_fini(&a->pairs);
	smap_fini(&a->fails);
	smap_fini(&a->alerted);
	smap_fini(&a->susp);
	smap_fini(&a->breakers);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static void gc(struct abuse *a, const struct policy *p, int64_t now_ms)
{
	int64_t longest = 0, pair_keep = PAIR_KEEP_MIN_MS;
	size_t n = policy_limit_count(p);
	struct policy_limit_view l;
	struct policy_anomaly_view an;

	if (now_ms - a->last_gc_ms < GC_EVERY_MS)
		return;
	a->last_gc_ms = now_ms;
	for (size_t i = 0; i < n; i++)
		if (policy_limit_at(p, i, &l) == 0)
			for (size_t k = 0; k < l.nwindows; k++)
				if ((int64_t)l.seconds[k] * 1000 > longest)
					longest = (int64_t)l.seconds[k] * 1000;
	/*
	 * Recent (workshop, VIN) contacts: with a database the older history is in
	 * audit_log (store_first_contact), so memory keeps only the detector windows.
	 */
	for (size_t i = 0; i < policy_anomaly_count(p); i++)
		if (policy_anomaly_at(p, i, &an) == 0 && (int64_t)an.window * 2000 > pair_keep)
			pair_keep = (int64_t)an.window * 2000;
	if (a->db != NULL)
		smap_expire(&a->pairs, now_ms - pair_keep);
	/* A key idle for longer than its longest window (plus a slot) counts nothing. */
	smap_expire(&a->limits, now_ms - longest - longest / WIN_SLOTS - 1000);
	smap_expire(&a->sweeps, now_ms - KEEP_MS);
	smap_expire(&a->places, now_ms - KEEP_MS);
	smap_expire(&a->fails, now_ms - KEEP_MS);
	smap_expire(&a->alerted, now_ms - KEEP_MS);
}

int susp_check(struct abuse *a, const char *kind, const char *id1, const char *id2,
               struct abuse_verdict *v)
{
	char key[ABUSE_ID_MAX + 4], rule[ABUSE_ID_MAX];
	const char *ids[2] = {id1, id2};
	const char *why;

	for (size_t i = 0; i < 2; i++) {
		if (ids[i] == NULL || ids[i][0] == '\0')
			continue;
		snprintf(key, sizeof(key), "%c\x1f%s", kind[0], ids[i]);
		if ((why = smap_get(&a->susp, key, 0, 0)) == NULL)
			continue;
		snprintf(rule, sizeof(rule), "suspensions.%s.%s", kind, ids[i]);
		verdict_set(v, ABUSE_DENY, "suspended", rule, "%s %s is suspended: %s", kind,
		            ids[i], why);
		return 1;
	}
	return 0;
}

int abuse_device_suspended(struct abuse *a, const char *device_cn, struct abuse_verdict *v)
{
	int r = 0, hit = 0;

	if (a == NULL || device_cn == NULL || v == NULL)
		return PL_E_INVAL;
	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&a->mu);
	if (a->db != NULL)
		r = store_refresh(a);
	if (r == 0)
		hit = susp_check(a, "device", device_cn, NULL, v);
	pthread_mutex_unlock(&a->mu);
	return r != 0 ? r : hit;
}

int abuse_check(struct abuse *a, const struct policy *p, const struct abuse_event *ev,
                struct abuse_verdict *v)
{
	int r = 0;

	memset(v, 0, sizeof(*v));
	if (a == NULL || p == NULL || ev == NULL || ev->d == NULL || ev->op == NULL ||
	    ev->vin == NULL || ev->technician == NULL || ev->workshop == NULL)
		return PL_E_INVAL;
	pthread_mutex_lock(&a->mu);
	if (a->db != NULL && (r = store_refresh(a)) != 0)
		goto out;
	a->st.checked++;
	gc(a, p, ev->now_ms);
	if (susp_check(a, "device", ev->device, NULL, v) ||
	    susp_check(a, "workshop", ev->d->workshop_id, ev->workshop, v) ||
	    susp_check(a, "technician", ev->d->technician_id, ev->technician, v))
		goto out;
	detect_all(a, p, ev, v);
	if (!ev->d->allow || v->kind == ABUSE_DENY)
		goto out;
	limits_check(a, p, ev, v);
	if (v->kind == ABUSE_PASS || v->kind == ABUSE_APPROVAL)
		limits_charge(a, p, ev);
	/* Only work really done is history: not a refusal, not a request parked for approval. */
	if (v->kind == ABUSE_PASS && !ev->d->need_approval)
		detect_issued(a, ev);
out:
	if (v->kind == ABUSE_LIMITED)
		a->st.limited++;
	else if (v->kind == ABUSE_DENY)
		a->st.denied++;
	else if (v->kind == ABUSE_APPROVAL)
		a->st.approvals++;
	pthread_mutex_unlock(&a->mu);
	return r;
}

int abuse_receipt(struct abuse *a, const struct policy *p, int64_t now_ms, const char *workshop,
                  const char *technician, int failure, struct abuse_verdict *v)
{
	size_t n = policy_anomaly_count(p);
	struct policy_anomaly_view an;
	struct fail_state *s;
	struct suspect ws = {.workshop = workshop};
	char evd[160], wid[64];
	uint32_t k, m;

	memset(v, 0, sizeof(*v));
	if (a == NULL || p == NULL || workshop == NULL)
		return PL_E_INVAL;
	if (!failure)
		return 0;
	if (policy_workshop_id(p, workshop, wid) == 0)
		ws.workshop = wid;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < n; i++) {
		if (policy_anomaly_at(p, i, &an) != 0 || an.detector != POLICY_DET_ECU_FAILURES)
			continue;
		snprintf(evd, sizeof(evd), "%s\x1f%s", an.name, workshop);
		if ((s = smap_get(&a->fails, evd, 1, now_ms)) == NULL)
			continue;
		for (k = 0, m = 0; k < s->n; k++)
			if (s->t[k] > now_ms - (int64_t)an.window * 1000)
				s->t[m++] = s->t[k];
		s->n = m;
		if (s->n == 64) {
			memmove(&s->t[0], &s->t[1], 63 * sizeof(s->t[0]));
			s->n--;
		}
		s->t[s->n++] = now_ms;
		if (s->n >= an.count) {
			snprintf(evd, sizeof(evd),
			         "%u ECU-side failures reported by workshop %s in "
			         "%u s (threshold %u), last by %s",
			         s->n, workshop, an.window, an.count,
			         technician ? technician : "?");
			detect_fire(a, &an, workshop, &ws, now_ms, "ecu_failures", evd, v);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void abuse_get_stats(struct abuse *a, struct abuse_stats *st)
{
	pthread_mutex_lock(&a->mu);
	*st = a->st;
	st->breakers_open = (uint32_t)a->breakers.n;
	st->suspensions = (uint32_t)a->susp.n;
	st->keys = a->limits.n;
	pthread_mutex_unlock(&a->mu);
}
