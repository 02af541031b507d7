/*
 * The decider's half of the request path (the front end's half is
 * broker/front/pipeline.c): a handoff from the front end ->
 *
 *   fresh iat -> unseen nonce -> policy -> limits, detectors, approvals
 *   -> signer (token built and signed in the HSM, through the signer process)
 *   -> audit row committed (with the token id) -> log line -> the answer
 *
 * POST /v1/approvals/{id} (an approving technician's signed decision) and
 * POST /v1/approvals/{id}/poll (the requesting technician's signed poll) take
 * the same way up to the freshness check, then broker/abuse answers
 * (abuse_gate.c).
 *
 * Every request that reached the decider is audited (allow, deny, reject,
 * error), with the device identity and, once known, the technician.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cosign.h"
#include "cosign_config.h"
#include "decider.h"
#include "decision.h"
#include "identity.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"
#include "pl_log.h"
#include "problem.h"
#include "refusal.h"
#include "request.h"
#include "techid.h"

#define CWT_CONTENT_TYPE "application/cwt"
#define CBOR_CONTENT_TYPE "application/cbor"
#define HSM_RETRY_AFTER_S 5

/* The answer under construction. */
struct verdict {
	struct decider *d;
	int kind; /* enum handoff_kind */
	char request_id[40];
	struct cert_identity device;
	char client_addr[64];
	int status;
	const char *ctype;
	uint32_t retry_after;
	uint8_t out[PROBLEM_MAX > SIGNER_TOKEN_MAX ? PROBLEM_MAX : SIGNER_TOKEN_MAX];
	size_t outlen;
	char location[48];   /* 202: the approval's poll path */
	const uint8_t *body; /* the exact signed request (a parked approval keeps it) */
	size_t body_len;
	struct audit_record
	    rec; /* the committed row (have_rec): the co-signer's second row copies it */
	int have_rec;
};

/* What a worker learnt, for the audit row and the log line. */
struct outcome {
	const char *decision; /* allow, deny, approval, reject, error */
	enum metrics_decision metric;
	int err; /* the code behind a reject/error */
	char rule[64];
	char reason[160];
	struct tech_identity tech;
	int have_tech;
	struct token_request q;
	int have_q;
	uint8_t cti[SIGNER_CTI_LEN];
	int have_cti;
	int nonce_held; /* q.nonce is in the replay cache: the row keeps it */
};

static void set_problem(struct verdict *j, int status, const char *code, const char *detail,
                        const char *rule, uint32_t retry_after)
{
	struct problem p = {
	    .status = status,
	    .code = code,
	    .title = problem_title_for(status),
	    .detail = detail,
	    .rule = rule,
	    .request_id = j->request_id,
	    .retry_after = retry_after,
	};
	char generic[REFUSAL_DETAIL_MAX];

	/* Decoys, detectors, suspensions: the audit row keeps why, the requester hears nothing. */
	if (refusal_is_confidential(code, rule))
		refusal_make_generic(&p, j->d->cfg.refusal_contact, generic, sizeof(generic));
	j->status = p.status;
	j->ctype = PROBLEM_CONTENT_TYPE;
	j->retry_after = p.retry_after;
	if (problem_encode(&p, j->out, sizeof(j->out), &j->outlen) != 0) {
		/* Only an over-long detail can fail: drop it. */
		p.detail = NULL;
		if (problem_encode(&p, j->out, sizeof(j->out), &j->outlen) != 0)
			j->outlen = 0;
	}
}

