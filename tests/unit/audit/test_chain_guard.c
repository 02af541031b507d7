/*
 * Issue 12 (docs/audit.md): old databases migrate and keep verifying, the
 * writer never signs a head that does not extend what it committed, rows
 * carry what verify needs to see a deleted checkpoint, and the nonces the
 * decider re-loads at start. REQ-AUD-101, REQ-AUD-106, REQ-AUD-109..111.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_test_util.h"
#include "migrations.h"
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

TestSuite(audit_chain_guard, .init = setup, .fini = teardown);

static void expect_fault(const uint8_t *pub, enum audit_fault f, uint64_t seq)
{
	struct audit_verify_report rep;
	int r = audit_verify(db, pub, &rep);

	cr_assert_eq(r, PL_E_AUDIT_TAMPERED, "verify returned %d (%s)", r, rep.detail);
	cr_assert_eq(rep.fault, f, "fault %s, expected %s: %s", audit_fault_name(rep.fault),
		     audit_fault_name(f), rep.detail);
	cr_assert_eq(rep.bad_seq, seq, "bad seq %llu: %s", (unsigned long long)rep.bad_seq,
		     rep.detail);
}

/* A file as pitlane wrote it before schema 0003: migrations 1..2, version-1 rows. */
static void write_schema2_file(unsigned nrows)
{
	uint8_t prev[AUDIT_HASH_LEN] = { 0 }, hash[AUDIT_HASH_LEN];
	struct audit_record rec;
	struct audit_row_view v;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, audit_migrations[0].sql, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, audit_migrations[1].sql, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "INSERT INTO audit_log (seq, time_ms, request_id, "
		"client_identity, technician, workshop, vin, op, decision, rule, reason, "
		"client_addr, token_id, prev_hash, row_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", -1, &st, NULL), SQLITE_OK);
	for (unsigned i = 1; i <= nrows; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_row_from_record(&rec, i, rec.time_ms, &v), 0);
		v.version = AUDIT_ROW_V1;
		cr_assert_eq(audit_row_hash(prev, &v, hash), 0);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, i);
		sqlite3_bind_int64(st, 2, rec.time_ms);
		for (int f = 0; f < AUDIT_F_COUNT; f++)
			sqlite3_bind_text(st, 3 + f, v.text[f], (int)v.text_len[f], SQLITE_TRANSIENT);
		if (v.token_id)
			sqlite3_bind_blob(st, 13, v.token_id, AUDIT_TOKEN_ID_LEN, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 13);
		sqlite3_bind_blob(st, 14, prev, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 15, hash, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(h));
		memcpy(prev, hash, AUDIT_HASH_LEN);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
}

Test(audit_chain_guard, REQ_AUD_101_schema2_file_migrates_and_old_rows_still_verify)
{
	struct audit_verify_report rep;

	write_schema2_file(4);
	/* the new verifier reads the old file as it is (no migration on a read) */
	cr_assert_eq(audit_verify(db, NULL, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 4);
	cr_assert_eq(aut_sql_int(db, "PRAGMA user_version"), 2);
	/* the broker opens it: the newest schema (3 added the row's columns), the chain goes on in version 2, signed */
	aut_fill(db, 0, NULL, 0);
	cr_assert_geq(aut_sql_int(db, "PRAGMA user_version"), 3);
	{
		struct audit *a = NULL;
		struct audit_record rec;

		cr_assert_eq(audit_open(db, &a), 0);
		cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 2, 0), 0);
		for (unsigned i = 5; i <= 7; i++) {
			aut_record(&rec, i);
			cr_assert_eq(audit_append(a, &rec, NULL), 0);
		}
		audit_close(a);
	}
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log WHERE row_version = 1"), 4);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM audit_log WHERE row_version = 2"), 3);
	cr_assert_eq(audit_verify(db, key.pub, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.rows, 7);
	cr_assert_eq(rep.covered, 7);
}

Test(audit_chain_guard, REQ_AUD_106_writer_never_signs_a_head_that_does_not_extend_its_own)
{
	struct audit *a = NULL;
	struct audit_record rec;
	struct audit_stats st;
	uint64_t id = 0;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 3, 0), 0);
	for (unsigned i = 1; i <= 5; i++) {     /* checkpoint at 3; rows 4, 5 unsigned */
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, NULL), 0);
	}
	/* someone with the file removes the unsigned tail (the chain alone stays intact) */
	aut_drop_guards(db);
	aut_sql(db, "DELETE FROM audit_log WHERE seq >= 4");
	audit_get_stats(a, &st);
	cr_assert_eq(st.chain_diverged, 0);
	cr_assert_eq(audit_checkpoint(a), PL_E_AUDIT_DIVERGED);
	audit_get_stats(a, &st);
	cr_assert_eq(st.chain_diverged, 1);
	cr_assert_eq(st.diverged_head, 3);
	/* decisions are still recorded, never signed */
	for (unsigned i = 6; i <= 9; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, &id), 0);
	}
	cr_assert_eq(id, 7);
	cr_assert_eq(audit_checkpoint(a), PL_E_AUDIT_DIVERGED);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT max(row_count) FROM checkpoints"), 3);
}

