/*
 * The technician's own signed request, checked by the co-signer itself with
 * its own copy of the dealer CA and CRL: the same decoder and chain check as
 * the broker's decider (broker/api/request.c, broker/decider/techid.c), never
 * the broker's word.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "checks.h"
#include "pl_err.h"
#include "pl_err_server.h"

static int sha256(struct plt_bytes b, uint8_t out[32])
{
	unsigned n = 0;

	return EVP_Digest(b.ptr, b.len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0
	                                                                             : PL_E_CRYPTO;
}

int cosign_techreq_check(X509_STORE *store, struct plt_bytes req, int64_t now, uint32_t window,
                         uint32_t max_past, struct cosign_req *out, int *have_q, int *have_tech,
                         char *why, size_t whylen)
{
	struct plt_crypto crypto;
	size_t off = 0;
	int64_t skew;
	int r;

	if ((r = sha256(req, out->hash)) != 0) {
		snprintf(why, whylen, "cannot hash the request");
		return r;
	}
	if ((r = request_decode(req.ptr, req.len, &out->q, &off, why, whylen)) != 0)
		return r;
	*have_q = 1;
	if ((r = techid_verify(store, out->q.cert, out->q.ncert, now, &out->tech, why, whylen)) !=
	    0)
		return r;
	*have_tech = 1;
	techid_crypto(store, &crypto);
	if (plt_cose_sign1_verify(req.ptr, req.len, NULL, 0, out->tech.pub, &crypto) != 0) {
		snprintf(why, whylen,
		         "the technician's COSE_Sign1 signature does not verify under the key of "
		         "certificate CN=%s; the request was changed or not signed by that card",
		         out->tech.id.cn);
		return PL_E_SRV_TECH_SIG;
	}
	skew = now - out->q.iat;
	if (skew > (int64_t)(max_past > window ? max_past : window) || -skew > (int64_t)window) {
		snprintf(
		    why, whylen,
		    "the request was signed at %lld, %lld s from the co-signer's clock (%lld); "
		    "at most %u s are accepted: check the clocks, sign a new request",
		    (long long)out->q.iat, (long long)skew, (long long)now,
		    skew > 0 ? (max_past > window ? max_past : window) : window);
		return PL_E_SRV_STALE;
	}
	out->late = skew > (int64_t)window;
	return 0;
}
