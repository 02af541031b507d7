/*
 * plt_decode / plt_verify: exhaustive mutation, the claims matrix, algorithm
 * and header confusion, claim checks, and every expectation with its code.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "tok_fixture.h"

static struct fixture f;
static uint8_t good[PLT_TOKEN_MAX];
static size_t good_len;

static void setup(void)
{
	fix_init(&f);
	good_len = fix_issue(&f, FIX_VIN, FIX_OP, f.cnonce, sizeof(f.cnonce), good, sizeof(good));
}

static void teardown(void)
{
	fix_fini(&f);
}

static int verify(const uint8_t *tok, size_t len)
{
	struct plt_expect x = fix_expect(&f);

	return plt_verify(tok, len, &f.trust, &f.crypto, &x, NULL);
}

TestSuite(token_verify, .init = setup, .fini = teardown);

Test(token_verify, REQ_TOK_010_every_bit_flip_is_rejected)
{
	uint8_t m[PLT_TOKEN_MAX];
	size_t i, accepted = 0, tried = 0;

	cr_assert_eq(verify(good, good_len), 0);
	for (i = 0; i < good_len * 8; i++) {
		memcpy(m, good, good_len);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (verify(m, good_len) == 0)
			accepted++;
		tried++;
	}
	cr_assert_eq(tried, good_len * 8);
	cr_assert_eq(accepted, 0, "%zu of %zu bit flips accepted", accepted, tried);
}

Test(token_verify, REQ_TOK_011_every_truncation_and_append_is_rejected)
{
	uint8_t m[PLT_TOKEN_MAX + 16];
	size_t i, k;

	for (i = 0; i < good_len; i++)
		cr_assert_neq(verify(good, i), 0, "truncated to %zu accepted", i);
	for (k = 1; k <= 16; k++) {
		memcpy(m, good, good_len);
		memset(m + good_len, 0, k);
		cr_assert_eq(verify(m, good_len + k), PLT_E_TRAILING, "append %zu zero bytes", k);
		memset(m + good_len, 0xf6, k);
		cr_assert_eq(verify(m, good_len + k), PLT_E_TRAILING, "append %zu nil items", k);
	}
}

Test(token_verify, REQ_TOK_012_claims_matrix_exactly_one_accept_per_token)
{
	static const char *vins[] = {"WVWZZZ1JZXW000001", "WVWZZZ1JZXW000002", "1HGCM82633A004352"};
	static const char *ops[] = {"door.unlock", "door.lock", "ecu.flash.program"};
	uint8_t nonces[3][16];
	size_t a, b, c, va, vb, vc;

	memset(nonces, 0, sizeof(nonces));
	nonces[0][0] = 1;
	nonces[1][0] = 2;
	nonces[2][15] = 1;
	for (a = 0; a < 3; a++)
		for (b = 0; b < 3; b++)
			for (c = 0; c < 3; c++) {
				uint8_t tok[PLT_TOKEN_MAX];
				size_t len =
				    fix_issue(&f, vins[a], ops[b], nonces[c], 16, tok, sizeof(tok));
				size_t accepts = 0;

				for (va = 0; va < 3; va++)
					for (vb = 0; vb < 3; vb++)
						for (vc = 0; vc < 3; vc++) {
							struct plt_expect x = fix_expect(&f);
							int r, want;

							x.vin = vins[va];
							x.op = ops[vb];
							x.cnonce = nonces[vc];
							r = plt_verify(tok, len, &f.trust,
							               &f.crypto, &x, NULL);
							want = va != a   ? PLT_E_WRONG_VIN
							       : vb != b ? PLT_E_WRONG_OP
							       : vc != c ? PLT_E_WRONG_CNONCE
							                 : 0;
							cr_assert_eq(r, want);
							accepts += r == 0;
						}
				cr_assert_eq(accepts, 1);
			}
}

/* Protected {1: alg, 4: kid} built by hand. */
static size_t prot_map(uint8_t *out, size_t cap, int with_alg, int64_t alg, int with_kid,
                       size_t kid_len, int extra_label)
{
	struct plt_cbor_writer w;
	size_t len = 0;

	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, (size_t)(with_alg + with_kid + (extra_label != 0)));
	if (with_alg) {
		plt_cbor_put_uint(&w, 1);
		plt_cbor_put_int(&w, alg);
	}
	if (extra_label == 2) {
		plt_cbor_put_uint(&w, 2);
		plt_cbor_put_array(&w, 1);
		plt_cbor_put_uint(&w, 4);
	} else if (extra_label != 0) {
		plt_cbor_put_uint(&w, (uint64_t)extra_label);
		plt_cbor_put_uint(&w, 0);
	}
	if (with_kid) {
		plt_cbor_put_uint(&w, 4);
		plt_cbor_put_bstr(&w, f.anchor.kid, kid_len);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

static int strict(const uint8_t *tok, size_t len)
{
	struct plt_token t;

	return plt_decode(tok, len, &t, NULL);
}

Test(token_verify, REQ_TOK_013_algorithm_and_header_confusion_each_has_its_code)
{
	uint8_t pay[PLT_TOKEN_MAX], prot[64], tok[PLT_TOKEN_MAX], unprot[32];
	size_t pl = fix_payload(&f, pay, sizeof(pay)), n, ul;
	int codes[32], i, j, k = 0;
	static const uint8_t empty[] = {0xa0};
	static const uint8_t unprot_alg[] = {0xa1, 0x01, 0x26};

	/* the well-formed reference built the same way verifies */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(verify(tok, n), 0);

	/* alg missing */
	n = prot_map(prot, sizeof(prot), 0, 0, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_ALG_MISSING);
	/* alg only unprotected */
	n = prot_map(prot, sizeof(prot), 0, 0, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, unprot_alg, sizeof(unprot_alg), pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_ALG_UNPROTECTED);
	/* HS256 */
	n = prot_map(prot, sizeof(prot), 1, 5, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_ALG_MAC);
	/* unknown algorithm (and ES384, which is known but not ES256) */
	n = prot_map(prot, sizeof(prot), 1, -999, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_ALG_UNSUPPORTED);
	n = prot_map(prot, sizeof(prot), 1, -35, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(verify(tok, n), PLT_E_ALG_UNSUPPORTED);
	/* duplicate label inside protected: {1:-7, 1:-7, 4:kid} */
	{
		static const uint8_t dup[] = {0xa3, 0x01, 0x26, 0x01, 0x26};

		memcpy(prot, dup, sizeof(dup));
		prot[sizeof(dup)] = 0x04;
		prot[sizeof(dup) + 1] = 0x48;
		memcpy(prot + sizeof(dup) + 2, f.anchor.kid, 8);
		n = fix_sign1(&f, 18, prot, sizeof(dup) + 10, empty, 1, pay, pl, tok, sizeof(tok));
		cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_CBOR_DUPKEY);
	}
	/* the same label in both buckets is a duplicate too */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	n = fix_sign1(&f, 18, prot, n, unprot_alg, sizeof(unprot_alg), pay, pl, tok, sizeof(tok));
	cr_assert_eq(verify(tok, n), PLT_E_CBOR_DUPKEY);
	/* crit */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 2);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_CRIT);
	/* untagged */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	n = fix_sign1(&f, -1, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_UNTAGGED);
	/* wrong tag: COSE_Sign (98) and COSE_Mac0 (17) */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	n = fix_sign1(&f, 98, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_WRONG_TAG);
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	n = fix_sign1(&f, 17, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(verify(tok, n), PLT_E_WRONG_TAG);
	/* indefinite-length array and indefinite-length protected map */
	memcpy(tok, good, good_len);
	tok[1] = 0x9f;
	cr_assert_eq(codes[k++] = verify(tok, good_len), PLT_E_CBOR_INDEFINITE);
	memcpy(tok, good, good_len);
	tok[3] = 0xbf;
	cr_assert_eq(verify(tok, good_len), PLT_E_CBOR_INDEFINITE);
	/* kid only unprotected */
	n = prot_map(prot, sizeof(prot), 1, -7, 0, 0, 0);
	ul = 0;
	unprot[ul++] = 0xa1;
	unprot[ul++] = 0x04;
	unprot[ul++] = 0x48;
	memcpy(unprot + ul, f.anchor.kid, 8);
	ul += 8;
	n = fix_sign1(&f, 18, prot, n, unprot, ul, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_KID_UNPROTECTED);
	/* kid missing, kid of the wrong length */
	n = prot_map(prot, sizeof(prot), 1, -7, 0, 0, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_KID_MISSING);
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 7, 0);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_KID_FORMAT);
	/* another protected header (content type 3) */
	n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 3);
	n = fix_sign1(&f, 18, prot, n, empty, 1, pay, pl, tok, sizeof(tok));
	cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_HDR_UNKNOWN);
	/* a non-empty unprotected map ({5: h'00'}, IV) */
	{
		static const uint8_t iv[] = {0xa1, 0x05, 0x41, 0x00};

		n = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
		n = fix_sign1(&f, 18, prot, n, iv, sizeof(iv), pay, pl, tok, sizeof(tok));
		cr_assert_eq(codes[k++] = verify(tok, n), PLT_E_UNPROTECTED);
	}
	/* protected is a map, not a bstr */
	memcpy(tok, good, good_len);
	tok[2] = 0xa0; /* the bstr head becomes an empty map; rest is garbage */
	cr_assert_eq(codes[k++] = verify(tok, good_len), PLT_E_HDR_FORMAT);
	/* non-minimal array head */
	{
		uint8_t m[PLT_TOKEN_MAX + 1];

		m[0] = 0xd2;
		m[1] = 0x98;
		m[2] = 0x04;
		memcpy(m + 3, good + 2, good_len - 2);
		cr_assert_eq(codes[k++] = verify(m, good_len + 1), PLT_E_CBOR_NONMINIMAL);
	}
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			cr_assert_neq(codes[i], codes[j], "cases %d and %d share %s", i, j,
			              plt_errname(codes[i]));
}

