/*
 * auditseed -- test helper of hardening_unlock_history: appends one audit row
 * dated in the past through the audit store (audit_append, so the hash chain
 * stays intact), as the broker wrote it for a token issued then:
 *
 *   auditseed DB SECONDS_AGO DEVICE WORKSHOP TECHNICIAN VIN OP
 *
 * A live broker cannot write yesterday's work; this is how a test gives a
 * workshop real history with a car. Exit 0 written, 1 failure, 2 usage.
 * Test-only code: never a product component.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "pl_err.h"

int main(int argc, char **argv)
{
	struct audit_record r;
	struct audit *au = NULL;
	char *end = NULL;
	long long ago;
	int rc;

	if (argc != 8) {
		fprintf(stderr, "usage: auditseed DB SECONDS_AGO DEVICE WORKSHOP TECHNICIAN VIN "
			"OP\n");
		return 2;
	}
	ago = strtoll(argv[2], &end, 10);
	if (end == argv[2] || *end != '\0' || ago < 0 || ago > 400LL * 86400) {
		fprintf(stderr, "auditseed: SECONDS_AGO must be 0..34560000, got '%s'\n", argv[2]);
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.time_ms = ((long long)time(NULL) - ago) * 1000;
	snprintf(r.request_id, sizeof(r.request_id), "seed-%lld", (long long)r.time_ms);
	snprintf(r.client_identity, sizeof(r.client_identity), "CN=%s,OU=%s", argv[3], argv[4]);
	snprintf(r.technician, sizeof(r.technician), "%s", argv[5]);
	snprintf(r.workshop, sizeof(r.workshop), "%s", argv[4]);
	snprintf(r.vin, sizeof(r.vin), "%s", argv[6]);
	snprintf(r.op, sizeof(r.op), "%s", argv[7]);
	snprintf(r.decision, sizeof(r.decision), "allow");
	snprintf(r.rule, sizeof(r.rule), "roles.seed");
	snprintf(r.reason, sizeof(r.reason), "seeded earlier work (test)");
	if ((rc = audit_open(argv[1], &au)) != 0) {
		fprintf(stderr, "auditseed: %s: %s\n", argv[1], pl_strerror(rc));
		return 1;
	}
	rc = audit_append(au, &r, NULL);
	audit_close(au);
	if (rc != 0) {
		fprintf(stderr, "auditseed: append: %s\n", pl_strerror(rc));
		return 1;
	}
	return 0;
}
