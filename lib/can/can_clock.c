/* Monotonic time for timeouts inside lib/can. */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "can_clock.h"

uint64_t can_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int can_clock_left_ms(uint64_t deadline_us)
{
	uint64_t now = can_clock_us();
	uint64_t left;

	if (now >= deadline_us)
		return 0;
	/* Round up so a wait never ends before the deadline. */
	left = (deadline_us - now + 999u) / 1000u;
	return left > INT_MAX ? INT_MAX : (int)left;
}

void can_clock_sleep_until(uint64_t deadline_us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline_us / 1000000u);
	ts.tv_nsec = (long)(deadline_us % 1000000u) * 1000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