Test(token_verify, REQ_TOK_014_body_shape_rules)
{
	uint8_t m[PLT_TOKEN_MAX + 8];
	size_t sig_at = good_len - 66;

	/* signature of 63 bytes: shorten the bstr by one */
	memcpy(m, good, good_len);
	m[sig_at + 1] = 63;
	cr_assert_eq(verify(m, good_len - 1), PLT_E_SIG_LENGTH);
	/* signature of 65 bytes */
	memcpy(m, good, good_len);
	m[sig_at + 1] = 65;
	m[good_len] = 0;
	cr_assert_eq(verify(m, good_len + 1), PLT_E_SIG_LENGTH);
	/* nil payload: 18([prot, {}, nil, sig]) */
	{
		size_t n = 0;

		memcpy(m, good, 17);
		n = 17;
		m[n++] = 0xf6;
		memcpy(m + n, good + sig_at, 66);
		n += 66;
		cr_assert_eq(verify(m, n), PLT_E_PAYLOAD_DETACHED);
	}
	/* array of 3 */
	memcpy(m, good, good_len);
	m[1] = 0x83;
	cr_assert_eq(verify(m, good_len), PLT_E_NOT_SIGN1);
	/* longer than the profile allows */
	{
		static uint8_t big[PLT_TOKEN_MAX + 1];
		struct plt_token t;
		size_t off = 0;

		memcpy(big, good, good_len);
		cr_assert_eq(verify(big, sizeof(big)), PLT_E_TOO_LONG);
		cr_assert_eq(plt_decode(big, sizeof(big), &t, &off), PLT_E_TOO_LONG);
		cr_assert_eq(off, PLT_TOKEN_MAX);
	}
}

