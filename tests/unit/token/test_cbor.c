/* The strict CBOR codec: shortest forms, definite lengths, UTF-8, depth. */
#include <string.h>

#include <criterion/criterion.h>

#include "tok_fixture.h"

static int read_uint(const uint8_t *b, size_t n, uint64_t *v)
{
	struct plt_cbor_reader r;

	plt_cbor_reader_init(&r, b, n);
	return plt_cbor_get_uint(&r, v);
}

Test(token_cbor, REQ_TOK_040_writer_uses_shortest_form)
{
	static const struct {
		int64_t v;
		const char *hex;
	} cases[] = {
	    {0, "00"},
	    {23, "17"},
	    {24, "1818"},
	    {255, "18ff"},
	    {256, "190100"},
	    {65535, "19ffff"},
	    {65536, "1a00010000"},
	    {4294967295LL, "1affffffff"},
	    {4294967296LL, "1b0000000100000000"},
	    {-1, "20"},
	    {-24, "37"},
	    {-25, "3818"},
	    {-65537, "3a00010000"},
	    {INT64_MIN, "3b7fffffffffffffff"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[16], want[16];
		struct plt_cbor_writer w;
		struct plt_cbor_reader r;
		size_t len = 0, wl = fix_unhex(cases[i].hex, want, sizeof(want));
		int64_t back = 0;

		plt_cbor_writer_init(&w, buf, sizeof(buf));
		plt_cbor_put_int(&w, cases[i].v);
		cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
		cr_assert_eq(len, wl, "%s", cases[i].hex);
		cr_assert_arr_eq(buf, want, wl, "%s", cases[i].hex);
		plt_cbor_reader_init(&r, buf, len);
		cr_assert_eq(plt_cbor_get_int(&r, &back), 0);
		cr_assert_eq(back, cases[i].v);
		cr_assert_eq(plt_cbor_end(&r), 0);
	}
}

Test(token_cbor, REQ_TOK_041_reader_rejects_non_minimal_encodings)
{
	static const char *bad[] = {
	    "1800",
	    "1817",
	    "190000",
	    "1900ff",
	    "1a00000000",
	    "1a0000ffff",
	    "1b0000000000000000",
	    "1b00000000ffffffff",
	    "3817",
	    "5800",
	    "7817",
	    "9800",
	    "b800",
	    "d81700",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[16];
		size_t n = fix_unhex(bad[i], b, sizeof(b));
		struct plt_cbor_reader r;

		plt_cbor_reader_init(&r, b, n);
		cr_expect_eq(plt_cbor_skip(&r), PLT_E_CBOR_NONMINIMAL, "%s", bad[i]);
		cr_expect_eq(r.off, 0, "%s", bad[i]);
	}
}

Test(token_cbor, REQ_TOK_042_reader_rejects_indefinite_reserved_and_floats)
{
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
	    {"5f41ff", PLT_E_CBOR_INDEFINITE},
	    {"7f61ff", PLT_E_CBOR_INDEFINITE},
	    {"9fff", PLT_E_CBOR_INDEFINITE},
	    {"bfff", PLT_E_CBOR_INDEFINITE},
	    {"ff", PLT_E_CBOR_INDEFINITE},
	    {"1c", PLT_E_CBOR_RESERVED},
	    {"3d", PLT_E_CBOR_RESERVED},
	    {"fe", PLT_E_CBOR_RESERVED},
	    {"f93c00", PLT_E_CBOR_SIMPLE},
	    {"fa3f800000", PLT_E_CBOR_SIMPLE},
	    {"fb3ff0000000000000", PLT_E_CBOR_SIMPLE},
	    {"f0", PLT_E_CBOR_SIMPLE},
	    {"f818", PLT_E_CBOR_SIMPLE},
	    {"f8ff", PLT_E_CBOR_SIMPLE},
	    {"19ff", PLT_E_TRUNCATED},
	    {"43aabb", PLT_E_TRUNCATED},
	    {"82", PLT_E_TRUNCATED},
	    {"a101", PLT_E_TRUNCATED},
	    {"", PLT_E_TRUNCATED},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[16];
		size_t n = strlen(cases[i].hex) ? fix_unhex(cases[i].hex, b, sizeof(b)) : 0;
		struct plt_cbor_reader r;

		plt_cbor_reader_init(&r, b, n);
		cr_expect_eq(plt_cbor_skip(&r), cases[i].err, "%s: got %s", cases[i].hex,
		             plt_errname(r.err));
	}
}

