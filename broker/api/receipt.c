/* POST /v1/receipts body decoder (see receipt.h). */
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "receipt.h"
#include "request.h"

static int bad(char *why, size_t whylen, int err, size_t off, const char *what)
{
	if (why != NULL)
		snprintf(why, whylen, "receipt byte %zu: %s", off, what);
	return err;
}

int receipt_decode(const uint8_t *body, size_t len, struct receipt *out, char *why, size_t whylen)
{
	struct plt_cbor_reader r;
	struct receipt rc;
	struct plt_bytes k, v;
	size_t n, off;
	unsigned seen = 0;
	uint64_t u;

	if (body == NULL || out == NULL)
		return PL_E_INVAL;
	if (len > RECEIPT_MAX)
		return bad(why, whylen, PL_E_SRV_REQ_MALFORMED, 0, "larger than 1024 bytes");
	memset(&rc, 0, sizeof(rc));
	plt_cbor_reader_init(&r, body, len);
	if (plt_cbor_get_map(&r, &n) != 0 || n < 3 || n > 5)
		return bad(why, whylen, PL_E_SRV_REQ_MALFORMED, 0,
		           "not a CBOR map of 3..5 entries");
	for (size_t i = 0; i < n; i++) {
		unsigned bit;

		off = r.off;
		if (plt_cbor_get_tstr(&r, &k) != 0)
			return bad(why, whylen, PL_E_SRV_REQ_MALFORMED, off, "key is not a text");
#define KEY(s) (k.len == sizeof(s) - 1 && memcmp(k.ptr, s, k.len) == 0)
		bit = KEY("vin")      ? 1
		      : KEY("op")     ? 2
		      : KEY("result") ? 4
		      : KEY("nrc")    ? 8
		      : KEY("cti")    ? 16
		                      : 0;
#undef KEY
		if (bit == 0 || (seen & bit))
			return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
			           bit ? "key given twice"
			               : "unknown key (vin, op, result, nrc, cti)");
		seen |= bit;
		off = r.off;
		switch (bit) {
		case 1:
			if (plt_cbor_get_tstr(&r, &v) != 0 || v.len != PLT_VIN_LEN ||
			    !plt_vin_valid((const char *)v.ptr, v.len))
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "vin must be 17 characters of 0-9 A-Z without I O Q");
			memcpy(rc.vin, v.ptr, v.len);
			break;
		case 2:
			if (plt_cbor_get_tstr(&r, &v) != 0 ||
			    !request_op_valid((const char *)v.ptr, v.len))
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "op must be an operation name ([a-z0-9._-], 1..31)");
			memcpy(rc.op, v.ptr, v.len);
			break;
		case 4:
			if (plt_cbor_get_tstr(&r, &v) != 0)
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "result is not a text");
			if (v.len == 2 && memcmp(v.ptr, "ok", 2) == 0)
				rc.failure = 0;
			else if (v.len == 7 && memcmp(v.ptr, "failure", 7) == 0)
				rc.failure = 1;
			else
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "result must be \"ok\" or \"failure\"");
			break;
		case 8:
			if (plt_cbor_get_uint(&r, &u) != 0 || u > 255)
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "nrc must be 0..255");
			rc.nrc = (uint8_t)u;
			rc.has_nrc = 1;
			break;
		default:
			if (plt_cbor_get_bstr(&r, &v) != 0 || v.len != RECEIPT_CTI_LEN)
				return bad(why, whylen, PL_E_SRV_REQ_FIELD, off,
				           "cti must be a byte string of 16 bytes");
			memcpy(rc.cti, v.ptr, v.len);
			rc.has_cti = 1;
			break;
		}
	}
	if ((seen & 7) != 7)
		return bad(why, whylen, PL_E_SRV_REQ_FIELD, r.off,
		           "vin, op and result are required");
	if (plt_cbor_end(&r) != 0)
		return bad(why, whylen, PL_E_SRV_REQ_MALFORMED, r.off,
		           "trailing bytes after the map");
	*out = rc;
	return 0;
}
