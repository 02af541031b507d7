/*
 * plt_encode, plt_encode_sign: the broker side. Writes the tagged COSE_Sign1
 * (or COSE_Sign with one signature) straight into the
 * caller's buffer in the fixed claim order of docs/token.md, checks the
 * claims by parsing them back, and has the Sig_structure (as parts) signed.
 */
#include <string.h>

#include "token_int.h"

/* Claim keys in encoding order (RFC 8949 4.2.1: bytewise order of the keys). */
static void put_claims(struct plt_cbor_writer *w, const struct plt_claims *c)
{
	size_t n = 8;

	n += (c->present & PLT_HAS_WORKSHOP) != 0;
	n += (c->present & PLT_HAS_TECHNICIAN) != 0;
	n += (c->present & PLT_HAS_WORK_ORDER) != 0;
	n += (c->present & PLT_HAS_POLICY_VER) != 0;
	plt_cbor_put_map(w, n);
	plt_cbor_put_uint(w, 1);
	plt_cbor_put_tstr(w, (const char *)c->iss.ptr, c->iss.len);
	plt_cbor_put_uint(w, 3);
	plt_cbor_put_tstr(w, (const char *)c->aud.ptr, c->aud.len);
	plt_cbor_put_uint(w, 4);
	plt_cbor_put_int(w, c->exp);
	plt_cbor_put_uint(w, 6);
	plt_cbor_put_int(w, c->iat);
	plt_cbor_put_uint(w, 7);
	plt_cbor_put_bstr(w, c->cti.ptr, c->cti.len);
	plt_cbor_put_uint(w, 9);
	plt_cbor_put_tstr(w, (const char *)c->scope.ptr, c->scope.len);
	plt_cbor_put_uint(w, 39);
	plt_cbor_put_bstr(w, c->cnonce.ptr, c->cnonce.len);
	plt_cbor_put_uint(w, 40);
	plt_cbor_put_uint(w, c->exi);
	if (c->present & PLT_HAS_WORKSHOP) {
		plt_cbor_put_int(w, -65537);
		plt_cbor_put_tstr(w, (const char *)c->workshop.ptr, c->workshop.len);
	}
	if (c->present & PLT_HAS_TECHNICIAN) {
		plt_cbor_put_int(w, -65538);
		plt_cbor_put_tstr(w, (const char *)c->technician.ptr, c->technician.len);
	}
	if (c->present & PLT_HAS_WORK_ORDER) {
		plt_cbor_put_int(w, -65539);
		plt_cbor_put_tstr(w, (const char *)c->work_order.ptr, c->work_order.len);
	}
	if (c->present & PLT_HAS_POLICY_VER) {
		plt_cbor_put_int(w, -65540);
		plt_cbor_put_uint(w, c->policy_version);
	}
}

#define REQUIRED                                                                                   \
	(PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI | PLT_HAS_SCOPE |     \
	 PLT_HAS_CNONCE | PLT_HAS_EXI)

/* Fixed part: tag 18, array(4), bstr(13) {1: -7, 4: h'kid'}, {} */
#define PROT_LEN 13
#define PREFIX_LEN (1 + 1 + 1 + PROT_LEN + 1)
/* Payload bstr head: at most 3 bytes since a token is at most 512 bytes. */
#define PAYLOAD_HEAD_MAX 3

/* The protected header map {1: -7, 4: h'kid'} (PROT_LEN bytes). */
static void put_prefix_hdr(uint8_t *out, const uint8_t kid[PLT_KID_LEN])
{
	static const uint8_t head[] = {0xa2, 0x01, 0x26, 0x04, 0x40 | PLT_KID_LEN};

	memcpy(out, head, sizeof(head));
	memcpy(out + sizeof(head), kid, PLT_KID_LEN);
}

static void put_prefix(uint8_t *out, const uint8_t kid[PLT_KID_LEN])
{
	out[0] = 0xd2;
	out[1] = 0x84;
	out[2] = 0x40 | PROT_LEN;
	put_prefix_hdr(out + 3, kid);
	out[PREFIX_LEN - 1] = 0xa0;
}

/* Writes the payload after a prefix of pre bytes and moves it behind its
 * real bstr head. */
static int put_payload(const struct plt_claims *c, size_t pre, uint8_t *out, size_t cap,
                       size_t *end, struct plt_bytes *payload)
{
	struct plt_cbor_writer w;
	size_t plen = 0, hl;
	uint8_t *body = out + pre + PAYLOAD_HEAD_MAX;
	int e;

	plt_cbor_writer_init(&w, body, cap - pre - PAYLOAD_HEAD_MAX);
	put_claims(&w, c);
	if ((e = plt_cbor_writer_finish(&w, &plen)) != 0)
		return e;
	hl = plen < 24 ? 1 : plen < 256 ? 2 : 3;
	if (plen > 0xffff)
		return PLT_E_NOSPACE;
	out[pre] = (uint8_t)(0x40 | (hl == 1 ? plen : hl == 2 ? 24 : 25));
	if (hl == 2)
		out[pre + 1] = (uint8_t)plen;
	if (hl == 3) {
		out[pre + 1] = (uint8_t)(plen >> 8);
		out[pre + 2] = (uint8_t)plen;
	}
	memmove(out + pre + hl, body, plen);
	payload->ptr = out + pre + hl;
	payload->len = plen;
	*end = pre + hl + plen;
	return 0;
}

