/*
 * Checkpoint message bytes and their ES256 verification (docs/audit.md):
 *   msg = "pitlane-audit-checkpoint-v1" || row_count (u64 BE) || head (32 bytes)
 *   sig = ECDSA P-256 over SHA-256(msg), raw r||s (64 bytes)
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"

void audit_checkpoint_message(uint64_t row_count, const uint8_t head[AUDIT_HASH_LEN],
                              uint8_t out[AUDIT_CHECKPOINT_MSG_LEN])
{
	const size_t tl = sizeof(AUDIT_CHECKPOINT_TAG) - 1;

	memcpy(out, AUDIT_CHECKPOINT_TAG, tl);
	for (int i = 7; i >= 0; i--) {
		out[tl + (size_t)i] = (uint8_t)(row_count & 0xff);
		row_count >>= 8;
	}
	memcpy(out + tl + 8, head, AUDIT_HASH_LEN);
}

static int pkey_from_point(const uint8_t pub[AUDIT_PUB_LEN], EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	int r = PL_E_BADKEY;

	if (pub[0] != 0x04)
		return PL_E_BADKEY;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
	        1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, AUDIT_PUB_LEN) !=
	        1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* Raw r||s to the DER ECDSA-Sig-Value OpenSSL verifies. */
static int sig_to_der(const uint8_t sig[AUDIT_SIG_LEN], uint8_t **der, int *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	uint8_t *p = NULL;
	int n, r = PL_E_CRYPTO;

	if ((es = ECDSA_SIG_new()) == NULL || (br = BN_bin2bn(sig, 32, NULL)) == NULL ||
	    (bs = BN_bin2bn(sig + 32, 32, NULL)) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((n = i2d_ECDSA_SIG(es, &p)) <= 0)
		goto out;
	*der = p;
	*derlen = n;
	r = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int audit_checkpoint_verify(const uint8_t pub[AUDIT_PUB_LEN], uint64_t row_count,
                            const uint8_t head[AUDIT_HASH_LEN], const uint8_t sig[AUDIT_SIG_LEN])
{
	uint8_t msg[AUDIT_CHECKPOINT_MSG_LEN];
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t *der = NULL;
	int derlen = 0, r;

	if ((r = pkey_from_point(pub, &pkey)) != 0)
		goto out;
	if ((r = sig_to_der(sig, &der, &derlen)) != 0)
		goto out;
	audit_checkpoint_message(row_count, head, msg);
	r = PL_E_CRYPTO;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
		goto out;
	r = EVP_DigestVerify(md, der, (size_t)derlen, msg, sizeof(msg)) == 1 ? 0
	                                                                     : PL_E_AUDIT_TAMPERED;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return r;
}
