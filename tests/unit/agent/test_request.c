/* Token request field checks (agent/request.c): REQ-AGT-067. */
#include <criterion/criterion.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_agent.h"
#include "request.h"

static const uint8_t cn[32] = {1};

static int check(const char *vin, const char *op, size_t cnlen, const char *wo, const char *reason)
{
	struct token_request q = {.vin = vin,
	                          .op = op,
	                          .cnonce = cn,
	                          .cnonce_len = cnlen,
	                          .work_order = wo,
	                          .reason = reason};
	char err[300];

	return request_check(&q, err, sizeof(err));
}

Test(agent_request, REQ_AGT_067_vin_alphabet)
{
	cr_assert(request_vin_ok("WVWZZZ1JZXW000001"));
	cr_assert(request_vin_ok("1HGCM82633A004352"));
	cr_assert(!request_vin_ok("WVWZZZ1JZXW00000"), "16 characters");
	cr_assert(!request_vin_ok("WVWZZZ1JZXW0000011"), "18 characters");
	cr_assert(!request_vin_ok("WVWZZZ1JZXW00000I"), "I");
	cr_assert(!request_vin_ok("WVWZZZ1JZXW00000O"), "O");
	cr_assert(!request_vin_ok("WVWZZZ1JZXW00000Q"), "Q");
	cr_assert(!request_vin_ok("wvwzzz1jzxw000001"), "lower case");
	cr_assert(!request_vin_ok("WVWZZZ1JZXW00000-"), "punctuation");
}

Test(agent_request, REQ_AGT_067_fields_checked_like_the_broker)
{
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 16, "WO-1", ""), 0);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 32, "WO-1", "why"), 0);
	cr_assert_eq(check("WVWZZZ1JZXW00000O", "door.unlock", 16, "WO-1", ""), PL_E_AGENT_VIN);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "Door.Unlock", 16, "WO-1", ""), PL_E_AGENT_OP);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "", 16, "WO-1", ""), PL_E_AGENT_OP);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "a234567890123456789012345678901x", 16, "W", ""),
	             PL_E_AGENT_OP, "32 characters");
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 15, "WO-1", ""), PL_E_RANGE);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 33, "WO-1", ""), PL_E_RANGE);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 16, "", ""), PL_E_USAGE);
	cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 16, "WO\n1", ""), PL_E_USAGE);
	{
		char r[162];

		memset(r, 'x', 161);
		r[161] = '\0';
		cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 16, "W", r), PL_E_USAGE);
		r[160] = '\0';
		cr_assert_eq(check("WVWZZZ1JZXW000001", "door.unlock", 16, "W", r), 0);
	}
}
