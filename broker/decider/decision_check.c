/*
 * Before the token of an approved request leaves, the decider verifies the
 * decision stored with the approval again, from its exact signed bytes, as if
 * it had just arrived (docs/abuse.md, "Every decision is signed"): the state
 * column of a database row is nobody's word. A row marked approved by someone
 * without the approver's key -- a hand-written UPDATE, a decision copied from
 * another approval, an edited signature -- delivers nothing.
 *
 *   binding     the decision is an "approve" of this approval id and carries
 *               key 21 = the SHA-256 of this approval's request
 *   request     the request the approval keeps hashes to that SHA-256, is
 *               signed by the requesting technician (chain, CRL, signature),
 *               and the row's VIN, operation, challenge, work order,
 *               technician and workshop -- what the token is built from --
 *               are the signed request's, not whatever the row says
 *   officer     its certificate chains to officer_ca, is valid now, the
 *               signature verifies, the officer is not the requester
 *   technician  otherwise: its certificate chains to the dealer CA with the
 *               technician marker (and the current CRL), the signature
 *               verifies, and the approver may still decide it under the
 *               policy now (technician_approval, role, not the requester,
 *               not suspended)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decider.h"
#include "decision.h"
#include "officer.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "request.h"
#include "techid.h"

static const char *approver_word(int verdict)
{
	switch (verdict) {
	case ABUSE_APPROVER_DISABLED:
		return "the policy no longer lets technicians decide it";
	case ABUSE_APPROVER_SELF:
		return "the approver made the request";
	case ABUSE_APPROVER_SUSPENDED:
		return "the approver is suspended";
	default:
		return "the approver holds no approver role for it";
	}
}

/* An officer's decision: signature and not the requester (the chain was verified). */
static int officer_ok(const struct abuse_approval *ap, const uint8_t *dec, size_t len,
                      const struct officer_identity *o, char *approver, size_t cap, char *why,
                      size_t whylen)
{
	struct plt_crypto crypto;

	plt_openssl_crypto(&crypto);
	if (plt_cose_sign1_verify(dec, len, NULL, 0, o->pub, &crypto) != 0) {
		snprintf(why, whylen,
		         "the stored decision's signature does not verify under officer "
		         "certificate CN=%s (edited or forged)",
		         o->id.cn);
		return PL_E_SRV_DECISION_SIG;
	}
	if (strcmp(o->id.cn, ap->technician) == 0 || strcmp(o->id.cn, ap->technician_id) == 0) {
		snprintf(why, whylen, "officer %s made this request and cannot approve it",
		         o->id.cn);
		return PL_E_SRV_APPROVAL_INVALID;
	}
	snprintf(approver, cap, OFFICER_ACTOR_PREFIX "%s", o->id.cn);
	return 0;
}

/* A technician's decision: chain, signature, and may they still decide it now. */
static int technician_ok(struct decider *b, const struct abuse_approval *ap, const uint8_t *dec,
                         size_t len, const struct approval_decision *d, int64_t now, char *approver,
                         size_t cap, char *why, size_t whylen)
{
	struct tech_identity t;
	struct abuse_approver who;
	struct plt_crypto crypto;
	struct policy *p;
	int r;

	if ((r = techid_verify(b->store, d->cert, d->ncert, now, &t, why, whylen)) != 0)
		return r;
	techid_crypto(b->store, &crypto);
	if (plt_cose_sign1_verify(dec, len, NULL, 0, t.pub, &crypto) != 0) {
		snprintf(why, whylen,
		         "the stored decision's signature does not verify under technician "
		         "certificate CN=%s (edited or forged)",
		         t.id.cn);
		return PL_E_SRV_DECISION_SIG;
	}
	p = policy_slot_get(b->policy);
	r = abuse_approver_check(b->abuse, p, ap, t.id.cn, t.id.ou, &who);
	policy_unref(p);
	if (r != 0) {
		snprintf(why, whylen, "the approver list is unavailable");
		return r;
	}
	if (who.verdict != ABUSE_APPROVER_OK) {
		/* the approver's suspension reason stays in the log, not in this sentence */
		snprintf(why, whylen, "technician %s may no longer decide it: %s", t.id.cn,
		         approver_word(who.verdict));
		return PL_E_SRV_APPROVAL_INVALID;
	}
	snprintf(approver, cap, "%s", who.id);
	return 0;
}

/* Same text in the row and the signed request. */
static int same(const char *row, const char *req)
{
	return strcmp(row, req) == 0;
}

/*
 * The approval's request: its stored bytes are the ones key 21 names, signed
 * by the requester, and the row says what they say. 0 or
 * PL_E_SRV_APPROVAL_INVALID (why says which), PL_E_NOMEM, PL_E_IO.
 */
