/* Challenge issue, expiry and single use (vehicle/ecu_challenge.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "ecu_challenge.h"
#include "pl_err.h"

static int counting_rng(void *ctx, uint8_t *buf, size_t len)
{
	uint8_t *next = ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = (*next)++;
	return 0;
}

static int failing_rng(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return PL_E_IO;
}

Test(ecu_challenge, REQ_ECU_013_issue_then_take_once)
{
	struct ecu_challenge c;
	uint8_t seed = 0, out[PLT_CNONCE_MAX];
	size_t len = 0;
	uint64_t issued = 0;

	memset(&c, 0, sizeof(c));
	cr_assert_eq(ecu_challenge_issue(&c, 20, 500, 1000, counting_rng, &seed), 0);
	cr_assert_eq(ecu_challenge_take(&c, 1500, out, &len, &issued), 0);
	cr_assert_eq(len, 20);
	cr_assert_eq(issued, 500);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[19], 19);
	cr_assert_eq(ecu_challenge_take(&c, 1500, out, &len, &issued), PL_E_NOTFOUND);
}

Test(ecu_challenge, REQ_ECU_012_expired_challenge_is_void_and_gone)
{
	struct ecu_challenge c;
	uint8_t seed = 0, out[PLT_CNONCE_MAX];
	size_t len = 99;
	uint64_t issued = 99;

	memset(&c, 0, sizeof(c));
	cr_assert_eq(ecu_challenge_issue(&c, 16, 0, 1000, counting_rng, &seed), 0);
	cr_assert_eq(ecu_challenge_take(&c, 1001, out, &len, &issued), PL_E_TIMEOUT);
	cr_assert_eq(len, 99, "outputs untouched on failure");
	cr_assert_eq(issued, 99);
	cr_assert_eq(ecu_challenge_take(&c, 0, out, &len, &issued), PL_E_NOTFOUND);
}

Test(ecu_challenge, REQ_ECU_013_length_outside_16_32_and_rng_failure_leave_none)
{
	struct ecu_challenge c;
	uint8_t seed = 0, out[PLT_CNONCE_MAX];
	size_t len;
	uint64_t issued;

	memset(&c, 0, sizeof(c));
	cr_assert_eq(ecu_challenge_issue(&c, 15, 0, 10, counting_rng, &seed), PL_E_INVAL);
	cr_assert_eq(ecu_challenge_issue(&c, 33, 0, 10, counting_rng, &seed), PL_E_INVAL);
	cr_assert_eq(ecu_challenge_issue(&c, 16, 0, 10, failing_rng, NULL), PL_E_IO);
	cr_assert_eq(ecu_challenge_take(&c, 0, out, &len, &issued), PL_E_NOTFOUND);
}

Test(ecu_challenge, REQ_ECU_013_getrandom_gives_different_challenges)
{
	struct ecu_challenge a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert_eq(ecu_challenge_issue(&a, 32, 0, 10, ecu_random_getrandom, NULL), 0);
	cr_assert_eq(ecu_challenge_issue(&b, 32, 0, 10, ecu_random_getrandom, NULL), 0);
	cr_assert_neq(memcmp(a.bytes, b.bytes, 32), 0);
}
