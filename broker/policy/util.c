/* Small helpers of the policy module: names, lookups, civil dates, RFC 3339 times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "policy_int.h"

const char *const pol_key_names[POL_KEY_COUNT] = {
	"technician", "workshop", "vin", "operation", "risk", "fleet",
};
const char *const pol_lact_names[POL_LACT_COUNT] = { "refuse", "require_approval" };
const char *const pol_det_names[POL_DET_COUNT] = {
	"vin_sweep", "out_of_hours", "unlock_then_start", "two_places", "decoy_vin", "ecu_failures",
};
const char *const pol_aact_names[POL_AACT_COUNT] = { "alert", "require_approval", "deny", "suspend" };
const char *const pol_day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const char *const risk_names[] = { "low", "medium", "high", "critical" };

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

/* Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms). */
int64_t pol_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void pol_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *v)
{
	unsigned x = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int pol_parse_time(const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	size_t len = strlen(s);
	int64_t t, mdays;
	int sign = 0;

	if (len != 20 && len != 25)
		return PL_E_SYNTAX;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return PL_E_SYNTAX;
	if (len == 20) {
		if (s[19] != 'Z')
			return PL_E_SYNTAX;
	} else {
		if ((s[19] != '+' && s[19] != '-') || digits(s + 20, 2, &oh) || s[22] != ':' ||
		    digits(s + 23, 2, &om))
			return PL_E_SYNTAX;
		sign = s[19] == '-' ? -1 : 1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 || oh > 23 ||
	    om > 59)
		return PL_E_RANGE;
	mdays = (mo == 12 ? pol_days_from_civil(y + 1, 1, 1) : pol_days_from_civil(y, mo + 1, 1)) -
		pol_days_from_civil(y, mo, 1);
	if (d > mdays)
		return PL_E_RANGE;
	t = pol_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*out = t;
	return 0;
}

void pol_format_time(int64_t t, char *buf, size_t cap)
{
	int64_t days = t / 86400, rem = t % 86400, y;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	pol_civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
		 (unsigned)(rem / 3600), (unsigned)(rem % 3600 / 60), (unsigned)(rem % 60));
}
