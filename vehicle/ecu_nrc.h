/*
 * Token verification failure -> UDS negative response code: the one table.
 *
 * plt_verify() gives a precise PLT_E_* code; the tester only sees the NRC
 * (0x50..0x56 authentication NRCs of ISO 14229-1:2020). The precise code goes
 * to the ECU's log; docs/vehicle.md lists the mapping.
 */
#ifndef PITLANE_ECU_NRC_H
#define PITLANE_ECU_NRC_H

#include <stdint.h>

/* The NRC answering a 29 06 whose token failed with err (a PLT_E_* code).
 * Codes not in the table (binding failures) get 0x10 generalReject. */
uint8_t ecu_nrc_for_token_error(int err);

#endif
