/* Helpers shared by the lib/can unit tests. */
#ifndef PITLANE_CAN_TEST_UTIL_H
#define PITLANE_CAN_TEST_UTIL_H

#include <stdint.h>

#include "can_transport.h"

/* Points PITLANE_CANBUS_DIR at a fresh mkdtemp directory (per test) and returns it. */
const char *ctu_bus_dir(void);
/* Removes the directory made by ctu_bus_dir() (and what is left in it). */
void ctu_bus_dir_remove(void);
/* Opens loop:NAME receiving only rx_id (0xFFFFFFFF = every id); asserts success. */
struct can_transport *ctu_open_loop(const char *name, uint32_t rx_id);
/* Fills buf with a pattern depending on seed. */
void ctu_pattern(uint8_t *buf, size_t len, unsigned seed);
/* Monotonic milliseconds. */
uint64_t ctu_now_ms(void);

#endif
