/*
 * The broker's token against the technician's own signed request: every
 * claim that names what may happen, to which car, by whom, must be what the
 * technician asked for; ttl and exi within the co-signer's own limits.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"

/* 1 when the text claim is present and equals s. */
static int text_eq(const struct plt_claims *c, unsigned bit, struct plt_bytes b, const char *s)
{
	size_t n = strlen(s);

	return (c->present & bit) && b.len == n && memcmp(b.ptr, s, n) == 0;
}

static int mismatch(char *why, size_t whylen, const char *field, const char *what)
{
	snprintf(why, whylen,
	         "claims_mismatch: the token's %s is not the request's %s; the broker must sign "
	         "what the technician asked for",
	         field, what);
	return PL_E_COS_CLAIMS;
}

/* aud, scope, cnonce, technician, workshop, work_order. */
static int same_request(const struct plt_claims *c, const struct cosign_req *rq, char *why,
                        size_t whylen)
{
	const struct token_request *q = &rq->q;

	if (!text_eq(c, PLT_HAS_AUD, c->aud, q->vin))
		return mismatch(why, whylen, "aud", "vin");
	if (!text_eq(c, PLT_HAS_SCOPE, c->scope, q->op))
		return mismatch(why, whylen, "scope", "op");
	if (!(c->present & PLT_HAS_CNONCE) || c->cnonce.len != q->cnonce_len ||
	    !plt_ct_equal(c->cnonce.ptr, q->cnonce, q->cnonce_len))
		return mismatch(why, whylen, "cnonce", "cnonce (the ECU's challenge)");
	if (!text_eq(c, PLT_HAS_TECHNICIAN, c->technician, rq->tech.id.cn))
		return mismatch(why, whylen, "technician", "certificate CN");
	if (!text_eq(c, PLT_HAS_WORKSHOP, c->workshop, rq->tech.id.ou))
		return mismatch(why, whylen, "workshop", "certificate OU");
	if (!text_eq(c, PLT_HAS_WORK_ORDER, c->work_order, q->work_order))
		return mismatch(why, whylen, "work_order", "work_order");
	return 0;
}

int cosign_claims_check(const struct plt_claims *c, const struct cosign_req *rq,
                        const struct cosign_op_limits *lim, int64_t now, uint32_t window, char *why,
                        size_t whylen)
{
	int64_t ttl, skew;
	int r;

	if ((r = same_request(c, rq, why, whylen)) != 0)
		return r;
	if (!(c->present & PLT_HAS_IAT) || !(c->present & PLT_HAS_EXP) ||
	    !(c->present & PLT_HAS_EXI) || !(c->present & PLT_HAS_CTI) || c->exp <= c->iat)
		return mismatch(why, whylen, "iat/exp/exi/cti", "(a token needs all four)");
	ttl = c->exp - c->iat;
	if (rq->q.ttl != 0 && ttl > (int64_t)rq->q.ttl) {
		snprintf(why, whylen,
		         "claims_mismatch: the token's ttl (exp - iat = %lld s) is longer than the "
		         "%u s the technician asked for",
		         (long long)ttl, rq->q.ttl);
		return PL_E_COS_CLAIMS;
	}
	if (ttl > (int64_t)lim->max_ttl) {
		snprintf(why, whylen,
		         "ttl: the token lives %lld s, the co-signer's max_ttl for %s is %u s",
		         (long long)ttl, lim->op, lim->max_ttl);
		return PL_E_COS_OVER_LIMIT;
	}
	if (c->exi > lim->max_exi) {
		snprintf(why, whylen,
		         "exi: the token's exi is %u s, the co-signer's max_exi for %s is %u s",
		         c->exi, lim->op, lim->max_exi);
		return PL_E_COS_OVER_LIMIT;
	}
	skew = now - c->iat;
	if (skew > (int64_t)window || -skew > (int64_t)window) {
		snprintf(
		    why, whylen,
		    "claims_mismatch: the token's iat is %lld s from the co-signer's clock; at "
		    "most %u s are accepted (check both clocks)",
		    (long long)skew, window);
		return PL_E_COS_CLAIMS;
	}
	return 0;
}
