/*
 * The ECU state machine (vehicle/ecu.c, ecu_auth.c), driven directly with
 * request bytes and an explicit monotonic clock: no transport. Tokens are
 * real (lib/token encoder, a software P-256 key), verification is real
 * (lib/token + OpenSSL). Requirement ids: docs/vehicle.md.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ecu.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "testkit.h"
#include "uds.h"

#define VIN "WVWZZZ1JZXW000001"
#define OTHER_VIN "WVWZZZ1JZXW000002"
#define T0 1000000u

static struct tk_key key, rogue;
static struct plt_trust_store trust;
static struct plt_crypto crypto;
static struct ecu *ecu;
static uint64_t now;
static uint8_t resp[ECU_RESP_MAX];
static size_t resp_len;

/* Events seen, for the tests that check what the ECU reports. */
#define EV_MAX 64
static struct ecu_event events[EV_MAX];
static size_t nevents;

static void record_event(void *ctx, const struct ecu_event *ev)
{
	(void)ctx;
	if (nevents < EV_MAX)
		events[nevents++] = *ev;
}

static const struct ecu_event *last_event(enum ecu_event_kind kind)
{
	for (size_t i = nevents; i > 0; i--)
		if (events[i - 1].kind == kind)
			return &events[i - 1];
	return NULL;
}

static struct ecu_config base_config(void)
{
	struct ecu_config c;

	ecu_config_defaults(&c);
	c.vin = VIN;
	c.trust = &trust;
	c.crypto = &crypto;
	c.max_attempts = 3;
	c.lockout_ms = 10000;
	c.s3_ms = 5000;
	c.challenge_ttl_ms = 60000;
	c.on_event = record_event;
	return c;
}

static void start_with(const struct ecu_config *c)
{
	ecu_free(ecu);
	ecu = NULL;
	cr_assert_eq(ecu_new(c, now, &ecu), 0);
}

static void setup(void)
{
	static struct plt_trust_anchor anchors[1];
	struct ecu_config c;

	cr_assert_eq(tk_key_generate(&key), 0);
	cr_assert_eq(tk_key_generate(&rogue), 0);
	anchors[0] = key.anchor;
	trust.anchors = anchors;
	trust.count = 1;
	plt_openssl_crypto(&crypto);
	now = T0;
	nevents = 0;
	ecu = NULL;
	c = base_config();
	start_with(&c);
}

static void teardown(void)
{
	ecu_free(ecu);
	ecu = NULL;
	tk_key_free(&key);
	tk_key_free(&rogue);
}

TestSuite(ecu, .init = setup, .fini = teardown);

/* Sends raw request bytes; returns the NRC (0 for a positive answer). */
static uint8_t send_raw(const uint8_t *req, size_t len)
{
	cr_assert_eq(ecu_handle(ecu, now, req, len, resp, sizeof(resp), &resp_len), 0);
	if (resp_len == 3 && resp[0] == UDS_SID_NEGATIVE) {
		cr_assert_eq(resp[1], req[0], "negative response for the wrong service");
		return resp[2];
	}
	if (resp_len > 0)
		cr_assert_eq(resp[0], (uint8_t)(req[0] + UDS_POSITIVE_OFFSET));
	return 0;
}

static uint8_t send_req(const struct uds_request *rq)
{
	uint8_t buf[UDS_MAX_MSG];
	size_t len = 0;

	cr_assert_eq(uds_build_request(rq, buf, sizeof(buf), &len), 0);
	return send_raw(buf, len);
}

static uint8_t session(uint8_t s)
{
	struct uds_request rq = { .sid = UDS_SID_SESSION, .sub = s };
	return send_req(&rq);
}

/* 29 05: the challenge goes to ch (32 bytes), its length to *n. */
static uint8_t challenge(uint8_t *ch, size_t *n)
{
	struct uds_request rq = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_REQUEST_CHALLENGE };
	struct uds_response rs;
	uint8_t nrc;

	memcpy(rq.alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	if ((nrc = send_req(&rq)) != 0)
		return nrc;
	cr_assert_eq(uds_parse_response(resp, resp_len, UDS_SID_AUTH,
					UDS_AUTH_REQUEST_CHALLENGE, &rs), 0);
	cr_assert_eq(rs.auth_ret, UDS_AUTH_RET_ACCEPTED);
	cr_assert_leq(rs.challenge.len, PLT_CNONCE_MAX);
	memcpy(ch, rs.challenge.ptr, rs.challenge.len);
	*n = rs.challenge.len;
	return 0;
}

