/*
 * Hex, base64 and base64url. Decoders are strict: hex needs an even number of
 * [0-9a-fA-F]; base64url takes the unpadded RFC 4648 §5 alphabet; base64 takes
 * the padded §4 alphabet. Encoders always NUL-terminate. Every hex check in
 * pitlane (ids, nonces, DTC digits) goes through the helpers below.
 */
#ifndef PITLANE_COMMON_CODEC_H
#define PITLANE_COMMON_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes 2*len hex digits (lower case) + NUL; out must hold 2*len+1 bytes. */
int pl_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Decodes hex text of length tlen into out; *len gets the byte count. */
int pl_hex_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);
/* Writes len bytes as lower-case hex to out (no quotes, no newline); PL_E_IO on error. */
int pl_hex_fput(FILE *out, const uint8_t *in, size_t len);

/* Which letters a hex digit may use. */
enum pl_hex_case { PL_HEX_LOWER = 1, PL_HEX_UPPER = 2, PL_HEX_ANY = 3 };

/* 0..15 for a hex digit whose letters (a-f, A-F) cases allows; -1 for anything else. */
int pl_hex_value(char c, enum pl_hex_case cases);
/* The digit for v & 15: upper case with PL_HEX_UPPER, else lower case. */
char pl_hex_digit(unsigned v, enum pl_hex_case letter_case);
/* How many leading bytes of text[0..len) are hex digits of the allowed case(s). */
size_t pl_hex_span(const char *text, size_t len, enum pl_hex_case cases);
/* 1 if text[0..len) is exactly n lower-case hex digits (the form of our ids), else 0. */
int pl_hex_is_lower(const char *text, size_t len, size_t n);

int pl_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int pl_b64url_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);
int pl_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int pl_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len);

#endif
