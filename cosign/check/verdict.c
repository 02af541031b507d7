/* The contract's problem code and HTTP status of each refusal (docs/cosigner.md). */
#include "verdict.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_err_server.h"

static const struct cosign_refusal refusals[] = {
    {PL_E_COS_BAD_REQUEST, "bad_cosign_request", 400},
    {PL_E_SRV_REQ_MALFORMED, "bad_cosign_request", 400},
    {PL_E_SRV_REQ_NOT_SIGN1, "bad_cosign_request", 400},
    {PL_E_SRV_REQ_NO_X5CHAIN, "bad_cosign_request", 400},
    {PL_E_SRV_REQ_FIELD, "bad_cosign_request", 400},
    {PL_E_SRV_REQ_ALG, "bad_cosign_request", 400},
    {PL_E_SRV_TECH_CERT, "technician_cert_invalid", 403},
    {PL_E_SRV_NOT_TECHNICIAN, "technician_cert_invalid", 403},
    {PL_E_SRV_TECH_KEY, "technician_cert_invalid", 403},
    {PL_E_SRV_IDENTITY, "technician_cert_invalid", 403},
    {PL_E_SRV_TECH_SIG, "bad_technician_signature", 403},
    {PL_E_SRV_STALE, "stale_request", 403},
    {PL_E_SRV_REPLAY, "replayed_request", 403},
    {PL_E_COS_BROKER_SIG, "broker_signature_invalid", 403},
    {PL_E_COS_CLAIMS, "claims_mismatch", 403},
    {PL_E_COS_OVER_LIMIT, "over_cosigner_limit", 403},
    {PL_E_COS_APPROVAL_REQUIRED, "approval_required", 403},
    {PL_E_COS_APPROVAL_INVALID, "approval_invalid", 403},
    {PL_E_COS_SELF_APPROVAL, "self_approval", 403},
    {PL_E_COS_APPROVER_ROLE, "approver_role_missing", 403},
    {PL_E_COS_RATE_LIMITED, "cosigner_rate_limited", 403},
    {PL_E_COS_OP_NOT_COSIGNED, "operation_not_cosigned", 403},
    {PL_E_COS_AUDIT, "audit_unavailable", 503},
    {PL_E_COS_STORE, "audit_unavailable", 503},
};

const struct cosign_refusal *cosign_refusal_for(int err)
{
	/* anything unforeseen (out of memory, a bug): nothing is signed */
	static const struct cosign_refusal fallback = {0, "internal", 500};

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].err == err)
			return &refusals[i];
	return &fallback;
}
