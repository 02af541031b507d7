/*
 * Signer against a real SoftHSM2 token (fresh demo PKI per test, through
 * p11-kit). Fault tests use the real token where SoftHSM2 can produce the
 * fault (token directory moved away, key replaced); the faults it cannot
 * produce on demand go through tests/unit/signer/p11fault.c, a PKCS#11 module
 * that forwards to SoftHSM2 and fails on command -- the one allowed mock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <p11-kit/pkcs11.h>

#include "fixture.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_signer.h"
#include "signer.h"

static struct fx fx;

static void setup(void)
{
	fx_setup(&fx);
}

static void teardown(void)
{
	fx_teardown(&fx);
}

TestSuite(signer, .init = setup, .fini = teardown, .timeout = 60);

static struct signer *open_ok(const struct signer_options *o)
{
	struct signer_limits l;
	struct signer *s = NULL;
	char err[256] = "";
	int r;

	fx_limits(&l);
	r = signer_open_ex(FX_URI, fx.pin, &l, o, &s, err, sizeof(err));
	cr_assert_eq(r, 0, "signer_open: %d %s", r, err);
	return s;
}

static int open_err(const char *uri, const char *pin, char *err, size_t errlen)
{
	struct signer_limits l;
	struct signer *s = NULL;
	int r;

	fx_limits(&l);
	r = signer_open_ex(uri, pin, &l, NULL, &s, err, errlen);
	cr_assert_null(s);
	return r;
}

static uint64_t sign_calls(struct signer *s)
{
	struct signer_status st;

	signer_status(s, &st);
	return st.sign_calls;
}

/* Verifies tok as an ECU would, with the key exported by demo-pki.sh. */
static int verify_with_pem(const uint8_t *tok, size_t len, const struct signer_request *rq,
			   struct plt_token *out)
{
	struct plt_trust_anchor a = { .role = PLT_ROLE_BROKER }; /* the rest zero */
	struct plt_trust_store ts = { &a, 1 };
	struct plt_crypto c;
	struct plt_expect ex = {
		.vin = rq->vin, .op = rq->op, .cnonce = rq->cnonce, .cnonce_len = rq->cnonce_len,
		.age_s = 10, .have_clock = 1, .now = rq->iat + 10,
	};

	fx_anchor(&fx, a.kid, a.pub);
	plt_openssl_crypto(&c);
	return plt_verify(tok, len, &ts, &c, &ex, out);
}

static int bytes_eq(struct plt_bytes b, const void *p, size_t len)
{
	return b.len == len && memcmp(b.ptr, p, len) == 0;
}

Test(signer, REQ_HSM_001_issued_token_verifies_with_exported_key_and_claims_match)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;
	struct plt_token t;
	uint8_t tok[512], cti[16];
	size_t len = 0;
	int r;

	fx_request(&rq);
	r = signer_issue(s, &rq, cti, tok, sizeof(tok), &len);
	cr_assert_eq(r, 0, "signer_issue: %d %s", r, pl_strerror(r));
	cr_assert_eq(verify_with_pem(tok, len, &rq, &t), 0);
	cr_assert(bytes_eq(t.claims.iss, rq.iss, strlen(rq.iss)));
	cr_assert(bytes_eq(t.claims.aud, FX_VIN, 17));
	cr_assert(bytes_eq(t.claims.scope, "door.unlock", 11));
	cr_assert(bytes_eq(t.claims.cti, cti, 16));
	cr_assert(bytes_eq(t.claims.cnonce, rq.cnonce, 16));
	cr_assert(bytes_eq(t.claims.workshop, "ws-muc-01", 9));
	cr_assert(bytes_eq(t.claims.technician, "tech-anna", 9));
	cr_assert(bytes_eq(t.claims.work_order, "WO-4711", 7));
	cr_assert_eq(t.claims.iat, rq.iat);
	cr_assert_eq(t.claims.exp, rq.iat + 300);
	cr_assert_eq(t.claims.exi, 60);
	cr_assert_eq(t.claims.policy_version, 7);
	cr_assert_eq(t.alg, -7);
	cr_assert_eq(sign_calls(s), 1);
	signer_close(s);
}

