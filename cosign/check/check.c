/*
 * cosign_check(): one co-sign request, every check in order, and its audit
 * row. The store work of a request -- its nonce, its velocity count, its
 * audit row -- is one IMMEDIATE transaction: committed before the verdict
 * is returned, or rolled back and answered 503 audit_unavailable (never an
 * allow without its row).
 *
 * Order: the body; the technician's request (structure, certificate,
 * signature, freshness); its nonce (replay store); the broker's token
 * (signature); the claims against the request; the operation's limits
 * (listed, ttl, exi); the approval when the limits file requires one; the
 * velocity limits. The first failure decides.
 */
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "checker_int.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "pl_err_server.h"
#include "store.h"
#include "verdict.h"

/* What one run of the checks found out. */
struct run {
	struct cosign_body body;
	struct cosign_req rq;
	int have_q, have_tech;
	struct plt_claims claims;
	const struct cosign_op_limits *lim;
	char approver[80];
};

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* The technician's request, its nonce, the broker's token. */
static int check_parties(struct cosign_checker *c, struct run *x, int64_t now,
                         struct cosign_verdict *v)
{
	int r;

	/* a request waiting for its approval may be as old as the approval may be */
	r = cosign_techreq_check(c->dealer, x->body.request, now, c->window_s,
	                         x->body.approval.len != 0 ? c->approval_max_age_s : c->window_s,
	                         &x->rq, &x->have_q, &x->have_tech, v->detail, sizeof(v->detail));
	memcpy(v->request_hash, x->rq.hash, sizeof(v->request_hash));
	v->has_request_hash = 1;
	if (x->have_q) {
		copy_str(v->vin, sizeof(v->vin), x->rq.q.vin);
		copy_str(v->op, sizeof(v->op), x->rq.q.op);
	}
	if (x->have_tech) {
		copy_str(v->technician, sizeof(v->technician), x->rq.tech.id.cn);
		copy_str(v->workshop, sizeof(v->workshop), x->rq.tech.id.ou);
	}
	if (r != 0)
		return r;
	if ((r = cosign_replay_remember(c->db, x->rq.q.nonce, x->rq.q.iat, now, c->nonce_keep_s)) !=
	    0) {
		if (r == PL_E_SRV_REPLAY)
			snprintf(v->detail, sizeof(v->detail),
			         "this request (nonce) was already presented to the co-signer; the "
			         "technician must sign a new request");
		return r;
	}
	if ((r = cosign_token_check(&c->broker, x->body.token, &x->claims, v->detail,
	                            sizeof(v->detail))) != 0)
		return r;
	if (x->claims.present & PLT_HAS_CTI && x->claims.cti.len == COSIGN_CTI_LEN) {
		memcpy(v->cti, x->claims.cti.ptr, COSIGN_CTI_LEN);
		v->has_cti = 1;
	}
	return 0;
}

/* The co-signer's own rules: listed operation, claims and limits, approval, velocity. */
static int check_rules(struct cosign_checker *c, struct run *x, int64_t now,
                       struct cosign_verdict *v)
{
	struct cosign_approval_ctx ac = {c->dealer, c->officer, c->approvers,
	                                 c->approval_max_age_s};
	struct cosign_subjects s = {x->rq.q.op,
	                            {x->rq.tech.id.cn, x->rq.tech.id.ou, x->rq.q.vin, ""}};
	size_t hit = 0;
	uint32_t n = 0;
	int r;

	if ((x->lim = cosign_limits_find(c->limits, x->rq.q.op)) == NULL) {
		snprintf(v->detail, sizeof(v->detail),
		         "the co-signer does not co-sign %s (its limits file does not list it)",
		         x->rq.q.op);
		return PL_E_COS_OP_NOT_COSIGNED;
	}
	if (x->rq.late && !x->lim->approval) {
		snprintf(v->detail, sizeof(v->detail),
		         "the request was signed %lld s ago; at most %u s are accepted for %s (it "
		         "needs no approval): sign a new request",
		         (long long)(now - x->rq.q.iat), c->window_s, x->rq.q.op);
		return PL_E_SRV_STALE;
	}
	if ((r = cosign_claims_check(&x->claims, &x->rq, x->lim, now, c->window_s, v->detail,
	                             sizeof(v->detail))) != 0)
		return r;
	if (x->lim->approval && x->body.approval.len == 0) {
		snprintf(v->detail, sizeof(v->detail),
		         "%s needs a second person's signed approval; the broker sent none",
		         x->rq.q.op);
		return PL_E_COS_APPROVAL_REQUIRED;
	}
	if (x->lim->approval &&
	    (r = cosign_approval_check(&ac, x->body.approval, &x->rq, now, x->approver, v->detail,
	                               sizeof(v->detail))) != 0)
		return r;
	if ((r = cosign_velocity_check(c->db, x->lim, &s, now, &hit, &n)) != 0) {
		if (r == PL_E_COS_RATE_LIMITED) {
			copy_str(v->rule, sizeof(v->rule), x->lim->rate[hit].text);
			snprintf(
			    v->detail, sizeof(v->detail),
			    "the co-signer's limit '%s' is reached (%u co-signed); retry later "
			    "or ask the co-signer's operators",
			    x->lim->rate[hit].text, n);
		}
		return r;
	}
	return cosign_velocity_count(c->db, &s, now, c->keep_s);
}

