/*
 * Technician certificate verification and its chain cache (the decider's:
 * it verifies every request's technician, authenticate.c).
 *
 * Verified chains are cached (techcache) so that a technician who sends many
 * requests pays for the DER parsing, the chain and CRL signature checks once.
 * Why a cache hit gives the same answer a full verification would:
 *  - The key is SHA-256 over the exact DER bytes of every x5chain entry, so
 *    a hit means the same certificates, byte for byte.
 *  - The outcome of X509_verify_cert() for fixed certificates and a fixed
 *    purpose depends only on the trust store (CA certificates, CRLs, flags)
 *    and the verification time.
 *  - The store: the cache hangs off the X509_STORE itself (ex_data) and dies
 *    with it, so a new CA bundle or CRL loaded into a new store starts empty.
 *    A store changed in place (X509_STORE_add_crl/add_cert, set_flags) moves
 *    its generation (object count and flags, read under the store lock before
 *    verifying), and an entry of an older generation is dropped, not served.
 *    Revocation is therefore re-checked whenever the CRL set changes.
 *  - The time: an entry is served only inside the window where every time
 *    check that passed still passes: from the latest notBefore of the
 *    verified chain and thisUpdate of the store's CRLs, until the earliest
 *    notAfter of the chain and nextUpdate of the CRLs (never past the
 *    technician certificate's notAfter), and at most TECHID_CACHE_TTL_S after
 *    the verification, which bounds how late a CRL picked up by a lazy lookup
 *    method (hashed directory) could be noticed.
 *  - Failures are never cached: a refused chain is verified again each time.
 *  - The technician marker (EKU) is fixed per store: techid_set_marker()
 *    flushes the cache, so no entry outlives the marker it was checked for.
 *
 * Roles: the dealer CA issues both device (TLS client) and technician
 * certificates. Only a certificate with the technician marker may sign a
 * request (checked first, before any signature: a device certificate in
 * x5chain costs one DER parse), and tls_peer_identity() refuses it as a TLS
 * client, so neither can stand in for the other.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "storecache.h"
#include "techcache.h"
#include "techid.h"

static int p256_point(X509 *x, uint8_t pub[PLT_P256_PUB_LEN])
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen = 0, plen = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return PL_E_SRV_TECH_KEY;
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1 ||
	    strcmp(group, SN_X9_62_prime256v1) != 0)
		return PL_E_SRV_TECH_KEY;
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	                                    PLT_P256_PUB_LEN, &plen) != 1 ||
	    plen != PLT_P256_PUB_LEN || pub[0] != 0x04)
		return PL_E_SRV_TECH_KEY;
	return 0;
}

static struct techcache *store_cache(X509_STORE *store)
{
	return storecache_get(store, STORECACHE_TECH);
}

/* SHA-256 over every entry as a 4-byte big-endian length and the DER. */
static int chain_key(const struct plt_bytes *certs, size_t n, uint8_t key[TECHCACHE_KEY_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int klen = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++) {
		uint8_t len[4] = {(uint8_t)(certs[i].len >> 24), (uint8_t)(certs[i].len >> 16),
		                  (uint8_t)(certs[i].len >> 8), (uint8_t)certs[i].len};

		ok = certs[i].len <= IDENT_CERT_DER_MAX && EVP_DigestUpdate(md, len, 4) == 1 &&
		     EVP_DigestUpdate(md, certs[i].ptr, certs[i].len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, key, &klen) == 1 && klen == TECHCACHE_KEY_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : PL_E_CRYPTO;
}

/* The full check; on success also the window in which the result may be reused. */
static int verify_full(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                       struct tech_identity *out, int64_t *from, int64_t *until, char *why,
                       size_t whylen)
{
	struct tech_identity t;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	int r = PL_E_SRV_TECH_CERT, cr;

	if ((leaf = identity_der_cert(&certs[0])) == NULL) {
		snprintf(why, whylen, "technician certificate is not valid DER");
		goto out;
	}
	if (!techid_has_marker(store, leaf)) {
		if (identity_from_cert(leaf, &t.id) != 0)
			snprintf(t.id.cn, sizeof(t.id.cn), "?");
		snprintf(why, whylen,
		         "certificate CN=%s is not a technician certificate: it lacks "
		         "the technician EKU; requests must be signed with a technician's card, "
		         "not a device key",
		         t.id.cn);
		r = PL_E_SRV_NOT_TECHNICIAN;
		goto out;
	}
	/* The role is the technician EKU checked above, not clientAuth (a device's). */
	if ((cr = identity_chain_ctx(store, leaf, certs, n, now, r, &chain, &ctx, why, whylen)) !=
	    0) {
		r = cr;
		goto out;
	}
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
	storecache_window(ctx, store, now, from, until);
	*out = t;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return r;
}

int techid_verify(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                  struct tech_identity *out, char *why, size_t whylen)
{
	struct techcache *tc;
	struct tech_identity t;
	uint8_t key[TECHCACHE_KEY_LEN];
	uint64_t gen = 0;
	int64_t from = 0, until = 0;
	int r, cacheable;

	if (n == 0) {
		snprintf(why, whylen, "no technician certificate");
		return PL_E_SRV_TECH_CERT;
	}
	tc = store_cache(store);
	cacheable = tc != NULL && chain_key(certs, n, key) == 0;
	if (cacheable) {
		gen = storecache_gen(store); /* before verifying: never newer than the check */
		if (techcache_get(tc, key, gen, now, out) == 0)
			return 0;
	}
	if ((r = verify_full(store, certs, n, now, &t, &from, &until, why, whylen)) != 0)
		return r;
	if (cacheable) {
		void *pkey = NULL;

		/* without the parsed key the entry still saves the chain check */
		if (plt_openssl_pkey_from_pub(t.pub, &pkey) != 0)
			pkey = NULL;
		techcache_put(tc, key, gen, from, until, &t, pkey);
		EVP_PKEY_free(pkey);
	}
	*out = t;
	return 0;
}

/* plt_crypto hook: ctx is the X509_STORE; the key parsed on the cache miss. */
static int verify_es256(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN], const struct plt_iov *parts,
                        size_t nparts, const uint8_t sig[PLT_SIG_LEN])
{
	struct techcache *tc = store_cache(ctx);
	struct plt_openssl_keycache kc = {.pkey = NULL};
	int r;

	if (tc == NULL || (kc.pkey = techcache_pkey(tc, pub)) == NULL)
		return plt_openssl_verify_es256(NULL, pub, parts, nparts, sig);
	memcpy(kc.pub, pub, sizeof(kc.pub));
	r = plt_openssl_verify_es256(&kc, pub, parts, nparts, sig);
	plt_openssl_keycache_free(&kc);
	return r;
}

void techid_crypto(X509_STORE *store, struct plt_crypto *c)
{
	c->verify_es256 = verify_es256;
	c->ctx = store;
}

void techid_cache_flush(X509_STORE *store)
{
	struct techcache *tc = store_cache(store);

	if (tc != NULL)
		techcache_flush(tc);
}

int techid_cache_stats(X509_STORE *store, struct techcache_stats *out)
{
	struct techcache *tc = store_cache(store);

	if (tc == NULL)
		return PL_E_NOMEM;
	techcache_stats(tc, out);
	return 0;
}