/* 29 06 carrying tok; returns the NRC (0: authenticated, return value 0x12 checked). */
static uint8_t present(const uint8_t *tok, size_t len)
{
	struct uds_request rq = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_VERIFY_POWN_UNI };
	struct uds_response rs;
	uint8_t nrc;

	memcpy(rq.alg_ind, uds_pitlane_alg_ind, UDS_AUTH_ALG_IND_LEN);
	rq.proof.ptr = tok;
	rq.proof.len = len;
	if ((nrc = send_req(&rq)) != 0)
		return nrc;
	cr_assert_eq(uds_parse_response(resp, resp_len, UDS_SID_AUTH, UDS_AUTH_VERIFY_POWN_UNI,
					&rs), 0);
	cr_assert_eq(rs.auth_ret, UDS_AUTH_RET_OWNERSHIP_VERIFIED);
	return 0;
}

static uint8_t routine(uint16_t rid)
{
	struct uds_request rq = { .sid = UDS_SID_ROUTINE, .sub = UDS_ROUTINE_START,
				  .routine_id = rid };
	return send_req(&rq);
}

static uint8_t deauth(void)
{
	struct uds_request rq = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_DEAUTHENTICATE };
	return send_req(&rq);
}

static uint8_t tester_present(void)
{
	struct uds_request rq = { .sid = UDS_SID_TESTER_PRESENT, .sub = 0 };
	return send_req(&rq);
}

static struct ecu_status status(void)
{
	struct ecu_status st;
	ecu_status_get(ecu, now, &st);
	return st;
}

/* Extended session + challenge + a token for op minted by k: the NRC of 29 06. */
static uint8_t auth_with(const struct tk_key *k, const char *vin, const char *op, uint32_t exi)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(k, vin, op, ch, n, exi, tok, sizeof(tok), &len), 0);
	return present(tok, len);
}

static uint8_t auth(const char *op)
{
	return auth_with(&key, VIN, op, 30);
}

/* ---- the happy path ---------------------------------------------------- */

Test(ecu, REQ_ECU_001_valid_token_runs_the_routine)
{
	cr_assert(status().vehicle.doors_locked);
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_str_eq(status().scope, "door.unlock");
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), 0);
	uint8_t want[] = { 0x71, 0x01, 0xF0, 0x01 };
	cr_assert_eq(resp_len, sizeof(want));
	cr_assert_arr_eq(resp, want, sizeof(want));
	cr_assert_eq(status().vehicle.doors_locked, 0);
	const struct ecu_event *ev = last_event(ECU_EV_AUTH_OK);
	cr_assert_not_null(ev);
	cr_assert_str_eq(ev->scope, "door.unlock");
	cr_assert_arr_eq(ev->kid, key.anchor.kid, PLT_KID_LEN);
}

Test(ecu, REQ_ECU_002_each_catalogue_routine_acts_with_its_own_token)
{
	cr_assert_eq(auth("ignition.enable"), 0);
	cr_assert_eq(routine(ECU_RID_IGNITION_ENABLE), 0);
	cr_assert_eq(status().vehicle.ignition_on, 1);
	cr_assert_eq(auth("key.learn"), 0);
	cr_assert_eq(routine(ECU_RID_KEY_LEARN), 0);
	cr_assert_eq(routine(ECU_RID_KEY_LEARN), 0);
	cr_assert_eq(status().vehicle.key_learn_count, 2);
	cr_assert_eq(auth("dtc.clear"), 0);
	cr_assert_eq(status().vehicle.ndtc, 2);
	cr_assert_eq(routine(ECU_RID_DTC_CLEAR), 0);
	cr_assert_eq(status().vehicle.ndtc, 0);
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), 0);
	cr_assert_eq(auth("door.lock"), 0);
	cr_assert_eq(routine(ECU_RID_DOOR_LOCK), 0);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

/* ---- refused tokens: the right NRC, and nothing runs -------------------- */