/* Copies src into dst, truncated to cap - 1 bytes (audit fields are bounded). */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Returns 0, or the audit store's error (the token, if any, was withheld). */
static int audit_outcome(struct verdict *j, const struct outcome *o)
{
	struct decider *b = j->d;
	struct audit_record rec;
	int r;

	memset(&rec, 0, sizeof(rec));
	copy_str(rec.request_id, sizeof(rec.request_id), j->request_id);
	char ident[2 * IDENT_TEXT_MAX + 8];

	snprintf(ident, sizeof(ident), "CN=%s,OU=%s", j->device.cn, j->device.ou);
	copy_str(rec.client_identity, sizeof(rec.client_identity), ident);
	if (o->have_tech) {
		copy_str(rec.technician, sizeof(rec.technician), o->tech.id.cn);
		copy_str(rec.workshop, sizeof(rec.workshop), o->tech.id.ou);
	} else {
		copy_str(rec.workshop, sizeof(rec.workshop), j->device.ou);
	}
	if (o->have_q) {
		copy_str(rec.vin, sizeof(rec.vin), o->q.vin);
		copy_str(rec.op, sizeof(rec.op), o->q.op);
		/* what the requester said, under the row hash (docs/audit.md) */
		copy_str(rec.work_order, sizeof(rec.work_order), o->q.work_order);
		copy_str(rec.request_reason, sizeof(rec.request_reason), o->q.reason);
	}
	if (o->nonce_held) {
		/* persisted with the decision: the replay cache is re-loaded from it at start */
		_Static_assert(sizeof(rec.nonce) == sizeof(o->q.nonce), "nonce sizes");
		memcpy(rec.nonce, o->q.nonce, sizeof(rec.nonce));
		rec.has_nonce = 1;
	}
	copy_str(rec.decision, sizeof(rec.decision), o->decision);
	copy_str(rec.rule, sizeof(rec.rule), o->rule);
	copy_str(rec.reason, sizeof(rec.reason), o->reason);
	if (o->have_cti) {
		memcpy(rec.token_id, o->cti, sizeof(rec.token_id));
		rec.has_token_id = 1;
	}
	copy_str(rec.client_addr, sizeof(rec.client_addr), j->client_addr);
	if ((r = audit_append(b->audit, &rec, NULL)) == 0) {
		j->rec = rec;
		j->have_rec = 1;
	} else {
		pl_log_err("audit_append_failed", r, "request_id", j->request_id, NULL);
		if (o->have_cti) {
			/* The token must not leave without its row. */
			plt_wipe(j->out, sizeof(j->out));
			set_problem(j, 503, "audit_unavailable",
			            "the audit store could not commit the decision; no token was "
			            "issued. Retry later.",
			            NULL, HSM_RETRY_AFTER_S);
		}
	}
	return r;
}

static int replay_why(int r, char *why, size_t whylen)
{
	if (r == PL_E_SRV_REPLAY)
		snprintf(why, whylen,
		         "this request (its nonce) was already received; build a "
		         "new request with a fresh nonce");
	else if (r == PL_E_SRV_REPLAY_FULL)
		snprintf(why, whylen, "the broker remembers too many recent requests; retry later");
	return r;
}

/*
 * iat within the window, nonce not seen before; 0 or the failing code. Only
 * looks: the nonce is remembered by remember_nonce() once the request is
 * admitted, so requests refused by the policy or the limits take no room in
 * the replay cache (a refused request replayed is refused again).
 */
static int check_fresh(struct decider *b, const struct token_request *q, int64_t now, char *why,
                       size_t whylen)
{
	if (q->iat > now + (int64_t)b->cfg.request_window_s ||
	    q->iat < now - (int64_t)b->cfg.request_window_s) {
		snprintf(why, whylen,
		         "request iat %lld is %lld s away from the broker clock; at "
		         "most %u s are accepted (check the PC clock)",
		         (long long)q->iat, (long long)(q->iat - now), b->cfg.request_window_s);
		return PL_E_SRV_STALE;
	}
	if (q->iat < b->replay_floor) {
		/* The nonces of before the restart did not all fit back into the cache. */
		snprintf(why, whylen,
		         "this request was signed before the broker restarted and "
		         "could be a replay; build a new request");
		return PL_E_SRV_REPLAY;
	}
	return replay_why(replay_seen(b->replay, q->nonce, now), why, whylen);
}

/*
 * Remembers the nonce of an admitted request; a concurrent twin gets
 * PL_E_SRV_REPLAY. The audit row then keeps the nonce (nonce_held), from
 * which the replay cache is re-loaded at start.
 */
static int remember_nonce(struct decider *b, struct outcome *o, int64_t now, char *why,
                          size_t whylen)
{
	int r = replay_check_insert(b->replay, o->q.nonce, now,
	                            (o->q.iat > now ? o->q.iat : now) + b->cfg.request_window_s);

	if (r == 0)
		o->nonce_held = 1;
	return replay_why(r, why, whylen);
}

static void reject(struct verdict *j, struct outcome *o, int err, const char *why)
{
	int status = problem_status_for(err);

	o->decision = "reject";
	o->metric = err == PL_E_SRV_REQ_MALFORMED || err == PL_E_SRV_REQ_NOT_SIGN1 ||
	                    err == PL_E_SRV_REQ_NO_X5CHAIN || err == PL_E_SRV_REQ_FIELD ||
	                    err == PL_E_SRV_REQ_ALG
	                ? DEC_MALFORMED
	                : DEC_DENY_IDENTITY;
	o->err = err;
	copy_str(o->rule, sizeof(o->rule), pl_errname(err));
	copy_str(o->reason, sizeof(o->reason), why);
	set_problem(j, status, pl_errname(err), why, NULL, status == 429 ? 1 : 0);
}

