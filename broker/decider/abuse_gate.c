/*
 * The decider's abuse-resistance steps (docs/abuse.md): opening the engine,
 * the audit rows of alerts and officer actions, parking a request for a
 * second person (202), and the handoffs that are not token requests --
 * POST /v1/approvals/{id}/poll (the requesting technician's signed poll:
 * delivers the approved token, bound to the original challenge, after the
 * checks a new request would meet), POST /v1/approvals/{id} (an approving
 * technician decides),
 * GET /v1/revoked and POST /v1/receipts.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cosign.h"
#include "cosign_config.h"
#include "decider.h"
#include "decision.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"
#include "pl_log.h"
#include "pl_parse.h"
#include "problem.h"
#include "refusal.h"
#include "request.h"

#define APPROVAL_POLL_S 2
#define REVOKED_PAGE 30
#define ADMIN_SCAN_MS 1000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cpy(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int decider_abuse_open(struct decider *b, char *err, size_t errlen)
{
	struct policy *p;
	int r;

	if ((r = abuse_open(b->cfg.database, &b->abuse)) != 0) {
		snprintf(err, errlen, "abuse state in database %s: %s", b->cfg.database,
		         pl_strerror(r));
		return r;
	}
	p = policy_slot_get(b->policy);
	r = abuse_rebuild(b->abuse, p, now_ms());
	policy_unref(p);
	if (r != 0)
		snprintf(err, errlen, "rebuilding the rate-limit counts from %s: %s",
		         b->cfg.database, pl_strerror(r));
	return r;
}

/*
 * One audit row of the abuse machinery (alert, admin, approval, issued, receipt).
 * time_ms: when it took effect (an officer action), or 0 for now.
 */
static int audit_row_at(struct decider *b, int64_t time_ms, const char *request_id,
                        const char *client, const char *tech, const char *ws, const char *vin,
                        const char *op, const char *decision, const char *rule, const char *reason,
                        const uint8_t *cti, const char *addr)
{
	struct audit_record rec;
	int r;

	memset(&rec, 0, sizeof(rec));
	rec.time_ms = time_ms;
	cpy(rec.request_id, sizeof(rec.request_id), request_id);
	cpy(rec.client_identity, sizeof(rec.client_identity), client);
	cpy(rec.technician, sizeof(rec.technician), tech);
	cpy(rec.workshop, sizeof(rec.workshop), ws);
	cpy(rec.vin, sizeof(rec.vin), vin);
	cpy(rec.op, sizeof(rec.op), op);
	cpy(rec.decision, sizeof(rec.decision), decision);
	cpy(rec.rule, sizeof(rec.rule), rule);
	cpy(rec.reason, sizeof(rec.reason), reason);
	cpy(rec.client_addr, sizeof(rec.client_addr), addr);
	if (cti != NULL) {
		memcpy(rec.token_id, cti, sizeof(rec.token_id));
		rec.has_token_id = 1;
	}
	if ((r = audit_append(b->audit, &rec, NULL)) != 0) {
		pl_log_err("audit_append_failed", r, "request_id", request_id, "decision", decision,
		           NULL);
	}
	return r;
}

static int audit_row(struct decider *b, const char *request_id, const char *client,
                     const char *tech, const char *ws, const char *vin, const char *op,
                     const char *decision, const char *rule, const char *reason, const uint8_t *cti,
                     const char *addr)
{
	return audit_row_at(b, 0, request_id, client, tech, ws, vin, op, decision, rule, reason,
	                    cti, addr);
}

static int admin_row(void *ctx, const struct abuse_admin_action *x)
{
	struct decider *b = ctx;
	char reason[480], id[24];

	snprintf(reason, sizeof(reason), "%s %s by %s: %s", x->action, x->target, x->actor,
	         x->reason);
	snprintf(id, sizeof(id), "admin-%lld", (long long)x->seq);
	pl_log(PL_LOG_WARN, "officer_action", "action", x->action, "target", x->target, "actor",
	       x->actor, "reason", x->reason, NULL);
	/* The row carries when the officer acted, not when it was copied into the chain. */
	return audit_row_at(b, x->time_ms > 0 ? x->time_ms : 0, id, x->actor, "", "", "", "",
	                    "admin", x->action, reason, NULL, "");
}

/* Officer actions reach the audit chain: looked for at most once a second. */
static void audit_officer_actions(struct decider *b)
{
	long long t = now_ms(), last = atomic_load(&b->abuse_admin_ms);

	if (t - last < ADMIN_SCAN_MS ||
	    !atomic_compare_exchange_strong(&b->abuse_admin_ms, &last, t))
		return;
	if (abuse_audit_admin(b->abuse, admin_row, b) != 0)
		pl_log(PL_LOG_ERROR, "officer_actions_unaudited", "action",
		       "retried on the next "
		       "request",
		       NULL);
}

