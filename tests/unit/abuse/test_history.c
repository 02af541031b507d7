/*
 * unlock_then_start's history (REQ-ABU-130..133, docs/abuse.md): real earlier
 * work on the VIN -- a token issued to the workshop at least 12 h before the
 * unlock, on an earlier day -- never a request seconds or minutes before it.
 * A lock before the unlock, a second unlock or a diagnosis in the same visit
 * give a script nothing to wait for.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abuse_test_util.h"
#include "audit.h"

#define T0 INT64_C(1741683600000)  /* Tuesday 09:00 UTC */
#define S INT64_C(1000)
#define H (INT64_C(3600) * S)
#define VIN "WVWZZZ1JZXW000011"

static const char uts[] = "anomalies:\n  - { name: uts, detector: unlock_then_start,\n"
			  "      action: require_approval, params: { window: 600 } }\n";
static struct abuse *a;
static struct policy *p;
static char dir[64], db[128];

static int req(int64_t t, const char *op, struct abuse_verdict *v)
{
	return abuse_test_request(a, p, t, "t3", "ws-b", "192.0.2.1:1", VIN, op, v);
}

/* The pattern at t: unlock, start 30 s later; the start's verdict. */
static int unlock_start(int64_t t, struct abuse_verdict *v)
{
	req(t, "door.unlock", v);
	return req(t + 30 * S, "ignition.enable", v);
}

static void memory_engine(void)
{
	p = abuse_test_policy(uts);
	cr_assert_eq(abuse_open(NULL, &a), 0);
}

static void done(void)
{
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_history, REQ_ABU_130_a_lock_before_the_unlock_is_no_history)
{
	struct abuse_verdict v;

	memory_engine();
	/* The evasion of issue 12: a lock 31 s before the unlock (then 30 s gave history). */
	cr_assert_eq(req(T0, "door.lock", &v), ABUSE_PASS);
	cr_assert_eq(unlock_start(T0 + 31 * S, &v), ABUSE_APPROVAL);
	cr_assert_eq(v.nalerts, 1);
	cr_assert_str_eq(v.alerts[0].detector, "unlock_then_start");
	cr_assert(strstr(v.alerts[0].evidence, "first 61 s ago") != NULL, "%s",
		  v.alerts[0].evidence);
	done();
	/* Waiting longer inside the day changes nothing: a lock 2 h before. */
	memory_engine();
	req(T0, "door.lock", &v);
	cr_assert_eq(unlock_start(T0 + 2 * H, &v), ABUSE_APPROVAL);
	done();
}

Test(abuse_history, REQ_ABU_130_a_second_unlock_or_a_diagnosis_is_no_history)
{
	struct abuse_verdict v;

	memory_engine();
	/* Two unlocks 31 s apart, then the start. */
	req(T0, "door.unlock", &v);
	cr_assert_eq(unlock_start(T0 + 31 * S, &v), ABUSE_APPROVAL);
	/* A diagnosis an hour before the unlock is the same visit, not earlier work. */
	abuse_close(a);
	cr_assert_eq(abuse_open(NULL, &a), 0);
	cr_assert_eq(req(T0, "dtc.clear", &v), ABUSE_PASS);
	cr_assert_eq(unlock_start(T0 + H, &v), ABUSE_APPROVAL);
	done();
}

Test(abuse_history, REQ_ABU_131_work_on_an_earlier_day_is_history)
{
	struct abuse_verdict v;

	memory_engine();
	/* A diagnosis 13 h before: the car was in the workshop yesterday. */
	cr_assert_eq(req(T0 - 13 * H, "dtc.clear", &v), ABUSE_PASS);
	cr_assert_eq(unlock_start(T0, &v), ABUSE_PASS);
	cr_assert_eq(v.nalerts, 0);
	done();
	/* 11 h before is the same day: no history. */
	memory_engine();
	req(T0 - 11 * H, "dtc.clear", &v);
	cr_assert_eq(unlock_start(T0, &v), ABUSE_APPROVAL);
	/* Another workshop's work never counts. */
	abuse_test_request(a, p, T0 + 2 * H - 13 * H, "t1", "ws-a", "x", "WVWZZZ1JZXW000012",
			   "dtc.clear", &v);
	abuse_test_request(a, p, T0 + 2 * H, "t3", "ws-b", "y", "WVWZZZ1JZXW000012",
			   "door.unlock", &v);
	cr_assert_eq(abuse_test_request(a, p, T0 + 2 * H + 30 * S, "t3", "ws-b", "y",
					"WVWZZZ1JZXW000012", "ignition.enable", &v),
		     ABUSE_APPROVAL);
	done();
}

