/*
 * The broker's token as the co-signer accepts it: a tag-98 COSE_Sign in
 * lib/token's strict profile carrying exactly one signature, by the broker's
 * token key (broker_token_key), which verifies. A Sign1 token, a second
 * signature (even a valid one) or another kid is refused: the co-signer adds
 * its own signature to the broker's, never to something else.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"

int cosign_token_check(const struct plt_trust_anchor *broker, struct plt_bytes tok,
                       struct plt_claims *claims, char *why, size_t whylen)
{
	struct plt_trust_store trust = {broker, 1};
	struct plt_expect none = {.age_s = -1};
	struct plt_crypto crypto;
	struct plt_token t;
	size_t off = 0;
	int e;

	if ((e = plt_decode(tok.ptr, tok.len, &t, &off)) != 0) {
		snprintf(why, whylen, "the broker's token does not decode: %s (at byte %zu)",
		         plt_errname(e), off);
		return PL_E_COS_BROKER_SIG;
	}
	if (t.tag != PLT_TAG_SIGN || t.nsigners != 1) {
		snprintf(why, whylen,
		         "the broker's token must be a COSE_Sign (tag 98) with exactly one "
		         "signature, the broker's; got tag %u with %zu",
		         t.tag, t.nsigners);
		return PL_E_COS_BROKER_SIG;
	}
	if (t.signers[0].kid.len != PLT_KID_LEN ||
	    !plt_ct_equal(t.signers[0].kid.ptr, broker->kid, PLT_KID_LEN)) {
		snprintf(why, whylen,
		         "the token is signed by a key other than broker_token_key (kid differs); "
		         "check that both hold the broker's current key");
		return PL_E_COS_BROKER_SIG;
	}
	plt_openssl_crypto(&crypto);
	if ((e = plt_verify_signers(tok.ptr, tok.len, &trust, &crypto, &none, NULL, &t)) != 0) {
		snprintf(why, whylen,
		         "the broker's signature over the token does not verify (%s): the token "
		         "was changed or not signed by broker_token_key",
		         plt_errname(e));
		return PL_E_COS_BROKER_SIG;
	}
	*claims = t.claims;
	return 0;
}
