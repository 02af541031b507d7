/*
 * COSE_Sign1 signed by a PKCS#11 key: the technician's request and approval
 * messages (agent) and the officer's approval decisions (pitlanectl).
 */
#ifndef PITLANE_P11_COSE_H
#define PITLANE_P11_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "p11.h"

/*
 * Writes 18([protected {1: -7, 33: cert}, {}, payload, ES256 signature]) into
 * out (cap bytes); the signature is the token key's over SHA-256 of the
 * Sig_structure (RFC 9052 section 4.4). 0, the CBOR writer's error (out too
 * small), PL_E_NOMEM, or p11_sign_digest()'s error.
 */
int p11_cose_sign1(struct p11 *p, const uint8_t *cert, size_t cert_len, const uint8_t *payload,
                   size_t ylen, uint8_t *out, size_t cap, size_t *len);

/*
 * Reads the PEM certificate at path (at most max bytes) that goes into
 * x5chain: its X509 (X509_free), DER (OPENSSL_free) and EC P-256 public point.
 * 0; pl_read_file()'s error; or PL_E_BADCERT with *why "not a PEM
 * certificate" or "the key is not EC P-256".
 */
int p11_cose_cert_load(const char *path, size_t max, X509 **x, uint8_t **der, size_t *der_len,
                       uint8_t point[65], const char **why);

#endif
