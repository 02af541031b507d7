#include <criterion/criterion.h>
#include <stdint.h>

#include "pl_err.h"
#include "pl_parse.h"

Test(common_parse, REQ_COM_001_u32_accepts_whole_decimal_in_range)
{
	uint32_t v = 7;
	cr_assert_eq(pl_parse_u32("0", 0, 10, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(pl_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	cr_assert_eq(v, UINT32_MAX);
}

Test(common_parse, REQ_COM_001_u32_rejects_out_of_range_and_leaves_output)
{
	uint32_t v = 7;
	cr_assert_eq(pl_parse_u32("11", 0, 10, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_u32("4294967296", 0, UINT32_MAX, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_u32("99999999999999999999999", 0, UINT32_MAX, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_u32("3", 5, 10, &v), PL_E_RANGE);
	cr_assert_eq(v, 7);
}

Test(common_parse, REQ_COM_001_rejects_signs_spaces_and_trailing_text)
{
	uint32_t v = 7;
	const char *bad[] = { "", " 1", "1 ", "+1", "-1", "1a", "0x10", "1.0", "١" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(pl_parse_u32(bad[i], 0, 100, &v), PL_E_SYNTAX, "input '%s'", bad[i]);
	cr_assert_eq(pl_parse_u32(NULL, 0, 100, &v), PL_E_SYNTAX);
	cr_assert_eq(v, 7);
}

Test(common_parse, REQ_COM_001_any_base_takes_hex_prefix)
{
	uint32_t v;
	cr_assert_eq(pl_parse_u32_any("0x7E0", 0, 0x7FF, &v), 0);
	cr_assert_eq(v, 0x7E0);
	cr_assert_eq(pl_parse_u32_any("2016", 0, 0x7FF, &v), 0);
	cr_assert_eq(v, 2016);
	cr_assert_eq(pl_parse_u32_any("0x800", 0, 0x7FF, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_u32_any("0x", 0, 0x7FF, &v), PL_E_SYNTAX);
	cr_assert_eq(pl_parse_u32_any("0xG1", 0, 0x7FF, &v), PL_E_SYNTAX);
}

Test(common_parse, REQ_COM_001_i64_limits)
{
	int64_t v;
	cr_assert_eq(pl_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(pl_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(pl_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v), PL_E_RANGE);
	cr_assert_eq(pl_parse_i64("-", INT64_MIN, INT64_MAX, &v), PL_E_SYNTAX);
	cr_assert_eq(pl_parse_i64("-5", 0, 10, &v), PL_E_RANGE);
}
