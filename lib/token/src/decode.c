/*
 * plt_decode: the strict pitlane profile of COSE_Sign1 and COSE_Sign
 * (docs/token.md). COSE_Sign1: tag 18, an array of four, protected
 * {1: -7, 4: kid(8)} and nothing else, an empty unprotected map, an embedded
 * payload holding the claims, and a 64-byte signature, with no byte after it.
 * COSE_Sign (tag 98, several signers) is in decode_sign.c.
 */
#include <string.h>

#include "token_int.h"

/* The protected bstr: a map filling it exactly. */
int plt__dec_protected(struct plt_cbor_reader *r, struct plt_bytes *prot, struct hdr_info *h,
                       struct hdr_labels *labels, size_t *err_off)
{
	struct plt_cbor_reader in;
	size_t at = r->off;
	int e;

	if (plt_cbor_peek(r) != PLT_CBOR_BSTR) {
		e = plt_cbor_peek(r);
		*err_off = at;
		return plt__fail_at(r, at, e < 0 ? e : PLT_E_HDR_FORMAT);
	}
	if ((e = plt_cbor_get_bstr(r, prot)) != 0) {
		*err_off = r->off;
		return e;
	}
	plt_cbor_reader_init(&in, prot->ptr, prot->len);
	e = plt__hdr_parse(&in, h, labels);
	if (e == PLT_E_CBOR_TYPE || e == PLT_E_TRUNCATED)
		e = PLT_E_HDR_FORMAT;
	if (e == 0 && plt_cbor_end(&in) != 0)
		e = PLT_E_HDR_FORMAT;
	if (e != 0) {
		*err_off = (size_t)(prot->ptr - r->buf) + in.off;
		r->err = e;
	}
	return e;
}

/* Profile rules over both header maps, in the order docs/token.md lists. */
int plt__check_headers(const struct hdr_info *p, const struct hdr_info *u)
{
	int e;

	if (p->has_crit || u->has_crit)
		return PLT_E_CRIT;
	if (!p->has_alg)
		return u->has_alg ? PLT_E_ALG_UNPROTECTED : PLT_E_ALG_MISSING;
	if ((e = plt__alg_check(p)) != 0)
		return e;
	if (!p->has_kid)
		return u->has_kid ? PLT_E_KID_UNPROTECTED : PLT_E_KID_MISSING;
	if (p->kid.len != PLT_KID_LEN)
		return PLT_E_KID_FORMAT;
	if (p->has_other)
		return PLT_E_HDR_UNKNOWN;
	if (u->count != 0)
		return PLT_E_UNPROTECTED;
	return 0;
}

/* Tag 18 or 98 and the array head of four. */
static int decode_envelope(struct plt_cbor_reader *r, uint64_t *tag)
{
	size_t n = 0;
	int t = plt_cbor_peek(r);

	if (t < 0)
		return plt__fail_at(r, r->off, t);
	if (t != PLT_CBOR_TAG)
		return plt__fail_at(r, r->off,
		                    t == PLT_CBOR_ARRAY ? PLT_E_UNTAGGED : PLT_E_NOT_SIGN1);
	if (plt_cbor_get_tag(r, tag) != 0)
		return r->err;
	if (*tag != COSE_TAG_SIGN1 && *tag != COSE_TAG_SIGN)
		return plt__fail_at(r, 0, PLT_E_WRONG_TAG);
	t = plt_cbor_peek(r);
	if (t < 0)
		return plt__fail_at(r, r->off, t);
	if (t != PLT_CBOR_ARRAY)
		return plt__fail_at(r, r->off,
		                    *tag == COSE_TAG_SIGN ? PLT_E_NOT_SIGN : PLT_E_NOT_SIGN1);
	if (plt_cbor_get_array(r, &n) != 0)
		return r->err;
	if (n != 4)
		return plt__fail_at(r, r->off - 1,
		                    *tag == COSE_TAG_SIGN ? PLT_E_NOT_SIGN : PLT_E_NOT_SIGN1);
	return 0;
}

/* The unprotected map head and entries. */
int plt__dec_unprotected(struct plt_cbor_reader *r, struct hdr_info *u, struct hdr_labels *labels,
                         int layout_err)
{
	int t = plt_cbor_peek(r);

	if (t < 0)
		return plt__fail_at(r, r->off, t);
	if (t != PLT_CBOR_MAP)
		return plt__fail_at(r, r->off, layout_err);
	return plt__hdr_parse(r, u, labels);
}

