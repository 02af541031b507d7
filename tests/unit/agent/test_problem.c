/* Broker replies in words (agent/problem.c, agent/fetch.c): REQ-AGT-065, 066, 068. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "fetch.h"
#include "pitlane/token.h"
#include "pl_err_agent.h"

#define KEY "tag:pitlane.dev,2025:problem"

/* A problem body as the broker writes it (docs/protocol.md). */
static size_t problem(uint8_t *buf, size_t cap, unsigned status, const char *code, const char *rule,
                      long retry)
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

static void words(long status, const char *code, const char *rule, long retry, const char *want)
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
	words(401, "technician_cert_invalid", NULL, -1,
	      "does not accept the technician certificate");
	words(503, "hsm_unavailable", NULL, 2,
	      "the broker is temporarily unavailable "
	      "(hsm_unavailable)");
	words(400, "bad_request_field", NULL, -1,
	      "refused by the broker: the title "
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

/* The refusal without a reason (docs/protocol.md): its detail (whom to call) is the message. */
Test(agent_problem, REQ_ABU_125_refused_without_a_reason_shows_whom_to_call)
{
	uint8_t b[512];
	char out[900];
	size_t n = problem(b, sizeof(b), 403, "refused", NULL, -1);

	reset(403);
	cr_assert_eq(broker_parse_problem(b, n, &rep), 0);
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strncmp(out, "refused by the broker: the", 26) == 0, "%s", out);
	cr_assert(strstr(out, "detail") != NULL, "%s", out);
	cr_assert(strstr(out, "HTTP 403") == NULL && strstr(out, "the title") == NULL, "%s", out);
	/* Without a detail: the request id, and the OEM to ask. */
	reset(403);
	cr_assert_eq(broker_parse_problem(b, n, &rep), 0);
	rep.detail[0] = '\0';
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, "OEM security desk, quoting request "
	                      "00112233445566778899aabbccddeeff") != NULL,
	          "%s", out);
}

/* A 202 pending map (docs/protocol.md, "202 pending approval"). */
static size_t pending(uint8_t *buf, size_t cap, const char *id)
{
	struct plt_cbor_writer w;
	size_t len = 0;

	plt_cbor_writer_init(&w, buf, cap);
	plt_cbor_put_map(&w, 5);
	plt_cbor_put_cstr(&w, "approval-id");
	plt_cbor_put_cstr(&w, id);
	plt_cbor_put_cstr(&w, "status");
	plt_cbor_put_cstr(&w, "pending");
	plt_cbor_put_cstr(&w, "expires");
	plt_cbor_put_uint(&w, 1800000000);
	plt_cbor_put_cstr(&w, "rule");
	plt_cbor_put_cstr(&w, "approvals.key-learning");
	plt_cbor_put_cstr(&w, "poll");
	plt_cbor_put_cstr(&w, "/v1/approvals/x");
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

Test(agent_problem, REQ_AGT_068_pending_approval_map)
{
	uint8_t b[512];
	size_t n = pending(b, sizeof(b), "0123456789abcdef0123456789abcdef");

	reset(202);
	cr_assert_eq(broker_parse_pending(b, n, &rep), 0);
	cr_assert_str_eq(rep.approval_id, "0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(rep.status_text, "pending");
	cr_assert_str_eq(rep.rule, "approvals.key-learning");
	cr_assert_eq(rep.expires, 1800000000);
	for (size_t cut = 0; cut < n; cut++) {
		reset(202);
		cr_assert_neq(broker_parse_pending(b, cut, &rep), 0, "cut at %zu", cut);
	}
	n = pending(b, sizeof(b), "");
	reset(202);
	cr_assert_eq(broker_parse_pending(b, n, &rep), PL_E_AGENT_BROKER_REPLY, "no id");
}

Test(agent_problem, REQ_AGT_068_approval_outcomes_in_words)
{
	char out[900];

	reset(403);
	snprintf(rep.code, sizeof(rep.code), "approval_denied");
	snprintf(rep.approval_id, sizeof(rep.approval_id), "abc");
	snprintf(rep.detail, sizeof(rep.detail), "no work order");
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, "the approver refused (approval id abc): no work order") != NULL,
	          "%s", out);
	reset(410);
	snprintf(rep.code, sizeof(rep.code), "approval_expired");
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, "nobody approved in time") != NULL, "%s", out);
	reset(202);
	snprintf(rep.approval_id, sizeof(rep.approval_id), "f00d");
	fetch_refusal_text(&rep, out, sizeof(out));
	cr_assert(strstr(out, "approval needed: a second person must approve this operation "
	                      "(approval id f00d)") != NULL,
	          "%s", out);
}

/* The co-signer's two codes (issue 14, docs/protocol.md): what happened and what to do. */
Test(agent_problem, REQ_BRK_313_cosigner_codes_in_words)
{
	words(403, "cosigner_refused", "test", -1,
	      "the co-signer refused to countersign this token: the");
	words(503, "cosigner_unavailable", NULL, 30,
	      "cannot be issued now; others can. Retry later or call the OEM security desk");
}
