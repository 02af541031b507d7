/* Small helpers of the policy module: names, lookups, RFC 3339 times (via lib/common). */
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "pl_time.h"
#include "policy_int.h"

const char *const pol_key_names[POL_KEY_COUNT] = {
    "technician", "workshop", "vin", "operation", "risk", "fleet",
};
const char *const pol_lact_names[POL_LACT_COUNT] = {"refuse", "require_approval"};
const char *const pol_det_names[POL_DET_COUNT] = {
    "vin_sweep", "out_of_hours", "unlock_then_start", "two_places", "decoy_vin", "ecu_failures",
};
const char *const pol_aact_names[POL_AACT_COUNT] = {"alert", "require_approval", "deny", "suspend"};
const char *const pol_day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const char *const risk_names[] = {"low", "medium", "high", "critical"};

const char *policy_risk_name(int risk)
{
	if (risk < 0 || risk > POLICY_RISK_CRITICAL)
		return "?";
	return risk_names[risk];
}

void pol_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n;

	if (cap == 0)
		return;
	n = src != NULL ? strnlen(src, cap - 1) : 0;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

const struct pol_op *pol_find_op(const struct policy *p, const char *name, size_t *idx)
{
	for (size_t i = 0; i < p->nops; i++)
		if (strcmp(p->ops[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &p->ops[i];
		}
	return NULL;
}

const struct pol_tech *pol_find_tech_cn(const struct policy *p, const char *cn)
{
	size_t lo = 0, hi = p->ntechs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pol_tech *t = &p->techs[p->tech_by_cn[mid]];
		int c = strcmp(cn, t->cn);

		if (c == 0)
			return t;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct pol_workshop *pol_find_ws_ou(const struct policy *p, const char *ou)
{
	size_t lo = 0, hi = p->nworkshops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pol_workshop *w = &p->workshops[p->ws_by_ou[mid]];
		int c = strcmp(ou, w->ou);

		if (c == 0)
			return w;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int pol_parse_time(const char *s, int64_t *out)
{
	return pl_time_parse_rfc3339(s, out, NULL);
}

void pol_format_time(int64_t t, char *buf, size_t cap)
{
	if (pl_time_format_rfc3339(t, buf, cap) != 0 && cap > 0)
		buf[0] = '\0';
}