void decider_abuse_tick(struct decider *b)
{
	if (b != NULL)
		audit_officer_actions(b);
}

int decider_abuse_check(struct decider *b, const struct policy *p, const struct abuse_event *ev,
                        const char *request_id, struct abuse_verdict *v)
{
	char client[140];
	int r;

	audit_officer_actions(b);
	if ((r = abuse_check(b->abuse, p, ev, v)) != 0)
		return r;
	snprintf(client, sizeof(client), "CN=%s,OU=%s", ev->device, ev->workshop);
	for (size_t i = 0; i < v->nalerts; i++) {
		const struct abuse_alert *al = &v->alerts[i];
		char reason[400];

		snprintf(reason, sizeof(reason), "%s [%s, action %s]", al->evidence, al->subject,
		         al->action);
		pl_log(PL_LOG_WARN, "abuse_alert", "request_id", request_id, "rule", al->rule,
		       "detector", al->detector, "action", al->action, "subject", al->subject,
		       "evidence", al->evidence, NULL);
		audit_row(b, request_id, client, ev->technician, ev->workshop, ev->vin, ev->op,
		          "alert", al->rule, reason, NULL, ev->client_addr);
	}
	/* A suspension a detector just wrote is an officer action to audit now. */
	if (v->nalerts > 0) {
		atomic_store(&b->abuse_admin_ms, 0);
		audit_officer_actions(b);
	}
	return 0;
}

static void put_pending(struct plt_cbor_writer *w, const struct abuse_approval *ap,
                        const char *poll)
{
	plt_cbor_put_map(w, 5);
	plt_cbor_put_cstr(w, "approval-id");
	plt_cbor_put_cstr(w, ap->id);
	plt_cbor_put_cstr(w, "status");
	plt_cbor_put_cstr(w, "pending");
	plt_cbor_put_cstr(w, "expires");
	plt_cbor_put_uint(w, (uint64_t)(ap->expires_ms / 1000));
	plt_cbor_put_cstr(w, "rule");
	plt_cbor_put_cstr(w, refusal_rule_for_requester(ap->rule));
	plt_cbor_put_cstr(w, "poll");
	plt_cbor_put_cstr(w, poll);
}

int decider_abuse_park(struct decider *b, struct abuse_approval *ap, uint8_t *out, size_t cap,
                       size_t *len, char location[48])
{
	struct plt_cbor_writer w;
	char poll[64];
	int r;

	if ((r = abuse_approval_create(b->abuse, ap)) != 0)
		return r;
	/* Location names the approval; the requester polls its .../poll with a signed request. */
	snprintf(location, 48, "/v1/approvals/%s", ap->id);
	snprintf(poll, sizeof(poll), "/v1/approvals/%s/poll", ap->id);
	plt_cbor_writer_init(&w, out, cap);
	put_pending(&w, ap, poll);
	return plt_cbor_writer_finish(&w, len) == 0 ? 0 : PL_E_NOSPACE;
}

static void answer_problem(struct token_answer *a, int status, const char *code, const char *detail,
                           const char *rule, const char *request_id, uint32_t retry_after)
{
	struct problem p = {
	    .status = status,
	    .code = code,
	    .title = problem_title_for(status),
	    .detail = detail,
	    .rule = rule,
	    .request_id = request_id,
	    .retry_after = retry_after,
	};
	size_t len = 0;

	a->status = status;
	a->retry_after = retry_after;
	a->body_kind = ANSWER_PROBLEM;
	if (problem_encode(&p, a->body, sizeof(a->body), &len) != 0) {
		p.detail = NULL;
		if (problem_encode(&p, a->body, sizeof(a->body), &len) != 0)
			len = 0;
	}
	a->len = (uint32_t)len;
}

/*
 * answer_problem() for a refusal that may be one a suspect must not understand
 * (refusal.h): a decoy, a detector, a suspension becomes the generic refusal.
 */
static void answer_refusal(struct decider *b, struct token_answer *a, int status, const char *code,
                           const char *detail, const char *rule, const char *request_id)
{
	struct problem p = {.status = status, .code = code, .request_id = request_id};
	char generic[REFUSAL_DETAIL_MAX];

	if (!refusal_is_confidential(code, rule)) {
		answer_problem(a, status, code, detail, rule, request_id, status == 503 ? 5 : 0);
		return;
	}
	refusal_make_generic(&p, b->cfg.refusal_contact, generic, sizeof(generic));
	answer_problem(a, p.status, p.code, p.detail, p.rule, request_id, 0);
}

