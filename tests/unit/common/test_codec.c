#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_codec.h"
#include "pl_err.h"

Test(common_codec, REQ_COM_002_hex_round_trip)
{
	const uint8_t in[] = { 0x00, 0x7f, 0x80, 0xff, 0x12 };
	char text[11];
	uint8_t out[5];
	size_t n;
	cr_assert_eq(pl_hex_encode(in, sizeof(in), text, sizeof(text)), 0);
	cr_assert_str_eq(text, "007f80ff12");
	cr_assert_eq(pl_hex_decode("007F80fF12", 10, out, sizeof(out), &n), 0);
	cr_assert_eq(n, 5);
	cr_assert_arr_eq(out, in, 5);
}

Test(common_codec, REQ_COM_002_hex_rejects_odd_bad_and_small_buffers)
{
	uint8_t out[2];
	size_t n = 99;
	char small[4];
	cr_assert_eq(pl_hex_decode("abc", 3, out, sizeof(out), &n), PL_E_SYNTAX);
	cr_assert_eq(pl_hex_decode("zz", 2, out, sizeof(out), &n), PL_E_SYNTAX);
	cr_assert_eq(pl_hex_decode("001122", 6, out, sizeof(out), &n), PL_E_NOSPACE);
	cr_assert_eq(n, 99);
	cr_assert_eq(pl_hex_encode(out, 2, small, sizeof(small)), PL_E_NOSPACE);
}

/* RFC 4648 §10 test vectors. */
Test(common_codec, REQ_COM_002_base64_rfc4648_vectors)
{
	const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	const char *url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char t[16];
		uint8_t back[8];
		size_t n;
		size_t len = strlen(plain[i]);
		cr_assert_eq(pl_b64_encode((const uint8_t *)plain[i], len, t, sizeof(t)), 0);
		cr_assert_str_eq(t, std[i]);
		cr_assert_eq(pl_b64url_encode((const uint8_t *)plain[i], len, t, sizeof(t)), 0);
		cr_assert_str_eq(t, url[i]);
		cr_assert_eq(pl_b64_decode(std[i], strlen(std[i]), back, sizeof(back), &n), 0);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(back, plain[i], len), 0);
		cr_assert_eq(pl_b64url_decode(url[i], strlen(url[i]), back, sizeof(back), &n), 0);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(back, plain[i], len), 0);
	}
}

Test(common_codec, REQ_COM_002_base64_rejects_noncanonical_and_foreign_alphabet)
{
	uint8_t out[8];
	size_t n;
	cr_assert_eq(pl_b64url_decode("Zh", 2, out, sizeof(out), &n), PL_E_SYNTAX); /* stray bits */
	cr_assert_eq(pl_b64url_decode("Z", 1, out, sizeof(out), &n), PL_E_SYNTAX);
	cr_assert_eq(pl_b64url_decode("Zm+v", 4, out, sizeof(out), &n), PL_E_SYNTAX);
	cr_assert_eq(pl_b64_decode("Zm9", 3, out, sizeof(out), &n), PL_E_SYNTAX);
	cr_assert_eq(pl_b64_decode("Zm-v", 4, out, sizeof(out), &n), PL_E_SYNTAX);
}

Test(common_codec, REQ_COM_002_hex_digit_values_by_case)
{
	cr_assert_eq(pl_hex_value('0', PL_HEX_LOWER), 0);
	cr_assert_eq(pl_hex_value('9', PL_HEX_UPPER), 9);
	cr_assert_eq(pl_hex_value('a', PL_HEX_LOWER), 10);
	cr_assert_eq(pl_hex_value('f', PL_HEX_ANY), 15);
	cr_assert_eq(pl_hex_value('F', PL_HEX_UPPER), 15);
	cr_assert_eq(pl_hex_value('F', PL_HEX_LOWER), -1);
	cr_assert_eq(pl_hex_value('a', PL_HEX_UPPER), -1);
	cr_assert_eq(pl_hex_value('g', PL_HEX_ANY), -1);
	cr_assert_eq(pl_hex_value('G', PL_HEX_ANY), -1);
	cr_assert_eq(pl_hex_value('\0', PL_HEX_ANY), -1);
	cr_assert_eq(pl_hex_value((char)0xe9, PL_HEX_ANY), -1);
	cr_assert_eq(pl_hex_digit(10, PL_HEX_UPPER), 'A');
	cr_assert_eq(pl_hex_digit(10, PL_HEX_LOWER), 'a');
	cr_assert_eq(pl_hex_digit(0x1f, PL_HEX_UPPER), 'F');
	cr_assert_eq(pl_hex_digit(3, PL_HEX_ANY), '3');
}

Test(common_codec, REQ_COM_002_hex_exactly_n_lower_case_digits)
{
	const char *id = "0123456789abcdef0123456789abcdef";

	cr_assert_eq(pl_hex_is_lower(id, 32, 32), 1);
	cr_assert_eq(pl_hex_is_lower(id, 31, 32), 0);
	cr_assert_eq(pl_hex_is_lower(id, 32, 31), 0);
	cr_assert_eq(pl_hex_is_lower("0123456789ABCDEF0123456789ABCDEF", 32, 32), 0);
	cr_assert_eq(pl_hex_is_lower("0123456789abcdeg0123456789abcdef", 32, 32), 0);
	cr_assert_eq(pl_hex_is_lower("", 0, 0), 1);
	cr_assert_eq(pl_hex_span("abc9Z", 5, PL_HEX_LOWER), 4);
	cr_assert_eq(pl_hex_span("abC9", 4, PL_HEX_LOWER), 2);
	cr_assert_eq(pl_hex_span("abC9", 4, PL_HEX_ANY), 4);
	cr_assert_eq(pl_hex_span("ab\0" "cd", 5, PL_HEX_ANY), 2);
}

Test(common_codec, REQ_COM_002_hex_fput_writes_lower_case_digits)
{
	const uint8_t in[] = { 0x00, 0xab, 0xff, 0x10 };
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	cr_assert_not_null(f);
	cr_assert_eq(pl_hex_fput(f, in, sizeof(in)), 0);
	cr_assert_eq(pl_hex_fput(f, in, 0), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_eq(text, "00abff10");
	free(text);
}