Test(signer, REQ_HSM_002_public_key_and_kid_equal_the_exported_pem)
{
	struct signer *s = open_ok(NULL);
	uint8_t pub[65], kid[8], epub[65], ekid[8];

	fx_anchor(&fx, ekid, epub);
	cr_assert_eq(signer_public_key(s, pub, kid), 0);
	cr_assert_arr_eq(pub, epub, 65);
	cr_assert_arr_eq(kid, ekid, 8);
	cr_assert_eq(signer_ready(s), 1);
	signer_close(s);
}

Test(signer, REQ_HSM_020_each_token_gets_a_fresh_cti)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;
	uint8_t tok[512], cti1[16], cti2[16];
	size_t len;

	fx_request(&rq);
	cr_assert_eq(signer_issue(s, &rq, cti1, tok, sizeof(tok), &len), 0);
	cr_assert_eq(signer_issue(s, &rq, cti2, tok, sizeof(tok), &len), 0);
	cr_assert_neq(memcmp(cti1, cti2, 16), 0);
	signer_close(s);
}

/* Each refusal: exact code, no C_Sign, counted as refused. */
static void expect_refused(struct signer *s, const struct signer_request *rq, int code)
{
	struct signer_status st;
	uint8_t tok[512], cti[16];
	size_t len = 99;
	uint64_t before = sign_calls(s);

	cr_assert_eq(signer_issue(s, rq, cti, tok, sizeof(tok), &len), code);
	cr_assert_eq(len, 0);
	signer_status(s, &st);
	cr_assert_eq(st.sign_calls, before, "the HSM was called for a refused request");
	cr_assert_eq(st.issued, 0);
}

Test(signer, REQ_HSM_003_unknown_operation_refused_without_hsm)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;

	fx_request(&rq);
	strcpy(rq.op, "ecu.flash");
	expect_refused(s, &rq, PL_E_SIGNER_OP_UNKNOWN);
	strcpy(rq.op, "door.unlock ");
	expect_refused(s, &rq, PL_E_SIGNER_OP_UNKNOWN);
	memset(rq.op, 'a', sizeof(rq.op)); /* unterminated */
	expect_refused(s, &rq, PL_E_SIGNER_OP_UNKNOWN);
	signer_close(s);
}

Test(signer, REQ_HSM_004_ttl_above_operation_max_or_zero_refused)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;

	fx_request(&rq);
	rq.ttl_s = 301;
	expect_refused(s, &rq, PL_E_SIGNER_TTL);
	rq.ttl_s = 0;
	expect_refused(s, &rq, PL_E_SIGNER_TTL);
	strcpy(rq.op, "key.learn"); /* max 120 */
	rq.ttl_s = 121;
	expect_refused(s, &rq, PL_E_SIGNER_TTL);
	rq.ttl_s = 120;
	rq.exi_s = 121;
	expect_refused(s, &rq, PL_E_SIGNER_EXI);
	rq.exi_s = 0;
	expect_refused(s, &rq, PL_E_SIGNER_EXI);
	signer_close(s);
}

Test(signer, REQ_HSM_005_malformed_vin_refused)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;

	fx_request(&rq);
	strcpy(rq.vin, "WVWZZZ1JZXW00000I"); /* I is not in the VIN alphabet */
	expect_refused(s, &rq, PL_E_SIGNER_VIN);
	strcpy(rq.vin, "WVWZZZ1JZXW00001");  /* 16 chars */
	expect_refused(s, &rq, PL_E_SIGNER_VIN);
	memset(rq.vin, 'A', sizeof(rq.vin)); /* unterminated */
	expect_refused(s, &rq, PL_E_SIGNER_VIN);
	signer_close(s);
}

