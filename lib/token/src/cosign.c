/*
 * plt_cosign and plt_sign_append: a further signer's COSE_Signature over a
 * token's payload, and a COSE_Sign token with that signature added. Signers
 * are independent: each signs its own Sig_structure (RFC 9052 section 4.4)
 * over the same payload, never another signer's bytes.
 */
#include <string.h>

#include "token_int.h"

/* Nonzero when kid signed t already. */
static int token_has_kid(const struct plt_token *t, const uint8_t *kid)
{
	size_t i;

	for (i = 0; i < t->nsigners; i++)
		if (t->signers[i].kid.len == PLT_KID_LEN &&
		    plt_ct_equal(t->signers[i].kid.ptr, kid, PLT_KID_LEN))
			return 1;
	return 0;
}

int plt_cosign(const uint8_t *tok, size_t len, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
               void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len)
{
	static const uint8_t hdr[] = {0x83, 0x40 | PLT_SIGN_PROT_LEN, 0xa2, 0x01, 0x26,
	                              0x04, 0x40 | PLT_KID_LEN};
	struct plt_token t;
	struct plt_bytes prot, none;
	struct sign_parts sp;
	size_t at;
	int e;

	if (tok == NULL || kid == NULL || sign == NULL || out == NULL || out_len == NULL)
		return PLT_E_INVAL;
	if (cap < PLT_COSIGNATURE_LEN)
		return PLT_E_NOSPACE;
	memset(&t, 0, sizeof(t));
	if ((e = plt__decode(tok, len, &t, NULL)) != 0)
		return e;
	if (token_has_kid(&t, kid))
		return PLT_E_DUPLICATE_SIGNER;
	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), kid, PLT_KID_LEN);
	at = sizeof(hdr) + PLT_KID_LEN;
	out[at++] = 0xa0;
	out[at++] = 0x58;
	out[at++] = PLT_SIG_LEN;
	prot.ptr = out + 2;
	prot.len = PLT_SIGN_PROT_LEN;
	none.ptr = NULL;
	none.len = 0;
	plt__sign_parts(&sp, none, prot, none, t.payload);
	if ((e = sign(sign_ctx, sp.iov, PLT_SIGN_PARTS, out + at)) != 0) {
		plt_wipe(out, cap);
		return e < 0 ? e : PLT_E_CRYPTO;
	}
	*out_len = PLT_COSIGNATURE_LEN;
	return 0;
}

/* sig[0..sig_len) is exactly one COSE_Signature in the profile. */
static int cosignature_parse(const uint8_t *sig, size_t sig_len, struct plt_signer *s)
{
	struct plt_cbor_reader r;
	size_t off = 0;
	int e;

	plt_cbor_reader_init(&r, sig, sig_len);
	if ((e = plt__dec_signer(&r, s, &off)) != 0)
		return e;
	return plt_cbor_end(&r);
}

int plt_sign_append(const uint8_t *tok, size_t len, const uint8_t *sig, size_t sig_len,
                    uint8_t *out, size_t cap, size_t *out_len)
{
	struct plt_token t;
	struct plt_signer s;
	size_t head, n;
	int e;

	if (tok == NULL || sig == NULL || out == NULL || out_len == NULL)
		return PLT_E_INVAL;
	memset(&t, 0, sizeof(t));
	if ((e = plt__decode(tok, len, &t, NULL)) != 0)
		return e;
	if (t.tag != COSE_TAG_SIGN)
		return PLT_E_NOT_SIGN;
	if ((e = cosignature_parse(sig, sig_len, &s)) != 0)
		return e;
	if (token_has_kid(&t, s.kid.ptr))
		return PLT_E_DUPLICATE_SIGNER;
	if (t.nsigners >= PLT_SIGNERS_MAX)
		return PLT_E_TOO_MANY_SIGNATURES;
	/* n <= 4 signatures: the array head is the one byte before the first. */
	n = len + sig_len;
	if (n > PLT_TOKEN_MAX)
		return PLT_E_TOO_LONG;
	if (n > cap)
		return PLT_E_NOSPACE;
	head = t.signers[0].off - 1;
	memcpy(out, tok, head);
	out[head] = (uint8_t)(0x80u | (t.nsigners + 1));
	memcpy(out + head + 1, tok + head + 1, len - head - 1);
	memcpy(out + len, sig, sig_len);
	*out_len = n;
	return 0;
}
