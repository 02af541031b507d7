/*
 * The dealer CA store (client_ca, plus the crl file): one per process that
 * verifies certificates -- the front end's TLS handshakes, the decider's own
 * checks of the device and technician certificates of every request
 * (broker/decider/devid.c, techid.c).
 */
#ifndef PITLANE_API_CASTORE_H
#define PITLANE_API_CASTORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "config.h"
#include "identity.h"

/*
 * err = "WHAT PATH: OpenSSL's last reason" (path may be NULL); clears OpenSSL's
 * error queue. Returns PL_E_SRV_TLS_SETUP. For every TLS/X.509 set-up failure.
 */
int castore_fail(char *err, size_t errlen, const char *what, const char *path);

/*
 * A new store with c's client_ca, its crl (CRL checking on, leaf checked)
 * and its technician marker. err gets the file and the reason.
 * Errors: PL_E_SRV_TLS_SETUP, PL_E_INVAL (marker), PL_E_NOMEM.
 */
int castore_open(const struct broker_config *c, X509_STORE **out, char *err, size_t errlen);

/*
 * The same from plain file names, for programs without broker.conf (the
 * co-signer): the CA bundle ca (ca_key names its setting in messages), the
 * crl file ("" or NULL: no CRL checking) and the technician marker eku (NULL:
 * TECHID_EKU_DEFAULT). Same errors.
 */
int castore_open_files(const char *ca_key, const char *ca, const char *crl, const char *eku,
                       X509_STORE **out, char *err, size_t errlen);

/*
 * A CRL update (SIGHUP): pem holds one or more PEM CRLs (the configured crl
 * file, read again). All of them must parse, come from a CA certificate of
 * store and carry that CA's valid signature, else nothing changes
 * (PL_E_SRV_TLS_SETUP, err says which CRL and why). Accepted CRLs are added
 * to store; for one CA, OpenSSL uses the newest CRL it holds, and the store's
 * changed object count retires the technician-chain cache (identity.c). *n
 * gets the number of CRLs added. Safe while other threads verify with store.
 */
int castore_crl_update(X509_STORE *store, const void *pem, size_t len, size_t *n, char *err,
                       size_t errlen);

#endif
