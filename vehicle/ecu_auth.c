/*
 * UDS 0x29 Authentication, challenge-response with pitlane tokens:
 * 29 08 configuration, 29 05 challenge, 29 06 token, 29 00 deauthenticate.
 */
#include <string.h>

#include "ecu_internal.h"
#include "ecu_nrc.h"
#include "pitlane/token.h"
#include "pl_err.h"

static void auth_refuse(struct ecu_event *ev, struct uds_response *resp, uint8_t nrc)
{
	resp->nrc = nrc;
	ev->nrc = nrc;
}

/* 0x37 while the lockout delay runs: no token is even looked at. */
static int auth_locked_out(struct ecu *e, uint64_t now_ms, struct uds_response *resp)
{
	int changed = 0;

	if (ecu_attempts_locked(&e->attempts, now_ms, &changed)) {
		resp->nrc = UDS_NRC_TIME_DELAY_NOT_EXPIRED;
		return 1;
	}
	if (changed) {
		struct ecu_event ev = {.kind = ECU_EV_LOCKOUT_END, .attempts = e->attempts.failed};
		e->vehicle.failed_attempts = e->attempts.failed;
		ecu_touch(e);
		ecu_emit(e, &ev);
	}
	return 0;
}

static void auth_challenge(struct ecu *e, uint64_t now_ms, const struct uds_request *req,
                           struct uds_response *resp)
{
	struct ecu_event ev = {.kind = ECU_EV_CHALLENGE};

	if (auth_locked_out(e, now_ms, resp))
		return;
	/* Only pitlane's scheme, without secure communication. */
	if (req->comm_cfg != 0 ||
	    !plt_ct_equal(req->alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN)) {
		resp->nrc = UDS_NRC_REQUEST_OUT_OF_RANGE;
		return;
	}
	/* A new challenge starts a new authentication. */
	ecu_auth_end(e, ECU_DEAUTH_NEW_AUTH);
	if (ecu_challenge_issue(&e->challenge, e->cfg.challenge_len, now_ms,
	                        e->cfg.challenge_ttl_ms, e->cfg.rnd, e->cfg.rnd_ctx) != 0) {
		resp->nrc = UDS_NRC_CHALLENGE_CALCULATION_FAILED;
		return;
	}
	resp->auth_ret = UDS_AUTH_RET_ACCEPTED;
	memcpy(resp->alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	resp->challenge.ptr = e->challenge.bytes;
	resp->challenge.len = e->challenge.len;
	resp->needed.ptr = NULL;
	resp->needed.len = 0;
	ev.challenge_len = e->challenge.len;
	ecu_emit(e, &ev);
}

/* Seconds since the challenge, rounded up: age <= exi iff elapsed <= exi s. */
static int64_t auth_age_s(uint64_t now_ms, uint64_t issued_ms)
{
	uint64_t ms = now_ms > issued_ms ? now_ms - issued_ms : 0;

	return (int64_t)((ms + 999) / 1000);
}

/* Counts a failed token; the failure that reaches the limit answers 0x36. */
static void auth_fail(struct ecu *e, uint64_t now_ms, int err, struct uds_response *resp)
{
	struct ecu_event ev = {.kind = ECU_EV_AUTH_FAIL, .err = err};
	uint8_t nrc = ecu_nrc_for_token_error(err);
	int locked = ecu_attempts_fail(&e->attempts, now_ms);

	e->vehicle.failed_attempts = e->attempts.failed;
	ecu_touch(e);
	if (locked)
		nrc = UDS_NRC_EXCEEDED_ATTEMPTS;
	auth_refuse(&ev, resp, nrc);
	ev.attempts = e->attempts.failed;
	ecu_emit(e, &ev);
	if (locked) {
		struct ecu_event lk = {.kind = ECU_EV_LOCKOUT,
		                       .attempts = e->attempts.failed,
		                       .lockout_ms = e->attempts.lockout_ms};
		ecu_emit(e, &lk);
	}
}

/* The token passed: authenticate with its scope until exi runs out. */
static void auth_succeed(struct ecu *e, const struct plt_token *tok,
                         const struct ecu_routine *scope, uint64_t issued_ms,
                         struct uds_response *resp)
{
	struct ecu_event ev = {.kind = ECU_EV_AUTH_OK};