static void assert_nothing_ran(void)
{
	struct ecu_status st = status();

	cr_assert_str_eq(st.scope, "");
	cr_assert_eq(st.vehicle.doors_locked, 1);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_AUTHENTICATION_REQUIRED);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

static void assert_fail_reason(int plt_err)
{
	const struct ecu_event *ev = last_event(ECU_EV_AUTH_FAIL);

	cr_assert_not_null(ev);
	cr_assert_eq(ev->err, plt_err, "reason %d, want %d", ev->err, plt_err);
}

Test(ecu, REQ_ECU_003_token_for_another_vin_is_refused_0x55)
{
	cr_assert_eq(auth_with(&key, OTHER_VIN, "door.unlock", 30),
		     UDS_NRC_CERT_INVALID_CONTENT);
	assert_fail_reason(PLT_E_WRONG_VIN);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_004_token_for_an_operation_outside_the_catalogue_is_refused_0x56)
{
	cr_assert_eq(auth("odometer.reset"), UDS_NRC_CERT_INVALID_SCOPE);
	assert_fail_reason(PLT_E_WRONG_OP);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_005_token_for_another_challenge_is_refused_0x55)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	ch[0] ^= 0x01;
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 30, tok, sizeof(tok), &len), 0);
	cr_assert_eq(present(tok, len), UDS_NRC_CERT_INVALID_CONTENT);
	assert_fail_reason(PLT_E_WRONG_CNONCE);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_006_reused_challenge_and_replayed_token_are_refused)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 30, tok, sizeof(tok), &len), 0);
	cr_assert_eq(present(tok, len), 0);
	cr_assert_eq(deauth(), 0);
	/* The challenge was consumed: the same token again has nothing to answer. */
	cr_assert_eq(present(tok, len), UDS_NRC_REQUEST_SEQUENCE_ERROR);
	assert_nothing_ran();
	/* With a fresh challenge, the old token answers the wrong one. */
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(present(tok, len), UDS_NRC_CERT_INVALID_CONTENT);
	assert_fail_reason(PLT_E_WRONG_CNONCE);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_007_token_older_than_exi_is_refused_0x50)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;
	struct ecu_config c = base_config();

	c.s3_ms = 20000;
	start_with(&c);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 10, tok, sizeof(tok), &len), 0);
	now += 10001; /* one millisecond beyond exi = 10 s */
	cr_assert_eq(present(tok, len), UDS_NRC_CERT_INVALID_TIME_PERIOD);
	assert_fail_reason(PLT_E_CHALLENGE_EXPIRED);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_007_token_exactly_at_exi_is_accepted)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;
	struct ecu_config c = base_config();

	c.s3_ms = 20000;
	start_with(&c);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 10, tok, sizeof(tok), &len), 0);
	now += 10000;
	cr_assert_eq(present(tok, len), 0);
}

Test(ecu, REQ_ECU_008_token_with_a_bad_signature_is_refused_0x51)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 30, tok, sizeof(tok), &len), 0);
	tok[len - 1] ^= 0x80; /* last byte of s */
	cr_assert_eq(present(tok, len), UDS_NRC_CERT_INVALID_SIGNATURE);
	assert_fail_reason(PLT_E_BAD_SIGNATURE);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_009_token_from_an_unknown_signer_is_refused_0x52)
{
	cr_assert_eq(auth_with(&rogue, VIN, "door.unlock", 30),
		     UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	assert_fail_reason(PLT_E_KID_UNKNOWN);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_010_untagged_token_is_refused_0x53_and_garbage_0x54)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 30, tok, sizeof(tok), &len), 0);
	cr_assert_eq(tok[0], 0xD2, "tag 18");
	cr_assert_eq(present(tok + 1, len - 1), UDS_NRC_CERT_INVALID_TYPE);
	assert_fail_reason(PLT_E_UNTAGGED);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(present(tok, len - 1), UDS_NRC_CERT_INVALID_FORMAT);
	assert_fail_reason(PLT_E_TRUNCATED);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_011_token_without_an_outstanding_challenge_is_0x24_and_not_counted)
{
	uint8_t tok[8] = { 0xD2, 0x84 };

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(present(tok, sizeof(tok)), UDS_NRC_REQUEST_SEQUENCE_ERROR);
	cr_assert_eq(status().vehicle.failed_attempts, 0);
	cr_assert_eq(status().locked_out, 0);
}

