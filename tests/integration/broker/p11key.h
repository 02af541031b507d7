/*
 * Test-client helper: an ES256 key inside a PKCS#11 token (reached through
 * p11-kit, so SOFTHSM2_CONF selects the SoftHSM2 token directory) or in a PEM
 * file. Signs SHA-256(msg) and returns raw r||s.
 */
#ifndef PITLANE_TEST_P11KEY_H
#define PITLANE_TEST_P11KEY_H

#include <stddef.h>
#include <stdint.h>

struct p11key;

/* The private key labelled object in the token labelled token. */
int p11key_open_token(const char *token, const char *object, const char *pin,
		      struct p11key **out);
/* A P-256 private key from a PEM file (software key, for negative tests). */
int p11key_open_pem(const char *path, struct p11key **out);
/* sig = ES256(msg), raw r||s. */
int p11key_sign(struct p11key *k, const uint8_t *msg, size_t len, uint8_t sig[64]);
void p11key_close(struct p11key *k);

#endif