static void fill_signer_request(struct verdict *j, const struct outcome *o,
                                const struct policy_decision *d, int64_t now,
                                struct signer_request *sr)
{
	memset(sr, 0, sizeof(*sr));
	copy_str(sr->vin, sizeof(sr->vin), o->q.vin);
	copy_str(sr->op, sizeof(sr->op), o->q.op);
	memcpy(sr->cnonce, o->q.cnonce, o->q.cnonce_len);
	sr->cnonce_len = o->q.cnonce_len;
	sr->ttl_s = d->ttl_s;
	sr->exi_s = d->exi_s;
	sr->iat = now;
	copy_str(sr->iss, sizeof(sr->iss), j->d->cfg.issuer);
	copy_str(sr->workshop, sizeof(sr->workshop),
	         d->workshop_id[0] != '\0' ? d->workshop_id : o->tech.id.ou);
	copy_str(sr->technician, sizeof(sr->technician),
	         d->technician_id[0] != '\0' ? d->technician_id : o->tech.id.cn);
	copy_str(sr->work_order, sizeof(sr->work_order), o->q.work_order);
	sr->policy_version = d->policy_version;
	/* a COSE_Sign the co-signer signs too, or a COSE_Sign1 the broker alone signs */
	sr->form = cosign_config_op(&j->d->cfg, o->q.op) ? SIGNER_FORM_SIGN : SIGNER_FORM_SIGN1;
}

/* The signer's refusals of a request (its hard limits); any other code is a fault. */
static int signer_refusal(int r)
{
	return (r <= PL_E_SIGNER_OP_UNKNOWN && r >= PL_E_SIGNER_FIELD) || r == PL_E_SIGNER_IAT;
}

/*
 * Abuse resistance after the policy, before the HSM (docs/abuse.md): returns 1
 * when it answered the request -- 429 rate_limited, 403 (suspended, breaker,
 * anomaly) or 202 parked for a second person -- else 0 (the policy's decision
 * goes on; a request the policy denied is only seen by the detectors).
 */
static int abuse_gate(struct verdict *j, struct outcome *o, const struct policy *pol,
                      const struct policy_decision *d, int64_t now_s)
{
	struct decider *b = j->d;
	char why[256];
	struct timespec ts;
	struct abuse_verdict v;
	struct abuse_approval ap;
	struct abuse_event ev = {
	    .technician = o->tech.id.cn,
	    .workshop = o->tech.id.ou,
	    .device = j->device.cn,
	    .client_addr = j->client_addr,
	    .vin = o->q.vin,
	    .op = o->q.op,
	    .d = d,
	};
	uint32_t expires = 900;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((r = decider_abuse_check(b, pol, &ev, j->request_id, &v)) != 0)
		goto fail;
	if (!d->allow || (v.kind == ABUSE_PASS && !d->need_approval))
		return 0;
	copy_str(o->rule, sizeof(o->rule), v.kind != ABUSE_PASS ? v.rule : d->rule);
	copy_str(o->reason, sizeof(o->reason), v.kind != ABUSE_PASS ? v.reason : d->reason);
	if (v.kind == ABUSE_LIMITED || v.kind == ABUSE_DENY) {
		o->decision = v.kind == ABUSE_LIMITED ? "limited" : "deny";
		o->metric = DEC_DENY_POLICY;
		set_problem(j, v.kind == ABUSE_LIMITED ? 429 : 403, v.code, v.reason, v.rule,
		            v.kind == ABUSE_LIMITED ? v.retry_after : 0);
		return 1;
	}
	memset(&ap, 0, sizeof(ap));
	ap.created_ms = ev.now_ms;
	(void)policy_approval_for(pol, o->q.op, NULL, &expires);
	ap.expires_ms = ev.now_ms + (int64_t)expires * 1000;
	copy_str(ap.rule, sizeof(ap.rule), o->rule);
	copy_str(ap.device_cn, sizeof(ap.device_cn), j->device.cn);
	copy_str(ap.device_ou, sizeof(ap.device_ou), j->device.ou);
	copy_str(ap.technician, sizeof(ap.technician), o->tech.id.cn);
	copy_str(ap.workshop, sizeof(ap.workshop), o->tech.id.ou);
	copy_str(ap.technician_id, sizeof(ap.technician_id),
	         d->technician_id[0] ? d->technician_id : o->tech.id.cn);
	copy_str(ap.workshop_id, sizeof(ap.workshop_id),
	         d->workshop_id[0] ? d->workshop_id : o->tech.id.ou);
	copy_str(ap.vin, sizeof(ap.vin), o->q.vin);
	copy_str(ap.op, sizeof(ap.op), o->q.op);
	memcpy(ap.cnonce, o->q.cnonce, o->q.cnonce_len);
	ap.cnonce_len = o->q.cnonce_len;
	ap.ttl_s = d->ttl_s;
	ap.exi_s = d->exi_s;
	ap.policy_version = d->policy_version;
	copy_str(ap.work_order, sizeof(ap.work_order), o->q.work_order);
	/* the exact signed request: its SHA-256 is what every decision on it signs (key 21) */
	ap.request = j->body;
	ap.request_len = j->body_len;
	if ((r = decision_request_hash(j->body, j->body_len, ap.request_sha256)) != 0)
		goto fail;
	ap.has_request_sha256 = 1;
	if ((r = remember_nonce(b, o, now_s, why, sizeof(why))) != 0) {
		reject(j, o, r, why);
		return 1;
	}
	if ((r = decider_abuse_park(b, &ap, j->out, sizeof(j->out), &j->outlen, j->location)) != 0)
		goto fail;
	o->decision = "approval";
	o->metric = DEC_DENY_APPROVAL;
	snprintf(o->reason, sizeof(o->reason), "approval %s pending", ap.id);
	j->status = 202;
	j->ctype = CBOR_CONTENT_TYPE;
	j->retry_after = 2;
	return 1;
fail:
	o->decision = "error";
	o->metric = DEC_ERROR;
	copy_str(o->rule, sizeof(o->rule), "abuse");
	copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
	set_problem(j, 503, "audit_unavailable",
	            "the broker's abuse-resistance state is "
	            "unavailable; no token was issued. Retry later.",
	            NULL, HSM_RETRY_AFTER_S);
	return 1;
}

