/* The state file format (vehicle/ecu_statefile.c): round trip and strictness. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ecu_statefile.h"
#include "pl_err.h"

static struct ecu_status sample(void)
{
	struct ecu_status st;

	memset(&st, 0, sizeof(st));
	memcpy(st.vin, "WVWZZZ1JZXW000001", 18);
	ecu_vehicle_init(&st.vehicle);
	st.vehicle.doors_locked = 0;
	st.vehicle.ignition_on = 1;
	st.vehicle.failed_attempts = 2;
	st.vehicle.key_learn_count = 4;
	st.session = ECU_SESSION_EXTENDED;
	memcpy(st.scope, "door.unlock", 12);
	return st;
}

Test(ecu_statefile, REQ_ECU_037_format_is_the_documented_json)
{
	struct ecu_status st = sample();
	char text[ECU_STATEFILE_MAX];
	size_t len = 0;

	cr_assert_eq(ecu_statefile_format(&st, text, sizeof(text), &len), 0);
	cr_assert_str_eq(text, "{\"vin\":\"WVWZZZ1JZXW000001\",\"session\":\"extended\","
			       "\"doors\":\"unlocked\",\"ignition\":\"on\",\"auth\":\"door.unlock\","
			       "\"attempts\":2,\"locked_out\":false,\"key_learn_count\":4,"
			       "\"dtcs\":[\"P0300\",\"U0100\"]}\n");
	cr_assert_eq(len, strlen(text));
	cr_assert_eq(ecu_statefile_format(&st, text, 40, &len), PL_E_NOSPACE);
}

Test(ecu_statefile, REQ_ECU_037_round_trip_restores_the_persisted_part)
{
	struct ecu_status st = sample();
	struct ecu_vehicle v;
	char text[ECU_STATEFILE_MAX], vin[18];
	size_t len = 0;

	cr_assert_eq(ecu_statefile_format(&st, text, sizeof(text), &len), 0);
	cr_assert_eq(ecu_statefile_parse(text, len, vin, &v, NULL), 0);
	cr_assert_str_eq(vin, "WVWZZZ1JZXW000001");
	cr_assert_eq(v.doors_locked, 0);
	cr_assert_eq(v.ignition_on, 1);
	cr_assert_eq(v.failed_attempts, 2);
	cr_assert_eq(v.key_learn_count, 4);
	cr_assert_eq(v.ndtc, 2);
	cr_assert_eq(v.dtc[1], 0xC10000);
}

Test(ecu_statefile, REQ_ECU_037_white_space_and_key_order_are_free)
{
	const char *text = " {\n \"dtcs\" : [ ] ,\n \"key_learn_count\": 0, \"attempts\": 3,\n"
			   " \"ignition\": \"off\", \"doors\": \"locked\",\n"
			   " \"vin\": \"WVWZZZ1JZXW000001\" }\n\n";
	struct ecu_vehicle v;
	char vin[18];

	cr_assert_eq(ecu_statefile_parse(text, strlen(text), vin, &v, NULL), 0);
	cr_assert_eq(v.failed_attempts, 3);
	cr_assert_eq(v.ndtc, 0);
}

static void expect_bad(const char *text, int err, size_t off)
{
	struct ecu_vehicle v;
	char vin[18];
	size_t got = 9999;

	memset(&v, 0x5A, sizeof(v));
	cr_expect_eq(ecu_statefile_parse(text, strlen(text), vin, &v, &got), err, "%s", text);
	cr_expect_eq(got, off, "%s: offset %zu, want %zu", text, got, off);
	cr_expect_eq(v.doors_locked, 0x5A5A5A5A, "output untouched on failure");
}

#define OK_TAIL "\"doors\":\"locked\",\"ignition\":\"off\",\"attempts\":1,"    \
		"\"key_learn_count\":0,\"dtcs\":[]}"

Test(ecu_statefile, REQ_ECU_037_malformed_files_are_refused_with_an_offset)
{
	expect_bad("", PL_E_SYNTAX, 0);
	expect_bad("[]", PL_E_SYNTAX, 0);
	expect_bad("{\"vin\":\"WVWZZZ1JZXW000001\"," OK_TAIL "x", PL_E_SYNTAX, 104);
	expect_bad("{\"vin\":\"WVWZZZ1JZXW00000I\"," OK_TAIL, PL_E_SYNTAX, 8);
	expect_bad("{\"color\":\"red\"}", PL_E_SYNTAX, 1);
	expect_bad("{\"vin\":\"WVWZZZ1JZXW000001\",\"vin\":\"WVWZZZ1JZXW000001\"}", PL_E_EXISTS,
		   27);
	expect_bad("{\"vin\":\"WVWZZZ1JZXW000001\"}", PL_E_NOTFOUND, 27);
	expect_bad("{\"attempts\":01}", PL_E_SYNTAX, 14);
	expect_bad("{\"attempts\":4294967296}", PL_E_RANGE, 21);
	expect_bad("{\"doors\":\"open\"}", PL_E_SYNTAX, 15);
	expect_bad("{\"doors\":\"lo\\u0063ked\"}", PL_E_SYNTAX, 12);
	expect_bad("{\"dtcs\":[\"P0300\",\"Q0300\"]}", PL_E_SYNTAX, 18);
	expect_bad("{\"auth\":\"odometer.reset\"}", PL_E_SYNTAX, 9);
	expect_bad("{\"locked_out\":maybe}", PL_E_SYNTAX, 14);
}

Test(ecu_statefile, REQ_ECU_037_more_dtcs_than_the_ecu_holds_is_range)
{
	char text[ECU_STATEFILE_MAX];
	struct ecu_vehicle v;
	char vin[18];
	size_t n = 0;

	n += (size_t)snprintf(text, sizeof(text), "{\"dtcs\":[");
	for (int i = 0; i <= ECU_DTC_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"P0300\"", i ? "," : "");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "]}");
	cr_assert_eq(ecu_statefile_parse(text, n, vin, &v, NULL), PL_E_RANGE);
}