Test(ecu, REQ_ECU_012_expired_challenge_is_0x24)
{
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	size_t n = 0, len = 0;
	struct ecu_config c = base_config();

	c.challenge_ttl_ms = 2000;
	start_with(&c);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	cr_assert_eq(tk_mint(&key, VIN, "door.unlock", ch, n, 30, tok, sizeof(tok), &len), 0);
	now += 2001;
	cr_assert_eq(present(tok, len), UDS_NRC_REQUEST_SEQUENCE_ERROR);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_013_challenges_are_fresh_32_random_bytes)
{
	uint8_t a[PLT_CNONCE_MAX], b[PLT_CNONCE_MAX];
	size_t na = 0, nb = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(a, &na), 0);
	cr_assert_eq(challenge(b, &nb), 0);
	cr_assert_eq(na, 32);
	cr_assert_eq(nb, 32);
	cr_assert_neq(memcmp(a, b, 32), 0);
}

/* ---- attempt counter and lockout --------------------------------------- */

static uint8_t bad_token(void)
{
	return auth_with(&rogue, VIN, "door.unlock", 30);
}

Test(ecu, REQ_ECU_014_repeated_bad_tokens_give_0x36_then_0x37_until_the_delay_passes)
{
	uint8_t ch[PLT_CNONCE_MAX];
	size_t n = 0;
	struct ecu_config c = base_config();

	c.s3_ms = 60000;
	start_with(&c);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(status().vehicle.failed_attempts, 2);
	cr_assert_eq(bad_token(), UDS_NRC_EXCEEDED_ATTEMPTS);
	cr_assert_eq(status().locked_out, 1);
	cr_assert_not_null(last_event(ECU_EV_LOCKOUT));
	/* During the delay even a good token is not looked at. */
	now += 4000;
	cr_assert_eq(challenge(ch, &n), UDS_NRC_TIME_DELAY_NOT_EXPIRED);
	cr_assert_eq(present(ch, 16), UDS_NRC_TIME_DELAY_NOT_EXPIRED);
	now += 5999;
	cr_assert_eq(tester_present(), 0);
	cr_assert_eq(challenge(ch, &n), UDS_NRC_TIME_DELAY_NOT_EXPIRED);
	assert_nothing_ran();
	/* After the delay: one attempt; a failure locks again at once. */
	now += 1;
	cr_assert_eq(bad_token(), UDS_NRC_EXCEEDED_ATTEMPTS);
	now += 10000;
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(status().vehicle.failed_attempts, 0);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), 0);
}

Test(ecu, REQ_ECU_015_a_good_token_resets_the_attempt_counter)
{
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(status().vehicle.failed_attempts, 0);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(status().locked_out, 0);
}

Test(ecu, REQ_ECU_016_a_restored_counter_at_the_limit_locks_from_the_start)
{
	struct ecu_vehicle v;
	struct ecu_config c = base_config();
	uint8_t ch[PLT_CNONCE_MAX];
	size_t n = 0;

	ecu_vehicle_init(&v);
	v.failed_attempts = 3;
	c.restore = &v;
	c.s3_ms = 60000;
	start_with(&c);
	cr_assert_eq(status().locked_out, 1);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), UDS_NRC_TIME_DELAY_NOT_EXPIRED);
	now += 10000;
	cr_assert_eq(tester_present(), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	/* One attempt left after the delay. */
	cr_assert_eq(status().vehicle.failed_attempts, 2);
}

Test(ecu, REQ_ECU_017_ecu_reset_keeps_the_attempt_counter)
{
	uint8_t reset[] = { UDS_SID_RESET, UDS_RESET_HARD };

	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	cr_assert_eq(send_raw(reset, sizeof(reset)), 0);
	cr_assert_eq(status().session, ECU_SESSION_DEFAULT);
	cr_assert_eq(status().vehicle.failed_attempts, 2);
	cr_assert_eq(bad_token(), UDS_NRC_EXCEEDED_ATTEMPTS);
}

/* ---- the authenticated state ends ------------------------------------- */

