/*
 * plt_verify: strict decode, trust store, ES256 signature, then the ECU's
 * expectations (VIN, operation, challenge, age, clock), each with its own code.
 */
#include <string.h>

#include "token_int.h"

static const struct plt_trust_anchor *trust_find(const struct plt_trust_store *ts,
                                                 struct plt_bytes kid)
{
	size_t i;

	for (i = 0; i < ts->count; i++)
		if (kid.len == PLT_KID_LEN &&
		    plt_ct_equal(ts->anchors[i].kid, kid.ptr, PLT_KID_LEN))
			return &ts->anchors[i];
	return NULL;
}

static int check_signature(const struct plt_token *t, const uint8_t pub[PLT_P256_PUB_LEN],
                           const struct plt_crypto *crypto)
{
	struct sig_parts sp;
	struct plt_bytes none;
	int v;

	none.ptr = NULL;
	none.len = 0;
	plt__sig_parts(&sp, t->protected_hdr, none, t->payload);
	v = crypto->verify_es256(crypto->ctx, pub, sp.iov, 7, t->signature.ptr);
	if (v == 0)
		return 0;
	return v < 0 ? PLT_E_CRYPTO : PLT_E_BAD_SIGNATURE;
}

/* Length of a NUL-terminated string, looking at no more than max + 1 bytes. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n] != '\0')
		n++;
	return n;
}

static int bytes_equal(struct plt_bytes a, const void *b, size_t blen)
{
	return a.len == blen && plt_ct_equal(a.ptr, b, blen);
}

static int check_expect(const struct plt_claims *c, const struct plt_expect *x)
{
	if (x->vin != NULL && !bytes_equal(c->aud, x->vin, bounded_len(x->vin, PLT_VIN_LEN)))
		return PLT_E_WRONG_VIN;
	if (x->op != NULL && !bytes_equal(c->scope, x->op, bounded_len(x->op, PLT_OP_MAX)))
		return PLT_E_WRONG_OP;
	if (x->cnonce != NULL && !bytes_equal(c->cnonce, x->cnonce, x->cnonce_len))
		return PLT_E_WRONG_CNONCE;
	if (x->age_s >= 0 && x->age_s > (int64_t)c->exi)
		return PLT_E_CHALLENGE_EXPIRED;
	if (x->have_clock) {
		/* exp and iat are 0..INT64_MAX; now is compared without overflow. */
		if (x->now > PLT_CLOCK_SKEW_S && x->now - PLT_CLOCK_SKEW_S > c->exp)
			return PLT_E_EXPIRED;
		if (c->iat > PLT_CLOCK_SKEW_S && c->iat - PLT_CLOCK_SKEW_S > x->now)
			return PLT_E_NOT_YET_VALID;
	}
	return 0;
}

int plt_verify(const uint8_t *tok, size_t len, const struct plt_trust_store *trust,
               const struct plt_crypto *crypto, const struct plt_expect *expect,
               struct plt_token *out)
{
	const struct plt_trust_anchor *a;
	struct plt_token t;
	int e;

	if (tok == NULL || trust == NULL || crypto == NULL || crypto->verify_es256 == NULL ||
	    (trust->anchors == NULL && trust->count != 0))
		return PLT_E_INVAL;
	if ((e = plt_decode(tok, len, &t, NULL)) != 0)
		return e;
	if (trust->count == 0) {
		e = PLT_E_NO_TRUST;
		goto out;
	}
	if ((a = trust_find(trust, t.kid)) == NULL) {
		e = PLT_E_KID_UNKNOWN;
		goto out;
	}
	if ((e = check_signature(&t, a->pub, crypto)) != 0)
		goto out;
	if (expect != NULL)
		e = check_expect(&t.claims, expect);
out:
	if (out != NULL)
		*out = t;
	return e;
}