static int request_ok(struct decider *b, const struct abuse_approval *ap, int64_t now, uint8_t *buf,
                      size_t cap, char *why, size_t whylen)
{
	struct token_request q;
	struct tech_identity t;
	struct plt_crypto crypto;
	uint8_t h[REQ_REQUEST_HASH_LEN];
	const char *field = NULL;
	char twhy[256] = "";
	size_t len = 0, off = 0;
	int r = abuse_approval_request(b->abuse, ap->id, buf, cap, &len);

	if (r == PL_E_IO || r == PL_E_NOMEM) {
		snprintf(why, whylen, "the approval store is unavailable");
		return r;
	}
	if (r != 0 || !ap->has_request_sha256 || decision_request_hash(buf, len, h) != 0 ||
	    !plt_ct_equal(h, ap->request_sha256, sizeof(h))) {
		snprintf(why, whylen,
		         "approval %s holds no signed request whose SHA-256 is the one its "
		         "decision names",
		         ap->id);
		return PL_E_SRV_APPROVAL_INVALID;
	}
	if (request_decode(buf, len, &q, &off, twhy, sizeof(twhy)) != 0 ||
	    techid_verify(b->store, q.cert, q.ncert, now, &t, twhy, sizeof(twhy)) != 0) {
		snprintf(why, whylen, "the request approval %s keeps is not valid: %s", ap->id,
		         twhy);
		r = PL_E_SRV_APPROVAL_INVALID;
		goto out;
	}
	techid_crypto(b->store, &crypto);
	if (plt_cose_sign1_verify(buf, len, NULL, 0, t.pub, &crypto) != 0)
		field = "signature";
	else if (!same(ap->technician, t.id.cn) || !same(ap->workshop, t.id.ou))
		field = "technician";
	else if (!same(ap->vin, q.vin))
		field = "vin";
	else if (!same(ap->op, q.op))
		field = "operation";
	else if (ap->cnonce_len != q.cnonce_len ||
	         !plt_ct_equal(ap->cnonce, q.cnonce, q.cnonce_len))
		field = "challenge (cnonce)";
	else if (!same(ap->work_order, q.work_order))
		field = "work order";
	r = 0;
	if (field != NULL) {
		snprintf(why, whylen,
		         "approval %s: the %s in the approval is not the signed request's (a "
		         "row changed after the request)",
		         ap->id, field);
		r = PL_E_SRV_APPROVAL_INVALID;
	}
out:
	plt_wipe(&q, sizeof(q));
	return r;
}

int decider_decision_recheck(struct decider *b, const struct abuse_approval *ap, char *approver,
                             size_t cap, char *why, size_t whylen)
{
	struct decision_binding bind = {
	    .approval_id = ap->id,
	    .request_hash = ap->has_request_sha256 ? ap->request_sha256 : NULL,
	};
	struct approval_decision d;
	struct officer_identity o;
	char owhy[256] = "";
	uint8_t *dec = NULL, *req = NULL;
	size_t len = 0, cap_dec = b->cfg.max_body;
	int64_t now = (int64_t)time(NULL);
	int r;

	if ((dec = malloc(cap_dec)) == NULL)
		return PL_E_NOMEM;
	r = abuse_approval_signed_decision(b->abuse, ap->id, dec, cap_dec, &len);
	if (r == PL_E_NOTFOUND || r == PL_E_NOSPACE) {
		snprintf(why, whylen,
		         "approval %s is marked approved but holds no signed decision (a "
		         "database row not written by a signing approver)",
		         ap->id);
		r = PL_E_SRV_APPROVAL_INVALID;
		goto out;
	}
	if (r != 0) {
		snprintf(why, whylen, "the approval store is unavailable");
		goto out;
	}
	if ((r = decision_check_binding(dec, len, &bind, &d, why, whylen)) != 0)
		goto out;
	/* dec holds the decision's bytes, d points into them; the request needs its own */
	if ((req = malloc(cap_dec)) == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	if ((r = request_ok(b, ap, now, req, cap_dec, why, whylen)) != 0)
		goto out;
	if (d.approve != REQ_DECISION_APPROVE) {
		snprintf(why, whylen, "the stored signed decision is a deny, not an approval");
		r = PL_E_SRV_APPROVAL_INVALID;
		goto out;
	}
	if (b->officers != NULL &&
	    officer_verify_cert(b->officers, d.cert, d.ncert, now, &o, owhy, sizeof(owhy)) == 0)
		r = officer_ok(ap, dec, len, &o, approver, cap, why, whylen);
	else
		r = technician_ok(b, ap, dec, len, &d, now, approver, cap, why, whylen);
	if (r == PL_E_SRV_TECH_CERT || r == PL_E_SRV_NOT_TECHNICIAN || r == PL_E_SRV_TECH_KEY ||
	    r == PL_E_SRV_IDENTITY) {
		/* neither role: say both */
		size_t used = strlen(why);

		snprintf(why + used, whylen - used, "; as an officer's: %s",
		         owhy[0] ? owhy : "no officer_ca in broker.conf");
	}
out:
	if (req != NULL)
		plt_wipe(req, cap_dec);
	free(req);
	plt_wipe(dec, cap_dec);
	free(dec);
	return r;
}
