/* The privsep keys of broker.conf: REQ-PRIV-007 (docs/privsep.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "privsep.h"

Test(privsep_config, REQ_PRIV_007_default_user_is_pitlane)
{
	char text[] = "listen 127.0.0.1:0\n# user nobody\n";
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(ps_config_extract("b.conf", text, &pc, err, sizeof(err)), 0);
	cr_assert_str_eq(pc.user, "pitlane");
	cr_assert_eq(pc.user_set, 0);
	cr_assert_str_eq(text, "listen 127.0.0.1:0\n# user nobody\n");
}

Test(privsep_config, REQ_PRIV_007_user_taken_and_line_commented_out)
{
	char text[] = "listen 127.0.0.1:0\n  user\t_pitlane-1 \nworkers 4\n";
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(ps_config_extract("b.conf", text, &pc, err, sizeof(err)), 0);
	cr_assert_str_eq(pc.user, "_pitlane-1");
	cr_assert_eq(pc.user_set, 1);
	/* Same line count, the key's line is a comment now. */
	cr_assert_str_eq(text, "listen 127.0.0.1:0\n  #ser\t_pitlane-1 \nworkers 4\n");
}

Test(privsep_config, REQ_PRIV_007_bad_user_names_refused_with_line)
{
	static const char *bad[] = { "user Root", "user 1abc", "user a/b",
				     "user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "user " };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128], err[256] = "";
		struct ps_config pc = { .user = "unchanged" };

		snprintf(text, sizeof(text), "workers 4\n%s\n", bad[i]);
		cr_assert_eq(ps_config_extract("b.conf", text, &pc, err, sizeof(err)),
			     PL_E_SRV_CONFIG_VALUE, "%s", bad[i]);
		cr_assert(strncmp(err, "b.conf:2: user must be", 22) == 0, "%s", err);
		cr_assert_str_eq(pc.user, "unchanged");
	}
}

Test(privsep_config, REQ_PRIV_007_user_given_twice_refused)
{
	char text[] = "user a\nuser b\n";
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(ps_config_extract("b.conf", text, &pc, err, sizeof(err)),
		     PL_E_SRV_CONFIG_DUP);
	cr_assert_str_eq(err, "b.conf:2: key 'user' given twice; keep one");
}

Test(privsep_config, REQ_PRIV_007_keys_starting_with_user_are_not_taken)
{
	char text[] = "username x\n";
	struct ps_config pc;
	char err[256] = "";

	cr_assert_eq(ps_config_extract("b.conf", text, &pc, err, sizeof(err)), 0);
	cr_assert_eq(pc.user_set, 0);
	cr_assert_str_eq(text, "username x\n");
}
