/*
 * The co-signer's velocity limits per technician, workshop, VIN and
 * fleet-wide, in its own SQLite file: the broker's policy has no say, and a
 * restart forgets nothing. REQ-COS-064, REQ-COS-065.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cosign_fixture.h"

static struct cosign_verdict v;
static uint8_t body[16384];

static int one(const char *op, enum fx_who who, const char *vin, int appr_by)
{
	size_t n = fx_valid_body(op, who, vin, appr_by, body, sizeof(body));

	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0);
	return v.allowed;
}

static void limited(const char *rule)
{
	cr_assert_eq(v.allowed, 0);
	cr_assert_str_eq(v.code, "cosigner_rate_limited", "got %s (%s)", v.code, v.detail);
	cr_assert_eq(v.status, 403);
	cr_assert_str_eq(v.rule, rule);
}

TestSuite(cosign_velocity, .init = fx_setup, .fini = fx_teardown, .timeout = 120);

/* Two allowed, the third over the limit; the same again after a restart. */
Test(cosign_velocity, REQ_COS_064_each_scope_limited_also_after_restart)
{
	/* door.unlock technician 2/3600: anna, on two cars, then a third */
	cr_assert(one("door.unlock", FX_ANNA, FX_VIN, -1), "%s", v.detail);
	cr_assert(one("door.unlock", FX_ANNA, FX_VIN2, -1), "%s", v.detail);
	cr_assert(one("door.unlock", FX_BOB, FX_VIN, -1), "another technician is not counted");
	fx_reopen();
	cr_assert_not(one("door.unlock", FX_ANNA, FX_VIN2, -1));
	limited("velocity door.unlock technician 2/3600");
	/* trunk.open workshop 2/3600: anna and bob of ws-muc-01, then carl */
	cr_assert(one("trunk.open", FX_ANNA, FX_VIN, -1), "%s", v.detail);
	cr_assert(one("trunk.open", FX_BOB, FX_VIN2, -1), "%s", v.detail);
	cr_assert(one("trunk.open", FX_DORA, FX_VIN, -1), "another workshop is not counted");
	fx_reopen();
	cr_assert_not(one("trunk.open", FX_CARL, FX_VIN, -1));
	limited("velocity trunk.open workshop 2/3600");
	/* window.open vin 2/3600: two technicians on one car, then a third */
	cr_assert(one("window.open", FX_ANNA, FX_VIN, -1), "%s", v.detail);
	cr_assert(one("window.open", FX_DORA, FX_VIN, -1), "%s", v.detail);
	cr_assert(one("window.open", FX_BOB, FX_VIN2, -1), "another car is not counted");
	fx_reopen();
	cr_assert_not(one("window.open", FX_CARL, FX_VIN, -1));
	limited("velocity window.open vin 2/3600");
	/* horn.test fleet 2/3600: anybody, any car */
	cr_assert(one("horn.test", FX_ANNA, FX_VIN, -1), "%s", v.detail);
	cr_assert(one("horn.test", FX_DORA, FX_VIN2, -1), "%s", v.detail);
	fx_reopen();
	cr_assert_not(one("horn.test", FX_CARL, FX_VIN2, -1));
	limited("velocity horn.test fleet 2/3600");
	cr_assert_eq(fx_rows("allow"), 11);
}

/*
 * However the broker's policy is edited (it is not read here: the broker
 * signed all 21 tokens), the 21st ignition.enable within the hour is refused.
 */
Test(cosign_velocity, REQ_COS_065_broker_policy_cannot_loosen_the_fleet_limit)
{
	static const enum fx_who tech[] = {FX_ANNA, FX_CARL, FX_DORA};

	for (int i = 0; i < 20; i++)
		cr_assert(one("ignition.enable", tech[i % 3], i % 2 ? FX_VIN : FX_VIN2, FX_BOB),
		          "request %d: %s: %s", i + 1, v.code, v.detail);
	cr_assert_not(one("ignition.enable", FX_DORA, FX_VIN2, FX_OLGA));
	limited("velocity ignition.enable fleet 20/3600");
	fx_reopen();
	cr_assert_not(one("ignition.enable", FX_ANNA, FX_VIN, FX_BOB));
	limited("velocity ignition.enable fleet 20/3600");
	cr_assert_eq(fx_rows("allow"), 20);
	cr_assert_eq(fx_rows("refuse"), 2);
}

/* A door.unlock by anna signed, tokened and checked at time at. */
static int door_at(int64_t at)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX];
	struct fx_req q;
	struct fx_tok t;
	size_t rn, tn, n;

	fx_req_init(&q, "door.unlock");
	q.iat = at;
	rn = fx_request(&q, req, sizeof(req));
	fx_tok_for(&t, &q, 300, 60);
	t.iat = at;
	t.exp = at + 300;
	tn = fx_token(&t, tok, sizeof(tok));
	n = fx_body(req, rn, tok, tn, NULL, 0, body, sizeof(body));
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)at, &v), 0);
	return v.allowed;
}

/* The window slides: a count leaves it window_s seconds after it was made, not before. */
Test(cosign_velocity, REQ_COS_064_counts_leave_the_window_after_window_seconds)
{
	cr_assert(door_at(FX_NOW), "%s", v.detail);
	cr_assert(door_at(FX_NOW + 1800), "%s", v.detail);
	cr_assert_not(door_at(FX_NOW + 3599));
	limited("velocity door.unlock technician 2/3600");
	cr_assert(door_at(FX_NOW + 3600), "the first count left the window: %s", v.detail);
	cr_assert_not(door_at(FX_NOW + 3601));
	limited("velocity door.unlock technician 2/3600");
}
