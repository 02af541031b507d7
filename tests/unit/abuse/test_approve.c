/*
 * Technician approval (POST /v1/approvals/{id}) in broker/abuse on a real
 * SQLite file: the policy switch, who may decide (abuse_approver_check, in
 * its documented order) and the decision recorded the one way pitlanectl
 * records it (abuse_approval_decide). REQ-ABU-080, 082, 083.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abuse.h"
#include "audit.h"
#include "pl_err.h"
#include "policy.h"

#define T0 INT64_C(1741683600000)
#define VIN "WVWZZZ1JZXW000001"

static const char yaml[] =
	"version: 3\n"
	"operations:\n"
	"  key.learn: { routine: 0xF004, risk: critical, max_ttl: 600, exi: 120 }\n"
	"  ignition.enable: { routine: 0xF003, risk: high, max_ttl: 300, exi: 60 }\n"
	"  dtc.clear: { routine: 0xF005, risk: low, max_ttl: 600, exi: 120 }\n"
	"roles:\n"
	"  master: { operations: [key.learn, ignition.enable, dtc.clear] }\n"
	"  approver: { operations: [] }\n"
	"workshops:\n"
	"  ws-a: { roles: [master, approver], vin_prefixes: [WVW] }\n"
	"  ws-b: { certificate: { ou: ws-b-ou }, roles: [master, approver], vin_prefixes: [WVW] }\n"
	"  ws-c: { roles: [master, approver], vin_prefixes: [WVW], suspended: true }\n"
	"technicians:\n"
	"  t1: { workshop: ws-a, roles: [master] }\n"
	"  t2: { workshop: ws-a, roles: [master] }\n"
	"  t4: { workshop: ws-a, roles: [master, approver] }\n"
	"  t5: { workshop: ws-a, certificate: { cn: t5-new-card }, roles: [master, approver] }\n"
	"  t6: { workshop: ws-a, roles: [approver], suspended: true }\n"
	"  t7: { workshop: ws-b, roles: [approver] }\n"
	"  t8: { workshop: ws-c, roles: [approver] }\n"
	"approvals:\n"
	"  - { name: keys, operations: [key.learn], approver_roles: [approver], expires: 900,\n"
	"      technician_approval: true }\n"
	"  - { name: ignition, operations: [ignition.enable], approver_roles: [approver],\n"
	"      expires: 900 }\n";

static char dir[64], db[128];
static struct policy *pol;

static void setup(void)
{
	struct audit *au = NULL;
	struct policy_diag d;

	snprintf(dir, sizeof(dir), "%s/approve-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/broker.db", dir);
	cr_assert_eq(audit_open(db, &au), 0);
	audit_close(au);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(policy_load_buffer("approve.yaml", yaml, strlen(yaml), NULL, &pol, &d), 0,
		     "%u:%u: %s", d.line, d.col, d.msg);
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = { "", "-wal", "-shm" };

	policy_unref(pol);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(abuse_approve, .init = setup, .fini = teardown);

static void sql(const char *text)
{
	sqlite3 *h = NULL;
	char *err = NULL;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	cr_assert_eq(sqlite3_exec(h, text, NULL, NULL, &err), SQLITE_OK, "%s: %s", text, err);
	sqlite3_close(h);
}

static int64_t sql_int(const char *text)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, text, -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A pending approval of requester (cn, policy id) for op. */
static struct abuse_approval pending(const char *cn, const char *id, const char *op)
{
	struct abuse_approval ap;

