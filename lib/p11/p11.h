/*
 * p11: the PKCS#11 side of the signer (internal). One struct p11 is one
 * "connection": the p11-kit modules, the token found by the URI, one login,
 * the private key handle, the public point and a pool of sessions. It is
 * built whole by p11_open() and torn down whole by p11_close(); the signer
 * replaces it after an HSM fault. Never logs.
 */
#ifndef PITLANE_SIGNER_P11_H
#define PITLANE_SIGNER_P11_H

#include <stddef.h>
#include <stdint.h>

struct p11;

/* The parsed, checked key URI (kept for re-opening after a fault). */
struct p11_uri;

/* Parses and checks an RFC 7512 URI: scheme, encoding, no unrecognized
 * attribute, no pin-value, type (if any) == private. */
int p11_uri_parse(const char *text, struct p11_uri **out, char *err, size_t errlen);
void p11_uri_free(struct p11_uri *u);

/*
 * Loads the module(s), finds the token, opens nsess sessions, logs in with
 * pin, finds exactly one private key, checks it is EC P-256 and reads the
 * matching public point. *ckr gets the PKCS#11 code of the failing call.
 */
int p11_open(const struct p11_uri *u, const char *pin, size_t pin_len, unsigned nsess,
             struct p11 **out, unsigned long *ckr, char *err, size_t errlen);
/* Closes sessions, logs out, finalises and releases the modules. NULL ok. */
void p11_close(struct p11 *p);

/* The uncompressed public point 04||X||Y. */
const uint8_t *p11_public_point(const struct p11 *p);

/*
 * ECDSA (CKM_ECDSA) over a 32-byte digest with a pooled session; raw r||s.
 * Returns 0, PL_E_SIGNER_UNAVAILABLE (a fault: the connection must be
 * replaced) or PL_E_SIGNER_HSM; *ckr gets the PKCS#11 code on failure.
 */
int p11_sign_digest(struct p11 *p, const uint8_t digest[32], uint8_t sig[64], unsigned long *ckr);

/* Cheap liveness check (session info + key attribute read). Same codes. */
int p11_probe(struct p11 *p, unsigned long *ckr);

/* 1 when rv means the device, token, session or key went away. */
int p11_rv_is_fault(unsigned long rv);
/* Symbolic name of a CKR_* value ("CKR_DEVICE_REMOVED"), never NULL. */
const char *p11_rv_name(unsigned long rv);

#endif
