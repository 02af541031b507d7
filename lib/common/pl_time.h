/*
 * Civil dates and the text forms of time, once for all of pitlane: proleptic
 * Gregorian calendar, UTC, Unix seconds. No libc time functions (no TZ, no
 * timegm, no locale), so results do not depend on the process environment.
 *
 * Parsers accept the years 1970..9999 and no leap second (seconds 00..59);
 * a zone offset may be up to +/-23:59. They write *out only on success and
 * return PL_E_SYNTAX (the text has the wrong shape) or PL_E_RANGE (a field is
 * out of range, e.g. 2025-02-29 or 24:00). When why is not NULL it gets the
 * byte offset of the offending field and what was wrong with it.
 */
#ifndef PITLANE_COMMON_TIME_H
#define PITLANE_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Buffer size that holds every formatted time (any int64 input, NUL included). */
#define PL_TIME_TEXT_MAX 40

struct pl_time_error {
	size_t offset;    /* byte offset in the text where the problem starts */
	const char *what; /* a static phrase, e.g. "expected 'T' between date and time" */
};

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). */
int64_t pl_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The civil date of day z since 1970-01-01 (inverse of pl_days_from_civil). */
void pl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int pl_is_leap_year(int64_t y);
/* 28..31; 0 for a month outside 1..12. */
unsigned pl_days_in_month(int64_t y, unsigned m);

/* RFC 3339 exactly: "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS+HH:MM" (or -HH:MM). */
int pl_time_parse_rfc3339(const char *s, int64_t *out, struct pl_time_error *why);
/*
 * The ISO 8601 forms people type: "YYYY-MM-DD", optionally followed by
 * "THH:MM" or "THH:MM:SS" (a space may replace the T), optionally followed by
 * "Z" or "+HH:MM"/"-HH:MM". No zone means UTC; no time means 00:00:00.
 */
int pl_time_parse_iso8601(const char *s, int64_t *out, struct pl_time_error *why);

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; PL_E_NOSPACE (buf untouched) if cap is too small. */
int pl_time_format_rfc3339(int64_t t, char *buf, size_t cap);
/* Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ"; PL_E_NOSPACE likewise. */
int pl_time_format_rfc3339_ms(int64_t ms, char *buf, size_t cap);

#endif