	ecu_attempts_success(&e->attempts);
	e->vehicle.failed_attempts = 0;
	e->scope = scope;
	e->auth_until_ms = issued_ms + (uint64_t)tok->claims.exi * 1000u;
	memcpy(e->kid, tok->kid.ptr, PLT_KID_LEN);
	e->cti_len = tok->claims.cti.len <= PLT_CTI_LEN ? tok->claims.cti.len : PLT_CTI_LEN;
	memcpy(e->cti, tok->claims.cti.ptr, e->cti_len);
	ecu_touch(e);
	resp->auth_ret = UDS_AUTH_RET_OWNERSHIP_VERIFIED;
	memcpy(resp->alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	resp->session_key.ptr = NULL;
	resp->session_key.len = 0;
	ev.scope = scope->op;
	ev.kid = e->kid;
	ev.cti = e->cti;
	ev.cti_len = e->cti_len;
	ecu_emit(e, &ev);
}

static void auth_verify(struct ecu *e, uint64_t now_ms, const struct uds_request *req,
                        struct uds_response *resp)
{
	uint8_t cnonce[PLT_CNONCE_MAX];
	size_t cnonce_len = 0;
	uint64_t issued_ms = 0;
	struct plt_expect exp;
	struct plt_token tok;
	const struct ecu_routine *scope;
	int r;

	if (auth_locked_out(e, now_ms, resp))
		return;
	/* Proof of possession by the tester (challengeClient, additionalParameter)
	 * is reserved for later: refuse what this ECU cannot check. */
	if (!plt_ct_equal(req->alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN) ||
	    req->challenge_client.len != 0 || req->additional.len != 0) {
		resp->nrc = UDS_NRC_REQUEST_OUT_OF_RANGE;
		return;
	}
	if (ecu_challenge_take(&e->challenge, now_ms, cnonce, &cnonce_len, &issued_ms) != 0) {
		resp->nrc = UDS_NRC_REQUEST_SEQUENCE_ERROR;
		return;
	}
	memset(&exp, 0, sizeof(exp));
	exp.vin = e->vin;
	exp.op = NULL; /* the scope is checked against the catalogue below */
	exp.cnonce = cnonce;
	exp.cnonce_len = cnonce_len;
	exp.age_s = auth_age_s(now_ms, issued_ms);
	if (e->cfg.unix_now != NULL) {
		/* A declared trusted clock that cannot be read is not skipped. */
		if (e->cfg.unix_now(e->cfg.clock_ctx, &exp.now) != 0) {
			resp->nrc = UDS_NRC_CONDITIONS_NOT_CORRECT;
			goto out;
		}
		exp.have_clock = 1;
	}
	memset(&tok, 0, sizeof(tok));
	r = plt_verify_signers(req->proof.ptr, req->proof.len, e->cfg.trust, e->cfg.crypto, &exp,
	                       e->cfg.signers, &tok);
	if (r != 0) {
		auth_fail(e, now_ms, r, resp);
		goto out;
	}
	scope = ecu_routine_by_op(tok.claims.scope.ptr, tok.claims.scope.len);
	if (tok.kid.len != PLT_KID_LEN) {
		/* The strict profile guarantees it; never copy on trust. */
		auth_fail(e, now_ms, PLT_E_KID_FORMAT, resp);
		goto out;
	}
	if (scope == NULL) {
		auth_fail(e, now_ms, PLT_E_WRONG_OP, resp);
		goto out;
	}
	auth_succeed(e, &tok, scope, issued_ms, resp);
out:
	plt_wipe(cnonce, sizeof(cnonce));
}

void ecu_auth_handle(struct ecu *e, uint64_t now_ms, const struct uds_request *req,
                     struct uds_response *resp)
{
	switch (req->sub) {
	case UDS_AUTH_DEAUTHENTICATE:
		ecu_auth_end(e, ECU_DEAUTH_REQUEST);
		resp->auth_ret = UDS_AUTH_RET_DEAUTH_OK;
		break;
	case UDS_AUTH_REQUEST_CHALLENGE:
		auth_challenge(e, now_ms, req, resp);
		break;
	case UDS_AUTH_VERIFY_POWN_UNI:
		auth_verify(e, now_ms, req, resp);
		break;
	case UDS_AUTH_CONFIGURATION:
		resp->auth_ret = UDS_AUTH_RET_CONFIG_ACR_ASYM;
		break;
	default:
		resp->nrc = UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
		break;
	}
}