int plt_encode(const struct plt_claims *c, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
               void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len)
{
	struct plt_claims back;
	struct plt_bytes prot, payload, none;
	struct sig_parts sp;
	size_t end = 0;
	int e;

	if (c == NULL || kid == NULL || sign == NULL || out == NULL || out_len == NULL)
		return PLT_E_INVAL;
	if ((c->present & REQUIRED) != REQUIRED)
		return PLT_E_CLAIM_MISSING;
	if (cap < PREFIX_LEN + PAYLOAD_HEAD_MAX + 2 + PLT_SIG_LEN)
		return PLT_E_NOSPACE;
	put_prefix(out, kid);
	if ((e = put_payload(c, PREFIX_LEN, out, cap - 2 - PLT_SIG_LEN, &end, &payload)) != 0)
		goto out;
	/* The claims must read back under the strict profile before signing. */
	if ((e = plt__claims_parse(payload, &back, NULL)) != 0)
		goto out;
	if (end + 2 + PLT_SIG_LEN > PLT_TOKEN_MAX) {
		e = PLT_E_TOO_LONG;
		goto out;
	}
	prot.ptr = out + 3;
	prot.len = PROT_LEN;
	none.ptr = NULL;
	none.len = 0;
	plt__sig_parts(&sp, prot, none, payload);
	out[end] = 0x58;
	out[end + 1] = PLT_SIG_LEN;
	if ((e = sign(sign_ctx, sp.iov, 7, out + end + 2)) != 0) {
		e = e < 0 ? e : PLT_E_CRYPTO;
		goto out;
	}
	*out_len = end + 2 + PLT_SIG_LEN;
out:
	if (e != 0)
		plt_wipe(out, cap);
	return e;
}

/* COSE_Sign: tag 98, array(4), h'', {}, then payload and signatures. */
static const uint8_t sign_prefix[] = {0xd8, 0x62, 0x84, 0x40, 0xa0};
/* The signatures array of one, a COSE_Signature head and its protected bstr
 * head, empty unprotected map and signature bstr head around kid and sig. */
#define SIGN_TAIL_LEN (1 + 1 + 1 + PROT_LEN + 1 + 2 + PLT_SIG_LEN)

int plt_encode_sign(const struct plt_claims *c, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
                    void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len)
{
	struct plt_claims back;
	struct plt_bytes prot, payload, none;
	struct sign_parts sp;
	size_t end = 0;
	uint8_t *p;
	int e;

	if (c == NULL || kid == NULL || sign == NULL || out == NULL || out_len == NULL)
		return PLT_E_INVAL;
	if ((c->present & REQUIRED) != REQUIRED)
		return PLT_E_CLAIM_MISSING;
	if (cap < sizeof(sign_prefix) + PAYLOAD_HEAD_MAX + SIGN_TAIL_LEN)
		return PLT_E_NOSPACE;
	memcpy(out, sign_prefix, sizeof(sign_prefix));
	e = put_payload(c, sizeof(sign_prefix), out, cap - SIGN_TAIL_LEN, &end, &payload);
	if (e != 0)
		goto out;
	if ((e = plt__claims_parse(payload, &back, NULL)) != 0)
		goto out;
	/* Room for one co-signature: a COSE_Sign is made to carry two. */
	if (end + SIGN_TAIL_LEN + PLT_COSIGNATURE_LEN > PLT_TOKEN_MAX) {
		e = PLT_E_TOO_LONG;
		goto out;
	}
	p = out + end;
	p[0] = 0x81; /* one signature */
	p[1] = 0x83; /* [protected, unprotected, signature] */
	p[2] = 0x40 | PROT_LEN;
	put_prefix_hdr(p + 3, kid);
	p[3 + PROT_LEN] = 0xa0;
	p[4 + PROT_LEN] = 0x58;
	p[5 + PROT_LEN] = PLT_SIG_LEN;
	prot.ptr = p + 3;
	prot.len = PROT_LEN;
	none.ptr = NULL;
	none.len = 0;
	plt__sign_parts(&sp, none, prot, none, payload);
	if ((e = sign(sign_ctx, sp.iov, PLT_SIGN_PARTS, p + 6 + PROT_LEN)) != 0) {
		e = e < 0 ? e : PLT_E_CRYPTO;
		goto out;
	}
	*out_len = end + SIGN_TAIL_LEN;
out:
	if (e != 0)
		plt_wipe(out, cap);
	return e;
}
