/*
 * The POST /v1/approvals/{id} body decoder (request_decode_decision, in the
 * front end: broker/api/request.c): the documented map in the token
 * request's signed envelope, nothing else; every truncation refused; the two
 * kinds of signed payload cannot be taken for each other (REQ-ABU-081); and
 * the requester's signed poll of POST /v1/approvals/{id}/poll likewise
 * (request_decode_poll, REQ-ABU-108).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "request.h"

#define ID "0123456789abcdef0123456789abcdef"

static const uint8_t cert[] = { 0x30, 0x82, 0x01, 0x0a, 0xde, 0xad, 0xbe, 0xef };
/* 32 bytes, so a test can also send a nonce of the wrong length (17). */
static const uint8_t nonce[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct field {
	uint64_t key;
	int kind;           /* 't' text, 'b' bytes (nonce), 'u' uint */
	const char *text;
	uint64_t num;
	size_t blen;
};

/* The envelope around a payload map of n fields (as the agent builds it). */
static size_t build(const struct field *f, size_t n, uint8_t *out, size_t cap)
{
	uint8_t prot[64], payload[512], sig[64];
	struct plt_cbor_writer w;
	size_t plen = 0, ylen = 0, len = 0;

	memset(sig, 0x5a, sizeof(sig));
	plt_cbor_writer_init(&w, prot, sizeof(prot));
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, cert, sizeof(cert));
	cr_assert_eq(plt_cbor_writer_finish(&w, &plen), 0);
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, n);
	for (size_t i = 0; i < n; i++) {
		plt_cbor_put_uint(&w, f[i].key);
		if (f[i].kind == 't')
			plt_cbor_put_cstr(&w, f[i].text);
		else if (f[i].kind == 'b')
			plt_cbor_put_bstr(&w, nonce, f[i].blen);
		else
			plt_cbor_put_uint(&w, f[i].num);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &ylen), 0);
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

/* A valid approve (reason optional) or deny. */
static size_t valid(int deny, const char *reason, uint8_t *out, size_t cap)
{
	struct field f[5] = {
		{ REQ_D_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_D_DECISION, 't', deny ? "deny" : "approve", 0, 0 },
		{ REQ_D_NONCE, 'b', NULL, 0, 16 },
		{ REQ_D_IAT, 'u', NULL, 1741683600, 0 },
		{ REQ_D_REASON, 't', reason, 0, 0 },
	};

	return build(f, reason != NULL ? 5 : 4, out, cap);
}

static int decode(const uint8_t *b, size_t len, struct approval_decision *d, char *why,
		  size_t whylen)
{
	size_t off = 0;

	return request_decode_decision(b, len, d, &off, why, whylen);
}

Test(abuse_decision, REQ_ABU_081_approve_and_deny_decode)
{
	uint8_t b[1024];
	size_t len = valid(0, NULL, b, sizeof(b));
	struct approval_decision d;
	char why[200];

	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(d.approval_id, ID);
	cr_assert_eq(d.approve, REQ_DECISION_APPROVE);
	cr_assert_str_eq(d.reason, "");
	cr_assert_eq(memcmp(d.nonce, nonce, 16), 0);
	cr_assert_eq(d.iat, 1741683600);
	cr_assert_eq(d.ncert, 1);
	cr_assert_eq(d.cert[0].len, sizeof(cert));
	cr_assert_eq(memcmp(d.cert[0].ptr, cert, sizeof(cert)), 0);
	cr_assert(d.cert[0].ptr > b && d.cert[0].ptr + d.cert[0].len <= b + len);

	len = valid(1, "no work order on file", b, sizeof(b));
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.approve, REQ_DECISION_DENY);
	cr_assert_str_eq(d.reason, "no work order on file");
}

/* "show" asks what is to be approved and decides nothing; it needs no reason. */
Test(abuse_decision, REQ_ABU_092_show_decodes_without_a_reason)
{
	struct field f[4] = {
		{ REQ_D_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_D_DECISION, 't', "show", 0, 0 },
		{ REQ_D_NONCE, 'b', NULL, 0, 16 },
		{ REQ_D_IAT, 'u', NULL, 1741683600, 0 },
	};
	uint8_t b[1024];
	size_t len = build(f, 4, b, sizeof(b));
	struct approval_decision d;
	char why[200];

	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.approve, REQ_DECISION_SHOW);
	cr_assert_neq(d.approve, REQ_DECISION_APPROVE);
}