/* An approved token withheld: one audit row (decision "deny"), the answer, the log line. */
static void delivery_refused(struct decider *b, const struct vreq *h,
                             const struct abuse_approval *ap, struct token_answer *a, int status,
                             const char *code, const char *rule, const char *detail)
{
	char reason[400], st[8];

	snprintf(reason, sizeof(reason), "approval %s not delivered: %s", ap->id, detail);
	audit_row(b, h->request_id, h->device_cn, ap->technician, ap->workshop, ap->vin, ap->op,
	          "deny", rule != NULL && rule[0] ? rule : code, reason, NULL, h->client_addr);
	answer_refusal(b, a, status, code, detail, rule, h->request_id);
	snprintf(st, sizeof(st), "%d", status);
	pl_log(PL_LOG_WARN, "approval_delivery_refused", "request_id", h->request_id, "status", st,
	       "code", code, "rule", rule != NULL ? rule : "", "approval", ap->id, "technician",
	       ap->technician, "device", h->device_cn, "reason", detail, NULL);
}

/*
 * What a new request would meet now, before the token leaves: the policy
 * (reloads, suspensions in it, opening hours), then the officer suspensions
 * and open breakers of broker/abuse. The technician's certificate (chain,
 * CRL) was verified with the poll's signature. 1 when the token may leave;
 * else the refusal is answered and audited.
 */
static int still_admitted(struct decider *b, const struct vreq *h, const struct abuse_approval *ap,
                          struct token_answer *a)
{
	struct policy *p = policy_slot_get(b->policy);
	struct policy_request pr = {
	    .device_cn = ap->device_cn,
	    .device_workshop = ap->device_ou,
	    .technician_cn = ap->technician,
	    .technician_workshop = ap->workshop,
	    .vin = ap->vin,
	    .op = ap->op,
	    .now = now_ms() / 1000,
	    .requested_ttl = ap->ttl_s,
	};
	struct policy_decision d;
	struct abuse_verdict v;
	int r;

	if ((r = policy_decide(p, &pr, &d)) != 0 || !d.allow) {
		policy_unref(p);
		delivery_refused(b, h, ap, a, r ? 503 : 403, r ? "policy_error" : "policy_denied",
		                 r ? NULL : d.rule,
		                 r ? "the policy could not be evaluated" : d.reason);
		return 0;
	}
	r = abuse_delivery_check(b->abuse, p, ap, &d, &v);
	policy_unref(p);
	if (r != 0) {
		delivery_refused(b, h, ap, a, 503, "audit_unavailable", NULL,
		                 "the suspension list "
		                 "is unavailable; poll again");
		return 0;
	}
	if (v.kind != ABUSE_PASS) {
		delivery_refused(b, h, ap, a, 403, v.code, v.rule, v.reason);
		return 0;
	}
	return 1;
}

/*
 * The approval's signed decision, verified again from its stored bytes
 * (decision_check.c): 1 when it holds; else the token is withheld (403
 * approval_invalid, an audit row "deny", the log line).
 */
static int decision_still_valid(struct decider *b, const struct vreq *h,
                                const struct abuse_approval *ap, struct token_answer *a)
{
	char approver[ABUSE_ID_MAX], why[400] = "", detail[520];
	int r = decider_decision_recheck(b, ap, approver, sizeof(approver), why, sizeof(why));

	if (r == 0)
		return 1;
	if (r == PL_E_IO || r == PL_E_NOMEM) {
		delivery_refused(b, h, ap, a, 503, "audit_unavailable", NULL,
		                 "the approval store is unavailable; poll again");
		return 0;
	}
	snprintf(detail, sizeof(detail),
	         "%s [%s]; the token is withheld: an officer has to decide the approval anew, "
	         "or ask again",
	         why, pl_errname(r));
	delivery_refused(b, h, ap, a, 403, "approval_invalid", "approval_invalid", detail);
	return 0;
}

/* An approved request: re-check, sign with the original challenge, audit, deliver once. */
static void deliver(struct decider *b, const struct vreq *h, const struct abuse_approval *ap,
                    struct token_answer *a)
{
	struct signer_request sr;
	uint8_t cti[SIGNER_CTI_LEN];
	size_t len = 0;
	char reason[160];
	int r;

