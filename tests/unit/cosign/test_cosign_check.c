/*
 * What the co-signer checks before it signs (cosign/check): real certificates
 * and CRL, real signatures, a real SQLite file. REQ-COS-050..066.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "pl_err.h"

#include "cosign_fixture.h"

#define BODY_MAX 16384

static struct cosign_verdict v;
static uint8_t body[BODY_MAX];

/* Checks b[0..n) at FX_NOW; asserts one audit row more and returns v.allowed. */
static int check(const uint8_t *b, size_t n)
{
	long before = fx_rows(NULL);

	cr_assert_eq(cosign_check(fx.c, b, n, (time_t)FX_NOW, &v), 0);
	cr_assert_eq(fx_rows(NULL), before + 1, "one audit row per verdict, before it returns");
	return v.allowed;
}

static void refused(const char *code, int status)
{
	char d[64], c[64], r[128];

	cr_assert_eq(v.allowed, 0);
	cr_assert_not_null(v.code);
	cr_assert_str_eq(v.code, code, "got %s (%s)", v.code, v.detail);
	cr_assert_eq(v.status, status);
	cr_assert_null(v.token);
	cr_assert_neq(v.detail[0], '\0', "a refusal says why");
	fx_last_row(d, c, r, sizeof(d));
	cr_assert_str_eq(d, "refuse");
	cr_assert_str_eq(c, code);
}

static size_t req_tok(struct fx_req *q, struct fx_tok *t, uint8_t *req, size_t *rn, uint8_t *tok,
                      size_t *tn)
{
	*rn = fx_request(q, req, 4096);
	*tn = fx_token(t, tok, PLT_TOKEN_MAX);
	return fx_body(req, *rn, tok, *tn, NULL, 0, body, sizeof(body));
}

/* door.unlock (no approval) with q and t as the test left them. */
static int door(struct fx_req *q, struct fx_tok *t)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	size_t rn, tn;

	return check(body, req_tok(q, t, req, &rn, tok, &tn));
}

TestSuite(cosign_check, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test(cosign_check, REQ_COS_050_allow_path_signs_the_broker_token_and_audits)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	struct fx_req q;
	struct fx_tok t;
	size_t rn, tn, n;
	uint64_t rows = 0, bad = 0;
	char err[256] = "";

	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 300, 60);
	n = req_tok(&q, &t, req, &rn, tok, &tn);
	cr_assert(check(body, n), "%s: %s", v.code, v.detail);
	cr_assert_null(v.code);
	cr_assert_eq(v.token_len, tn);
	cr_assert(v.token > body && v.token + v.token_len <= body + n, "points into the body");
	cr_assert_eq(memcmp(v.token, tok, tn), 0);
	cr_assert_str_eq(v.technician, "tech-anna");
	cr_assert_str_eq(v.workshop, "ws-muc-01");
	cr_assert_str_eq(v.vin, FX_VIN);
	cr_assert_str_eq(v.op, "door.unlock");
	cr_assert(v.has_cti && v.has_request_hash);
	cr_assert_gt(v.audit_seq, 0);
	cr_assert_eq(fx_rows("allow"), 1);
	cr_assert_eq(cosign_check_signed(fx.c, &v, 0), 0);
	cr_assert_eq(fx_rows("signed"), 1);
	cr_assert_eq(cosign_check_signed(fx.c, &v, -410), 0);
	cr_assert_eq(fx_rows("error"), 1);
	cr_assert_eq(cosign_checker_ready(fx.c), 0);
	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(rows, 3);
}

Test(cosign_check, REQ_COS_051_body_must_be_the_strict_map)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	struct fx_req q;
	struct fx_tok t;
	size_t rn, tn, n;
	/* {1: h'00', 2: h'00', 4: h'00'}, {1: h'00'}, an array, trailing bytes */
	static const uint8_t bad[][12] = {
	    {0xa3, 0x01, 0x41, 0x00, 0x02, 0x41, 0x00, 0x04, 0x41, 0x00},
	    {0xa1, 0x01, 0x41, 0x00},
	    {0x82, 0x41, 0x00, 0x41, 0x00},
	    {0xa2, 0x01, 0x41, 0x00, 0x01, 0x41, 0x00},
	};
	static const size_t blen[] = {10, 4, 5, 7};

	for (size_t i = 0; i < 4; i++) {
		check(bad[i], blen[i]);
		refused("bad_cosign_request", 400);
	}
	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 300, 60);
	n = req_tok(&q, &t, req, &rn, tok, &tn);
	body[n] = 0x00; /* one byte more */
	check(body, n + 1);
	refused("bad_cosign_request", 400);
	/* the request is not a COSE_Sign1 */
	n = fx_body(tok, tn, tok, tn, NULL, 0, body, sizeof(body));
	check(body, n);
	refused("bad_cosign_request", 400);
}