Test(abuse_decision, REQ_ABU_081_every_truncation_and_trailing_bytes_are_refused)
{
	uint8_t b[1024];
	size_t len = valid(1, "because", b, sizeof(b));
	struct approval_decision d;
	char why[200];
	size_t off;

	for (size_t n = 0; n < len; n++) {
		off = SIZE_MAX;
		cr_assert_neq(request_decode_decision(b, n, &d, &off, why, sizeof(why)), 0,
			      "prefix of %zu bytes decoded", n);
		cr_assert_leq(off, n, "offset %zu beyond %zu bytes", off, n);
	}
	b[len] = 0x00;
	cr_assert_eq(decode(b, len + 1, &d, why, sizeof(why)), PL_E_SRV_REQ_MALFORMED);
	cr_assert_not_null(strstr(why, "trailing bytes after the COSE_Sign1"), "%s", why);
}

/* One field changed: decoding fails with code and a sentence naming it. */
static void refused(const struct field *f, size_t n, const char *msg)
{
	uint8_t b[1024];
	size_t len = build(f, n, b, sizeof(b));
	struct approval_decision d;
	char why[200];

	memset(&d, 0x77, sizeof(d));
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), PL_E_SRV_REQ_FIELD, "%s: %s", msg, why);
	cr_assert_not_null(strstr(why, msg), "'%s' lacks '%s'", why, msg);
	cr_assert_eq(d.approve, 0x77777777, "out written on failure");
}

Test(abuse_decision, REQ_ABU_081_fields_are_checked)
{
	struct field f[6] = {
		{ REQ_D_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_D_DECISION, 't', "approve", 0, 0 },
		{ REQ_D_NONCE, 'b', NULL, 0, 16 },
		{ REQ_D_IAT, 'u', NULL, 1741683600, 0 },
		{ REQ_D_REASON, 't', "ok", 0, 0 },
		{ 0, 0, NULL, 0, 0 },
	};
	struct field g[6];

	/* each required key missing */
	for (size_t k = 0; k < 4; k++) {
		size_t m = 0;

		for (size_t i = 0; i < 5; i++)
			if (i != k)
				g[m++] = f[i];
		refused(g, m, "payload lacks the required key");
	}
	memcpy(g, f, sizeof(f));
	g[5] = f[1];
	refused(g, 6, "duplicate payload key");
	memcpy(g, f, sizeof(f));
	g[5] = (struct field){ 1, 't', "WVWZZZ1JZXW000001", 0, 0 };
	refused(g, 6, "unknown payload key (a decision has keys 16..21)");
	memcpy(g, f, sizeof(f));
	g[0].text = "0123456789ABCDEF0123456789ABCDEF";
	refused(g, 5, "approval id (16) must be 32 lower-case hex digits");
	g[0].text = "0123456789abcdef0123456789abcde";
	refused(g, 5, "approval id (16) must be 32 lower-case hex digits");
	memcpy(g, f, sizeof(f));
	g[1].text = "approved";
	refused(g, 5, "decision (17) must be \"approve\", \"deny\" or \"show\"");
	g[1] = (struct field){ REQ_D_DECISION, 'u', NULL, 1, 0 };
	refused(g, 5, "decision (17) must be");
	memcpy(g, f, sizeof(f));
	g[1].text = "deny";
	g[4].text = "";
	refused(g, 5, "a deny needs a reason (18)");
	refused(g, 4, "a deny needs a reason (18)");
	memcpy(g, f, sizeof(f));
	g[4].text = "line\nbreak";
	refused(g, 5, "reason must be 0..160 printable characters");
	memcpy(g, f, sizeof(f));
	g[2].blen = 15;
	refused(g, 5, "nonce (19) must be a byte string of exactly 16 random bytes");
	memcpy(g, f, sizeof(f));
	g[3].num = 0;
	refused(g, 5, "iat (20) must be a positive integer");
}

/* Key 21: the SHA-256 of the requester's signed request, 32 bytes, at most once. */
Test(abuse_decision, REQ_APR_002_request_hash_key_21_decodes_strictly)
{
	struct field f[6] = {
		{ REQ_D_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_D_DECISION, 't', "approve", 0, 0 },
		{ REQ_D_NONCE, 'b', NULL, 0, 16 },
		{ REQ_D_IAT, 'u', NULL, 1741683600, 0 },
		{ REQ_D_REQUEST_HASH, 'b', NULL, 0, 32 },
		{ 0, 0, NULL, 0, 0 },
	};
	struct field g[6];
	uint8_t b[1024];
	size_t len = build(f, 5, b, sizeof(b));
	struct approval_decision d;
	char why[200];

	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.has_request_hash, 1);
	cr_assert_eq(memcmp(d.request_hash, nonce, 32), 0);
	len = build(f, 4, b, sizeof(b));
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.has_request_hash, 0);
	memcpy(g, f, sizeof(f));
	g[4].blen = 31;
	refused(g, 5, "request hash (21) must be a byte string of 32 bytes");
	g[4] = (struct field){ REQ_D_REQUEST_HASH, 't', ID, 0, 0 };
	refused(g, 5, "request hash (21) must be a byte string of 32 bytes");
	memcpy(g, f, sizeof(f));
	g[5] = f[4];
	refused(g, 6, "duplicate payload key");
}