	if (!decision_still_valid(b, h, ap, a) || !still_admitted(b, h, ap, a))
		return;
	if ((r = abuse_approval_claim(b->abuse, ap->id)) != 0) {
		answer_problem(a, 410, "approval_consumed",
		               "the token of this approval was "
		               "already delivered",
		               NULL, h->request_id, 0);
		return;
	}
	memset(&sr, 0, sizeof(sr));
	cpy(sr.vin, sizeof(sr.vin), ap->vin);
	cpy(sr.op, sizeof(sr.op), ap->op);
	sr.cnonce_len = (uint8_t)(ap->cnonce_len <= sizeof(sr.cnonce) ? ap->cnonce_len : 0);
	memcpy(sr.cnonce, ap->cnonce, sr.cnonce_len);
	sr.ttl_s = ap->ttl_s;
	sr.exi_s = ap->exi_s;
	sr.iat = now_ms() / 1000;
	cpy(sr.iss, sizeof(sr.iss), b->cfg.issuer);
	cpy(sr.workshop, sizeof(sr.workshop), ap->workshop_id);
	cpy(sr.technician, sizeof(sr.technician), ap->technician_id);
	cpy(sr.work_order, sizeof(sr.work_order), ap->work_order);
	sr.policy_version = ap->policy_version;
	sr.form = cosign_config_op(&b->cfg, ap->op) ? SIGNER_FORM_SIGN : SIGNER_FORM_SIGN1;
	r = decider_signer_issue(b, &sr, cti, a->body, sizeof(a->body), &len);
	plt_wipe(&sr, sizeof(sr));
	if (r == 0) {
		snprintf(reason, sizeof(reason), "approval %s by %s delivered", ap->id,
		         ap->approver);
		r = audit_row(b, h->request_id, h->device_cn, ap->technician, ap->workshop, ap->vin,
		              ap->op, "issued", ap->rule, reason, cti, h->client_addr);
	}
	if (r != 0) {
		plt_wipe(a->body, sizeof(a->body));
		(void)abuse_approval_unclaim(b->abuse, ap->id);
		a->hsm_error =
		    r != PL_E_AUDIT_DB && r != PL_E_AUDIT_FULL && r != PL_E_AUDIT_READONLY;
		answer_problem(a, 503, a->hsm_error ? "hsm_unavailable" : "audit_unavailable",
		               "the approved token could not be issued right now; poll again", NULL,
		               h->request_id, 5);
		return;
	}
	a->status = 201;
	a->body_kind = ANSWER_TOKEN;
	a->len = (uint32_t)len;
	a->metric = DEC_ALLOW;
	if (cosign_config_op(&b->cfg, ap->op))
		decider_cosign_poll(b, h, ap, cti,
		                    a); /* the co-signer's signature (cosign_poll.c) */
}

/*
 * The approval a signed poll asks for, if it is the poller's: made from this
 * device (certificate CN and OU) by this technician (certificate CN and OU, as
 * verified with the poll's signature). Anyone else learns nothing (404); a
 * technician asking for someone else's approval is an audit row. 1 when found.
 */
static int polled_approval(struct decider *b, const struct vreq *h, const char *id,
                           struct abuse_approval *ap, struct token_answer *a)
{
	char reason[400], client[2 * HANDOFF_TEXT + 8];
	int r = abuse_approval_get(b->abuse, id, now_ms(), ap);

	if (r != 0 && r != PL_E_NOTFOUND) {
		answer_problem(a, 503, "audit_unavailable", "the approval store is unavailable",
		               NULL, h->request_id, 5);
		return 0;
	}
	if (r == 0 && strcmp(ap->device_cn, h->device_cn) == 0 &&
	    strcmp(ap->device_ou, h->device_ou) == 0 && strcmp(ap->technician, h->tech_cn) == 0 &&
	    strcmp(ap->workshop, h->tech_ou) == 0)
		return 1;
	if (r == 0) {
		snprintf(client, sizeof(client), "CN=%s,OU=%s", h->device_cn, h->device_ou);
		snprintf(reason, sizeof(reason),
		         "poll of approval %s by %s (device %s) refused: "
		         "made by %s on device %s",
		         id, h->tech_cn, h->device_cn, ap->technician, ap->device_cn);
		audit_row(b, h->request_id, client, h->tech_cn, h->tech_ou, ap->vin, ap->op, "deny",
		          "approval_not_found", reason, NULL, h->client_addr);
		pl_log(PL_LOG_WARN, "approval_poll_refused", "request_id", h->request_id,
		       "approval", id, "technician", h->tech_cn, "device", h->device_cn,
		       "requester", ap->technician, NULL);
	}
	answer_problem(a, 404, "approval_not_found",
	               "no such approval of this technician on "
	               "this device",
	               NULL, h->request_id, 0);
	return 0;
}

