/*
 * plt_verify / plt_verify_signers: strict decode, trust store, every ES256
 * signature, the verifier's signer thresholds per role, then the ECU's
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

/* One signer's signature over its Sig_structure (Signature1 or Signature). */
static int check_signature(const struct plt_token *t, const struct plt_signer *s,
                           const uint8_t pub[PLT_P256_PUB_LEN], const struct plt_crypto *crypto)
{
	union {
		struct sig_parts one;
		struct sign_parts many;
	} sp;
	struct plt_bytes none;
	int v;

	none.ptr = NULL;
	none.len = 0;
	if (t->tag == COSE_TAG_SIGN) {
		plt__sign_parts(&sp.many, none, s->protected_hdr, none, t->payload);
		v = crypto->verify_es256(crypto->ctx, pub, sp.many.iov, PLT_SIGN_PARTS,
		                         s->signature.ptr);
	} else {
		plt__sig_parts(&sp.one, s->protected_hdr, none, t->payload);
		v = crypto->verify_es256(crypto->ctx, pub, sp.one.iov, 7, s->signature.ptr);
	}
	if (v == 0)
		return 0;
	return v < 0 ? PLT_E_CRYPTO : PLT_E_BAD_SIGNATURE;
}

/* Every signature: trusted kid and valid; counts the valid ones per role. */
static int check_signers(const struct plt_token *t, const struct plt_trust_store *trust,
                         const struct plt_crypto *crypto, unsigned *count)
{
	const struct plt_trust_anchor *a;
	size_t i;
	int e;

	for (i = 0; i < t->nsigners; i++) {
		if ((a = trust_find(trust, t->signers[i].kid)) == NULL)
			return PLT_E_KID_UNKNOWN;
		if ((e = check_signature(t, &t->signers[i], a->pub, crypto)) != 0)
			return e;
		if (a->role < PLT_ROLE_COUNT)
			count[a->role]++;
	}
	return 0;
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

/* The row naming scope, else the row for any other operation, else NULL. */
static const struct plt_threshold *threshold_find(const struct plt_thresholds *th,
                                                  struct plt_bytes scope)
{
	const struct plt_threshold *any = NULL;
	size_t i;

	for (i = 0; i < th->count; i++) {
		const struct plt_threshold *row = &th->rows[i];

		if (row->op == NULL)
			any = any != NULL ? any : row;
		else if (bytes_equal(scope, row->op, bounded_len(row->op, PLT_OP_MAX)))
			return row;
	}
	return any;
}

static int check_thresholds(const struct plt_thresholds *th, struct plt_bytes scope,
                            const unsigned count[PLT_ROLE_COUNT])
{
	const struct plt_threshold *row = threshold_find(th, scope);
	unsigned total = 0;
	int missing = 0;
	size_t i;

	if (row == NULL)
		return PLT_E_NO_THRESHOLD;
	for (i = 0; i < PLT_ROLE_COUNT; i++) {
		total += row->need[i];
		if (count[i] < row->need[i])
			missing = 1;
	}
	if (total == 0)
		return PLT_E_INVAL;
	return missing ? PLT_E_SIGNATURE_MISSING : 0;
}

/* plt_verify's rule (th NULL): one valid broker signature, whatever the
 * operation; a token signed by co-signer keys alone is never enough. */
static const struct plt_threshold broker_row[] = {{NULL, {[PLT_ROLE_BROKER] = 1}}};
static const struct plt_thresholds broker_only = {broker_row, 1};

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

int plt_verify_signers(const uint8_t *tok, size_t len, const struct plt_trust_store *trust,
                       const struct plt_crypto *crypto, const struct plt_expect *expect,
                       const struct plt_thresholds *th, struct plt_token *out)
{
	unsigned count[PLT_ROLE_COUNT];
	struct plt_token t;
	int e;

	if (tok == NULL || trust == NULL || crypto == NULL || crypto->verify_es256 == NULL ||
	    (trust->anchors == NULL && trust->count != 0) ||
	    (th != NULL && th->rows == NULL && th->count != 0))
		return PLT_E_INVAL;
	memset(&t, 0, sizeof(t));
	if ((e = plt__decode(tok, len, &t, NULL)) != 0)
		return e;
	memset(count, 0, sizeof(count));
	if (trust->count == 0) {
		e = PLT_E_NO_TRUST;
		goto out;
	}
	if ((e = check_signers(&t, trust, crypto, count)) != 0)
		goto out;
	if ((e = check_thresholds(th != NULL ? th : &broker_only, t.claims.scope, count)) != 0)
		goto out;
	if (expect != NULL)
		e = check_expect(&t.claims, expect);
out:
	if (out != NULL)
		*out = t;
	return e;
}

int plt_verify(const uint8_t *tok, size_t len, const struct plt_trust_store *trust,
               const struct plt_crypto *crypto, const struct plt_expect *expect,
               struct plt_token *out)
{
	return plt_verify_signers(tok, len, trust, crypto, expect, NULL, out);
}