/* Policy decision; on allow, the signer. Fills j and o. */
static void decide_and_sign(struct verdict *j, struct outcome *o, int64_t now)
{
	struct decider *b = j->d;
	struct policy *pol = policy_slot_get(b->policy);
	struct policy_request pr = {
	    .device_cn = j->device.cn,
	    .device_workshop = j->device.ou,
	    .technician_cn = o->tech.id.cn,
	    .technician_workshop = o->tech.id.ou,
	    .vin = o->q.vin,
	    .op = o->q.op,
	    .now = now,
	    .client_addr = j->client_addr,
	    .requested_ttl = o->q.ttl,
	};
	struct policy_decision d;
	struct signer_request sr;
	char why[256];
	int r;

	r = policy_decide(pol, &pr, &d);
	if (r == 0 && abuse_gate(j, o, pol, &d, now)) {
		policy_unref(pol);
		return;
	}
	policy_unref(pol);
	if (r != 0) {
		o->decision = "error";
		o->metric = DEC_ERROR;
		copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
		set_problem(j, 503, "policy_error", "the policy could not be evaluated", NULL, 1);
		return;
	}
	copy_str(o->rule, sizeof(o->rule), d.rule);
	copy_str(o->reason, sizeof(o->reason), d.reason);
	if (!d.allow) {
		o->decision = "deny";
		o->metric = DEC_DENY_POLICY;
		set_problem(j, 403, "policy_denied", d.reason, d.rule, 0);
		return;
	}
	if ((r = remember_nonce(b, o, now, why, sizeof(why))) != 0) {
		reject(j, o, r, why);
		return;
	}
	fill_signer_request(j, o, &d, now, &sr);
	r = decider_signer_issue(b, &sr, o->cti, j->out, sizeof(j->out), &j->outlen);
	plt_wipe(&sr, sizeof(sr));
	if (r == PL_E_SIGNER_UNAVAILABLE || r == PL_E_SIGNER_HSM || r == PL_E_SIGNER_SELF_VERIFY) {
		o->decision = "error";
		o->metric = DEC_ERROR;
		o->err = r;
		copy_str(o->rule, sizeof(o->rule), "hsm");
		copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
		set_problem(j, 503, "hsm_unavailable",
		            "the signing key is unavailable right now; "
		            "no token was issued. Retry later.",
		            NULL, HSM_RETRY_AFTER_S);
		return;
	}
	if (r != 0 && !signer_refusal(r)) {
		o->decision = "error";
		o->metric = DEC_ERROR;
		o->err = r;
		copy_str(o->rule, sizeof(o->rule), "signer");
		copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
		set_problem(j, 500, "internal", "the token could not be built; no token was issued",
		            NULL, 0);
		return;
	}
	if (r != 0) {
		o->decision = "deny";
		o->metric = DEC_DENY_POLICY;
		o->err = r;
		copy_str(o->rule, sizeof(o->rule), "signer_limits");
		copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
		set_problem(j, 403, "signer_refused", pl_strerror(r), "signer_limits", 0);
		return;
	}
	o->have_cti = 1;
	o->decision = "allow";
	o->metric = DEC_ALLOW;
	j->status = 201;
	j->ctype = CWT_CONTENT_TYPE;
}

