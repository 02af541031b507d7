/* selfcheck: ES256 verification against the signer's own key (internal). */
#ifndef PITLANE_SIGNER_SELFCHECK_H
#define PITLANE_SIGNER_SELFCHECK_H

#include <stdint.h>

#include "pitlane/token.h"

struct selfcheck {
	void *pkey; /* EVP_PKEY *, parsed once */
	uint8_t pub[65];
};

int selfcheck_init(struct selfcheck *c, const uint8_t pub[65]);
void selfcheck_free(struct selfcheck *c);
/* A plt_crypto verify_es256 hook; ctx is the struct selfcheck. 0 = valid. */
int selfcheck_verify(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN], const struct plt_iov *parts,
                     size_t nparts, const uint8_t sig[PLT_SIG_LEN]);

#endif