Test(token_cbor, REQ_TOK_043_skip_limits_nesting_depth)
{
	uint8_t b[64];
	struct plt_cbor_reader r;
	size_t i;

	/* 16 nested arrays with an int inside: accepted */
	for (i = 0; i < 16; i++)
		b[i] = 0x81;
	b[16] = 0x01;
	plt_cbor_reader_init(&r, b, 17);
	cr_assert_eq(plt_cbor_skip(&r), 0);
	cr_assert_eq(plt_cbor_end(&r), 0);
	/* 17 levels: refused at the 17th array head */
	for (i = 0; i < 17; i++)
		b[i] = 0x81;
	b[17] = 0x01;
	plt_cbor_reader_init(&r, b, 18);
	cr_assert_eq(plt_cbor_skip(&r), PLT_E_CBOR_DEPTH);
	cr_assert_eq(r.off, 16);
	/* maps count too */
	for (i = 0; i < 17; i++) {
		b[2 * i] = 0xa1;
		b[2 * i + 1] = 0x01;
	}
	b[34] = 0x01;
	plt_cbor_reader_init(&r, b, 35);
	cr_assert_eq(plt_cbor_skip(&r), PLT_E_CBOR_DEPTH);
}

Test(token_cbor, REQ_TOK_044_text_must_be_valid_utf8)
{
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
	    {"63e282ac", 0},                 /* U+20AC */
	    {"64f09f9a97", 0},               /* U+1F697 */
	    {"62c3a9", 0},                   /* U+00E9 */
	    {"62c0af", PLT_E_CBOR_UTF8},     /* overlong '/' */
	    {"63e08080", PLT_E_CBOR_UTF8},   /* overlong NUL */
	    {"63eda080", PLT_E_CBOR_UTF8},   /* surrogate D800 */
	    {"64f4908080", PLT_E_CBOR_UTF8}, /* above U+10FFFF */
	    {"6180", PLT_E_CBOR_UTF8},       /* lone continuation */
	    {"62e282", PLT_E_CBOR_UTF8},     /* cut sequence */
	    {"61ff", PLT_E_CBOR_UTF8},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[16];
		size_t n = fix_unhex(cases[i].hex, b, sizeof(b));
		struct plt_cbor_reader r;
		struct plt_bytes v;

		plt_cbor_reader_init(&r, b, n);
		cr_expect_eq(plt_cbor_get_tstr(&r, &v), cases[i].err, "%s", cases[i].hex);
		plt_cbor_reader_init(&r, b, n);
		cr_expect_eq(plt_cbor_skip(&r), cases[i].err, "skip %s", cases[i].hex);
	}
}

Test(token_cbor, REQ_TOK_045_errors_are_sticky_and_typed)
{
	uint8_t b[] = {0x61, 0x41, 0x01};
	struct plt_cbor_reader r;
	uint64_t u = 99;
	int64_t i = 0;
	struct plt_bytes s;

	plt_cbor_reader_init(&r, b, sizeof(b));
	cr_assert_eq(plt_cbor_get_uint(&r, &u), PLT_E_CBOR_TYPE);
	cr_assert_eq(u, 99, "out-param written on failure");
	cr_assert_eq(r.off, 0);
	/* sticky: even a correct call fails now */
	cr_assert_eq(plt_cbor_get_tstr(&r, &s), PLT_E_CBOR_TYPE);
	cr_assert_eq(plt_cbor_end(&r), PLT_E_CBOR_TYPE);
	/* int range: 2^63 does not fit int64 */
	{
		uint8_t big[] = {0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0};

		plt_cbor_reader_init(&r, big, sizeof(big));
		cr_assert_eq(plt_cbor_get_int(&r, &i), PLT_E_CBOR_RANGE);
		plt_cbor_reader_init(&r, big, sizeof(big));
		cr_assert_eq(plt_cbor_get_uint(&r, &u), 0);
		cr_assert_eq(u, 0x8000000000000000ull);
	}
	cr_assert_eq(read_uint(b + 2, 1, &u), 0);
	cr_assert_eq(u, 1);
}

