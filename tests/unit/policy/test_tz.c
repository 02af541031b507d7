/*
 * Time zones from TZif files, compared against glibc's localtime_r for the
 * same zone (the test process may set TZ; the library never does).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_err_policy.h"
#include "policy_int.h"
#include "tz.h"

static long glibc_offset(const char *zone, int64_t t)
{
	char tzv[96];
	time_t tt = (time_t)t;
	struct tm tm;

	snprintf(tzv, sizeof(tzv), ":%s", zone);
	setenv("TZ", tzv, 1);
	tzset();
	cr_assert_not_null(localtime_r(&tt, &tm));
	return tm.tm_gmtoff;
}

static void compare_zone(const char *zone)
{
	struct pol_tz *tz = NULL;
	char why[256];
	unsigned checked = 0;

	cr_assert_eq(pol_tz_load(NULL, zone, &tz, why, sizeof(why)), 0, "%s: %s", zone, why);
	/* Every transition (and one second either side) from 1902 on. */
	for (size_t i = 0; i < tz->ntrans; i++) {
		if (tz->trans[i] < -2145916800LL) /* before 1902: LMT handling differs by design */
			continue;
		for (int64_t d = -1; d <= 1; d++) {
			int64_t t = tz->trans[i] + d;

			cr_assert_eq(pol_tz_offset(tz, t), glibc_offset(zone, t),
				     "%s at %lld (transition %zu)", zone, (long long)t, i);
			checked++;
		}
	}
	/* A coarse walk from 1970 to 2100, past the table into the footer rule. */
	for (int64_t t = 0; t < 4102444800LL; t += 86400 * 3 + 3607) {
		cr_assert_eq(pol_tz_offset(tz, t), glibc_offset(zone, t), "%s at %lld", zone,
			     (long long)t);
		checked++;
	}
	cr_assert_gt(checked, 10000);
	pol_tz_free(tz);
}

Test(policy_tz, REQ_POL_030_offsets_match_glibc_berlin)
{
	compare_zone("Europe/Berlin");
}

Test(policy_tz, REQ_POL_030_offsets_match_glibc_new_york)
{
	compare_zone("America/New_York");
}

Test(policy_tz, REQ_POL_030_offsets_match_glibc_southern_and_odd_zones)
{
	compare_zone("Australia/Sydney");    /* DST across the new year */
	compare_zone("Europe/Dublin");       /* negative DST in the data */
	compare_zone("Asia/Kolkata");        /* half-hour offset, no DST */
	compare_zone("Pacific/Chatham");     /* 12:45 / 13:45 */
	compare_zone("America/Sao_Paulo");   /* DST abolished in 2019 */
	compare_zone("America/St_Johns");    /* -3:30 with DST */
	compare_zone("UTC");
}

/* A "slim" TZif file: no transitions, only the footer rule. */
static size_t slim_tzif(uint8_t *b, const char *rule)
{
	size_t n = 0;
	static const uint8_t ttinfo[6] = { 0, 0, 0x0e, 0x10, 0, 0 }; /* +3600, std, idx 0 */

	for (int part = 0; part < 2; part++) {
		memcpy(b + n, "TZif2", 5);
		n += 5;
		memset(b + n, 0, 15);
		n += 15;
		/* isut, isstd, leap, time, type = 1, char = 4 */
		uint32_t counts[6] = { 0, 0, 0, 0, 1, 4 };

		for (int i = 0; i < 6; i++) {
			b[n++] = (uint8_t)(counts[i] >> 24);
			b[n++] = (uint8_t)(counts[i] >> 16);
			b[n++] = (uint8_t)(counts[i] >> 8);
			b[n++] = (uint8_t)counts[i];
		}
		memcpy(b + n, ttinfo, 6);
		n += 6;
		memcpy(b + n, "CET", 4);
		n += 4;
	}
	b[n++] = '\n';
	memcpy(b + n, rule, strlen(rule));
	n += strlen(rule);
	b[n++] = '\n';
	return n;
}