	memset(&ap, 0, sizeof(ap));
	ap.created_ms = T0;
	ap.expires_ms = T0 + 900000;
	snprintf(ap.rule, sizeof(ap.rule), "approvals.keys");
	snprintf(ap.device_cn, sizeof(ap.device_cn), "ws-a-pc1");
	snprintf(ap.device_ou, sizeof(ap.device_ou), "ws-a");
	snprintf(ap.technician, sizeof(ap.technician), "%s", cn);
	snprintf(ap.workshop, sizeof(ap.workshop), "ws-a");
	snprintf(ap.technician_id, sizeof(ap.technician_id), "%s", id);
	snprintf(ap.workshop_id, sizeof(ap.workshop_id), "ws-a");
	snprintf(ap.vin, sizeof(ap.vin), VIN);
	snprintf(ap.op, sizeof(ap.op), "%s", op);
	memset(ap.cnonce, 0x5A, 16);
	ap.cnonce_len = 16;
	ap.ttl_s = 300;
	ap.exi_s = 120;
	ap.policy_version = 3;
	/* the requester's signed request (any bytes here) and its SHA-256 (key 21) */
	ap.request = (const uint8_t *)"\xd2\x84request";
	ap.request_len = 9;
	memset(ap.request_sha256, 0xA5, sizeof(ap.request_sha256));
	ap.has_request_sha256 = 1;
	return ap;
}

static int verdict(struct abuse *a, const struct abuse_approval *ap, const char *cn,
		   const char *ou, struct abuse_approver *who)
{
	cr_assert_eq(abuse_approver_check(a, pol, ap, cn, ou, who), 0);
	return who->verdict;
}

Test(abuse_approve, REQ_ABU_080_the_switch_is_per_entry_and_off_by_default)
{
	cr_assert_eq(policy_technician_approval(pol, "key.learn"), 1);
	cr_assert_eq(policy_technician_approval(pol, "ignition.enable"), 0, "entry without it");
	cr_assert_eq(policy_technician_approval(pol, "dtc.clear"), 0, "no entry lists it");
	cr_assert_eq(policy_technician_approval(pol, "no.such.op"), 0);
}

Test(abuse_approve, REQ_ABU_082_who_may_decide_in_order)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending("t1", "t1", "key.learn");
	struct abuse_approval ign = pending("t1", "t1", "ignition.enable");
	struct abuse_approval card = pending("t5-old-card", "t5", "key.learn");
	struct abuse_approver who;

	cr_assert_eq(abuse_open(db, &a), 0);
	/* 1 the switch: even an eligible approver is refused, and before the self check */
	cr_assert_eq(verdict(a, &ign, "t4", "ws-a", &who), ABUSE_APPROVER_DISABLED);
	cr_assert_str_eq(who.rule, "approvals.ignition");
	cr_assert_not_null(strstr(who.reason, "technician_approval"), "%s", who.reason);
	cr_assert_eq(verdict(a, &ign, "t1", "ws-a", &who), ABUSE_APPROVER_DISABLED);
	/* 2 never the requester: by certificate CN ... */
	cr_assert_eq(verdict(a, &ap, "t1", "ws-a", &who), ABUSE_APPROVER_SELF);
	cr_assert_str_eq(who.rule, "approvals.keys");
	cr_assert_not_null(strstr(who.reason, "t1 made this request"), "%s", who.reason);
	/* ... or by policy id (a new card, any device), even holding the approver role */
	cr_assert_eq(verdict(a, &card, "t5-new-card", "ws-a", &who), ABUSE_APPROVER_SELF);
	cr_assert_str_eq(who.id, "t5");
	/* 3 a technician of the policy, with their own workshop's OU */
	cr_assert_eq(verdict(a, &ap, "t9", "ws-a", &who), ABUSE_APPROVER_UNKNOWN);
	cr_assert_str_eq(who.id, "");
	cr_assert_eq(verdict(a, &ap, "t4", "ws-b-ou", &who), ABUSE_APPROVER_UNKNOWN);
	cr_assert_eq(verdict(a, &ap, "t7", "ws-b", &who), ABUSE_APPROVER_UNKNOWN, "id is not OU");
	/* 4 not suspended in the policy (technician or workshop) */
	cr_assert_eq(verdict(a, &ap, "t6", "ws-a", &who), ABUSE_APPROVER_SUSPENDED);
	cr_assert_eq(verdict(a, &ap, "t8", "ws-c", &who), ABUSE_APPROVER_SUSPENDED);
	/* 5 an approver role of the entry */
	cr_assert_eq(verdict(a, &ap, "t2", "ws-a", &who), ABUSE_APPROVER_NO_ROLE);
	cr_assert_str_eq(who.id, "t2");
	cr_assert_str_eq(who.reason, "t2 holds none of the approver roles of approvals entry keys");
	/* eligible */
	cr_assert_eq(verdict(a, &ap, "t4", "ws-a", &who), ABUSE_APPROVER_OK);
	cr_assert_str_eq(who.id, "t4");
	cr_assert_eq(verdict(a, &ap, "t7", "ws-b-ou", &who), ABUSE_APPROVER_OK);
	cr_assert_eq(verdict(a, &card, "t4", "ws-a", &who), ABUSE_APPROVER_OK);
	abuse_close(a);
}

