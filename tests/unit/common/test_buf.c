#include <criterion/criterion.h>

#include "pl_buf.h"
#include "pl_err.h"

Test(common_buf, REQ_COM_003_reader_reads_big_endian_and_detects_end)
{
	const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	struct pl_rbuf r;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	pl_rbuf_init(&r, in, sizeof(in));
	cr_assert_eq(pl_rbuf_u8(&r, &a), 0);
	cr_assert_eq(pl_rbuf_u16be(&r, &b), 0);
	cr_assert_eq(pl_rbuf_u32be(&r, &c), 0);
	cr_assert_eq(a, 0x01);
	cr_assert_eq(b, 0x0203);
	cr_assert_eq(c, 0x04050607);
	cr_assert_eq(pl_rbuf_end(&r), 0);
}

Test(common_buf, REQ_COM_003_reader_truncation_is_sticky)
{
	const uint8_t in[] = { 0x01, 0x02 };
	struct pl_rbuf r;
	uint32_t c = 9;
	uint8_t a = 9;
	pl_rbuf_init(&r, in, sizeof(in));
	cr_assert_eq(pl_rbuf_u32be(&r, &c), PL_E_TRUNCATED);
	cr_assert_eq(c, 0);
	cr_assert_eq(pl_rbuf_u8(&r, &a), PL_E_TRUNCATED);
	cr_assert_eq(a, 0);
	cr_assert_eq(pl_rbuf_left(&r), 0);
	cr_assert_eq(pl_rbuf_end(&r), PL_E_TRUNCATED);
}

Test(common_buf, REQ_COM_003_reader_rejects_trailing_bytes)
{
	const uint8_t in[] = { 0x01, 0x02 };
	struct pl_rbuf r;
	uint8_t a;
	pl_rbuf_init(&r, in, sizeof(in));
	pl_rbuf_u8(&r, &a);
	cr_assert_eq(pl_rbuf_end(&r), PL_E_TRAILING);
}

Test(common_buf, REQ_COM_003_writer_refuses_overflow)
{
	uint8_t out[3];
	struct pl_wbuf w;
	size_t n = 9;
	pl_wbuf_init(&w, out, sizeof(out));
	cr_assert_eq(pl_wbuf_u16be(&w, 0xabcd), 0);
	cr_assert_eq(pl_wbuf_u16be(&w, 0x1234), PL_E_NOSPACE);
	cr_assert_eq(pl_wbuf_u8(&w, 1), PL_E_NOSPACE);
	cr_assert_eq(pl_wbuf_finish(&w, &n), PL_E_NOSPACE);
	cr_assert_eq(n, 0);
	cr_assert_eq(out[0], 0xab);
	cr_assert_eq(out[1], 0xcd);
}