int plt__dec_payload(struct plt_cbor_reader *r, struct plt_bytes *payload, int layout_err)
{
	size_t at = r->off;
	int ty = plt_cbor_peek(r);

	if (ty < 0)
		return plt__fail_at(r, at, ty);
	if (ty == PLT_CBOR_SIMPLE && r->buf[at] == 0xf6)
		return plt__fail_at(r, at, PLT_E_PAYLOAD_DETACHED);
	if (ty != PLT_CBOR_BSTR)
		return plt__fail_at(r, at, layout_err);
	if (plt_cbor_get_bstr(r, payload) != 0)
		return r->err;
	return 0;
}

/* Payload bstr (nil means detached) and the 64-byte signature. */
static int decode_body(struct plt_cbor_reader *r, struct plt_token *t)
{
	size_t at;
	int ty;

	if (plt__dec_payload(r, &t->payload, PLT_E_NOT_SIGN1) != 0)
		return r->err;
	at = r->off;
	ty = plt_cbor_peek(r);
	if (ty < 0)
		return plt__fail_at(r, at, ty);
	if (ty != PLT_CBOR_BSTR)
		return plt__fail_at(r, at, PLT_E_NOT_SIGN1);
	if (plt_cbor_get_bstr(r, &t->signature) != 0)
		return r->err;
	if (t->signature.len != PLT_SIG_LEN)
		return plt__fail_at(r, at, PLT_E_SIG_LENGTH);
	return plt_cbor_end(r);
}

/* The rest of a COSE_Sign1 after its array head. */
static PLT_NOINLINE int decode_sign1(struct plt_cbor_reader *r, struct plt_token *t, size_t *off)
{
	struct hdr_info p, u;
	struct hdr_labels labels;
	int e;

	labels.n = 0;
	*off = r->off;
	if ((e = plt__dec_protected(r, &t->protected_hdr, &p, &labels, off)) != 0)
		return e;
	*off = r->off;
	if ((e = plt__dec_unprotected(r, &u, &labels, PLT_E_NOT_SIGN1)) != 0)
		goto fail;
	if ((e = plt__check_headers(&p, &u)) != 0)
		return e; /* off: start of the unprotected map */
	if ((e = decode_body(r, t)) != 0) {
		if (e == PLT_E_TRAILING)
			r->err = e;
		goto fail;
	}
	t->alg = p.alg;
	t->kid = p.kid;
	t->tag = COSE_TAG_SIGN1;
	t->nsigners = 1;
	t->signers[0].kid = p.kid;
	t->signers[0].protected_hdr = t->protected_hdr;
	t->signers[0].signature = t->signature;
	t->signers[0].off = 0;
	t->signers[0].len = r->len;
	return 0;
fail:
	*off = r->off;
	return e;
}

int plt__decode(const uint8_t *tok, size_t len, struct plt_token *t, size_t *err_off)
{
	struct plt_cbor_reader r;
	uint64_t tag = 0;
	size_t off = 0, coff = 0;
	int e;

	plt_cbor_reader_init(&r, tok, len);
	if (len > PLT_TOKEN_MAX) {
		e = PLT_E_TOO_LONG;
		off = PLT_TOKEN_MAX;
		goto out;
	}
	if ((e = decode_envelope(&r, &tag)) != 0) {
		off = r.off;
		goto out;
	}
	if (tag == COSE_TAG_SIGN)
		e = plt__dec_sign(&r, t, &off);
	else
		e = decode_sign1(&r, t, &off);
	if (e != 0)
		goto out;
	if ((e = plt__claims_parse(t->payload, &t->claims, &coff)) != 0)
		off = (size_t)(t->payload.ptr - tok) + coff;
out:
	if (e != 0 && err_off != NULL)
		*err_off = off;
	return e;
}

int plt_decode(const uint8_t *tok, size_t len, struct plt_token *out, size_t *err_off)
{
	struct plt_token t;
	int e;

	if (tok == NULL || out == NULL)
		return PLT_E_INVAL;
	memset(&t, 0, sizeof(t));
	if ((e = plt__decode(tok, len, &t, err_off)) == 0)
		*out = t;
	return e;
}
