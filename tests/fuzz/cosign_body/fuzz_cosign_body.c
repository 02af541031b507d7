/*
 * libFuzzer target: the co-signer's untrusted-bytes entry (cosign/check), the
 * POST /v1/cosign body decoder and the structural decoders it hands the parts
 * to: the technician's request (request_decode), the broker's token
 * (plt_decode) and the approval (request_decode_decision). Decoded parts are
 * checked against the decoders' promises (views inside the input, offsets
 * within it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "body.h"
#include "pitlane/token.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, struct plt_bytes b)
{
	if (b.len != 0 && (b.ptr < data || b.ptr + b.len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cosign_body b;
	struct token_request q;
	struct approval_decision d;
	struct plt_token t;
	char why[256];
	size_t off = 0;

	if (cosign_body_decode(data, size, &b, &off, why, sizeof(why)) != 0) {
		if (off > size)
			abort();
		return 0;
	}
	if (b.request.len == 0 || b.token.len == 0)
		abort();
	inside(data, size, b.request);
	inside(data, size, b.token);
	inside(data, size, b.approval);
	if (request_decode(b.request.ptr, b.request.len, &q, &off, why, sizeof(why)) == 0)
		for (size_t i = 0; i < q.ncert; i++)
			inside(b.request.ptr, b.request.len, q.cert[i]);
	if (plt_decode(b.token.ptr, b.token.len, &t, &off) == 0 &&
	    (t.nsigners == 0 || t.nsigners > PLT_SIGNERS_MAX))
		abort();
	if (b.approval.len != 0 && request_decode_decision(b.approval.ptr, b.approval.len, &d, &off,
	                                                   why, sizeof(why)) == 0)
		for (size_t i = 0; i < d.ncert; i++)
			inside(b.approval.ptr, b.approval.len, d.cert[i]);
	return 0;
}