void decider_abuse_poll(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	struct abuse_approval ap;
	struct plt_cbor_writer w;
	char reason[160], poll[64], id[ABUSE_APPROVAL_ID_LEN + 1];
	size_t len = 0;

	memset(a, 0, sizeof(*a));
	a->metric = DEC_COUNT; /* not a token decision */
	/* ps_recv refuses unterminated strings; the id is bounded here again, ours to bound. */
	cpy(id, sizeof(id), h->approval_id);
	if (!polled_approval(b, h, id, &ap, a))
		return;
	switch (ap.state) {
	case ABUSE_APR_PENDING:
		snprintf(poll, sizeof(poll), "/v1/approvals/%s/poll", ap.id);
		plt_cbor_writer_init(&w, a->body, sizeof(a->body));
		put_pending(&w, &ap, poll);
		if (plt_cbor_writer_finish(&w, &len) != 0)
			len = 0;
		a->status = 202;
		a->retry_after = APPROVAL_POLL_S;
		a->body_kind = ANSWER_CBOR;
		a->len = (uint32_t)len;
		snprintf(a->location, sizeof(a->location), "/v1/approvals/%s", ap.id);
		return;
	case ABUSE_APR_APPROVED:
		deliver(b, h, &ap, a);
		return;
	case ABUSE_APR_DENIED:
		answer_problem(a, 403, "approval_denied",
		               ap.decision_reason[0] ? ap.decision_reason
		                                     : "the approver denied the request",
		               refusal_rule_for_requester(ap.rule), h->request_id, 0);
		return;
	case ABUSE_APR_ISSUED:
		answer_problem(a, 410, "approval_consumed",
		               "the token of this approval was "
		               "already delivered",
		               NULL, h->request_id, 0);
		return;
	default:
		if (abuse_approval_expire(b->abuse, ap.id) == 0) {
			snprintf(reason, sizeof(reason), "approval %s expired undecided", ap.id);
			audit_row(b, h->request_id, h->device_cn, ap.technician, ap.workshop,
			          ap.vin, ap.op, "expired", ap.rule, reason, NULL, h->client_addr);
		}
		answer_problem(a, 410, "approval_expired",
		               "nobody decided in time; ask again "
		               "with a new challenge",
		               refusal_rule_for_requester(ap.rule), h->request_id, 0);
		return;
	}
}

static void put_cti(void *ctx, const uint8_t cti[ABUSE_CTI_LEN])
{
	plt_cbor_put_bstr(ctx, cti, ABUSE_CTI_LEN);
}

static void count_cti(void *ctx, const uint8_t cti[ABUSE_CTI_LEN])
{
	(void)cti;
	(*(size_t *)ctx)++;
}

static void revoked(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	struct plt_cbor_writer w;
	uint64_t after = 0, last = 0, last2 = 0;
	size_t n = 0, len = 0;
	int more = 0, r;

	if (h->reason[0] != '\0' && pl_parse_u64(h->reason, 0, INT64_MAX, &after) != 0) {
		answer_problem(a, 400, "bad_request_field",
		               "after= must be a revocation serial "
		               "(a decimal number)",
		               NULL, h->request_id, 0);
		return;
	}
	/* Two passes over the same page: the array header needs its length first. */
	if ((r = abuse_revoked(b->abuse, after, REVOKED_PAGE, count_cti, &n, &last, &more)) != 0) {
		answer_problem(a, 503, "audit_unavailable", "the revocation list is unavailable",
		               NULL, h->request_id, 5);
		return;
	}
	plt_cbor_writer_init(&w, a->body, sizeof(a->body));
	plt_cbor_put_map(&w, 3);
	plt_cbor_put_cstr(&w, "serial");
	plt_cbor_put_uint(&w, last);
	plt_cbor_put_cstr(&w, "more");
	plt_cbor_put_bool(&w, more);
	plt_cbor_put_cstr(&w, "revoked");
	plt_cbor_put_array(&w, n);
	if (abuse_revoked(b->abuse, after, n > 0 ? n : 1, n > 0 ? put_cti : NULL, &w, &last2,
	                  NULL) != 0 ||
	    plt_cbor_writer_finish(&w, &len) != 0 || (n > 0 && last2 != last)) {
		answer_problem(a, 503, "audit_unavailable",
		               "the revocation list changed while it "
		               "was read; retry",
		               NULL, h->request_id, 1);
		return;
	}
	a->status = 200;
	a->body_kind = ANSWER_CBOR;
	a->len = (uint32_t)len;
}

