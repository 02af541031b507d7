/*
 * libFuzzer target: the POST /v1/token body decoder (request_decode), the
 * untrusted-bytes entry of the broker. Decoded requests are checked against
 * the decoder's promises (NUL-terminated bounded fields, views inside the input).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_request q;
	char why[256];
	size_t off = 0;

	if (request_decode(data, size, &q, &off, why, sizeof(why)) != 0) {
		if (off > size)
			abort();
		return 0;
	}
	if (q.ncert == 0 || q.ncert > REQ_X5CHAIN_MAX)
		abort();
	for (size_t i = 0; i < q.ncert; i++)
		if (q.cert[i].ptr < data || q.cert[i].ptr + q.cert[i].len > data + size ||
		    q.cert[i].len == 0)
			abort();
	if (strlen(q.vin) != PLT_VIN_LEN || !plt_vin_valid(q.vin, PLT_VIN_LEN))
		abort();
	if (!request_op_valid(q.op, strlen(q.op)))
		abort();
	if (q.cnonce_len < PLT_CNONCE_MIN || q.cnonce_len > PLT_CNONCE_MAX || q.iat <= 0)
		abort();
	if (strlen(q.work_order) == 0 || strlen(q.work_order) >= REQ_WORK_ORDER_MAX ||
	    strlen(q.reason) >= REQ_REASON_MAX || q.ttl > REQ_TTL_MAX)
		abort();
	return 0;
}
