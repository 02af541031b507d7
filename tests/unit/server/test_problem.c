/* Concise problem details: REQ-BRK-120..REQ-BRK-122 (docs/protocol.md). */
#include <criterion/criterion.h>
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "problem.h"

Test(problem, REQ_BRK_120_exact_encoding)
{
	struct problem p = { .status = 403, .code = "policy_denied", .title = "Request denied",
			     .rule = "r1" };
	static const uint8_t want[] = {
		0xa3,                                   /* map(3) */
		0x20, 0x6e, 'R', 'e', 'q', 'u', 'e', 's', 't', ' ', 'd', 'e', 'n', 'i', 'e', 'd',
		0x23, 0x19, 0x01, 0x93,                 /* -4: 403 */
		0x78, 0x1c, 't', 'a', 'g', ':', 'p', 'i', 't', 'l', 'a', 'n', 'e', '.', 'd', 'e',
		'v', ',', '2', '0', '2', '5', ':', 'p', 'r', 'o', 'b', 'l', 'e', 'm',
		0xa2, 0x64, 'c', 'o', 'd', 'e', 0x6d, 'p', 'o', 'l', 'i', 'c', 'y', '_', 'd', 'e',
		'n', 'i', 'e', 'd', 0x64, 'r', 'u', 'l', 'e', 0x62, 'r', '1',
	};
	uint8_t out[PROBLEM_MAX];
	size_t len = 0;

	cr_assert_eq(problem_encode(&p, out, sizeof(out), &len), 0);
	cr_assert_eq(len, sizeof(want));
	cr_assert_eq(memcmp(out, want, len), 0);
}

Test(problem, REQ_BRK_121_optional_entries_and_limits)
{
	struct problem p = { .status = 429, .code = "rate_limited", .title = "Too many requests",
			     .detail = "wait", .request_id = "abc", .retry_after = 30 };
	uint8_t out[PROBLEM_MAX];
	struct plt_cbor_reader r;
	size_t len = 0, n;

	cr_assert_eq(problem_encode(&p, out, sizeof(out), &len), 0);
	plt_cbor_reader_init(&r, out, len);
	cr_assert_eq(plt_cbor_get_map(&r, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(problem_encode(&p, out, 20, &len), PL_E_NOSPACE);
	p.status = 200;
	cr_assert_eq(problem_encode(&p, out, sizeof(out), &len), PL_E_INVAL);
	p.status = 400;
	p.code = NULL;
	cr_assert_eq(problem_encode(&p, out, sizeof(out), &len), PL_E_INVAL);
}

Test(problem, REQ_BRK_122_status_of_each_error)
{
	cr_assert_eq(problem_status_for(PL_E_SRV_REQ_FIELD), 400);
	cr_assert_eq(problem_status_for(PL_E_SRV_REQ_NOT_SIGN1), 400);
	cr_assert_eq(problem_status_for(PL_E_SRV_TECH_SIG), 401);
	cr_assert_eq(problem_status_for(PL_E_SRV_TECH_CERT), 401);
	cr_assert_eq(problem_status_for(PL_E_SRV_REPLAY), 401);
	cr_assert_eq(problem_status_for(PL_E_SRV_STALE), 401);
	cr_assert_eq(problem_status_for(PL_E_SRV_WORKSHOP_MISMATCH), 403);
	cr_assert_eq(problem_status_for(PL_E_TOOBIG), 413);
	cr_assert_eq(problem_status_for(PL_E_SRV_REPLAY_FULL), 429);
	cr_assert_eq(problem_status_for(PL_E_SRV_BUSY), 503);
	cr_assert_str_eq(pl_errname(PL_E_SRV_TECH_SIG), "bad_technician_signature");
	cr_assert_str_eq(pl_errname(PL_E_SRV_WORKSHOP_MISMATCH), "workshop_mismatch");
}
