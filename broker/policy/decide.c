/*
 * policy_decide(): default deny. The checks run in a fixed order and the
 * first that fails decides; the decision names that rule (a dotted path into
 * the policy, e.g. "workshops.ws-muc-01.vin_prefixes") and a plain reason.
 *
 *   1 request         every field present, time in 1970..9999, VIN well-formed
 *   2 decoy_vins      a decoy VIN is never a real job
 *   3 workshops       the device certificate's OU is a workshop, the device
 *                     CN is one of its devices (if listed), not suspended
 *   4 technicians     the technician's CN is known, not suspended, belongs
 *                     to that same workshop (policy and certificate OU)
 *   5 vin_prefixes    the VIN starts with one of the workshop's prefixes
 *   6 operations      the operation is in the catalogue
 *   7 roles           a role of the technician that the workshop also holds
 *                     allows the operation
 *   8 opening_hours   risk >= settings.hours_min_risk only inside the
 *                     workshop's opening hours (its own time zone)
 *   9 approvals       allowed, but a second person must approve
 *
 * The TTL is the requested one (or the operation's default_ttl) clamped to
 * the operation's max_ttl. Nothing here allocates, locks or logs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "policy_int.h"
#include "tz.h"

static int deny(struct policy_decision *d, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int deny(struct policy_decision *d, const char *rule, const char *fmt, ...)
{
	va_list ap;

	d->allow = 0;
	d->need_approval = 0;
	pol_strlcpy(d->rule, rule, sizeof(d->rule));
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static void rule_path(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	snprintf(buf, cap, "%s.%s.%s", a, b, c);
}

static int empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* 1 when local time t (in the workshop's zone) is inside its opening hours. */
static int hours_open(const struct policy *p, const struct pol_workshop *w, int64_t now)
{
	int64_t local = now + pol_tz_offset(p->tzs[w->hours.tz], now);
	int64_t days = local / 86400, secs = local % 86400;
	int wd;
	unsigned minute;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	wd = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
	minute = (unsigned)(secs / 60);
	for (unsigned i = 0; i < w->hours.n[wd]; i++)
		if (minute >= w->hours.r[wd][i].start && minute < w->hours.r[wd][i].end)
			return 1;
	return 0;
}

static int device_listed(const struct pol_workshop *w, const char *cn)
{
	if (w->ndevices == 0)
		return 1;
	for (size_t i = 0; i < w->ndevices; i++)
		if (strcmp(w->devices[i], cn) == 0)
			return 1;
	return 0;
}

static int vin_allowed(const struct pol_workshop *w, const char *vin)
{
	for (size_t i = 0; i < w->nprefixes; i++)
		if (strncmp(vin, w->prefixes[i], strlen(w->prefixes[i])) == 0)
			return 1;
	return 0;
}

