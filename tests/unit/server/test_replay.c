/* Replay cache: REQ-BRK-130..REQ-BRK-132, REQ-BRK-208, REQ-BRK-265 (docs/broker.md). */
#include <criterion/criterion.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "replay.h"

static void nonce_of(uint32_t i, uint8_t n[REPLAY_NONCE_LEN])
{
	memset(n, 0xa5, REPLAY_NONCE_LEN);
	memcpy(n, &i, sizeof(i));
}

Test(replay, REQ_BRK_130_second_use_refused)
{
	struct replay *rc;
	uint8_t n[REPLAY_NONCE_LEN];

	cr_assert_eq(replay_new(16, &rc), 0);
	nonce_of(1, n);
	cr_assert_eq(replay_check_insert(rc, n, 1000, 1120), 0);
	cr_assert_eq(replay_check_insert(rc, n, 1001, 1121), PL_E_SRV_REPLAY);
	cr_assert_eq(replay_check_insert(rc, n, 1120, 1240), PL_E_SRV_REPLAY);
	nonce_of(2, n);
	cr_assert_eq(replay_check_insert(rc, n, 1001, 1121), 0);
	cr_assert_eq(replay_count(rc), 2);
	replay_free(rc);
}

Test(replay, REQ_BRK_131_full_cache_fails_closed_then_expires)
{
	struct replay *rc;
	uint8_t n[REPLAY_NONCE_LEN];

	cr_assert_eq(replay_new(100, &rc), 0);
	for (uint32_t i = 0; i < 100; i++) {
		nonce_of(i, n);
		cr_assert_eq(replay_check_insert(rc, n, 1000, 1100), 0);
	}
	nonce_of(1000, n);
	cr_assert_eq(replay_check_insert(rc, n, 1050, 1150), PL_E_SRV_REPLAY_FULL);
	/* Still remembered while not expired. */
	nonce_of(42, n);
	cr_assert_eq(replay_check_insert(rc, n, 1100, 1200), PL_E_SRV_REPLAY);
	/* After expiry the slots free up and old nonces are forgotten. */
	nonce_of(1000, n);
	cr_assert_eq(replay_check_insert(rc, n, 1101, 1201), 0);
	cr_assert_eq(replay_count(rc), 1);
	replay_free(rc);
}

Test(replay, REQ_BRK_132_many_entries_through_the_ring)
{
	struct replay *rc;
	uint8_t n[REPLAY_NONCE_LEN];

	cr_assert_eq(replay_new(1000, &rc), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		nonce_of(i, n);
		/* One new nonce a second, remembered for 500 s. */
		cr_assert_eq(replay_check_insert(rc, n, 10000 + i, 10500 + i), 0, "i=%u", i);
		if (i >= 10) {
			nonce_of(i - 10, n);
			cr_assert_eq(replay_check_insert(rc, n, 10000 + i, 10500 + i),
				     PL_E_SRV_REPLAY);
		}
	}
	cr_assert_leq(replay_count(rc), 501);
	replay_free(rc);
	cr_assert_eq(replay_new(0, &rc), PL_E_INVAL);
	replay_free(NULL);
}

Test(replay, REQ_BRK_208_seen_looks_without_remembering)
{
	struct replay *rc;
	uint8_t n[REPLAY_NONCE_LEN];

	cr_assert_eq(replay_new(64, &rc), 0);
	/* a refused request only looks: a thousand looks take no room */
	for (uint32_t i = 0; i < 1000; i++) {
		nonce_of(i, n);
		cr_assert_eq(replay_seen(rc, n, 1000), 0);
	}
	cr_assert_eq(replay_count(rc), 0);
	nonce_of(7, n);
	cr_assert_eq(replay_check_insert(rc, n, 1000, 1120), 0);
	cr_assert_eq(replay_seen(rc, n, 1001), PL_E_SRV_REPLAY);
	cr_assert_eq(replay_seen(rc, n, 1121), 0, "expired at 1120");
	cr_assert_eq(replay_count(rc), 0);
	replay_free(rc);
}

/* REQ-BRK-265: the start-up preload takes nonces a cache already holds, keeps them
 * until their expiry like any other entry, and fails closed when full. */
Test(replay, REQ_BRK_265_preload_from_the_audit_log)
{
	struct replay *rc;
	uint8_t n[REPLAY_NONCE_LEN];

	cr_assert_eq(replay_new(2, &rc), 0);
	nonce_of(1, n);
	cr_assert_eq(replay_preload(rc, n, 1000, 1240), 0);
	cr_assert_eq(replay_preload(rc, n, 1000, 1240), 0);          /* twice in the log: fine */
	cr_assert_eq(replay_count(rc), 1);
	cr_assert_eq(replay_check_insert(rc, n, 1001, 1121), PL_E_SRV_REPLAY);
	nonce_of(2, n);
	cr_assert_eq(replay_preload(rc, n, 1000, 1100), 0);
	nonce_of(3, n);
	cr_assert_eq(replay_preload(rc, n, 1000, 1100), PL_E_SRV_REPLAY_FULL);
	cr_assert_eq(replay_preload(rc, n, 1241, 1300), 0);          /* the others expired */
	nonce_of(1, n);
	cr_assert_eq(replay_check_insert(rc, n, 1241, 1361), 0);
	replay_free(rc);
}
