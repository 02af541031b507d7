/* Certificate subject identities and technician certificate verification. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"

/* The single entry nid of name as printable UTF-8 into dst. */
static int one_entry(const X509_NAME *name, int nid, char *dst, size_t cap)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int len, r = PL_E_SRV_IDENTITY;

	if (idx < 0 || X509_NAME_get_index_by_NID(name, nid, idx) >= 0)
		return PL_E_SRV_IDENTITY;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len <= 0 || (size_t)len >= cap)
		goto out;
	for (int i = 0; i < len; i++)
		if (utf8[i] < 0x20 || utf8[i] == 0x7f)
			goto out;
	memcpy(dst, utf8, (size_t)len);
	dst[len] = '\0';
	r = 0;
out:
	OPENSSL_free(utf8);
	return r;
}

int identity_from_cert(X509 *x, struct cert_identity *out)
{
	struct cert_identity id;
	const X509_NAME *name;
	int r;

	if (x == NULL || (name = X509_get_subject_name(x)) == NULL)
		return PL_E_SRV_IDENTITY;
	if ((r = one_entry(name, NID_commonName, id.cn, sizeof(id.cn))) != 0)
		return r;
	if ((r = one_entry(name, NID_organizationalUnitName, id.ou, sizeof(id.ou))) != 0)
		return r;
	*out = id;
	return 0;
}

static int p256_point(X509 *x, uint8_t pub[PLT_P256_PUB_LEN])
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen = 0, plen = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return PL_E_SRV_TECH_KEY;
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &glen) != 1 || strcmp(group, SN_X9_62_prime256v1) != 0)
		return PL_E_SRV_TECH_KEY;
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
					    PLT_P256_PUB_LEN, &plen) != 1 ||
	    plen != PLT_P256_PUB_LEN || pub[0] != 0x04)
		return PL_E_SRV_TECH_KEY;
	return 0;
}

static X509 *der_cert(const struct plt_bytes *b)
{
	const unsigned char *p = b->ptr;
	X509 *x;

	if (b->len > 16384)
		return NULL;
	x = d2i_X509(NULL, &p, (long)b->len);
	if (x != NULL && p != b->ptr + b->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int techid_verify(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
		  struct tech_identity *out, char *why, size_t whylen)
{
	struct tech_identity t;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	int r = PL_E_SRV_TECH_CERT;

	if (n == 0) {
		snprintf(why, whylen, "no technician certificate");
		return PL_E_SRV_TECH_CERT;
	}
	if ((leaf = der_cert(&certs[0])) == NULL) {
		snprintf(why, whylen, "technician certificate is not valid DER");
		goto out;
	}
	if ((chain = sk_X509_new_null()) == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		X509 *x = der_cert(&certs[i]);

		if (x == NULL || !sk_X509_push(chain, x)) {
			X509_free(x);
			snprintf(why, whylen, "x5chain entry %zu is not a valid DER certificate", i);
			goto out;
		}
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
		r = PL_E_NOMEM;
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		snprintf(why, whylen, "technician certificate rejected: %s (X509 error %d)",
			 X509_verify_cert_error_string(e), e);
		goto out;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		snprintf(why, whylen, "technician certificate does not allow digitalSignature");
		goto out;
	}
	if ((r = identity_from_cert(leaf, &t.id)) != 0) {
		snprintf(why, whylen, "technician certificate subject needs exactly one CN and OU");
		goto out;
	}
	if ((r = p256_point(leaf, t.pub)) != 0) {
		snprintf(why, whylen, "technician key must be EC P-256");
		goto out;
	}
	*out = t;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return r;
}