static void receipt(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	struct policy *p = policy_slot_get(b->policy);
	struct abuse_verdict v;
	char reason[400], cti_hex[33] = "", client[140];
	int failure = (h->ttl & 0x100) != 0;

	if (h->cnonce_len == 16)
		pl_hex_encode(h->cnonce, 16, cti_hex, sizeof(cti_hex));
	if (h->ttl & 0x200)
		snprintf(reason, sizeof(reason), "ECU %s nrc 0x%02x%s%s",
		         failure ? "failure" : "ok", h->ttl & 0xff, cti_hex[0] ? " cti " : "",
		         cti_hex);
	else
		snprintf(reason, sizeof(reason), "ECU %s%s%s", failure ? "failure" : "ok",
		         cti_hex[0] ? " cti " : "", cti_hex);
	snprintf(client, sizeof(client), "CN=%s,OU=%s", h->device_cn, h->device_ou);
	/* A receipt names the token it reports on (its cti), so the row joins the issuing row. */
	if (audit_row(b, h->request_id, client, "", h->device_ou, h->vin, h->op, "receipt",
	              "receipts", reason, h->cnonce_len == 16 ? h->cnonce : NULL,
	              h->client_addr) != 0) {
		policy_unref(p);
		answer_problem(a, 503, "audit_unavailable",
		               "the receipt could not be recorded; "
		               "retry",
		               NULL, h->request_id, 5);
		return;
	}
	if (abuse_receipt(b->abuse, p, now_ms(), h->device_ou, h->device_cn, failure, &v) == 0) {
		for (size_t i = 0; i < v.nalerts; i++) {
			snprintf(reason, sizeof(reason), "%s [%s, action %s]", v.alerts[i].evidence,
			         v.alerts[i].subject, v.alerts[i].action);
			pl_log(PL_LOG_WARN, "abuse_alert", "request_id", h->request_id, "rule",
			       v.alerts[i].rule, "detector", v.alerts[i].detector, "subject",
			       v.alerts[i].subject, "evidence", v.alerts[i].evidence, NULL);
			audit_row(b, h->request_id, client, "", h->device_ou, h->vin, h->op,
			          "alert", v.alerts[i].rule, reason, NULL, h->client_addr);
		}
	}
	policy_unref(p);
	a->status = 204;
	a->body_kind = ANSWER_CBOR;
	a->len = 0;
}

/* ---- POST /v1/approvals/{id}: an approving technician decides --------------- */

static const char *const state_words[] = {"pending", "approved", "denied", "issued", "expired"};

static const char *state_word(int state)
{
	return state >= 0 && state <= ABUSE_APR_EXPIRED ? state_words[state] : "unknown";
}

static const char *decision_word(const struct vreq *h)
{
	return h->approve == REQ_DECISION_APPROVE ? "approve"
	       : h->approve == REQ_DECISION_SHOW  ? "show"
	                                          : "deny";
}

/* The technician's device and card as the audit rows name them. */
struct decider_view {
	const struct vreq *h;
	char id[ABUSE_APPROVAL_ID_LEN + 1];
	char client[2 * HANDOFF_TEXT + 8];
	const struct abuse_approval *ap; /* NULL until found */
};

/* A refused decision: one audit row (decision "deny", rule = the code), the answer, the log. */
static void decision_refused(struct decider *b, const struct decider_view *dv,
                             struct token_answer *a, int status, const char *code, const char *rule,
                             const char *detail)
{
	const struct vreq *h = dv->h;
	char reason[400], st[8];

	snprintf(reason, sizeof(reason), "%s of approval %s by %s refused: %s", decision_word(h),
	         dv->id, h->tech_cn, detail);
	audit_row(b, h->request_id, dv->client, h->tech_cn, h->tech_ou,
	          dv->ap != NULL ? dv->ap->vin : "", dv->ap != NULL ? dv->ap->op : "", "deny", code,
	          reason, NULL, h->client_addr);
	answer_refusal(b, a, status, code, detail, rule, h->request_id);
	snprintf(st, sizeof(st), "%d", status);
	pl_log(PL_LOG_WARN, "approval_decision", "request_id", h->request_id, "status", st, "code",
	       code, "approval", dv->id, "decision", decision_word(h), "technician", h->tech_cn,
	       "device", h->device_cn, "reason", detail, NULL);
}

/* The approval as it is now: found, pending, unexpired; else the answer is given (0). */
static int decision_target(struct decider *b, struct decider_view *dv, struct abuse_approval *ap,
                           struct token_answer *a)
{
	const struct vreq *h = dv->h;
	char detail[200], reason[160];
	int r = abuse_approval_get(b->abuse, dv->id, now_ms(), ap);

	if (r == PL_E_NOTFOUND) {
		snprintf(detail, sizeof(detail),
		         "no approval %s: check the id the requester "
		         "was shown",
		         dv->id);
		decision_refused(b, dv, a, 404, "approval_not_found", NULL, detail);
		return 0;
	}
	if (r != 0) {
		decision_refused(b, dv, a, 503, "audit_unavailable", NULL,
		                 "the approval store is "
		                 "unavailable; retry");
		return 0;
	}
	dv->ap = ap;
	if (ap->state == ABUSE_APR_EXPIRED) {
		/* The first to notice records the expiry (as a poll does). */
		if (abuse_approval_expire(b->abuse, ap->id) == 0) {
			snprintf(reason, sizeof(reason), "approval %s expired undecided", ap->id);
			audit_row(b, h->request_id, dv->client, ap->technician, ap->workshop,
			          ap->vin, ap->op, "expired", ap->rule, reason, NULL,
			          h->client_addr);
		}
		snprintf(detail, sizeof(detail),
		         "approval %s expired undecided; the requester has "
		         "to ask again",
		         ap->id);
		decision_refused(b, dv, a, 410, "approval_expired", ap->rule, detail);
		return 0;
	}
	if (ap->state != ABUSE_APR_PENDING) {
		snprintf(detail, sizeof(detail), "approval %s is already %s%s%s", ap->id,
		         state_word(ap->state), ap->approver[0] ? " by " : "", ap->approver);
		decision_refused(b, dv, a, 409, "approval_not_pending", ap->rule, detail);
		return 0;
	}
	return 1;
}

