/*
 * Certificate identities: workshop = subject OU, device or technician id =
 * subject CN. Both must appear exactly once, as printable UTF-8 without NUL.
 * techid_verify() checks a technician certificate from a request against the
 * dealer CA store (with the CRL, when the store has one), for client use with
 * digitalSignature, and returns its identity and P-256 public key.
 */
#ifndef PITLANE_BROKER_IDENTITY_H
#define PITLANE_BROKER_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pitlane/token.h"

#define IDENT_TEXT_MAX 64

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
 * verifies the chain against store at time now (UNIX seconds), purpose
 * clientAuth, CRL checking per the store's flags, and that the key is P-256
 * with digitalSignature allowed. why gets a sentence (the X509 error).
 * Errors: PL_E_SRV_TECH_CERT, PL_E_SRV_TECH_KEY, PL_E_SRV_IDENTITY, PL_E_NOMEM.
 */
int techid_verify(X509_STORE *store, const struct plt_bytes *certs, size_t n, int64_t now,
		  struct tech_identity *out, char *why, size_t whylen);

#endif
