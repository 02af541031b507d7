/*
 * The checks of one co-sign request, one file each (docs/cosigner.md, "What
 * it checks"). Each returns 0 or the code of its refusal with a sentence in
 * why (what was wrong, what to do); none of them writes to the store.
 */
#ifndef PITLANE_COSIGN_CHECKS_H
#define PITLANE_COSIGN_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pitlane/token.h"
#include "request.h"
#include "rules.h"
#include "techid.h"

/* The technician's request, verified (techreq.c). */
struct cosign_req {
	struct token_request q;
	struct tech_identity tech;
	uint8_t hash[32]; /* SHA-256 of the request's exact bytes (what an approval names) */
	int late;         /* signed more than window ago (allowed only with an approval) */
};

/*
 * The technician's signed request: structure (request_decode), x5chain under
 * store (dealer_ca + crl, the technician EKU, P-256, valid at now), the
 * COSE_Sign1 signature, and its age: iat at most window ahead of now and at
 * most max_past behind it (window, or more for a request that comes with an
 * approval: out->late says it is older than window, and the caller then
 * accepts it only when the operation needs an approval and the approval
 * passes). The replay store is the caller's. Errors: PL_E_SRV_REQ_*
 * (structure), PL_E_SRV_TECH_CERT, PL_E_SRV_NOT_TECHNICIAN, PL_E_SRV_TECH_KEY,
 * PL_E_SRV_IDENTITY, PL_E_SRV_TECH_SIG, PL_E_SRV_STALE. *out gets what was
 * read as far as it was read (hash first, then q, then tech).
 */
int cosign_techreq_check(X509_STORE *store, struct plt_bytes req, int64_t now, uint32_t window,
                         uint32_t max_past, struct cosign_req *out, int *have_q, int *have_tech,
                         char *why, size_t whylen);

/*
 * The broker's token: a tag-98 COSE_Sign (docs/token.md) in lib/token's
 * strict profile with exactly one signature, whose kid is broker->kid and
 * which verifies under broker->pub. *claims (views into tok) on success.
 * Errors: PL_E_COS_BROKER_SIG.
 */
int cosign_token_check(const struct plt_trust_anchor *broker, struct plt_bytes tok,
                       struct plt_claims *claims, char *why, size_t whylen);

/*
 * The token's claims against the verified request and the co-signer's limits
 * for its operation (claims.c): aud, scope, cnonce, technician (CN),
 * workshop (OU), work_order equal; exp - iat <= the wished ttl (claims_mismatch)
 * and <= lim->max_ttl, exi <= lim->max_exi (over_cosigner_limit); iat within
 * window of now. Errors: PL_E_COS_CLAIMS, PL_E_COS_OVER_LIMIT.
 */
int cosign_claims_check(const struct plt_claims *c, const struct cosign_req *rq,
                        const struct cosign_op_limits *lim, int64_t now, uint32_t window, char *why,
                        size_t whylen);

/* What verifies an approval (approval.c). */
struct cosign_approval_ctx {
	X509_STORE *dealer;  /* technician approvers (with the EKU) */
	X509_STORE *officer; /* officers; NULL: none accepted */
	const struct cosign_approvers *approvers;
	uint32_t max_age_s;
};

/*
 * The approver's signed decision (contract section 4) for request rq:
 * COSE_Sign1 with x5chain under the dealer CA (technician EKU, CN listed for
 * the operation in the approvers file) or the officer CA (any operation),
 * signature, decision "approve", key 21 = rq->hash, not older than max_age_s
 * nor in the future, approver CN != requester CN. approver gets "CN"
 * or "officer:CN". Errors: PL_E_COS_APPROVAL_INVALID, PL_E_COS_SELF_APPROVAL,
 * PL_E_COS_APPROVER_ROLE.
 */
int cosign_approval_check(const struct cosign_approval_ctx *ac, struct plt_bytes approval,
                          const struct cosign_req *rq, int64_t now, char approver[80], char *why,
                          size_t whylen);

#endif
