/*
 * The front end's half of the request path (the decider's half is
 * broker/decider/pipeline.c):
 *
 *   loop thread:  copy body + TLS identity into a job, queue it
 *   worker:       decode -> technician certificate -> technician signature
 *                 -> same workshop -> handoff to the decider (PS_FD_DECIDE),
 *                 which decides, audits and logs -> its answer
 *   loop thread:  send the reply
 *
 * A request that fails a check here is handed over too (front_err), so that
 * the decider audits it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "front.h"
#include "identity.h"
#include "pitlane/token_openssl.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "problem.h"
#include "receipt.h"
#include "request.h"

#define CWT_CONTENT_TYPE "application/cwt"
#define CBOR_CONTENT_TYPE "application/cbor"
#define DECIDER_RETRY_AFTER_S 5

struct token_job {
	struct workq_item item;           /* first: the worker gets &item */
	struct front *f;
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
	uint8_t out[ANSWER_BODY_MAX];
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

/* What the checks here learnt, for the handoff. */
struct outcome {
	int err;                          /* the code of a reject (0: passed) */
	struct tech_identity tech;
	int have_tech;
	struct token_request q;
	int have_q;
};

static uint64_t elapsed_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000u +
	       (uint64_t)((t1.tv_nsec - t0->tv_nsec) / 1000);
}

static void set_problem(struct token_job *j, int status, const char *code, const char *detail,
			uint32_t retry_after)
{
	struct problem p = {
		.status = status, .code = code, .title = problem_title_for(status),
		.detail = detail, .request_id = j->request_id, .retry_after = retry_after,
	};

	j->status = p.status;
	j->ctype = PROBLEM_CONTENT_TYPE;
	j->retry_after = p.retry_after;
	if (problem_encode(&p, j->out, sizeof(j->out), &j->outlen) != 0)
		j->outlen = 0;
}

/* Copies src into dst, truncated to cap - 1 bytes (audit fields are bounded). */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Identity checks; fills o and returns 0 or the failing code. */
static int check_identity(struct token_job *j, struct outcome *o, int64_t now, char *why,
			  size_t whylen)
{
	struct front *b = j->f;
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
	/* The decider checks freshness (its replay cache outlives front-end restarts). */
	return 0;
}

/* A check failed: the decider audits and answers it (front_err). */
static void reject(struct outcome *o, int err)
{
	o->err = err;
}

static void reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct token_job *j = arg;
	struct front *b = j->f;
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

/* privsep front end: the decider decides, audits and logs; j gets its answer. */
static void handoff(struct token_job *j, const struct outcome *o, int decide, const char *why)
{
	struct front *b = j->f;
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
	if (front_decide(b, &h, &a) != 0 || a.len > sizeof(j->out)) {
		plt_wipe(&a, sizeof(a));
		metrics_decision(b->metrics, DEC_ERROR);
		set_problem(j, 503, "decider_unavailable", "the broker cannot decide right now; no "
			    "token was issued. Retry later.", DECIDER_RETRY_AFTER_S);
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
		reject(o, r);
		return 0;
	}
	if (strcmp(dec.approval_id, j->arg) != 0) {
		snprintf(why, whylen, "the signed approval id %.32s is not the one in the path "
			 "(%.32s); sign a decision for this approval", dec.approval_id, j->arg);
		reject(o, PL_E_SRV_REQ_FIELD);
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
		reject(o, r);
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
		reject(o, r);
		return 0;
	}
	if (strcmp(q.approval_id, j->arg) != 0) {
		snprintf(why, whylen, "the signed approval id %.32s is not the one in the path "
			 "(%.32s); sign a poll for this approval", q.approval_id, j->arg);
		reject(o, PL_E_SRV_REQ_FIELD);
		return 0;
	}
	memcpy(o->q.cert, q.cert, sizeof(o->q.cert));
	o->q.ncert = q.ncert;
	memcpy(o->q.nonce, q.nonce, sizeof(o->q.nonce));
	o->q.iat = q.iat;
	o->have_q = 1;
	if ((r = check_identity(j, o, now, why, whylen)) != 0) {
		reject(o, r);
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
	int r, decide = 0;

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
		reject(&o, r);
	} else {
		o.have_q = 1;
		if ((r = check_identity(j, &o, now, why, sizeof(why))) != 0)
			reject(&o, r);
		else
			decide = 1;
	}
	handoff(j, &o, decide, why);
	plt_wipe(&o, sizeof(o));
reply:
	if (event_base_once(j->f->base, -1, EV_TIMEOUT, reply_cb, j, NULL) != 0) {
		/* Cannot happen with a live base; the connection times out. */
		pl_log(PL_LOG_ERROR, "reply_lost", "request_id", j->request_id, NULL);
	}
}

static int body_submit(struct front *b, struct evhttp_request *req, const char *device_cn,
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
	j->f = b;
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

int front_token_submit(struct front *b, struct evhttp_request *req, const char *device_cn,
			const char *device_ou, const char *client_addr)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_TOKEN, "");
}

int front_decision_submit(struct front *b, struct evhttp_request *req, const char *device_cn,
			   const char *device_ou, const char *client_addr, const char *id)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_DECISION, id);
}

int front_poll_submit(struct front *b, struct evhttp_request *req, const char *device_cn,
		       const char *device_ou, const char *client_addr, const char *id)
{
	return body_submit(b, req, device_cn, device_ou, client_addr, HANDOFF_APPROVAL, id);
}

int front_aux_submit(struct front *b, struct evhttp_request *req, const char *device_cn,
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
	j->f = b;
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