Test(ecu, REQ_ECU_018_deauthenticate_ends_the_scope)
{
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(deauth(), 0);
	uint8_t want[] = { 0x69, 0x00, 0x10 };
	cr_assert_eq(resp_len, sizeof(want));
	cr_assert_arr_eq(resp, want, sizeof(want));
	cr_assert_eq(last_event(ECU_EV_DEAUTH)->reason, ECU_DEAUTH_REQUEST);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_019_session_timeout_ends_session_and_authentication)
{
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(ecu_next_timer_ms(ecu, now), 5001);
	now += 4000;
	cr_assert_eq(tester_present(), 0); /* keeps the session alive */
	now += 5000;
	ecu_tick(ecu, now);
	cr_assert_eq(status().session, ECU_SESSION_EXTENDED);
	now += 1;
	ecu_tick(ecu, now);
	cr_assert_eq(status().session, ECU_SESSION_DEFAULT);
	cr_assert_str_eq(status().scope, "");
	cr_assert_eq(last_event(ECU_EV_DEAUTH)->reason, ECU_DEAUTH_S3);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_AUTHENTICATION_REQUIRED);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

Test(ecu, REQ_ECU_019_a_late_request_meets_the_default_session)
{
	cr_assert_eq(auth("door.unlock"), 0);
	now += 5001; /* no tick in between: the request itself runs the timer */
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

Test(ecu, REQ_ECU_020_exi_expiry_ends_the_authentication)
{
	cr_assert_eq(auth_with(&key, VIN, "door.unlock", 3), 0);
	now += 2500;
	cr_assert_eq(tester_present(), 0);
	now += 500;
	cr_assert_eq(routine(ECU_RID_DOOR_LOCK), UDS_NRC_SECURITY_ACCESS_DENIED);
	now += 1;
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_AUTHENTICATION_REQUIRED);
	cr_assert_eq(last_event(ECU_EV_DEAUTH)->reason, ECU_DEAUTH_EXI);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

Test(ecu, REQ_ECU_021_default_session_ends_the_authentication)
{
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(session(UDS_SESSION_DEFAULT), 0);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	assert_nothing_ran();
}

/* ---- scope ------------------------------------------------------------- */

Test(ecu, REQ_ECU_022_token_scope_limits_the_routines)
{
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(routine(ECU_RID_IGNITION_ENABLE), UDS_NRC_SECURITY_ACCESS_DENIED);
	cr_assert_eq(routine(ECU_RID_KEY_LEARN), UDS_NRC_SECURITY_ACCESS_DENIED);
	cr_assert_eq(routine(ECU_RID_DTC_CLEAR), UDS_NRC_SECURITY_ACCESS_DENIED);
	struct ecu_status st = status();
	cr_assert_eq(st.vehicle.ignition_on, 0);
	cr_assert_eq(st.vehicle.key_learn_count, 0);
	cr_assert_eq(st.vehicle.ndtc, 2);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), 0);
}

Test(ecu, REQ_ECU_023_routine_without_token_is_0x34_unknown_routine_0x31)
{
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(routine(ECU_RID_IGNITION_ENABLE), UDS_NRC_AUTHENTICATION_REQUIRED);
	cr_assert_eq(routine(0xF0FF), UDS_NRC_REQUEST_OUT_OF_RANGE);
	cr_assert_eq(routine(0x0203), UDS_NRC_REQUEST_OUT_OF_RANGE);
	cr_assert_eq(status().vehicle.ignition_on, 0);
}

Test(ecu, REQ_ECU_024_clear_dtc_service_needs_the_dtc_clear_token)
{
	uint8_t clear[] = { UDS_SID_CLEAR_DTC, 0xFF, 0xFF, 0xFF };

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(send_raw(clear, sizeof(clear)), UDS_NRC_AUTHENTICATION_REQUIRED);
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(send_raw(clear, sizeof(clear)), UDS_NRC_SECURITY_ACCESS_DENIED);
	cr_assert_eq(status().vehicle.ndtc, 2);
	cr_assert_eq(auth("dtc.clear"), 0);
	cr_assert_eq(send_raw(clear, sizeof(clear)), 0);
	cr_assert_eq(status().vehicle.ndtc, 0);
}

/* ---- services without a token, sessions, formats ----------------------- */

