/*
 * Certificate identities: workshop = subject OU, device or technician id =
 * subject CN. Both must appear exactly once, as printable UTF-8 without NUL.
 * techid_verify() checks a technician certificate from a request against the
 * dealer CA store (with the CRL, when the store has one), for client use with
 * digitalSignature, and returns its identity and P-256 public key. Chains
 * that verified are remembered per store (see identity.c for why a cached
 * answer equals a fresh one): at most TECHID_CACHE_CAP chains, each for at
 * most TECHID_CACHE_TTL_S seconds and never past a notAfter or CRL nextUpdate.
 */
#ifndef PITLANE_BROKER_IDENTITY_H
#define PITLANE_BROKER_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pitlane/token.h"

#define IDENT_TEXT_MAX 64
/*
 * The technician marker: an extended key usage that technician certificates
 * carry and device certificates must not (docs/broker.md, "Technician and
 * device certificates"). This default is a UUID OID (ITU-T X.667, arc 2.25,
 * no registration needed); an OEM with its own OID arc sets technician_eku.
 */
#define TECHID_EKU_DEFAULT "2.25.197166621731967863758900043443745532342"
#define TECHID_EKU_MAX 128
#define TECHID_CACHE_CAP 1024
#define TECHID_CACHE_TTL_S 300

struct cert_identity {
	char cn[IDENT_TEXT_MAX];
	char ou[IDENT_TEXT_MAX];
};

/* CN and OU of x's subject. Errors: PL_E_SRV_IDENTITY. */
int identity_from_cert(X509 *x, struct cert_identity *out);

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
 * Sets the technician marker of store: the EKU OID (dotted decimal) that a
 * technician certificate must carry and a TLS client (device) certificate
 * must not. A store without one requires TECHID_EKU_DEFAULT. Forgets the
 * chains verified so far. Call before the store is shared with workers.
 * Errors: PL_E_INVAL (not an OID, or clientAuth/serverAuth/anyExtendedKeyUsage,
 * which device certificates carry), PL_E_NOMEM.
 */
int techid_set_marker(X509_STORE *store, const char *oid);

/* 1 when x carries the technician marker of store in its EKU extension, else 0. */
int techid_has_marker(X509_STORE *store, X509 *x);

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
