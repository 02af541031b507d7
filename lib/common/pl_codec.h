/*
 * Hex, base64 and base64url. Decoders are strict: hex needs an even number of
 * [0-9a-fA-F]; base64url takes the unpadded RFC 4648 §5 alphabet; base64 takes
 * the padded §4 alphabet. Encoders always NUL-terminate.
 */
#ifndef PITLANE_COMMON_CODEC_H
#define PITLANE_COMMON_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len hex digits (lower case) + NUL; out must hold 2*len+1 bytes. */
int pl_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Decodes hex text of length tlen into out; *len gets the byte count. */
int pl_hex_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);

int pl_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int pl_b64url_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);
int pl_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int pl_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);

#endif