static const char *approver_code(int verdict)
{
	switch (verdict) {
	case ABUSE_APPROVER_DISABLED:
		return "technician_approval_disabled";
	case ABUSE_APPROVER_SELF:
		return "self_approval";
	case ABUSE_APPROVER_SUSPENDED:
		return "suspended";
	default:
		return "approver_role_missing";
	}
}

/*
 * 200: {"approval-id", "status", "op", "vin", "technician", "workshop", "approver"};
 * for a "show" also "work-order", "expires" (UNIX seconds) and "request-sha256"
 * (the SHA-256 of the requester's signed request: key 21 of a decision on it).
 */
static void decision_done(const struct abuse_approval *ap, const char *status, const char *approver,
                          int show, struct token_answer *a)
{
	struct plt_cbor_writer w;
	size_t len = 0;

	int hash = show && ap->has_request_sha256;

	plt_cbor_writer_init(&w, a->body, sizeof(a->body));
	plt_cbor_put_map(&w, (show ? 9 : 7) + (size_t)hash);
	if (show) {
		plt_cbor_put_cstr(&w, "work-order");
		plt_cbor_put_cstr(&w, ap->work_order);
		plt_cbor_put_cstr(&w, "expires");
		plt_cbor_put_uint(&w, ap->expires_ms > 0 ? (uint64_t)ap->expires_ms / 1000 : 0);
	}
	if (hash) {
		/* what the approver's decision must carry as key 21 */
		plt_cbor_put_cstr(&w, "request-sha256");
		plt_cbor_put_bstr(&w, ap->request_sha256, sizeof(ap->request_sha256));
	}
	plt_cbor_put_cstr(&w, "approval-id");
	plt_cbor_put_cstr(&w, ap->id);
	plt_cbor_put_cstr(&w, "status");
	plt_cbor_put_cstr(&w, status);
	plt_cbor_put_cstr(&w, "op");
	plt_cbor_put_cstr(&w, ap->op);
	plt_cbor_put_cstr(&w, "vin");
	plt_cbor_put_cstr(&w, ap->vin);
	plt_cbor_put_cstr(&w, "technician");
	plt_cbor_put_cstr(&w, ap->technician);
	plt_cbor_put_cstr(&w, "workshop");
	plt_cbor_put_cstr(&w, ap->workshop);
	plt_cbor_put_cstr(&w, "approver");
	plt_cbor_put_cstr(&w, approver);
	if (plt_cbor_writer_finish(&w, &len) != 0)
		len = 0;
	a->status = 200;
	a->body_kind = ANSWER_CBOR;
	a->len = (uint32_t)len;
}

/* A suspended PC decides nothing, whoever's card is in it; else the answer is given (0). */
static int decision_device_ok(struct decider *b, const struct decider_view *dv,
                              struct token_answer *a)
{
	struct abuse_verdict v;
	int r = abuse_device_suspended(b->abuse, dv->h->device_cn, &v);

	if (r < 0)
		decision_refused(b, dv, a, 503, "audit_unavailable", NULL,
		                 "the suspension list "
		                 "is unavailable; retry");
	else if (r > 0)
		decision_refused(b, dv, a, 403, v.code, v.rule, v.reason);
	return r == 0;
}

/*
 * An approve or deny must be about this approval's request: key 21 is the
 * SHA-256 of the request the approval keeps (decision.h); else the answer is
 * given (0): 403 request_hash_mismatch.
 */
static int decision_bound(struct decider *b, const struct decider_view *dv,
                          const struct abuse_approval *ap, struct token_answer *a)
{
	const struct vreq *h = dv->h;
	struct decision_binding bind = {
	    .approval_id = ap->id,
	    .request_hash = ap->has_request_sha256 ? ap->request_sha256 : NULL,
	};
	struct approval_decision d;
	char why[256] = "";
	int r;

	if (h->body == NULL) {
		/* the handoff always carries it; without it there is nothing to keep */
		decision_refused(b, dv, a, 400, "malformed_request", NULL, "no signed decision");
		return 0;
	}
	if ((r = decision_check_binding(h->body, h->body_len, &bind, &d, why, sizeof(why))) == 0)
		return 1;
	decision_refused(b, dv, a, problem_status_for(r), pl_errname(r), NULL, why);
	return 0;
}

