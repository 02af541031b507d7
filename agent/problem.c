/* Concise problem details (RFC 9290) as the broker sends them (docs/protocol.md). */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "broker.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"

#define PROBLEM_KEY "tag:pitlane.dev,2025:problem"

static int bytes_eq(const struct plt_bytes *b, const char *s)
{
	return b->len == strlen(s) && memcmp(b->ptr, s, b->len) == 0;
}

int broker_read_named_map(struct plt_cbor_reader *r, const struct named_text *f, size_t nf,
                          const struct named_uint *u, size_t nu)
{
	struct plt_bytes k, v;
	uint64_t x;
	size_t n;

	if (plt_cbor_get_map(r, &n) != 0)
		return PL_E_AGENT_BROKER_REPLY;
	for (size_t i = 0; i < n; i++) {
		if (plt_cbor_get_tstr(r, &k) != 0)
			return PL_E_AGENT_BROKER_REPLY;
		if (plt_cbor_peek(r) == PLT_CBOR_UINT) {
			if (plt_cbor_get_uint(r, &x) != 0)
				return PL_E_AGENT_BROKER_REPLY;
			for (size_t j = 0; j < nu; j++)
				if (bytes_eq(&k, u[j].key) && x < u[j].below)
					*u[j].dst = (long long)x;
			continue;
		}
		if (plt_cbor_peek(r) != PLT_CBOR_TSTR) {
			if (plt_cbor_skip(r) != 0)
				return PL_E_AGENT_BROKER_REPLY;
			continue;
		}
		if (plt_cbor_get_tstr(r, &v) != 0)
			return PL_E_AGENT_BROKER_REPLY;
		for (size_t j = 0; j < nf; j++)
			if (bytes_eq(&k, f[j].key))
				agent_copy_text(&v, f[j].dst, f[j].cap);
	}
	return 0;
}

/* The problem's own map under PROBLEM_KEY: code, rule, request-id, approval-id, retry-after. */
static int custom_entry(struct plt_cbor_reader *r, struct broker_reply *rep)
{
	const struct named_text f[] = {
	    {"code", rep->code, sizeof(rep->code)},
	    {"rule", rep->rule, sizeof(rep->rule)},
	    {"request-id", rep->request_id, sizeof(rep->request_id)},
	    {"approval-id", rep->approval_id, sizeof(rep->approval_id)},
	};
	long long retry = -1;
	const struct named_uint u[] = {{"retry-after", 86400 * 366, &retry}};
	int rc = broker_read_named_map(r, f, sizeof(f) / sizeof(f[0]), u, 1);

	if (rc == 0 && retry >= 0)
		rep->retry_after = (long)retry;
	return rc;
}

static int int_entry(struct plt_cbor_reader *r, int64_t key, struct broker_reply *rep)
{
	struct plt_bytes v;

	if (plt_cbor_peek(r) != PLT_CBOR_TSTR)
		return plt_cbor_skip(r) == 0 ? 0 : PL_E_AGENT_BROKER_REPLY;
	if (plt_cbor_get_tstr(r, &v) != 0)
		return PL_E_AGENT_BROKER_REPLY;
	if (key == -1)
		agent_copy_text(&v, rep->title, sizeof(rep->title));
	else if (key == -2)
		agent_copy_text(&v, rep->detail, sizeof(rep->detail));
	return 0;
}

int broker_parse_problem(const uint8_t *body, size_t len, struct broker_reply *rep)
{
	struct plt_cbor_reader r;
	struct plt_bytes k;
	int64_t ik;
	size_t n;
	int rc;

	plt_cbor_reader_init(&r, body, len);
	if (plt_cbor_get_map(&r, &n) != 0)
		return PL_E_AGENT_BROKER_REPLY;
	for (size_t i = 0; i < n; i++) {
		if (plt_cbor_peek(&r) == PLT_CBOR_TSTR) {
			if (plt_cbor_get_tstr(&r, &k) != 0)
				return PL_E_AGENT_BROKER_REPLY;
			rc = bytes_eq(&k, PROBLEM_KEY)
			         ? custom_entry(&r, rep)
			         : (plt_cbor_skip(&r) == 0 ? 0 : PL_E_AGENT_BROKER_REPLY);
		} else if (plt_cbor_get_int(&r, &ik) == 0) {
			rc = int_entry(&r, ik, rep);
		} else {
			rc = PL_E_AGENT_BROKER_REPLY;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int broker_parse_pending(const uint8_t *body, size_t len, struct broker_reply *rep)
{
	const struct named_text f[] = {
	    {"approval-id", rep->approval_id, sizeof(rep->approval_id)},
	    {"status", rep->status_text, sizeof(rep->status_text)},
	    {"rule", rep->rule, sizeof(rep->rule)},
	};
	const struct named_uint u[] = {{"expires", (uint64_t)1 << 62, &rep->expires}};
	struct plt_cbor_reader r;

	plt_cbor_reader_init(&r, body, len);
	if (broker_read_named_map(&r, f, sizeof(f) / sizeof(f[0]), u, 1) != 0)
		return PL_E_AGENT_BROKER_REPLY;
	return rep->approval_id[0] != '\0' ? 0 : PL_E_AGENT_BROKER_REPLY;
}
