/*
 * The co-signer's own audit chain: a row per verdict, written before the
 * verdict is returned, hash-chained and verifiable; no row, no allow.
 * REQ-COS-066, REQ-COS-067.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <string.h>

#include "cosign_fixture.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"

static struct cosign_verdict v;
static uint8_t body[16384];

static void sql(const char *s)
{
	sqlite3 *d = NULL;

	cr_assert_eq(sqlite3_open_v2(fx.conf.audit_db, &d, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(d, s, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(d));
	sqlite3_close(d);
}

static void some_rows(void)
{
	size_t n = fx_valid_body("door.unlock", FX_ANNA, FX_VIN, -1, body, sizeof(body));

	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0);
	cr_assert(v.allowed, "%s", v.detail);
	cr_assert_eq(cosign_check_signed(fx.c, &v, 0), 0);
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0); /* replayed */
	cr_assert_eq(cosign_check(fx.c, body, 3, (time_t)FX_NOW, &v), 0); /* malformed */
	n = fx_valid_body("dtc.clear", FX_DORA, FX_VIN2, -1, body, sizeof(body));
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0); /* not co-signed */
}

TestSuite(cosign_audit, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

Test(cosign_audit, REQ_COS_066_chain_verifies_and_any_change_is_found)
{
	uint64_t rows = 0, bad = 0;
	char err[256] = "";

	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)), 0);
	cr_assert_eq(rows, 0);
	some_rows();
	cr_assert_eq(fx_rows(NULL), 5);
	cr_assert_eq(fx_rows("refuse"), 3);
	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(rows, 5);
	/* a reason rewritten */
	sql("UPDATE cosign_audit SET detail = 'all fine' WHERE seq = 3");
	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)),
	             PL_E_COS_AUDIT_BROKEN);
	cr_assert_eq(bad, 3);
	cr_assert(strstr(err, "row 3") != NULL, "%s", err);
}

Test(cosign_audit, REQ_COS_066_removed_or_reordered_rows_are_found)
{
	uint64_t rows = 0, bad = 0;
	char err[256] = "";

	some_rows();
	sql("DELETE FROM cosign_audit WHERE seq = 2");
	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)),
	             PL_E_COS_AUDIT_BROKEN);
	cr_assert_eq(bad, 2);
	/* renumbered to close the gap: the hashes still tell */
	sql("UPDATE cosign_audit SET seq = seq - 1 WHERE seq > 2");
	cr_assert_eq(cosign_audit_verify(fx.conf.audit_db, &rows, &bad, err, sizeof(err)),
	             PL_E_COS_AUDIT_BROKEN);
	cr_assert_eq(bad, 2);
	/* the newest row deleted: the chain is shorter but whole (the daemon's metrics and
	 * the broker's own row tell that one) */
}

Test(cosign_audit, REQ_COS_067_no_audit_row_no_allow)
{
	sqlite3 *lock = NULL;
	size_t n = fx_valid_body("door.unlock", FX_ANNA, FX_VIN, -1, body, sizeof(body));

	/* another writer holds the file: the row cannot be committed */
	cr_assert_eq(sqlite3_open_v2(fx.conf.audit_db, &lock, SQLITE_OPEN_READWRITE, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), PL_E_COS_AUDIT);
	cr_assert_eq(v.allowed, 0);
	cr_assert_null(v.token);
	cr_assert_str_eq(v.code, "audit_unavailable");
	cr_assert_eq(v.status, 503);
	cr_assert_neq(cosign_checker_ready(fx.c), 0);
	cr_assert_eq(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);
	cr_assert_eq(fx_rows(NULL), 0);
	/* nothing of the request was kept (its nonce neither): it passes now */
	cr_assert_eq(cosign_checker_ready(fx.c), 0);
	cr_assert_eq(cosign_check(fx.c, body, n, (time_t)FX_NOW, &v), 0);
	cr_assert(v.allowed, "%s", v.detail);
}