Test(signer, REQ_HSM_006_cnonce_outside_16_to_32_refused)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;

	fx_request(&rq);
	rq.cnonce_len = 15;
	expect_refused(s, &rq, PL_E_SIGNER_CNONCE);
	rq.cnonce_len = 33;
	expect_refused(s, &rq, PL_E_SIGNER_CNONCE);
	rq.cnonce_len = 0;
	expect_refused(s, &rq, PL_E_SIGNER_CNONCE);
	signer_close(s);
}

Test(signer, REQ_HSM_007_bad_text_fields_and_iat_refused)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;

	fx_request(&rq);
	rq.iss[0] = '\0';
	expect_refused(s, &rq, PL_E_SIGNER_FIELD);
	fx_request(&rq);
	memset(rq.workshop, 'w', sizeof(rq.workshop));
	expect_refused(s, &rq, PL_E_SIGNER_FIELD);
	fx_request(&rq);
	strcpy(rq.technician, "tech\nanna");
	expect_refused(s, &rq, PL_E_SIGNER_FIELD);
	fx_request(&rq);
	rq.iat = 0;
	expect_refused(s, &rq, PL_E_SIGNER_IAT);
	rq.iat = INT64_MAX - 10;
	expect_refused(s, &rq, PL_E_SIGNER_IAT);
	signer_close(s);
}

Test(signer, REQ_HSM_021_small_output_buffer_gives_nospace)
{
	struct signer *s = open_ok(NULL);
	struct signer_request rq;
	uint8_t tok[64], cti[16];
	size_t len = 99;

	fx_request(&rq);
	cr_assert_eq(signer_issue(s, &rq, cti, tok, sizeof(tok), &len), PL_E_NOSPACE);
	cr_assert_eq(len, 0);
	signer_close(s);
}

Test(signer, REQ_HSM_008_wrong_pin_refused)
{
	char pin[320], err[256] = "";

	fx_path(&fx, "wrong-pin", pin, sizeof(pin));
	cr_assert_eq(fx_sh(&fx, "umask 077; echo 0000000000 > \"$D/wrong-pin\""), 0);
	cr_assert_eq(open_err(FX_URI, pin, err, sizeof(err)), PL_E_SIGNER_PIN_INCORRECT, "%s", err);
	cr_assert_neq(strstr(err, "PIN"), NULL);
}

Test(signer, REQ_HSM_009_key_not_found)
{
	char err[256] = "";

	cr_assert_eq(open_err("pkcs11:token=pitlane-broker;object=nope;type=private", fx.pin,
			      err, sizeof(err)), PL_E_SIGNER_KEY_NOT_FOUND, "%s", err);
	cr_assert_eq(open_err("pkcs11:token=pitlane-broker;id=%02", fx.pin, err, sizeof(err)),
		     PL_E_SIGNER_KEY_NOT_FOUND, "%s", err);
}

Test(signer, REQ_HSM_009_token_not_found)
{
	char err[256] = "";

	cr_assert_eq(open_err("pkcs11:token=no-such-token;object=broker-signing", fx.pin,
			      err, sizeof(err)), PL_E_SIGNER_TOKEN_NOT_FOUND, "%s", err);
}

Test(signer, REQ_HSM_010_ambiguous_uri_refused)
{
	char conf[320], pin[320], err[256] = "";

	/* the agent token holds four technician keys */
	fx_path(&fx, "hsm-agent/softhsm2.conf", conf, sizeof(conf));
	fx_path(&fx, "hsm-agent/pin", pin, sizeof(pin));
	cr_assert_eq(setenv("SOFTHSM2_CONF", conf, 1), 0);
	cr_assert_eq(open_err("pkcs11:token=pitlane-technicians;type=private", pin, err,
			      sizeof(err)), PL_E_SIGNER_KEY_AMBIGUOUS, "%s", err);
}

Test(signer, REQ_HSM_011_pin_file_readable_by_others_refused)
{
	char err[256] = "";

	cr_assert_eq(chmod(fx.pin, 0644), 0);
	cr_assert_eq(open_err(FX_URI, fx.pin, err, sizeof(err)), PL_E_SECRET_MODE, "%s", err);
	cr_assert_neq(strstr(err, fx.pin), NULL, "message names the file: %s", err);
	cr_assert_eq(chmod(fx.pin, 0640), 0);
	cr_assert_eq(open_err(FX_URI, fx.pin, err, sizeof(err)), PL_E_SECRET_MODE, "%s", err);
}

