/*
 * The engine on a real SQLite file: counts survive a restart (derived from the
 * audit log), officer changes take effect on the next request, approvals
 * (REQ-ABU-006, 030..046).
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abuse_test_util.h"
#include "audit.h"
#include "pl_err.h"

#define T0 INT64_C(1741683600000)
#define VIN "WVWZZZ1JZXW000001"

static char dir[64], db[128];

static void setup(void)
{
	struct audit *au = NULL;

	snprintf(dir, sizeof(dir), "%s/abuse-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/broker.db", dir);
	cr_assert_eq(audit_open(db, &au), 0);
	audit_close(au);
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(abuse_store, .init = setup, .fini = teardown);

static void sql(const char *text)
{
	sqlite3 *h = NULL;
	char *err = NULL;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	cr_assert_eq(sqlite3_exec(h, text, NULL, NULL, &err), SQLITE_OK, "%s: %s", text, err);
	sqlite3_close(h);
}

/* What the broker writes for an admitted request. */
static void audit_allow(struct audit *au, int64_t t, const char *tech, const char *ws,
			const char *op, const char *decision)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.time_ms = t;
	snprintf(r.request_id, sizeof(r.request_id), "%lld", (long long)t);
	snprintf(r.client_identity, sizeof(r.client_identity), "CN=%s-pc1,OU=%s", ws, ws);
	snprintf(r.technician, sizeof(r.technician), "%s", tech);
	snprintf(r.workshop, sizeof(r.workshop), "%s", ws);
	snprintf(r.vin, sizeof(r.vin), "%s", VIN);
	snprintf(r.op, sizeof(r.op), "%s", op);
	snprintf(r.decision, sizeof(r.decision), "%s", decision);
	cr_assert_eq(audit_append(au, &r, NULL), 0);
}

static const char limits[] =
	"limits:\n"
	"  - name: tech-unlocks\n"
	"    key: technician\n"
	"    operations: [door.unlock]\n"
	"    windows: [ { count: 3, seconds: 60 }, { count: 5, seconds: 3600 } ]\n";

static int admitted(struct abuse *a, struct policy *p, int64_t t, int n)
{
	struct abuse_verdict v;
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += abuse_test_request(a, p, t + i, "t1", "ws-a", "10.0.0.1:5", VIN, "door.unlock",
					 &v) == ABUSE_PASS;
	return ok;
}

