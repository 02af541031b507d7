/* The routine catalogue (vehicle/ecu_routine.c): fixed ids and names. */
#include <criterion/criterion.h>
#include <string.h>

#include "ecu_routine.h"

Test(ecu_routine, REQ_ECU_035_catalogue_ids_and_scopes_are_the_project_values)
{
	static const struct {
		uint16_t id;
		const char *op;
	} want[] = {
		{ 0xF001, "door.unlock" },     { 0xF002, "door.lock" }, { 0xF003, "ignition.enable" },
		{ 0xF004, "key.learn" },       { 0xF005, "dtc.clear" },
	};

	cr_assert_eq(ecu_routine_count(), 5);
	for (size_t i = 0; i < 5; i++) {
		const struct ecu_routine *r = ecu_routine_by_id(want[i].id);
		cr_assert_not_null(r, "0x%04X", want[i].id);
		cr_assert_str_eq(r->op, want[i].op);
		cr_assert_eq(ecu_routine_by_op((const uint8_t *)want[i].op, strlen(want[i].op)), r);
		cr_assert_eq(ecu_routine_at(i), r, "table order");
	}
	cr_assert_null(ecu_routine_at(5));
	cr_assert_null(ecu_routine_by_id(0xF006));
	cr_assert_null(ecu_routine_by_op((const uint8_t *)"door.unlock", 4));
	cr_assert_null(ecu_routine_by_op((const uint8_t *)"door.unlockX", 12));
}

Test(ecu_routine, REQ_ECU_002_routines_act_on_the_vehicle)
{
	struct ecu_vehicle v;

	ecu_vehicle_init(&v);
	cr_assert_eq(ecu_routine_by_id(0xF001)->run(&v), 0);
	cr_assert_eq(v.doors_locked, 0);
	cr_assert_eq(ecu_routine_by_id(0xF002)->run(&v), 0);
	cr_assert_eq(v.doors_locked, 1);
	cr_assert_eq(ecu_routine_by_id(0xF003)->run(&v), 0);
	cr_assert_eq(v.ignition_on, 1);
	cr_assert_eq(ecu_routine_by_id(0xF004)->run(&v), 0);
	cr_assert_eq(v.key_learn_count, 1);
	v.key_learn_count = UINT32_MAX;
	cr_assert_eq(ecu_routine_by_id(0xF004)->run(&v), 0);
	cr_assert_eq(v.key_learn_count, UINT32_MAX, "saturates");
	cr_assert_eq(ecu_routine_by_id(0xF005)->run(&v), 0);
	cr_assert_eq(v.ndtc, 0);
}