Test(token_verify, REQ_TOK_015_claims_are_checked_strictly)
{
	uint8_t prot[64], tok[PLT_TOKEN_MAX], pay[PLT_TOKEN_MAX], p2[PLT_TOKEN_MAX];
	size_t pn = prot_map(prot, sizeof(prot), 1, -7, 1, 8, 0);
	size_t pl = fix_payload(&f, pay, sizeof(pay)), n;
	static const uint8_t empty[] = {0xa0};
	struct plt_token t;
	size_t off = 0;

	/* an unknown claim: map(13) with 2: "x" appended */
	memcpy(p2, pay, pl);
	p2[0] = 0xad;
	p2[pl] = 0x02;
	p2[pl + 1] = 0x61;
	p2[pl + 2] = 'x';
	n = fix_sign1(&f, 18, prot, pn, empty, 1, p2, pl + 3, tok, sizeof(tok));
	cr_assert_eq(plt_decode(tok, n, &t, &off), PLT_E_CLAIM_UNKNOWN);
	cr_assert_eq(off, 17 + 2 + pl, "offset of the unknown key, got %zu", off);
	/* a duplicate claim: policy version twice */
	memcpy(p2, pay, pl);
	p2[0] = 0xad;
	memcpy(p2 + pl, "\x3a\x00\x01\x00\x03\x05", 6);
	n = fix_sign1(&f, 18, prot, pn, empty, 1, p2, pl + 6, tok, sizeof(tok));
	cr_assert_eq(strict(tok, n), PLT_E_CBOR_DUPKEY);
	/* a missing claim: map(11) without the last entry (policy version 17) */
	memcpy(p2, pay, pl);
	p2[0] = 0xab;
	n = fix_sign1(&f, 18, prot, pn, empty, 1, p2, pl - 6, tok, sizeof(tok));
	cr_assert_eq(strict(tok, n), 0, "policy version is optional");
	{
		/* drop iss (the first entry: 01 78 22 <34 bytes>, bytes 1..37) */
		memcpy(p2, pay, pl);
		p2[37] = 0xab;
		n = fix_sign1(&f, 18, prot, pn, empty, 1, p2 + 37, pl - 37, tok, sizeof(tok));
		cr_assert_eq(strict(tok, n), PLT_E_CLAIM_MISSING);
	}
	/* wrong type: iss as a bstr */
	memcpy(p2, pay, pl);
	p2[2] = 0x58;
	n = fix_sign1(&f, 18, prot, pn, empty, 1, p2, pl, tok, sizeof(tok));
	cr_assert_eq(strict(tok, n), PLT_E_CLAIM_TYPE);
	/* aud not a VIN: its last letter (03 71 <17 bytes> from byte 38) becomes 'I' */
	memcpy(p2, pay, pl);
	cr_assert_eq(p2[38], 0x03);
	p2[40 + 16] = 'I';
	n = fix_sign1(&f, 18, prot, pn, empty, 1, p2, pl, tok, sizeof(tok));
	cr_assert_eq(strict(tok, n), PLT_E_BAD_VIN);
	/* payload not a map */
	n = fix_sign1(&f, 18, prot, pn, empty, 1, (const uint8_t *)"\x80", 1, tok, sizeof(tok));
	cr_assert_eq(strict(tok, n), PLT_E_CLAIM_TYPE);
}

