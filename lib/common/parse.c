#include <stddef.h>

#include "pl_codec.h"
#include "pl_err.h"
#include "pl_parse.h"

static int digit_value(char c, unsigned base)
{
	int v = pl_hex_value(c, PL_HEX_ANY);

	return v >= 0 && (unsigned)v < base ? v : -1;
}

/* Parses digits of s in base into *out; no sign, at least one digit. */
static int parse_unsigned(const char *s, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	int overflow = 0;

	if (s == NULL || *s == '\0')
		return PL_E_SYNTAX;
	for (; *s != '\0'; s++) {
		int d = digit_value(*s, base);
		if (d < 0)
			return PL_E_SYNTAX;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			overflow = 1;
		else
			v = v * base + (uint64_t)d;
	}
	if (overflow)
		return PL_E_RANGE;
	*out = v;
	return 0;
}

int pl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r = parse_unsigned(s, 10, &v);
	if (r != 0)
		return r;
	if (v < min || v > max)
		return PL_E_RANGE;
	*out = v;
	return 0;
}

int pl_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r = pl_parse_u64(s, min, max, &v);
	if (r == 0)
		*out = (uint32_t)v;
	return r;
}

int pl_parse_u32_any(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r;

	if (s != NULL && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		r = parse_unsigned(s + 2, 16, &v);
	else
		r = parse_unsigned(s, 10, &v);
	if (r != 0)
		return r;
	if (v < min || v > max)
		return PL_E_RANGE;
	*out = (uint32_t)v;
	return 0;
}

int pl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag;
	int neg = 0, r;
	int64_t v;

	if (s != NULL && *s == '-') {
		neg = 1;
		s++;
	}
	if ((r = parse_unsigned(s, 10, &mag)) != 0)
		return r;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return PL_E_RANGE;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return PL_E_RANGE;
		v = (int64_t)mag;
	}
	if (v < min || v > max)
		return PL_E_RANGE;
	*out = v;
	return 0;
}
