/*
 * The co-signer's own signing key (core): one PKCS#11 login through lib/p11
 * to the token and key named in cosignd.conf (token_label, key_label,
 * pkcs11_module, pin_file), its public point and kid (SHA-256 of the point,
 * first 8 bytes, as the broker's). On an HSM fault the session is replaced
 * once per call; a replaced key with another public point is refused.
 */
#ifndef PITLANE_COSIGN_HSM_H
#define PITLANE_COSIGN_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "cosign_conf.h"
#include "pitlane/token.h"

struct cosign_hsm;

/* Reads the PIN file, logs in, finds the key. err says which part failed. */
int cosign_hsm_open(const struct cosign_conf *c, struct cosign_hsm **out, char *err, size_t errlen);
/* Logs out, wipes the PIN. NULL ok. */
void cosign_hsm_close(struct cosign_hsm *h);

const uint8_t *cosign_hsm_pub(const struct cosign_hsm *h); /* 04||X||Y, 65 bytes */
const uint8_t *cosign_hsm_kid(const struct cosign_hsm *h); /* PLT_KID_LEN bytes */

/* plt_sign_fn over the key (ctx: the struct cosign_hsm). */
int cosign_hsm_sign(void *ctx, const struct plt_iov *parts, size_t nparts,
                    uint8_t sig[PLT_SIG_LEN]);

/* 1 when the last call (or a probe now) found the key usable. */
int cosign_hsm_ready(struct cosign_hsm *h);

/* The public key as PEM (SubjectPublicKeyInfo) to f. */
int cosign_hsm_write_pem(const struct cosign_hsm *h, FILE *f);

#endif
