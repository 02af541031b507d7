/*
 * OpenSSL (libcrypto 3) binding of lib/token, for host builds only: the ES256
 * verify hook, an ES256 signer for plt_encode, kid derivation and trust-anchor
 * loading. Functions return 0 or a negative PLT_E_* code.
 */
#ifndef PITLANE_TOKEN_OPENSSL_H
#define PITLANE_TOKEN_OPENSSL_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills *c with the OpenSSL ES256 verify hook (ctx = NULL). */
void plt_openssl_crypto(struct plt_crypto *c);

/*
 * The same hook with a one-entry key cache: verifying many tokens under the
 * same anchor then skips rebuilding the EVP_PKEY. *kc starts zeroed, serves
 * one thread, and is released with plt_openssl_keycache_free().
 */
struct plt_openssl_keycache {
	uint8_t pub[PLT_P256_PUB_LEN];
	void *pkey; /* EVP_PKEY * */
};
void plt_openssl_crypto_cached(struct plt_crypto *c, struct plt_openssl_keycache *kc);
void plt_openssl_keycache_free(struct plt_openssl_keycache *kc);

/* The hook itself (ctx NULL or a struct plt_openssl_keycache *): 0 when sig verifies under pub over
 * the parts, 1 when it does not, a negative code when pub is not a P-256 point. */
int plt_openssl_verify_es256(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
                             const struct plt_iov *parts, size_t nparts,
                             const uint8_t sig[PLT_SIG_LEN]);

/* A plt_sign_fn: ctx is an EVP_PKEY * holding a P-256 private key. */
int plt_openssl_sign_es256(void *evp_pkey, const struct plt_iov *parts, size_t n,
                           uint8_t sig[PLT_SIG_LEN]);

/* kid = first 8 bytes of SHA-256 over the SubjectPublicKeyInfo DER of pub. */
int plt_openssl_kid(const uint8_t pub[PLT_P256_PUB_LEN], uint8_t kid[PLT_KID_LEN]);

/* A trust anchor (kid + public point, role broker) from a PEM public key or certificate. */
int plt_openssl_anchor_from_pem(const char *pem, size_t len, struct plt_trust_anchor *out);

/* The uncompressed public point of a P-256 EVP_PKEY (public or private). */
int plt_openssl_pub_from_pkey(const void *evp_pkey, uint8_t pub[PLT_P256_PUB_LEN]);

/* An EVP_PKEY (caller frees with EVP_PKEY_free) from an uncompressed P-256 point. */
int plt_openssl_pkey_from_pub(const uint8_t pub[PLT_P256_PUB_LEN], void **evp_pkey);

#ifdef __cplusplus
}
#endif
#endif
