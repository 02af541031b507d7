/*
 * The front end's half of the request path (the decider's half is
 * broker/decider/pipeline.c):
 *
 *   loop thread:  copy the body and the TLS peer's certificates into a job,
 *                 structural checks (size, CBOR shape, the path's approval id)
 *                 -> the body and certificates, as received, to the decider
 *                 at once (PS_FD_*, ps_front.c), which authenticates,
 *                 decides, audits and logs
 *   loop thread:  when its answer arrives, send it
 *
 * Nothing here authenticates anybody: the technician's certificate and
 * signature and the device's certificate are verified by the decider. A
 * request that fails a structural check is handed over too (front_err), so
 * that the decider audits it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "cosign_config.h"
#include "front.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "problem.h"
#include "ps_msg.h"
#include "request.h"
#include "tls.h"

#define CWT_CONTENT_TYPE "application/cwt"
#define CBOR_CONTENT_TYPE "application/cbor"
#define DECIDER_RETRY_AFTER_S 5

struct token_job {
	struct front *f;
	struct evhttp_request *req;
	char client_addr[HANDOFF_TEXT];
	char request_id[40];
	int kind;              /* enum handoff_kind */
	char arg[FD_ARG_MAX];  /* the path's approval id, or after= */
	uint8_t *tail;         /* the body, then the peer's certificates (DER) */
	size_t len, certs_len; /* body bytes, certificate bytes */
	struct timespec t0;
	/* the outcome */
	int status;
	const char *ctype;
	uint32_t retry_after;
	uint8_t out[ANSWER_BODY_MAX];
	size_t outlen;
	char location[48]; /* 202: the approval's poll path */
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
	    .status = status,
	    .code = code,
	    .title = problem_title_for(status),
	    .detail = detail,
	    .request_id = j->request_id,
	    .retry_after = retry_after,
	};

	j->status = p.status;
	j->ctype = PROBLEM_CONTENT_TYPE;
	j->retry_after = p.retry_after;
	if (problem_encode(&p, j->out, sizeof(j->out), &j->outlen) != 0)
		j->outlen = 0;
}

/* Copies src into dst, truncated to cap - 1 bytes. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
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
	free(j->tail);
	free(j);
	atomic_fetch_sub(&b->inflight, 1);
}

/*
 * The structural checks of the body: 0, or the code with its sentence in why
 * (the decider audits the refusal). The decider decodes the body again and
 * verifies what it says; these only spare it requests that cannot be.
 * *cosigned: the decider may wait for the co-signer on it: a token request
 * for an operation in cosigned_operations, or (a co-signer configured) any
 * approval poll, whose approved request's operation the body does not name.
 */
static int shape_check(const struct token_job *j, char *why, size_t whylen, int *cosigned)
{
	struct token_request q;
	struct approval_decision dec;
	struct approval_poll pq;
	const char *signed_id = NULL;
	size_t off = 0;
	int r = 0;

	*cosigned = 0;
	switch (j->kind) {
	case HANDOFF_TOKEN:
		r = request_decode(j->tail, j->len, &q, &off, why, whylen);
		if (r == 0)
			*cosigned = cosign_config_op(&j->f->cfg, q.op);
		plt_wipe(&q, sizeof(q));
		return r;
	case HANDOFF_DECISION:
		if ((r = request_decode_decision(j->tail, j->len, &dec, &off, why, whylen)) == 0)
			signed_id = dec.approval_id;
		break;
	case HANDOFF_APPROVAL:
		if ((r = request_decode_poll(j->tail, j->len, &pq, &off, why, whylen)) == 0)
			signed_id = pq.approval_id;
		*cosigned = j->f->cfg.cosigner_url[0] != '\0';
		break;
	default:
		return 0; /* a receipt was decoded on the loop thread; revoked has no body */
	}
	if (r == 0 && strcmp(signed_id, j->arg) != 0) {
		snprintf(why, whylen,
		         "the signed approval id %.32s is not the one in the path "
		         "(%.32s); sign a %s for this approval",
		         signed_id, j->arg, j->kind == HANDOFF_DECISION ? "decision" : "poll");
		r = PL_E_SRV_REQ_FIELD;
	}
	return r;
}

static uint32_t fd_type(int kind)
{
	switch (kind) {
	case HANDOFF_DECISION:
		return PS_FD_DECISION;
	case HANDOFF_APPROVAL:
		return PS_FD_POLL;
	case HANDOFF_REVOKED:
		return PS_FD_REVOKED;
	case HANDOFF_RECEIPT:
		return PS_FD_RECEIPT;
	default:
		return PS_FD_TOKEN;
	}
}

