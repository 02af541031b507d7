/*
 * Failed-attempt counter and lockout for token verification (UDS 0x29 06).
 *
 * Every token that fails verification counts. The failure that reaches the
 * limit is answered with NRC 0x36 (exceededNumberOfAttempts) and starts the
 * lockout: until the delay has passed, 29 05 and 29 06 get NRC 0x37
 * (requiredTimeDelayNotExpired) and no token is even looked at. When the delay
 * has passed the counter stands at max - 1: one more attempt, and a failure
 * locks again. A verified token resets the counter to 0.
 *
 * The counter is persisted by the caller (struct ecu_vehicle). Restoring a
 * counter at the limit starts a full lockout from the restore time, so a reset
 * does not shorten the delay.
 */
#ifndef PITLANE_ECU_ATTEMPTS_H
#define PITLANE_ECU_ATTEMPTS_H

#include <stdint.h>

struct ecu_attempts {
	uint32_t max;        /* attempts allowed before the lockout (>= 1) */
	uint32_t lockout_ms; /* the delay */
	uint32_t failed;     /* failures since the last success */
	int locked;
	uint64_t until_ms; /* monotonic end of the lockout */
};

/* Sets limits and restores a persisted failure count (clamped to max). */
void ecu_attempts_init(struct ecu_attempts *a, uint32_t max, uint32_t lockout_ms, uint32_t failed,
                       uint64_t now_ms);
/*
 * Nonzero while the delay runs. Ends an elapsed lockout (the counter then
 * stands at max - 1); *changed (if not NULL) is set to 1 when that happened.
 */
int ecu_attempts_locked(struct ecu_attempts *a, uint64_t now_ms, int *changed);
/* Milliseconds left of the delay (0 when not locked). */
uint64_t ecu_attempts_left_ms(const struct ecu_attempts *a, uint64_t now_ms);
/* Counts a failure; returns 1 when it reached the limit (lockout started). */
int ecu_attempts_fail(struct ecu_attempts *a, uint64_t now_ms);
/* A verified token: the counter goes back to 0. */
void ecu_attempts_success(struct ecu_attempts *a);

#endif
