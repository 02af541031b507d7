/*
 * The simulated vehicle: what the routines act on and what survives a reset.
 *
 * Doors, ignition, the key-learn counter, the stored DTCs and the failed
 * authentication attempt counter. The attempt counter is persisted with the
 * rest so that a reset (or a power cut) never gives an attacker a fresh set of
 * attempts; see docs/vehicle.md.
 */
#ifndef PITLANE_ECU_VEHICLE_H
#define PITLANE_ECU_VEHICLE_H

#include <stddef.h>
#include <stdint.h>

#define ECU_DTC_MAX 16
/* DTC status byte reported for stored codes: testFailed | confirmedDTC. */
#define ECU_DTC_STATUS 0x09
/* Status bits this ECU supports (DTCStatusAvailabilityMask in 59 02). */
#define ECU_DTC_AVAILABILITY 0x09

struct ecu_vehicle {
	int doors_locked;         /* 1 locked, 0 unlocked */
	int ignition_on;          /* 1 on, 0 off */
	uint32_t key_learn_count; /* keys learned so far */
	uint32_t failed_attempts; /* bad tokens since the last good one (persisted) */
	size_t ndtc;
	uint32_t dtc[ECU_DTC_MAX]; /* 3-byte UDS DTC: 2 bytes SAE J2012 + failure type */
};

/* Factory state: doors locked, ignition off, no keys learned, two stored DTCs. */
void ecu_vehicle_init(struct ecu_vehicle *v);

/*
 * DTC text form "P0300" (SAE J2012, failure type byte 00) <-> 3-byte value.
 * ecu_dtc_parse() reads exactly 5 characters; ecu_dtc_format() writes 5
 * characters and a NUL (out must hold 6 bytes). Only failure type 00 is
 * representable in text; ecu_dtc_format() returns PL_E_RANGE otherwise.
 */
int ecu_dtc_parse(const char *s, size_t len, uint32_t *dtc);
int ecu_dtc_format(uint32_t dtc, char out[6]);

#endif
