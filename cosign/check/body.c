/* The POST /v1/cosign body: a strict CBOR map {1: request, 2: token, ?3: approval} (body.h). */
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"

static int fail(const struct plt_cbor_reader *r, size_t *err_off, char *why, size_t whylen,
                const char *msg)
{
	if (err_off != NULL)
		*err_off = r->off;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s (at byte %zu)", msg, r->off);
	return PL_E_COS_BAD_REQUEST;
}

int cosign_body_decode(const uint8_t *body, size_t len, struct cosign_body *out, size_t *err_off,
                       char *why, size_t whylen)
{
	static const char *const names[] = {"", "the technician's request (1)",
	                                    "the broker's token (2)", "the approval (3)"};
	struct plt_cbor_reader r;
	struct cosign_body b;
	struct plt_bytes *slot[4] = {NULL, &b.request, &b.token, &b.approval};
	unsigned seen = 0;
	size_t n;
	char msg[96];

	memset(&b, 0, sizeof(b));
	plt_cbor_reader_init(&r, body, len);
	if (body == NULL || len == 0 || len > COSIGN_BODY_MAX)
		return fail(&r, err_off, why, whylen, "body must be 1..16384 bytes");
	if (plt_cbor_get_map(&r, &n) != 0 || n < 2 || n > 3)
		return fail(&r, err_off, why, whylen,
		            "body must be a CBOR map of 2 or 3 entries {1: request, 2: token, "
		            "?3: approval}");
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		size_t at = r.off;

		if (plt_cbor_get_uint(&r, &key) != 0 || key < COSIGN_K_REQUEST ||
		    key > COSIGN_K_APPROVAL) {
			r.off = at;
			return fail(&r, err_off, why, whylen, "keys must be 1, 2 or 3");
		}
		if (seen & (1u << key)) {
			r.off = at;
			return fail(&r, err_off, why, whylen, "a key appears twice");
		}
		seen |= 1u << key;
		at = r.off;
		if (plt_cbor_get_bstr(&r, slot[key]) != 0 || slot[key]->len == 0) {
			r.off = at;
			snprintf(msg, sizeof(msg), "%s must be a non-empty byte string",
			         names[key]);
			return fail(&r, err_off, why, whylen, msg);
		}
	}
	if (plt_cbor_end(&r) != 0)
		return fail(&r, err_off, why, whylen, "trailing bytes after the map");
	if (!(seen & (1u << COSIGN_K_REQUEST)) || !(seen & (1u << COSIGN_K_TOKEN))) {
		r.off = 0;
		return fail(&r, err_off, why, whylen,
		            "the map needs both the request (1) and the token (2)");
	}
	*out = b;
	return 0;
}
