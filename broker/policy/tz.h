/*
 * Time zones without the process-wide TZ: a zone's TZif file (RFC 8536) is
 * read once at policy load time and the UTC offset of any instant is computed
 * from its transition table and, past the last transition, from the POSIX TZ
 * rule in the file's footer (DST included). Pure functions over immutable
 * data, so any number of threads may ask at once; localtime_r() and setenv("TZ")
 * are never used.
 */
#ifndef PITLANE_BROKER_POLICY_TZ_H
#define PITLANE_BROKER_POLICY_TZ_H

#include <stddef.h>
#include <stdint.h>

/* One rule date: Jn (julian, no Feb 29), n (zero-based with Feb 29) or Mm.w.d. */
struct pol_tz_date {
	char kind;   /* 'J', 'D' (plain n) or 'M' */
	int16_t day; /* J: 1..365, D: 0..365, M: weekday 0..6 */
	uint8_t month, week;
	int32_t time; /* seconds after local midnight (may be negative or > 24h) */
};

/* A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), offsets east of UTC. */
struct pol_tz_rule {
	int32_t std_off;
	int has_dst;
	int32_t dst_off;
	struct pol_tz_date start, end;
};

struct pol_tz {
	char name[64];
	size_t ntrans;
	int64_t *trans; /* transition instants, ascending */
	uint8_t *idx;   /* type index for each transition */
	size_t ntypes;
	int32_t *type_off; /* UT offset of each local time type */
	int has_rule;
	struct pol_tz_rule rule;
};

/*
 * Checks name (a relative zone name such as "Europe/Berlin": letters, digits,
 * '_', '-', '+', components separated by '/', no "." or ".." component) and
 * reads dir/name. Errors: PL_E_POLICY_TZ with a sentence in why.
 */
int pol_tz_load(const char *dir, const char *name, struct pol_tz **out, char *why, size_t whylen);
/* Parses a TZif image (for tests and the loader). */
int pol_tz_parse(const uint8_t *buf, size_t len, const char *name, struct pol_tz **out, char *why,
                 size_t whylen);
void pol_tz_free(struct pol_tz *tz);

/* Parses a POSIX TZ string; 0 or PL_E_SYNTAX. */
int pol_tz_rule_parse(const char *s, struct pol_tz_rule *rule);

/* The offset east of UTC, in seconds, in force at instant t (Unix seconds). */
int32_t pol_tz_offset(const struct pol_tz *tz, int64_t t);

#endif
