/*
 * An officer's certificate (approvals by OEM security staff): it chains to
 * the co-signer's own copy of the officer CA (officer_ca), a CA apart from the
 * dealer CA, so no workshop certificate can stand in for an officer.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "checks.h"
#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"

#define CERT_DER_MAX 16384

static X509 *der_cert(const struct plt_bytes *b)
{
	const unsigned char *p = b->ptr;
	X509 *x;

	if (b->len == 0 || b->len > CERT_DER_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)b->len);
	if (x != NULL && p != b->ptr + b->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int p256_point(X509 *x, uint8_t pub[PLT_P256_PUB_LEN])
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen = 0, plen = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1 ||
	    strcmp(group, SN_X9_62_prime256v1) != 0 ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	                                    PLT_P256_PUB_LEN, &plen) != 1 ||
	    plen != PLT_P256_PUB_LEN)
		return PL_E_SRV_TECH_KEY;
	return 0;
}

static int chain_ok(X509_STORE *store, X509 *leaf, const struct plt_bytes *certs, size_t n,
                    int64_t now, char *why, size_t whylen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = PL_E_SRV_TECH_CERT;

	if (chain == NULL || ctx == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		X509 *x = der_cert(&certs[i]);

		if (x == NULL || !sk_X509_push(chain, x)) {
			X509_free(x);
			snprintf(why, whylen, "x5chain entry %zu is not a DER certificate", i);
			goto out;
		}
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
		r = PL_E_NOMEM;
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "officer certificate rejected: %s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

int cosign_officer_verify(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                          char cn[64], uint8_t pub[PLT_P256_PUB_LEN], char *why, size_t whylen)
{
	struct cert_identity id;
	X509 *leaf = NULL;
	int r = PL_E_SRV_TECH_CERT;

	if (store == NULL || n == 0 || (leaf = der_cert(&certs[0])) == NULL) {
		snprintf(why, whylen, "no officer certificate");
		goto out;
	}
	if ((r = chain_ok(store, leaf, certs, n, now, why, whylen)) != 0)
		goto out;
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		snprintf(why, whylen, "officer certificate does not allow digitalSignature");
		r = PL_E_SRV_TECH_CERT;
		goto out;
	}
	if ((r = identity_from_cert(leaf, &id)) != 0) {
		snprintf(why, whylen, "officer certificate subject needs exactly one CN and OU");
		goto out;
	}
	if ((r = p256_point(leaf, pub)) != 0) {
		snprintf(why, whylen, "officer key must be EC P-256");
		goto out;
	}
	memcpy(cn, id.cn, sizeof(id.cn));
	r = 0;
out:
	X509_free(leaf);
	return r;
}