static void log_outcome(struct verdict *j, const struct outcome *o)
{
	char status[8], cti[2 * SIGNER_CTI_LEN + 1] = "";

	snprintf(status, sizeof(status), "%d", j->status);
	if (o->have_cti && j->status == 201)
		pl_hex_encode(o->cti, SIGNER_CTI_LEN, cti, sizeof(cti));
	pl_log(j->status < 300 ? PL_LOG_INFO : PL_LOG_WARN,
	       j->kind == HANDOFF_DECISION   ? "approval_decision"
	       : j->kind == HANDOFF_APPROVAL ? "approval_poll"
	                                     : "token_request",
	       "request_id", j->request_id, "status", status, "decision", o->decision, "rule",
	       o->rule, "device", j->device.cn, "workshop", j->device.ou, "technician",
	       o->have_tech ? o->tech.id.cn : "", "vin", o->have_q ? o->q.vin : "", "op",
	       o->have_q ? o->q.op : "", "cti", cti, "reason", o->reason, "addr", j->client_addr,
	       NULL);
}

/* A request refused for its identity, freshness, the policy or the limits. */
static int is_refusal(const struct outcome *o)
{
	return o->decision != NULL &&
	       (strcmp(o->decision, "reject") == 0 || strcmp(o->decision, "deny") == 0 ||
	        strcmp(o->decision, "limited") == 0);
}

/*
 * Policy, signer, audit row, log line. A
 * refusal over its device's or technician's budget is counted into a summary
 * row instead (refusal_audit.c); allows, approvals and errors always get theirs.
 */
static void finish(struct verdict *j, struct outcome *o, int64_t now, int decide, int *audit_err)
{
	if (decide)
		decide_and_sign(j, o, now);
	*audit_err = 0;
	/* the technician's budget only once the request proved to be hers (signature) */
	if (is_refusal(o) && !decider_refusal_admit(
	                         j->d, j->device.cn, j->device.ou,
	                         o->have_tech && o->err != PL_E_SRV_TECH_SIG ? o->tech.id.cn : NULL,
	                         o->tech.id.ou, o->rule, now))
		return;
	*audit_err = audit_outcome(j, o) != 0;
	log_outcome(j, o);
}

/*
 * GET /v1/revoked, POST /v1/receipts whose device certificate (or receipt)
 * did not verify here: refused and logged; nothing is recorded.
 */
static void unsigned_refused(const struct vreq *h, struct token_answer *a)
{
	struct problem p = {
	    .status = problem_status_for(h->front_err),
	    .code = pl_errname(h->front_err),
	    .detail = h->reason,
	    .request_id = h->request_id,
	};
	size_t len = 0;

	p.title = problem_title_for(p.status);
	a->status = p.status;
	a->metric = DEC_COUNT;
	a->body_kind = ANSWER_PROBLEM;
	if (problem_encode(&p, a->body, sizeof(a->body), &len) != 0)
		len = 0;
	a->len = (uint32_t)len;
	pl_log(PL_LOG_WARN, h->kind == HANDOFF_RECEIPT ? "receipt_refused" : "revoked_refused",
	       "request_id", h->request_id, "err", pl_errname(h->front_err), "reason", h->reason,
	       "addr", h->client_addr, NULL);
}

