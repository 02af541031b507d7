/* The failed-attempt counter and lockout (vehicle/ecu_attempts.c). */
#include <criterion/criterion.h>

#include "ecu_attempts.h"

Test(ecu_attempts, REQ_ECU_014_limit_starts_the_lockout_for_exactly_the_delay)
{
	struct ecu_attempts a;
	int changed = -1;

	ecu_attempts_init(&a, 3, 1000, 0, 100);
	cr_assert_eq(ecu_attempts_fail(&a, 100), 0);
	cr_assert_eq(ecu_attempts_fail(&a, 100), 0);
	cr_assert_eq(ecu_attempts_locked(&a, 100, &changed), 0);
	cr_assert_eq(changed, 0);
	cr_assert_eq(ecu_attempts_fail(&a, 200), 1);
	cr_assert_eq(ecu_attempts_locked(&a, 1199, &changed), 1);
	cr_assert_eq(ecu_attempts_left_ms(&a, 1199), 1);
	cr_assert_eq(ecu_attempts_locked(&a, 1200, &changed), 0);
	cr_assert_eq(changed, 1);
	cr_assert_eq(a.failed, 2, "one attempt left after the delay");
	cr_assert_eq(ecu_attempts_fail(&a, 1300), 1, "and one failure locks again");
}

Test(ecu_attempts, REQ_ECU_015_success_resets_the_counter)
{
	struct ecu_attempts a;

	ecu_attempts_init(&a, 2, 1000, 0, 0);
	cr_assert_eq(ecu_attempts_fail(&a, 0), 0);
	ecu_attempts_success(&a);
	cr_assert_eq(a.failed, 0);
	cr_assert_eq(ecu_attempts_fail(&a, 0), 0);
	cr_assert_eq(ecu_attempts_fail(&a, 0), 1);
}

Test(ecu_attempts, REQ_ECU_016_restored_count_at_the_limit_locks_from_restore_time)
{
	struct ecu_attempts a;

	ecu_attempts_init(&a, 3, 5000, 7, 42);
	cr_assert_eq(a.failed, 3, "clamped to the limit");
	cr_assert_eq(ecu_attempts_locked(&a, 42, NULL), 1);
	cr_assert_eq(ecu_attempts_left_ms(&a, 42), 5000);
	cr_assert_eq(ecu_attempts_locked(&a, 5042, NULL), 0);
	ecu_attempts_init(&a, 3, 5000, 2, 0);
	cr_assert_eq(ecu_attempts_locked(&a, 0, NULL), 0);
	cr_assert_eq(ecu_attempts_fail(&a, 0), 1);
}

Test(ecu_attempts, REQ_ECU_014_counter_saturates_and_max_zero_means_one)
{
	struct ecu_attempts a;

	ecu_attempts_init(&a, 0, 10, 0, 0);
	cr_assert_eq(a.max, 1);
	cr_assert_eq(ecu_attempts_fail(&a, 0), 1);
	cr_assert_eq(ecu_attempts_fail(&a, 1), 1);
	cr_assert_eq(a.failed, 1);
}