Test(signer, REQ_HSM_012_bad_uris_refused)
{
	static const char *bad[] = {
		"file:///etc/passwd",
		"pkcs11:token=pitlane-broker;object=broker-signing;foo=bar",
		"pkcs11:module-name=softhsm2;token=pitlane-broker;object=broker-signing",
		"pkcs11:token=pitlane-broker;object=broker-signing?pin-value=1234",
		"pkcs11:token=pitlane-broker;object=broker-signing;type=public",
		"pkcs11:token=pitlane%zz",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(open_err(bad[i], fx.pin, err, sizeof(err)), PL_E_SIGNER_URI,
			     "%s: %s", bad[i], err);
		cr_assert_neq(err[0], '\0');
	}
}

Test(signer, REQ_HSM_012_module_path_and_module_name_queries_work)
{
	struct signer_limits l;
	struct signer *s = NULL;
	char uri[768], err[256] = "";

	fx_limits(&l);
	snprintf(uri, sizeof(uri), "%s?module-path=%s", FX_URI, fx_softhsm_module());
	cr_assert_eq(signer_open_ex(uri, fx.pin, &l, NULL, &s, err, sizeof(err)), 0, "%s", err);
	signer_close(s);
	s = NULL;
	snprintf(uri, sizeof(uri), "%s?module-name=softhsm2", FX_URI);
	cr_assert_eq(signer_open_ex(uri, fx.pin, &l, NULL, &s, err, sizeof(err)), 0, "%s", err);
	signer_close(s);
	snprintf(uri, sizeof(uri), "%s?module-name=opensc-pkcs11", FX_URI);
	cr_assert_eq(open_err(uri, fx.pin, err, sizeof(err)), PL_E_SIGNER_TOKEN_NOT_FOUND);
}

