/* POST /v1/receipts decoder (REQ-ABU-070, docs/protocol.md). */
#include <criterion/criterion.h>
#include <string.h>

#include "pl_err_server.h"
#include "receipt.h"

#define VIN "WVWZZZ1JZXW000001"

static size_t put_t(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(0x60 + n);
	memcpy(p + 1, s, n);
	return n + 1;
}

static size_t receipt(uint8_t *b, const char *vin, const char *op, const char *result,
		      int nrc, int cti)
{
	size_t n = 1;

	b[0] = (uint8_t)(0xa3 + (nrc >= 0) + (cti != 0));
	n += put_t(b + n, "vin");
	n += put_t(b + n, vin);
	n += put_t(b + n, "op");
	n += put_t(b + n, op);
	n += put_t(b + n, "result");
	n += put_t(b + n, result);
	if (nrc >= 0) {
		n += put_t(b + n, "nrc");
		b[n++] = 0x18;
		b[n++] = (uint8_t)nrc;
	}
	if (cti) {
		n += put_t(b + n, "cti");
		b[n++] = 0x50;
		memset(b + n, 0xC7, 16);
		n += 16;
	}
	return n;
}

Test(receipt, REQ_ABU_070_decodes_ok_and_failure_with_nrc_and_cti)
{
	uint8_t b[256];
	struct receipt rc;
	size_t n = receipt(b, VIN, "door.unlock", "ok", -1, 0);

	cr_assert_eq(receipt_decode(b, n, &rc, NULL, 0), 0);
	cr_assert_str_eq(rc.vin, VIN);
	cr_assert_str_eq(rc.op, "door.unlock");
	cr_assert_eq(rc.failure, 0);
	cr_assert_eq(rc.has_nrc, 0);
	n = receipt(b, VIN, "key.learn", "failure", 0x35, 1);
	cr_assert_eq(receipt_decode(b, n, &rc, NULL, 0), 0);
	cr_assert_eq(rc.failure, 1);
	cr_assert_eq(rc.has_nrc, 1);
	cr_assert_eq(rc.nrc, 0x35);
	cr_assert_eq(rc.has_cti, 1);
	cr_assert_eq(rc.cti[15], 0xC7);
}

Test(receipt, REQ_ABU_070_refuses_bad_fields_with_their_offset)
{
	uint8_t b[256];
	struct receipt rc;
	char why[160];
	size_t n;

	n = receipt(b, "WVWZZZ1JZXW00000O", "door.unlock", "ok", -1, 0);
	cr_assert_eq(receipt_decode(b, n, &rc, why, sizeof(why)), PL_E_SRV_REQ_FIELD);
	cr_assert(strstr(why, "receipt byte 5: vin") != NULL, "%s", why);
	n = receipt(b, VIN, "Door Unlock", "ok", -1, 0);
	cr_assert_eq(receipt_decode(b, n, &rc, NULL, 0), PL_E_SRV_REQ_FIELD);
	n = receipt(b, VIN, "door.unlock", "maybe", -1, 0);
	cr_assert_eq(receipt_decode(b, n, &rc, NULL, 0), PL_E_SRV_REQ_FIELD);
	n = receipt(b, VIN, "door.unlock", "ok", -1, 0);
	b[n++] = 0x00;
	cr_assert_eq(receipt_decode(b, n, &rc, why, sizeof(why)), PL_E_SRV_REQ_MALFORMED);
	cr_assert(strstr(why, "trailing") != NULL);
	/* every truncation is refused */
	n = receipt(b, VIN, "door.unlock", "failure", 1, 1);
	for (size_t k = 0; k < n; k++)
		cr_assert_neq(receipt_decode(b, k, &rc, NULL, 0), 0, "prefix %zu accepted", k);
	/* a missing required key */
	b[0] = 0xa2;
	n = 1 + put_t(b + 1, "vin");
	n += put_t(b + n, VIN);
	n += put_t(b + n, "op");
	n += put_t(b + n, "door.unlock");
	cr_assert_eq(receipt_decode(b, n, &rc, NULL, 0), PL_E_SRV_REQ_MALFORMED);
}
