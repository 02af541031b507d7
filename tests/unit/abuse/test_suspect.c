/*
 * Whom a detector's `suspend` suspends (REQ-ABU-124, docs/abuse.md): an
 * identity the policy does not know -- here the PC's own certificate offered
 * as a technician's, CN "ws-a-pc1" -- gets its device and its workshop
 * suspended (kinds "device" and "workshop" of table suspensions), never a
 * phantom technician of that name; a known technician only themselves.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abuse_test_util.h"
#include "audit.h"

#define T0 INT64_C(1741683600000)
#define VIN "WVWZZZ1JZXW000001"
#define DECOY "WVWZZZ1JZ3W386752"

static char dir[64], db[128];

static void setup(void)
{
	struct audit *au = NULL;

	snprintf(dir, sizeof(dir), "%s/suspect-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") :
		 "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/broker.db", dir);
	cr_assert_eq(audit_open(db, &au), 0);
	audit_close(au);
}

static void teardown(void)
{
	char f[160];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", db, sfx[i]);
		unlink(f);
	}
	rmdir(dir);
}

TestSuite(abuse_suspect, .init = setup, .fini = teardown);

/* The suspensions as "kind id" lines, sorted. */
static void suspensions(char *out, size_t cap)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	out[0] = '\0';
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT kind, id FROM suspensions ORDER BY kind, id",
					-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "%s %s\n", sqlite3_column_text(st, 0),
				      sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static struct policy *decoy_policy(void)
{
	return abuse_test_policy("anomalies:\n  - { name: decoy, detector: decoy_vin, "
				 "action: suspend }\n");
}

Test(abuse_suspect, REQ_ABU_124_an_unknown_identity_suspends_its_device_and_workshop)
{
	struct policy *p = decoy_policy();
	struct abuse *a = NULL;
	struct abuse_verdict v;
	char rows[256];

	cr_assert_eq(abuse_open(db, &a), 0);
	/* The PC's certificate as the technician's: CN ws-a-pc1 is no technician. */
	cr_assert_eq(abuse_test_request(a, p, T0, "ws-a-pc1", "ws-a", "x", DECOY, "door.unlock",
					&v), ABUSE_DENY);
	cr_assert_str_eq(v.alerts[0].detector, "decoy_vin");
	suspensions(rows, sizeof(rows));
	cr_assert_str_eq(rows, "device ws-a-pc1\nworkshop ws-a\n");
	/* The workshop's real technicians on that PC are refused, other workshops are not. */
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.code, "suspended");
	cr_assert_eq(abuse_test_request(a, p, T0 + 2, "t3", "ws-b", "y", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_suspect, REQ_ABU_124_a_device_suspension_outlasts_the_workshop_resume)
{
	struct policy *p = decoy_policy();
	struct abuse *a = NULL;
	struct abuse_verdict v;
	sqlite3 *h = NULL;

	cr_assert_eq(abuse_open(db, &a), 0);
	abuse_test_request(a, p, T0, "ws-a-pc1", "ws-a", "x", DECOY, "door.unlock", &v);
	/* What `pitlanectl resume workshop ws-a` writes: the PC stays suspended. */
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "DELETE FROM suspensions WHERE kind = 'workshop'; "
				  "UPDATE abuse_generation SET gen = gen + 1", NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_DENY);
	cr_assert_str_eq(v.rule, "suspensions.device.ws-a-pc1");
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_suspect, REQ_ABU_124_a_known_technician_is_suspended_alone)
{
	struct policy *p = decoy_policy();
	struct abuse *a = NULL;
	struct abuse_verdict v;
	char rows[256];

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_test_request(a, p, T0, "t2", "ws-a", "x", DECOY, "door.unlock", &v),
		     ABUSE_DENY);
	suspensions(rows, sizeof(rows));
	cr_assert_str_eq(rows, "technician t2\n");
	cr_assert_eq(abuse_test_request(a, p, T0 + 1, "t1", "ws-a", "x", VIN, "dtc.clear", &v),
		     ABUSE_PASS);
	abuse_close(a);
	policy_unref(p);
}

Test(abuse_suspect, REQ_ABU_124_a_suspended_device_is_reported_for_decisions)
{
	struct policy *p = decoy_policy();
	struct abuse *a = NULL;
	struct abuse_verdict v;

	cr_assert_eq(abuse_open(db, &a), 0);
	cr_assert_eq(abuse_device_suspended(a, "ws-a-pc1", &v), 0);
	abuse_test_request(a, p, T0, "ws-a-pc1", "ws-a", "x", DECOY, "door.unlock", &v);
	cr_assert_eq(abuse_device_suspended(a, "ws-a-pc1", &v), 1);
	cr_assert_str_eq(v.code, "suspended");
	cr_assert_str_eq(v.rule, "suspensions.device.ws-a-pc1");
	cr_assert_eq(abuse_device_suspended(a, "ws-b-pc1", &v), 0);
	abuse_close(a);
	policy_unref(p);
}
