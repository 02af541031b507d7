/* Vehicle factory state and DTC text form (vehicle/ecu_vehicle.c). */
#include <criterion/criterion.h>

#include "ecu_vehicle.h"
#include "pl_err.h"

Test(ecu_vehicle, REQ_ECU_036_factory_state)
{
	struct ecu_vehicle v;

	ecu_vehicle_init(&v);
	cr_assert_eq(v.doors_locked, 1);
	cr_assert_eq(v.ignition_on, 0);
	cr_assert_eq(v.failed_attempts, 0);
	cr_assert_eq(v.ndtc, 2);
	cr_assert_eq(v.dtc[0], 0x030000);
	cr_assert_eq(v.dtc[1], 0xC10000);
}

Test(ecu_vehicle, REQ_ECU_036_dtc_text_round_trip)
{
	static const struct {
		const char *text;
		uint32_t dtc;
	} v[] = {
		{ "P0300", 0x030000 }, { "U0100", 0xC10000 }, { "C1234", 0x523400 },
		{ "B3FFF", 0xBFFF00 }, { "P0000", 0x000000 },
	};
	char out[6];
	uint32_t d;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cr_assert_eq(ecu_dtc_parse(v[i].text, 5, &d), 0, "%s", v[i].text);
		cr_assert_eq(d, v[i].dtc, "%s -> %06X", v[i].text, d);
		cr_assert_eq(ecu_dtc_format(v[i].dtc, out), 0);
		cr_assert_str_eq(out, v[i].text);
	}
}

Test(ecu_vehicle, REQ_ECU_036_dtc_text_is_strict)
{
	const char *bad[] = { "X0300", "P4300", "P03g0", "p0300", "P030", "P03000" };
	uint32_t d = 7;
	char out[6];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 0;
		while (bad[i][n] != '\0')
			n++;
		cr_assert_eq(ecu_dtc_parse(bad[i], n, &d), PL_E_SYNTAX, "%s", bad[i]);
	}
	cr_assert_eq(d, 7);
	cr_assert_eq(ecu_dtc_format(0x030001, out), PL_E_RANGE);
	cr_assert_eq(ecu_dtc_format(0x1000000, out), PL_E_RANGE);
}
