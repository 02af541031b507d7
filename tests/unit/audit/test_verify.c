/* broker/audit/verify.c: every tamper case is detected and named. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_test_util.h"
#include "pl_err.h"
#include "pl_err_audit.h"

static char *dir;
static char db[1024];
static struct aut_key key;

static void setup(void)
{
	dir = aut_tmpdir();
	aut_path(db, sizeof(db), dir, "audit.db");
	aut_key_new(&key);
}

static void teardown(void)
{
	aut_key_free(&key);
	aut_rmdir(dir);
}

TestSuite(audit_verify, .init = setup, .fini = teardown);

static void expect_fault(const uint8_t *pub, enum audit_fault f, uint64_t seq)
{
	struct audit_verify_report rep;
	int r = audit_verify(db, pub, &rep);

	cr_assert_eq(r, PL_E_AUDIT_TAMPERED, "verify returned %d (%s)", r, rep.detail);
	cr_assert_eq(rep.fault, f, "fault %s, expected %s: %s", audit_fault_name(rep.fault),
		     audit_fault_name(f), rep.detail);
	cr_assert_eq(rep.bad_seq, seq, "bad seq %llu, expected %llu: %s",
		     (unsigned long long)rep.bad_seq, (unsigned long long)seq, rep.detail);
	cr_assert_gt(strlen(rep.detail), 10);
}

/* What an attacker with the file and the published algorithm can do: recompute
 * every prev_hash and row_hash so the chain alone looks intact again. */
static void rechain_upto(uint64_t last)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	uint8_t prev[AUDIT_HASH_LEN] = { 0 }, hash[AUDIT_HASH_LEN];
	struct audit_row_buf buf;
	struct audit_row_view v;
	char sql[512];

	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT %s FROM audit_log WHERE seq <= ?1 ORDER BY seq",
		 audit_row_columns(1));
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &sel, NULL), SQLITE_OK);
	sqlite3_bind_int64(sel, 1, (sqlite3_int64)last);
	cr_assert_eq(sqlite3_prepare_v2(h, "UPDATE audit_log SET prev_hash = ?1, row_hash = ?2 "
		"WHERE seq = ?3", -1, &upd, NULL), SQLITE_OK);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		cr_assert_eq(audit_row_read(sel, &v, &buf), 0);
		cr_assert_eq(audit_row_hash(prev, &v, hash), 0);
		sqlite3_bind_blob(upd, 1, prev, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(upd, 2, hash, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 3, (sqlite3_int64)v.seq);
		cr_assert_eq(sqlite3_step(upd), SQLITE_DONE, "%s", sqlite3_errmsg(h));
		sqlite3_reset(upd);
		memcpy(prev, hash, AUDIT_HASH_LEN);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	cr_assert_eq(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void rechain(void)
{
	rechain_upto(INT64_MAX);
}

Test(audit_verify, REQ_AUD_030_intact_log_with_checkpoints_verifies)
{
	struct audit_verify_report rep;

	aut_fill(db, 12, &key, 5);   /* checkpoints at 5, 10, and 12 (at close) */
	cr_assert_eq(audit_verify(db, key.pub, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 12);
	cr_assert_eq(rep.checkpoints, 3);
	cr_assert_eq(rep.covered, 12);
	cr_assert_eq(rep.bad_checkpoint, -1);
}

Test(audit_verify, REQ_AUD_031_edited_field_is_named)
{
	aut_fill(db, 6, NULL, 0);
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET vin = 'WBAPH5C55BA123456' WHERE seq = 3");
	expect_fault(NULL, AUDIT_FAULT_ROW_HASH, 3);
}

Test(audit_verify, REQ_AUD_032_deleted_row_is_named)
{
	aut_fill(db, 6, NULL, 0);
	aut_drop_guards(db);
	aut_sql(db, "DELETE FROM audit_log WHERE seq = 3");
	expect_fault(NULL, AUDIT_FAULT_SEQ_GAP, 3);
}

Test(audit_verify, REQ_AUD_033_swapped_rows_are_named)
{
	aut_fill(db, 6, NULL, 0);
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET seq = 1000 WHERE seq = 3;"
		    "UPDATE audit_log SET seq = 3 WHERE seq = 4;"
		    "UPDATE audit_log SET seq = 4 WHERE seq = 1000;");
	expect_fault(NULL, AUDIT_FAULT_PREV_HASH, 3);
}

Test(audit_verify, REQ_AUD_034_inserted_row_is_named)
{
	aut_fill(db, 6, NULL, 0);
	aut_drop_guards(db);
	/* Make room at seq 4 and slip in a copy of row 2 with a correct-looking hash. */
	aut_sql(db, "UPDATE audit_log SET seq = 7 WHERE seq = 6;"
		    "UPDATE audit_log SET seq = 6 WHERE seq = 5;"
		    "UPDATE audit_log SET seq = 5 WHERE seq = 4;"
		    "INSERT INTO audit_log SELECT 4, time_ms, request_id, client_identity, "
		    "technician, workshop, vin, op, decision, rule, reason, token_id, client_addr, "
		    "(SELECT row_hash FROM audit_log WHERE seq = 3), randomblob(32), row_version, "
		    "work_order, request_reason, nonce, ckpt_rows FROM audit_log WHERE seq = 2;");
	expect_fault(NULL, AUDIT_FAULT_ROW_HASH, 4);
	rechain_upto(4);   /* the forged row now hashes right; the next row still points past it */
	expect_fault(NULL, AUDIT_FAULT_PREV_HASH, 5);
}

Test(audit_verify, REQ_AUD_035_rewritten_chain_fails_the_signed_checkpoint)
{
	aut_fill(db, 12, &key, 5);
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET op = 'key.learn' WHERE seq = 2");
	rechain();
	expect_fault(key.pub, AUDIT_FAULT_CKPT_HEAD, 5);
}

Test(audit_verify, REQ_AUD_036_truncated_tail_after_checkpoint_is_named)
{
	aut_fill(db, 12, &key, 5);
	aut_drop_guards(db);
	aut_sql(db, "DELETE FROM audit_log WHERE seq > 8");
	expect_fault(key.pub, AUDIT_FAULT_CKPT_BEYOND_END, 9);
}

Test(audit_verify, REQ_AUD_037_forged_checkpoint_signature_is_named)
{
	aut_fill(db, 12, &key, 5);
	aut_drop_guards(db);
	/* Replace the second checkpoint's signature with forged bytes. */
	aut_sql(db, "UPDATE checkpoints SET signature = randomblob(64) WHERE id = 2");
	expect_fault(key.pub, AUDIT_FAULT_CKPT_SIG, 10);
	expect_fault(NULL, AUDIT_FAULT_CKPT_SIG, 10);
}

Test(audit_verify, REQ_AUD_038_checkpoints_resigned_with_another_key_need_pubkey)
{
	struct aut_key evil;
	struct audit_verify_report rep;
	struct audit *a = NULL;
	struct audit_record rec;

	aut_fill(db, 6, &key, 5);
	aut_drop_guards(db);
	aut_sql(db, "DELETE FROM checkpoints");
	/* ... and erases the rows' memory of them (else checkpoint_missing, REQ-AUD-102). */
	aut_sql(db, "UPDATE audit_log SET op = 'ignition.enable' WHERE seq = 2;"
		    "UPDATE audit_log SET ckpt_rows = 0");
	rechain();
	/* The attacker signs fresh checkpoints with a key of their own. */
	aut_key_new(&evil);
	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &evil, evil.pub, 1, 0), 0);
	aut_record(&rec, 7);
	cr_assert_eq(audit_append(a, &rec, NULL), 0);
	audit_close(a);
	/* Self-consistent without an anchor: that is why --pubkey exists. */
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	expect_fault(key.pub, AUDIT_FAULT_CKPT_KEY, 7);
	aut_key_free(&evil);
}

