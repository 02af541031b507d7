/*
 * RFC 3339 and ISO 8601 times as text. Parsing happens in two passes, as the
 * policy's parser always did: first the shape (every character where it
 * belongs: PL_E_SYNTAX), then the ranges of the fields (PL_E_RANGE).
 */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_time.h"

#define YEAR_MIN 1970u

enum field { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MIN, F_SEC, F_OFF_H, F_OFF_M, F_COUNT };

static const char *const want_digits[F_COUNT] = {
    [F_YEAR] = "expected a 4-digit year",        [F_MONTH] = "expected a 2-digit month",
    [F_DAY] = "expected a 2-digit day",          [F_HOUR] = "expected a 2-digit hour",
    [F_MIN] = "expected 2-digit minutes",        [F_SEC] = "expected 2-digit seconds",
    [F_OFF_H] = "expected 2-digit offset hours", [F_OFF_M] = "expected 2-digit offset minutes",
};

/* The text being read: position, fields seen so far and where each started. */
struct scan {
	const char *s;
	size_t i;
	unsigned v[F_COUNT];
	size_t at[F_COUNT];
	int sign; /* of the zone offset: -1, +1, or 0 for UTC */
	struct pl_time_error *why;
};

static int fail(struct pl_time_error *why, size_t at, const char *what, int err)
{
	if (why != NULL) {
		why->offset = at;
		why->what = what;
	}
	return err;
}

/* n decimal digits into field k; stops at the first non-digit (so never reads past a NUL). */
static int scan_digits(struct scan *sc, unsigned n, enum field k)
{
	unsigned x = 0;

	for (unsigned j = 0; j < n; j++) {
		char c = sc->s[sc->i + j];

		if (c < '0' || c > '9')
			return fail(sc->why, sc->i + j, want_digits[k], PL_E_SYNTAX);
		x = x * 10 + (unsigned)(c - '0');
	}
	sc->v[k] = x;
	sc->at[k] = sc->i;
	sc->i += n;
	return 0;
}

static int scan_char(struct scan *sc, char c, const char *what)
{
	if (sc->s[sc->i] != c)
		return fail(sc->why, sc->i, what, PL_E_SYNTAX);
	sc->i++;
	return 0;
}

/* YYYY-MM-DD */
static int scan_date(struct scan *sc)
{
	int r;

	if ((r = scan_digits(sc, 4, F_YEAR)) != 0 ||
	    (r = scan_char(sc, '-', "expected '-' after the year")) != 0 ||
	    (r = scan_digits(sc, 2, F_MONTH)) != 0 ||
	    (r = scan_char(sc, '-', "expected '-' after the month")) != 0)
		return r;
	return scan_digits(sc, 2, F_DAY);
}

/* HH:MM:SS, or HH:MM with seconds optional */
static int scan_clock(struct scan *sc, int need_seconds)
{
	int r;

	if ((r = scan_digits(sc, 2, F_HOUR)) != 0 ||
	    (r = scan_char(sc, ':', "expected ':' after the hour")) != 0 ||
	    (r = scan_digits(sc, 2, F_MIN)) != 0)
		return r;
	if (!need_seconds && sc->s[sc->i] != ':')
		return 0;
	if ((r = scan_char(sc, ':', "expected ':' after the minutes")) != 0)
		return r;
	return scan_digits(sc, 2, F_SEC);
}

/* Z, +HH:MM or -HH:MM; when optional, nothing at all means UTC. */
static int scan_zone(struct scan *sc, int need_zone)
{
	char c = sc->s[sc->i];
	int r;

	if (c == 'Z') {
		sc->i++;
		return 0;
	}
	if (c != '+' && c != '-') {
		if (need_zone)
			return fail(sc->why, sc->i, "expected 'Z' or an offset like +01:00",
			            PL_E_SYNTAX);
		return 0;
	}
	sc->sign = c == '-' ? -1 : 1;
	sc->i++;
	if ((r = scan_digits(sc, 2, F_OFF_H)) != 0 ||
	    (r = scan_char(sc, ':', "expected ':' in the offset (+HH:MM)")) != 0)
		return r;
	return scan_digits(sc, 2, F_OFF_M);
}

static int scan_end(struct scan *sc)
{
	if (sc->s[sc->i] != '\0')
		return fail(sc->why, sc->i, "unexpected text after the time", PL_E_SYNTAX);
	return 0;
}

static int out_of_range(const struct scan *sc, enum field k, const char *what)
{
	return fail(sc->why, sc->at[k], what, PL_E_RANGE);
}

