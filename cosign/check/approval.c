/*
 * A second person's signed approval (contract section 4), checked by the
 * co-signer with its own trust stores and its own approvers file: who signed
 * (a technician listed for the operation, or an officer), that they said
 * "approve", to this very request (key 21 = SHA-256 of its exact bytes), not
 * long ago, and that they are not the requester. An approval carries no
 * nonce of its own: it names one request, whose nonce the replay store holds.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "officer.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_err_server.h"

/* Who signed: a technician under the dealer CA, else an officer under officer_ca. */
static int approver_identity(const struct cosign_approval_ctx *ac,
                             const struct approval_decision *d, int64_t now, char cn[64],
                             uint8_t pub[PLT_P256_PUB_LEN], int *officer, char *why, size_t whylen)
{
	struct tech_identity t;
	struct officer_identity o;
	char twhy[160] = "", owhy[160] = "";

	if (techid_verify(ac->dealer, d->cert, d->ncert, now, &t, twhy, sizeof(twhy)) == 0) {
		memcpy(cn, t.id.cn, 64);
		memcpy(pub, t.pub, PLT_P256_PUB_LEN);
		*officer = 0;
		return 0;
	}
	if (ac->officer != NULL &&
	    officer_verify_cert(ac->officer, d->cert, d->ncert, now, &o, owhy, sizeof(owhy)) == 0) {
		memcpy(cn, o.id.cn, 64);
		memcpy(pub, o.pub, PLT_P256_PUB_LEN);
		*officer = 1;
		return 0;
	}
	snprintf(why, whylen,
	         "the approver's certificate is neither a technician's under dealer_ca (%s) nor "
	         "an officer's under officer_ca (%s)",
	         twhy, ac->officer != NULL ? owhy : "no officer_ca configured");
	return PL_E_COS_APPROVAL_INVALID;
}

/* decision, key 21, age: what the approver said about which request, and when. */
static int decision_ok(const struct approval_decision *d, const struct cosign_req *rq, int64_t now,
                       uint32_t max_age, char *why, size_t whylen)
{
	if (d->approve != REQ_DECISION_APPROVE) {
		snprintf(why, whylen, "the decision is \"%s\", not \"approve\"%s%s",
		         d->approve == REQ_DECISION_DENY ? "deny" : "show",
		         d->reason[0] != '\0' ? ": " : "", d->reason);
		return PL_E_COS_APPROVAL_INVALID;
	}
	if (!d->has_request_hash ||
	    !plt_ct_equal(d->request_hash, rq->hash, REQ_REQUEST_HASH_LEN)) {
		snprintf(why, whylen,
		         "the approval is for another request: its request hash (21) is %s the "
		         "SHA-256 of this request; approve this request",
		         d->has_request_hash ? "not" : "missing, it must be");
		return PL_E_COS_APPROVAL_INVALID;
	}
	if (d->iat > now + PLT_CLOCK_SKEW_S) {
		snprintf(why, whylen, "the approval is dated %lld s in the future (check clocks)",
		         (long long)(d->iat - now));
		return PL_E_COS_APPROVAL_INVALID;
	}
	if (now - d->iat > (int64_t)max_age) {
		snprintf(why, whylen,
		         "the approval was signed %lld s ago; at most %u s are accepted: ask again",
		         (long long)(now - d->iat), max_age);
		return PL_E_COS_APPROVAL_INVALID;
	}
	return 0;
}

int cosign_approval_check(const struct cosign_approval_ctx *ac, struct plt_bytes approval,
                          const struct cosign_req *rq, int64_t now, char approver[80], char *why,
                          size_t whylen)
{
	struct approval_decision d;
	struct plt_crypto crypto;
	uint8_t pub[PLT_P256_PUB_LEN];
	char cn[64], dwhy[160] = "";
	size_t off = 0;
	int officer = 0, r;

	if (request_decode_decision(approval.ptr, approval.len, &d, &off, dwhy, sizeof(dwhy)) !=
	    0) {
		snprintf(why, whylen, "the approval is not a signed decision: %s", dwhy);
		return PL_E_COS_APPROVAL_INVALID;
	}
	if ((r = approver_identity(ac, &d, now, cn, pub, &officer, why, whylen)) != 0)
		return r;
	plt_openssl_crypto(&crypto);
	if (plt_cose_sign1_verify(approval.ptr, approval.len, NULL, 0, pub, &crypto) != 0) {
		snprintf(why, whylen,
		         "the approval's signature does not verify under the key of CN=%s: it was "
		         "changed or not signed by that key",
		         cn);
		return PL_E_COS_APPROVAL_INVALID;
	}
	if ((r = decision_ok(&d, rq, now, ac->max_age_s, why, whylen)) != 0)
		return r;
	if (strcmp(cn, rq->tech.id.cn) == 0) {
		snprintf(why, whylen, "%s approved their own request; a second person must approve",
		         cn);
		return PL_E_COS_SELF_APPROVAL;
	}
	if (!officer && !cosign_approver_may(ac->approvers, cn, rq->q.op)) {
		snprintf(
		    why, whylen,
		    "technician %s may not approve %s: the co-signer's approvers file does not "
		    "list it for them",
		    cn, rq->q.op);
		return PL_E_COS_APPROVER_ROLE;
	}
	snprintf(approver, 80, "%s%s", officer ? OFFICER_ACTOR_PREFIX : "", cn);
	return 0;
}