Test(abuse_decision, REQ_ABU_081_bad_value_offset_points_at_the_value)
{
	struct field f[4] = {
		{ REQ_D_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_D_DECISION, 't', "maybe", 0, 0 },
		{ REQ_D_NONCE, 'b', NULL, 0, 16 },
		{ REQ_D_IAT, 'u', NULL, 1741683600, 0 },
	};
	uint8_t b[1024];
	size_t len = build(f, 4, b, sizeof(b)), off = 0;
	struct approval_decision d;
	char why[200], at[40];
	const uint8_t *p = memmem(b, len, "maybe", 5);

	cr_assert_not_null(p);
	cr_assert_eq(request_decode_decision(b, len, &d, &off, why, sizeof(why)),
		     PL_E_SRV_REQ_FIELD);
	/* the text header byte precedes the five characters */
	cr_assert_eq(off, (size_t)(p - b) - 1, "offset %zu", off);
	snprintf(at, sizeof(at), "(at byte %zu)", off);
	cr_assert_not_null(strstr(why, at), "%s", why);
}

/* A signed token request is no decision and a signed decision no token request. */
Test(abuse_decision, REQ_ABU_081_token_requests_and_decisions_cannot_be_swapped)
{
	struct field tok[7] = {
		{ 1, 't', "WVWZZZ1JZXW000001", 0, 0 }, { 2, 't', "door.unlock", 0, 0 },
		{ 3, 'b', NULL, 0, 16 },               { 4, 't', "WO-1", 0, 0 },
		{ 5, 't', "", 0, 0 },                  { 6, 'b', NULL, 0, 16 },
		{ 7, 'u', NULL, 1741683600, 0 },
	};
	uint8_t b[1024];
	size_t len = build(tok, 7, b, sizeof(b));
	struct token_request q;
	struct approval_decision d;
	char why[200];
	size_t off = 0;

	cr_assert_eq(request_decode(b, len, &q, &off, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	cr_assert_not_null(strstr(why, "unknown payload key"), "%s", why);
	len = valid(0, NULL, b, sizeof(b));
	cr_assert_eq(request_decode(b, len, &q, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	cr_assert_not_null(strstr(why, "unknown payload key"), "%s", why);
}

Test(abuse_decision, REQ_ABU_081_envelope_errors_as_for_token_requests)
{
	uint8_t b[1024];
	size_t len = valid(0, NULL, b, sizeof(b));
	struct approval_decision d;
	char why[200];

	cr_assert_eq(decode(b + 1, len - 1, &d, why, sizeof(why)), PL_E_SRV_REQ_NOT_SIGN1);
	/* The signature is 0x58 0x40 and 64 bytes: declare 63 of them. */
	cr_assert_eq(b[len - 66], 0x58);
	b[len - 65] = 0x3f;
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), PL_E_SRV_REQ_MALFORMED);
	cr_assert_not_null(strstr(why, "signature must be a 64-byte string"), "%s", why);
}

/* ---- POST /v1/approvals/{id}/poll: the requesting technician's signed poll ---- */

static size_t valid_poll(uint8_t *out, size_t cap)
{
	struct field f[3] = {
		{ REQ_P_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_P_NONCE, 'b', NULL, 0, 16 },
		{ REQ_P_IAT, 'u', NULL, 1741683600, 0 },
	};

	return build(f, 3, out, cap);
}

Test(abuse_poll, REQ_ABU_108_poll_decodes)
{
	uint8_t b[1024];
	size_t len = valid_poll(b, sizeof(b)), off = 0;
	struct approval_poll q;
	char why[200];

	cr_assert_eq(request_decode_poll(b, len, &q, &off, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(q.approval_id, ID);
	cr_assert_eq(memcmp(q.nonce, nonce, 16), 0);
	cr_assert_eq(q.iat, 1741683600);
	cr_assert_eq(q.ncert, 1);
	cr_assert_eq(q.cert[0].len, sizeof(cert));
	cr_assert(q.cert[0].ptr > b && q.cert[0].ptr + q.cert[0].len <= b + len);
}

Test(abuse_poll, REQ_ABU_108_every_truncation_and_trailing_bytes_are_refused)
{
	uint8_t b[1024];
	size_t len = valid_poll(b, sizeof(b)), off;
	struct approval_poll q;
	char why[200];

	for (size_t n = 0; n < len; n++) {
		off = SIZE_MAX;
		cr_assert_neq(request_decode_poll(b, n, &q, &off, why, sizeof(why)), 0,
			      "prefix of %zu bytes decoded", n);
		cr_assert_leq(off, n, "offset %zu beyond %zu bytes", off, n);
	}
	b[len] = 0x00;
	cr_assert_eq(request_decode_poll(b, len + 1, &q, &off, why, sizeof(why)),
		     PL_E_SRV_REQ_MALFORMED);
}

static void poll_refused(const struct field *f, size_t n, const char *msg)
{
	uint8_t b[1024];
	size_t len = build(f, n, b, sizeof(b)), off = 0;
	struct approval_poll q;
	char why[200];

	memset(&q, 0x77, sizeof(q));
	cr_assert_eq(request_decode_poll(b, len, &q, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD,
		     "%s: %s", msg, why);
	cr_assert_not_null(strstr(why, msg), "'%s' lacks '%s'", why, msg);
	cr_assert_eq(q.iat, (int64_t)0x7777777777777777, "out written on failure");
}

Test(abuse_poll, REQ_ABU_108_fields_are_checked)
{
	struct field f[4] = {
		{ REQ_P_APPROVAL_ID, 't', ID, 0, 0 },
		{ REQ_P_NONCE, 'b', NULL, 0, 16 },
		{ REQ_P_IAT, 'u', NULL, 1741683600, 0 },
		{ 0, 0, NULL, 0, 0 },
	};
	struct field g[4];

	for (size_t k = 0; k < 3; k++) {
		size_t m = 0;

		for (size_t i = 0; i < 3; i++)
			if (i != k)
				g[m++] = f[i];
		poll_refused(g, m, "payload lacks the required key");
	}
	memcpy(g, f, sizeof(f));
	g[3] = f[0];
	poll_refused(g, 4, "duplicate payload key");
	memcpy(g, f, sizeof(f));
	g[3] = (struct field){ REQ_D_DECISION, 't', "approve", 0, 0 };
	poll_refused(g, 4, "unknown payload key (a poll has keys 21..23)");
	memcpy(g, f, sizeof(f));
	g[0].text = "0123456789ABCDEF0123456789ABCDEF";
	poll_refused(g, 3, "approval id (21) must be 32 lower-case hex digits");
	memcpy(g, f, sizeof(f));
	g[1].blen = 17;
	poll_refused(g, 3, "nonce (22) must be a byte string of exactly 16 random bytes");
	memcpy(g, f, sizeof(f));
	g[2].num = 0;
	poll_refused(g, 3, "iat (23) must be a positive integer");
}

/* A poll is neither a token request nor a decision, and neither of them is a poll. */
Test(abuse_poll, REQ_ABU_108_polls_decisions_and_token_requests_cannot_be_swapped)
{
	struct field tok[7] = {
		{ 1, 't', "WVWZZZ1JZXW000001", 0, 0 }, { 2, 't', "door.unlock", 0, 0 },
		{ 3, 'b', NULL, 0, 16 },               { 4, 't', "WO-1", 0, 0 },
		{ 5, 't', "", 0, 0 },                  { 6, 'b', NULL, 0, 16 },
		{ 7, 'u', NULL, 1741683600, 0 },
	};
	uint8_t b[1024];
	size_t len, off = 0;
	struct token_request tq;
	struct approval_decision d;
	struct approval_poll q;
	char why[200];

	len = valid_poll(b, sizeof(b));
	cr_assert_eq(request_decode(b, len, &tq, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	/* the poll's key 21 (its id, a text) is no request hash (a 32-byte string) */
	cr_assert_eq(decode(b, len, &d, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	cr_assert_not_null(strstr(why, "request hash (21) must be a byte string"), "%s", why);
	len = valid(0, NULL, b, sizeof(b));
	cr_assert_eq(request_decode_poll(b, len, &q, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	cr_assert_not_null(strstr(why, "unknown payload key"), "%s", why);
	len = build(tok, 7, b, sizeof(b));
	cr_assert_eq(request_decode_poll(b, len, &q, &off, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
}
