/*
 * Officers (docs/abuse.md, "Officers sign their decisions"): OEM security
 * staff who decide approvals with pitlanectl, each signing with their own
 * PKCS#11 key. Their certificates come from the officer CA (broker.conf
 * officer_ca), a CA of its own: the dealer CA's certificates (devices,
 * technicians) are never officers, and an officer certificate is never a
 * technician's. pitlanectl checks an officer's decision before it writes it;
 * the decider checks the stored bytes again before an approved token leaves,
 * so a database row written without the officer's key delivers nothing.
 */
#ifndef PITLANE_BROKER_OFFICER_H
#define PITLANE_BROKER_OFFICER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "decision.h"
#include "identity.h"
#include "pitlane/token.h"

/* The audit name of an officer: "officer:" and the certificate's CN. */
#define OFFICER_ACTOR_PREFIX "officer:"

struct officer_identity {
	struct cert_identity id; /* CN = the officer's name, OU = their unit */
	uint8_t pub[PLT_P256_PUB_LEN];
};

/*
 * A store holding the CA certificates of the PEM bundle path (at least one).
 * If dealer is not NULL, no certificate may be in both (officer_ca must be a
 * CA of its own). err gets the file and the reason.
 * Errors: PL_E_SRV_TLS_SETUP, PL_E_SRV_CONFIG_VALUE (shared CA), PL_E_NOMEM.
 */
int officer_store_open(const char *path, X509_STORE *dealer, X509_STORE **out, char *err,
                       size_t errlen);

/*
 * certs[0] (leaf, DER) and certs[1..n) (intermediates) chain to store at time
 * now (UNIX seconds); the leaf is no CA, allows digitalSignature (if it has a
 * keyUsage), has exactly one CN and one OU and an EC P-256 key. why gets a
 * sentence. Errors: PL_E_SRV_OFFICER_CERT, PL_E_NOMEM.
 */
int officer_verify_cert(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
                        struct officer_identity *out, char *why, size_t whylen);

/*
 * An officer's signed decision on b, in full: decision_check_binding(), the
 * x5chain under officers (officer_verify_cert at now), then the COSE_Sign1
 * signature under the certificate's key. *dec and *who only on success.
 * Errors: decision_check_binding's, PL_E_SRV_NO_OFFICER_CA (officers NULL),
 * PL_E_SRV_OFFICER_CERT, PL_E_SRV_DECISION_SIG, PL_E_NOMEM.
 */
int officer_decision_verify(X509_STORE *officers, const uint8_t *body, size_t len,
                            const struct decision_binding *b, int64_t now,
                            struct approval_decision *dec, struct officer_identity *who, char *why,
                            size_t whylen);

#endif
