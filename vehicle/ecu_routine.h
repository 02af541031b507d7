/*
 * The routine catalogue: the one table of the operations this ECU runs with
 * UDS 0x31 RoutineControl, their 16-bit routine ids and the token scope
 * (operation name) that authorises each. The broker's policy catalogue uses
 * the same ids and names (docs/vehicle.md).
 */
#ifndef PITLANE_ECU_ROUTINE_H
#define PITLANE_ECU_ROUTINE_H

#include <stddef.h>
#include <stdint.h>

#include "ecu_vehicle.h"

#define ECU_RID_DOOR_UNLOCK 0xF001
#define ECU_RID_DOOR_LOCK 0xF002
#define ECU_RID_IGNITION_ENABLE 0xF003
#define ECU_RID_KEY_LEARN 0xF004
#define ECU_RID_DTC_CLEAR 0xF005

struct ecu_routine {
	uint16_t id;
	const char *op; /* the token scope that authorises it, e.g. "door.unlock" */
	/* Acts on the vehicle; returns 0 or a UDS NRC (conditions not correct...). */
	uint8_t (*run)(struct ecu_vehicle *v);
};

/* The routine with this id, or NULL. */
const struct ecu_routine *ecu_routine_by_id(uint16_t id);
/* The routine authorised by scope op[0..len), or NULL (not NUL-terminated). */
const struct ecu_routine *ecu_routine_by_op(const uint8_t *op, size_t len);
/* Iteration over the catalogue: ecu_routine_at(i) for i < ecu_routine_count(). */
size_t ecu_routine_count(void);
const struct ecu_routine *ecu_routine_at(size_t i);

#endif
