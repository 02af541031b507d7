/* The binding of a signed approval decision to one approval and one request (decision.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "decision.h"
#include "pl_err.h"
#include "pl_err_server.h"

int decision_check_binding(const uint8_t *body, size_t len, const struct decision_binding *b,
                           struct approval_decision *out, char *why, size_t whylen)
{
	struct approval_decision d;
	size_t off = 0;
	int r;

	if ((r = request_decode_decision(body, len, &d, &off, why, whylen)) != 0)
		goto out;
	if (strcmp(d.approval_id, b->approval_id) != 0) {
		snprintf(why, whylen, "the signed decision is on approval %.32s, not on %.32s",
		         d.approval_id, b->approval_id);
		r = PL_E_SRV_APPROVAL_INVALID;
		goto out;
	}
	if (d.approve != REQ_DECISION_APPROVE && d.approve != REQ_DECISION_DENY) {
		snprintf(why, whylen, "the signed decision is a \"show\", which decides nothing");
		r = PL_E_SRV_APPROVAL_INVALID;
		goto out;
	}
	if (b->request_hash == NULL) {
		snprintf(why, whylen,
		         "approval %.32s holds no signed request to decide on (made before "
		         "signed decisions); the requester has to ask again",
		         b->approval_id);
		r = PL_E_SRV_REQUEST_HASH;
		goto out;
	}
	if (!d.has_request_hash) {
		snprintf(why, whylen,
		         "the decision lacks key 21, the SHA-256 of the request it decides "
		         "on; update the approving tool and decide again");
		r = PL_E_SRV_REQUEST_HASH;
		goto out;
	}
	if (!plt_ct_equal(d.request_hash, b->request_hash, REQ_REQUEST_HASH_LEN)) {
		snprintf(why, whylen,
		         "the decision's request hash (key 21) is not the SHA-256 of the "
		         "request of approval %.32s: it decides on another request; show the "
		         "approval again and decide anew",
		         b->approval_id);
		r = PL_E_SRV_REQUEST_HASH;
		goto out;
	}
	*out = d;
	r = 0;
out:
	plt_wipe(&d, sizeof(d));
	return r;
}

int decision_request_hash(const uint8_t *req, size_t len, uint8_t out[REQ_REQUEST_HASH_LEN])
{
	return SHA256(req, len, out) != NULL ? 0 : PL_E_CRYPTO;
}
