/* lib/common/time.c + civil.c: civil dates, RFC 3339 / ISO 8601 parsing and formatting. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "pl_err.h"
#include "pl_time.h"

/* Parses s with fn and asserts the code, and for a failure the byte offset. */
static void expect_fail(int (*fn)(const char *, int64_t *, struct pl_time_error *), const char *s,
                        int err, size_t offset)
{
	struct pl_time_error why = {999, NULL};
	int64_t t = 7;

	cr_assert_eq(fn(s, &t, &why), err, "'%s'", s);
	cr_assert_eq(why.offset, offset, "'%s': offset %zu (%s)", s, why.offset, why.what);
	cr_assert_not_null(why.what, "'%s'", s);
	cr_assert_eq(t, 7, "'%s': out-param written on failure", s);
}

static int64_t parse_ok(int (*fn)(const char *, int64_t *, struct pl_time_error *), const char *s)
{
	int64_t t = 7;

	cr_assert_eq(fn(s, &t, NULL), 0, "'%s'", s);
	return t;
}

Test(common_time, REQ_COM_009_civil_days_round_trip_and_known_dates)
{
	int64_t y;
	unsigned m, d;

	cr_assert_eq(pl_days_from_civil(1970, 1, 1), 0);
	cr_assert_eq(pl_days_from_civil(1969, 12, 31), -1);
	cr_assert_eq(pl_days_from_civil(2000, 3, 1), 11017);
	cr_assert_eq(pl_days_from_civil(2024, 2, 29), 19782);
	cr_assert_eq(pl_days_from_civil(9999, 12, 31), 2932896);
	cr_assert_eq(pl_days_from_civil(0, 3, 1), -719468);
	for (int64_t z = -800000; z <= 3000000; z += 997) {
		pl_civil_from_days(z, &y, &m, &d);
		cr_assert(m >= 1 && m <= 12 && d >= 1 && d <= pl_days_in_month(y, m), "day %lld",
		          (long long)z);
		cr_assert_eq(pl_days_from_civil(y, m, d), z, "day %lld", (long long)z);
	}
	pl_civil_from_days(19782, &y, &m, &d);
	cr_assert(y == 2024 && m == 2 && d == 29);
}

Test(common_time, REQ_COM_009_leap_years_and_month_lengths)
{
	cr_assert(pl_is_leap_year(2024));
	cr_assert(pl_is_leap_year(2000));
	cr_assert(!pl_is_leap_year(1900));
	cr_assert(!pl_is_leap_year(2100));
	cr_assert(!pl_is_leap_year(2023));
	cr_assert_eq(pl_days_in_month(2024, 2), 29);
	cr_assert_eq(pl_days_in_month(2100, 2), 28);
	cr_assert_eq(pl_days_in_month(2025, 4), 30);
	cr_assert_eq(pl_days_in_month(2025, 12), 31);
	cr_assert_eq(pl_days_in_month(2025, 0), 0);
	cr_assert_eq(pl_days_in_month(2025, 13), 0);
}

Test(common_time, REQ_COM_009_rfc3339_utc_and_offsets)
{
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2025-03-11T10:00:00+01:00"), 1741683600);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2025-03-11T09:00:00Z"), 1741683600);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2025-03-11T04:30:00-04:30"), 1741683600);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2025-03-11T09:00:00+00:00"), 1741683600);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2024-02-29T12:00:00Z"), 1709208000);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "2000-02-29T00:00:00Z"), 951782400);
	/* Offsets may reach before the epoch or past 9999: the text is what is bounded. */
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "1970-01-01T00:00:00+01:00"), -3600);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "9999-12-31T23:59:59Z"), 253402300799LL);
	cr_assert_eq(parse_ok(pl_time_parse_rfc3339, "9999-12-31T23:59:59-23:59"),
	             253402300799LL + 23 * 3600 + 59 * 60);
}

Test(common_time, REQ_COM_009_rfc3339_shape_errors_name_the_byte)
{
	expect_fail(pl_time_parse_rfc3339, "", PL_E_SYNTAX, 0);
	expect_fail(pl_time_parse_rfc3339, "25-03-11T10:00:00Z", PL_E_SYNTAX, 2);
	expect_fail(pl_time_parse_rfc3339, "2025/03/11T10:00:00Z", PL_E_SYNTAX, 4);
	expect_fail(pl_time_parse_rfc3339, "2025-3-11T10:00:00Z", PL_E_SYNTAX, 6);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11 10:00:00Z", PL_E_SYNTAX, 10);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11t10:00:00Z", PL_E_SYNTAX, 10);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11", PL_E_SYNTAX, 10);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00Z", PL_E_SYNTAX, 16);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00", PL_E_SYNTAX, 19);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00z", PL_E_SYNTAX, 19);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00.5Z", PL_E_SYNTAX, 19);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00+0100", PL_E_SYNTAX, 22);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00+01:0", PL_E_SYNTAX, 24);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00Zx", PL_E_SYNTAX, 20);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00+01:00 ", PL_E_SYNTAX, 25);
}