Test(token_verify, REQ_TOK_016_expectations_each_have_their_code)
{
	struct plt_expect x;
	uint8_t other[16];

	x = fix_expect(&f);
	x.vin = "WVWZZZ1JZXW000009";
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_VIN);
	x = fix_expect(&f);
	x.vin = "WVWZZZ1JZXW0000011"; /* a prefix match is no match */
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_VIN);
	x = fix_expect(&f);
	x.op = "door.unlock.all";
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_OP);
	x = fix_expect(&f);
	x.op = "door";
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_OP);
	x = fix_expect(&f);
	memcpy(other, f.cnonce, 16);
	other[15] ^= 0x80;
	x.cnonce = other;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_CNONCE);
	x = fix_expect(&f);
	x.cnonce_len = 15;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_WRONG_CNONCE);
	/* age: exi is 120 */
	x = fix_expect(&f);
	x.age_s = 120;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), 0);
	x.age_s = 121;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL),
	             PLT_E_CHALLENGE_EXPIRED);
	x.age_s = -1; /* not checked */
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), 0);
	/* clock: iat = FIX_NOW, exp = FIX_NOW + 300, skew 60 */
	x = fix_expect(&f);
	x.now = FIX_NOW + 300 + PLT_CLOCK_SKEW_S;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), 0);
	x.now++;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), PLT_E_EXPIRED);
	x.now = FIX_NOW - PLT_CLOCK_SKEW_S;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), 0);
	x.now--;
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL),
	             PLT_E_NOT_YET_VALID);
	x.have_clock = 0; /* an ECU without a clock */
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, &x, NULL), 0);
	/* NULL expectation: decode + trust + signature only */
	cr_assert_eq(plt_verify(good, good_len, &f.trust, &f.crypto, NULL, NULL), 0);
}