Test(token_cbor, REQ_TOK_046_writer_reports_nospace_and_stays_failed)
{
	uint8_t b[4];
	struct plt_cbor_writer w;
	size_t len = 77;

	plt_cbor_writer_init(&w, b, sizeof(b));
	plt_cbor_put_bstr(&w, "abcd", 4);
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), PLT_E_NOSPACE);
	cr_assert_eq(len, 77);
	plt_cbor_put_uint(&w, 1);
	cr_assert_eq(w.len, 0);
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), PLT_E_NOSPACE);
}

Test(token_cbor, REQ_TOK_047_round_trip_of_every_writer_call)
{
	uint8_t b[128];
	struct plt_cbor_writer w;
	struct plt_cbor_reader r;
	size_t len = 0, n = 0;
	uint64_t u = 0, tag = 0;
	int64_t i = 0;
	int flag = 0;
	struct plt_bytes s;
	static const uint8_t raw[] = {0x82, 0x01, 0x02};

	plt_cbor_writer_init(&w, b, sizeof(b));
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 7);
	plt_cbor_put_uint(&w, 500);
	plt_cbor_put_int(&w, -500);
	plt_cbor_put_bstr(&w, "\x00\x01", 2);
	plt_cbor_put_cstr(&w, "hé");
	plt_cbor_put_map(&w, 1);
	plt_cbor_put_bool(&w, 1);
	plt_cbor_put_null(&w);
	plt_cbor_put_bool(&w, 0);
	plt_cbor_put_raw(&w, raw, sizeof(raw));
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	cr_assert_eq(len, 22);

	plt_cbor_reader_init(&r, b, len);
	cr_assert_eq(plt_cbor_peek(&r), PLT_CBOR_TAG);
	cr_assert_eq(plt_cbor_get_tag(&r, &tag), 0);
	cr_assert_eq(tag, 18);
	cr_assert_eq(plt_cbor_get_array(&r, &n), 0);
	cr_assert_eq(n, 7);
	cr_assert_eq(plt_cbor_get_uint(&r, &u), 0);
	cr_assert_eq(u, 500);
	cr_assert_eq(plt_cbor_get_int(&r, &i), 0);
	cr_assert_eq(i, -500);
	cr_assert_eq(plt_cbor_get_bstr(&r, &s), 0);
	cr_assert_eq(s.len, 2);
	cr_assert_eq(plt_cbor_get_tstr(&r, &s), 0);
	cr_assert_eq(s.len, 3);
	cr_assert_eq(plt_cbor_get_map(&r, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(plt_cbor_get_bool(&r, &flag), 0);
	cr_assert_eq(flag, 1);
	cr_assert_eq(plt_cbor_get_null(&r), 0);
	cr_assert_eq(plt_cbor_get_bool(&r, &flag), 0);
	cr_assert_eq(flag, 0);
	cr_assert_eq(plt_cbor_skip(&r), 0);
	cr_assert_eq(plt_cbor_end(&r), 0);
	/* trailing byte */
	plt_cbor_reader_init(&r, b, len);
	cr_assert_eq(plt_cbor_skip(&r), 0);
	cr_assert_eq(plt_cbor_end(&r), 0);
	plt_cbor_reader_init(&r, raw, sizeof(raw));
	cr_assert_eq(plt_cbor_get_array(&r, &n), 0);
	cr_assert_eq(plt_cbor_get_uint(&r, &u), 0);
	cr_assert_eq(plt_cbor_end(&r), PLT_E_TRAILING);
}

Test(token_cbor, REQ_TOK_048_huge_counts_fail_without_reading_past_the_end)
{
	/* array of 2^32 items, map of 2^63 pairs, bstr of 2^64-1 bytes */
	static const char *cases[] = {"9b0000000100000000", "bb4000000000000000",
	                              "5bffffffffffffffff", "7a7fffffff"};
	size_t i;

	for (i = 0; i < 4; i++) {
		uint8_t b[16];
		size_t n = fix_unhex(cases[i], b, sizeof(b));
		struct plt_cbor_reader r;

		plt_cbor_reader_init(&r, b, n);
		cr_expect_eq(plt_cbor_skip(&r), PLT_E_TRUNCATED, "%s", cases[i]);
	}
}
