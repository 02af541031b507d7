/*
 * Device certificate verification (the decider's: it verifies the TLS peer
 * certificates of every request, authenticate.c) and its chain cache: the
 * same rules as the technician chain cache (techid.h; storecache.h): keyed by
 * the exact DER bytes, served only for the store generation it was verified
 * against (a CRL reload changes it) and inside the chain's and CRLs' validity,
 * at most TECHID_CACHE_TTL_S seconds; at most TECHID_CACHE_CAP chains.
 */
#ifndef PITLANE_DECIDER_DEVID_H
#define PITLANE_DECIDER_DEVID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "identity.h"

/* The most certificates a device may hand over (leaf and intermediates). */
#define DEVID_CHAIN_MAX 4

/*
 * Verifies a device's certificates as the TLS handshake did: der holds the
 * leaf, then the intermediates it sent (DER, back to back); chain to store's
 * CAs at time now (UNIX seconds), validity, CRLs per the store's flags, client
 * purpose, depth 4, and no technician marker. out gets the device's identity;
 * why a sentence. Errors: PL_E_SRV_IDENTITY, PL_E_SRV_TECH_AS_DEVICE,
 * PL_E_NOMEM.
 */
int devid_verify(X509_STORE *store, const uint8_t *der, size_t len, int64_t now,
                 struct cert_identity *out, char *why, size_t whylen);

/* Forgets every device chain verified against store. */
void devid_cache_flush(X509_STORE *store);

/* The device cache counters of store. Errors: PL_E_NOMEM. */
struct techcache_stats;
int devid_cache_stats(X509_STORE *store, struct techcache_stats *out);

#endif