void decider_abuse_decision(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	struct decider_view dv = {.h = h};
	struct abuse_approval ap;
	struct abuse_approver who;
	struct abuse_decision dec = {0};
	struct policy *p;
	char actor[ABUSE_ID_MAX], note[240], detail[200];
	int r;

	memset(a, 0, sizeof(*a));
	a->metric = DEC_COUNT; /* not a token decision */
	/* ps_recv refuses unterminated strings; the id is bounded here again, ours to bound. */
	cpy(dv.id, sizeof(dv.id), h->approval_id);
	snprintf(dv.client, sizeof(dv.client), "CN=%s,OU=%s", h->device_cn, h->device_ou);
	if (!decision_target(b, &dv, &ap, a))
		return;
	if (!decision_device_ok(b, &dv, a))
		return;
	p = policy_slot_get(b->policy);
	r = abuse_approver_check(b->abuse, p, &ap, h->tech_cn, h->tech_ou, &who);
	policy_unref(p);
	if (r != 0) {
		decision_refused(b, &dv, a, 503, "audit_unavailable", NULL,
		                 "the suspension list "
		                 "is unavailable; retry");
		return;
	}
	if (who.verdict != ABUSE_APPROVER_OK) {
		decision_refused(b, &dv, a, 403, approver_code(who.verdict), who.rule, who.reason);
		return;
	}
	if (h->approve == REQ_DECISION_SHOW) {
		/* One who may decide may look first; looking changes nothing (log line, no row). */
		decision_done(&ap, "pending", "", 1, a);
		pl_log(PL_LOG_INFO, "approval_shown", "request_id", h->request_id, "approval",
		       ap.id, "technician", h->tech_cn, "device", h->device_cn, "op", ap.op, "vin",
		       ap.vin, "requester", ap.technician, NULL);
		return;
	}
	if (h->approve != REQ_DECISION_APPROVE && h->approve != REQ_DECISION_DENY) {
		decision_refused(b, &dv, a, 400, "malformed_request", NULL, "unknown decision");
		return;
	}
	if (!decision_bound(b, &dv, &ap, a))
		return;
	/* The officer-action row names the technician and the way it came (actor "api:<id>"). */
	snprintf(actor, sizeof(actor), "api:%.58s", who.id);
	snprintf(note, sizeof(note), "device %.63s%s%.160s", h->device_cn, h->reason[0] ? ": " : "",
	         h->reason);
	dec.id = ap.id;
	dec.approve = h->approve == REQ_DECISION_APPROVE;
	dec.approver = who.id;
	dec.actor = actor;
	dec.reason = h->reason;
	dec.note = note;
	dec.now_ms = now_ms();
	dec.signed_decision = h->body; /* kept byte for byte: verified again at delivery */
	dec.signed_decision_len = h->body_len;
	r = abuse_approval_decide(b->abuse, &dec);
	if (r == PL_E_EXISTS) {
		/* Decided or expired between the look and the write. */
		if (decision_target(b, &dv, &ap, a)) {
			snprintf(detail, sizeof(detail), "approval %s changed meanwhile; retry",
			         ap.id);
			decision_refused(b, &dv, a, 409, "approval_not_pending", ap.rule, detail);
		}
		return;
	}
	if (r != 0) {
		decision_refused(b, &dv, a, 503, "audit_unavailable", NULL,
		                 "the decision could not "
		                 "be recorded; retry");
		return;
	}
	/* The admin row reaches the audit chain before the answer leaves. */
	atomic_store(&b->abuse_admin_ms, 0);
	audit_officer_actions(b);
	decision_done(&ap, dec.approve ? "approved" : "denied", who.id, 0, a);
	pl_log(PL_LOG_INFO, "approval_decision", "request_id", h->request_id, "status", "200",
	       "approval", ap.id, "decision", decision_word(h), "technician", h->tech_cn, "device",
	       h->device_cn, "op", ap.op, "vin", ap.vin, "requester", ap.technician, NULL);
}

void decider_abuse_request(struct decider *b, const struct vreq *h, struct token_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->metric = DEC_COUNT; /* not a token decision */
	switch (h->kind) {
	case HANDOFF_REVOKED:
		revoked(b, h, a);
		break;
	case HANDOFF_RECEIPT:
		receipt(b, h, a);
		break;
	default:
		answer_problem(a, 400, "malformed_request", "unknown request kind", NULL,
		               h->request_id, 0);
		break;
	}
}