Test(token_verify, REQ_TOK_017_trust_store_and_signature)
{
	struct plt_expect x = fix_expect(&f);
	struct plt_trust_anchor anchors[2] = {{.role = PLT_ROLE_BROKER}, {.role = PLT_ROLE_BROKER}};
	struct plt_trust_store ts;
	struct plt_token t;
	EVP_PKEY *other = EVP_EC_gen("P-256");

	cr_assert_not_null(other);
	/* empty store */
	ts.anchors = NULL;
	ts.count = 0;
	cr_assert_eq(plt_verify(good, good_len, &ts, &f.crypto, &x, NULL), PLT_E_NO_TRUST);
	/* the signer's kid is not in the store */
	cr_assert_eq(plt_openssl_pub_from_pkey(other, anchors[0].pub), 0);
	cr_assert_eq(plt_openssl_kid(anchors[0].pub, anchors[0].kid), 0);
	ts.anchors = anchors;
	ts.count = 1;
	memset(&t, 0, sizeof(t));
	cr_assert_eq(plt_verify(good, good_len, &ts, &f.crypto, &x, &t), PLT_E_KID_UNKNOWN);
	cr_assert_eq(t.kid.len, 8, "decoded token handed out after decoding");
	/* same kid, another key: the signature does not verify */
	memcpy(anchors[0].kid, f.anchor.kid, 8);
	cr_assert_eq(plt_verify(good, good_len, &ts, &f.crypto, &x, NULL), PLT_E_BAD_SIGNATURE);
	/* found as the second of two anchors */
	cr_assert_eq(plt_openssl_kid(anchors[0].pub, anchors[0].kid), 0);
	anchors[1] = f.anchor;
	ts.count = 2;
	cr_assert_eq(plt_verify(good, good_len, &ts, &f.crypto, &x, NULL), 0);
	EVP_PKEY_free(other);
}

Test(token_verify, REQ_TOK_018_decode_reports_the_byte_offset)
{
	uint8_t m[PLT_TOKEN_MAX];
	struct plt_token t;
	size_t off = 999;

	memcpy(m, good, good_len);
	m[0] = 0xd1;
	cr_assert_eq(plt_decode(m, good_len, &t, &off), PLT_E_WRONG_TAG);
	cr_assert_eq(off, 0);
	memcpy(m, good, good_len);
	m[good_len - 66] = 0x41;
	cr_assert_eq(plt_decode(m, good_len, &t, &off), PLT_E_SIG_LENGTH);
	cr_assert_eq(off, good_len - 66);
	cr_assert_eq(plt_decode(good, good_len - 1, &t, &off), PLT_E_TRUNCATED);
	cr_assert_eq(off, good_len - 66);
}
