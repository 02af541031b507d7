/*
 * The POST /v1/cosign body (docs/cosigner.md, the contract's section 3):
 *
 *   cosign-request = { 1 => bstr,      ; the technician's signed request (COSE_Sign1)
 *                      2 => bstr,      ; the broker's token (tag-98 COSE_Sign)
 *                      ? 3 => bstr }   ; the approver's signed decision (COSE_Sign1)
 *
 * Strict: lib/token's codec (definite lengths, minimal encodings), keys 1..3
 * each at most once, nothing else, no byte after the map, no empty string.
 * Pure function: no allocation, no clock (a fuzz target).
 */
#ifndef PITLANE_COSIGN_BODY_H
#define PITLANE_COSIGN_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "cosign_conf.h" /* COSIGN_BODY_MAX */
#include "pitlane/token.h"

enum cosign_body_key {
	COSIGN_K_REQUEST = 1,
	COSIGN_K_TOKEN = 2,
	COSIGN_K_APPROVAL = 3,
};

struct cosign_body {
	struct plt_bytes request; /* views into the body */
	struct plt_bytes token;
	struct plt_bytes approval; /* len 0: absent */
};

/*
 * Decodes body[0..len). Errors: PL_E_COS_BAD_REQUEST with *err_off (if not
 * NULL) at the bad item and a sentence in why. *out is written only on success.
 */
int cosign_body_decode(const uint8_t *body, size_t len, struct cosign_body *out, size_t *err_off,
                       char *why, size_t whylen);

#endif
