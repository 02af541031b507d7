/*
 * Host-side token tooling shared by pitlane-token, `pitlanectl token inspect`
 * and `pitlane token inspect`: reading tokens (raw or hex), loading PEM trust
 * anchors, and printing a decoded token as JSON. Not for ECUs (uses stdio and
 * the heap). Functions return 0 or a negative code of the one error table
 * (PLT_E_* from lib/token, PL_E_* from lib/common; pl_strerror() names both).
 */
#ifndef PITLANE_TOKEN_TOOL_H
#define PITLANE_TOKEN_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pitlane/token.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Reads a token from path ("-" = stdin) into buf. With hex nonzero the input
 * is hex text (whitespace ignored). Input longer than cap is PL_E_TOOBIG.
 */
int plt_tool_read_token(const char *path, int hex, uint8_t *buf, size_t cap, size_t *len);

/* A trust anchor from a PEM file (public key or certificate). */
int plt_tool_anchor_file(const char *path, struct plt_trust_anchor *out);

/*
 * Decodes tok with the strict profile (no signature check) and writes it as
 * one JSON object to out: {"size", "protected": {"alg", "kid"}, "claims":
 * {...}, "signature", "tag": 18 or 98, "signers": [{"kid", "signature"}...]}
 * (protected and signature: the first signer's); byte strings as lower-case
 * hex. On a decode failure
 * nothing is written, the code is returned and *err_off (if not NULL) gets
 * the byte offset.
 */
int plt_tool_inspect_json(FILE *out, const uint8_t *tok, size_t len, size_t *err_off);

/* Writes the claims of a decoded token as a JSON object (used by the above). */
void plt_tool_claims_json(FILE *out, const struct plt_claims *c);

#ifdef __cplusplus
}
#endif
#endif