static int run_checks(struct cosign_checker *c, const uint8_t *body, size_t len, int64_t now,
                      struct run *x, struct cosign_verdict *v)
{
	int r;

	if ((r = cosign_body_decode(body, len, &x->body, NULL, v->detail, sizeof(v->detail))) != 0)
		return r;
	if ((r = check_parties(c, x, now, v)) != 0)
		return r;
	return check_rules(c, x, now, v);
}

static int audit_verdict(struct cosign_checker *c, struct cosign_verdict *v, int64_t now,
                         const char *decision)
{
	struct cosign_audit_row row = {
	    .time = now,
	    .request_hash = v->has_request_hash ? v->request_hash : NULL,
	    .technician = v->technician,
	    .workshop = v->workshop,
	    .vin = v->vin,
	    .op = v->op,
	    .cti = v->has_cti ? v->cti : NULL,
	    .decision = decision,
	    .code = v->code != NULL ? v->code : "",
	    .rule = v->rule,
	    .detail = v->detail,
	};

	return cosign_audit_append(c->db, &row, &v->audit_seq);
}

static void refuse(struct cosign_verdict *v, int err)
{
	const struct cosign_refusal *rf = cosign_refusal_for(err);

	v->allowed = 0;
	v->err = err;
	v->code = rf->code;
	v->status = rf->status;
	v->token = NULL;
	v->token_len = 0;
}

/* No row could be written: nothing is allowed, and the answer says why. */
static int unavailable(struct cosign_checker *c, struct cosign_verdict *v)
{
	(void)cosign_store_exec(c->db, "ROLLBACK");
	refuse(v, PL_E_COS_AUDIT);
	v->audit_seq = 0;
	snprintf(v->detail, sizeof(v->detail),
	         "the co-signer could not commit its audit row; nothing was signed; retry later");
	return PL_E_COS_AUDIT;
}

int cosign_check(struct cosign_checker *c, const uint8_t *body, size_t len, time_t now,
                 struct cosign_verdict *v)
{
	struct run x;
	int r;

	memset(v, 0, sizeof(*v));
	memset(&x, 0, sizeof(x));
	if (cosign_store_exec(c->db, "BEGIN IMMEDIATE") != 0)
		return unavailable(c, v);
	r = run_checks(c, body, len, (int64_t)now, &x, v);
	if (r == PL_E_COS_STORE || r == PL_E_COS_AUDIT) {
		plt_wipe(&x, sizeof(x));
		return unavailable(c, v);
	}
	if (r == 0) {
		v->allowed = 1;
		v->token = x.body.token.ptr;
		v->token_len = x.body.token.len;
		if (x.approver[0] != '\0')
			snprintf(v->detail, sizeof(v->detail), "approved by %s", x.approver);
	} else {
		refuse(v, r);
	}
	plt_wipe(&x, sizeof(x));
	if (audit_verdict(c, v, (int64_t)now, v->allowed ? "allow" : "refuse") != 0 ||
	    cosign_store_exec(c->db, "COMMIT") != 0)
		return unavailable(c, v);
	return 0;
}

int cosign_check_signed(struct cosign_checker *c, const struct cosign_verdict *v, int sign_err)
{
	struct cosign_verdict w = *v;
	int r;

	if (!v->allowed)
		return PL_E_INVAL;
	w.code = sign_err == 0 ? "" : "hsm_unavailable";
	if (sign_err != 0)
		snprintf(w.detail, sizeof(w.detail), "signing failed: %s; no signature left",
		         pl_errname(sign_err));
	else
		snprintf(w.detail, sizeof(w.detail), "co-signed (row %lld allowed it)",
		         (long long)v->audit_seq);
	if (cosign_store_exec(c->db, "BEGIN IMMEDIATE") != 0)
		return PL_E_COS_AUDIT;
	if ((r = audit_verdict(c, &w, (int64_t)time(NULL), sign_err == 0 ? "signed" : "error")) !=
	        0 ||
	    cosign_store_exec(c->db, "COMMIT") != 0) {
		(void)cosign_store_exec(c->db, "ROLLBACK");
		return PL_E_COS_AUDIT;
	}
	return 0;
}
