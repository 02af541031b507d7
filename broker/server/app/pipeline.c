/*
 * POST /v1/token: the request pipeline.
 *
 *   loop thread:  copy body + TLS identity into a job, queue it
 *   worker:       decode -> technician certificate -> technician signature
 *                 -> same workshop -> fresh iat -> unseen nonce -> policy
 *                 -> signer (token built and signed in the HSM, kept here)
 *                 -> audit row committed (with the token id)
 *   loop thread:  send the reply (the token only if its row is committed)
 *
 * POST /v1/approvals/{id} (an approving technician's signed decision) and
 * POST /v1/approvals/{id}/poll (the requesting technician's signed poll) take
 * the same way up to the freshness check, then broker/abuse answers.
 *
 * Every request that reached a worker is audited (allow, deny, reject, error),
 * with the device identity from TLS and, once known, the technician.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "broker.h"
#include "identity.h"
#include "pitlane/token_openssl.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"
#include "pl_log.h"
#include "problem.h"
#include "receipt.h"
#include "refusal.h"
#include "request.h"

#define CWT_CONTENT_TYPE "application/cwt"
#define CBOR_CONTENT_TYPE "application/cbor"
#define HSM_RETRY_AFTER_S 5

struct token_job {
	struct workq_item item;           /* first: the worker gets &item */
	struct broker *b;
	struct evhttp_request *req;
	struct cert_identity device;
	char client_addr[64];
	char request_id[40];
	uint8_t *body;
	size_t len;
	struct timespec t0;
	/* the outcome */
	int status;
	const char *ctype;
	uint32_t retry_after;
	uint8_t out[PROBLEM_MAX > SIGNER_TOKEN_MAX ? PROBLEM_MAX : SIGNER_TOKEN_MAX];
	size_t outlen;
	char location[48];                /* 202: the approval's poll path */
	/* not a token request (enum handoff_kind): its argument and receipt */
	int kind;
	char arg[256];
	struct receipt rc;
	/* HANDOFF_DECISION: what the approving technician signed */
	uint8_t approve;
	char note[256];                   /* its reason (at most REQ_REASON_MAX - 1 bytes) */
};

/* What a worker learnt, for the audit row and the log line. */
struct outcome {
	const char *decision;             /* allow, deny, approval, reject, error */
	enum metrics_decision metric;
	int err;                          /* the code behind a reject/error */
	char rule[64];
	char reason[160];
	struct tech_identity tech;
	int have_tech;
	struct token_request q;
	int have_q;
	uint8_t cti[SIGNER_CTI_LEN];
	int have_cti;
	int nonce_held;                   /* q.nonce is in the replay cache: the row keeps it */
};

static uint64_t elapsed_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000u +
	       (uint64_t)((t1.tv_nsec - t0->tv_nsec) / 1000);
}

