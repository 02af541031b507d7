/*
 * limits.c: the signer's own check of a request against its hard limits.
 * Runs before the HSM is touched; a refused request costs no signature.
 */
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_signer.h"
#include "signer_int.h"

/* NUL-terminated within cap, and (unless empty_ok) not empty; printable ASCII. */
static int text_ok(const char *s, size_t cap, int empty_ok)
{
	const char *end = memchr(s, '\0', cap);

	if (end == NULL)
		return 0;
	if (end == s && !empty_ok)
		return 0;
	for (const char *c = s; c < end; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return 0;
	return 1;
}

int signer_limits_check(const struct signer_limits *l)
{
	if (l == NULL || l->nops == 0 || l->nops > SIGNER_MAX_OPS || l->max_exi == 0)
		return PL_E_SIGNER_LIMITS;
	for (size_t i = 0; i < l->nops; i++) {
		if (!text_ok(l->ops[i].name, sizeof(l->ops[i].name), 0) || l->ops[i].max_ttl == 0)
			return PL_E_SIGNER_LIMITS;
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->ops[i].name, l->ops[j].name) == 0)
				return PL_E_SIGNER_LIMITS;
	}
	return 0;
}

int signer_request_check(const struct signer_limits *l, const struct signer_request *req)
{
	size_t i;

	if (!text_ok(req->op, sizeof(req->op), 0))
		return PL_E_SIGNER_OP_UNKNOWN;
	for (i = 0; i < l->nops; i++)
		if (strcmp(l->ops[i].name, req->op) == 0)
			break;
	if (i == l->nops)
		return PL_E_SIGNER_OP_UNKNOWN;
	if (req->ttl_s == 0 || req->ttl_s > l->ops[i].max_ttl)
		return PL_E_SIGNER_TTL;
	if (req->exi_s == 0 || req->exi_s > l->max_exi)
		return PL_E_SIGNER_EXI;
	if (memchr(req->vin, '\0', sizeof(req->vin)) == NULL || strlen(req->vin) != PLT_VIN_LEN ||
	    !plt_vin_valid(req->vin, PLT_VIN_LEN))
		return PL_E_SIGNER_VIN;
	if (req->cnonce_len < PLT_CNONCE_MIN || req->cnonce_len > PLT_CNONCE_MAX)
		return PL_E_SIGNER_CNONCE;
	if (req->iat <= 0 || req->iat > INT64_MAX - (int64_t)req->ttl_s)
		return PL_E_SIGNER_IAT;
	if (!text_ok(req->iss, sizeof(req->iss), 0) ||
	    !text_ok(req->workshop, sizeof(req->workshop), 1) ||
	    !text_ok(req->technician, sizeof(req->technician), 1) ||
	    !text_ok(req->work_order, sizeof(req->work_order), 1))
		return PL_E_SIGNER_FIELD;
	if (req->form != SIGNER_FORM_SIGN1 && req->form != SIGNER_FORM_SIGN)
		return PL_E_SIGNER_FIELD;
	return 0;
}
