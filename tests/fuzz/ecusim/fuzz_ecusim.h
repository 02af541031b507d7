/*
 * Shared by the fuzz target and its corpus generator: the fixed trust anchor,
 * the deterministic challenge source, and the stand-in signature rule.
 *
 * Input format: records of [dt][len_hi][len_lo][len request bytes]; dt
 * advances the monotonic clock by dt * 100 ms before the request. The last
 * record may be short (the rest of the input is the request).
 */
#ifndef PITLANE_FUZZ_ECUSIM_H
#define PITLANE_FUZZ_ECUSIM_H

#include <stdint.h>
#include <string.h>

#include "pitlane/token.h"

#define FUZZ_VIN "WVWZZZ1JZXW000001"

static const uint8_t fuzz_kid[PLT_KID_LEN] = { 0x70, 0x69, 0x74, 0x6c, 0x61, 0x6e, 0x65, 0x31 };

/* Challenges are 0, 1, 2, ... continuing across challenges of one input, so
 * the corpus can hold tokens that answer them. */
struct fuzz_rng {
	uint8_t next;
};

static inline int fuzz_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
	struct fuzz_rng *r = ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = r->next++;
	return 0;
}

/* The stand-in for ES256: a signature is "valid" when it starts with 0x00.
 * Everything else of plt_verify (decode, kid, claims, cnonce, exi) is real,
 * so the fuzzer reaches the authenticated states. */
static inline int fuzz_verify(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
			      const struct plt_iov *parts, size_t nparts,
			      const uint8_t sig[PLT_SIG_LEN])
{
	(void)ctx;
	(void)pub;
	(void)parts;
	(void)nparts;
	return sig[0] == 0x00 ? 0 : 1;
}

#endif
