/*
 * libFuzzer target: request bytes -> the ECU state machine (vehicle/ecu.c),
 * a sequence of requests per input with time passing between them. Besides
 * memory safety it checks the ECU's security invariants after every request:
 * a routine answered positively ran inside a matching authenticated scope,
 * the attempt counter stays within its limit, responses fit ECU_RESP_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecu.h"
#include "fuzz_ecusim.h"
#include "uds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ATTEMPTS 3

static void check_invariants(const struct ecu_status *before, const struct ecu_status *after,
			     const uint8_t *req, size_t len, const uint8_t *resp, size_t rlen)
{
	if (rlen > ECU_RESP_MAX || after->vehicle.failed_attempts > MAX_ATTEMPTS)
		abort();
	/* 71 01 RID: the routine ran; the scope before must have been its own. */
	if (rlen >= 4 && resp[0] == UDS_SID_ROUTINE + UDS_POSITIVE_OFFSET) {
		const struct ecu_routine *rt = ecu_routine_by_id((uint16_t)(resp[2] << 8 | resp[3]));
		if (rt == NULL || strcmp(before->scope, rt->op) != 0)
			abort();
	}
	/* Doors, ignition, keys and DTCs change only through an authorised routine
	 * (or the ignition going off in a reset). */
	if (before->vehicle.doors_locked != after->vehicle.doors_locked &&
	    strncmp(before->scope, "door.", 5) != 0)
		abort();
	if (!before->vehicle.ignition_on && after->vehicle.ignition_on &&
	    strcmp(before->scope, "ignition.enable") != 0)
		abort();
	if (before->vehicle.key_learn_count != after->vehicle.key_learn_count &&
	    strcmp(before->scope, "key.learn") != 0)
		abort();
	if (before->vehicle.ndtc != after->vehicle.ndtc && strcmp(before->scope, "dtc.clear") != 0)
		abort();
	(void)req;
	(void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct plt_trust_anchor anchor;
	struct plt_trust_store trust = { &anchor, 1 };
	struct plt_crypto crypto = { fuzz_verify, NULL };
	struct fuzz_rng rng = { 0 };
	struct ecu_config cfg;
	struct ecu *e = NULL;
	uint64_t now = 1000;
	size_t off = 0;

	memcpy(anchor.kid, fuzz_kid, PLT_KID_LEN);
	anchor.pub[0] = 0x04;
	ecu_config_defaults(&cfg);
	cfg.vin = FUZZ_VIN;
	cfg.trust = &trust;
	cfg.crypto = &crypto;
	cfg.max_attempts = MAX_ATTEMPTS;
	cfg.rnd = fuzz_rng_fill;
	cfg.rnd_ctx = &rng;
	if (ecu_new(&cfg, now, &e) != 0)
		abort();
	while (off < size) {
		uint8_t resp[ECU_RESP_MAX];
		struct ecu_status before, after;
		size_t len, rlen = 0;

		now += (uint64_t)data[off++] * 100u;
		if (size - off >= 2) {
			len = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
			if (len > size - off)
				len = size - off;
		} else {
			len = size - off;
		}
		ecu_tick(e, now);
		ecu_status_get(e, now, &before);
		if (ecu_handle(e, now, data + off, len, resp, sizeof(resp), &rlen) != 0)
			abort();
		ecu_status_get(e, now, &after);
		check_invariants(&before, &after, data + off, len, resp, rlen);
		(void)ecu_next_timer_ms(e, now);
		off += len;
	}
	ecu_free(e);
	return 0;
}
