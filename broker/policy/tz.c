/*
 * TZif reader and POSIX TZ rule evaluation (see tz.h). RFC 8536 for the file
 * format; POSIX.1-2017 section 8.3 (TZ) with the RFC 8536 3.3.1 extensions
 * (hours up to 167 in rule times) for the footer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_buf.h"
#include "pl_err.h"
#include "pl_err_policy.h"
#include "pl_file.h"
#include "pl_time.h"
#include "policy_int.h"
#include "tz.h"

#define TZ_FILE_MAX (256u * 1024u)
#define TZ_MAX_TRANS 100000u
#define TZ_MAX_TYPES 256u
#define TZ_MAX_OFF (26 * 3600) /* RFC 8536: -89999 .. 93599 */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chr;
};

static void tz_why(char *why, size_t whylen, const char *name, const char *what)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "time zone '%s': %s", name, what);
}

static int tzif_header(struct pl_rbuf *r, uint8_t *version, struct tzif_counts *c)
{
	const uint8_t *magic;
	const uint8_t *unused;

	pl_rbuf_bytes(r, 4, &magic);
	pl_rbuf_u8(r, version);
	pl_rbuf_bytes(r, 15, &unused);
	pl_rbuf_u32be(r, &c->isut);
	pl_rbuf_u32be(r, &c->isstd);
	pl_rbuf_u32be(r, &c->leap);
	pl_rbuf_u32be(r, &c->time);
	pl_rbuf_u32be(r, &c->type);
	pl_rbuf_u32be(r, &c->chr);
	if (r->err != 0)
		return r->err;
	if (memcmp(magic, "TZif", 4) != 0)
		return PL_E_SYNTAX;
	if (c->type == 0 || c->type > TZ_MAX_TYPES || c->time > TZ_MAX_TRANS || c->chr == 0 ||
	    (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type) ||
	    c->leap > TZ_MAX_TRANS || c->chr > 65536)
		return PL_E_SYNTAX;
	return 0;
}

