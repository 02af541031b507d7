/*
 * Times given on the command line: UNIX seconds, or ISO 8601 in one of the forms
 *   2024-05-01   2024-05-01T12:30   2024-05-01T12:30:15   followed optionally by
 *   Z  or  +HH:MM / -HH:MM   (no zone means UTC; a space may replace the T).
 */
#include <string.h>
#include <time.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_parse.h"

#define UNIX_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* n decimal digits at s into *v; -1 if any is not a digit. */
static int digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Parses the zone suffix at s ("" = UTC) into seconds east of UTC. */
static int parse_zone(const char *s, int *off)
{
	int hh, mm;

	if (s[0] == '\0' || (s[0] == 'Z' && s[1] == '\0')) {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    digits(s + 1, 2, &hh) != 0 || digits(s + 4, 2, &mm) != 0 || hh > 23 || mm > 59)
		return PL_E_AUDIT_TIME;
	*off = (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return 0;
}

static int parse_iso(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
	const char *p = s + 10;
	struct tm tm;
	time_t t;

	if (strlen(s) < 10 || digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 0)
		return PL_E_AUDIT_TIME;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return PL_E_AUDIT_TIME;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) != 0 || p[3] != ':' || digits(p + 4, 2, &mi) != 0)
			return PL_E_AUDIT_TIME;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &se) != 0)
				return PL_E_AUDIT_TIME;
			p += 3;
		}
		if (h > 23 || mi > 59 || se > 59)
			return PL_E_AUDIT_TIME;
	}
	if (parse_zone(p, &off) != 0)
		return PL_E_AUDIT_TIME;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return PL_E_AUDIT_TIME;
	*out = (int64_t)t - off;
	return 0;
}

int audit_parse_time(const char *s, int64_t *unix_s)
{
	int64_t v;
	int r;

	if (s == NULL || s[0] == '\0')
		return PL_E_AUDIT_TIME;
	if (strspn(s, "0123456789") == strlen(s)) {
		if ((r = pl_parse_i64(s, 0, UNIX_MAX, &v)) != 0)
			return r == PL_E_RANGE ? PL_E_RANGE : PL_E_AUDIT_TIME;
	} else if ((r = parse_iso(s, &v)) != 0) {
		return r;
	}
	*unix_s = v;
	return 0;
}
