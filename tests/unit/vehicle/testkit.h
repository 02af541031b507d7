/*
 * Test kit for the vehicle tests: a software P-256 key playing the broker,
 * and tokens minted with lib/token's encoder (plt_encode + the OpenSSL
 * signer). Used by the unit tests, the ecu-client test program and the fuzz
 * corpus generator. Not for production: the key lives in process memory.
 */
#ifndef PITLANE_VEHICLE_TESTKIT_H
#define PITLANE_VEHICLE_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

struct tk_key {
	void *pkey;                      /* EVP_PKEY * */
	struct plt_trust_anchor anchor;  /* kid + public point */
};

/* A fresh P-256 key. */
int tk_key_generate(struct tk_key *k);
/* A P-256 private key from a PEM file (PKCS#8 or SEC1). */
int tk_key_load_pem(struct tk_key *k, const char *path);
/* Writes the public key as PEM (for pitlane-ecusim --trust). */
int tk_key_write_pub_pem(const struct tk_key *k, const char *path);
/* Writes the private key as PEM (PKCS#8, mode 0600). */
int tk_key_write_priv_pem(const struct tk_key *k, const char *path);
void tk_key_free(struct tk_key *k);

/*
 * Claims for vin/op/cnonce with exi, iat = now, exp = now + 300, a random cti
 * and iss "pitlane-test". Views point at the arguments (keep them alive).
 */
void tk_claims_init(struct plt_claims *c, const char *vin, const char *op,
		    const uint8_t *cnonce, size_t cnonce_len, uint32_t exi);

/* Encodes and signs *c with k. */
int tk_mint_claims(const struct tk_key *k, const struct plt_claims *c, uint8_t *out, size_t cap,
		   size_t *len);
/* A COSE_Sign (tag 98) signed by k, then co-signed by co[0..nco) in turn. */
int tk_mint_sign(const struct tk_key *k, const struct tk_key *const *co, size_t nco,
		 const struct plt_claims *c, uint8_t *out, size_t cap, size_t *len);
/* Shortcut: tk_claims_init + tk_mint_claims. */
int tk_mint(const struct tk_key *k, const char *vin, const char *op, const uint8_t *cnonce,
	    size_t cnonce_len, uint32_t exi, uint8_t *out, size_t cap, size_t *len);

#endif