Test(policy_tz, REQ_POL_031_footer_rule_alone_gives_dst)
{
	uint8_t buf[256];
	size_t len = slim_tzif(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
	struct pol_tz *tz = NULL;
	char why[128];
	int64_t t;

	cr_assert_eq(pol_tz_parse(buf, len, "slim", &tz, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(tz->ntrans, 0);
	/* 2025-03-30 00:59:59Z is still CET, 01:00:00Z is CEST. */
	cr_assert_eq(pol_parse_time("2025-03-30T00:59:59Z", &t), 0);
	cr_assert_eq(pol_tz_offset(tz, t), 3600);
	cr_assert_eq(pol_tz_offset(tz, t + 1), 7200);
	/* 2025-10-26 00:59:59Z is CEST, 01:00:00Z is CET again. */
	cr_assert_eq(pol_parse_time("2025-10-26T00:59:59Z", &t), 0);
	cr_assert_eq(pol_tz_offset(tz, t), 7200);
	cr_assert_eq(pol_tz_offset(tz, t + 1), 3600);
	/* And it agrees with the real file for decades past its table. */
	for (t = 2145916800LL; t < 2524608000LL; t += 86400 + 1234)
		cr_assert_eq(pol_tz_offset(tz, t), glibc_offset("Europe/Berlin", t), "at %lld",
			     (long long)t);
	pol_tz_free(tz);
}

Test(policy_tz, REQ_POL_031_posix_rules_parse)
{
	struct pol_tz_rule r;

	cr_assert_eq(pol_tz_rule_parse("CET-1CEST,M3.5.0,M10.5.0/3", &r), 0);
	cr_assert_eq(r.std_off, 3600);
	cr_assert_eq(r.dst_off, 7200);
	cr_assert_eq(r.start.kind, 'M');
	cr_assert_eq(r.start.month, 3);
	cr_assert_eq(r.start.week, 5);
	cr_assert_eq(r.end.time, 3 * 3600);
	cr_assert_eq(pol_tz_rule_parse("<+0530>-5:30", &r), 0);
	cr_assert_eq(r.std_off, 5 * 3600 + 1800);
	cr_assert_eq(r.has_dst, 0);
	cr_assert_eq(pol_tz_rule_parse("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", &r), 0);
	cr_assert_eq(r.std_off, -3 * 3600);
	cr_assert_eq(r.start.time, -7200);
	cr_assert_eq(pol_tz_rule_parse("EST5EDT,0/0,J365/25", &r), 0);
	cr_assert_eq(r.end.time, 25 * 3600);
	cr_assert_eq(pol_tz_rule_parse("", &r), PL_E_SYNTAX);
	cr_assert_eq(pol_tz_rule_parse("CE-1", &r), PL_E_SYNTAX);
	cr_assert_eq(pol_tz_rule_parse("CET-1CEST,M13.5.0,M10.5.0", &r), PL_E_SYNTAX);
	cr_assert_eq(pol_tz_rule_parse("CET-1CEST,M3.5.0", &r), PL_E_SYNTAX);
	cr_assert_eq(pol_tz_rule_parse("CET-1 ", &r), PL_E_SYNTAX);
}

Test(policy_tz, REQ_POL_032_zone_names_are_checked)
{
	struct pol_tz *tz = NULL;
	char why[256];

	cr_assert_eq(pol_tz_load(NULL, "../../etc/passwd", &tz, why, sizeof(why)), PL_E_POLICY_TZ);
	cr_assert_not_null(strstr(why, "not a zone name"), "%s", why);
	cr_assert_eq(pol_tz_load(NULL, "/etc/localtime", &tz, why, sizeof(why)), PL_E_POLICY_TZ);
	cr_assert_eq(pol_tz_load(NULL, "Europe/Atlantis", &tz, why, sizeof(why)), PL_E_POLICY_TZ);
	cr_assert_not_null(strstr(why, "unknown zone"), "%s", why);
	cr_assert_eq(pol_tz_load(NULL, "Europe", &tz, why, sizeof(why)), PL_E_POLICY_TZ);
	cr_assert_null(tz);
}

Test(policy_tz, REQ_POL_032_truncated_tzif_is_refused)
{
	uint8_t buf[256];
	size_t len = slim_tzif(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
	struct pol_tz *tz = NULL;
	char why[128];

	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(pol_tz_parse(buf, cut, "cut", &tz, why, sizeof(why)), PL_E_POLICY_TZ,
			     "cut at %zu", cut);
	buf[0] = 'X';
	cr_assert_eq(pol_tz_parse(buf, len, "magic", &tz, why, sizeof(why)), PL_E_POLICY_TZ);
	cr_assert_null(tz);
}

Test(policy_tz, REQ_POL_033_rfc3339_times)
{
	int64_t t;
	char buf[40];

	cr_assert_eq(pol_parse_time("1970-01-01T00:00:00Z", &t), 0);
	cr_assert_eq(t, 0);
	cr_assert_eq(pol_parse_time("2025-03-11T10:00:00+01:00", &t), 0);
	cr_assert_eq(t, 1741683600);
	pol_format_time(t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2025-03-11T09:00:00Z");
	cr_assert_eq(pol_parse_time("2024-02-29T12:00:00Z", &t), 0);
	cr_assert_eq(pol_parse_time("2025-02-29T12:00:00Z", &t), PL_E_RANGE);
	cr_assert_eq(pol_parse_time("2025-03-11 10:00:00Z", &t), PL_E_SYNTAX);
	cr_assert_eq(pol_parse_time("2025-03-11T24:00:00Z", &t), PL_E_RANGE);
}

/* The zoneinfo directory can be given (hermetic tests, non-standard systems). */
Test(policy_tz, REQ_POL_034_zoneinfo_dir_option)
{
	char dir[] = "/tmp/pitlane-zi-XXXXXX", sub[4200], path[4300];
	uint8_t buf[256];
	size_t len = slim_tzif(buf, "XST-5");
	struct policy_load_opts o = { .zoneinfo_dir = dir };
	struct policy *p = NULL;
	struct policy_diag d;
	FILE *f;
	static const char text[] =
		"version: 1\n"
		"operations: { x.y: { routine: 1, risk: high, max_ttl: 60, exi: 5 } }\n"
		"roles: { r: { operations: [x.y] } }\n"
		"workshops: { w: { roles: [r], vin_prefixes: [WVW],\n"
		"  opening_hours: { time_zone: Test/Plus5, thu: \"05:00-06:00\" } } }\n"
		"technicians: { t: { workshop: w, roles: [r] } }\n";
	struct policy_request q = {
		.device_cn = "pc", .device_workshop = "w", .technician_cn = "t",
		.technician_workshop = "w", .vin = "WVWZZZ1JZXW000001", .op = "x.y", .now = 0,
	};
	struct policy_decision dec;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/Test", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/Plus5", sub);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
	cr_assert_eq(policy_load_buffer("z.yaml", text, sizeof(text) - 1, &o, &p, &d), 0,
		     "%u:%u %s", d.line, d.col, d.msg);
	/* 1970-01-01T00:00Z is Thursday 05:00 at UTC+5: open; 01:00Z is 06:00: closed */
	cr_assert_eq(policy_decide(p, &q, &dec), 0);
	cr_assert_eq(dec.allow, 1, "%s %s", dec.rule, dec.reason);
	q.now = 3600;
	cr_assert_eq(policy_decide(p, &q, &dec), 0);
	cr_assert_eq(dec.allow, 0);
	policy_unref(p);
	/* the system zone is unknown under this directory */
	p = NULL;
	{
		static const char sys[] = "version: 1\nroles: {}\nworkshops: { w: { roles: [], "
					  "opening_hours: { time_zone: Europe/Berlin } } }\n";

		cr_assert_eq(policy_load_buffer("z.yaml", sys, sizeof(sys) - 1, &o, &p, &d),
			     PL_E_POLICY_TZ, "%s", d.msg);
		cr_assert_eq(d.line, 3);
		cr_assert_eq(d.col, 58);
	}
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