Test(signer, REQ_HSM_013_invalid_limits_refused)
{
	struct signer_limits l;
	struct signer *s = NULL;

	fx_limits(&l);
	l.nops = 0;
	cr_assert_eq(signer_open(FX_URI, fx.pin, &l, &s), PL_E_SIGNER_LIMITS);
	fx_limits(&l);
	strcpy(l.ops[1].name, "door.unlock");
	cr_assert_eq(signer_open(FX_URI, fx.pin, &l, &s), PL_E_SIGNER_LIMITS);
	fx_limits(&l);
	l.ops[0].max_ttl = 0;
	cr_assert_eq(signer_open(FX_URI, fx.pin, &l, &s), PL_E_SIGNER_LIMITS);
	fx_limits(&l);
	l.max_exi = 0;
	cr_assert_eq(signer_open(FX_URI, fx.pin, &l, &s), PL_E_SIGNER_LIMITS);
	cr_assert_null(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void expect_unavailable(struct signer *s)
{
	struct signer_request rq;
	uint8_t tok[512], cti[16];
	size_t len = 99;

	fx_request(&rq);
	cr_assert_eq(signer_issue(s, &rq, cti, tok, sizeof(tok), &len), PL_E_SIGNER_UNAVAILABLE);
	cr_assert_eq(len, 0);
}

static void expect_issue_ok(struct signer *s)
{
	struct signer_request rq;
	uint8_t tok[512], cti[16];
	size_t len = 0;
	int r;

	fx_request(&rq);
	r = signer_issue(s, &rq, cti, tok, sizeof(tok), &len);
	cr_assert_eq(r, 0, "issue after recovery: %d %s", r, pl_strerror(r));
	cr_assert_eq(verify_with_pem(tok, len, &rq, NULL), 0);
}

Test(signer, REQ_HSM_014_token_removed_then_returned_recovers_within_10s)
{
	struct signer *s = open_ok(NULL);
	struct signer_status st;
	double t0, dt;

	expect_issue_ok(s);
	cr_assert_eq(fx_sh(&fx, "mv \"$D/hsm-broker/tokens\" \"$D/hsm-broker/tokens.away\""), 0);
	expect_unavailable(s);
	cr_assert_eq(signer_ready(s), 0);
	signer_status(s, &st);
	cr_assert_eq(st.last_err, PL_E_SIGNER_UNAVAILABLE);
	cr_assert_eq(st.last_ckr, CKR_OBJECT_HANDLE_INVALID, "ckr 0x%lx", st.last_ckr);
	cr_assert_eq(st.faults, 1);
	/* while the token is away, re-initialisation keeps failing */
	cr_assert_eq(fx_wait_ready(s, 1, 700), 0);
	expect_unavailable(s);
	cr_assert_eq(fx_sh(&fx, "mv \"$D/hsm-broker/tokens.away\" \"$D/hsm-broker/tokens\""), 0);
	t0 = now_s();
	cr_assert_eq(fx_wait_ready(s, 1, 10000), 1, "not ready 10 s after the token returned");
	dt = now_s() - t0;
	cr_log_info("recovered %.3f s after the token returned", dt);
	expect_issue_ok(s);
	signer_status(s, &st);
	cr_assert_eq(st.reinits, 1);
	signer_close(s);
}

Test(signer, REQ_HSM_015_replaced_key_is_refused_and_signer_stays_not_ready)
{
	struct signer *s = open_ok(NULL);
	struct signer_status st;
	char cmd[1024];
	int waited;

	expect_issue_ok(s);
	/* a new token with the same label and a new key of the same name and id */
	snprintf(cmd, sizeof(cmd),
		 "mv \"$D/hsm-broker/tokens\" \"$D/hsm-broker/tokens.old\" && "
		 "mkdir -m 700 \"$D/hsm-broker/tokens\" && "
		 "softhsm2-util --init-token --free --label pitlane-broker "
		 "--so-pin \"$(cat \"$D/hsm-broker/so-pin\")\" --pin \"$(cat \"$D/hsm-broker/pin\")\" "
		 ">/dev/null && "
		 "pkcs11-tool --module %s --token-label pitlane-broker --login "
		 "--pin \"$(cat \"$D/hsm-broker/pin\")\" --keypairgen --key-type EC:prime256v1 "
		 "--label broker-signing --id 01 --usage-sign >/dev/null 2>&1",
		 fx_softhsm_module());
	cr_assert_eq(fx_sh(&fx, cmd), 0);
	expect_unavailable(s);
	for (waited = 0; waited < 10000; waited += 50) {
		signer_status(s, &st);
		if (st.last_err == PL_E_SIGNER_KEY_CHANGED)
			break;
		usleep(50000);
	}
	cr_assert_eq(st.last_err, PL_E_SIGNER_KEY_CHANGED, "last_err %d (%s)", st.last_err,
		     st.detail);
	cr_assert_eq(signer_ready(s), 0);
	cr_assert_eq(fx_wait_ready(s, 1, 1500), 0, "a changed key must never become ready");
	expect_unavailable(s);
	signer_close(s);
}

/* ---- injected faults (p11fault.c forwards to SoftHSM2) ------------------------ */

static struct signer *open_faulty(char *faultfile, size_t cap)
{
	struct signer_options o = { .retry_min_ms = 300, .retry_max_ms = 600, .probe_ms = 60000 };
	struct signer_limits l;
	struct signer *s = NULL;
	char uri[768], err[256] = "";

	fx_path(&fx, "fault", faultfile, cap);
	cr_assert_eq(setenv("PITLANE_P11FAULT_FILE", faultfile, 1), 0);
	cr_assert_eq(setenv("PITLANE_P11FAULT_TARGET", fx_softhsm_module(), 1), 0);
	snprintf(uri, sizeof(uri), "%s?module-path=%s", FX_URI, PITLANE_P11FAULT_MODULE);
	fx_limits(&l);
	cr_assert_eq(signer_open_ex(uri, fx.pin, &l, &o, &s, err, sizeof(err)), 0, "%s", err);
	return s;
}

static void set_fault(const char *file, const char *what)
{
	FILE *f = fopen(file, "w");

	cr_assert_not_null(f);
	fputs(what, f);
	cr_assert_eq(fclose(f), 0);
}

Test(signer, REQ_HSM_016_injected_device_faults_give_unavailable_then_recover)
{
	static const struct {
		const char *text;
		unsigned long ckr;
	} faults[] = {
		{ "0x32", CKR_DEVICE_REMOVED },
		{ "0x30", CKR_DEVICE_ERROR },
		{ "0xB3", CKR_SESSION_HANDLE_INVALID },
		{ "0xB0", CKR_SESSION_CLOSED },
		{ "0xE0", CKR_TOKEN_NOT_PRESENT },
		{ "0x82", CKR_OBJECT_HANDLE_INVALID },
		{ "0x05", CKR_GENERAL_ERROR },
	};
	char file[320];
	struct signer *s = open_faulty(file, sizeof(file));
	struct signer_status st;

	expect_issue_ok(s);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		set_fault(file, faults[i].text);
		expect_unavailable(s);
		cr_assert_eq(signer_ready(s), 0, "%s", faults[i].text);
		signer_status(s, &st);
		cr_assert_eq(st.last_ckr, faults[i].ckr);
		cr_assert_eq(st.faults, i + 1);
		set_fault(file, "");
		cr_assert_eq(fx_wait_ready(s, 1, 10000), 1, "no recovery after %s", faults[i].text);
		expect_issue_ok(s);
	}
	signer_status(s, &st);
	cr_assert_eq(st.reinits, sizeof(faults) / sizeof(faults[0]));
	signer_close(s);
}

Test(signer, REQ_HSM_017_bad_hsm_signature_never_leaves_the_signer)
{
	char file[320];
	struct signer *s = open_faulty(file, sizeof(file));
	struct signer_request rq;
	struct signer_status st;
	uint8_t tok[512], cti[16], head[32] = { 0 }, sig[64];
	size_t len = 99;

	set_fault(file, "corrupt");
	fx_request(&rq);
	cr_assert_eq(signer_issue(s, &rq, cti, tok, sizeof(tok), &len), PL_E_SIGNER_SELF_VERIFY);
	cr_assert_eq(len, 0);
	cr_assert_eq(signer_sign_checkpoint(s, 1, head, sig), PL_E_SIGNER_SELF_VERIFY);
	signer_status(s, &st);
	cr_assert_eq(st.issued, 0);
	cr_assert_eq(st.sign_calls, 2);
	set_fault(file, "");
	expect_issue_ok(s);
	signer_close(s);
}

/* ---- checkpoints ------------------------------------------------------------------ */

Test(signer, REQ_HSM_018_checkpoint_signature_over_documented_bytes)
{
	static const char ctx[] = "pitlane-audit-checkpoint-v1";
	struct signer *s = open_ok(NULL);
	uint8_t head[32], sig[64], msg[SIGNER_CHECKPOINT_MSG_LEN], want[27 + 8 + 32];
	uint8_t kid[8], pub[65];
	struct plt_iov part = { want, sizeof(want) };

	for (int i = 0; i < 32; i++)
		head[i] = (uint8_t)i;
	memcpy(want, ctx, 27);
	memcpy(want + 27, "\x00\x00\x00\x01\x02\x03\x04\x05", 8);
	memcpy(want + 35, head, 32);
	signer_checkpoint_message(0x0102030405ULL, head, msg);
	cr_assert_eq(sizeof(msg), sizeof(want));
	cr_assert_arr_eq(msg, want, sizeof(want));
	cr_assert_eq(signer_audit_sign(s, 0x0102030405ULL, head, sig), 0);
	fx_anchor(&fx, kid, pub);
	cr_assert_eq(plt_openssl_verify_es256(NULL, pub, &part, 1, sig), 0);
	want[30] ^= 1; /* another row count must not verify */
	cr_assert_neq(plt_openssl_verify_es256(NULL, pub, &part, 1, sig), 0);
	signer_close(s);
}

/* ---- threads ----------------------------------------------------------------------- */

#define NTHREADS 4
#define PER_THREAD 50

struct worker {
	struct signer *s;
	int failures;
};

static void *issue_many(void *arg)
{
	struct worker *w = arg;
	struct signer_request rq;
	uint8_t tok[512], cti[16];
	size_t len;

	fx_request(&rq);
	for (int i = 0; i < PER_THREAD; i++) {
		rq.cnonce[0] = (uint8_t)i;
		if (signer_issue(w->s, &rq, cti, tok, sizeof(tok), &len) != 0 ||
		    verify_with_pem(tok, len, &rq, NULL) != 0)
			w->failures++;
	}
	return NULL;
}

Test(signer, REQ_HSM_019_concurrent_issuance_from_threads)
{
	struct signer_options o = { .sessions = 2 };
	struct signer *s = open_ok(&o);
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct signer_status st;

	for (int i = 0; i < NTHREADS; i++) {
		w[i].s = s;
		w[i].failures = 0;
		cr_assert_eq(pthread_create(&th[i], NULL, issue_many, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(w[i].failures, 0);
	}
	signer_status(s, &st);
	cr_assert_eq(st.issued, NTHREADS * PER_THREAD);
	cr_assert_eq(st.sign_calls, NTHREADS * PER_THREAD);
	signer_close(s);
}

Test(signer, REQ_HSM_022_health_probe_notices_a_removed_token_without_a_request)
{
	struct signer_options o = { .probe_ms = 100 };
	struct signer *s = open_ok(&o);
	struct signer_status st;

	cr_assert_eq(signer_ready(s), 1);
	cr_assert_eq(fx_sh(&fx, "mv \"$D/hsm-broker/tokens\" \"$D/hsm-broker/tokens.away\""), 0);
	cr_assert_eq(fx_wait_ready(s, 0, 5000), 0, "/v1/ready would still say ready");
	signer_status(s, &st);
	cr_assert_eq(st.sign_calls, 0);
	cr_assert_eq(st.faults, 1);
	cr_assert_eq(fx_sh(&fx, "mv \"$D/hsm-broker/tokens.away\" \"$D/hsm-broker/tokens\""), 0);
	cr_assert_eq(fx_wait_ready(s, 1, 10000), 1);
	expect_issue_ok(s);
	signer_close(s);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

Test(signer, REQ_HSM_023_pin_refused_on_relogin_is_never_retried)
{
	char file[320], logins[320], cmd[1024];
	struct signer *s;
	struct signer_status st;

	fx_path(&fx, "logins", logins, sizeof(logins));
	cr_assert_eq(setenv("PITLANE_P11FAULT_LOGINS", logins, 1), 0);
	s = open_faulty(file, sizeof(file));
	cr_assert_eq(count_lines(logins), 1);
	/* the PIN changes under the running signer, then a device fault forces a re-login */
	snprintf(cmd, sizeof(cmd),
		 "pkcs11-tool --module %s --token-label pitlane-broker --login "
		 "--pin \"$(cat \"$D/hsm-broker/pin\")\" --change-pin --new-pin 9999999999 "
		 ">/dev/null 2>&1", fx_softhsm_module());
	cr_assert_eq(fx_sh(&fx, cmd), 0);
	set_fault(file, "0x32");
	expect_unavailable(s);
	set_fault(file, "");
	usleep(2000 * 1000); /* retry_min 300 ms, max 600 ms: several retries if it retried */
	signer_status(s, &st);
	cr_assert_eq(st.last_err, PL_E_SIGNER_PIN_INCORRECT, "last_err %d (%s)", st.last_err,
		     st.detail);
	cr_assert_eq(count_lines(logins), 2, "the refused PIN was tried again");
	cr_assert_eq(signer_ready(s), 0);
	expect_unavailable(s);
	signer_close(s);
}
