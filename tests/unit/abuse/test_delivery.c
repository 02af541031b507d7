/*
 * The last look before an approved token leaves (abuse_delivery_check) on a
 * real SQLite file: officer suspensions of the technician or the workshop
 * under any of their names, and the open fleet breakers of the operation's
 * class (refuse mode always; approval mode when it tripped after the
 * decision); nothing else, and nothing counted. REQ-ABU-109.
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
	"settings: { hours_min_risk: critical }\n"
	"operations:\n"
	"  key.learn: { routine: 0xF004, risk: high, max_ttl: 600, exi: 120 }\n"
	"  ignition.enable: { routine: 0xF003, risk: high, max_ttl: 300, exi: 60 }\n"
	"  dtc.clear: { routine: 0xF005, risk: low, max_ttl: 600, exi: 120 }\n"
	"roles:\n"
	"  master: { operations: [key.learn, ignition.enable, dtc.clear] }\n"
	"workshops:\n"
	"  ws-a: { certificate: { ou: ws-a-ou }, roles: [master], vin_prefixes: [WVW] }\n"
	"technicians:\n"
	"  t1: { workshop: ws-a, certificate: { cn: t1-card }, roles: [master] }\n"
	"limits:\n"
	"  - { name: fleet-ign, key: fleet, operations: [ignition.enable],\n"
	"      windows: [ { count: 1, seconds: 600 } ], action: refuse }\n"
	"  - { name: fleet-dtc, key: fleet, operations: [dtc.clear],\n"
	"      windows: [ { count: 1, seconds: 600 } ], action: require_approval }\n"
	"  - { name: t-keys, key: technician, operations: [key.learn],\n"
	"      windows: [ { count: 1, seconds: 600 } ] }\n"
	"approvals:\n"
	"  - { name: all, operations: [key.learn, ignition.enable, dtc.clear],\n"
	"      approver_roles: [master], expires: 900 }\n";

static char dir[64], db[128];
static struct policy *pol;

static void setup(void)
{
	struct audit *au = NULL;
	struct policy_diag d;

	snprintf(dir, sizeof(dir), "%s/delivery-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/broker.db", dir);
	cr_assert_eq(audit_open(db, &au), 0);
	audit_close(au);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(policy_load_buffer("delivery.yaml", yaml, strlen(yaml), NULL, &pol, &d), 0,
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

TestSuite(abuse_delivery, .init = setup, .fini = teardown);

static void sql(const char *text)
{
	sqlite3 *h = NULL;
	char *err = NULL;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	cr_assert_eq(sqlite3_exec(h, text, NULL, NULL, &err), SQLITE_OK, "%s: %s", text, err);
	sqlite3_close(h);
}

/* An approval of t1 (card t1-card, workshop ws-a / OU ws-a-ou) for op, decided at decided_ms. */
static struct abuse_approval approved(const char *op, int64_t decided_ms)
{
	struct abuse_approval ap;

	memset(&ap, 0, sizeof(ap));
	snprintf(ap.id, sizeof(ap.id), "0123456789abcdef0123456789abcdef");
	ap.state = ABUSE_APR_APPROVED;
	ap.created_ms = T0;
	ap.expires_ms = T0 + 900000;
	ap.decided_ms = decided_ms;
	snprintf(ap.rule, sizeof(ap.rule), "approvals.all");
	snprintf(ap.device_cn, sizeof(ap.device_cn), "ws-a-pc1");
	snprintf(ap.device_ou, sizeof(ap.device_ou), "ws-a-ou");
	snprintf(ap.technician, sizeof(ap.technician), "t1-card");
	snprintf(ap.workshop, sizeof(ap.workshop), "ws-a-ou");
	snprintf(ap.technician_id, sizeof(ap.technician_id), "t1");
	snprintf(ap.workshop_id, sizeof(ap.workshop_id), "ws-a");
	snprintf(ap.vin, sizeof(ap.vin), VIN);
	snprintf(ap.op, sizeof(ap.op), "%s", op);
	memset(ap.cnonce, 0x5A, 16);
	ap.cnonce_len = 16;
	return ap;
}

/* The policy's decision now, then the delivery check: the verdict's kind. */
static int check(struct abuse *a, const struct abuse_approval *ap, struct abuse_verdict *v)
{
	struct policy_request pr = {
		.device_cn = ap->device_cn, .device_workshop = ap->device_ou,
		.technician_cn = ap->technician, .technician_workshop = ap->workshop,
		.vin = ap->vin, .op = ap->op, .now = T0 / 1000,
	};
	struct policy_decision d;

	cr_assert_eq(policy_decide(pol, &pr, &d), 0);
	cr_assert(d.allow, "%s", d.reason);
	cr_assert_eq(abuse_delivery_check(a, pol, ap, &d, v), 0);
	return v->kind;
}

