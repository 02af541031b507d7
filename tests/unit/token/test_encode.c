/* plt_encode: round trip, exact layout, size bound, claim checks. */
#include <string.h>

#include <criterion/criterion.h>

#include "tok_fixture.h"

static int fail_sign(void *ctx, const struct plt_iov *parts, size_t n, uint8_t sig[PLT_SIG_LEN])
{
	(void)ctx;
	(void)parts;
	(void)n;
	(void)sig;
	return PLT_E_CRYPTO;
}

Test(token_encode, REQ_TOK_001_round_trip_encode_then_verify)
{
	struct fixture f;
	uint8_t tok[PLT_TOKEN_MAX];
	struct plt_expect x;
	struct plt_token t;
	size_t len;

	fix_init(&f);
	len = fix_issue(&f, FIX_VIN, FIX_OP, f.cnonce, sizeof(f.cnonce), tok, sizeof(tok));
	x = fix_expect(&f);
	cr_assert_eq(plt_verify(tok, len, &f.trust, &f.crypto, &x, &t), 0);
	cr_assert_eq(t.alg, -7);
	cr_assert_arr_eq(t.kid.ptr, f.anchor.kid, PLT_KID_LEN);
	cr_assert_eq(t.claims.present, 0xfffu);
	cr_assert_eq(t.claims.aud.len, 17);
	cr_assert_arr_eq(t.claims.aud.ptr, FIX_VIN, 17);
	cr_assert_arr_eq(t.claims.scope.ptr, FIX_OP, strlen(FIX_OP));
	cr_assert_arr_eq(t.claims.cnonce.ptr, f.cnonce, 16);
	cr_assert_arr_eq(t.claims.cti.ptr, f.cti, 16);
	cr_assert_eq(t.claims.iat, FIX_NOW);
	cr_assert_eq(t.claims.exp, FIX_NOW + 300);
	cr_assert_eq(t.claims.exi, 120);
	cr_assert_eq(t.claims.policy_version, 17);
	cr_assert_eq(t.claims.workshop.len, strlen("DE-0042-MUNICH"));
	cr_assert_eq(t.signature.len, 64);
	fix_fini(&f);
}

Test(token_encode, REQ_TOK_002_typical_token_is_at_most_400_bytes)
{
	struct fixture f;
	uint8_t tok[PLT_TOKEN_MAX], big[32];
	size_t len;

	fix_init(&f);
	memset(big, 0x5a, sizeof(big));
	/* all private claims, 32-byte challenge, 34-char issuer */
	len = fix_issue(&f, FIX_VIN, "ecu.flash.program", big, sizeof(big), tok, sizeof(tok));
	cr_assert_leq(len, 400, "typical token is %zu bytes", len);
	cr_assert_geq(len, 200);
	fix_fini(&f);
}

Test(token_encode, REQ_TOK_003_layout_is_the_documented_one)
{
	struct fixture f;
	uint8_t tok[PLT_TOKEN_MAX];
	size_t len;
	struct plt_token t;
	/* 18([h'A2 01 26 04 48 <kid>', {}, h'<claims>', h'<sig>']) */
	static const uint8_t head[] = {0xd2, 0x84, 0x4d, 0xa2, 0x01, 0x26, 0x04, 0x48};
	/* map(12) starting with 1: tstr */
	static const uint8_t claims_head[] = {0xac, 0x01, 0x78, 0x22};

	fix_init(&f);
	len = fix_issue(&f, FIX_VIN, FIX_OP, f.cnonce, sizeof(f.cnonce), tok, sizeof(tok));
	cr_assert_arr_eq(tok, head, sizeof(head));
	cr_assert_arr_eq(tok + 8, f.anchor.kid, 8);
	cr_assert_eq(tok[16], 0xa0);
	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	cr_assert_arr_eq(t.payload.ptr, claims_head, sizeof(claims_head));
	cr_assert_eq(tok[len - 66], 0x58);
	cr_assert_eq(tok[len - 65], 0x40);
	/* deterministic: the same claims give the same payload bytes */
	{
		uint8_t tok2[PLT_TOKEN_MAX];
		struct plt_token t2;
		size_t len2 =
		    fix_issue(&f, FIX_VIN, FIX_OP, f.cnonce, sizeof(f.cnonce), tok2, sizeof(tok2));

		cr_assert_eq(len2, len);
		cr_assert_eq(plt_decode(tok2, len2, &t2, NULL), 0);
		cr_assert_arr_eq(t2.payload.ptr, t.payload.ptr, t.payload.len);
	}
	fix_fini(&f);
}

Test(token_encode, REQ_TOK_004_encoder_refuses_bad_claims)
{
	struct fixture f;
	struct plt_claims c;
	uint8_t tok[PLT_TOKEN_MAX], small[8];
	size_t len = 0;

	fix_init(&f);
	fix_claims(&f, &c, "WVWZZZ1JZXW00000I", FIX_OP, f.cnonce, 16);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_BAD_VIN);
	fix_claims(&f, &c, FIX_VIN, FIX_OP, f.cnonce, 15);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_CLAIM_TYPE);
	fix_claims(&f, &c, FIX_VIN, "", f.cnonce, 16);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_CLAIM_TYPE);
	fix_claims(&f, &c, FIX_VIN, "bad\xff", f.cnonce, 16);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_CBOR_UTF8);
	fix_claims(&f, &c, FIX_VIN, FIX_OP, f.cnonce, 16);
	c.exp = c.iat;
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_CLAIM_VALUE);
	fix_claims(&f, &c, FIX_VIN, FIX_OP, f.cnonce, 16);
	c.present &= ~PLT_HAS_CNONCE;
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len),
	    PLT_E_CLAIM_MISSING);
	fix_claims(&f, &c, FIX_VIN, FIX_OP, f.cnonce, 16);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, small, sizeof(small), &len),
	    PLT_E_NOSPACE);
	cr_assert_eq(plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, 120, &len),
	             PLT_E_NOSPACE);
	cr_assert_eq(plt_encode(&c, f.anchor.kid, fail_sign, NULL, tok, sizeof(tok), &len),
	             PLT_E_CRYPTO);
	cr_assert_eq(len, 0, "out_len written on failure");
	fix_fini(&f);
}

Test(token_encode, REQ_TOK_005_minimal_token_without_private_claims)
{
	struct fixture f;
	struct plt_claims c;
	uint8_t tok[PLT_TOKEN_MAX];
	size_t len = 0;
	struct plt_expect x;
	struct plt_token t;

	fix_init(&f);
	fix_claims(&f, &c, FIX_VIN, FIX_OP, f.cnonce, 16);
	c.present &=
	    ~(PLT_HAS_WORKSHOP | PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER | PLT_HAS_POLICY_VER);
	cr_assert_eq(
	    plt_encode(&c, f.anchor.kid, plt_openssl_sign_es256, f.key, tok, sizeof(tok), &len), 0);
	x = fix_expect(&f);
	cr_assert_eq(plt_verify(tok, len, &f.trust, &f.crypto, &x, &t), 0);
	cr_assert_eq(t.claims.present, 0xffu);
	fix_fini(&f);
}
