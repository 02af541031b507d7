/* The privsep keys of broker.conf: REQ-PRIV-007 (docs/privsep.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "ps_child.h"

#define BASE "listen 127.0.0.1:0\ntls_cert c\ntls_key k\nclient_ca ca\n" \
	"key_uri pkcs11:token=t;object=o\npin_file p\npolicy_dir d\ndatabase db\ncrl none\n"

static int parse(const char *extra, struct ps_config *pc, char *err, size_t errlen)
{
	char text[1024];
	struct broker_config c;
	int r;

	snprintf(text, sizeof(text), "%s%s", BASE, extra);
	if ((r = broker_config_parse("b.conf", text, &c, err, errlen)) == 0)
		ps_config_from_broker(&c, pc);
	return r;
}

Test(privsep_config, REQ_PRIV_007_default_user_is_pitlane)
{
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(parse("# user nobody\n", &pc, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pc.user, "pitlane");
	cr_assert_eq(pc.user_set, 0);
}

Test(privsep_config, REQ_PRIV_007_user_taken_from_broker_conf)
{
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(parse("  user\t_pitlane-1 \nworkers 4\n", &pc, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_str_eq(pc.user, "_pitlane-1");
	cr_assert_eq(pc.user_set, 1);
}

Test(privsep_config, REQ_PRIV_007_bad_user_names_refused_with_line)
{
	static const char *bad[] = { "user Root", "user 1abc", "user a/b",
				     "user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[128], err[256] = "";
		struct ps_config pc = { .user = "unchanged" };

		snprintf(extra, sizeof(extra), "%s\n", bad[i]);
		cr_assert_eq(parse(extra, &pc, err, sizeof(err)), PL_E_SRV_CONFIG_VALUE, "%s",
			     bad[i]);
		cr_assert(strncmp(err, "b.conf:10: user must be", 23) == 0, "%s", err);
		cr_assert_str_eq(pc.user, "unchanged");
	}
}

Test(privsep_config, REQ_PRIV_007_user_given_twice_refused)
{
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(parse("user a\nuser b\n", &pc, err, sizeof(err)), PL_E_SRV_CONFIG_DUP);
	cr_assert_str_eq(err, "b.conf:11: key 'user' given twice; keep one line");
}

Test(privsep_config, REQ_PRIV_007_keys_starting_with_user_are_unknown)
{
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(parse("username x\n", &pc, err, sizeof(err)), PL_E_SRV_CONFIG_KEY);
}