Test(ecu, REQ_ECU_025_vin_and_dtc_reads_need_no_token)
{
	uint8_t vin[] = { UDS_SID_READ_DID, 0xF1, 0x90 };
	uint8_t dtc[] = { UDS_SID_READ_DTC, UDS_DTC_REPORT_BY_MASK, 0xFF };
	uint8_t want_vin[] = "\x62\xF1\x90" VIN;
	uint8_t want_dtc[] = { 0x59, 0x02, 0x09, 0x03, 0x00, 0x00, 0x09, 0xC1, 0x00, 0x00, 0x09 };

	cr_assert_eq(send_raw(vin, sizeof(vin)), 0);
	cr_assert_eq(resp_len, 3 + 17);
	cr_assert_arr_eq(resp, want_vin, resp_len);
	cr_assert_eq(send_raw(dtc, sizeof(dtc)), 0);
	cr_assert_eq(resp_len, sizeof(want_dtc));
	cr_assert_arr_eq(resp, want_dtc, sizeof(want_dtc));
}

Test(ecu, REQ_ECU_026_auth_and_routines_need_the_extended_session_0x7f)
{
	uint8_t ch[PLT_CNONCE_MAX];
	size_t n = 0;

	cr_assert_eq(challenge(ch, &n), UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	uint8_t want[] = { 0x50, 0x03, 0x00, 0x32, 0x01, 0xF4 };
	cr_assert_eq(resp_len, sizeof(want));
	cr_assert_arr_eq(resp, want, sizeof(want));
	cr_assert_eq(challenge(ch, &n), 0);
}

Test(ecu, REQ_ECU_027_malformed_requests_get_0x13_0x12_0x11)
{
	uint8_t short_did[] = { UDS_SID_READ_DID, 0xF1 };
	uint8_t other_did[] = { UDS_SID_READ_DID, 0xF1, 0x8C };
	uint8_t bad_session[] = { UDS_SID_SESSION, 0x05 };
	uint8_t unknown_sid[] = { 0x27, 0x01 };
	uint8_t routine_extra[] = { UDS_SID_ROUTINE, 0x01, 0xF0, 0x01, 0xAA };
	uint8_t routine_stop[] = { UDS_SID_ROUTINE, 0x02, 0xF0, 0x01 };

	cr_assert_eq(send_raw(short_did, sizeof(short_did)), UDS_NRC_INCORRECT_LENGTH);
	cr_assert_eq(send_raw(other_did, sizeof(other_did)), UDS_NRC_REQUEST_OUT_OF_RANGE);
	cr_assert_eq(send_raw(bad_session, sizeof(bad_session)),
		     UDS_NRC_SUBFUNCTION_NOT_SUPPORTED);
	cr_assert_eq(send_raw(unknown_sid, sizeof(unknown_sid)), UDS_NRC_SERVICE_NOT_SUPPORTED);
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(send_raw(routine_extra, sizeof(routine_extra)), UDS_NRC_INCORRECT_LENGTH);
	cr_assert_eq(send_raw(routine_stop, sizeof(routine_stop)),
		     UDS_NRC_SUBFUNCTION_NOT_SUPPORTED);
	cr_assert_eq(status().vehicle.doors_locked, 1);
}

Test(ecu, REQ_ECU_028_foreign_algorithm_indicator_is_0x31)
{
	struct uds_request rq = { .sid = UDS_SID_AUTH, .sub = UDS_AUTH_REQUEST_CHALLENGE };

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	memset(rq.alg_ind, 0, sizeof(rq.alg_ind));
	cr_assert_eq(send_req(&rq), UDS_NRC_REQUEST_OUT_OF_RANGE);
}

Test(ecu, REQ_ECU_029_suppressed_positive_response_sends_nothing)
{
	uint8_t tp[] = { UDS_SID_TESTER_PRESENT, 0x80 };
	uint8_t ext[] = { UDS_SID_SESSION, 0x83 };

	cr_assert_eq(send_raw(tp, sizeof(tp)), 0);
	cr_assert_eq(resp_len, 0);
	cr_assert_eq(send_raw(ext, sizeof(ext)), 0);
	cr_assert_eq(resp_len, 0);
	cr_assert_eq(status().session, ECU_SESSION_EXTENDED);
}

Test(ecu, REQ_ECU_030_authentication_configuration_is_acr_asymmetric)
{
	uint8_t cfg[] = { UDS_SID_AUTH, UDS_AUTH_CONFIGURATION };
	uint8_t want[] = { 0x69, 0x08, 0x03 };

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(send_raw(cfg, sizeof(cfg)), 0);
	cr_assert_eq(resp_len, sizeof(want));
	cr_assert_arr_eq(resp, want, sizeof(want));
}

/* ---- a trusted clock --------------------------------------------------- */

static int fixed_clock(void *ctx, int64_t *t)
{
	*t = *(const int64_t *)ctx;
	return 0;
}

Test(ecu, REQ_ECU_031_with_a_trusted_clock_an_expired_token_is_0x50)
{
	static int64_t wall;
	struct ecu_config c = base_config();
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	struct plt_claims cl;
	size_t n = 0, len = 0;

	c.unix_now = fixed_clock;
	c.clock_ctx = &wall;
	start_with(&c);
	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	tk_claims_init(&cl, VIN, "door.unlock", ch, n, 30);
	wall = cl.exp + PLT_CLOCK_SKEW_S + 1;
	cr_assert_eq(tk_mint_claims(&key, &cl, tok, sizeof(tok), &len), 0);
	cr_assert_eq(present(tok, len), UDS_NRC_CERT_INVALID_TIME_PERIOD);
	assert_fail_reason(PLT_E_EXPIRED);
	/* The same kind of token within its validity passes. */
	cr_assert_eq(challenge(ch, &n), 0);
	tk_claims_init(&cl, VIN, "door.unlock", ch, n, 30);
	wall = cl.iat + 1;
	cr_assert_eq(tk_mint_claims(&key, &cl, tok, sizeof(tok), &len), 0);
	cr_assert_eq(present(tok, len), 0);
}

static int broken_clock(void *ctx, int64_t *t)
{
	(void)ctx;
	(void)t;
	return PL_E_IO;
}

Test(ecu, REQ_ECU_031_an_unreadable_trusted_clock_refuses_0x22_uncounted)
{
	struct ecu_config c = base_config();

	c.unix_now = broken_clock;
	start_with(&c);
	cr_assert_eq(auth("door.unlock"), UDS_NRC_CONDITIONS_NOT_CORRECT);
	cr_assert_eq(status().vehicle.failed_attempts, 0);
	assert_nothing_ran();
}

Test(ecu, REQ_ECU_032_state_changes_are_counted_for_persistence)
{
	uint64_t c0 = ecu_change_count(ecu);

	cr_assert_eq(tester_present(), 0);
	cr_assert_eq(ecu_change_count(ecu), c0, "a tester present changes nothing");
	cr_assert_eq(bad_token(), UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST);
	uint64_t c1 = ecu_change_count(ecu);
	cr_assert_gt(c1, c0, "a failed attempt must be persisted");
	cr_assert_eq(auth("door.unlock"), 0);
	uint64_t c2 = ecu_change_count(ecu);
	cr_assert_gt(c2, c1);
	cr_assert_eq(routine(ECU_RID_DOOR_UNLOCK), 0);
	cr_assert_gt(ecu_change_count(ecu), c2);
}

Test(ecu, REQ_ECU_033_invalid_configuration_is_refused)
{
	struct ecu_config c = base_config();
	struct ecu *e = (struct ecu *)&c;

	c.vin = "WVWZZZ1JZXW00000I";
	cr_assert_eq(ecu_new(&c, now, &e), PL_E_INVAL);
	cr_assert_null(e);
	c = base_config();
	c.challenge_len = 15;
	cr_assert_eq(ecu_new(&c, now, &e), PL_E_INVAL);
	c = base_config();
	c.trust = NULL;
	cr_assert_eq(ecu_new(&c, now, &e), PL_E_INVAL);
	c = base_config();
	c.max_attempts = 0;
	cr_assert_eq(ecu_new(&c, now, &e), PL_E_INVAL);
}

Test(ecu, REQ_ECU_038_only_token_verification_is_announced_as_slow)
{
	uint8_t verify[] = { UDS_SID_AUTH, UDS_AUTH_VERIFY_POWN_UNI };
	uint8_t verify_spr[] = { UDS_SID_AUTH, 0x86 };
	uint8_t chal[] = { UDS_SID_AUTH, UDS_AUTH_REQUEST_CHALLENGE };
	uint8_t vin[] = { UDS_SID_READ_DID, 0xF1, 0x90 };

	cr_assert_eq(ecu_request_is_slow(verify, 2), 1);
	cr_assert_eq(ecu_request_is_slow(verify_spr, 2), 1);
	cr_assert_eq(ecu_request_is_slow(verify, 1), 0);
	cr_assert_eq(ecu_request_is_slow(chal, 2), 0);
	cr_assert_eq(ecu_request_is_slow(vin, 3), 0);
}

/* ---- signer roles and thresholds (docs/token.md section 9) ------------- */

/* A COSE_Sign for op answering a fresh challenge, by k and co-signed by co
 * (NULL: k alone); the NRC of 29 06. */
static uint8_t auth_sign(const struct tk_key *k, const struct tk_key *co, const char *op)
{
	const struct tk_key *cos[1] = { co };
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX];
	struct plt_claims c;
	size_t n = 0, len = 0;

	cr_assert_eq(session(UDS_SESSION_EXTENDED), 0);
	cr_assert_eq(challenge(ch, &n), 0);
	tk_claims_init(&c, VIN, op, ch, n, 30);
	cr_assert_eq(tk_mint_sign(k, cos, co != NULL, &c, tok, sizeof(tok), &len), 0);
	return present(tok, len);
}

