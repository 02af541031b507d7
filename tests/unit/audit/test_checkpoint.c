/* broker/audit/checkpoint.c and the checkpoint schedule in store.c. */
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

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

TestSuite(audit_checkpoint, .init = setup, .fini = teardown);

static void append_n(struct audit *a, unsigned from, unsigned to)
{
	struct audit_record rec;

	for (unsigned i = from; i <= to; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, NULL), 0);
	}
}

static int failing_sign(void *ctx, uint64_t n, const uint8_t head[32], uint8_t sig[64])
{
	(*(unsigned *)ctx)++;
	return PL_E_AUDIT_SIGN;
}

Test(audit_checkpoint, REQ_AUD_050_message_bytes_are_exact)
{
	uint8_t head[AUDIT_HASH_LEN], msg[AUDIT_CHECKPOINT_MSG_LEN];
	static const uint8_t count_be[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	cr_assert_eq(AUDIT_CHECKPOINT_MSG_LEN, 67);
	memset(head, 0xaa, sizeof(head));
	audit_checkpoint_message(0x0102030405060708ULL, head, msg);
	cr_assert_eq(memcmp(msg, "pitlane-audit-checkpoint-v1", 27), 0);
	cr_assert_eq(memcmp(msg + 27, count_be, 8), 0);
	cr_assert_eq(memcmp(msg + 35, head, 32), 0);
}

Test(audit_checkpoint, REQ_AUD_051_signature_verifies_only_for_its_message)
{
	uint8_t head[AUDIT_HASH_LEN], sig[AUDIT_SIG_LEN], other[AUDIT_PUB_LEN];
	struct aut_key k2;

	memset(head, 0x5c, sizeof(head));
	cr_assert_eq(aut_sign(&key, 42, head, sig), 0);
	cr_assert_eq(audit_checkpoint_verify(key.pub, 42, head, sig), 0);
	cr_assert_eq(audit_checkpoint_verify(key.pub, 43, head, sig), PL_E_AUDIT_TAMPERED);
	head[31] ^= 1;
	cr_assert_eq(audit_checkpoint_verify(key.pub, 42, head, sig), PL_E_AUDIT_TAMPERED);
	head[31] ^= 1;
	aut_key_new(&k2);
	cr_assert_eq(audit_checkpoint_verify(k2.pub, 42, head, sig), PL_E_AUDIT_TAMPERED);
	aut_key_free(&k2);
	memset(other, 0x11, sizeof(other));
	other[0] = 0x04;
	cr_assert_eq(audit_checkpoint_verify(other, 42, head, sig), PL_E_BADKEY);
}

Test(audit_checkpoint, REQ_AUD_052_checkpoint_every_n_rows_and_at_close)
{
	struct audit *a = NULL;
	struct audit_stats st;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 10, 0), 0);
	append_n(a, 1, 35);
	audit_get_stats(a, &st);
	cr_assert_eq(st.checkpoints, 3);
	cr_assert_eq(st.last_checkpoint_err, 0);
	cr_assert_eq(key.calls, 3);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 4);
	cr_assert_eq(aut_sql_int(db, "SELECT sum(row_count) FROM checkpoints"), 10 + 20 + 30 + 35);
}

Test(audit_checkpoint, REQ_AUD_053_checkpoint_after_t_seconds)
{
	struct audit *a = NULL;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 0, 1), 0);
	append_n(a, 1, 1);
	cr_assert_eq(key.calls, 0, "checkpoint before T elapsed");
	usleep(1100 * 1000);
	append_n(a, 2, 2);
	usleep(1200 * 1000);
	/* Within 2T of its commit every row is covered, with one checkpoint per T at most. */
	cr_assert_eq(aut_sql_int(db, "SELECT max(row_count) FROM checkpoints"), 2);
	cr_assert_leq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 2);
	cr_assert_eq(audit_set_checkpoint_signer(a, NULL, NULL, NULL, 0, 0), 0);
	audit_close(a);
}

Test(audit_checkpoint, REQ_AUD_058_timer_signs_the_tail_when_traffic_stops)
{
	struct audit *a = NULL;
	struct audit_stats st;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 1000, 1), 0);
	append_n(a, 1, 3);
	cr_assert_eq(key.calls, 0);
	usleep(2300 * 1000);             /* no appends: only the timer can sign */
	audit_get_stats(a, &st);
	cr_assert_eq(st.checkpoints, 1);
	cr_assert_eq(key.calls, 1, "timer signed %u times for one uncovered tail", key.calls);
	cr_assert_eq(aut_sql_int(db, "SELECT row_count FROM checkpoints"), 3);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 1);
}

Test(audit_checkpoint, REQ_AUD_054_failing_signer_does_not_fail_appends)
{
	struct audit *a = NULL;
	struct audit_stats st;
	unsigned calls = 0;
	uint64_t id = 0;
	struct audit_record rec;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_set_checkpoint_signer(a, failing_sign, &calls, key.pub, 2, 0), 0);
	append_n(a, 1, 3);
	aut_record(&rec, 4);
	cr_assert_eq(audit_append(a, &rec, &id), 0);
	cr_assert_eq(id, 4);
	audit_get_stats(a, &st);
	cr_assert_eq(st.last_checkpoint_err, PL_E_AUDIT_SIGN);
	cr_assert_eq(st.checkpoints, 0);
	cr_assert_geq(calls, 2);
	/* The HSM comes back: the next checkpoint covers everything. */
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 2, 0), 0);
	cr_assert_eq(audit_checkpoint(a), 0);
	audit_get_stats(a, &st);
	cr_assert_eq(st.last_checkpoint_err, 0);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints WHERE row_count = 4"), 1);
}

Test(audit_checkpoint, REQ_AUD_055_signature_from_the_wrong_key_is_not_stored)
{
	struct audit *a = NULL;
	struct audit_stats st;
	struct aut_key k2;

	aut_key_new(&k2);
	cr_assert_eq(audit_open(db, &a), 0);
	/* Signs with k2 but claims key's public key. */
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &k2, key.pub, 1, 0), 0);
	append_n(a, 1, 2);
	audit_get_stats(a, &st);
	cr_assert_eq(st.last_checkpoint_err, PL_E_AUDIT_SIGN);
	cr_assert_eq(audit_set_checkpoint_signer(a, NULL, NULL, NULL, 0, 0), 0);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 0);
	aut_key_free(&k2);
}

Test(audit_checkpoint, REQ_AUD_056_forced_checkpoint_and_argument_checks)
{
	struct audit *a = NULL;

	cr_assert_eq(audit_open(db, &a), 0);
	cr_assert_eq(audit_checkpoint(a), PL_E_AUDIT_NO_SIGNER);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, NULL, 1, 0), PL_E_INVAL);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 0, 0), PL_E_INVAL);
	cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, &key, key.pub, 1000, 0), 0);
	cr_assert_eq(audit_checkpoint(a), 0);           /* empty log: nothing to sign */
	cr_assert_eq(key.calls, 0);
	append_n(a, 1, 3);
	cr_assert_eq(audit_checkpoint(a), 0);
	cr_assert_eq(audit_checkpoint(a), 0);           /* already covered: no second one */
	cr_assert_eq(key.calls, 1);
	audit_close(a);
	cr_assert_eq(aut_sql_int(db, "SELECT count(*) FROM checkpoints"), 1);
}
