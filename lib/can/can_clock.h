/* Monotonic time for timeouts inside lib/can (private). */
#ifndef PITLANE_CAN_CLOCK_H
#define PITLANE_CAN_CLOCK_H

#include <stdint.h>

/* Microseconds since an arbitrary point (CLOCK_MONOTONIC). */
uint64_t can_clock_us(void);
/* Milliseconds left until deadline_us (0 when passed), clamped to INT_MAX. */
int can_clock_left_ms(uint64_t deadline_us);
/* Sleeps until deadline_us (absolute, CLOCK_MONOTONIC). */
void can_clock_sleep_until(uint64_t deadline_us);

#endif
