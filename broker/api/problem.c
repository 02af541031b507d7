/* RFC 9290 concise problem details encoder. */
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_err_policy.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"
#include "problem.h"

#define CPD_TITLE (-1)
#define CPD_DETAIL (-2)
#define CPD_RESPONSE_CODE (-4)

int problem_encode(const struct problem *p, uint8_t *out, size_t cap, size_t *len)
{
	struct plt_cbor_writer w;
	size_t n = 3, inner = 1;

	if (p->code == NULL || p->title == NULL || p->status < 400 || p->status > 599)
		return PL_E_INVAL;
	if (p->detail != NULL)
		n++;
	if (p->rule != NULL)
		inner++;
	if (p->request_id != NULL)
		inner++;
	if (p->retry_after != 0)
		inner++;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, n);
	plt_cbor_put_int(&w, CPD_TITLE);
	plt_cbor_put_cstr(&w, p->title);
	if (p->detail != NULL) {
		plt_cbor_put_int(&w, CPD_DETAIL);
		plt_cbor_put_cstr(&w, p->detail);
	}
	plt_cbor_put_int(&w, CPD_RESPONSE_CODE);
	plt_cbor_put_uint(&w, (uint64_t)p->status);
	plt_cbor_put_cstr(&w, PROBLEM_PITLANE_KEY);
	plt_cbor_put_map(&w, inner);
	plt_cbor_put_cstr(&w, "code");
	plt_cbor_put_cstr(&w, p->code);
	if (p->rule != NULL) {
		plt_cbor_put_cstr(&w, "rule");
		plt_cbor_put_cstr(&w, p->rule);
	}
	if (p->request_id != NULL) {
		plt_cbor_put_cstr(&w, "request-id");
		plt_cbor_put_cstr(&w, p->request_id);
	}
	if (p->retry_after != 0) {
		plt_cbor_put_cstr(&w, "retry-after");
		plt_cbor_put_uint(&w, p->retry_after);
	}
	if (plt_cbor_writer_finish(&w, len) != 0)
		return PL_E_NOSPACE;
	return 0;
}

int problem_status_for(int err)
{
	switch (err) {
	case PL_E_SRV_REQ_MALFORMED:
	case PL_E_SRV_REQ_NOT_SIGN1:
	case PL_E_SRV_REQ_NO_X5CHAIN:
	case PL_E_SRV_REQ_FIELD:
	case PL_E_SRV_REQ_ALG:
		return 400;
	case PL_E_SRV_TECH_CERT:
	case PL_E_SRV_TECH_SIG:
	case PL_E_SRV_TECH_KEY:
	case PL_E_SRV_STALE:
	case PL_E_SRV_REPLAY:
	case PL_E_SRV_IDENTITY:
	case PL_E_SRV_NOT_TECHNICIAN:
	case PL_E_SRV_TECH_AS_DEVICE:
	case PL_E_SRV_OFFICER_CERT:
	case PL_E_SRV_DECISION_SIG:
		return 401;
	case PL_E_SRV_WORKSHOP_MISMATCH:
	case PL_E_SRV_REQUEST_HASH:
	case PL_E_SRV_APPROVAL_INVALID:
		return 403;
	case PL_E_TOOBIG:
		return 413;
	case PL_E_SRV_REPLAY_FULL:
		return 429;
	default:
		return 503;
	}
}

const char *problem_title_for(int status)
{
	switch (status) {
	case 400:
		return "Malformed request";
	case 401:
		return "Technician identity not established";
	case 403:
		return "Request denied";
	case 404:
		return "Not found";
	case 405:
		return "Method not allowed";
	case 413:
		return "Request too large";
	case 415:
		return "Unsupported media type";
	case 429:
		return "Too many requests";
	case 500:
		return "Internal error";
	default:
		return "Service unavailable";
	}
}