Test(abuse_history, REQ_ABU_132_a_refused_request_is_no_history)
{
	struct abuse_verdict v;

	p = abuse_test_policy("limits:\n  - { name: one-diagnosis, key: workshop, operations: "
			      "[dtc.clear],\n      windows: [ { count: 1, seconds: 86400 } ] }\n"
			      "anomalies:\n  - { name: uts, detector: unlock_then_start,\n"
			      "      action: require_approval, params: { window: 600 } }\n");
	cr_assert_eq(abuse_open(NULL, &a), 0);
	/* Yesterday's diagnosis of VIN was refused by a limit: no token, no work. */
	abuse_test_request(a, p, T0 - 20 * H, "t3", "ws-b", "x", "WVWZZZ1JZXW000013", "dtc.clear",
			   &v);
	cr_assert_eq(req(T0 - 13 * H, "dtc.clear", &v), ABUSE_LIMITED);
	cr_assert_eq(unlock_start(T0, &v), ABUSE_APPROVAL);
	done();
}

/* ---- with the broker's database: history from the audit log ---------------- */

static void db_setup(void)
{
	struct audit *au = NULL;

	snprintf(dir, sizeof(dir), "%s/history-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") :
		 "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/broker.db", dir);
	cr_assert_eq(audit_open(db, &au), 0);
	audit_close(au);
}

static void db_teardown(void)
{
	char f[160];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", db, sfx[i]);
		unlink(f);
	}
	rmdir(dir);
}

/* What the broker's audit store writes for a token issued to ws-b (or a refusal). */
static void logged(struct audit *au, int64_t t, const char *op, const char *decision)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.time_ms = t;
	snprintf(r.request_id, sizeof(r.request_id), "h%lld", (long long)t);
	snprintf(r.client_identity, sizeof(r.client_identity), "CN=ws-b-pc1,OU=ws-b");
	snprintf(r.technician, sizeof(r.technician), "t3");
	snprintf(r.workshop, sizeof(r.workshop), "ws-b");
	snprintf(r.vin, sizeof(r.vin), "%s", VIN);
	snprintf(r.op, sizeof(r.op), "%s", op);
	snprintf(r.decision, sizeof(r.decision), "%s", decision);
	cr_assert_eq(audit_append(au, &r, NULL), 0);
}

/* A broker (re)start on the database: open and rebuild at now. */
static void db_engine(int64_t now)
{
	p = abuse_test_policy(uts);
	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_rebuild(a, p, now), 0);
}

TestSuite(abuse_history_db, .init = db_setup, .fini = db_teardown);

Test(abuse_history_db, REQ_ABU_132_tokens_of_an_earlier_day_in_the_audit_log_are_history)
{
	struct audit *au = NULL;
	struct abuse_verdict v;

	cr_assert_eq(audit_open(db, &au), 0);
	logged(au, T0 - 2 * 24 * H, "dtc.clear", "allow");
	audit_close(au);
	db_engine(T0);
	cr_assert_eq(unlock_start(T0, &v), ABUSE_PASS);
	cr_assert_eq(v.nalerts, 0);
	done();
}

Test(abuse_history_db, REQ_ABU_132_same_day_rows_and_refusals_are_not_history)
{
	struct audit *au = NULL;
	struct abuse_verdict v;

	cr_assert_eq(audit_open(db, &au), 0);
	/* Yesterday's attempts that were refused prove no work. */
	logged(au, T0 - 20 * H, "dtc.clear", "deny");
	logged(au, T0 - 20 * H, "dtc.clear", "approval");
	/* A lock issued 40 s before the restart and the unlock. */
	logged(au, T0 - 40 * S, "door.lock", "allow");
	audit_close(au);
	db_engine(T0);
	cr_assert_eq(unlock_start(T0, &v), ABUSE_APPROVAL);
	cr_assert_eq(v.nalerts, 1);
	done();
}
