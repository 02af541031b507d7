/*
 * The decider authenticates every request itself (docs/privsep.md): from the
 * bytes the front end received -- the request body and the TLS peer's
 * certificates -- never from the front end's word.
 *
 *   device       its certificates against client_ca + CRL (as the TLS
 *                handshake did), client purpose, no technician marker;
 *                chains that verified are cached (devid.c)
 *   technician   the signed body decoded again; its x5chain against
 *                client_ca + CRL with the technician marker (technician_eku);
 *                the COSE_Sign1 signature under that key; the same workshop
 *                as the device
 *   decision     an approver's signed decision, likewise (the approval id is
 *                the one signed); a poll: the requester's signed poll
 *   receipt      the ECU receipt decoded again
 *
 * The result is a struct vreq: what was verified, or front_err with the
 * code and sentence of the first check that failed (audited as a reject).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decider.h"
#include "devid.h"
#include "identity.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "ps_msg.h"
#include "receipt.h"
#include "request.h"
#include "techid.h"

/* src is NUL-terminated (the front end's fields were terminated on receipt). */
static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static int fail(struct vreq *v, int err, const char *why)
{
	v->front_err = err;
	copy_str(v->reason, sizeof(v->reason), why);
	return err;
}

/* A structural refusal of the front end: its code if it is one the front end can give. */
static int front_code(int32_t e)
{
	switch (e) {
	case PL_E_SRV_REQ_MALFORMED:
	case PL_E_SRV_REQ_NOT_SIGN1:
	case PL_E_SRV_REQ_NO_X5CHAIN:
	case PL_E_SRV_REQ_FIELD:
	case PL_E_SRV_REQ_ALG:
		return e;
	default:
		return PL_E_SRV_REQ_MALFORMED;
	}
}

/*
 * The technician behind a signed body: chain (with the marker), signature,
 * workshop. Fills v's technician; 0 or the failing code (in v).
 */
static int verify_signer(struct decider *d, struct vreq *v, const uint8_t *body, size_t len,
                         const struct plt_bytes *cert, size_t ncert, int64_t now)
{
	struct tech_identity tech;
	struct plt_crypto crypto;
	char why[256] = "";
	int r;

	if ((r = techid_verify(d->store, cert, ncert, now, &tech, why, sizeof(why))) != 0)
		return fail(v, r, why);
	v->have_tech = 1;
	copy_str(v->tech_cn, sizeof(v->tech_cn), tech.id.cn);
	copy_str(v->tech_ou, sizeof(v->tech_ou), tech.id.ou);
	techid_crypto(d->store, &crypto);
	if (plt_cose_sign1_verify(body, len, NULL, 0, tech.pub, &crypto) != 0) {
		snprintf(why, sizeof(why),
		         "the COSE_Sign1 signature does not verify under the key "
		         "of technician certificate CN=%s",
		         tech.id.cn);
		return fail(v, PL_E_SRV_TECH_SIG, why);
	}
	if (strcmp(tech.id.ou, v->device_ou) != 0) {
		snprintf(why, sizeof(why),
		         "technician %s belongs to workshop %s but this PC "
		         "belongs to workshop %s",
		         tech.id.cn, tech.id.ou, v->device_ou);
		return fail(v, PL_E_SRV_WORKSHOP_MISMATCH, why);
	}
	return 0;
}

static void token_body(struct decider *d, struct vreq *v, const uint8_t *body, size_t len,
                       int64_t now)
{
	struct token_request q;
	char why[256] = "";
	size_t off = 0;
	int r;

	if ((r = request_decode(body, len, &q, &off, why, sizeof(why))) != 0) {
		fail(v, r, why);
		return;
	}
	v->have_q = 1;
	copy_str(v->vin, sizeof(v->vin), q.vin);
	copy_str(v->op, sizeof(v->op), q.op);
	_Static_assert(sizeof(v->cnonce) >= sizeof(q.cnonce), "the cnonce fits");
	memcpy(v->cnonce, q.cnonce, q.cnonce_len);
	v->cnonce_len = q.cnonce_len;
	copy_str(v->work_order, sizeof(v->work_order), q.work_order);
	v->ttl = q.ttl;
	_Static_assert(sizeof(v->nonce) == sizeof(q.nonce), "nonce sizes");
	memcpy(v->nonce, q.nonce, sizeof(v->nonce));
	v->iat = q.iat;
	_Static_assert(sizeof(v->req_reason) >= sizeof(q.reason), "the reason fits");
	copy_str(v->req_reason, sizeof(v->req_reason), q.reason);
	(void)verify_signer(d, v, body, len, q.cert, q.ncert, now);
	plt_wipe(&q, sizeof(q));
}

/* The approval id of the path must be the one signed (the front end checked it too). */
static int same_id(struct vreq *v, const char *signed_id, const char *path_id, const char *what)
{
	char why[160];

	if (strcmp(signed_id, path_id) == 0)
		return 1;
	snprintf(why, sizeof(why),
	         "the signed approval id %.32s is not the one in the path "
	         "(%.32s); sign a %s for this approval",
	         signed_id, path_id, what);
	fail(v, PL_E_SRV_REQ_FIELD, why);
	return 0;
}

