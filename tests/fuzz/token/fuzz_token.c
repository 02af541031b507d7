/*
 * libFuzzer target for lib/token: the strict decoder, the full verifier (with
 * the OpenSSL hook and, to reach the claim checks behind the signature, with
 * a hook that accepts every signature), and the generic COSE_Sign1 verifier.
 * The trust anchor is the RFC 8392 A.2.3 test key that signed the seeds
 * (corpus/valid-*.cbor; rfc8392-key.pem is that public test key).
 */
#include <stdint.h>
#include <string.h>

#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

static const struct plt_trust_anchor anchor = {
    {0x18, 0x0c, 0xe3, 0xe5, 0x6d, 0x72, 0x7f, 0xe1},
    {0x04, 0x14, 0x33, 0x29, 0xcc, 0xe7, 0x86, 0x8e, 0x41, 0x69, 0x27, 0x59, 0x9c,
     0xf6, 0x5a, 0x34, 0xf3, 0xce, 0x2f, 0xfd, 0xa5, 0x5a, 0x7e, 0xca, 0x69, 0xed,
     0x89, 0x19, 0xa3, 0x94, 0xd4, 0x2f, 0x0f, 0x60, 0xf7, 0xf1, 0xa7, 0x80, 0xd8,
     0xa7, 0x83, 0xbf, 0xb7, 0xa2, 0xdd, 0x6b, 0x27, 0x96, 0xe8, 0x12, 0x8d, 0xbb,
     0xce, 0xf9, 0xd3, 0xd1, 0x68, 0xdb, 0x95, 0x29, 0x97, 0x1a, 0x36, 0xe7, 0xb9},
    PLT_ROLE_BROKER,
};

static volatile uint8_t sink;

/* Reads every part so ASan sees overreads, then accepts. */
static int accept_all(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN], const struct plt_iov *parts,
                      size_t nparts, const uint8_t sig[PLT_SIG_LEN])
{
	uint8_t acc = 0;
	size_t i, k;

	(void)ctx;
	for (i = 0; i < nparts; i++)
		for (k = 0; k < parts[i].len; k++)
			acc ^= parts[i].ptr[k];
	for (k = 0; k < PLT_SIG_LEN; k++)
		acc ^= sig[k];
	acc ^= pub[0];
	sink = acc;
	return 0;
}

static const uint8_t cokid[PLT_KID_LEN] = {0xc0, 0x51, 0x63, 0x9e, 0x00, 0x00, 0x00, 0x01};
static const struct plt_threshold rows[] = {{"ignition.enable", {1, 1}}, {NULL, {1, 0}}};
static const struct plt_thresholds th = {rows, 2};

/* A signer that writes a fixed "signature" after reading every part. */
static int fake_sign(void *ctx, const struct plt_iov *parts, size_t nparts,
                     uint8_t sig[PLT_SIG_LEN])
{
	uint8_t acc = 0;

	(void)ctx;
	for (size_t i = 0; i < nparts; i++)
		for (size_t k = 0; k < parts[i].len; k++)
			acc ^= parts[i].ptr[k];
	memset(sig, acc, PLT_SIG_LEN);
	return 0;
}

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct plt_trust_store ts = {&anchor, 1};
	struct plt_crypto real, fake = {accept_all, NULL};
	struct plt_expect x;
	struct plt_token t;
	size_t off = 0;
	int r, rd;

	plt_openssl_crypto(&real);
	memset(&x, 0, sizeof(x));
	x.vin = "WVWZZZ1JZXW000001";
	x.op = "door.unlock";
	x.cnonce = nonce;
	x.cnonce_len = sizeof(nonce);
	x.age_s = 5;
	x.have_clock = 1;
	x.now = 1767225600;

	rd = plt_decode(data, size, &t, &off);
	/* a failed decode reports an offset inside the input (or the size cap) */
	must(rd == 0 || off <= (size > PLT_TOKEN_MAX ? PLT_TOKEN_MAX : size));
	if (rd == 0) {
		must(t.signature.len == PLT_SIG_LEN && t.kid.len == PLT_KID_LEN);
		must(plt_vin_valid((const char *)t.claims.aud.ptr, t.claims.aud.len));
		/* every signer in the profile, none twice, inside the input */
		must(t.nsigners >= 1 && t.nsigners <= PLT_SIGNERS_MAX);
		for (size_t i = 0; i < t.nsigners; i++) {
			must(t.signers[i].kid.len == PLT_KID_LEN);
			must(t.signers[i].signature.len == PLT_SIG_LEN);
			must(t.signers[i].off + t.signers[i].len <= size);
			for (size_t j = 0; j < i; j++)
				must(memcmp(t.signers[i].kid.ptr, t.signers[j].kid.ptr,
				            PLT_KID_LEN) != 0);
		}
	}
	r = plt_verify(data, size, &ts, &fake, &x, &t);
	/* the decoder alone decides up to the signature; the fake hook accepts */
	must(rd != 0 ? r == rd : r != PLT_E_BAD_SIGNATURE);
	r = plt_verify(data, size, &ts, &real, &x, NULL);
	must(rd == 0 || r == rd);
	/* with thresholds (the anchor is a broker; a co-signer is never there) */
	r = plt_verify_signers(data, size, &ts, &fake, &x, &th, NULL);
	must(rd != 0 ? r == rd : r != PLT_E_BAD_SIGNATURE);
	if (rd == 0 && t.tag == PLT_TAG_SIGN) {
		uint8_t sig[PLT_COSIGNATURE_LEN], out[PLT_TOKEN_MAX];
		size_t sl = 0, ol = 0;
		struct plt_token t2;

		/* a co-signature appended to a decodable token decodes again */
		if (plt_cosign(data, size, cokid, fake_sign, NULL, sig, sizeof(sig), &sl) == 0 &&
		    plt_sign_append(data, size, sig, sl, out, sizeof(out), &ol) == 0) {
			must(plt_decode(out, ol, &t2, NULL) == 0);
			must(t2.nsigners == t.nsigners + 1);
		}
	}
	(void)plt_cose_sign1_verify(data, size, NULL, 0, anchor.pub, &real);
	(void)plt_cose_sign1_verify(data, size, data, size > 8 ? 8 : size, anchor.pub, &fake);
	return 0;
}
