/*
 * The generic RFC 9052 COSE_Sign1 verifier against every public ES256 Sign1
 * vector (tests/vectors/cose_sign1.tsv), and the strict profile's deviations.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "tok_fixture.h"

struct vec {
	char *f[6];
};

/* What the strict profile (plt_decode) says about each vector. Every vector
 * that the generic verifier accepts is rejected here: none carries a
 * protected 8-byte kid, and some are untagged or have extra headers. */
static const struct {
	const char *name;
	int strict;
} deviations[] = {
    {"cose-wg-Examples/sign1-tests/sign-fail-01.json", PLT_E_WRONG_TAG},
    {"cose-wg-Examples/sign1-tests/sign-fail-02.json", PLT_E_KID_UNPROTECTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-03.json", PLT_E_ALG_UNSUPPORTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-04.json", PLT_E_ALG_UNSUPPORTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-06.json", PLT_E_KID_UNPROTECTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-07.json", PLT_E_KID_UNPROTECTED},
    {"cose-wg-Examples/sign1-tests/sign-pass-01.json", PLT_E_ALG_UNPROTECTED},
    {"cose-wg-Examples/sign1-tests/sign-pass-02.json", PLT_E_KID_UNPROTECTED},
    {"cose-wg-Examples/sign1-tests/sign-pass-03.json", PLT_E_UNTAGGED},
    {"cose-wg-Examples/ecdsa-examples/ecdsa-sig-01.json", PLT_E_KID_UNPROTECTED},
    {"cose-wg-Examples/CWT/A_3.json", PLT_E_KID_MISSING},
    {"cose-wg-Examples/RFC8152/Appendix_C_2_1.json", PLT_E_KID_UNPROTECTED},
    {"veraison-go-cose/testdata/sign1-verify-0000.json", PLT_E_KID_UNPROTECTED},
    {"veraison-go-cose/testdata/sign1-verify-0001.json", PLT_E_KID_UNPROTECTED},
    {"veraison-go-cose/testdata/sign1-verify-negative-0000.json", PLT_E_HDR_FORMAT},
    {"veraison-go-cose/testdata/sign1-verify-negative-0001.json", PLT_E_HDR_FORMAT},
    {"veraison-go-cose/testdata/sign1-verify-negative-0002.json", PLT_E_CBOR_DUPKEY},
    {"veraison-go-cose/testdata/sign1-verify-negative-0003.json", PLT_E_CBOR_DUPKEY},
    {"rfc8392/A.3", PLT_E_KID_UNPROTECTED},
};