/* The decider's answer to j (a), or none (err): the reply goes out now. */
static void answered(void *arg, int err, struct token_answer *a)
{
	struct token_job *j = arg;
	struct front *b = j->f;

	if (err != 0 || a == NULL || a->len > sizeof(j->out)) {
		metrics_decision(b->metrics, DEC_ERROR);
		set_problem(j, 503, "decider_unavailable",
		            "the broker cannot decide right now; no "
		            "token was issued. Retry later.",
		            DECIDER_RETRY_AFTER_S);
		pl_log(PL_LOG_WARN, "token_request", "request_id", j->request_id, "status", "503",
		       "decision", "error", "reason", "the decider process is unavailable", NULL);
		reply_cb(-1, 0, j);
		return;
	}
	if (a->metric < DEC_COUNT)
		metrics_decision(b->metrics, (enum metrics_decision)a->metric);
	if (a->hsm_error)
		metrics_hsm_error(b->metrics);
	if (a->audit_error)
		metrics_audit_error(b->metrics);
	j->status = a->status;
	j->retry_after = a->retry_after;
	j->ctype = a->body_kind == ANSWER_TOKEN  ? CWT_CONTENT_TYPE
	           : a->body_kind == ANSWER_CBOR ? CBOR_CONTENT_TYPE
	                                         : PROBLEM_CONTENT_TYPE;
	copy_str(j->location, sizeof(j->location), a->location);
	memcpy(j->out, a->body, a->len);
	j->outlen = a->len;
	reply_cb(-1, 0, j);
}

/*
 * On the loop thread: the structural checks, then the body and certificates
 * to the decider, which authenticates, decides, audits and logs; j is
 * answered by answered(). Errors: PL_E_SRV_BUSY (nothing sent, j not used).
 */
static int handoff(struct token_job *j)
{
	struct front *b = j->f;
	struct fd_request q;
	char why[256] = "";
	int cosigned, front_err = shape_check(j, why, sizeof(why), &cosigned), r;

	memset(&q, 0, sizeof(q));
	copy_str(q.request_id, sizeof(q.request_id), j->request_id);
	copy_str(q.client_addr, sizeof(q.client_addr), j->client_addr);
	q.front_err = front_err;
	copy_str(q.reason, sizeof(q.reason), front_err != 0 ? why : "");
	copy_str(q.arg, sizeof(q.arg), j->arg);
	q.body_len = (uint32_t)j->len;
	q.cert_len = (uint32_t)j->certs_len;
	r = front_decide(b, fd_type(j->kind), &q, j->tail, cosigned, answered, j);
	if (r == PL_E_SRV_BUSY)
		return r;
	if (r != 0)
		answered(j, r, NULL);
	return 0;
}

/* The TLS peer's certificates (DER); none on the admin listener. */
static int peer_certs(struct evhttp_request *req, uint8_t *buf, size_t cap, size_t *len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	*len = 0;
	return ssl != NULL ? tls_peer_der(ssl, buf, cap, len) : 0;
}

/*
 * Queues a job for req: body (len bytes, may be NULL when the request has
 * none or it is taken from the input buffer) and the peer's certificates.
 */
static int job_submit(struct front *b, struct evhttp_request *req, const char *client_addr,
                      int kind, const char *arg, const uint8_t *body, size_t len, int from_input)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct token_job *j;
	uint8_t rid[16];
	int r;

	if (from_input)
		len = evbuffer_get_length(in);
	if (len > b->cfg.max_body || len > FD_BODY_MAX)
		return PL_E_TOOBIG;
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->tail = malloc(len + FD_CERTS_MAX)) == NULL) {
		free(j);
		return PL_E_NOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->f = b;
	j->req = req;
	j->len = len;
	j->kind = kind;
	copy_str(j->arg, sizeof(j->arg), arg);
	copy_str(j->client_addr, sizeof(j->client_addr), client_addr);
	if (from_input && evbuffer_remove(in, j->tail, len) != (int)len) {
		r = PL_E_IO;
		goto fail;
	}
	if (!from_input && len > 0)
		memcpy(j->tail, body, len);
	if ((r = peer_certs(req, j->tail + len, FD_CERTS_MAX, &j->certs_len)) != 0)
		goto fail;
	if (getrandom(rid, sizeof(rid), 0) != (ssize_t)sizeof(rid)) {
		r = PL_E_IO;
		goto fail;
	}
	pl_hex_encode(rid, sizeof(rid), j->request_id, sizeof(j->request_id));
	atomic_fetch_add(&b->inflight, 1);
	if ((r = handoff(j)) != 0) {
		atomic_fetch_sub(&b->inflight, 1);
		goto fail;
	}
	return 0;
fail:
	free(j->tail);
	free(j);
	return r;
}

int front_token_submit(struct front *f, struct evhttp_request *req, const char *client_addr)
{
	return job_submit(f, req, client_addr, HANDOFF_TOKEN, "", NULL, 0, 1);
}

int front_decision_submit(struct front *f, struct evhttp_request *req, const char *client_addr,
                          const char *id)
{
	return job_submit(f, req, client_addr, HANDOFF_DECISION, id, NULL, 0, 1);
}

int front_poll_submit(struct front *f, struct evhttp_request *req, const char *client_addr,
                      const char *id)
{
	return job_submit(f, req, client_addr, HANDOFF_APPROVAL, id, NULL, 0, 1);
}

int front_aux_submit(struct front *f, struct evhttp_request *req, const char *client_addr, int kind,
                     const char *arg, const uint8_t *body, size_t len)
{
	return job_submit(f, req, client_addr, kind, arg, body, len, 0);
}
