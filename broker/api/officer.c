/* Officer certificates and officers' signed approval decisions (officer.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "castore.h"
#include "officer.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"

/* 1 when a certificate of a is also in b. */
static int shares_cert(X509_STORE *a, X509_STORE *b)
{
	STACK_OF(X509_OBJECT) *oa = X509_STORE_get0_objects(a), *ob = X509_STORE_get0_objects(b);
	int hit = 0;

	for (int i = 0; !hit && i < sk_X509_OBJECT_num(oa); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(oa, i));

		for (int k = 0; x != NULL && !hit && k < sk_X509_OBJECT_num(ob); k++) {
			X509 *y = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(ob, k));

			hit = y != NULL && X509_cmp(x, y) == 0;
		}
	}
	return hit;
}

int officer_store_open(const char *path, X509_STORE *dealer, X509_STORE **out, char *err,
                       size_t errlen)
{
	X509_STORE *st = NULL;
	int r;

	if ((st = X509_STORE_new()) == NULL)
		return PL_E_NOMEM;
	if (X509_STORE_load_file(st, path) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) == 0) {
		r = castore_fail(err, errlen, "cannot load officer_ca", path);
		goto out;
	}
	if (dealer != NULL && shares_cert(st, dealer)) {
		snprintf(err, errlen,
		         "officer_ca %s holds a certificate of client_ca: the officer CA must be "
		         "a CA of its own, or every workshop certificate could decide approvals",
		         path);
		r = PL_E_SRV_CONFIG_VALUE;
		goto out;
	}
	*out = st;
	st = NULL;
	r = 0;
out:
	X509_STORE_free(st);
	return r;
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
	    plen != PLT_P256_PUB_LEN || pub[0] != 0x04)
		return -1;
	return 0;
}

/* The leaf's own properties once its chain verified; 0 or PL_E_SRV_OFFICER_CERT. */
static int leaf_ok(X509 *leaf, struct officer_identity *o, char *why, size_t whylen)
{
	if (X509_check_ca(leaf) != 0) {
		snprintf(why, whylen,
		         "the officer certificate is a CA certificate, not an officer's");
		return PL_E_SRV_OFFICER_CERT;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		snprintf(why, whylen, "the officer certificate does not allow digitalSignature");
		return PL_E_SRV_OFFICER_CERT;
	}
	if (identity_from_cert(leaf, &o->id) != 0) {
		snprintf(why, whylen,
		         "the officer certificate's subject needs exactly one CN and OU");
		return PL_E_SRV_OFFICER_CERT;
	}
	if (p256_point(leaf, o->pub) != 0) {
		snprintf(why, whylen, "the officer key must be EC P-256");
		return PL_E_SRV_OFFICER_CERT;
	}
	return 0;
}

int officer_verify_cert(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                        struct officer_identity *out, char *why, size_t whylen)
{
	struct officer_identity o;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	int r = PL_E_SRV_OFFICER_CERT, cr;

	memset(&o, 0, sizeof(o));
	if (n == 0 || (leaf = identity_der_cert(&certs[0])) == NULL) {
		snprintf(why, whylen, "the decision's certificate is not valid DER");
		goto out;
	}
	/* The role is the issuing CA (officer_ca), not an extended key usage. */
	if ((cr = identity_chain_ctx(store, leaf, certs, n, now, r, &chain, &ctx, why, whylen)) !=
	    0) {
		r = cr;
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		if (identity_from_cert(leaf, &o.id) != 0)
			snprintf(o.id.cn, sizeof(o.id.cn), "?");
		snprintf(why, whylen,
		         "certificate CN=%s is not an officer certificate valid under officer_ca: "
		         "%s (X509 error %d)",
		         o.id.cn, X509_verify_cert_error_string(e), e);
		goto out;
	}
	if ((r = leaf_ok(leaf, &o, why, whylen)) != 0)
		goto out;
	*out = o;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return r;
}

int officer_decision_verify(X509_STORE *officers, const uint8_t *body, size_t len,
                            const struct decision_binding *b, int64_t now,
                            struct approval_decision *dec, struct officer_identity *who, char *why,
                            size_t whylen)
{
	struct approval_decision d;
	struct officer_identity o;
	struct plt_crypto crypto;
	int r;

	if (officers == NULL) {
		snprintf(why, whylen,
		         "broker.conf has no officer_ca: an officer's decision cannot be "
		         "verified; add officer_ca");
		return PL_E_SRV_NO_OFFICER_CA;
	}
	if ((r = decision_check_binding(body, len, b, &d, why, whylen)) != 0)
		return r;
	if ((r = officer_verify_cert(officers, d.cert, d.ncert, now, &o, why, whylen)) != 0)
		return r;
	plt_openssl_crypto(&crypto);
	if (plt_cose_sign1_verify(body, len, NULL, 0, o.pub, &crypto) != 0) {
		snprintf(why, whylen,
		         "the decision's signature does not verify under the key of officer "
		         "certificate CN=%s (edited, or signed with another key)",
		         o.id.cn);
		return PL_E_SRV_DECISION_SIG;
	}
	*dec = d;
	*who = o;
	return 0;
}