Test(abuse_store, REQ_ABU_006_restart_mid_window_keeps_the_count)
{
	struct policy *p = abuse_test_policy(limits);
	struct audit *au = NULL;
	struct abuse *a = NULL;

	cr_assert_eq(audit_open(db, &au), 0);
	/* Before the "restart": 2 admitted 10 s ago, 1 pending approval, 1 denied, 1 issued. */
	audit_allow(au, T0 - 10000, "t1", "ws-a", "door.unlock", "allow");
	audit_allow(au, T0 - 9000, "t1", "ws-a", "door.unlock", "allow");
	audit_allow(au, T0 - 8000, "t1", "ws-a", "door.unlock", "deny");
	audit_allow(au, T0 - 7000, "t1", "ws-a", "door.unlock", "issued");
	/* Earlier in the hour: 2 more (outside the minute, inside the hour). */
	audit_allow(au, T0 - 1200000, "t1", "ws-a", "door.unlock", "approval");
	audit_allow(au, T0 - 1100000, "t1", "ws-a", "door.unlock", "allow");
	/* Another technician and an operation no limit names. */
	audit_allow(au, T0 - 5000, "t2", "ws-a", "door.unlock", "allow");
	audit_allow(au, T0 - 5000, "t1", "ws-a", "dtc.clear", "allow");
	audit_close(au);

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_rebuild(a, p, T0), 0);
	/* minute: 3 - 2 = 1 left; hour: 5 - 4 = 1 left */
	cr_assert_eq(admitted(a, p, T0, 10), 1);
	/* Two minutes later the minute is free but the hour is used up. */
	cr_assert_eq(admitted(a, p, T0 + 120000, 10), 0);
	abuse_close(a);

	/* Without the rebuild the engine would have admitted 3. */
	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(admitted(a, p, T0, 10), 3);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_store, REQ_ABU_030_suspension_takes_effect_on_the_next_request)
{
	struct policy *p = abuse_test_policy("");
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_test_request(a, p, T0, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	/* What `pitlanectl suspend technician t1` writes. */
	sql("BEGIN; INSERT INTO suspensions (kind, id, since_ms, actor, reason) VALUES "
	    "('technician', 't1', 0, 'olga', 'stolen badge'); UPDATE abuse_generation SET gen = "
	    "gen + 1; COMMIT;");
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.code, "suspended");
	cr_assert_str_eq(v.rule, "suspensions.technician.t1");
	cr_assert(strstr(v.reason, "stolen badge") != NULL);
	cr_assert_eq(abuse_test_request(a, p, T0 + 2, "t2", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	/* A workshop suspension covers all its technicians. */
	sql("BEGIN; INSERT INTO suspensions (kind, id, since_ms, actor, reason) VALUES "
	    "('workshop', 'ws-a', 0, 'olga', 'audit'); UPDATE abuse_generation SET gen = gen + 1; "
	    "COMMIT;");
	cr_assert_eq(abuse_test_request(a, p, T0 + 3, "t2", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.rule, "suspensions.workshop.ws-a");
	/* resume */
	sql("BEGIN; DELETE FROM suspensions; UPDATE abuse_generation SET gen = gen + 1; COMMIT;");
	cr_assert_eq(abuse_test_request(a, p, T0 + 4, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	abuse_close(a);
	policy_unref(p);
}

static void collect(void *ctx, const uint8_t cti[ABUSE_CTI_LEN])
{
	int *n = ctx;

	cr_assert_eq(cti[0], 0xAB);
	(*n)++;
}

Test(abuse_store, REQ_ABU_031_revocations_are_published_in_pages)
{
	struct abuse *a = NULL;
	uint8_t cti[ABUSE_CTI_LEN];
	uint64_t last = 99;
	int n = 0, more = 1;

	cr_assert_eq(abuse_open(db, &a), 0);
	memset(cti, 0xAB, sizeof(cti));
	cr_assert_eq(abuse_revoked(a, 0, 30, collect, &n, &last, &more), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(last, 0);
	cr_assert_eq(more, 0);
	cr_assert_eq(abuse_is_revoked(a, cti), 0);
	sql("INSERT INTO revocations (cti, time_ms, actor, reason) VALUES "
	    "(x'abababababababababababababababab', 1000, 'olga', 'lost PC'), "
	    "(x'ab000000000000000000000000000001', 1001, 'olga', 'lost PC'), "
	    "(x'ab000000000000000000000000000002', 1002, 'olga', 'lost PC')");
	cr_assert_eq(abuse_is_revoked(a, cti), 1);
	cr_assert_eq(abuse_revoked(a, 0, 2, collect, &n, &last, &more), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(last, 2);
	cr_assert_eq(more, 1);
	cr_assert_eq(abuse_revoked(a, last, 2, collect, &n, &last, &more), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(last, 3);
	cr_assert_eq(more, 0);
	/* Nothing new: the serial stays. */
	cr_assert_eq(abuse_revoked(a, 3, 2, collect, &n, &last, &more), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(last, 3);
	abuse_close(a);
}

static struct abuse_approval pending(void)
{
	struct abuse_approval ap;

	memset(&ap, 0, sizeof(ap));
	ap.created_ms = T0;
	ap.expires_ms = T0 + 900000;
	snprintf(ap.rule, sizeof(ap.rule), "approvals.key-learning");
	snprintf(ap.device_cn, sizeof(ap.device_cn), "ws-a-pc1");
	snprintf(ap.device_ou, sizeof(ap.device_ou), "ws-a");
	snprintf(ap.technician, sizeof(ap.technician), "t1");
	snprintf(ap.workshop, sizeof(ap.workshop), "ws-a");
	snprintf(ap.vin, sizeof(ap.vin), VIN);
	snprintf(ap.op, sizeof(ap.op), "key.learn");
	memset(ap.cnonce, 0x5A, 16);
	ap.cnonce_len = 16;
	ap.ttl_s = 300;
	ap.exi_s = 120;
	ap.policy_version = 7;
	/* the requester's signed request (any bytes here) and its SHA-256 (key 21) */
	ap.request = (const uint8_t *)"\xd2\x84request";
	ap.request_len = 9;
	memset(ap.request_sha256, 0xA5, sizeof(ap.request_sha256));
	ap.has_request_sha256 = 1;
	return ap;
}

Test(abuse_store, REQ_ABU_040_approval_round_trip_and_single_delivery)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending(), got;
	char q[256];

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_approval_create(a, &ap), 0);
	cr_assert_eq(strlen(ap.id), 32);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 1000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_PENDING);
	cr_assert_eq(got.cnonce_len, 16);
	cr_assert_eq(memcmp(got.cnonce, ap.cnonce, 16), 0);
	cr_assert_str_eq(got.op, "key.learn");
	/* Not approved yet: cannot be claimed. */
	cr_assert_eq(abuse_approval_claim(a, ap.id), PL_E_EXISTS);
	snprintf(q, sizeof(q), "UPDATE approvals SET state = 'approved', approver = 'officer' "
		 "WHERE id = '%s'", ap.id);
	sql(q);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 2000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_APPROVED);
	cr_assert_str_eq(got.approver, "officer");
	cr_assert_eq(abuse_approval_claim(a, ap.id), 0);
	cr_assert_eq(abuse_approval_claim(a, ap.id), PL_E_EXISTS);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 3000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_ISSUED);
	cr_assert_eq(abuse_approval_get(a, "00000000000000000000000000000000", T0, &got),
		     PL_E_NOTFOUND);
	abuse_close(a);
}

Test(abuse_store, REQ_ABU_041_pending_approval_expires)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending(), got;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_approval_create(a, &ap), 0);
	cr_assert_eq(abuse_approval_get(a, ap.id, ap.expires_ms - 1, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_PENDING);
	cr_assert_eq(abuse_approval_get(a, ap.id, ap.expires_ms, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_EXPIRED);
	/* Recorded once; an expired approval can no longer be approved or claimed. */
	cr_assert_eq(abuse_approval_expire(a, ap.id), 0);
	cr_assert_eq(abuse_approval_expire(a, ap.id), PL_E_EXISTS);
	cr_assert_eq(abuse_approval_get(a, ap.id, ap.created_ms, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_EXPIRED);
	cr_assert_eq(abuse_approval_claim(a, ap.id), PL_E_EXISTS);
	abuse_close(a);
}

Test(abuse_store, REQ_ABU_032_breaker_reset_by_officer_reopens_the_class)
{
	struct policy *p = abuse_test_policy(
		"limits:\n"
		"  - { name: fleet-start, key: fleet, operations: [ignition.enable],\n"
		"      windows: [ { count: 3, seconds: 60 } ] }\n");
	struct abuse *a = NULL, *b = NULL;
	struct abuse_verdict v;
	int k = 0;

	cr_assert_eq(abuse_open(db, &a), 0);
	for (int i = 0; i < 4; i++)
		k = abuse_test_request(a, p, T0 + i, "t1", "ws-a", "x", VIN, "ignition.enable", &v);
	cr_assert_eq(k, ABUSE_DENY);
	cr_assert_str_eq(v.code, "breaker_open");
	/* Persisted: a restarted broker keeps it open. */
	cr_assert_eq(abuse_open(db, &b), 0);
	cr_assert_eq(abuse_test_request(b, p, T0 + 7200000, "t1", "ws-a", "x", VIN,
					"ignition.enable", &v), ABUSE_DENY);
	abuse_close(b);
	/* Time alone does not close it. */
	cr_assert_eq(abuse_test_request(a, p, T0 + 7200000, "t1", "ws-a", "x", VIN,
					"ignition.enable", &v), ABUSE_DENY);
	/* What `pitlanectl breaker reset fleet-start` writes. */
	sql("BEGIN; DELETE FROM breakers WHERE name = 'fleet-start'; UPDATE abuse_generation SET "
	    "gen = gen + 1; COMMIT;");
	cr_assert_eq(abuse_test_request(a, p, T0 + 7200001, "t1", "ws-a", "x", VIN,
					"ignition.enable", &v), ABUSE_PASS);
	abuse_close(a);
	policy_unref(p);
}

static int audited;

static int audit_cb(void *ctx, const struct abuse_admin_action *x)
{
	(void)ctx;
	cr_assert_str_eq(x->action, "suspend");
	cr_assert_str_eq(x->target, "technician t1");
	audited++;
	return 0;
}

Test(abuse_store, REQ_ABU_033_decoy_suspends_and_officer_actions_reach_the_audit_log)
{
	struct policy *p = abuse_test_policy(
		"anomalies:\n  - { name: decoy, detector: decoy_vin, action: suspend }\n");
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_test_request(a, p, T0, "t1", "ws-a", "x", "WVWZZZ1JZ3W386752",
					"door.unlock", &v), ABUSE_DENY);
	cr_assert_str_eq(v.code, "anomaly_denied");
	cr_assert_eq(v.nalerts, 1);
	cr_assert_str_eq(v.alerts[0].detector, "decoy_vin");
	/* The next (innocent-looking) request is refused: suspended. */
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.code, "suspended");
	audited = 0;
	cr_assert_eq(abuse_audit_admin(a, audit_cb, NULL), 0);
	cr_assert_eq(audited, 1);
	cr_assert_eq(abuse_audit_admin(a, audit_cb, NULL), 0);
	cr_assert_eq(audited, 1, "each action is audited once");
	abuse_close(a);
	policy_unref(p);
}