Test(cosign_check, REQ_COS_052_missing_or_invalid_technician_signature_refused)
{
	struct fx_req q;
	struct fx_tok t;

	fx_req_init(&q, "door.unlock");
	q.bad_sig = 1; /* one bit of the signature */
	fx_tok_for(&t, &q, 300, 60);
	cr_assert_not(door(&q, &t));
	refused("bad_technician_signature", 403);
	cr_assert_str_eq(v.technician, "tech-anna", "the certificate was verified first");
	fx_req_init(&q, "door.unlock");
	q.sign_with = fx.rogue; /* anna's certificate, somebody else's key */
	fx_tok_for(&t, &q, 300, 60);
	cr_assert_not(door(&q, &t));
	refused("bad_technician_signature", 403);
}

Test(cosign_check, REQ_COS_053_technician_certificate_checked_by_the_cosigner)
{
	static const enum fx_who bad[] = {FX_REVOKED, FX_EXPIRED, FX_FOREIGN, FX_DEVICE, FX_OLGA};
	struct fx_req q;
	struct fx_tok t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_req_init(&q, "door.unlock");
		q.who = bad[i];
		fx_tok_for(&t, &q, 300, 60);
		cr_assert_not(door(&q, &t));
		refused("technician_cert_invalid", 403);
	}
}

Test(cosign_check, REQ_COS_054_stale_request_refused)
{
	struct fx_req q;
	struct fx_tok t;

	fx_req_init(&q, "door.unlock");
	q.iat = FX_NOW - 121;
	fx_tok_for(&t, &q, 300, 60);
	cr_assert_not(door(&q, &t));
	refused("stale_request", 403);
	fx_req_init(&q, "door.unlock");
	q.iat = FX_NOW + 121;
	fx_tok_for(&t, &q, 300, 60);
	cr_assert_not(door(&q, &t));
	refused("stale_request", 403);
	fx_req_init(&q, "door.unlock");
	q.iat = FX_NOW - 120;
	fx_tok_for(&t, &q, 300, 60);
	cr_assert(door(&q, &t), "%s", v.detail);
}

Test(cosign_check, REQ_COS_055_replayed_request_refused_also_after_restart)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	struct fx_req q;
	struct fx_tok t;
	size_t rn, tn, n;

	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 300, 60);
	n = req_tok(&q, &t, req, &rn, tok, &tn);
	cr_assert(check(body, n), "%s", v.detail);
	cr_assert_not(check(body, n));
	refused("replayed_request", 403);
	/* the same request with a new token from the broker: still the same nonce */
	n = fx_body(req, rn, tok, fx_token(&t, tok, sizeof(tok)), NULL, 0, body, sizeof(body));
	fx_reopen();
	cr_assert_not(check(body, n));
	refused("replayed_request", 403);
}

Test(cosign_check, REQ_COS_056_broker_token_must_be_cose_sign_by_the_broker_key)
{
	struct fx_req q;
	struct fx_tok t;

	for (int i = 0; i < 4; i++) {
		fx_req_init(&q, "door.unlock");
		fx_tok_for(&t, &q, 300, 60);
		t.sign1 = i == 0;                  /* a COSE_Sign1 */
		t.key = i == 1 ? fx.rogue : t.key; /* a key that is not broker_token_key */
		t.two_sigs = i == 2;               /* a second (valid) signature */
		t.bad_sig = i == 3;                /* one bit of the broker's signature */
		cr_assert_not(door(&q, &t));
		refused("broker_signature_invalid", 403);
	}
}

/* Each claim differing from the request, one at a time. */
Test(cosign_check, REQ_COS_057_every_claim_must_match_the_request)
{
	static const char *const field[] = {"aud",        "scope",    "cnonce",
	                                    "technician", "workshop", "work_order",
	                                    "work_order", "ttl",      "iat"};
	struct fx_req q;
	struct fx_tok t;

	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++) {
		fx_req_init(&q, "door.unlock");
		q.ttl = 200;
		fx_tok_for(&t, &q, 200, 60);
		switch (i) {
		case 0:
			t.vin = FX_VIN2;
			break;
		case 1:
			t.op = "trunk.open";
			break;
		case 2:
			t.cnonce[15] ^= 1;
			break;
		case 3:
			t.technician = "tech-bob";
			break;
		case 4:
			t.workshop = "ws-ber-02";
			break;
		case 5:
			t.work_order = "WO-4712";
			break;
		case 6:
			t.omit_work_order = 1;
			break;
		case 7:
			t.exp = t.iat + 201;
			break; /* longer than the wished ttl */
		default:
			t.iat = FX_NOW - 300;
			t.exp = FX_NOW + 100;
			break;
		}
		cr_assert_not(door(&q, &t));
		refused("claims_mismatch", 403);
		cr_assert(strstr(v.detail, field[i]) != NULL, "%zu: '%s' names %s", i, v.detail,
		          field[i]);
	}
}

