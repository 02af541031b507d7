/* Shared helpers: VIN check, constant-time compare, wipe, error table. */
#include <string.h>

#include <criterion/criterion.h>

#include "tok_fixture.h"

Test(token_util, REQ_TOK_050_vin_alphabet_and_length)
{
	cr_assert(plt_vin_valid("WVWZZZ1JZXW000001", 17));
	cr_assert(plt_vin_valid("1HGCM82633A004352", 17));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW00000", 16));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW0000011", 18));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW00000I", 17));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW00000O", 17));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW00000Q", 17));
	cr_assert(!plt_vin_valid("wvwzzz1jzxw000001", 17));
	cr_assert(!plt_vin_valid("WVWZZZ1JZXW00000-", 17));
	cr_assert(!plt_vin_valid(NULL, 17));
}

Test(token_util, REQ_TOK_051_ct_equal_and_wipe)
{
	uint8_t a[32], b[32];
	size_t i;

	memset(a, 0xab, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_assert_eq(plt_ct_equal(a, b, sizeof(a)), 1);
	cr_assert_eq(plt_ct_equal(a, b, 0), 1);
	for (i = 0; i < sizeof(a) * 8; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(plt_ct_equal(a, b, sizeof(a)), 0, "bit %zu", i);
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	plt_wipe(a, sizeof(a));
	for (i = 0; i < sizeof(a); i++)
		cr_assert_eq(a[i], 0);
	plt_wipe(NULL, 5);
}

Test(token_util, REQ_TOK_052_every_code_has_a_unique_name_and_sentence)
{
	int e, f;

	for (e = 0; e >= -46; e--) {
		cr_assert_str_neq(plt_errname(e), "unknown", "code %d has no name", e);
		cr_assert_str_neq(plt_strerror(e), "unknown lib/token error", "code %d", e);
		for (f = e - 1; f >= -46; f--)
			cr_assert_str_neq(plt_errname(e), plt_errname(f), "%d and %d", e, f);
	}
	cr_assert_str_eq(plt_errname(PLT_E_WRONG_VIN), "wrong_vin");
	cr_assert_str_eq(plt_errname(-99), "unknown");
	cr_assert_str_eq(plt_errname(1), "unknown");
}