/* The reason each rejected vector must be rejected by the generic verifier. */
static const struct {
	const char *name;
	int generic;
} generic_codes[] = {
    {"cose-wg-Examples/sign1-tests/sign-fail-01.json", PLT_E_WRONG_TAG},
    {"cose-wg-Examples/sign1-tests/sign-fail-02.json", PLT_E_BAD_SIGNATURE},
    {"cose-wg-Examples/sign1-tests/sign-fail-03.json", PLT_E_ALG_UNSUPPORTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-04.json", PLT_E_ALG_UNSUPPORTED},
    {"cose-wg-Examples/sign1-tests/sign-fail-06.json", PLT_E_BAD_SIGNATURE},
    {"cose-wg-Examples/sign1-tests/sign-fail-07.json", PLT_E_BAD_SIGNATURE},
    {"veraison-go-cose/testdata/sign1-verify-negative-0000.json", PLT_E_HDR_FORMAT},
    {"veraison-go-cose/testdata/sign1-verify-negative-0001.json", PLT_E_HDR_FORMAT},
    {"veraison-go-cose/testdata/sign1-verify-negative-0002.json", PLT_E_CBOR_DUPKEY},
    {"veraison-go-cose/testdata/sign1-verify-negative-0003.json", PLT_E_CBOR_DUPKEY},
};

static size_t load(char **text, struct vec *v, size_t cap)
{
	size_t pos = 0, n = 0;

	*text = fix_read_vector("cose_sign1.tsv");
	while (n < cap && fix_tsv_next(*text, &pos, v[n].f, 6) == 6)
		n++;
	return n;
}

static int lookup(const char *name, int strict, int *code)
{
	size_t i;

	if (strict) {
		for (i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++)
			if (strcmp(deviations[i].name, name) == 0) {
				*code = deviations[i].strict;
				return 1;
			}
		return 0;
	}
	for (i = 0; i < sizeof(generic_codes) / sizeof(generic_codes[0]); i++)
		if (strcmp(generic_codes[i].name, name) == 0) {
			*code = generic_codes[i].generic;
			return 1;
		}
	return 0;
}

Test(token_cose, REQ_TOK_020_generic_verifier_gets_every_vector_right)
{
	struct vec v[64];
	struct plt_crypto crypto;
	char *text = NULL;
	size_t n = load(&text, v, 64), i;

	plt_openssl_crypto(&crypto);
	cr_assert_eq(n, 19, "expected 19 Sign1 vectors, found %zu", n);
	for (i = 0; i < n; i++) {
		uint8_t msg[1024], pub[80], aad[64];
		size_t ml = fix_unhex(v[i].f[2], msg, sizeof(msg));
		size_t pl = fix_unhex(v[i].f[3], pub, sizeof(pub));
		size_t al = fix_unhex(v[i].f[4], aad, sizeof(aad));
		int r = plt_cose_sign1_verify(msg, ml, al ? aad : NULL, al, pub, &crypto);
		int want = 0;

		cr_assert_eq(pl, PLT_P256_PUB_LEN);
		if (v[i].f[1][0] == '1') {
			cr_expect_eq(r, 0, "%s: expected to verify, got %s", v[i].f[0],
			             plt_errname(r));
		} else {
			cr_assert(lookup(v[i].f[0], 0, &want), "%s: no expected code", v[i].f[0]);
			cr_expect_eq(r, want, "%s: expected %s, got %s", v[i].f[0],
			             plt_errname(want), plt_errname(r));
		}
	}
	free(text);
}

Test(token_cose, REQ_TOK_021_strict_profile_deviations_are_listed)
{
	struct vec v[64];
	char *text = NULL;
	size_t n = load(&text, v, 64), i;

	cr_assert_eq(n, sizeof(deviations) / sizeof(deviations[0]));
	for (i = 0; i < n; i++) {
		uint8_t msg[1024];
		struct plt_token t;
		size_t ml = fix_unhex(v[i].f[2], msg, sizeof(msg));
		int want = 1;
		int r = plt_decode(msg, ml, &t, NULL);

		cr_assert(lookup(v[i].f[0], 1, &want), "%s: not in the deviation list", v[i].f[0]);
		cr_expect_eq(r, want, "%s: strict profile expected %s, got %s", v[i].f[0],
		             plt_errname(want), plt_errname(r));
	}
	free(text);
}

Test(token_cose, REQ_TOK_022_generic_verifier_rejects_wrong_external_aad)
{
	struct vec v[64];
	struct plt_crypto crypto;
	char *text = NULL;
	size_t n = load(&text, v, 64), i, checked = 0;

	plt_openssl_crypto(&crypto);
	for (i = 0; i < n; i++) {
		uint8_t msg[1024], pub[80], aad[64];
		size_t ml, al;

		if (v[i].f[1][0] != '1' || strcmp(v[i].f[4], "-") == 0)
			continue;
		ml = fix_unhex(v[i].f[2], msg, sizeof(msg));
		fix_unhex(v[i].f[3], pub, sizeof(pub));
		al = fix_unhex(v[i].f[4], aad, sizeof(aad));
		aad[0] ^= 1;
		cr_expect_eq(plt_cose_sign1_verify(msg, ml, aad, al, pub, &crypto),
		             PLT_E_BAD_SIGNATURE, "%s", v[i].f[0]);
		cr_expect_eq(plt_cose_sign1_verify(msg, ml, NULL, 0, pub, &crypto),
		             PLT_E_BAD_SIGNATURE, "%s", v[i].f[0]);
		checked++;
	}
	cr_assert_eq(checked, 2);
	free(text);
}

/* RFC 8392 A.3: the signature verifies; its claims (exp 1444064944, nbf/iat
 * 1443944944) are valid at an injected clock inside that window only. */
Test(token_cose, REQ_TOK_023_rfc8392_a3_verifies_and_expires_by_clock)
{
	struct vec v[64];
	struct plt_crypto crypto;
	char *text = NULL;
	size_t n = load(&text, v, 64), i;
	int64_t exp = -1, nbf = -1;

	plt_openssl_crypto(&crypto);
	for (i = 0; i < n; i++) {
		uint8_t msg[1024], pub[80];
		struct plt_cbor_reader r;
		struct plt_bytes prot, payload;
		size_t ml, cnt = 0, k;
		uint64_t tag = 0;

		if (strcmp(v[i].f[0], "rfc8392/A.3") != 0)
			continue;
		ml = fix_unhex(v[i].f[2], msg, sizeof(msg));
		fix_unhex(v[i].f[3], pub, sizeof(pub));
		cr_assert_eq(plt_cose_sign1_verify(msg, ml, NULL, 0, pub, &crypto), 0);
		plt_cbor_reader_init(&r, msg, ml);
		cr_assert_eq(plt_cbor_get_tag(&r, &tag), 0);
		cr_assert_eq(plt_cbor_get_array(&r, &cnt), 0);
		cr_assert_eq(plt_cbor_get_bstr(&r, &prot), 0);
		cr_assert_eq(plt_cbor_skip(&r), 0);
		cr_assert_eq(plt_cbor_get_bstr(&r, &payload), 0);
		plt_cbor_reader_init(&r, payload.ptr, payload.len);
		cr_assert_eq(plt_cbor_get_map(&r, &cnt), 0);
		for (k = 0; k < cnt; k++) {
			int64_t key = 0, val = 0;

			cr_assert_eq(plt_cbor_get_int(&r, &key), 0);
			if (key == 4 || key == 5)
				cr_assert_eq(plt_cbor_get_int(&r, key == 4 ? &exp : &nbf), 0);
			else
				cr_assert_eq(plt_cbor_skip(&r), 0);
			(void)val;
		}
		cr_assert_eq(plt_cbor_end(&r), 0);
	}
	cr_assert_eq(exp, 1444064944);
	cr_assert_eq(nbf, 1443944944);
	/* injected clock inside the window; the real clock (2026) is past exp */
	cr_assert(1444000000 >= nbf && 1444000000 <= exp);
	cr_assert(FIX_NOW > exp);
	free(text);
}

/* A hook that records the Sig_structure it is given, then verifies for real. */
struct capture {
	uint8_t tbs[1024];
	size_t len;
	int calls;
};

static int capture_verify(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
                          const struct plt_iov *parts, size_t nparts,
                          const uint8_t sig[PLT_SIG_LEN])
{
	struct capture *c = ctx;
	size_t i;

	c->len = 0;
	c->calls++;
	for (i = 0; i < nparts; i++) {
		cr_assert_leq(c->len + parts[i].len, sizeof(c->tbs));
		if (parts[i].len > 0)
			memcpy(c->tbs + c->len, parts[i].ptr, parts[i].len);
		c->len += parts[i].len;
	}
	return plt_openssl_verify_es256(NULL, pub, parts, nparts, sig);
}

Test(token_cose, REQ_TOK_024_sig_structure_matches_every_published_tobesign)
{
	struct vec v[64];
	struct capture cap;
	struct plt_crypto crypto = {capture_verify, &cap};
	char *text = NULL;
	size_t n = load(&text, v, 64), i, checked = 0;

	for (i = 0; i < n; i++) {
		uint8_t msg[1024], pub[80], aad[64], tbs[1024];
		size_t ml, al, tl;

		if (v[i].f[1][0] != '1' || strcmp(v[i].f[5], "-") == 0)
			continue;
		ml = fix_unhex(v[i].f[2], msg, sizeof(msg));
		fix_unhex(v[i].f[3], pub, sizeof(pub));
		al = fix_unhex(v[i].f[4], aad, sizeof(aad));
		tl = fix_unhex(v[i].f[5], tbs, sizeof(tbs));
		memset(&cap, 0, sizeof(cap));
		cr_expect_eq(plt_cose_sign1_verify(msg, ml, al ? aad : NULL, al, pub, &crypto), 0,
		             "%s", v[i].f[0]);
		cr_assert_eq(cap.calls, 1, "%s", v[i].f[0]);
		cr_expect_eq(cap.len, tl, "%s: Sig_structure length", v[i].f[0]);
		cr_expect_arr_eq(cap.tbs, tbs, tl, "%s: Sig_structure bytes", v[i].f[0]);
		checked++;
	}
	/* sign-pass-01..03, ecdsa-sig-01, CWT A.3, C.2.1, RFC 8392 A.3 */
	cr_assert_eq(checked, 7);
	free(text);
}

/* A P-256 EVP_PKEY from a raw private scalar and its public point. */
static EVP_PKEY *key_from_d(const uint8_t d[32], const uint8_t pub[PLT_P256_PUB_LEN])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *priv = BN_bin2bn(d, 32, NULL);
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params;
	EVP_PKEY *pkey = NULL;

	cr_assert(bld && priv && pctx);
	cr_assert_eq(
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
	cr_assert_eq(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv), 1);
	cr_assert_eq(
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, PLT_P256_PUB_LEN),
	    1);
	params = OSSL_PARAM_BLD_to_param(bld);
	cr_assert_not_null(params);
	cr_assert_eq(EVP_PKEY_fromdata_init(pctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pctx);
	BN_clear_free(priv);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* go-cose signing cases: sign their Sig_structure with their key, assemble the
 * message from their headers and payload; the generic verifier must rebuild
 * exactly their Sig_structure (with the external AAD) and accept. */
Test(token_cose, REQ_TOK_025_go_cose_signing_cases_round_trip)
{
	char *text = fix_read_vector("cose_sign1_sign.tsv");
	char *f[8];
	size_t pos = 0, n = 0;
	struct capture cap;
	struct plt_crypto crypto = {capture_verify, &cap};

	while (fix_tsv_next(text, &pos, f, 8) == 8) {
		uint8_t d[32], pub[80], prot[64], unprot[64], pay[256], aad[64], tbs[512];
		uint8_t sig[PLT_SIG_LEN], msg[1024];
		size_t pl, ul, yl, al, tl, ml = 0;
		struct plt_iov iov;
		struct plt_cbor_writer w;
		EVP_PKEY *key;

		cr_assert_eq(fix_unhex(f[1], d, sizeof(d)), 32);
		cr_assert_eq(fix_unhex(f[2], pub, sizeof(pub)), PLT_P256_PUB_LEN);
		pl = fix_unhex(f[3], prot, sizeof(prot));
		ul = fix_unhex(f[4], unprot, sizeof(unprot));
		yl = fix_unhex(f[5], pay, sizeof(pay));
		al = fix_unhex(f[6], aad, sizeof(aad));
		tl = fix_unhex(f[7], tbs, sizeof(tbs));
		key = key_from_d(d, pub);
		iov.ptr = tbs;
		iov.len = tl;
		cr_assert_eq(plt_openssl_sign_es256(key, &iov, 1, sig), 0);
		plt_cbor_writer_init(&w, msg, sizeof(msg));
		plt_cbor_put_tag(&w, 18);
		plt_cbor_put_array(&w, 4);
		plt_cbor_put_bstr(&w, prot, pl);
		plt_cbor_put_raw(&w, unprot, ul);
		plt_cbor_put_bstr(&w, pay, yl);
		plt_cbor_put_bstr(&w, sig, sizeof(sig));
		cr_assert_eq(plt_cbor_writer_finish(&w, &ml), 0);
		memset(&cap, 0, sizeof(cap));
		cr_expect_eq(plt_cose_sign1_verify(msg, ml, al ? aad : NULL, al, pub, &crypto), 0,
		             "%s", f[0]);
		cr_expect_eq(cap.len, tl, "%s", f[0]);
		cr_expect_arr_eq(cap.tbs, tbs, tl, "%s", f[0]);
		EVP_PKEY_free(key);
		n++;
	}
	cr_assert_eq(n, 2);
	free(text);
}
