/*
 * The co-signer's own files: the hard limits file and the approvers file
 * (each mistake with file:line), and the POST /v1/cosign body decoder.
 * REQ-COS-068, REQ-COS-069, REQ-COS-051.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "body.h"
#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "rules.h"

static struct cosign_limits lim;
static struct cosign_approvers ap;

static int limits(const char *text, char *err)
{
	return cosign_limits_parse("limits.conf", text, strlen(text), &lim, err, 256);
}

Test(cosign_rules, REQ_COS_068_limits_file_reads_operations_and_velocity)
{
	char err[256] = "";
	const struct cosign_op_limits *o;

	cr_assert_eq(limits("# co-signer limits\n\n"
	                    "operation ignition.enable max_ttl 300 max_exi 60 approval required\n"
	                    "velocity ignition.enable fleet 20/3600\n"
	                    "velocity ignition.enable technician 3/86400\n"
	                    "operation door.unlock approval none max_exi 120 max_ttl 600\n",
	                    err),
	             0, "%s", err);
	cr_assert_eq(lim.nops, 2);
	cr_assert_not_null(o = cosign_limits_find(&lim, "ignition.enable"));
	cr_assert_eq(o->max_ttl, 300);
	cr_assert_eq(o->max_exi, 60);
	cr_assert_eq(o->approval, 1);
	cr_assert_eq(o->nrates, 2);
	cr_assert_eq(o->rate[0].scope, COSIGN_SCOPE_FLEET);
	cr_assert_eq(o->rate[0].count, 20);
	cr_assert_eq(o->rate[0].window_s, 3600);
	cr_assert_str_eq(o->rate[0].text, "velocity ignition.enable fleet 20/3600");
	cr_assert_not_null(o = cosign_limits_find(&lim, "door.unlock"));
	cr_assert_eq(o->approval, 0);
	cr_assert_null(cosign_limits_find(&lim, "key.learn"));
}

Test(cosign_rules, REQ_COS_068_limits_file_mistakes_name_file_and_line)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"operation a.b max_ttl 1 max_exi 1\n", "limits.conf:1: write 'operation OP"},
	    {"\noperation a.b max_ttl 0 max_exi 1 approval none\n",
	     "limits.conf:2: max_ttl must be 1..86400"},
	    {"operation a.b max_ttl 1 max_exi 1 approval maybe\n",
	     "limits.conf:1: approval must be 'required' or 'none'"},
	    {"operation a.b max_ttl 1 max_ttl 1 approval none\n",
	     "limits.conf:1: max_ttl is given twice"},
	    {"operation A.B max_ttl 1 max_exi 1 approval none\n", "limits.conf:1: 'A.B' is not"},
	    {"operation a.b max_ttl 1 max_exi 1 approval none\noperation a.b max_ttl 1 max_exi 1 "
	     "approval none\n",
	     "limits.conf:2: operation a.b is given twice"},
	    {"velocity a.b fleet 1/1\n", "limits.conf:1: velocity for a.b before"},
	    {"operation a.b max_ttl 1 max_exi 1 approval none\nvelocity a.b galaxy 1/1\n",
	     "limits.conf:2: unknown scope 'galaxy'"},
	    {"operation a.b max_ttl 1 max_exi 1 approval none\nvelocity a.b vin 1/0\n",
	     "limits.conf:2: '1/0' is not COUNT/SECONDS"},
	    {"operation a.b max_ttl 1 max_exi 1 approval none\nvelocity a.b vin 5\n",
	     "limits.conf:2: '5' is not COUNT/SECONDS"},
	    {"rule a.b allow\n", "limits.conf:1: unknown directive 'rule'"},
	    {"# nothing\n", "limits.conf: no 'operation' line"},
	    {"operation a.b max_ttl 1\x01 max_exi 1 approval none\n", "limits.conf:1: control"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(limits(bad[i].text, err), PL_E_COS_LIMITS_FILE, "%zu", i);
		cr_assert(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0, "%zu: got '%s'", i,
		          err);
	}
}

Test(cosign_rules, REQ_COS_069_approvers_file)
{
	static const char good[] = "# approvers\ntech-bob ignition.enable key.learn\n"
	                           "tech-eva key.learn\n";
	char err[256] = "";

	cr_assert_eq(cosign_approvers_parse("approvers", good, strlen(good), &ap, err, sizeof(err)),
	             0, "%s", err);
	cr_assert(cosign_approver_may(&ap, "tech-bob", "ignition.enable"));
	cr_assert(cosign_approver_may(&ap, "tech-eva", "key.learn"));
	cr_assert_not(cosign_approver_may(&ap, "tech-eva", "ignition.enable"));
	cr_assert_not(cosign_approver_may(&ap, "tech-anna", "key.learn"));
	cr_assert_eq(cosign_approvers_parse("approvers", "tech-bob\n", 9, &ap, err, sizeof(err)),
	             PL_E_COS_APPROVERS_FILE);
	cr_assert(strncmp(err, "approvers:1: write 'TECHNICIAN_CN OP", 36) == 0, "%s", err);
	cr_assert_eq(
	    cosign_approvers_parse("approvers", "a x.y\nb Bad\n", 12, &ap, err, sizeof(err)),
	    PL_E_COS_APPROVERS_FILE);
	cr_assert(strncmp(err, "approvers:2: 'Bad' is not", 25) == 0, "%s", err);
	cr_assert_eq(
	    cosign_approvers_parse("approvers", "a x.y\na x.z\n", 12, &ap, err, sizeof(err)),
	    PL_E_COS_APPROVERS_FILE);
	cr_assert(strstr(err, "approvers:2: technician a is listed twice") != NULL, "%s", err);
}

Test(cosign_rules, REQ_COS_051_body_decoder_offsets)
{
	struct cosign_body b;
	char why[160];
	size_t off = 99;
	/* {1: h'01', 2: h'02', 3: h'03'} in another key order */
	static const uint8_t ok[] = {0xa3, 0x02, 0x41, 0x02, 0x03, 0x41, 0x03, 0x01, 0x41, 0x01};
	static const uint8_t dup[] = {0xa2, 0x01, 0x41, 0x01, 0x01, 0x41, 0x01};
	static const uint8_t empty[] = {0xa2, 0x01, 0x40, 0x02, 0x41, 0x01};
	static const uint8_t indef[] = {0xbf, 0x01, 0x41, 0x01, 0x02, 0x41, 0x02, 0xff};
	static const uint8_t text[] = {0xa2, 0x01, 0x61, 0x61, 0x02, 0x41, 0x02};

	cr_assert_eq(cosign_body_decode(ok, sizeof(ok), &b, &off, why, sizeof(why)), 0);
	cr_assert_eq(b.request.len, 1);
	cr_assert_eq(b.request.ptr[0], 0x01);
	cr_assert_eq(b.token.ptr[0], 0x02);
	cr_assert_eq(b.approval.ptr[0], 0x03);
	cr_assert_eq(cosign_body_decode(dup, sizeof(dup), &b, &off, why, sizeof(why)),
	             PL_E_COS_BAD_REQUEST);
	cr_assert_eq(off, 4, "the repeated key");
	cr_assert_eq(cosign_body_decode(empty, sizeof(empty), &b, &off, why, sizeof(why)),
	             PL_E_COS_BAD_REQUEST);
	cr_assert_eq(off, 2);
	cr_assert_eq(cosign_body_decode(indef, sizeof(indef), &b, &off, why, sizeof(why)),
	             PL_E_COS_BAD_REQUEST);
	cr_assert_eq(off, 0);
	cr_assert_eq(cosign_body_decode(text, sizeof(text), &b, &off, why, sizeof(why)),
	             PL_E_COS_BAD_REQUEST);
	cr_assert_eq(off, 2);
	cr_assert(strstr(why, "request (1)") != NULL, "%s", why);
}
