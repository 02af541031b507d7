#include <string.h>

#include "pl_codec.h"
#include "pl_err.h"

static const char hexdig[] = "0123456789abcdef";
static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int pl_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	if (cap < 1 || len > (cap - 1) / 2)
		return PL_E_NOSPACE;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

int pl_hex_value(char c, enum pl_hex_case cases)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((cases & PL_HEX_LOWER) && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if ((cases & PL_HEX_UPPER) && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char pl_hex_digit(unsigned v, enum pl_hex_case letter_case)
{
	static const char upper[] = "0123456789ABCDEF";

	return letter_case == PL_HEX_UPPER ? upper[v & 15] : hexdig[v & 15];
}

size_t pl_hex_span(const char *text, size_t len, enum pl_hex_case cases)
{
	size_t i = 0;

	while (i < len && pl_hex_value(text[i], cases) >= 0)
		i++;
	return i;
}

int pl_hex_is_lower(const char *text, size_t len, size_t n)
{
	return len == n && pl_hex_span(text, len, PL_HEX_LOWER) == n;
}

int pl_hex_fput(FILE *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (putc(hexdig[in[i] >> 4], out) == EOF || putc(hexdig[in[i] & 15], out) == EOF)
			return PL_E_IO;
	return 0;
}

int pl_hex_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len)
{
	if (tlen % 2 != 0)
		return PL_E_SYNTAX;
	if (tlen / 2 > cap)
		return PL_E_NOSPACE;
	for (size_t i = 0; i < tlen; i += 2) {
		int hi = pl_hex_value(text[i], PL_HEX_ANY);
		int lo = pl_hex_value(text[i + 1], PL_HEX_ANY);

		if (hi < 0 || lo < 0)
			return PL_E_SYNTAX;
		out[i / 2] = (uint8_t)((hi << 4) | lo);
	}
	*len = tlen / 2;
	return 0;
}

static int b64_encode(const char *alpha, int pad, const uint8_t *in, size_t len, char *out,
                      size_t cap)
{
	size_t full = len / 3, rest = len % 3;
	size_t need = full * 4 + (rest ? (pad ? 4 : rest + 1) : 0) + 1;
	size_t o = 0;

	if (len > (SIZE_MAX / 4) || cap < need)
		return PL_E_NOSPACE;
	for (size_t i = 0; i < full * 3; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (rest) {
		uint32_t v = (uint32_t)in[full * 3] << 16;
		if (rest == 2)
			v |= (uint32_t)in[full * 3 + 1] << 8;
		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		if (rest == 2)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int b64_value(const char *alpha, char c)
{
	const char *p = c ? strchr(alpha, c) : NULL;
	return p ? (int)(p - alpha) : -1;
}

static int b64_decode(const char *alpha, int pad, const char *text, size_t tlen, uint8_t *out,
                      size_t cap, size_t *len)
{
	size_t o = 0, n = tlen;

	if (pad) {
		if (tlen % 4 != 0)
			return PL_E_SYNTAX;
		if (n > 0 && text[n - 1] == '=')
			n--;
		if (n > 0 && text[n - 1] == '=')
			n--;
	} else if (tlen % 4 == 1) {
		return PL_E_SYNTAX;
	}
	if ((n * 3) / 4 > cap)
		return PL_E_NOSPACE;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(alpha, text[i]);
		if (v < 0)
			return PL_E_SYNTAX;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Non-canonical: leftover bits must be zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return PL_E_SYNTAX;
	*len = o;
	return 0;
}

int pl_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	return b64_encode(b64url, 0, in, len, out, cap);
}

int pl_b64url_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len)
{
	return b64_decode(b64url, 0, text, tlen, out, cap, len);
}

int pl_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	return b64_encode(b64std, 1, in, len, out, cap);
}

int pl_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t cap, size_t *len)
{
	return b64_decode(b64std, 1, text, tlen, out, cap, len);
}
