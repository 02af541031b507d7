/*
 * The OpenSSL binding: all 262 Wycheproof ECDSA P-256/SHA-256 P1363 cases
 * through the verify hook, kid known answers, PEM trust anchors, signing.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tok_fixture.h"

/* RFC 8392 A.2.3 public key; kid checked against `openssl pkey -pubin
 * -outform DER | sha256sum` and an independent SPKI hash. */
static const char rfc8392_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFDMpzOeGjkFpJ1mc9lo0884v/aVa\n"
    "fspp7YkZo5TULw9g9/GngNing7+3ot1rJ5boEo27zvnT0WjblSmXGjbnuQ==\n"
    "-----END PUBLIC KEY-----\n";
static const uint8_t rfc8392_kid[8] = {0x18, 0x0c, 0xe3, 0xe5, 0x6d, 0x72, 0x7f, 0xe1};
static const char rfc8392_pub_hex[] =
    "04143329cce7868e416927599cf65a34f3ce2ffda55a7eca69ed8919a394d42f0f"
    "60f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db9529971a36e7b9";

Test(token_openssl, REQ_TOK_030_wycheproof_p1363_all_262_cases)
{
	struct plt_crypto c;
	char *text = fix_read_vector("wycheproof_p1363.tsv");
	char *f[5];
	size_t pos = 0, n = 0, valid = 0, invalid = 0;

	plt_openssl_crypto(&c);
	while (fix_tsv_next(text, &pos, f, 5) == 5) {
		uint8_t pub[80], msg[2048], sig[256];
		size_t pl = fix_unhex(f[2], pub, sizeof(pub));
		size_t ml = fix_unhex(f[3], msg, sizeof(msg));
		size_t sl = fix_unhex(f[4], sig, sizeof(sig));
		struct plt_iov iov = {msg, ml};
		int ok;

		cr_assert_eq(pl, PLT_P256_PUB_LEN);
		/* A P1363 signature that is not exactly 64 bytes is invalid. */
		ok = sl == PLT_SIG_LEN && c.verify_es256(c.ctx, pub, &iov, 1, sig) == 0;
		if (f[1][0] == '1') {
			cr_expect(ok, "tcId %s: valid case did not verify", f[0]);
			valid++;
		} else {
			cr_expect(!ok, "tcId %s: invalid case verified", f[0]);
			invalid++;
		}
		n++;
	}
	cr_assert_eq(n, 262);
	cr_assert_eq(valid, 173);
	cr_assert_eq(invalid, 89);
	free(text);
}

Test(token_openssl, REQ_TOK_031_kid_known_answer)
{
	uint8_t pub[PLT_P256_PUB_LEN], kid[PLT_KID_LEN];
	struct plt_trust_anchor a;

	cr_assert_eq(fix_unhex(rfc8392_pub_hex, pub, sizeof(pub)), PLT_P256_PUB_LEN);
	cr_assert_eq(plt_openssl_kid(pub, kid), 0);
	cr_assert_arr_eq(kid, rfc8392_kid, 8);
	cr_assert_eq(plt_openssl_anchor_from_pem(rfc8392_pem, strlen(rfc8392_pem), &a), 0);
	cr_assert_arr_eq(a.kid, rfc8392_kid, 8);
	cr_assert_arr_eq(a.pub, pub, PLT_P256_PUB_LEN);
}

Test(token_openssl, REQ_TOK_032_anchor_from_certificate_equals_key)
{
	struct fixture f;
	struct plt_trust_anchor a;
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;

	fix_init(&f);
	cr_assert_not_null(x);
	cr_assert_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	cr_assert_eq(X509_set_pubkey(x, f.key), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"pitlane test", -1, -1, 0);
	cr_assert_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	cr_assert_gt(X509_sign(x, f.key, EVP_sha256()), 0);
	cr_assert_eq(PEM_write_bio_X509(bio, x), 1);
	len = BIO_get_mem_data(bio, &pem);
	cr_assert_gt(len, 0);
	cr_assert_eq(plt_openssl_anchor_from_pem(pem, (size_t)len, &a), 0);
	cr_assert_arr_eq(a.kid, f.anchor.kid, 8);
	cr_assert_arr_eq(a.pub, f.anchor.pub, PLT_P256_PUB_LEN);
	BIO_free(bio);
	X509_free(x);
	fix_fini(&f);
}

