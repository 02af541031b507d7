/*
 * The strict profile of COSE_Sign (tag 98) after its array head:
 * h'' (body protected), {} (body unprotected), the payload, and 1..4
 * COSE_Signatures [h'A2 01 26 04 48 kid', {}, h'r||s'] with no kid twice
 * and no byte after the last one.
 */
#include "token_int.h"

/* The body headers as read; the profile wants h'' and {}. */
struct sign_body {
	struct plt_bytes prot;
	size_t prot_off;
	size_t u_count;
	size_t u_off;
};

/* Body protected (a bstr) and body unprotected (a map, skipped: it must be
 * empty), checked once the layout is known. */
static int sign_body_headers(struct plt_cbor_reader *r, struct sign_body *b, size_t *err_off)
{
	struct plt_cbor_reader peek;
	size_t at = r->off;
	int t = plt_cbor_peek(r);

	*err_off = at;
	if (t < 0)
		return plt__fail_at(r, at, t);
	if (t != PLT_CBOR_BSTR)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN);
	if (plt_cbor_get_bstr(r, &b->prot) != 0)
		return r->err;
	b->prot_off = at;
	b->u_off = r->off;
	*err_off = r->off;
	if ((t = plt_cbor_peek(r)) < 0)
		return plt__fail_at(r, r->off, t);
	if (t != PLT_CBOR_MAP)
		return plt__fail_at(r, r->off, PLT_E_NOT_SIGN);
	peek = *r;
	if (plt_cbor_get_map(&peek, &b->u_count) != 0 || plt_cbor_skip(r) != 0) {
		*err_off = r->off;
		return r->err != 0 ? r->err : peek.err;
	}
	return 0;
}

/* The profile over the body headers, once the layout is known. */
static int sign_body_check(struct plt_cbor_reader *r, const struct sign_body *b, size_t *err_off)
{
	if (b->prot.len != 0) {
		*err_off = b->prot_off;
		return plt__fail_at(r, b->prot_off, PLT_E_BODY_PROTECTED);
	}
	if (b->u_count != 0) {
		*err_off = b->u_off;
		return plt__fail_at(r, b->u_off, PLT_E_UNPROTECTED);
	}
	return 0;
}

/* The signature bstr of one COSE_Signature: exactly 64 bytes. */
static int signer_sig(struct plt_cbor_reader *r, struct plt_signer *s)
{
	size_t at = r->off;
	int ty = plt_cbor_peek(r);

	if (ty < 0)
		return plt__fail_at(r, at, ty);
	if (ty != PLT_CBOR_BSTR)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN);
	if (plt_cbor_get_bstr(r, &s->signature) != 0)
		return r->err;
	if (s->signature.len != PLT_SIG_LEN)
		return plt__fail_at(r, at, PLT_E_SIG_LENGTH);
	return 0;
}

int plt__dec_signer(struct plt_cbor_reader *r, struct plt_signer *s, size_t *err_off)
{
	struct hdr_info p, u;
	struct hdr_labels labels;
	size_t at = r->off, n = 0;
	int t = plt_cbor_peek(r), e;

	labels.n = 0;
	*err_off = at;
	if (t < 0)
		return plt__fail_at(r, at, t);
	if (t != PLT_CBOR_ARRAY)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN);
	if (plt_cbor_get_array(r, &n) != 0)
		return r->err;
	if (n != 3)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN);
	*err_off = r->off;
	if ((e = plt__dec_protected(r, &s->protected_hdr, &p, &labels, err_off)) != 0)
		return e;
	*err_off = r->off;
	if ((e = plt__dec_unprotected(r, &u, &labels, PLT_E_NOT_SIGN)) != 0) {
		*err_off = r->off;
		return e;
	}
	if ((e = plt__check_headers(&p, &u)) != 0)
		return e; /* err_off: start of the unprotected map */
	if ((e = signer_sig(r, s)) != 0) {
		*err_off = r->off;
		return e;
	}
	s->kid = p.kid;
	s->off = at;
	s->len = r->off - at;
	return 0;
}

/* Nonzero when kid signed one of s[0..n) already. */
static int signer_seen(const struct plt_signer *s, size_t n, struct plt_bytes kid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].kid.len == kid.len && plt_ct_equal(s[i].kid.ptr, kid.ptr, kid.len))
			return 1;
	return 0;
}

/* The signatures array: 1..PLT_SIGNERS_MAX signers, each kid once. */
static int sign_signers(struct plt_cbor_reader *r, struct plt_token *t, size_t *err_off)
{
	size_t at = r->off, n = 0, i;
	int ty = plt_cbor_peek(r), e;

	*err_off = at;
	if (ty < 0)
		return plt__fail_at(r, at, ty);
	if (ty != PLT_CBOR_ARRAY)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN);
	if (plt_cbor_get_array(r, &n) != 0)
		return r->err;
	if (n == 0)
		return plt__fail_at(r, at, PLT_E_NO_SIGNATURES);
	if (n > PLT_SIGNERS_MAX)
		return plt__fail_at(r, at, PLT_E_TOO_MANY_SIGNATURES);
	for (i = 0; i < n; i++) {
		if ((e = plt__dec_signer(r, &t->signers[i], err_off)) != 0)
			return e;
		if (signer_seen(t->signers, i, t->signers[i].kid)) {
			*err_off = t->signers[i].off;
			return plt__fail_at(r, t->signers[i].off, PLT_E_DUPLICATE_SIGNER);
		}
	}
	t->nsigners = n;
	if ((e = plt_cbor_end(r)) != 0) {
		*err_off = r->off;
		r->err = e;
	}
	return e;
}

int plt__dec_sign(struct plt_cbor_reader *r, struct plt_token *t, size_t *err_off)
{
	struct sign_body b;
	int e;

	if ((e = sign_body_headers(r, &b, err_off)) != 0)
		return e;
	*err_off = r->off;
	if ((e = plt__dec_payload(r, &t->payload, PLT_E_NOT_SIGN)) != 0) {
		*err_off = r->off;
		return e;
	}
	/* A COSE_Sign1 layout (a signature bstr here) under tag 98. */
	if (plt_cbor_peek(r) == PLT_CBOR_BSTR) {
		*err_off = 0;
		return plt__fail_at(r, 0, PLT_E_WRONG_TAG);
	}
	if ((e = sign_body_check(r, &b, err_off)) != 0)
		return e;
	if ((e = sign_signers(r, t, err_off)) != 0)
		return e;
	t->tag = COSE_TAG_SIGN;
	t->alg = COSE_ALG_ES256; /* every signer's, by the profile */
	t->kid = t->signers[0].kid;
	t->protected_hdr = t->signers[0].protected_hdr;
	t->signature = t->signers[0].signature;
	return 0;
}