void decider_decide(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	struct verdict *j = calloc(1, sizeof(*j));
	struct outcome o;
	char why[256] = "";
	int64_t now;
	int audit_err = 0, hsm, r;

	memset(a, 0, sizeof(*a));
	if (h->kind != HANDOFF_TOKEN && h->kind != HANDOFF_DECISION &&
	    h->kind != HANDOFF_APPROVAL) {
		free(j);
		if (h->front_err != 0)
			unsigned_refused(h, a);
		else
			decider_abuse_request(b, h, a);
		return;
	}
	if (j == NULL) {
		a->status = 503;
		a->metric = DEC_ERROR;
		return;
	}
	memset(&o, 0, sizeof(o));
	j->d = b;
	j->kind = h->kind;
	copy_str(j->request_id, sizeof(j->request_id), h->request_id);
	copy_str(j->device.cn, sizeof(j->device.cn), h->device_cn);
	copy_str(j->device.ou, sizeof(j->device.ou), h->device_ou);
	copy_str(j->client_addr, sizeof(j->client_addr), h->client_addr);
	j->body = h->body;
	j->body_len = h->body_len;
	if (h->have_tech) {
		o.have_tech = 1;
		copy_str(o.tech.id.cn, sizeof(o.tech.id.cn), h->tech_cn);
		copy_str(o.tech.id.ou, sizeof(o.tech.id.ou), h->tech_ou);
	}
	if (h->have_q) {
		o.have_q = 1;
		copy_str(o.q.vin, sizeof(o.q.vin), h->vin);
		copy_str(o.q.op, sizeof(o.q.op), h->op);
		o.q.cnonce_len = h->cnonce_len <= sizeof(o.q.cnonce) ? h->cnonce_len : 0;
		memcpy(o.q.cnonce, h->cnonce, o.q.cnonce_len);
		copy_str(o.q.work_order, sizeof(o.q.work_order), h->work_order);
		o.q.ttl = h->ttl;
		memcpy(o.q.nonce, h->nonce, sizeof(o.q.nonce));
		o.q.iat = h->iat;
		copy_str(o.q.reason, sizeof(o.q.reason), h->req_reason);
	}
	/* The decider's own clock decides (freshness, opening hours, iat of the token). */
	now = (int64_t)time(NULL);
	if (h->front_err != 0)
		reject(j, &o, h->front_err, h->reason);
	else if (!h->have_q || !h->have_tech)
		reject(j, &o, PL_E_SRV_REQ_MALFORMED,
		       "the front end handed over an incomplete "
		       "request");
	else if ((r = check_fresh(b, &o.q, now, why, sizeof(why))) != 0)
		reject(j, &o, r, why);
	/* Decisions and polls are admitted here; token requests after the policy. */
	if ((h->kind == HANDOFF_DECISION || h->kind == HANDOFF_APPROVAL) && o.decision == NULL &&
	    (r = remember_nonce(b, &o, now, why, sizeof(why))) != 0)
		reject(j, &o, r, why);
	if (h->kind == HANDOFF_DECISION && o.decision == NULL) {
		/* An approving technician, identified and fresh: broker/abuse decides. */
		decider_abuse_decision(b, h, a);
		goto out;
	}
	if (h->kind == HANDOFF_APPROVAL && o.decision == NULL) {
		/* The requesting technician, identified and fresh: broker/abuse answers. */
		decider_abuse_poll(b, h, a);
		goto out;
	}
	finish(j, &o, now, o.decision == NULL, &audit_err);
	hsm = o.metric == DEC_ERROR && strcmp(o.rule, "hsm") == 0;
	a->status = j->status;
	a->retry_after = j->retry_after;
	a->metric = (uint32_t)o.metric;
	a->body_kind = j->ctype == NULL                           ? ANSWER_PROBLEM
	               : strcmp(j->ctype, CWT_CONTENT_TYPE) == 0  ? ANSWER_TOKEN
	               : strcmp(j->ctype, CBOR_CONTENT_TYPE) == 0 ? ANSWER_CBOR
	                                                          : ANSWER_PROBLEM;
	copy_str(a->location, sizeof(a->location), j->location);
	a->hsm_error = (uint8_t)hsm;
	a->audit_error = (uint8_t)audit_err;
	a->len = (uint32_t)(j->outlen <= sizeof(a->body) ? j->outlen : 0);
	memcpy(a->body, j->out, a->len);
	if (h->kind == HANDOFF_DECISION || h->kind == HANDOFF_APPROVAL)
		a->metric = DEC_COUNT; /* a refused decision or poll is not a token decision */
	/* after the decision and its row: the co-signer's signature (cosign.c) */
	if (a->status == 201 && j->have_rec && cosign_config_op(&b->cfg, o.q.op))
		decider_cosign_submit(b, &j->rec, h->body, h->body_len, NULL, 0, NULL, a);
out:
	plt_wipe(&o, sizeof(o));
	plt_wipe(j->out, sizeof(j->out));
	free(j);
}
