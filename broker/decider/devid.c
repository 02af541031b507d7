/*
 * Device certificate verification and its chain cache (the decider's). A
 * request's device certificates are the TLS peer's, handed over byte for
 * byte by the front end; a workshop PC sends the same ones on every request,
 * so a chain that verified is remembered as the technician's are (techid.c
 * says why a hit equals a full check; storecache.c holds the shared rules).
 * Only what a full check would give is stored: the identity (CN, OU), for the
 * exact DER bytes, the store generation and the time window. Refusals are
 * never cached.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "devid.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "storecache.h"
#include "techcache.h"

/* The leaf and the intermediates in der; 0 or the failing code (why set). */
static int parse_chain(const uint8_t *der, size_t len, X509 **leaf, STACK_OF(X509) * chain,
                       char *why, size_t whylen)
{
	const uint8_t *p = der, *end = der + len;

	if (len == 0 || len > LONG_MAX || (*leaf = d2i_X509(NULL, &p, (long)len)) == NULL) {
		snprintf(why, whylen, "no device certificate was handed over");
		return PL_E_SRV_IDENTITY;
	}
	while (p < end) {
		X509 *x = d2i_X509(NULL, &p, (long)(end - p));

		if (x == NULL || sk_X509_num(chain) >= DEVID_CHAIN_MAX || !sk_X509_push(chain, x)) {
			X509_free(x);
			snprintf(why, whylen, "the device's certificates do not parse as DER");
			return PL_E_SRV_IDENTITY;
		}
	}
	return 0;
}

/* The full check; on success also the window in which the result may be reused. */
static int verify_full(X509_STORE *store, const uint8_t *der, size_t len, int64_t now,
                       struct cert_identity *out, int64_t *from, int64_t *until, char *why,
                       size_t whylen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct cert_identity id;
	X509 *leaf = NULL;
	int r = PL_E_SRV_IDENTITY;

	if (chain == NULL || ctx == NULL) {
		r = PL_E_NOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if ((r = parse_chain(der, len, &leaf, chain, why, whylen)) != 0)
		goto out;
	if (techid_has_marker(store, leaf)) {
		r = PL_E_SRV_TECH_AS_DEVICE;
		snprintf(why, whylen, "a technician certificate stands in for a workshop PC's");
		goto out;
	}
	r = PL_E_SRV_IDENTITY;
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_client") != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
		snprintf(why, whylen, "cannot set up the device certificate check");
		goto out;
	}
	X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), 4);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "the device certificate does not verify: %s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if ((r = identity_from_cert(leaf, &id)) != 0) {
		snprintf(why, whylen, "the device certificate has no single CN and OU");
		goto out;
	}
	storecache_window(ctx, store, now, from, until);
	*out = id;
	r = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* SHA-256 over the DER bytes as handed over. */
static int der_key(const uint8_t *der, size_t len, uint8_t key[TECHCACHE_KEY_LEN])
{
	unsigned int klen = 0;

	if (EVP_Digest(der, len, key, &klen, EVP_sha256(), NULL) != 1 || klen != TECHCACHE_KEY_LEN)
		return PL_E_CRYPTO;
	return 0;
}

int devid_verify(X509_STORE *store, const uint8_t *der, size_t len, int64_t now,
                 struct cert_identity *out, char *why, size_t whylen)
{
	struct techcache *tc = storecache_get(store, STORECACHE_DEVICE);
	struct tech_identity t;
	uint8_t key[TECHCACHE_KEY_LEN];
	uint64_t gen = 0;
	int64_t from = 0, until = 0;
	int r, cacheable;

	cacheable = tc != NULL && len > 0 && der_key(der, len, key) == 0;
	if (cacheable) {
		gen = storecache_gen(store); /* before verifying: never newer than the check */
		if (techcache_get(tc, key, gen, now, &t) == 0) {
			*out = t.id;
			return 0;
		}
	}
	memset(&t, 0, sizeof(t));
	if ((r = verify_full(store, der, len, now, &t.id, &from, &until, why, whylen)) != 0)
		return r;
	if (cacheable)
		techcache_put(tc, key, gen, from, until, &t, NULL);
	*out = t.id;
	return 0;
}

void devid_cache_flush(X509_STORE *store)
{
	struct techcache *tc = storecache_get(store, STORECACHE_DEVICE);

	if (tc != NULL)
		techcache_flush(tc);
}

int devid_cache_stats(X509_STORE *store, struct techcache_stats *out)
{
	struct techcache *tc = storecache_get(store, STORECACHE_DEVICE);

	if (tc == NULL)
		return PL_E_NOMEM;
	techcache_stats(tc, out);
	return 0;
}
