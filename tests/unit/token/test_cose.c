/*
 * The generic RFC 9052 COSE_Sign1 verifier against every public ES256 Sign1
 * vector (tests/vectors/cose_sign1.tsv), and the strict profile's deviations.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tok_fixture.h"

struct vec {
	char *f[5];
};

/* What the strict profile (plt_decode) says about each vector. Every vector
 * that the generic verifier accepts is rejected here: none carries a
 * protected 8-byte kid, and some are untagged or have extra headers. */
static const struct {
	const char *name;
	int strict;
} deviations[] = {
	{ "cose-wg-Examples/sign1-tests/sign-fail-01.json", PLT_E_WRONG_TAG },
	{ "cose-wg-Examples/sign1-tests/sign-fail-02.json", PLT_E_KID_UNPROTECTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-03.json", PLT_E_ALG_UNSUPPORTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-04.json", PLT_E_ALG_UNSUPPORTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-06.json", PLT_E_KID_UNPROTECTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-07.json", PLT_E_KID_UNPROTECTED },
	{ "cose-wg-Examples/sign1-tests/sign-pass-01.json", PLT_E_ALG_UNPROTECTED },
	{ "cose-wg-Examples/sign1-tests/sign-pass-02.json", PLT_E_KID_UNPROTECTED },
	{ "cose-wg-Examples/sign1-tests/sign-pass-03.json", PLT_E_UNTAGGED },
	{ "cose-wg-Examples/ecdsa-examples/ecdsa-sig-01.json", PLT_E_KID_UNPROTECTED },
	{ "cose-wg-Examples/CWT/A_3.json", PLT_E_KID_MISSING },
	{ "cose-wg-Examples/RFC8152/Appendix_C_2_1.json", PLT_E_KID_UNPROTECTED },
	{ "veraison-go-cose/testdata/sign1-verify-0000.json", PLT_E_KID_UNPROTECTED },
	{ "veraison-go-cose/testdata/sign1-verify-0001.json", PLT_E_KID_UNPROTECTED },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0000.json", PLT_E_HDR_FORMAT },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0001.json", PLT_E_HDR_FORMAT },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0002.json", PLT_E_CBOR_DUPKEY },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0003.json", PLT_E_CBOR_DUPKEY },
	{ "rfc8392/A.3", PLT_E_KID_UNPROTECTED },
};

/* The reason each rejected vector must be rejected by the generic verifier. */
static const struct {
	const char *name;
	int generic;
} generic_codes[] = {
	{ "cose-wg-Examples/sign1-tests/sign-fail-01.json", PLT_E_WRONG_TAG },
	{ "cose-wg-Examples/sign1-tests/sign-fail-02.json", PLT_E_BAD_SIGNATURE },
	{ "cose-wg-Examples/sign1-tests/sign-fail-03.json", PLT_E_ALG_UNSUPPORTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-04.json", PLT_E_ALG_UNSUPPORTED },
	{ "cose-wg-Examples/sign1-tests/sign-fail-06.json", PLT_E_BAD_SIGNATURE },
	{ "cose-wg-Examples/sign1-tests/sign-fail-07.json", PLT_E_BAD_SIGNATURE },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0000.json", PLT_E_HDR_FORMAT },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0001.json", PLT_E_HDR_FORMAT },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0002.json", PLT_E_CBOR_DUPKEY },
	{ "veraison-go-cose/testdata/sign1-verify-negative-0003.json", PLT_E_CBOR_DUPKEY },
};

static size_t load(char **text, struct vec *v, size_t cap)
{
	size_t pos = 0, n = 0;

	*text = fix_read_vector("cose_sign1.tsv");
	while (n < cap && fix_tsv_next(*text, &pos, v[n].f, 5) == 5)
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
			cr_expect_eq(r, 0, "%s: expected to verify, got %s", v[i].f[0], plt_errname(r));
		} else {
			cr_assert(lookup(v[i].f[0], 0, &want), "%s: no expected code", v[i].f[0]);
			cr_expect_eq(r, want, "%s: expected %s, got %s", v[i].f[0], plt_errname(want),
				     plt_errname(r));
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