static void suspend(const char *kind, const char *id)
{
	char q[256];

	snprintf(q, sizeof(q), "INSERT INTO suspensions (kind, id, since_ms, actor, reason) "
		 "VALUES ('%s', '%s', 1, 'olga', 'investigation'); "
		 "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1", kind, id);
	sql(q);
}

static void resume_all(void)
{
	sql("DELETE FROM suspensions; UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
}

Test(abuse_delivery, REQ_ABU_109_officer_suspensions_under_any_name)
{
	static const char *const names[][2] = {
		{ "technician", "t1" }, { "technician", "t1-card" },
		{ "workshop", "ws-a" }, { "workshop", "ws-a-ou" },
	};
	struct abuse_approval ap = approved("key.learn", T0 + 1000);
	struct abuse *a = NULL;
	struct abuse_verdict v;
	char rule[80];

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(check(a, &ap, &v), ABUSE_PASS, "%s", v.reason);
	for (size_t i = 0; i < 4; i++) {
		suspend(names[i][0], names[i][1]);
		cr_assert_eq(check(a, &ap, &v), ABUSE_DENY, "%s %s", names[i][0], names[i][1]);
		cr_assert_str_eq(v.code, "suspended");
		snprintf(rule, sizeof(rule), "suspensions.%s.%s", names[i][0], names[i][1]);
		cr_assert_str_eq(v.rule, rule);
		resume_all();
		cr_assert_eq(check(a, &ap, &v), ABUSE_PASS, "resumed: %s", v.reason);
	}
	abuse_close(a);
}

Test(abuse_delivery, REQ_ABU_109_open_breakers_of_the_class)
{
	struct abuse_approval ign = approved("ignition.enable", T0 + 1000);
	struct abuse_approval dtc = approved("dtc.clear", T0 + 1000);
	struct abuse_approval key = approved("key.learn", T0 + 1000);
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	/* refuse mode: whenever it tripped */
	sql("INSERT INTO breakers (name, tripped_ms, evidence) VALUES ('fleet-ign', 1, 'wave'); "
	    "UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_eq(check(a, &ign, &v), ABUSE_DENY);
	cr_assert_str_eq(v.code, "breaker_open");
	cr_assert_str_eq(v.rule, "limits.fleet-ign");
	cr_assert_eq(check(a, &dtc, &v), ABUSE_PASS, "another class: %s", v.reason);
	cr_assert_eq(check(a, &key, &v), ABUSE_PASS, "another class: %s", v.reason);
	/* approval mode: decided before the trip refused, decided since delivered */
	sql("INSERT INTO breakers (name, tripped_ms, evidence) VALUES ('fleet-dtc', 1741683601500, "
	    "'wave'); UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_eq(check(a, &dtc, &v), ABUSE_DENY);
	cr_assert_str_eq(v.rule, "limits.fleet-dtc");
	cr_assert_not_null(strstr(v.reason, "after approval"), "%s", v.reason);
	dtc.decided_ms = T0 + 2000;
	cr_assert_eq(check(a, &dtc, &v), ABUSE_PASS, "decided while open: %s", v.reason);
	/* a reset opens the class again */
	sql("DELETE FROM breakers; UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_eq(check(a, &ign, &v), ABUSE_PASS, "%s", v.reason);
	abuse_close(a);
}

/* Rate limits counted the request when it was parked: delivery neither checks nor charges them. */
Test(abuse_delivery, REQ_ABU_109_limits_are_neither_checked_nor_charged)
{
	struct abuse_approval key = approved("key.learn", T0 + 1000);
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(check(a, &key, &v), ABUSE_PASS, "%s", v.reason);
	abuse_close(a);
}

Test(abuse_delivery, REQ_ABU_109_unreadable_tables_fail_closed)
{
	struct abuse_approval key = approved("key.learn", T0 + 1000);
	struct policy_decision d = { .allow = 1, .risk = POLICY_RISK_HIGH };
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	sql("DROP TABLE suspensions; UPDATE abuse_generation SET gen = gen + 1 WHERE id = 1");
	cr_assert_lt(abuse_delivery_check(a, pol, &key, &d, &v), 0);
	cr_assert_eq(abuse_delivery_check(NULL, pol, &key, &d, &v), PL_E_INVAL);
	abuse_close(a);
}