Test(abuse_approve, REQ_ABU_082_officer_suspensions_count_at_once)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending("t1", "t1", "key.learn");
	struct abuse_approver who;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(verdict(a, &ap, "t4", "ws-a", &who), ABUSE_APPROVER_OK);
	sql("INSERT INTO suspensions (kind, id, since_ms, actor, reason) VALUES "
	    "('technician', 't4', 1, 'olga', 'badge lost'); "
	    "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_eq(verdict(a, &ap, "t4", "ws-a", &who), ABUSE_APPROVER_SUSPENDED);
	cr_assert_str_eq(who.rule, "suspensions.technician.t4");
	cr_assert_not_null(strstr(who.reason, "badge lost"), "%s", who.reason);
	/* the workshop, under its OU */
	cr_assert_eq(verdict(a, &ap, "t7", "ws-b-ou", &who), ABUSE_APPROVER_OK);
	sql("INSERT INTO suspensions (kind, id, since_ms, actor, reason) VALUES "
	    "('workshop', 'ws-b-ou', 1, 'olga', 'audit'); "
	    "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_eq(verdict(a, &ap, "t7", "ws-b-ou", &who), ABUSE_APPROVER_SUSPENDED);
	cr_assert_str_eq(who.rule, "suspensions.workshop.ws-b-ou");
	abuse_close(a);
}

struct seen {
	int n;
	struct abuse_admin_action x[4];
};

static int collect(void *ctx, const struct abuse_admin_action *x)
{
	struct seen *s = ctx;

	if (s->n < 4)
		s->x[s->n] = *x;
	s->n++;
	return 0;
}

Test(abuse_approve, REQ_ABU_083_a_decision_is_recorded_like_an_officer_action)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending("t1", "t1", "key.learn"), ap2 = ap, got;
	struct abuse_decision d = { .approve = 1, .approver = "t4", .actor = "api:t4",
				    .reason = "", .note = "device ws-a-pc2", .now_ms = T0 + 5000,
				    .signed_decision = (const uint8_t *)"\xd2\x84signed", .signed_decision_len = 8 };
	struct seen s = { 0 };
	char target[64];
	int64_t gen;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_approval_create(a, &ap), 0);
	cr_assert_eq(abuse_approval_create(a, &ap2), 0);
	gen = sql_int("SELECT gen FROM abuse_generation");
	d.id = ap.id;
	cr_assert_eq(abuse_approval_decide(a, &d), 0);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 6000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_APPROVED);
	cr_assert_str_eq(got.approver, "t4");
	cr_assert_eq(got.decided_ms, T0 + 5000);
	cr_assert_eq(sql_int("SELECT gen FROM abuse_generation"), gen + 1);
	/* once only */
	cr_assert_eq(abuse_approval_decide(a, &d), PL_E_EXISTS);
	d.approve = 0;
	cr_assert_eq(abuse_approval_decide(a, &d), PL_E_EXISTS);
	cr_assert_eq(sql_int("SELECT gen FROM abuse_generation"), gen + 1, "a refusal bumps nothing");
	/* a deny keeps the approver's words for the requester; the note defaults to them */
	d.id = ap2.id;
	d.reason = "no work order";
	d.note = NULL;
	d.actor = "olga";
	cr_assert_eq(abuse_approval_decide(a, &d), 0);
	cr_assert_eq(abuse_approval_get(a, ap2.id, T0 + 6000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_DENIED);
	cr_assert_str_eq(got.decision_reason, "no work order");
	/* the officer-action rows the broker writes into the audit chain */
	cr_assert_eq(abuse_audit_admin(a, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	snprintf(target, sizeof(target), "approval %s", ap.id);
	cr_assert_str_eq(s.x[0].actor, "api:t4");
	cr_assert_str_eq(s.x[0].action, "approve");
	cr_assert_str_eq(s.x[0].target, target);
	cr_assert_str_eq(s.x[0].reason, "device ws-a-pc2");
	cr_assert_eq(s.x[0].time_ms, T0 + 5000);
	cr_assert_str_eq(s.x[1].actor, "olga");
	cr_assert_str_eq(s.x[1].action, "deny");
	cr_assert_str_eq(s.x[1].reason, "no work order");
	abuse_close(a);
}

Test(abuse_approve, REQ_ABU_083_an_expired_approval_cannot_be_decided)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending("t1", "t1", "key.learn"), got;
	struct abuse_decision d = { .approve = 1, .approver = "t4", .actor = "api:t4",
				    .reason = "", .now_ms = T0 + 900000,
				    .signed_decision = (const uint8_t *)"\xd2\x84signed", .signed_decision_len = 8 };

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_approval_create(a, &ap), 0);
	d.id = ap.id;
	cr_assert_eq(abuse_approval_decide(a, &d), PL_E_EXISTS);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 900000, &got), 0);
	cr_assert_eq(got.state, ABUSE_APR_EXPIRED);
	cr_assert_eq(sql_int("SELECT count(*) FROM admin_actions"), 0);
	d.now_ms = T0 + 899999;
	cr_assert_eq(abuse_approval_decide(a, &d), 0, "one millisecond before its expiry");
	d.id = "00000000000000000000000000000000";
	cr_assert_eq(abuse_approval_decide(a, &d), PL_E_EXISTS, "unknown");
	abuse_close(a);
}

