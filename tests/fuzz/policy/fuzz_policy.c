/*
 * libFuzzer target: bytes as one policy file. Whatever loads must dump, load
 * back and dump to the same text (the fixed point), show no difference to its
 * own dump (policy_diff), and must decide and run its tests without crashing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL, *p2 = NULL;
	struct policy_diag d;
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, total = 0, failed = 0, ndiff = 1;
	static FILE *devnull;
	struct policy_request q = {
		.device_cn = "ws-muc-01-pc1", .device_workshop = "ws-muc-01",
		.technician_cn = "tech-anna", .technician_workshop = "ws-muc-01",
		.vin = "WVWZZZ1JZXW000001", .op = "door.unlock", .now = 1741683600,
		.requested_ttl = 100,
	};
	struct policy_decision dec;

	if (size > 65536)
		return 0;
	if (policy_load_buffer("fuzz.yaml", data, size, NULL, &p, &d) != 0)
		return 0;
	if (policy_decide(p, &q, &dec) != 0)
		abort();
	policy_run_tests(p, NULL, NULL, &total, &failed);
	if (policy_dump(p, &a, &alen) != 0)
		abort();
	if (policy_load_buffer("dump.yaml", a, alen, NULL, &p2, &d) != 0)
		abort(); /* a dump that does not load back */
	if (policy_dump(p2, &b, &blen) != 0 || alen != blen || memcmp(a, b, alen) != 0)
		abort(); /* not a fixed point */
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (devnull != NULL && (policy_diff(p, p2, devnull, &ndiff) != 0 || ndiff != 0))
		abort(); /* a policy differs from its own dump */
	free(a);
	free(b);
	policy_unref(p2);
	policy_unref(p);
	return 0;
}
