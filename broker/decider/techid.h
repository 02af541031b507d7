/*
 * Technician certificate verification (the decider's: it verifies every
 * request's technician, authenticate.c) and its chain cache: chains that
 * verified are remembered per store (techid.c says why a cached answer
 * equals a fresh one): at most TECHID_CACHE_CAP chains, each for at most
 * TECHID_CACHE_TTL_S seconds and never past a notAfter or CRL nextUpdate.
 */
#ifndef PITLANE_DECIDER_TECHID_H
#define PITLANE_DECIDER_TECHID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "identity.h"
#include "pitlane/token.h"

struct tech_identity {
	struct cert_identity id;
	uint8_t pub[PLT_P256_PUB_LEN];
};

/*
 * Parses certs[0] (leaf, DER) and certs[1..n) (untrusted intermediates),
 * checks that the leaf carries the store's technician marker (EKU, see
 * techid_set_marker; before any signature is checked, so a device
 * certificate costs one parse), verifies the chain against store at time now
 * (UNIX seconds), CRL checking per the store's flags, and that the key is
 * P-256 with digitalSignature allowed. why gets a sentence (the X509 error).
 * Errors: PL_E_SRV_NOT_TECHNICIAN, PL_E_SRV_TECH_CERT, PL_E_SRV_TECH_KEY,
 * PL_E_SRV_IDENTITY, PL_E_NOMEM.
 */
int techid_verify(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                  struct tech_identity *out, char *why, size_t whylen);

/*
 * The ES256 verify hook of lib/token (OpenSSL) for technician signatures: a
 * key whose chain techid_verify() verified and remembered against store is
 * not parsed again. Any other key is verified as plt_openssl_crypto() does.
 */
void techid_crypto(X509_STORE *store, struct plt_crypto *c);

/*
 * Forgets every chain verified against store. Changes made to the store
 * through OpenSSL (a CRL or CA added, flags set) are noticed without it; this
 * is for callers that want the next request verified in full regardless.
 */
void techid_cache_flush(X509_STORE *store);

/* The cache counters of store (hits, misses, ...). Errors: PL_E_NOMEM. */
struct techcache_stats;
int techid_cache_stats(X509_STORE *store, struct techcache_stats *out);

#endif