Test(token_openssl, REQ_TOK_033_rejects_non_p256_keys)
{
	EVP_PKEY *k384 = EVP_EC_gen("P-384");
	BIO *bio = BIO_new(BIO_s_mem());
	struct plt_trust_anchor a;
	uint8_t pub[PLT_P256_PUB_LEN], sig[PLT_SIG_LEN];
	struct plt_iov iov = {(const uint8_t *)"x", 1};
	char *pem = NULL;
	long len;
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	cr_assert_not_null(k384);
	cr_assert_eq(PEM_write_bio_PUBKEY(bio, k384), 1);
	len = BIO_get_mem_data(bio, &pem);
	cr_assert_eq(plt_openssl_anchor_from_pem(pem, (size_t)len, &a), PLT_E_BADKEY);
	cr_assert_eq(plt_openssl_pub_from_pkey(k384, pub), PLT_E_BADKEY);
	cr_assert_eq(plt_openssl_sign_es256(k384, &iov, 1, sig), PLT_E_BADKEY);
	cr_assert_eq(plt_openssl_anchor_from_pem(junk, strlen(junk), &a), PLT_E_BADKEY);
	/* a point that is not on the curve */
	memset(pub, 0x11, sizeof(pub));
	pub[0] = 0x04;
	cr_assert_eq(plt_openssl_kid(pub, a.kid), PLT_E_BADKEY);
	BIO_free(bio);
	EVP_PKEY_free(k384);
}

Test(token_openssl, REQ_TOK_034_sign_then_verify_over_parts)
{
	struct fixture f;
	struct plt_crypto c;
	uint8_t sig[PLT_SIG_LEN];
	struct plt_iov parts[3] = {
	    {(const uint8_t *)"abc", 3}, {NULL, 0}, {(const uint8_t *)"def", 3}};
	struct plt_iov whole = {(const uint8_t *)"abcdef", 6};

	fix_init(&f);
	plt_openssl_crypto(&c);
	cr_assert_eq(plt_openssl_sign_es256(f.key, parts, 3, sig), 0);
	cr_assert_eq(c.verify_es256(c.ctx, f.anchor.pub, &whole, 1, sig), 0);
	sig[10] ^= 1;
	cr_assert_eq(c.verify_es256(c.ctx, f.anchor.pub, &whole, 1, sig), 1);
	fix_fini(&f);
}

Test(token_openssl, REQ_TOK_035_key_cache_follows_the_anchor)
{
	struct fixture a, b;
	struct plt_openssl_keycache kc;
	struct plt_crypto c;
	uint8_t sa[PLT_SIG_LEN], sb[PLT_SIG_LEN];
	struct plt_iov iov = {(const uint8_t *)"message", 7};
	int i;

	fix_init(&a);
	fix_init(&b);
	memset(&kc, 0, sizeof(kc));
	plt_openssl_crypto_cached(&c, &kc);
	cr_assert_eq(plt_openssl_sign_es256(a.key, &iov, 1, sa), 0);
	cr_assert_eq(plt_openssl_sign_es256(b.key, &iov, 1, sb), 0);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(c.verify_es256(c.ctx, a.anchor.pub, &iov, 1, sa), 0);
		cr_assert_eq(c.verify_es256(c.ctx, a.anchor.pub, &iov, 1, sb), 1);
		cr_assert_eq(c.verify_es256(c.ctx, b.anchor.pub, &iov, 1, sb), 0);
		cr_assert_eq(c.verify_es256(c.ctx, b.anchor.pub, &iov, 1, sa), 1);
	}
	plt_openssl_keycache_free(&kc);
	cr_assert_null(kc.pkey);
	plt_openssl_keycache_free(NULL);
	fix_fini(&a);
	fix_fini(&b);
}
