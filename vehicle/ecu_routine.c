#include <string.h>

#include "ecu_routine.h"

static uint8_t run_door_unlock(struct ecu_vehicle *v)
{
	v->doors_locked = 0;
	return 0;
}

static uint8_t run_door_lock(struct ecu_vehicle *v)
{
	v->doors_locked = 1;
	return 0;
}

static uint8_t run_ignition_enable(struct ecu_vehicle *v)
{
	v->ignition_on = 1;
	return 0;
}

static uint8_t run_key_learn(struct ecu_vehicle *v)
{
	/* A saturating counter: a simulator must not wrap to "no keys". */
	if (v->key_learn_count < UINT32_MAX)
		v->key_learn_count++;
	return 0;
}

static uint8_t run_dtc_clear(struct ecu_vehicle *v)
{
	memset(v->dtc, 0, sizeof(v->dtc));
	v->ndtc = 0;
	return 0;
}

static const struct ecu_routine catalogue[] = {
    {ECU_RID_DOOR_UNLOCK, "door.unlock", run_door_unlock},
    {ECU_RID_DOOR_LOCK, "door.lock", run_door_lock},
    {ECU_RID_IGNITION_ENABLE, "ignition.enable", run_ignition_enable},
    {ECU_RID_KEY_LEARN, "key.learn", run_key_learn},
    {ECU_RID_DTC_CLEAR, "dtc.clear", run_dtc_clear},
};

#define CATALOGUE_LEN (sizeof(catalogue) / sizeof(catalogue[0]))

const struct ecu_routine *ecu_routine_by_id(uint16_t id)
{
	for (size_t i = 0; i < CATALOGUE_LEN; i++)
		if (catalogue[i].id == id)
			return &catalogue[i];
	return NULL;
}

const struct ecu_routine *ecu_routine_by_op(const uint8_t *op, size_t len)
{
	for (size_t i = 0; i < CATALOGUE_LEN; i++)
		if (strlen(catalogue[i].op) == len && memcmp(catalogue[i].op, op, len) == 0)
			return &catalogue[i];
	return NULL;
}

size_t ecu_routine_count(void)
{
	return CATALOGUE_LEN;
}

const struct ecu_routine *ecu_routine_at(size_t i)
{
	return i < CATALOGUE_LEN ? &catalogue[i] : NULL;
}