Test(ecu, REQ_TOK_221_the_ecu_configuration_decides_which_signers_an_operation_needs)
{
	static const struct plt_threshold rows[] = {
		{ "ignition.enable", { 1, 1 } },
		{ "key.learn", { 1, 1 } },
		{ NULL, { 1, 0 } },
	};
	static const struct plt_thresholds signers = { rows, 3 };
	static struct plt_trust_anchor anchors[2];
	struct tk_key co;
	struct ecu_config c = base_config();

	cr_assert_eq(tk_key_generate(&co), 0);
	anchors[0] = key.anchor;
	anchors[0].role = PLT_ROLE_BROKER;
	anchors[1] = co.anchor;
	anchors[1].role = PLT_ROLE_COSIGNER;
	trust.anchors = anchors;
	trust.count = 2;
	c.signers = &signers;
	start_with(&c);

	/* the broker alone: refused with the bad-signature NRC, the code logged */
	cr_assert_eq(auth("ignition.enable"), 0x51);
	cr_assert_eq(last_event(ECU_EV_AUTH_FAIL)->err, PLT_E_SIGNATURE_MISSING);
	cr_assert_eq(auth_sign(&key, NULL, "ignition.enable"), 0x51);
	cr_assert_eq(status().vehicle.ignition_on, 0);
	/* broker + co-signer: accepted, the routine runs */
	cr_assert_eq(auth_sign(&key, &co, "ignition.enable"), 0);
	cr_assert_eq(routine(ECU_RID_IGNITION_ENABLE), 0);
	cr_assert_eq(status().vehicle.ignition_on, 1);
	/* the co-signer alone is no broker */
	cr_assert_eq(auth_sign(&co, NULL, "door.unlock"), 0x51);
	cr_assert_eq(last_event(ECU_EV_AUTH_FAIL)->err, PLT_E_SIGNATURE_MISSING);
	/* door.unlock: the broker alone, Sign1 or COSE_Sign */
	cr_assert_eq(auth("door.unlock"), 0);
	cr_assert_eq(auth_sign(&key, NULL, "door.unlock"), 0);
	cr_assert_eq(auth_sign(&key, &co, "key.learn"), 0);

	/* without a signers table the ECU wants one broker signature for every
	 * operation (plt_verify's rule, REQ-TOK-214): the co-signer alone is
	 * refused even though it is trusted */
	c.signers = NULL;
	start_with(&c);
	cr_assert_eq(auth("ignition.enable"), 0);
	cr_assert_eq(auth_sign(&co, NULL, "door.unlock"), 0x51);
	cr_assert_eq(last_event(ECU_EV_AUTH_FAIL)->err, PLT_E_SIGNATURE_MISSING);
	cr_assert_eq(auth_sign(&key, &co, "ignition.enable"), 0);
	tk_key_free(&co);
}