static size_t tzif_block_len(const struct tzif_counts *c, size_t tsize)
{
	return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chr +
	       (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static int tzif_data(struct pl_rbuf *r, const struct tzif_counts *c, size_t tsize,
                     struct pol_tz *tz)
{
	const uint8_t *skip;

	tz->ntrans = c->time;
	tz->ntypes = c->type;
	tz->trans = calloc(c->time ? c->time : 1, sizeof(*tz->trans));
	tz->idx = calloc(c->time ? c->time : 1, 1);
	tz->type_off = calloc(c->type, sizeof(*tz->type_off));
	if (tz->trans == NULL || tz->idx == NULL || tz->type_off == NULL)
		return PL_E_NOMEM;
	for (uint32_t i = 0; i < c->time; i++) {
		if (tsize == 8) {
			uint32_t hi = 0, lo = 0;

			pl_rbuf_u32be(r, &hi);
			pl_rbuf_u32be(r, &lo);
			tz->trans[i] = (int64_t)(((uint64_t)hi << 32) | lo);
		} else {
			uint32_t v = 0;

			pl_rbuf_u32be(r, &v);
			tz->trans[i] = (int32_t)v;
		}
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return PL_E_SYNTAX;
	}
	for (uint32_t i = 0; i < c->time; i++) {
		pl_rbuf_u8(r, &tz->idx[i]);
		if (tz->idx[i] >= c->type)
			return PL_E_SYNTAX;
	}
	for (uint32_t i = 0; i < c->type; i++) {
		uint32_t off = 0;
		uint8_t isdst = 0, desig = 0;

		pl_rbuf_u32be(r, &off);
		pl_rbuf_u8(r, &isdst);
		pl_rbuf_u8(r, &desig);
		tz->type_off[i] = (int32_t)off;
		if (tz->type_off[i] < -TZ_MAX_OFF || tz->type_off[i] > TZ_MAX_OFF || isdst > 1 ||
		    desig >= c->chr)
			return PL_E_SYNTAX;
	}
	pl_rbuf_bytes(r, c->chr + (size_t)c->leap * (tsize + 4) + c->isstd + c->isut, &skip);
	return r->err;
}

int pol_tz_parse(const uint8_t *buf, size_t len, const char *name, struct pol_tz **out, char *why,
                 size_t whylen)
{
	struct pl_rbuf r;
	struct tzif_counts c;
	uint8_t version = 0;
	struct pol_tz *tz = NULL;
	const uint8_t *skip;
	size_t tsize = 4;
	int err;

	*out = NULL;
	tz = calloc(1, sizeof(*tz));
	if (tz == NULL)
		return PL_E_NOMEM;
	pol_strlcpy(tz->name, name, sizeof(tz->name));
	pl_rbuf_init(&r, buf, len);
	err = tzif_header(&r, &version, &c);
	if (err != 0)
		goto bad;
	if (version >= '2') {
		pl_rbuf_bytes(&r, tzif_block_len(&c, 4), &skip);
		err = tzif_header(&r, &version, &c);
		if (err != 0)
			goto bad;
		tsize = 8;
	}
	if (c.leap != 0) {
		tz_why(why, whylen, name, "zones with leap seconds (right/...) are not supported");
		err = PL_E_POLICY_TZ;
		goto out;
	}
	err = tzif_data(&r, &c, tsize, tz);
	if (err == PL_E_NOMEM)
		goto out;
	if (err != 0)
		goto bad;
	if (tsize == 8) {
		const uint8_t *footer;
		size_t flen = pl_rbuf_left(&r);
		char rule[128];

		pl_rbuf_bytes(&r, flen, &footer);
		if (flen < 2 || footer[0] != '\n' || footer[flen - 1] != '\n' ||
		    flen - 2 >= sizeof(rule) || memchr(footer + 1, '\n', flen - 2) != NULL)
			goto bad;
		memcpy(rule, footer + 1, flen - 2);
		rule[flen - 2] = '\0';
		if (rule[0] != '\0') {
			if (pol_tz_rule_parse(rule, &tz->rule) != 0)
				goto bad;
			tz->has_rule = 1;
		}
	}
	if (pl_rbuf_end(&r) != 0)
		goto bad;
	*out = tz;
	tz = NULL;
	err = 0;
	goto out;
bad:
	tz_why(why, whylen, name, "not a valid TZif file (RFC 8536)");
	err = PL_E_POLICY_TZ;
out:
	pol_tz_free(tz);
	return err;
}

static int tz_name_ok(const char *name)
{
	size_t len = strlen(name), comp = 0;

	if (len == 0 || len >= 64 || name[0] == '/')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = name[i];

		if (ch == '/' || ch == '\0') {
			if (comp == 0)
				return 0;
			if (name[i - comp] == '.')
				return 0; /* ".", "..", hidden files */
			comp = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' || ch == '.'))
			return 0;
		comp++;
	}
	return 1;
}

int pol_tz_load(const char *dir, const char *name, struct pol_tz **out, char *why, size_t whylen)
{
	char path[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err, n;

	*out = NULL;
	if (!tz_name_ok(name)) {
		tz_why(why, whylen, name,
		       "not a zone name (use an IANA name such as Europe/Berlin)");
		return PL_E_POLICY_TZ;
	}
	if (dir == NULL)
		dir = "/usr/share/zoneinfo";
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tz_why(why, whylen, name, "zoneinfo path too long");
		return PL_E_POLICY_TZ;
	}
	err = pl_read_file(path, TZ_FILE_MAX, &buf, &len);
	if (err != 0) {
		char what[600];

		snprintf(what, sizeof(what), "unknown zone (cannot read %s: %s)", path,
		         pl_strerror(err));
		tz_why(why, whylen, name, what);
		return PL_E_POLICY_TZ;
	}
	err = pol_tz_parse(buf, len, name, out, why, whylen);
	free(buf);
	return err;
}

void pol_tz_free(struct pol_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->type_off);
	free(tz);
}

/* ---- POSIX TZ strings ---------------------------------------------------- */

static int rule_name(const char **s)
{
	const char *p = *s;
	size_t n = 0;

	if (*p == '<') {
		p++;
		while (*p != '\0' && *p != '>') {
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
				return -1;
			p++;
			n++;
		}
		if (*p != '>' || n < 3)
			return -1;
		*s = p + 1;
		return 0;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		p++;
		n++;
	}
	if (n < 3)
		return -1;
	*s = p;
	return 0;
}

static int rule_num(const char **s, int max, int *v)
{
	const char *p = *s;
	int n = 0, digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 3) {
		n = n * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (digits == 0 || n > max)
		return -1;
	*s = p;
	*v = n;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; result in seconds. */
static int rule_time(const char **s, int max_h, int32_t *secs)
{
	const char *p = *s;
	int sign = 1, h = 0, m = 0, sec = 0;

	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	if (rule_num(&p, max_h, &h) != 0)
		return -1;
	if (*p == ':') {
		p++;
		if (rule_num(&p, 59, &m) != 0)
			return -1;
		if (*p == ':') {
			p++;
			if (rule_num(&p, 59, &sec) != 0)
				return -1;
		}
	}
	*secs = sign * (h * 3600 + m * 60 + sec);
	*s = p;
	return 0;
}

static int rule_date(const char **s, struct pol_tz_date *d)
{
	const char *p = *s;
	int a = 0, b = 0, c = 0;

	d->time = 7200;
	if (*p == 'M') {
		p++;
		if (rule_num(&p, 12, &a) != 0 || a < 1 || *p++ != '.' || rule_num(&p, 5, &b) != 0 ||
		    b < 1 || *p++ != '.' || rule_num(&p, 6, &c) != 0)
			return -1;
		d->kind = 'M';
		d->month = (uint8_t)a;
		d->week = (uint8_t)b;
		d->day = (int16_t)c;
	} else if (*p == 'J') {
		p++;
		if (rule_num(&p, 365, &a) != 0 || a < 1)
			return -1;
		d->kind = 'J';
		d->day = (int16_t)a;
	} else {
		if (rule_num(&p, 365, &a) != 0)
			return -1;
		d->kind = 'D';
		d->day = (int16_t)a;
	}
	if (*p == '/') {
		p++;
		if (rule_time(&p, 167, &d->time) != 0)
			return -1;
	}
	*s = p;
	return 0;
}

int pol_tz_rule_parse(const char *s, struct pol_tz_rule *rule)
{
	struct pol_tz_rule r;
	int32_t off;

	memset(&r, 0, sizeof(r));
	if (rule_name(&s) != 0 || rule_time(&s, 24, &off) != 0)
		return PL_E_SYNTAX;
	r.std_off = -off;
	if (*s != '\0') {
		if (rule_name(&s) != 0)
			return PL_E_SYNTAX;
		r.has_dst = 1;
		r.dst_off = r.std_off + 3600;
		if (*s != ',' && *s != '\0') {
			if (rule_time(&s, 24, &off) != 0)
				return PL_E_SYNTAX;
			r.dst_off = -off;
		}
		if (*s == ',') {
			s++;
			if (rule_date(&s, &r.start) != 0 || *s++ != ',' ||
			    rule_date(&s, &r.end) != 0)
				return PL_E_SYNTAX;
		} else {
			/* POSIX leaves the default rule to the implementation; US rules, as glibc.
			 */
			r.start = (struct pol_tz_date){
			    .kind = 'M', .month = 3, .week = 2, .day = 0, .time = 7200};
			r.end = (struct pol_tz_date){
			    .kind = 'M', .month = 11, .week = 1, .day = 0, .time = 7200};
		}
	}
	if (*s != '\0')
		return PL_E_SYNTAX;
	*rule = r;
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Day number (days since 1970-01-01) of a rule date in year y. */
static int64_t rule_day(const struct pol_tz_date *d, int64_t y)
{
	int64_t jan1 = pl_days_from_civil(y, 1, 1);

	if (d->kind == 'J')
		return jan1 + d->day - 1 + (pl_is_leap_year(y) && d->day >= 60 ? 1 : 0);
	if (d->kind == 'D')
		return jan1 + d->day;
	{
		int64_t first = pl_days_from_civil(y, d->month, 1);
		int64_t next = d->month == 12 ? pl_days_from_civil(y + 1, 1, 1)
		                              : pl_days_from_civil(y, d->month + 1u, 1);
		int64_t wd = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
		int64_t day = first + ((d->day - wd + 7) % 7) + 7 * (int64_t)(d->week - 1);

		while (day >= next)
			day -= 7;
		return day;
	}
}

static int32_t rule_offset(const struct pol_tz_rule *r, int64_t t)
{
	int64_t y, start, end;
	unsigned m, d;

	if (!r->has_dst)
		return r->std_off;
	pl_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
	end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
	if (start < end)
		return (t >= start && t < end) ? r->dst_off : r->std_off;
	return (t >= end && t < start) ? r->std_off : r->dst_off;
}

int32_t pol_tz_offset(const struct pol_tz *tz, int64_t t)
{
	size_t lo = 0, hi;

	if (tz->ntrans == 0)
		return tz->has_rule ? rule_offset(&tz->rule, t) : tz->type_off[0];
	if (t < tz->trans[0])
		return tz->type_off[0];
	if (t >= tz->trans[tz->ntrans - 1])
		return tz->has_rule ? rule_offset(&tz->rule, t)
		                    : tz->type_off[tz->idx[tz->ntrans - 1]];
	/* Largest i with trans[i] <= t. */
	hi = tz->ntrans - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return tz->type_off[tz->idx[lo]];
}
