/*
 * selfcheck.c: the signer's own ES256 verification hook for lib/token, with
 * the public key parsed once (EVP_PKEY_fromdata costs about as much as the
 * verification itself). An EVP_PKEY is safe to share between threads for
 * verification. Used to verify every token and checkpoint before release.
 */
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "selfcheck.h"

int selfcheck_init(struct selfcheck *c, const uint8_t pub[65])
{
	void *pkey = NULL;

	if (plt_openssl_pkey_from_pub(pub, &pkey) != 0)
		return PL_E_BADKEY;
	c->pkey = pkey;
	memcpy(c->pub, pub, sizeof(c->pub));
	return 0;
}

void selfcheck_free(struct selfcheck *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->pkey);
	c->pkey = NULL;
}

/* r||s -> DER ECDSA-Sig-Value */
static int sig_der(const uint8_t sig[64], uint8_t der[80], size_t *len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *p = der;
	int n, ret = PL_E_CRYPTO;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	if ((n = i2d_ECDSA_SIG(es, NULL)) <= 0 || n > 80 || i2d_ECDSA_SIG(es, &p) != n)
		goto out;
	*len = (size_t)n;
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

int selfcheck_verify(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN], const struct plt_iov *parts,
                     size_t nparts, const uint8_t sig[PLT_SIG_LEN])
{
	struct selfcheck *c = ctx;
	EVP_MD_CTX *md;
	uint8_t der[80];
	size_t dlen = 0;
	int ok;

	/* only ever asked for the signer's own key; anything else is invalid */
	if (memcmp(pub, c->pub, sizeof(c->pub)) != 0 || sig_der(sig, der, &dlen) != 0)
		return 1;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return 1;
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, c->pkey) == 1;
	for (size_t i = 0; ok && i < nparts; i++)
		ok = parts[i].len == 0 ||
		     EVP_DigestVerifyUpdate(md, parts[i].ptr, parts[i].len) == 1;
	ok = ok && EVP_DigestVerifyFinal(md, der, dlen) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : 1;
}