Test(common_time, REQ_COM_009_rfc3339_range_errors_name_the_field)
{
	expect_fail(pl_time_parse_rfc3339, "1969-12-31T23:59:59Z", PL_E_RANGE, 0);
	expect_fail(pl_time_parse_rfc3339, "0000-01-01T00:00:00Z", PL_E_RANGE, 0);
	expect_fail(pl_time_parse_rfc3339, "2025-00-11T10:00:00Z", PL_E_RANGE, 5);
	expect_fail(pl_time_parse_rfc3339, "2025-13-11T10:00:00Z", PL_E_RANGE, 5);
	expect_fail(pl_time_parse_rfc3339, "2025-02-29T12:00:00Z", PL_E_RANGE, 8);
	expect_fail(pl_time_parse_rfc3339, "2100-02-29T12:00:00Z", PL_E_RANGE, 8);
	expect_fail(pl_time_parse_rfc3339, "2025-04-31T12:00:00Z", PL_E_RANGE, 8);
	expect_fail(pl_time_parse_rfc3339, "2025-04-00T12:00:00Z", PL_E_RANGE, 8);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T24:00:00Z", PL_E_RANGE, 11);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:60:00Z", PL_E_RANGE, 14);
	/* No leap seconds, as before: 23:59:60 is out of range, not the next minute. */
	expect_fail(pl_time_parse_rfc3339, "2016-12-31T23:59:60Z", PL_E_RANGE, 17);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00+24:00", PL_E_RANGE, 20);
	expect_fail(pl_time_parse_rfc3339, "2025-03-11T10:00:00-01:60", PL_E_RANGE, 23);
	/* The shape is checked before the ranges. */
	expect_fail(pl_time_parse_rfc3339, "2025-13-11T10:00:00", PL_E_SYNTAX, 19);
}

Test(common_time, REQ_COM_009_iso8601_forms_people_type)
{
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-02-29"), 1709164800);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01 08:00"), 1714550400);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01T08:00"), 1714550400);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01T08:00:05Z"), 1714550405);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01T10:00:05+02:00"), 1714550405);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01Z"), 1714521600);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "2024-05-01+02:00"), 1714521600 - 7200);
	cr_assert_eq(parse_ok(pl_time_parse_iso8601, "1970-01-01"), 0);
}

Test(common_time, REQ_COM_009_iso8601_errors_name_the_byte)
{
	expect_fail(pl_time_parse_iso8601, "", PL_E_SYNTAX, 0);
	expect_fail(pl_time_parse_iso8601, "yesterday", PL_E_SYNTAX, 0);
	expect_fail(pl_time_parse_iso8601, "2024-05-01X", PL_E_SYNTAX, 10);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T", PL_E_SYNTAX, 11);
	expect_fail(pl_time_parse_iso8601, "2024-05-01 8:00", PL_E_SYNTAX, 12);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T08:00:", PL_E_SYNTAX, 17);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T08:00:00+0200", PL_E_SYNTAX, 22);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T08:00:00ZZ", PL_E_SYNTAX, 20);
	expect_fail(pl_time_parse_iso8601, "2023-02-29", PL_E_RANGE, 8);
	expect_fail(pl_time_parse_iso8601, "2024-13-01", PL_E_RANGE, 5);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T24:00:00Z", PL_E_RANGE, 11);
	expect_fail(pl_time_parse_iso8601, "2024-05-01T23:59:60Z", PL_E_RANGE, 17);
	expect_fail(pl_time_parse_iso8601, "1969-12-31", PL_E_RANGE, 0);
}

Test(common_time, REQ_COM_009_format_rfc3339_utc)
{
	char buf[PL_TIME_TEXT_MAX];
	char small[20] = "untouched";

	cr_assert_eq(pl_time_format_rfc3339(0, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	cr_assert_eq(pl_time_format_rfc3339(1741683600, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2025-03-11T09:00:00Z");
	cr_assert_eq(pl_time_format_rfc3339(1709251199, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2024-02-29T23:59:59Z");
	cr_assert_eq(pl_time_format_rfc3339(-1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	cr_assert_eq(pl_time_format_rfc3339(253402300799LL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "9999-12-31T23:59:59Z");
	cr_assert_eq(pl_time_format_rfc3339(INT64_MAX, buf, sizeof(buf)), 0);
	cr_assert_eq(pl_time_format_rfc3339(INT64_MIN, buf, sizeof(buf)), 0);
	/* All or nothing: 20 characters need 21 bytes. */
	cr_assert_eq(pl_time_format_rfc3339(0, small, sizeof(small)), PL_E_NOSPACE);
	cr_assert_str_eq(small, "untouched");
}

Test(common_time, REQ_COM_009_format_rfc3339_milliseconds)
{
	char buf[PL_TIME_TEXT_MAX];

	cr_assert_eq(pl_time_format_rfc3339_ms(1714550405123LL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2024-05-01T08:00:05.123Z");
	cr_assert_eq(pl_time_format_rfc3339_ms(5, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.005Z");
	cr_assert_eq(pl_time_format_rfc3339_ms(-1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	cr_assert_eq(pl_time_format_rfc3339_ms(INT64_MIN, buf, sizeof(buf)), 0);
	cr_assert_eq(pl_time_format_rfc3339_ms(0, buf, 24), PL_E_NOSPACE);
}

Test(common_time, REQ_COM_009_format_then_parse_round_trips)
{
	char buf[PL_TIME_TEXT_MAX];
	int64_t back;

	for (int64_t t = 0; t < 253402300799LL; t += 7777777) {
		cr_assert_eq(pl_time_format_rfc3339(t, buf, sizeof(buf)), 0);
		cr_assert_eq(pl_time_parse_rfc3339(buf, &back, NULL), 0, "%s", buf);
		cr_assert_eq(back, t, "%s", buf);
	}
}
