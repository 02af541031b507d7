/*
 * plt_cose_sign1_verify: generic RFC 9052 COSE_Sign1 verification with ES256,
 * for interoperability. Accepts what RFC 9052 allows (untagged messages, alg
 * or kid in either bucket, any other header) and still applies the codec's
 * strictness (definite lengths, shortest forms, no duplicate labels in or
 * across the buckets, no trailing bytes). Critical headers are refused: this
 * verifier understands none beyond alg and kid.
 */
#include "token_int.h"

struct sign1 {
	struct plt_bytes prot;
	struct plt_bytes payload;
	struct plt_bytes sig;
	struct hdr_info p;
	struct hdr_info u;
};

/* An optional tag 18, then an array of four. */
static int sign1_envelope(struct plt_cbor_reader *r)
{
	uint64_t tag = 0;
	size_t n = 0;
	int e;

	if (plt_cbor_peek(r) == PLT_CBOR_TAG) {
		if ((e = plt_cbor_get_tag(r, &tag)) != 0)
			return e;
		if (tag != COSE_TAG_SIGN1)
			return plt__fail_at(r, 0, PLT_E_WRONG_TAG);
	}
	if ((e = plt_cbor_get_array(r, &n)) != 0)
		return e == PLT_E_CBOR_TYPE ? PLT_E_NOT_SIGN1 : e;
	if (n != 4)
		return PLT_E_NOT_SIGN1;
	return 0;
}

/* The protected bucket: h'' or a bstr holding exactly one map. An empty
 * map (h'A0') is treated as h'' (RFC 9052 section 3). */
static int sign1_protected(struct plt_cbor_reader *r, struct sign1 *m, struct hdr_labels *l)
{
	struct plt_cbor_reader in;
	int e;

	if ((e = plt_cbor_get_bstr(r, &m->prot)) != 0)
		return e == PLT_E_CBOR_TYPE ? PLT_E_HDR_FORMAT : e;
	if (m->prot.len == 0) {
		m->p.count = 0;
		return 0;
	}
	plt_cbor_reader_init(&in, m->prot.ptr, m->prot.len);
	e = plt__hdr_parse(&in, &m->p, l);
	if (e == 0 && plt_cbor_end(&in) != 0)
		e = PLT_E_HDR_FORMAT;
	if (e == PLT_E_CBOR_TYPE || e == PLT_E_TRUNCATED)
		e = PLT_E_HDR_FORMAT;
	if (e == 0 && m->p.count == 0)
		m->prot.len = 0;
	return e;
}

static int sign1_parse(struct plt_cbor_reader *r, struct sign1 *m)
{
	struct hdr_labels labels;
	int e;

	labels.n = 0;
	if ((e = sign1_envelope(r)) != 0)
		return e;
	if ((e = sign1_protected(r, m, &labels)) != 0)
		return e;
	if ((e = plt__hdr_parse(r, &m->u, &labels)) != 0)
		return e == PLT_E_CBOR_TYPE ? PLT_E_NOT_SIGN1 : e;
	if (plt_cbor_peek(r) == PLT_CBOR_SIMPLE)
		return plt_cbor_get_null(r) == 0 ? PLT_E_PAYLOAD_DETACHED : r->err;
	if ((e = plt_cbor_get_bstr(r, &m->payload)) != 0)
		return e == PLT_E_CBOR_TYPE ? PLT_E_NOT_SIGN1 : e;
	if ((e = plt_cbor_get_bstr(r, &m->sig)) != 0)
		return e == PLT_E_CBOR_TYPE ? PLT_E_NOT_SIGN1 : e;
	if ((e = plt_cbor_end(r)) != 0)
		return e;
	if (m->p.has_crit || m->u.has_crit)
		return PLT_E_CRIT;
	if ((e = plt__alg_check(m->p.has_alg ? &m->p : &m->u)) != 0)
		return e;
	if (m->sig.len != PLT_SIG_LEN)
		return PLT_E_SIG_LENGTH;
	return 0;
}

int plt_cose_sign1_verify(const uint8_t *msg, size_t len, const uint8_t *external_aad,
                          size_t aad_len, const uint8_t pub[PLT_P256_PUB_LEN],
                          const struct plt_crypto *crypto)
{
	struct plt_cbor_reader r;
	struct sign1 m;
	struct sig_parts sp;
	struct plt_bytes aad;
	int e, v;

	if (msg == NULL || pub == NULL || crypto == NULL || crypto->verify_es256 == NULL ||
	    (external_aad == NULL && aad_len != 0))
		return PLT_E_INVAL;
	plt_cbor_reader_init(&r, msg, len);
	if ((e = sign1_parse(&r, &m)) != 0)
		return e;
	aad.ptr = external_aad;
	aad.len = aad_len;
	plt__sig_parts(&sp, m.prot, aad, m.payload);
	v = crypto->verify_es256(crypto->ctx, pub, sp.iov, 7, m.sig.ptr);
	if (v == 0)
		return 0;
	return v < 0 ? PLT_E_CRYPTO : PLT_E_BAD_SIGNATURE;
}