static void decision_body(struct decider *d, struct vreq *v, const struct fd_request *q,
                          const uint8_t *body, int64_t now)
{
	struct approval_decision dec;
	char why[256] = "";
	size_t off = 0;
	int r;

	if ((r = request_decode_decision(body, q->body_len, &dec, &off, why, sizeof(why))) != 0) {
		fail(v, r, why);
		return;
	}
	if (!same_id(v, dec.approval_id, q->arg, "decision"))
		return;
	v->have_q = 1;
	copy_str(v->approval_id, sizeof(v->approval_id), dec.approval_id);
	memcpy(v->nonce, dec.nonce, sizeof(v->nonce));
	v->iat = dec.iat;
	v->approve = (uint8_t)dec.approve;
	_Static_assert(sizeof(v->request_hash) == sizeof(dec.request_hash), "hash sizes");
	memcpy(v->request_hash, dec.request_hash, sizeof(v->request_hash));
	v->has_request_hash = (uint8_t)dec.has_request_hash;
	if (verify_signer(d, v, body, q->body_len, dec.cert, dec.ncert, now) == 0)
		copy_str(v->reason, sizeof(v->reason), dec.reason); /* the approver's note */
}

static void poll_body(struct decider *d, struct vreq *v, const struct fd_request *q,
                      const uint8_t *body, int64_t now)
{
	struct approval_poll p;
	char why[256] = "";
	size_t off = 0;
	int r;

	if ((r = request_decode_poll(body, q->body_len, &p, &off, why, sizeof(why))) != 0) {
		fail(v, r, why);
		return;
	}
	if (!same_id(v, p.approval_id, q->arg, "poll"))
		return;
	v->have_q = 1;
	copy_str(v->approval_id, sizeof(v->approval_id), p.approval_id);
	memcpy(v->nonce, p.nonce, sizeof(v->nonce));
	v->iat = p.iat;
	(void)verify_signer(d, v, body, q->body_len, p.cert, p.ncert, now);
}

/* POST /v1/receipts: decoded again; vin, op, ttl = 0x100 * failure + nrc (0x200: nrc given). */
static int receipt_body(struct vreq *v, const uint8_t *body, size_t len)
{
	struct receipt rc;
	char why[160] = "";
	int r;

	if ((r = receipt_decode(body, len, &rc, why, sizeof(why))) != 0)
		return fail(v, r, why);
	copy_str(v->vin, sizeof(v->vin), rc.vin);
	copy_str(v->op, sizeof(v->op), rc.op);
	v->ttl = (rc.failure ? 0x100u : 0) | (rc.has_nrc ? 0x200u | rc.nrc : 0);
	if (rc.has_cti) {
		_Static_assert(sizeof(v->cnonce) >= sizeof(rc.cti), "the cti fits");
		memcpy(v->cnonce, rc.cti, sizeof(rc.cti));
		v->cnonce_len = sizeof(rc.cti);
	}
	return 0;
}

static int kind_of(uint32_t type)
{
	switch (type) {
	case PS_FD_DECISION:
		return HANDOFF_DECISION;
	case PS_FD_POLL:
		return HANDOFF_APPROVAL;
	case PS_FD_REVOKED:
		return HANDOFF_REVOKED;
	case PS_FD_RECEIPT:
		return HANDOFF_RECEIPT;
	default:
		return HANDOFF_TOKEN;
	}
}

void decider_request(struct decider *d, uint32_t type, const struct fd_request *q,
                     const uint8_t *tail, struct token_answer *a)
{
	struct vreq v;
	struct cert_identity dev;
	const uint8_t *body = tail, *certs = tail + q->body_len;
	char why[256] = "";
	int64_t now = (int64_t)time(NULL);
	int r;

	memset(&v, 0, sizeof(v));
	v.kind = (uint8_t)kind_of(type);
	copy_str(v.request_id, sizeof(v.request_id), q->request_id);
	copy_str(v.client_addr, sizeof(v.client_addr), q->client_addr);
	if (v.kind == HANDOFF_REVOKED && q->cert_len == 0) {
		/* the admin listener (loopback, no TLS): the revocation list only */
		copy_str(v.device_cn, sizeof(v.device_cn), "admin");
	} else if ((r = devid_verify(d->store, certs, q->cert_len, now, &dev, why, sizeof(why))) !=
	           0) {
		fail(&v, r, why);
	} else {
		copy_str(v.device_cn, sizeof(v.device_cn), dev.cn);
		copy_str(v.device_ou, sizeof(v.device_ou), dev.ou);
	}
	if (v.front_err == 0 && q->front_err != 0)
		fail(&v, front_code(q->front_err), q->reason);
	if (v.front_err == 0) {
		switch (v.kind) {
		case HANDOFF_TOKEN:
			token_body(d, &v, body, q->body_len, now);
			break;
		case HANDOFF_DECISION:
			decision_body(d, &v, q, body, now);
			break;
		case HANDOFF_APPROVAL:
			poll_body(d, &v, q, body, now);
			break;
		case HANDOFF_RECEIPT:
			(void)receipt_body(&v, body, q->body_len);
			break;
		default:
			copy_str(v.reason, sizeof(v.reason), q->arg); /* after= */
			break;
		}
	}
	v.body = body; /* for the co-signer */
	v.body_len = q->body_len;
	decider_decide(d, &v, a);
	plt_wipe(&v, sizeof(v));
}
