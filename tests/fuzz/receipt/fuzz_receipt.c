/*
 * libFuzzer target for the POST /v1/receipts decoder (broker/api/receipt.c):
 * no crash, no out-of-bounds; an accepted receipt has a valid VIN and operation
 * name and the result is 0 or 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token.h"
#include "receipt.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct receipt rc;
	char why[160];

	if (receipt_decode(data, size, &rc, why, sizeof(why)) != 0)
		return 0;
	if (!plt_vin_valid(rc.vin, strlen(rc.vin)) ||
	    !request_op_valid(rc.op, strlen(rc.op)) || (rc.failure != 0 && rc.failure != 1))
		abort();
	return 0;
}
