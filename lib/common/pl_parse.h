/*
 * Checked number parsers: the only way text becomes a number in pitlane.
 * The whole string must be the number (no sign for unsigned, no spaces, no
 * trailing text); out-of-range values are PL_E_RANGE, anything else that is not
 * a number is PL_E_SYNTAX. *out is written only on success.
 * Base: decimal, or hex with a 0x prefix where noted.
 */
#ifndef PITLANE_COMMON_PARSE_H
#define PITLANE_COMMON_PARSE_H

#include <stdint.h>

int pl_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int pl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int pl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Decimal or 0x-prefixed hex (e.g. CAN ids "0x7E0"). */
int pl_parse_u32_any(const char *s, uint32_t min, uint32_t max, uint32_t *out);

#endif
