/*
 * Certificate identities: workshop = subject OU, device or technician id =
 * subject CN. Both must appear exactly once, as printable UTF-8 without NUL.
 * And the technician marker that tells technician certificates from device
 * ones. Verifying a technician's chain is the decider's (broker/decider/
 * techid.h); the front end uses only what is here.
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

#define IDENT_CERT_DER_MAX 16384

/*
 * One DER certificate of an x5chain (at most IDENT_CERT_DER_MAX bytes, nothing
 * after it); NULL when it is not one.
 */
X509 *identity_der_cert(const struct plt_bytes *b);

/*
 * Verification context for leaf under store at now with certs[1..n) as
 * untrusted chain (*chain, freed by the caller with *ctx), any purpose: the
 * caller checks the role. 0, PL_E_NOMEM, or bad with why filled.
 */
int identity_chain_ctx(X509_STORE *store, X509 *leaf, const struct plt_bytes *certs, size_t n,
                       int64_t now, int bad, STACK_OF(X509) * *chain, X509_STORE_CTX **ctx,
                       char *why, size_t whylen);

/*
 * Sets the technician marker of store: the EKU OID (dotted decimal) that a
 * technician certificate must carry and a TLS client (device) certificate
 * must not. A store without one requires TECHID_EKU_DEFAULT. The chains
 * verified so far are forgotten (at the next techid_verify()). Call before the store is shared with
 * workers. Errors: PL_E_INVAL (not an OID, or clientAuth/serverAuth/anyExtendedKeyUsage, which
 * device certificates carry), PL_E_NOMEM.
 */
int techid_set_marker(X509_STORE *store, const char *oid);

/*
 * The serial of store's marker: a new one with every techid_set_marker(), 0
 * when none was set. What was checked against the marker is kept only while
 * it stays the same (the chain cache of techid.c).
 */
uint64_t techid_marker_serial(X509_STORE *store);

/* 1 when x carries the technician marker of store in its EKU extension, else 0. */
int techid_has_marker(X509_STORE *store, X509 *x);

#endif