Test(audit_chain_guard, REQ_AUD_106_a_rewritten_row_before_the_head_is_seen_too)
{
	struct audit *a = NULL;
	struct audit_record rec;
	struct audit_stats st;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 100, 0), 0);
	for (unsigned i = 1; i <= 3; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, NULL), 0);
	}
	/* the head row (3) is replaced by a forged one with a fresh hash */
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET reason = 'nothing', row_hash = randomblob(32) "
		    "WHERE seq = 3");
	aut_record(&rec, 4);
	cr_assert_eq(audit_append(a, &rec, NULL), 0);   /* the row is kept ... */
	audit_get_stats(a, &st);
	cr_assert_eq(st.chain_diverged, 1);             /* ... the head is never signed */
	cr_assert_eq(st.last_checkpoint_err, PL_E_AUDIT_DIVERGED);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 0);
}

Test(audit_chain_guard, REQ_AUD_106_another_writer_extending_the_chain_is_fine)
{
	struct audit *a = NULL, *b = NULL;
	struct audit_record rec;
	struct audit_stats st;
	struct audit_verify_report rep;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 100, 0), 0);
	cr_assert_eq(audit_open(db, &b), 0);
	for (unsigned i = 1; i <= 6; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(i % 2 ? a : b, &rec, NULL), 0);
	}
	cr_assert_eq(audit_checkpoint(a), 0);
	audit_get_stats(a, &st);
	cr_assert_eq(st.chain_diverged, 0);
	audit_close(b);
	audit_close(a);
	cr_assert_eq(audit_verify(db, key.pub, &rep), 0, "%s", rep.detail);
	cr_assert_eq(rep.covered, 6);
}

Test(audit_chain_guard, REQ_AUD_110_store_opens_diverged_when_the_newest_checkpoint_is_rewritten)
{
	struct audit *a = NULL;
	struct audit_stats st;

	aut_fill(db, 6, &key, 3);
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET row_hash = randomblob(32) WHERE seq = 6");
	cr_assert_eq(audit_open(db, &a), 0);
	audit_get_stats(a, &st);
	cr_assert_eq(st.chain_diverged, 1);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 1, 0), 0);
	cr_assert_eq(audit_checkpoint(a), PL_E_AUDIT_DIVERGED);
	audit_close(a);
}

Test(audit_chain_guard, REQ_AUD_109_version1_rows_cannot_carry_unhashed_values)
{
	write_schema2_file(3);
	aut_fill(db, 0, NULL, 0);    /* migrate to 3 */
	aut_drop_guards(db);
	aut_sql(db, "UPDATE audit_log SET work_order = 'WO-forged' WHERE seq = 2");
	expect_fault(NULL, AUDIT_FAULT_ROW_FORMAT, 2);
}

Test(audit_chain_guard, REQ_AUD_109_version_never_goes_down_along_the_chain)
{
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	struct audit_record rec;
	struct audit_row_view v;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	aut_fill(db, 3, NULL, 0);
	/* row 3 rewritten as a well-hashed version-1 row after version-2 rows */
	aut_drop_guards(db);
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT prev_hash FROM audit_log WHERE seq = 3", -1,
					&st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(st, 0), AUDIT_HASH_LEN);
	sqlite3_finalize(st);
	aut_record(&rec, 3);
	memset(rec.work_order, 0, sizeof(rec.work_order));
	memset(rec.request_reason, 0, sizeof(rec.request_reason));
	rec.has_nonce = 0;
	cr_assert_eq(audit_row_from_record(&rec, 3, rec.time_ms, &v), 0);
	v.version = AUDIT_ROW_V1;
	cr_assert_eq(audit_row_hash(prev, &v, hash), 0);
	cr_assert_eq(sqlite3_prepare_v2(h, "UPDATE audit_log SET row_version = 1, work_order = '', "
		"request_reason = '', nonce = NULL, ckpt_rows = 0, row_hash = ?1 WHERE seq = 3", -1,
		&st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, hash, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
	cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(h));
	sqlite3_finalize(st);
	sqlite3_close(h);
	expect_fault(NULL, AUDIT_FAULT_ROW_FORMAT, 3);
}

struct seen {
	unsigned n;
	uint8_t first[AUDIT_NONCE_LEN];
	int64_t first_ms;
};

static int collect(void *ctx, const uint8_t nonce[AUDIT_NONCE_LEN], int64_t time_ms)
{
	struct seen *s = ctx;

	if (s->n++ == 0) {
		memcpy(s->first, nonce, AUDIT_NONCE_LEN);
		s->first_ms = time_ms;
	}
	return 0;
}

Test(audit_chain_guard, REQ_AUD_111_recent_nonces_come_back_in_order)
{
	struct audit *a = NULL;
	struct audit_record rec;
	struct seen s;

	aut_fill(db, 9, NULL, 0);    /* rows i % 3 != 0 have a nonce: 1 2 4 5 7 8 */
	cr_assert_eq(audit_open(db, &a), 0);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(audit_recent_nonces(a, 0, collect, &s), 0);
	cr_assert_eq(s.n, 6);
	memset(&s, 0, sizeof(s));
	aut_record(&rec, 4);
	cr_assert_eq(audit_recent_nonces(a, rec.time_ms, collect, &s), 0);   /* rows 4.. */
	cr_assert_eq(s.n, 4);
	cr_assert_eq(memcmp(s.first, rec.nonce, AUDIT_NONCE_LEN), 0);
	cr_assert_eq(s.first_ms, rec.time_ms);
	audit_close(a);
}
