/*
 * lib/token's OpenSSL 3 binding (host only): ES256 verify and sign over
 * plt_iov parts, kid derivation, and PEM trust anchors.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "pitlane/token_openssl.h"

/* True when pkey is an EC key on P-256. */
static int pkey_is_p256(const EVP_PKEY *pkey)
{
	char group[32];
	size_t glen = 0;

	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return 0;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1)
		return 0;
	return strcmp(group, SN_X9_62_prime256v1) == 0;
}

int plt_openssl_pkey_from_pub(const uint8_t pub[PLT_P256_PUB_LEN], void **evp_pkey)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];
	char group[] = SN_X9_62_prime256v1;
	int r = PLT_E_BADKEY;

	if (pub == NULL || evp_pkey == NULL)
		return PLT_E_INVAL;
	if (pub[0] != 0x04)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              (void *)(uintptr_t)pub, PLT_P256_PUB_LEN);
	params[2] = OSSL_PARAM_construct_end();
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pctx == NULL) {
		r = PLT_E_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	*evp_pkey = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* One DER INTEGER from a 32-byte big-endian unsigned value. */
static size_t der_integer(const uint8_t v[32], uint8_t *out)
{
	size_t skip = 0, n, pad;

	while (skip < 31 && v[skip] == 0)
		skip++;
	n = 32 - skip;
	pad = (v[skip] & 0x80u) != 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0x00;
	memcpy(out + 2 + pad, v + skip, n);
	return 2 + pad + n;
}

/* DER ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER } from r||s, written
 * directly (at most 72 bytes, so every length fits one byte). */
static size_t sig_to_der(const uint8_t sig[PLT_SIG_LEN], uint8_t der[72])
{
	size_t n = der_integer(sig, der + 2);

	n += der_integer(sig + 32, der + 2 + n);
	der[0] = 0x30;
	der[1] = (uint8_t)n;
	return n + 2;
}

/*
 * Verifies with a ready EVP_PKEY: 0 valid, 1 invalid, negative on failure.
 */
static int verify_with_pkey(EVP_PKEY *pkey, const struct plt_iov *parts, size_t nparts,
                            const uint8_t sig[PLT_SIG_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t der[72];
	size_t der_len = sig_to_der(sig, der), i;
	int r = PLT_E_CRYPTO;

	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
		goto out;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 && EVP_DigestVerifyUpdate(md, parts[i].ptr, parts[i].len) != 1)
			goto out;
	r = EVP_DigestVerifyFinal(md, der, der_len) == 1 ? 0 : 1;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* The cached key for pub, rebuilding the cache entry when pub differs. */
static int keycache_get(struct plt_openssl_keycache *kc, const uint8_t pub[PLT_P256_PUB_LEN],
                        EVP_PKEY **pkey)
{
	void *fresh = NULL;
	int r;

	if (kc->pkey != NULL && memcmp(kc->pub, pub, PLT_P256_PUB_LEN) == 0) {
		*pkey = kc->pkey;
		return 0;
	}
	if ((r = plt_openssl_pkey_from_pub(pub, &fresh)) != 0)
		return r;
	EVP_PKEY_free(kc->pkey);
	kc->pkey = fresh;
	memcpy(kc->pub, pub, PLT_P256_PUB_LEN);
	*pkey = fresh;
	return 0;
}

int plt_openssl_verify_es256(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
                             const struct plt_iov *parts, size_t nparts,
                             const uint8_t sig[PLT_SIG_LEN])
{
	struct plt_openssl_keycache *kc = ctx;
	void *own = NULL;
	EVP_PKEY *pkey = NULL;
	int r;

	if (pub == NULL || sig == NULL || (parts == NULL && nparts != 0))
		return PLT_E_INVAL;
	if (kc != NULL)
		r = keycache_get(kc, pub, &pkey);
	else if ((r = plt_openssl_pkey_from_pub(pub, &own)) == 0)
		pkey = own;
	if (r != 0)
		return r;
	r = verify_with_pkey(pkey, parts, nparts, sig);
	EVP_PKEY_free(own);
	return r;
}

void plt_openssl_crypto(struct plt_crypto *c)
{
	c->verify_es256 = plt_openssl_verify_es256;
	c->ctx = NULL;
}

void plt_openssl_crypto_cached(struct plt_crypto *c, struct plt_openssl_keycache *kc)
{
	c->verify_es256 = plt_openssl_verify_es256;
	c->ctx = kc;
}

void plt_openssl_keycache_free(struct plt_openssl_keycache *kc)
{
	if (kc == NULL)
		return;
	EVP_PKEY_free(kc->pkey);
	kc->pkey = NULL;
	memset(kc->pub, 0, sizeof(kc->pub));
}

/* r||s from a DER ECDSA-Sig-Value. */
static int sig_from_der(const uint8_t *der, size_t len, uint8_t sig[PLT_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *br = NULL, *bs = NULL;
	int r = PLT_E_CRYPTO;

	if (es == NULL)
		goto out;
	ECDSA_SIG_get0(es, &br, &bs);
	if (BN_bn2binpad(br, sig, 32) != 32 || BN_bn2binpad(bs, sig + 32, 32) != 32)
		goto out;
	r = 0;
out:
	ECDSA_SIG_free(es);
	return r;
}

int plt_openssl_sign_es256(void *evp_pkey, const struct plt_iov *parts, size_t n,
                           uint8_t sig[PLT_SIG_LEN])
{
	EVP_PKEY *pkey = evp_pkey;
	EVP_MD_CTX *md = NULL;
	uint8_t der[80];
	size_t der_len = sizeof(der), i;
	int r = PLT_E_BADKEY;

	if (pkey == NULL || sig == NULL || (parts == NULL && n != 0))
		return PLT_E_INVAL;
	if (!pkey_is_p256(pkey))
		goto out;
	r = PLT_E_CRYPTO;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (parts[i].len > 0 && EVP_DigestSignUpdate(md, parts[i].ptr, parts[i].len) != 1)
			goto out;
	if (EVP_DigestSignFinal(md, der, &der_len) != 1)
		goto out;
	r = sig_from_der(der, der_len, sig);
out:
	EVP_MD_CTX_free(md);
	plt_wipe(der, sizeof(der));
	return r;
}

int plt_openssl_kid(const uint8_t pub[PLT_P256_PUB_LEN], uint8_t kid[PLT_KID_LEN])
{
	void *pkey = NULL;
	unsigned char *der = NULL;
	uint8_t md[SHA256_DIGEST_LENGTH];
	int n, r;

	if (pub == NULL || kid == NULL)
		return PLT_E_INVAL;
	if ((r = plt_openssl_pkey_from_pub(pub, &pkey)) != 0)
		return r;
	r = PLT_E_CRYPTO;
	n = i2d_PUBKEY(pkey, &der);
	if (n <= 0)
		goto out;
	if (SHA256(der, (size_t)n, md) == NULL)
		goto out;
	memcpy(kid, md, PLT_KID_LEN);
	r = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	return r;
}

int plt_openssl_pub_from_pkey(const void *evp_pkey, uint8_t pub[PLT_P256_PUB_LEN])
{
	const EVP_PKEY *pkey = evp_pkey;
	BIGNUM *x = NULL, *y = NULL;
	uint8_t tmp[PLT_P256_PUB_LEN];
	int r = PLT_E_BADKEY;

	if (pkey == NULL || pub == NULL)
		return PLT_E_INVAL;
	if (!pkey_is_p256(pkey))
		goto out;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	tmp[0] = 0x04;
	if (BN_bn2binpad(x, tmp + 1, 32) != 32 || BN_bn2binpad(y, tmp + 33, 32) != 32)
		goto out;
	memcpy(pub, tmp, sizeof(tmp));
	r = 0;
out:
	BN_free(x);
	BN_free(y);
	return r;
}

/* A public key from PEM: "PUBLIC KEY" first, then "CERTIFICATE". */
static EVP_PKEY *pem_read_pubkey(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;

	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		(void)BIO_reset(bio);
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (cert != NULL)
			pkey = X509_get_pubkey(cert);
	}
	X509_free(cert);
	BIO_free(bio);
	return pkey;
}

int plt_openssl_anchor_from_pem(const char *pem, size_t len, struct plt_trust_anchor *out)
{
	EVP_PKEY *pkey = NULL;
	struct plt_trust_anchor a;
	int r = PLT_E_BADKEY;

	if (pem == NULL || out == NULL || len == 0 || len > 0x7fffffff)
		return PLT_E_INVAL;
	memset(&a, 0, sizeof(a)); /* role: PLT_ROLE_BROKER */
	pkey = pem_read_pubkey(pem, len);
	if (pkey == NULL)
		goto out;
	if ((r = plt_openssl_pub_from_pkey(pkey, a.pub)) != 0)
		goto out;
	if ((r = plt_openssl_kid(a.pub, a.kid)) != 0)
		goto out;
	*out = a;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	return r;
}