Test(audit_verify, REQ_AUD_039_malformed_column_is_named)
{
	aut_fill(db, 4, NULL, 0);
	aut_drop_guards(db);
	aut_sql(db, "PRAGMA ignore_check_constraints = ON;"
		    "UPDATE audit_log SET prev_hash = x'00' WHERE seq = 2");
	expect_fault(NULL, AUDIT_FAULT_ROW_FORMAT, 2);
}

Test(audit_verify, REQ_AUD_040_missing_or_foreign_file_is_an_error_not_tampering)
{
	struct audit_verify_report rep;
	char other[1100];

	cr_assert_eq(audit_verify(db, NULL, &rep), PL_E_NOENT);
	aut_path(other, sizeof(other), dir, "other.db");
	{
		sqlite3 *h = NULL;

		cr_assert_eq(sqlite3_open(other, &h), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	cr_assert_eq(audit_verify(other, NULL, &rep), PL_E_AUDIT_NOT_AUDIT_DB);
}

Test(audit_verify, REQ_AUD_041_rows_after_last_checkpoint_are_reported_uncovered)
{
	struct audit_verify_report rep;

	aut_fill(db, 7, &key, 5);      /* checkpoints at 5 and 7 */
	{
		struct audit *a = NULL;
		struct audit_record rec;

		cr_assert_eq(audit_open(db, &a), 0);
		for (unsigned i = 8; i <= 10; i++) {
			aut_record(&rec, i);
			cr_assert_eq(audit_append(a, &rec, NULL), 0);
		}
		audit_close(a);
	}
	cr_assert_eq(audit_verify(db, key.pub, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 10);
	cr_assert_eq(rep.covered, 7);
}
