/* Broker replies in words (agent/problem.c, agent/fetch.c): REQ-AGT-065..067. */
#include <criterion/criterion.h>
#include <string.h>

#include "broker.h"
#include "fetch.h"
#include "pitlane/token.h"
#include "pl_err_agent.h"

#define KEY "tag:pitlane.dev,2025:problem"

/* A problem body as the broker writes it (docs/protocol.md). */
static size_t problem(uint8_t *buf, size_t cap, unsigned status, const char *code,
		      const char *rule, long retry)
{
	struct plt_cbor_writer w;
	size_t n = 0, len = 0;

	plt_cbor_writer_init(&w, buf, cap);
	plt_cbor_put_map(&w, 4);
	plt_cbor_put_int(&w, -1);
	plt_cbor_put_cstr(&w, "the title");
	plt_cbor_put_int(&w, -2);
	plt_cbor_put_cstr(&w, "the\ndetail");
	plt_cbor_put_int(&w, -4);
	plt_cbor_put_uint(&w, status);
	plt_cbor_put_cstr(&w, KEY);
	n = 2 + (rule != NULL) + (retry >= 0);
	plt_cbor_put_map(&w, n);
	plt_cbor_put_cstr(&w, "code");
	plt_cbor_put_cstr(&w, code);
	plt_cbor_put_cstr(&w, "request-id");
	plt_cbor_put_cstr(&w, "00112233445566778899aabbccddeeff");
	if (rule != NULL) {
		plt_cbor_put_cstr(&w, "rule");
		plt_cbor_put_cstr(&w, rule);
	}
	if (retry >= 0) {
		plt_cbor_put_cstr(&w, "retry-after");
		plt_cbor_put_uint(&w, (uint64_t)retry);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

static struct broker_reply rep;

static void reset(long status)
{
	memset(&rep, 0, sizeof(rep));
	rep.retry_after = -1;
	rep.status = status;
}

Test(agent_problem, REQ_AGT_065_fields_of_a_problem)
{
	uint8_t b[512];
	size_t n = problem(b, sizeof(b), 403, "policy_denied", "roles.technician", 30);

	reset(403);
	cr_assert_eq(broker_parse_problem(b, n, &rep), 0);
	cr_assert_str_eq(rep.code, "policy_denied");
	cr_assert_str_eq(rep.rule, "roles.technician");
	cr_assert_str_eq(rep.request_id, "00112233445566778899aabbccddeeff");
	cr_assert_str_eq(rep.title, "the title");
	cr_assert_str_eq(rep.detail, "the?detail", "control characters are replaced");
	cr_assert_eq(rep.retry_after, 30);
}

Test(agent_problem, REQ_AGT_065_malformed_bodies_rejected)
{
	uint8_t b[512];
	size_t n = problem(b, sizeof(b), 403, "policy_denied", NULL, -1);

	for (size_t cut = 0; cut < n; cut++) {
		reset(403);
		cr_assert_eq(broker_parse_problem(b, cut, &rep), PL_E_AGENT_BROKER_REPLY,
			     "cut at %zu", cut);
	}
	b[0] = 0x80; /* an array, not a map */
	cr_assert_eq(broker_parse_problem(b, n, &rep), PL_E_AGENT_BROKER_REPLY);
}

static void words(long status, const char *code, const char *rule, long retry,
		  const char *want)
{
	uint8_t b[512];
	char out[900];
	size_t n = problem(b, sizeof(b), (unsigned)status, code, rule, retry);

	reset(status);
	cr_assert_eq(broker_parse_problem(b, n, &rep), 0);
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, want) != NULL, "%s: got '%s'", code, out);
}

Test(agent_problem, REQ_AGT_066_refusals_in_words)
{
	words(403, "policy_denied", "workshops.ws-muc-01.vin_prefixes", -1,
	      "refused by the policy (rule workshops.ws-muc-01.vin_prefixes)");
	words(429, "rate_limited", "technician-unlocks", 42,
	      "rate limit reached (rule technician-unlocks): retry after 42 s (at ");
	words(403, "approval_required", "approvals.key-learning", -1,
	      "approval needed: a second person must approve this operation (approval id "
	      "00112233445566778899aabbccddeeff)");
	words(403, "workshop_mismatch", NULL, -1, "belongs to another workshop than this PC");
	words(401, "stale_request", NULL, -1, "clock is off");
	words(401, "technician_cert_invalid", NULL, -1, "does not accept the technician certificate");
	words(503, "hsm_unavailable", NULL, 2, "the broker is temporarily unavailable "
	      "(hsm_unavailable)");
	words(400, "bad_request_field", NULL, -1, "refused by the broker: the title "
	      "(bad_request_field, HTTP 400)");
}

Test(agent_problem, REQ_AGT_066_request_id_named_for_support)
{
	uint8_t b[512];
	char out[900];
	size_t n = problem(b, sizeof(b), 403, "policy_denied", "r", -1);

	reset(403);
	cr_assert_eq(broker_parse_problem(b, n, &rep), 0);
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, "[request 00112233445566778899aabbccddeeff]") != NULL, "%s", out);
}
