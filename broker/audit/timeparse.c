/*
 * Times given on the command line: UNIX seconds, or ISO 8601 as lib/common's
 * pl_time_parse_iso8601() reads it (2024-05-01, 2024-05-01T12:30,
 * 2024-05-01 12:30:15, each optionally followed by Z or +HH:MM / -HH:MM; no
 * zone means UTC).
 */
#include <string.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_parse.h"
#include "pl_time.h"

#define UNIX_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

int audit_parse_time(const char *s, int64_t *unix_s, struct pl_time_error *why)
{
	int64_t v;
	int r;

	if (s == NULL || s[0] == '\0') {
		if (why != NULL)
			*why = (struct pl_time_error){0, "expected UNIX seconds or a date"};
		return PL_E_AUDIT_TIME;
	}
	if (strspn(s, "0123456789") == strlen(s)) {
		if ((r = pl_parse_i64(s, 0, UNIX_MAX, &v)) != 0) {
			if (why != NULL)
				*why = (struct pl_time_error){0, "UNIX seconds after 9999"};
			return r == PL_E_RANGE ? PL_E_RANGE : PL_E_AUDIT_TIME;
		}
	} else if (pl_time_parse_iso8601(s, &v, why) != 0) {
		return PL_E_AUDIT_TIME;
	}
	*unix_s = v;
	return 0;
}
