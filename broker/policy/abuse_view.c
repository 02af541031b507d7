/*
 * Read-only views of the abuse-resistance sections (limits, approvals,
 * anomalies) for broker/abuse, which gives them their effect. Nothing here
 * allocates, locks or logs; the views point into the immutable policy and
 * live as long as the caller's reference to it.
 */
#include <string.h>

#include "pl_err.h"
#include "policy_int.h"

_Static_assert((int)POLICY_KEY_FLEET == (int)POL_KEY_FLEET &&
                   (int)POLICY_KEY_RISK == (int)POL_KEY_RISK &&
                   (int)POLICY_KEY_VIN == (int)POL_KEY_VIN,
               "policy.h and policy_int.h limit keys agree");
_Static_assert((int)POLICY_DET_ECU_FAILURES == (int)POL_DET_ECU_FAILURES &&
                   (int)POLICY_DET_DECOY_VIN == (int)POL_DET_DECOY_VIN &&
                   (int)POLICY_DET_TWO_PLACES == (int)POL_DET_TWO_PLACES,
               "detectors agree");
_Static_assert((int)POLICY_AACT_SUSPEND == (int)POL_AACT_SUSPEND &&
                   (int)POLICY_AACT_DENY == (int)POL_AACT_DENY,
               "anomaly actions agree");
_Static_assert(POLICY_MAX_WINDOWS == POL_MAX_WINDOWS, "window counts agree");

size_t policy_limit_count(const struct policy *p)
{
	return p != NULL ? p->nlimits : 0;
}

int policy_limit_at(const struct policy *p, size_t i, struct policy_limit_view *v)
{
	const struct pol_limit *l;

	if (p == NULL || v == NULL)
		return PL_E_INVAL;
	if (i >= p->nlimits)
		return PL_E_RANGE;
	l = &p->limits[i];
	memset(v, 0, sizeof(*v));
	v->name = l->name;
	v->key = l->key;
	v->ops = l->ops;
	v->all_ops = l->all_ops;
	v->min_risk = l->min_risk;
	v->approval = l->action == POL_LACT_APPROVAL;
	v->nwindows = l->nwindows;
	for (size_t k = 0; k < l->nwindows; k++) {
		v->count[k] = l->w[k].count;
		v->seconds[k] = l->w[k].seconds;
	}
	return 0;
}

size_t policy_anomaly_count(const struct policy *p)
{
	return p != NULL ? p->nanomalies : 0;
}

static uint32_t param(const struct pol_anomaly *a, const char *name)
{
	for (size_t k = 0; k < a->nparams; k++)
		if (strcmp(a->params[k].name, name) == 0)
			return a->params[k].value;
	return 0;
}

int policy_anomaly_at(const struct policy *p, size_t i, struct policy_anomaly_view *v)
{
	const struct pol_anomaly *a;

	if (p == NULL || v == NULL)
		return PL_E_INVAL;
	if (i >= p->nanomalies)
		return PL_E_RANGE;
	a = &p->anomalies[i];
	memset(v, 0, sizeof(*v));
	v->name = a->name;
	v->detector = a->detector;
	v->action = a->action;
	v->distinct_vins = param(a, "distinct_vins");
	v->window = param(a, "window");
	v->count = param(a, "count");
	return 0;
}

int policy_op_index(const struct policy *p, const char *op)
{
	size_t idx = 0;

	if (p == NULL || op == NULL || pol_find_op(p, op, &idx) == NULL)
		return -1;
	return (int)idx;
}

int policy_approval_for(const struct policy *p, const char *op, char name[64], uint32_t *expires_s)
{
	int idx = policy_op_index(p, op);

	if (idx < 0)
		return PL_E_NOTFOUND;
	for (size_t i = 0; i < p->napprovals; i++) {
		if (p->approvals[i].ops & (UINT64_C(1) << idx)) {
			if (name != NULL)
				pol_strlcpy(name, p->approvals[i].name, 64);
			if (expires_s != NULL)
				*expires_s = p->approvals[i].expires;
			return 0;
		}
	}
	return PL_E_NOTFOUND;
}

/* The approver roles of the entry listing op, or of every entry when none does. */
static uint64_t approver_roles(const struct policy *p, const char *op)
{
	int idx = policy_op_index(p, op);
	uint64_t all = 0;

	for (size_t i = 0; i < p->napprovals; i++) {
		if (idx >= 0 && (p->approvals[i].ops & (UINT64_C(1) << idx)))
			return p->approvals[i].approvers;
		all |= p->approvals[i].approvers;
	}
	return all;
}

int policy_may_approve(const struct policy *p, const char *approver, const char *op)
{
	const struct pol_tech *t = NULL;

	if (p == NULL || approver == NULL || op == NULL)
		return PL_E_INVAL;
	for (size_t i = 0; i < p->ntechs; i++)
		if (strcmp(p->techs[i].id, approver) == 0)
			t = &p->techs[i];
	if (t == NULL)
		return PL_E_NOTFOUND;
	if (t->suspended || p->workshops[t->workshop].suspended)
		return PL_E_PERM;
	if ((t->roles & approver_roles(p, op)) == 0)
		return PL_E_PERM;
	return 0;
}

int policy_technician_approval(const struct policy *p, const char *op)
{
	int idx = policy_op_index(p, op);

	if (idx < 0)
		return 0;
	for (size_t i = 0; i < p->napprovals; i++)
		if (p->approvals[i].ops & (UINT64_C(1) << idx))
			return p->approvals[i].tech_approval;
	return 0;
}

int policy_approver_check(const struct policy *p, const char *cn, const char *ou, const char *op,
                          int *verdict, char id[64], char workshop_id[64])
{
	const struct pol_tech *t;
	const struct pol_workshop *w;

	if (p == NULL || cn == NULL || ou == NULL || op == NULL || verdict == NULL || id == NULL ||
	    workshop_id == NULL)
		return PL_E_INVAL;
	id[0] = '\0';
	workshop_id[0] = '\0';
	if ((t = pol_find_tech_cn(p, cn)) == NULL) {
		*verdict = POLICY_APPROVER_UNKNOWN;
		return 0;
	}
	w = &p->workshops[t->workshop];
	pol_strlcpy(id, t->id, 64);
	pol_strlcpy(workshop_id, w->id, 64);
	/* The binding policy_decide() checks for requests: the OU is the technician's workshop. */
	if (strcmp(w->ou, ou) != 0)
		*verdict = POLICY_APPROVER_WORKSHOP;
	else if (t->suspended || w->suspended)
		*verdict = POLICY_APPROVER_SUSPENDED;
	else if ((t->roles & approver_roles(p, op)) == 0)
		*verdict = POLICY_APPROVER_NO_ROLE;
	else
		*verdict = POLICY_APPROVER_OK;
	return 0;
}

int policy_technician_id(const struct policy *p, const char *cn, char id[64])
{
	const struct pol_tech *t = p != NULL && cn != NULL ? pol_find_tech_cn(p, cn) : NULL;

	if (t == NULL)
		return PL_E_NOTFOUND;
	pol_strlcpy(id, t->id, 64);
	return 0;
}

int policy_workshop_id(const struct policy *p, const char *ou, char id[64])
{
	const struct pol_workshop *w = p != NULL && ou != NULL ? pol_find_ws_ou(p, ou) : NULL;

	if (w == NULL)
		return PL_E_NOTFOUND;
	pol_strlcpy(id, w->id, 64);
	return 0;
}
