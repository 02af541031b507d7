/*
 * The broker's TLS server context: TLS 1.3 only, client certificate required
 * and verified against the dealer CA (plus CRL when configured, leaf checked),
 * client purpose enforced, session tickets and the session cache off (so every
 * connection is verified against the current CRL).
 */
#ifndef PITLANE_BROKER_TLS_H
#define PITLANE_BROKER_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "castore.h"
#include "config.h"
#include "identity.h"

/*
 * DER of the verified peer's certificates (the leaf, then the intermediates it
 * sent) into buf (cap bytes); *len gets the length. Errors: PL_E_SRV_IDENTITY
 * (no verified peer), PL_E_TOOBIG (more than cap bytes).
 */
int tls_peer_der(SSL *ssl, uint8_t *buf, size_t cap, size_t *len);

/*
 * Builds the context from c. verify_cb (may be NULL) is installed as the
 * verification callback (for logging). err gets file names and the OpenSSL
 * reason. Errors: PL_E_SRV_TLS_SETUP, PL_E_NOMEM.
 */
int tls_server_ctx(const struct broker_config *c, SSL_verify_cb verify_cb, SSL_CTX **out, char *err,
                   size_t errlen);

/*
 * Identity of the verified peer of ssl. Refuses (PL_E_SRV_IDENTITY) a NULL
 * ssl (a plaintext connection), an incomplete handshake, a missing peer
 * certificate or a verify result other than X509_V_OK; PL_E_SRV_TECH_AS_DEVICE
 * when the peer certificate carries the technician marker (identity.h).
 */
int tls_peer_identity(SSL *ssl, struct cert_identity *out);

/*
 * Verifies the peer certificate of an established (or establishing)
 * connection again against store as it is now (after a CRL update): chain,
 * validity, client purpose, CRLs. 0: still good, or no peer certificate yet
 * (the handshake will verify it against the new store). PL_E_SRV_IDENTITY:
 * no longer good; *x509_err gets the X509_V_ERR_* reason.
 */
int tls_peer_recheck(X509_STORE *store, SSL *ssl, int *x509_err);

#endif
