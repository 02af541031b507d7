/*
 * The technician's signing key: a P-256 key in a PKCS#11 token (smartcard,
 * TPM, SoftHSM2) reached through p11-kit with broker/signer's p11 module, and
 * the technician certificate that belongs to it. The PIN comes from the
 * configured PIN file (fstat-checked) or the terminal (no echo) and is wiped
 * as soon as the token has it. Never logs.
 */
#ifndef PITLANE_AGENT_TECHKEY_H
#define PITLANE_AGENT_TECHKEY_H

#include <stddef.h>
#include <stdint.h>

struct agent_config;
struct techkey;

/*
 * Reads the certificate, obtains the PIN, logs in and checks that the key's
 * public point is the certificate's. PL_E_AGENT_TECH_CERT, PL_E_AGENT_TECH_KEY,
 * PL_E_AGENT_TECH_MISMATCH, PL_E_AGENT_PIN or a PL_E_SIGNER_* code (PIN
 * incorrect, token not found, ...), with err saying what to do.
 */
int techkey_open(const struct agent_config *c, struct techkey **out, char *err, size_t errlen);
/*
 * techkey_open in two halves, so that the token login (module load, C_Login:
 * milliseconds of CPU with SoftHSM2) can run on another thread while the
 * vehicle answers: prepare reads the certificate and obtains the PIN (it may
 * ask at the terminal, so it belongs to the main thread); login opens the
 * token, wipes the PIN and checks the key against the certificate. After a
 * failed login only techkey_close is valid.
 */
int techkey_prepare(const struct agent_config *c, struct techkey **out, char *err, size_t errlen);
int techkey_login(struct techkey *k, const struct agent_config *c, char *err, size_t errlen);
/* ES256 over msg: raw r||s. */
int techkey_sign(struct techkey *k, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* COSE_Sign1 of payload with the technician certificate in x5chain (p11_cose_sign1()). */
int techkey_sign1(struct techkey *k, const uint8_t *payload, size_t ylen, uint8_t *out, size_t cap,
                  size_t *len);
/* The certificate's DER bytes (valid until techkey_close). */
const uint8_t *techkey_cert_der(const struct techkey *k, size_t *len);
/* The technician id (the certificate's CN). */
const char *techkey_id(const struct techkey *k);
/* Seconds until the certificate's notAfter (negative: expired). */
long long techkey_cert_seconds_left(const struct techkey *k);
void techkey_close(struct techkey *k);

/* Reads a PIN from the terminal without echo into pin[cap]; PL_E_AGENT_PIN without one. */
int techkey_ask_pin(const char *prompt, char *pin, size_t cap, size_t *len);

#endif
