/*
 * Challenge management for UDS 0x29 05 / 0x29 06.
 *
 * At most one challenge is outstanding. It is fresh random bytes (16..32),
 * valid until an expiry, and single use: taking it (for a 29 06 verification,
 * whatever the outcome) removes it, so a token can never be replayed against
 * the same challenge. A new 29 05 replaces an outstanding challenge.
 */
#ifndef PITLANE_ECU_CHALLENGE_H
#define PITLANE_ECU_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

/* Fills buf with len random bytes; returns 0 or a negative PL_E_* code. */
typedef int (*ecu_random_fn)(void *ctx, uint8_t *buf, size_t len);

/* The default source: getrandom(2), blocking until the kernel pool is ready. */
int ecu_random_getrandom(void *ctx, uint8_t *buf, size_t len);

struct ecu_challenge {
	uint8_t bytes[PLT_CNONCE_MAX];
	size_t len;
	int outstanding;
	uint64_t issued_ms;  /* monotonic time of issue */
	uint64_t expires_ms; /* monotonic time after which it is void */
};

/*
 * Issues a fresh challenge of len bytes (PLT_CNONCE_MIN..PLT_CNONCE_MAX) valid
 * for ttl_ms from now_ms. Returns 0, PL_E_INVAL for a bad length, or rnd's
 * error (then no challenge is outstanding).
 */
int ecu_challenge_issue(struct ecu_challenge *c, size_t len, uint64_t now_ms, uint32_t ttl_ms,
                        ecu_random_fn rnd, void *rnd_ctx);

/*
 * Takes the outstanding challenge: copies it to out (PLT_CNONCE_MAX bytes),
 * its length to *len and its issue time to *issued_ms, and removes it.
 * Returns 0, PL_E_NOTFOUND when none is outstanding, or PL_E_TIMEOUT when it
 * expired (it is removed as well). Outputs are written only on success.
 */
int ecu_challenge_take(struct ecu_challenge *c, uint64_t now_ms, uint8_t out[PLT_CNONCE_MAX],
                       size_t *len, uint64_t *issued_ms);

/* Drops any outstanding challenge and wipes it. */
void ecu_challenge_clear(struct ecu_challenge *c);

#endif