static int cmp_vin(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* decoys are sorted at load time */
static int is_decoy(const struct policy *p, const char *vin)
{
	return p->ndecoys > 0 &&
	       bsearch(vin, p->decoys, p->ndecoys, sizeof(p->decoys[0]), cmp_vin) != NULL;
}

static int check_request(const struct policy_request *q, struct policy_decision *d)
{
	if (empty(q->device_cn) || empty(q->device_workshop))
		return deny(d, "request.device", "the device certificate has no CN or no OU");
	if (empty(q->technician_cn) || empty(q->technician_workshop))
		return deny(d, "request.technician",
		            "the technician certificate has no CN or no OU");
	if (empty(q->op))
		return deny(d, "request.op", "the request names no operation");
	if (q->now < 0 || q->now > POL_TIME_MAX)
		return deny(d, "request.time", "the request time is outside 1970..9999");
	if (q->vin == NULL || !plt_vin_valid(q->vin, strlen(q->vin)))
		return deny(d, "request.vin",
		            "the VIN is not 17 characters of 0-9 and A-Z without I, O, Q");
	return 1;
}

/* Identity: workshop from the device certificate, technician from theirs. */
static int check_identity(const struct policy *p, const struct policy_request *q,
                          struct policy_decision *d, const struct pol_workshop **wp,
                          const struct pol_tech **tp)
{
	const struct pol_workshop *w = pol_find_ws_ou(p, q->device_workshop);
	const struct pol_tech *t;
	char rule[200];

	if (w == NULL)
		return deny(d, "workshops",
		            "device certificate OU '%.60s' is not a workshop of the policy",
		            q->device_workshop);
	pol_strlcpy(d->workshop_id, w->id, sizeof(d->workshop_id));
	if (!device_listed(w, q->device_cn)) {
		rule_path(rule, sizeof(rule), "workshops", w->id, "certificate.device_cns");
		return deny(d, rule, "device '%.60s' is not listed for workshop %s", q->device_cn,
		            w->id);
	}
	if (w->suspended) {
		rule_path(rule, sizeof(rule), "workshops", w->id, "suspended");
		return deny(d, rule, "workshop %s is suspended", w->id);
	}
	t = pol_find_tech_cn(p, q->technician_cn);
	if (t == NULL)
		return deny(d, "technicians",
		            "technician certificate CN '%.60s' is not in the policy",
		            q->technician_cn);
	pol_strlcpy(d->technician_id, t->id, sizeof(d->technician_id));
	if (t->suspended) {
		rule_path(rule, sizeof(rule), "technicians", t->id, "suspended");
		return deny(d, rule, "technician %s is suspended", t->id);
	}
	if (&p->workshops[t->workshop] != w) {
		rule_path(rule, sizeof(rule), "technicians", t->id, "workshop");
		return deny(d, rule,
		            "technician %s belongs to workshop %s, not to %s (the device's)", t->id,
		            p->workshops[t->workshop].id, w->id);
	}
	if (strcmp(q->technician_workshop, w->ou) != 0) {
		rule_path(rule, sizeof(rule), "technicians", t->id, "workshop");
		return deny(d, rule,
		            "technician certificate OU '%.40s' is not workshop %s's OU '%.40s'",
		            q->technician_workshop, w->id, w->ou);
	}
	*wp = w;
	*tp = t;
	return 1;
}

static int check_operation(const struct policy *p, const struct policy_request *q,
                           const struct pol_workshop *w, const struct pol_tech *t,
                           struct policy_decision *d, size_t *opi, size_t *rolei)
{
	const struct pol_op *op = pol_find_op(p, q->op, opi);
	uint64_t roles, bit;
	char rule[200];

	if (op == NULL)
		return deny(d, "operations", "operation '%.40s' is not in the catalogue", q->op);
	d->routine_id = op->routine;
	d->risk = op->risk;
	d->exi_s = op->exi;
	bit = UINT64_C(1) << *opi;
	roles = t->roles & w->roles;
	for (size_t i = 0; i < p->nroles; i++)
		if ((roles & (UINT64_C(1) << i)) && (p->roles[i].ops & bit)) {
			*rolei = i;
			return 1;
		}
	rule_path(rule, sizeof(rule), "technicians", t->id, "roles");
	return deny(d, rule, "no role of technician %s in workshop %s allows %s", t->id, w->id,
	            op->name);
}

int policy_decide(const struct policy *p, const struct policy_request *q, struct policy_decision *d)
{
	const struct pol_workshop *w = NULL;
	const struct pol_tech *t = NULL;
	const struct pol_op *op;
	size_t opi = 0, rolei = 0;
	char rule[200];

	if (p == NULL || q == NULL || d == NULL)
		return PL_E_INVAL;
	memset(d, 0, sizeof(*d));
	d->risk = -1;
	d->policy_version = p->version;
	if (check_request(q, d) != 1)
		return 0;
	if (is_decoy(p, q->vin))
		return deny(d, "decoy_vins", "VIN %s is a decoy: no real job concerns it", q->vin);
	if (check_identity(p, q, d, &w, &t) != 1)
		return 0;
	if (!vin_allowed(w, q->vin)) {
		rule_path(rule, sizeof(rule), "workshops", w->id, "vin_prefixes");
		return deny(d, rule, "workshop %s may not work on VIN %s", w->id, q->vin);
	}
	if (check_operation(p, q, w, t, d, &opi, &rolei) != 1)
		return 0;
	op = &p->ops[opi];
	if (op->risk >= p->hours_min_risk && (!w->has_hours || !hours_open(p, w, q->now))) {
		rule_path(rule, sizeof(rule), "workshops", w->id, "opening_hours");
		return deny(d, rule,
		            "%s (risk %s) is allowed only during workshop %s's opening hours",
		            op->name, policy_risk_name(op->risk), w->id);
	}
	d->ttl_s = q->requested_ttl == 0 ? op->default_ttl : q->requested_ttl;
	if (d->ttl_s > op->max_ttl)
		d->ttl_s = op->max_ttl;
	d->allow = 1;
	for (size_t i = 0; i < p->napprovals; i++)
		if (p->approvals[i].ops & (UINT64_C(1) << opi)) {
			d->need_approval = 1;
			snprintf(rule, sizeof(rule), "approvals.%s", p->approvals[i].name);
			pol_strlcpy(d->rule, rule, sizeof(d->rule));
			snprintf(d->reason, sizeof(d->reason),
			         "%s is allowed for %s but needs a second person's approval",
			         op->name, t->id);
			return 0;
		}
	snprintf(rule, sizeof(rule), "roles.%s", p->roles[rolei].name);
	pol_strlcpy(d->rule, rule, sizeof(d->rule));
	snprintf(d->reason, sizeof(d->reason), "%s allowed for %s at %s by role %s", op->name,
	         t->id, w->id, p->roles[rolei].name);
	return 0;
}

size_t policy_op_count(const struct policy *p)
{
	return p != NULL ? p->nops : 0;
}

int policy_op_at(const struct policy *p, size_t i, char name[32], uint32_t *max_ttl, int *risk,
                 uint16_t *routine)
{
	if (p == NULL)
		return PL_E_INVAL;
	if (i >= p->nops)
		return PL_E_RANGE;
	if (name != NULL)
		pol_strlcpy(name, p->ops[i].name, 32);
	if (max_ttl != NULL)
		*max_ttl = p->ops[i].max_ttl;
	if (risk != NULL)
		*risk = p->ops[i].risk;
	if (routine != NULL)
		*routine = p->ops[i].routine;
	return 0;
}

uint32_t policy_max_exi(const struct policy *p)
{
	uint32_t m = 0;

	for (size_t i = 0; p != NULL && i < p->nops; i++)
		if (p->ops[i].exi > m)
			m = p->ops[i].exi;
	return m;
}

uint32_t policy_version(const struct policy *p)
{
	return p != NULL ? p->version : 0;
}

void policy_digest(const struct policy *p, uint8_t digest[32])
{
	if (p != NULL)
		memcpy(digest, p->digest, 32);
	else
		memset(digest, 0, 32);
}
