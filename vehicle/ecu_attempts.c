#include <stddef.h>

#include "ecu_attempts.h"

void ecu_attempts_init(struct ecu_attempts *a, uint32_t max, uint32_t lockout_ms, uint32_t failed,
                       uint64_t now_ms)
{
	a->max = max > 0 ? max : 1;
	a->lockout_ms = lockout_ms;
	a->failed = failed > a->max ? a->max : failed;
	a->locked = 0;
	a->until_ms = 0;
	if (a->failed >= a->max) {
		a->locked = 1;
		a->until_ms = now_ms + lockout_ms;
	}
}

int ecu_attempts_locked(struct ecu_attempts *a, uint64_t now_ms, int *changed)
{
	if (changed != NULL)
		*changed = 0;
	if (a->locked && now_ms >= a->until_ms) {
		a->locked = 0;
		a->until_ms = 0;
		a->failed = a->max - 1;
		if (changed != NULL)
			*changed = 1;
	}
	return a->locked;
}

uint64_t ecu_attempts_left_ms(const struct ecu_attempts *a, uint64_t now_ms)
{
	if (!a->locked || now_ms >= a->until_ms)
		return 0;
	return a->until_ms - now_ms;
}

int ecu_attempts_fail(struct ecu_attempts *a, uint64_t now_ms)
{
	if (a->failed < a->max)
		a->failed++;
	if (a->failed < a->max)
		return 0;
	a->locked = 1;
	a->until_ms = now_ms + a->lockout_ms;
	return 1;
}

void ecu_attempts_success(struct ecu_attempts *a)
{
	a->failed = 0;
	a->locked = 0;
	a->until_ms = 0;
}
