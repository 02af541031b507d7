/*
 * The CWT claims of a pitlane token (schema/token.cddl): integer keys only,
 * no duplicates, no unknown claims, every value type- and size-checked.
 */
#include <string.h>

#include "token_int.h"

/* Claim keys: RFC 8392 / RFC 8747 / RFC 9200 and pitlane private use (< -65536). */
enum claim_key {
	CK_ISS = 1,
	CK_AUD = 3,
	CK_EXP = 4,
	CK_IAT = 6,
	CK_CTI = 7,
	CK_SCOPE = 9,
	CK_CNONCE = 39,
	CK_EXI = 40,
	CK_WORKSHOP = -65537,
	CK_TECHNICIAN = -65538,
	CK_WORK_ORDER = -65539,
	CK_POLICY_VER = -65540,
};

#define PLT_REQUIRED                                                                               \
	(PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI | PLT_HAS_SCOPE |     \
	 PLT_HAS_CNONCE | PLT_HAS_EXI)

static unsigned claim_bit(int64_t key)
{
	switch (key) {
	case CK_ISS:
		return PLT_HAS_ISS;
	case CK_AUD:
		return PLT_HAS_AUD;
	case CK_EXP:
		return PLT_HAS_EXP;
	case CK_IAT:
		return PLT_HAS_IAT;
	case CK_CTI:
		return PLT_HAS_CTI;
	case CK_SCOPE:
		return PLT_HAS_SCOPE;
	case CK_CNONCE:
		return PLT_HAS_CNONCE;
	case CK_EXI:
		return PLT_HAS_EXI;
	case CK_WORKSHOP:
		return PLT_HAS_WORKSHOP;
	case CK_TECHNICIAN:
		return PLT_HAS_TECHNICIAN;
	case CK_WORK_ORDER:
		return PLT_HAS_WORK_ORDER;
	case CK_POLICY_VER:
		return PLT_HAS_POLICY_VER;
	default:
		return 0;
	}
}

/* A type mismatch reported by the reader is a claim type error here. */
static int as_claim_err(int e)
{
	return e == PLT_E_CBOR_TYPE || e == PLT_E_CBOR_RANGE ? PLT_E_CLAIM_TYPE : e;
}

static int get_text(struct plt_cbor_reader *r, struct plt_bytes *v, size_t min, size_t max)
{
	size_t at = r->off;
	int e = plt_cbor_get_tstr(r, v);

	if (e != 0)
		return as_claim_err(e);
	if (v->len < min || v->len > max)
		return plt__fail_at(r, at, PLT_E_CLAIM_TYPE);
	return 0;
}

static int get_bytes(struct plt_cbor_reader *r, struct plt_bytes *v, size_t min, size_t max)
{
	size_t at = r->off;
	int e = plt_cbor_get_bstr(r, v);

	if (e != 0)
		return as_claim_err(e);
	if (v->len < min || v->len > max)
		return plt__fail_at(r, at, PLT_E_CLAIM_TYPE);
	return 0;
}

static int get_time(struct plt_cbor_reader *r, int64_t *v)
{
	size_t at = r->off;
	int e = plt_cbor_get_int(r, v);

	if (e != 0)
		return as_claim_err(e);
	if (*v < 0)
		return plt__fail_at(r, at, PLT_E_CLAIM_TYPE);
	return 0;
}

static int get_u32(struct plt_cbor_reader *r, uint32_t *v)
{
	size_t at = r->off;
	uint64_t u = 0;
	int e = plt_cbor_get_uint(r, &u);

	if (e != 0)
		return as_claim_err(e);
	if (u > 0xffffffffu)
		return plt__fail_at(r, at, PLT_E_CLAIM_TYPE);
	*v = (uint32_t)u;
	return 0;
}

static int claim_value(struct plt_cbor_reader *r, int64_t key, struct plt_claims *c)
{
	size_t at = r->off;
	int e;

	switch (key) {
	case CK_ISS:
		return get_text(r, &c->iss, 1, PLT_TEXT_MAX);
	case CK_AUD:
		if ((e = get_text(r, &c->aud, 0, PLT_TEXT_MAX)) != 0)
			return e;
		if (!plt_vin_valid((const char *)c->aud.ptr, c->aud.len))
			return plt__fail_at(r, at, PLT_E_BAD_VIN);
		return 0;
	case CK_EXP:
		return get_time(r, &c->exp);
	case CK_IAT:
		return get_time(r, &c->iat);
	case CK_CTI:
		return get_bytes(r, &c->cti, PLT_CTI_LEN, PLT_CTI_LEN);
	case CK_SCOPE:
		return get_text(r, &c->scope, 1, PLT_OP_MAX);
	case CK_CNONCE:
		return get_bytes(r, &c->cnonce, PLT_CNONCE_MIN, PLT_CNONCE_MAX);
	case CK_EXI:
		return get_u32(r, &c->exi);
	case CK_WORKSHOP:
		return get_text(r, &c->workshop, 1, PLT_TEXT_MAX);
	case CK_TECHNICIAN:
		return get_text(r, &c->technician, 1, PLT_TEXT_MAX);
	case CK_WORK_ORDER:
		return get_text(r, &c->work_order, 1, PLT_TEXT_MAX);
	default:
		return get_u32(r, &c->policy_version);
	}
}

int plt__claims_parse(struct plt_bytes payload, struct plt_claims *out, size_t *off)
{
	struct plt_cbor_reader r;
	struct plt_claims c;
	size_t n = 0, i;
	int e;

	memset(&c, 0, sizeof(c));
	plt_cbor_reader_init(&r, payload.ptr, payload.len);
	if ((e = plt_cbor_get_map(&r, &n)) != 0) {
		e = e == PLT_E_CBOR_TYPE ? PLT_E_CLAIM_TYPE : e;
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t at = r.off;
		int64_t key = 0;
		unsigned bit;

		if ((e = plt_cbor_get_int(&r, &key)) != 0) {
			if (e == PLT_E_CBOR_TYPE || e == PLT_E_CBOR_RANGE)
				e = plt__fail_at(&r, at, PLT_E_CLAIM_UNKNOWN);
			goto out;
		}
		bit = claim_bit(key);
		if (bit == 0) {
			e = plt__fail_at(&r, at, PLT_E_CLAIM_UNKNOWN);
			goto out;
		}
		if (c.present & bit) {
			e = plt__fail_at(&r, at, PLT_E_CBOR_DUPKEY);
			goto out;
		}
		c.present |= bit;
		if ((e = claim_value(&r, key, &c)) != 0)
			goto out;
	}
	if ((e = plt_cbor_end(&r)) != 0)
		goto out;
	if ((c.present & PLT_REQUIRED) != PLT_REQUIRED) {
		e = PLT_E_CLAIM_MISSING;
		goto out;
	}
	if (c.exp <= c.iat) {
		e = PLT_E_CLAIM_VALUE;
		goto out;
	}
	*out = c;
	e = 0;
out:
	if (e != 0 && off != NULL)
		*off = r.off;
	return e;
}