/*
 * The requester's exact request and the approver's exact signed decision stay with the
 * approval, byte for byte, for the co-signer and the check at delivery (REQ-APR-003).
 */
Test(abuse_approve, REQ_APR_003_request_and_signed_decision_are_kept_byte_for_byte)
{
	struct abuse *a = NULL;
	struct abuse_approval ap = pending("t1", "t1", "key.learn"), got;
	static const uint8_t dec[] = { 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0x00, 0xff };
	struct abuse_decision d = { .approve = 1, .approver = "t4", .actor = "api:t4",
				    .reason = "", .now_ms = T0 + 5000,
				    .signed_decision = dec, .signed_decision_len = sizeof(dec) };
	uint8_t buf[64], small[4];
	size_t len = 0;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_approval_create(a, &ap), 0);
	cr_assert_eq(abuse_approval_get(a, ap.id, T0 + 1000, &got), 0);
	cr_assert_eq(got.has_request_sha256, 1);
	cr_assert_eq(memcmp(got.request_sha256, ap.request_sha256, 32), 0);
	cr_assert_eq(abuse_approval_request(a, ap.id, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, ap.request_len);
	cr_assert_eq(memcmp(buf, ap.request, len), 0);
	cr_assert_eq(abuse_approval_request(a, ap.id, small, sizeof(small), &len), PL_E_NOSPACE);
	/* no decision before one is made */
	cr_assert_eq(abuse_approval_signed_decision(a, ap.id, buf, sizeof(buf), &len),
		     PL_E_NOTFOUND);
	/* a decision needs its signed bytes */
	d.id = ap.id;
	d.signed_decision = NULL;
	cr_assert_eq(abuse_approval_decide(a, &d), PL_E_INVAL);
	d.signed_decision = dec;
	cr_assert_eq(abuse_approval_decide(a, &d), 0);
	len = 0;
	cr_assert_eq(abuse_approval_signed_decision(a, ap.id, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, sizeof(dec));
	cr_assert_eq(memcmp(buf, dec, sizeof(dec)), 0);
	cr_assert_eq(abuse_approval_signed_decision(a, "00000000000000000000000000000000", buf,
						    sizeof(buf), &len), PL_E_NOTFOUND);
	/* an approval without its request cannot be made */
	ap.request = NULL;
	cr_assert_eq(abuse_approval_create(a, &ap), PL_E_INVAL);
	abuse_close(a);
}