static void set_problem(struct token_job *j, int status, const char *code, const char *detail,
			const char *rule, uint32_t retry_after)
{
	struct problem p = {
		.status = status, .code = code, .title = problem_title_for(status),
		.detail = detail, .rule = rule, .request_id = j->request_id,
		.retry_after = retry_after,
	};
	char generic[REFUSAL_DETAIL_MAX];

	/* Decoys, detectors, suspensions: the audit row keeps why, the requester hears nothing. */
	if (refusal_is_confidential(code, rule))
		refusal_make_generic(&p, j->b->cfg.refusal_contact, generic, sizeof(generic));
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
static int audit_outcome(struct token_job *j, const struct outcome *o)
{
	struct broker *b = j->b;
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
	if ((r = audit_append(b->audit, &rec, NULL)) != 0) {
		metrics_audit_error(b->metrics);
		pl_log_err("audit_append_failed", r, "request_id", j->request_id, NULL);
		if (o->have_cti) {
			/* The token must not leave without its row. */
			plt_wipe(j->out, sizeof(j->out));
			set_problem(j, 503, "audit_unavailable",
				    "the audit store could not commit the decision; no token was "
				    "issued. Retry later.", NULL, HSM_RETRY_AFTER_S);
		}
	}
	return r;
}

static int replay_why(int r, char *why, size_t whylen)
{
	if (r == PL_E_SRV_REPLAY)
		snprintf(why, whylen, "this request (its nonce) was already received; build a "
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
static int check_fresh(struct broker *b, const struct token_request *q, int64_t now, char *why,
		       size_t whylen)
{
	if (q->iat > now + (int64_t)b->cfg.request_window_s ||
	    q->iat < now - (int64_t)b->cfg.request_window_s) {
		snprintf(why, whylen, "request iat %lld is %lld s away from the broker clock; at "
			 "most %u s are accepted (check the PC clock)", (long long)q->iat,
			 (long long)(q->iat - now), b->cfg.request_window_s);
		return PL_E_SRV_STALE;
	}
	if (q->iat < b->replay_floor) {
		/* The nonces of before the restart did not all fit back into the cache. */
		snprintf(why, whylen, "this request was signed before the broker restarted and "
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
static int remember_nonce(struct broker *b, struct outcome *o, int64_t now, char *why,
			  size_t whylen)
{
	int r = replay_check_insert(b->replay, o->q.nonce, now,
				    (o->q.iat > now ? o->q.iat : now) + b->cfg.request_window_s);

	if (r == 0)
		o->nonce_held = 1;
	return replay_why(r, why, whylen);
}

/* Identity and freshness checks; fills o and returns 0 or the failing code. */
static int check_identity(struct token_job *j, struct outcome *o, int64_t now, char *why,
			  size_t whylen)
{
	struct broker *b = j->b;
	struct plt_crypto crypto;
	int r;

	if ((r = techid_verify(b->store, o->q.cert, o->q.ncert, now, &o->tech, why, whylen)) != 0)
		return r;
	o->have_tech = 1;
	techid_crypto(b->store, &crypto);
	if (plt_cose_sign1_verify(j->body, j->len, NULL, 0, o->tech.pub, &crypto) != 0) {
		snprintf(why, whylen, "the COSE_Sign1 signature does not verify under the key of "
			 "technician certificate CN=%s", o->tech.id.cn);
		return PL_E_SRV_TECH_SIG;
	}
	if (strcmp(o->tech.id.ou, j->device.ou) != 0) {
		snprintf(why, whylen, "technician %s belongs to workshop %s but this PC belongs to "
			 "workshop %s", o->tech.id.cn, o->tech.id.ou, j->device.ou);
		return PL_E_SRV_WORKSHOP_MISMATCH;
	}
	/* privsep: the decider checks freshness (its replay cache outlives front-end restarts). */
	if (b->decide != NULL)
		return 0;
	return check_fresh(b, &o->q, now, why, whylen);
}

static void reject(struct token_job *j, struct outcome *o, int err, const char *why)
{
	int status = problem_status_for(err);

	o->decision = "reject";
	o->metric = err == PL_E_SRV_REQ_MALFORMED || err == PL_E_SRV_REQ_NOT_SIGN1 ||
		    err == PL_E_SRV_REQ_NO_X5CHAIN || err == PL_E_SRV_REQ_FIELD ||
		    err == PL_E_SRV_REQ_ALG ? DEC_MALFORMED : DEC_DENY_IDENTITY;
	o->err = err;
	copy_str(o->rule, sizeof(o->rule), pl_errname(err));
	copy_str(o->reason, sizeof(o->reason), why);
	set_problem(j, status, pl_errname(err), why, NULL, status == 429 ? 1 : 0);
}

static void fill_signer_request(struct token_job *j, const struct outcome *o,
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
	copy_str(sr->iss, sizeof(sr->iss), j->b->cfg.issuer);
	copy_str(sr->workshop, sizeof(sr->workshop),
		 d->workshop_id[0] != '\0' ? d->workshop_id : o->tech.id.ou);
	copy_str(sr->technician, sizeof(sr->technician),
		 d->technician_id[0] != '\0' ? d->technician_id : o->tech.id.cn);
	copy_str(sr->work_order, sizeof(sr->work_order), o->q.work_order);
	sr->policy_version = d->policy_version;
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
static int abuse_gate(struct token_job *j, struct outcome *o, const struct policy *pol,
		      const struct policy_decision *d, int64_t now_s)
{
	struct broker *b = j->b;
	char why[256];
	struct timespec ts;
	struct abuse_verdict v;
	struct abuse_approval ap;
	struct abuse_event ev = {
		.technician = o->tech.id.cn, .workshop = o->tech.id.ou, .device = j->device.cn,
		.client_addr = j->client_addr, .vin = o->q.vin, .op = o->q.op, .d = d,
	};
	uint32_t expires = 900;
	int r;

	if (b->abuse == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ev.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((r = broker_abuse_check(b, pol, &ev, j->request_id, &v)) != 0)
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
	if ((r = remember_nonce(b, o, now_s, why, sizeof(why))) != 0) {
		reject(j, o, r, why);
		return 1;
	}
	if ((r = broker_abuse_park(b, &ap, j->out, sizeof(j->out), &j->outlen, j->location)) != 0)
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
	set_problem(j, 503, "audit_unavailable", "the broker's abuse-resistance state is "
		    "unavailable; no token was issued. Retry later.", NULL, HSM_RETRY_AFTER_S);
	return 1;
}

/* Policy decision; on allow, the signer. Fills j and o. */
static void decide_and_sign(struct token_job *j, struct outcome *o, int64_t now)
{
	struct broker *b = j->b;
	struct policy *pol = policy_slot_get(b->policy);
	struct policy_request pr = {
		.device_cn = j->device.cn, .device_workshop = j->device.ou,
		.technician_cn = o->tech.id.cn, .technician_workshop = o->tech.id.ou,
		.vin = o->q.vin, .op = o->q.op, .now = now, .client_addr = j->client_addr,
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
	if (d.need_approval) {
		o->decision = "approval";
		o->metric = DEC_DENY_APPROVAL;
		set_problem(j, 403, "approval_required",
			    "this operation needs a second person's approval, which this broker "
			    "version cannot take yet", d.rule, 0);
		return;
	}
	if ((r = remember_nonce(b, o, now, why, sizeof(why))) != 0) {
		reject(j, o, r, why);
		return;
	}
	fill_signer_request(j, o, &d, now, &sr);
	r = broker_signer_issue(b, &sr, o->cti, j->out, sizeof(j->out), &j->outlen);
	plt_wipe(&sr, sizeof(sr));
	if (r == PL_E_SIGNER_UNAVAILABLE || r == PL_E_SIGNER_HSM || r == PL_E_SIGNER_SELF_VERIFY) {
		metrics_hsm_error(b->metrics);
		o->decision = "error";
		o->metric = DEC_ERROR;
		o->err = r;
		copy_str(o->rule, sizeof(o->rule), "hsm");
		copy_str(o->reason, sizeof(o->reason), pl_strerror(r));
		set_problem(j, 503, "hsm_unavailable", "the signing key is unavailable right now; "
			    "no token was issued. Retry later.", NULL, HSM_RETRY_AFTER_S);
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

static void log_outcome(struct token_job *j, const struct outcome *o)
{
	char status[8], cti[2 * SIGNER_CTI_LEN + 1] = "";

	snprintf(status, sizeof(status), "%d", j->status);
	if (o->have_cti && j->status == 201)
		pl_hex_encode(o->cti, SIGNER_CTI_LEN, cti, sizeof(cti));
	pl_log(j->status < 300 ? PL_LOG_INFO : PL_LOG_WARN,
	       j->kind == HANDOFF_DECISION ? "approval_decision" :
	       j->kind == HANDOFF_APPROVAL ? "approval_poll" : "token_request",
	       "request_id", j->request_id, "status", status, "decision", o->decision,
	       "rule", o->rule, "device", j->device.cn, "workshop", j->device.ou,
	       "technician", o->have_tech ? o->tech.id.cn : "", "vin", o->have_q ? o->q.vin : "",
	       "op", o->have_q ? o->q.op : "", "cti", cti, "reason", o->reason,
	       "addr", j->client_addr, NULL);
}

static void reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct token_job *j = arg;
	struct broker *b = j->b;
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(j->req);
	char ra[16];

	evhttp_add_header(h, "Content-Type", j->ctype);
	evhttp_add_header(h, "X-Request-Id", j->request_id);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (j->retry_after != 0) {
		snprintf(ra, sizeof(ra), "%u", j->retry_after);
		evhttp_add_header(h, "Retry-After", ra);
	}
	if (j->location[0] != '\0')
		evhttp_add_header(h, "Location", j->location);
	if (buf != NULL)
		evbuffer_add(buf, j->out, j->outlen);
	evhttp_send_reply(j->req, j->status, NULL, buf);
	if (buf != NULL)
		evbuffer_free(buf);
	metrics_request(b->metrics, j->kind == HANDOFF_TOKEN ? EP_TOKEN : EP_OTHER, j->status);
	if (j->kind == HANDOFF_TOKEN)
		metrics_latency(b->metrics, elapsed_us(&j->t0));
	plt_wipe(j->out, sizeof(j->out));
	free(j->body);
	free(j);
	atomic_fetch_sub(&b->inflight, 1);
}

/* A request refused for its identity, freshness, the policy or the limits. */
static int is_refusal(const struct outcome *o)
{
	return o->decision != NULL &&
	       (strcmp(o->decision, "reject") == 0 || strcmp(o->decision, "deny") == 0 ||
		strcmp(o->decision, "limited") == 0);
}

/*
 * Policy, signer, audit row, log line: in this process or in the decider. A
 * refusal over its device's or technician's budget is counted into a summary
 * row instead (refusal_audit.c); allows, approvals and errors always get theirs.
 */
static void finish(struct token_job *j, struct outcome *o, int64_t now, int decide,
		   int *audit_err)
{
	if (decide)
		decide_and_sign(j, o, now);
	if (j->kind == HANDOFF_TOKEN)
		metrics_decision(j->b->metrics, o->metric);
	*audit_err = 0;
	/* the technician's budget only once the request proved to be hers (signature) */
	if (is_refusal(o) &&
	    !broker_refusal_admit(j->b, j->device.cn, j->device.ou,
				  o->have_tech && o->err != PL_E_SRV_TECH_SIG ? o->tech.id.cn : NULL,
				  o->tech.id.ou, o->rule, now))
		return;
	*audit_err = audit_outcome(j, o) != 0;
	log_outcome(j, o);
}

/* privsep front end: the decider decides, audits and logs; j gets its answer. */
static void handoff(struct token_job *j, const struct outcome *o, int decide, const char *why)
{
	struct broker *b = j->b;
	struct token_handoff h;
	struct token_answer a;

	memset(&h, 0, sizeof(h));
	copy_str(h.request_id, sizeof(h.request_id), j->request_id);
	copy_str(h.device_cn, sizeof(h.device_cn), j->device.cn);
	copy_str(h.device_ou, sizeof(h.device_ou), j->device.ou);
	copy_str(h.client_addr, sizeof(h.client_addr), j->client_addr);
	h.front_err = decide ? 0 : o->err;
	copy_str(h.reason, sizeof(h.reason), why);
	h.have_tech = (uint8_t)o->have_tech;
	h.have_q = (uint8_t)o->have_q;
	if (o->have_tech) {
		copy_str(h.tech_cn, sizeof(h.tech_cn), o->tech.id.cn);
		copy_str(h.tech_ou, sizeof(h.tech_ou), o->tech.id.ou);
	}
	if (o->have_q) {
		copy_str(h.vin, sizeof(h.vin), o->q.vin);
		copy_str(h.op, sizeof(h.op), o->q.op);
		memcpy(h.cnonce, o->q.cnonce, o->q.cnonce_len);
		h.cnonce_len = o->q.cnonce_len;
		copy_str(h.work_order, sizeof(h.work_order), o->q.work_order);
		h.ttl = o->q.ttl;
		memcpy(h.nonce, o->q.nonce, sizeof(h.nonce));
		h.iat = o->q.iat;
		_Static_assert(sizeof(h.req_reason) >= sizeof(o->q.reason), "the reason fits");
		copy_str(h.req_reason, sizeof(h.req_reason), o->q.reason);
	}
	h.kind = (uint8_t)j->kind;
	if (j->kind == HANDOFF_DECISION || j->kind == HANDOFF_APPROVAL) {
		copy_str(h.approval_id, sizeof(h.approval_id), j->arg);
		h.approve = j->approve;
		if (decide)
			copy_str(h.reason, sizeof(h.reason), j->note);
	} else if (j->kind != HANDOFF_TOKEN) {
		copy_str(h.reason, sizeof(h.reason), j->arg);
		copy_str(h.vin, sizeof(h.vin), j->rc.vin);
		copy_str(h.op, sizeof(h.op), j->rc.op);
		h.ttl = (j->rc.failure ? 0x100u : 0) | (j->rc.has_nrc ? 0x200u | j->rc.nrc : 0);
		if (j->rc.has_cti) {
			memcpy(h.cnonce, j->rc.cti, sizeof(j->rc.cti));
			h.cnonce_len = sizeof(j->rc.cti);
		}
	}
	memset(&a, 0, sizeof(a));
	if (b->decide == NULL)
		broker_token_decide(b, &h, &a);   /* not privilege-separated */
	if ((b->decide != NULL && b->decide(b, &h, &a) != 0) || a.len > sizeof(j->out)) {
		plt_wipe(&a, sizeof(a));
		metrics_decision(b->metrics, DEC_ERROR);
		set_problem(j, 503, "decider_unavailable", "the broker cannot decide right now; no "
			    "token was issued. Retry later.", NULL, HSM_RETRY_AFTER_S);
		pl_log(PL_LOG_WARN, "token_request", "request_id", j->request_id, "status", "503",
		       "decision", "error", "reason", "the decider process is unavailable", NULL);
		return;
	}
	if (a.metric < DEC_COUNT)
		metrics_decision(b->metrics, (enum metrics_decision)a.metric);
	if (a.hsm_error)
		metrics_hsm_error(b->metrics);
	if (a.audit_error)
		metrics_audit_error(b->metrics);
	j->status = a.status;
	j->retry_after = a.retry_after;
	j->ctype = a.body_kind == ANSWER_TOKEN ? CWT_CONTENT_TYPE :
		   a.body_kind == ANSWER_CBOR ? CBOR_CONTENT_TYPE : PROBLEM_CONTENT_TYPE;
	copy_str(j->location, sizeof(j->location), a.location);
	memcpy(j->out, a.body, a.len);
	j->outlen = a.len;
	plt_wipe(&a, sizeof(a));
}

void broker_token_decide(struct broker *b, const struct token_handoff *h, struct token_answer *a)
{
	struct token_job *j = calloc(1, sizeof(*j));
	struct outcome o;
	char why[256] = "";
	int64_t now;
	int audit_err = 0, hsm, r;

	memset(a, 0, sizeof(*a));
	if (h->kind != HANDOFF_TOKEN && h->kind != HANDOFF_DECISION &&
	    h->kind != HANDOFF_APPROVAL) {
		free(j);
		broker_abuse_request(b, h, a);
		return;
	}
	if (j == NULL) {
		a->status = 503;
		a->metric = DEC_ERROR;
		return;
	}
	memset(&o, 0, sizeof(o));
	j->b = b;
	j->kind = h->kind;
	copy_str(j->request_id, sizeof(j->request_id), h->request_id);
	copy_str(j->device.cn, sizeof(j->device.cn), h->device_cn);
	copy_str(j->device.ou, sizeof(j->device.ou), h->device_ou);
	copy_str(j->client_addr, sizeof(j->client_addr), h->client_addr);
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
		reject(j, &o, PL_E_SRV_REQ_MALFORMED, "the front end handed over an incomplete "
		       "request");
	else if (b->fresh_in_decider && (r = check_fresh(b, &o.q, now, why, sizeof(why))) != 0)
		reject(j, &o, r, why);
	/* Decisions and polls are admitted here; token requests after the policy. */
	if ((h->kind == HANDOFF_DECISION || h->kind == HANDOFF_APPROVAL) && o.decision == NULL &&
	    (r = remember_nonce(b, &o, now, why, sizeof(why))) != 0)
		reject(j, &o, r, why);
	if (h->kind == HANDOFF_DECISION && o.decision == NULL) {
		/* An approving technician, identified and fresh: broker/abuse decides. */
		broker_abuse_decision(b, h, a);
		goto out;
	}
	if (h->kind == HANDOFF_APPROVAL && o.decision == NULL) {
		/* The requesting technician, identified and fresh: broker/abuse answers. */
		broker_abuse_poll(b, h, a);
		goto out;
	}
	finish(j, &o, now, o.decision == NULL, &audit_err);
	hsm = o.metric == DEC_ERROR && strcmp(o.rule, "hsm") == 0;
	a->status = j->status;
	a->retry_after = j->retry_after;
	a->metric = (uint32_t)o.metric;
	a->body_kind = j->ctype == NULL ? ANSWER_PROBLEM :
		       strcmp(j->ctype, CWT_CONTENT_TYPE) == 0 ? ANSWER_TOKEN :
		       strcmp(j->ctype, CBOR_CONTENT_TYPE) == 0 ? ANSWER_CBOR : ANSWER_PROBLEM;
	copy_str(a->location, sizeof(a->location), j->location);
	a->hsm_error = (uint8_t)hsm;
	a->audit_error = (uint8_t)audit_err;
	a->len = (uint32_t)(j->outlen <= sizeof(a->body) ? j->outlen : 0);
	memcpy(a->body, j->out, a->len);
	if (h->kind == HANDOFF_DECISION || h->kind == HANDOFF_APPROVAL)
		a->metric = DEC_COUNT;  /* a refused decision or poll is not a token decision */
out:
	plt_wipe(&o, sizeof(o));
	plt_wipe(j->out, sizeof(j->out));
	free(j);
}

/*
 * POST /v1/approvals/{id}: the decision body decoded, then the same checks as
 * a token request (check_identity: technician certificate, signature, same
 * workshop; freshness here or in the decider). 1 when they passed; else o is
 * a reject with its sentence in why.
 */
static int decision_check(struct token_job *j, struct outcome *o, int64_t now, char *why,
			  size_t whylen)
{
	struct approval_decision dec;
	size_t off = 0;
	int r;

	if ((r = request_decode_decision(j->body, j->len, &dec, &off, why, whylen)) != 0) {
		reject(j, o, r, why);
		return 0;
	}
	if (strcmp(dec.approval_id, j->arg) != 0) {
		snprintf(why, whylen, "the signed approval id %.32s is not the one in the path "
			 "(%.32s); sign a decision for this approval", dec.approval_id, j->arg);
		reject(j, o, PL_E_SRV_REQ_FIELD, why);
		return 0;
	}
	memcpy(o->q.cert, dec.cert, sizeof(o->q.cert));
	o->q.ncert = dec.ncert;
	memcpy(o->q.nonce, dec.nonce, sizeof(o->q.nonce));
	o->q.iat = dec.iat;
	o->have_q = 1;
	j->approve = (uint8_t)dec.approve;
	_Static_assert(sizeof(j->note) >= sizeof(dec.reason), "the reason fits");
	memcpy(j->note, dec.reason, sizeof(dec.reason));  /* NUL-terminated by the decoder */
	if ((r = check_identity(j, o, now, why, whylen)) != 0) {
		reject(j, o, r, why);
		return 0;
	}
	return 1;
}

/*
 * POST /v1/approvals/{id}/poll: the poll body decoded, then the same checks as
 * a token request (check_identity). 1 when they passed; else o is a reject
 * with its sentence in why.
 */
static int poll_check(struct token_job *j, struct outcome *o, int64_t now, char *why,
		      size_t whylen)
{
	struct approval_poll q;
	size_t off = 0;
	int r;

	if ((r = request_decode_poll(j->body, j->len, &q, &off, why, whylen)) != 0) {
		reject(j, o, r, why);
		return 0;
	}
	if (strcmp(q.approval_id, j->arg) != 0) {
		snprintf(why, whylen, "the signed approval id %.32s is not the one in the path "
			 "(%.32s); sign a poll for this approval", q.approval_id, j->arg);
		reject(j, o, PL_E_SRV_REQ_FIELD, why);
		return 0;
	}
	memcpy(o->q.cert, q.cert, sizeof(o->q.cert));
	o->q.ncert = q.ncert;
	memcpy(o->q.nonce, q.nonce, sizeof(o->q.nonce));
	o->q.iat = q.iat;
	o->have_q = 1;
	if ((r = check_identity(j, o, now, why, whylen)) != 0) {
		reject(j, o, r, why);
		return 0;
	}
	return 1;
}

static void job_run(struct workq_item *it)
{
	struct token_job *j = (struct token_job *)(void *)it;
	struct outcome o;
	char why[256] = "";
	size_t off = 0;
	int64_t now = (int64_t)time(NULL);
	int r, decide = 0, audit_err;

	memset(&o, 0, sizeof(o));
	if (j->kind == HANDOFF_DECISION || j->kind == HANDOFF_APPROVAL) {
		/* Always through the decider's code, which audits a reject as well. */
		handoff(j, &o, j->kind == HANDOFF_DECISION ?
			decision_check(j, &o, now, why, sizeof(why)) :
			poll_check(j, &o, now, why, sizeof(why)), why);
		plt_wipe(&o, sizeof(o));
		goto reply;
	}
	if (j->kind != HANDOFF_TOKEN) {
		handoff(j, &o, 1, "");  /* revoked ids, receipt: the decider answers */
		goto reply;
	}
	if ((r = request_decode(j->body, j->len, &o.q, &off, why, sizeof(why))) != 0) {
		reject(j, &o, r, why);
	} else {
		o.have_q = 1;
		if ((r = check_identity(j, &o, now, why, sizeof(why))) != 0)
			reject(j, &o, r, why);
		else
			decide = 1;
	}
	if (j->b->decide != NULL) {
		handoff(j, &o, decide, why);
	} else {
		finish(j, &o, now, decide, &audit_err);
	}
	plt_wipe(&o, sizeof(o));
reply:
	if (event_base_once(j->b->base, -1, EV_TIMEOUT, reply_cb, j, NULL) != 0) {
		/* Cannot happen with a live base; the connection times out. */
		pl_log(PL_LOG_ERROR, "reply_lost", "request_id", j->request_id, NULL);
	}
}

static int body_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
		       const char *device_ou, const char *client_addr, int kind, const char *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct token_job *j;
	uint8_t rid[16];
	int r;

	if (len > b->cfg.max_body)
		return PL_E_TOOBIG;
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->body = malloc(len ? len : 1)) == NULL) {
		free(j);
		return PL_E_NOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->item.fn = job_run;
	j->b = b;
	j->req = req;
	j->len = len;
	j->kind = kind;
	copy_str(j->arg, sizeof(j->arg), arg);
	if (evbuffer_remove(in, j->body, len) != (int)len) {
		r = PL_E_IO;
		goto fail;
	}
	copy_str(j->device.cn, sizeof(j->device.cn), device_cn);
	copy_str(j->device.ou, sizeof(j->device.ou), device_ou);
	copy_str(j->client_addr, sizeof(j->client_addr), client_addr);
	if (getrandom(rid, sizeof(rid), 0) != (ssize_t)sizeof(rid)) {
		r = PL_E_IO;
		goto fail;
	}
	pl_hex_encode(rid, sizeof(rid), j->request_id, sizeof(j->request_id));
	atomic_fetch_add(&b->inflight, 1);
	if ((r = workq_push(b->wq, &j->item)) != 0) {
		atomic_fetch_sub(&b->inflight, 1);
		goto fail;
	}
	return 0;
fail:
	free(j->body);
	free(j);
	return r;
}

int broker_token_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
			const char *device_ou, const char *client_addr)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_TOKEN, "");
}

int broker_decision_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
			   const char *device_ou, const char *client_addr, const char *id)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_DECISION, id);
}

int broker_poll_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
		       const char *device_ou, const char *client_addr, const char *id)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_APPROVAL, id);
}

int broker_aux_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
		      const char *device_ou, const char *client_addr, int kind, const char *arg,
		      const struct receipt *rc)
{
	struct token_job *j;
	uint8_t rid[16];
	int r;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return PL_E_NOMEM;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->item.fn = job_run;
	j->b = b;
	j->req = req;
	j->kind = kind;
	copy_str(j->arg, sizeof(j->arg), arg);
	if (rc != NULL)
		j->rc = *rc;
	copy_str(j->device.cn, sizeof(j->device.cn), device_cn);
	copy_str(j->device.ou, sizeof(j->device.ou), device_ou);
	copy_str(j->client_addr, sizeof(j->client_addr), client_addr);
	if (getrandom(rid, sizeof(rid), 0) != (ssize_t)sizeof(rid)) {
		free(j);
		return PL_E_IO;
	}
	pl_hex_encode(rid, sizeof(rid), j->request_id, sizeof(j->request_id));
	atomic_fetch_add(&b->inflight, 1);
	if ((r = workq_push(b->wq, &j->item)) != 0) {
		atomic_fetch_sub(&b->inflight, 1);
		free(j);
	}
	return r;
}