Test(cosign_check, REQ_COS_058_ttl_and_exi_within_the_cosigner_limits)
{
	struct fx_req q;
	struct fx_tok t;

	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 601, 60); /* max_ttl 600 */
	cr_assert_not(door(&q, &t));
	refused("over_cosigner_limit", 403);
	cr_assert(strstr(v.detail, "ttl") != NULL, "%s", v.detail);
	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 600, 121); /* max_exi 120 */
	cr_assert_not(door(&q, &t));
	refused("over_cosigner_limit", 403);
	cr_assert(strstr(v.detail, "exi") != NULL, "%s", v.detail);
	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 600, 120);
	cr_assert(door(&q, &t), "%s", v.detail);
}

Test(cosign_check, REQ_COS_059_operation_not_in_the_limits_file_refused)
{
	struct fx_req q;
	struct fx_tok t;

	fx_req_init(&q, "dtc.clear");
	fx_tok_for(&t, &q, 60, 30);
	cr_assert_not(door(&q, &t));
	refused("operation_not_cosigned", 403);
}

Test(cosign_check, REQ_COS_070_files_that_decide_trust_are_checked_at_open)
{
	struct cosign_checker *c = NULL;
	char err[512] = "";

	cr_assert_eq(chmod(fx.conf.limits, 0666), 0);
	cr_assert_eq(cosign_checker_open_err(&fx.conf, &c, err, sizeof(err)), PL_E_UNSAFE_MODE);
	cr_assert_null(c);
	cr_assert(strstr(err, "limits ") == err, "%s", err);
	cr_assert(strstr(err, "chmod go-w") != NULL, "%s", err);
	cr_assert_eq(chmod(fx.conf.limits, 0644), 0);
	cr_assert_eq(chmod(fx.conf.broker_token_key, 0646), 0);
	cr_assert_eq(cosign_checker_open_err(&fx.conf, &c, err, sizeof(err)), PL_E_UNSAFE_MODE);
	cr_assert(strstr(err, "broker_token_key ") == err, "%s", err);
	cr_assert_eq(chmod(fx.conf.broker_token_key, 0644), 0);
	cr_assert_eq(cosign_checker_open_err(&fx.conf, &c, err, sizeof(err)), 0, "%s", err);
	cosign_checker_free(c);
}

static long nonces(void)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *st = NULL;
	long n;

	cr_assert_eq(sqlite3_open_v2(fx.conf.audit_db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(d, "SELECT count(*) FROM cosign_nonce", -1, &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(d);
	return n;
}

/* The replay store forgets a nonce once its request could no longer pass as fresh. */
Test(cosign_check, REQ_COS_055_nonces_pruned_beyond_the_oldest_age_accepted)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	struct fx_req q;
	struct fx_tok t;
	size_t rn, tn, n;
	/* the oldest request accepted: approval_max_age_s (3600) > request_window_s */
	int64_t later = FX_NOW + 2 * 3600;

	fx_req_init(&q, "door.unlock");
	fx_tok_for(&t, &q, 300, 60);
	cr_assert(door(&q, &t), "%s", v.detail);
	cr_assert_eq(nonces(), 1);
	fx_req_init(&q, "trunk.open");
	q.iat = later;
	fx_tok_for(&t, &q, 300, 60);
	t.iat = later;
	t.exp = later + 300;
	n = req_tok(&q, &t, req, &rn, tok, &tn);
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)later, &v), 0);
	cr_assert(v.allowed, "%s", v.detail);
	cr_assert_eq(nonces(), 2, "kept while a request that old could pass");
	fx_req_init(&q, "window.open");
	q.iat = later + 1;
	fx_tok_for(&t, &q, 300, 60);
	t.iat = later + 1;
	t.exp = later + 301;
	n = req_tok(&q, &t, req, &rn, tok, &tn);
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)(later + 1), &v), 0);
	cr_assert(v.allowed, "%s", v.detail);
	cr_assert_eq(nonces(), 2, "the first one is gone");
}
