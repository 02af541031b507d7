/*
 * Approvals for operations the co-signer's limits file marks `approval
 * required`: the co-signer's own check of the approver's signed decision.
 * REQ-COS-060..063.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cosign_fixture.h"

static struct cosign_verdict v;
static uint8_t body[16384], req[4096], tok[PLT_TOKEN_MAX], appr[4096];

/* An ignition.enable request by anna with its token; approval built by the test. */
static size_t rq(struct fx_req *q, size_t *tn)
{
	struct fx_tok t;
	size_t rn;

	fx_req_init(q, "ignition.enable");
	rn = fx_request(q, req, sizeof(req));
	fx_tok_for(&t, q, 120, 30);
	*tn = fx_token(&t, tok, sizeof(tok));
	return rn;
}

static int check_with(const struct fx_appr *a, size_t rn, size_t tn)
{
	size_t an = a != NULL ? fx_approval(a, appr, sizeof(appr)) : 0;
	size_t n = fx_body(req, rn, tok, tn, a != NULL ? appr : NULL, an, body, sizeof(body));

	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0);
	return v.allowed;
}

static void refused(const char *code)
{
	char d[64], c[64], r[128];

	cr_assert_eq(v.allowed, 0);
	cr_assert_str_eq(v.code, code, "got %s (%s)", v.code, v.detail);
	cr_assert_eq(v.status, 403);
	fx_last_row(d, c, r, sizeof(d));
	cr_assert_str_eq(d, "refuse");
	cr_assert_str_eq(c, code);
}

TestSuite(cosign_approval, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test(cosign_approval, REQ_COS_060_approval_required_and_accepted_from_listed_approver_or_officer)
{
	struct fx_req q;
	struct fx_appr a;
	size_t tn, rn = rq(&q, &tn);

	cr_assert_not(check_with(NULL, rn, tn));
	refused("approval_required");
	/* bob is in the approvers file for ignition.enable */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	cr_assert(check_with(&a, rn, tn), "%s: %s", v.code, v.detail);
	cr_assert(strstr(v.detail, "tech-bob") != NULL, "%s", v.detail);
	/* an officer under officer_ca may approve any operation */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_OLGA, req, rn);
	cr_assert(check_with(&a, rn, tn), "%s: %s", v.code, v.detail);
	cr_assert(strstr(v.detail, "officer:officer-olga") != NULL, "%s", v.detail);
}

Test(cosign_approval, REQ_COS_061_forged_or_foreign_approval_invalid)
{
	static const enum fx_who signer[] = {FX_FOREIGN, FX_REVOKED, FX_EXPIRED, FX_DEVICE};
	struct fx_req q;
	struct fx_appr a;
	size_t tn, rn;

	/* a forged signature: one bit */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	a.bad_sig = 1;
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
	/* made with a certificate of another CA, revoked, expired, or a device's */
	for (size_t i = 0; i < sizeof(signer) / sizeof(signer[0]); i++) {
		rn = rq(&q, &tn);
		fx_appr_init(&a, signer[i], req, rn);
		cr_assert_not(check_with(&a, rn, tn));
		refused("approval_invalid");
	}
	/* not an approve */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	a.decision = "deny";
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
	/* too old, from the future */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	a.iat = FX_NOW - 3601;
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	a.iat = FX_NOW + 120;
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
}

Test(cosign_approval, REQ_COS_062_approval_for_another_request_invalid)
{
	uint8_t other[4096];
	struct fx_req q, q2;
	struct fx_appr a;
	size_t tn, rn, on;

	/* bob approved another request of anna's (key 21 names it) */
	fx_req_init(&q2, "ignition.enable");
	on = fx_request(&q2, other, sizeof(other));
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, other, on);
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
	cr_assert(strstr(v.detail, "another request") != NULL, "%s", v.detail);
	/* without key 21 */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_BOB, req, rn);
	a.no_hash = 1;
	cr_assert_not(check_with(&a, rn, tn));
	refused("approval_invalid");
}

Test(cosign_approval, REQ_COS_063_self_approval_and_approver_role)
{
	struct fx_req q;
	struct fx_appr a;
	size_t tn, rn;

	/* anna approves her own request */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_ANNA, req, rn);
	cr_assert_not(check_with(&a, rn, tn));
	refused("self_approval");
	/* carl is a valid technician but not in the co-signer's approvers file */
	rn = rq(&q, &tn);
	fx_appr_init(&a, FX_CARL, req, rn);
	cr_assert_not(check_with(&a, rn, tn));
	refused("approver_role_missing");
}

/* A request signed age seconds ago for op, its token, and an approval by bob when asked. */
static int aged(const char *op, int64_t age, int with_approval)
{
	struct fx_req q;
	struct fx_tok t;
	struct fx_appr a;
	size_t rn, tn;

	fx_req_init(&q, op);
	q.iat = FX_NOW - age;
	rn = fx_request(&q, req, sizeof(req));
	fx_tok_for(&t, &q, 120, 30);
	tn = fx_token(&t, tok, sizeof(tok));
	fx_appr_init(&a, FX_BOB, req, rn);
	return check_with(with_approval ? &a : NULL, rn, tn);
}

/*
 * The broker co-signs an approved request when the approval arrives, which may be long after
 * the request was signed: the approval (at most approval_max_age_s old, naming this request)
 * then bounds its age, not request_window_s. Without an approval the window holds.
 */
Test(cosign_approval, REQ_COS_071_approved_request_may_be_as_old_as_an_approval)
{
	cr_assert(aged("ignition.enable", 900, 1), "%s: %s", v.code, v.detail);
	cr_assert_not(aged("ignition.enable", 900, 0));
	refused("stale_request");
	cr_assert_not(aged("ignition.enable", 3601, 1));
	refused("stale_request");
	/* an operation that needs no approval: an approval sent along changes nothing */
	cr_assert_not(aged("door.unlock", 900, 1));
	refused("stale_request");
	cr_assert(aged("door.unlock", 120, 1), "%s: %s", v.code, v.detail);
}
