/* Shared fixture of the signer tests: a fresh demo PKI (SoftHSM2 tokens) per test. */
#ifndef PITLANE_TEST_SIGNER_FIXTURE_H
#define PITLANE_TEST_SIGNER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "signer.h"

#define FX_URI "pkcs11:token=pitlane-broker;object=broker-signing;type=private"
#define FX_VIN "WVWZZZ1JZXW000001"

struct fx {
	char dir[256];       /* the demo PKI */
	char pin[320];       /* hsm-broker/pin */
	char conf[320];      /* hsm-broker/softhsm2.conf */
	char pubpem[320];    /* hsm-broker/broker-signing.pub.pem */
};

/* mkdtemp + packaging/demo-pki.sh; exports SOFTHSM2_CONF for the broker token. */
void fx_setup(struct fx *f);
/* Removes the directory tree. */
void fx_teardown(struct fx *f);
/* path = dir/rel */
void fx_path(const struct fx *f, const char *rel, char *out, size_t cap);
/* Runs a shell command (with f->dir as $D); returns its exit status. */
int fx_sh(const struct fx *f, const char *cmd);

/* The demo catalogue: door.unlock (300 s), key.learn (120 s), max_exi 120. */
void fx_limits(struct signer_limits *l);
/* A request inside the limits. */
void fx_request(struct signer_request *r);
/* The exported public key PEM as a trust anchor. */
void fx_anchor(const struct fx *f, uint8_t kid[8], uint8_t pub[65]);
/* Polls signer_ready() for up to ms; returns the last value. */
int fx_wait_ready(struct signer *s, int want, unsigned ms);
/* The SoftHSM2 module path (for module-path= URIs and the fault module). */
const char *fx_softhsm_module(void);

#endif