static int check_ranges(const struct scan *sc)
{
	const unsigned *v = sc->v;

	if (v[F_YEAR] < YEAR_MIN)
		return out_of_range(sc, F_YEAR, "year before 1970");
	if (v[F_MONTH] < 1 || v[F_MONTH] > 12)
		return out_of_range(sc, F_MONTH, "month not 01..12");
	if (v[F_DAY] < 1 || v[F_DAY] > pl_days_in_month(v[F_YEAR], v[F_MONTH]))
		return out_of_range(sc, F_DAY, "no such day in that month");
	if (v[F_HOUR] > 23)
		return out_of_range(sc, F_HOUR, "hour not 00..23");
	if (v[F_MIN] > 59)
		return out_of_range(sc, F_MIN, "minutes not 00..59");
	if (v[F_SEC] > 59)
		return out_of_range(sc, F_SEC,
		                    "seconds not 00..59 (leap seconds are not accepted)");
	if (v[F_OFF_H] > 23)
		return out_of_range(sc, F_OFF_H, "offset hours not 00..23");
	if (v[F_OFF_M] > 59)
		return out_of_range(sc, F_OFF_M, "offset minutes not 00..59");
	return 0;
}

static int64_t scan_to_unix(const struct scan *sc)
{
	const unsigned *v = sc->v;
	int64_t t = pl_days_from_civil(v[F_YEAR], v[F_MONTH], v[F_DAY]) * 86400 + v[F_HOUR] * 3600 +
	            v[F_MIN] * 60 + v[F_SEC];

	return t - sc->sign * (int64_t)(v[F_OFF_H] * 3600 + v[F_OFF_M] * 60);
}

static void scan_init(struct scan *sc, const char *s, struct pl_time_error *why)
{
	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->why = why;
}

int pl_time_parse_rfc3339(const char *s, int64_t *out, struct pl_time_error *why)
{
	struct scan sc;
	int r;

	if (s == NULL || out == NULL)
		return PL_E_INVAL;
	scan_init(&sc, s, why);
	if ((r = scan_date(&sc)) != 0 ||
	    (r = scan_char(&sc, 'T', "expected 'T' between date and time")) != 0 ||
	    (r = scan_clock(&sc, 1)) != 0 || (r = scan_zone(&sc, 1)) != 0 ||
	    (r = scan_end(&sc)) != 0 || (r = check_ranges(&sc)) != 0)
		return r;
	*out = scan_to_unix(&sc);
	return 0;
}

int pl_time_parse_iso8601(const char *s, int64_t *out, struct pl_time_error *why)
{
	struct scan sc;
	int r;

	if (s == NULL || out == NULL)
		return PL_E_INVAL;
	scan_init(&sc, s, why);
	if ((r = scan_date(&sc)) != 0)
		return r;
	if (sc.s[sc.i] == 'T' || sc.s[sc.i] == ' ') {
		sc.i++;
		if ((r = scan_clock(&sc, 0)) != 0)
			return r;
	}
	if ((r = scan_zone(&sc, 0)) != 0 || (r = scan_end(&sc)) != 0 ||
	    (r = check_ranges(&sc)) != 0)
		return r;
	*out = scan_to_unix(&sc);
	return 0;
}

/* t = days * 86400 + sod, with 0 <= sod < 86400 (floor division, also before 1970). */
static void split_days(int64_t t, int64_t *days, unsigned *sod)
{
	int64_t d = t / 86400, rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		d--;
	}
	*days = d;
	*sod = (unsigned)rem;
}

/* Formats seconds t with an optional ".mmm" (ms >= 0) into buf, all or nothing. */
static int format(int64_t t, int ms, char *buf, size_t cap)
{
	char tmp[PL_TIME_TEXT_MAX], frac[8] = "";
	int64_t days, y;
	unsigned sod, m, d;
	int n;

	split_days(t, &days, &sod);
	pl_civil_from_days(days, &y, &m, &d);
	if (ms >= 0)
		snprintf(frac, sizeof(frac), ".%03d", ms);
	n = snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02u:%02u:%02u%sZ", (long long)y, m, d,
	             sod / 3600, sod % 3600 / 60, sod % 60, frac);
	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= cap)
		return PL_E_NOSPACE;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

int pl_time_format_rfc3339(int64_t t, char *buf, size_t cap)
{
	return format(t, -1, buf, cap);
}

int pl_time_format_rfc3339_ms(int64_t ms, char *buf, size_t cap)
{
	int64_t t = ms / 1000, rem = ms % 1000;

	if (rem < 0) {
		rem += 1000;
		t--;
	}
	return format(t, (int)rem, buf, cap);
}
