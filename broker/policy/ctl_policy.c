/*
 * `pitlanectl policy check|dump|test DIR`
 *
 *   check  loads DIR and lists every error as file:line:col: error: message
 *   dump   prints the normalised policy (YAML) on stdout
 *   test   runs the tests: cases of the policy files, one PASS/FAIL line each
 *   diff   OLD NEW: what a reload from OLD to NEW changes, entity by entity
 *
 * Exit codes: 0 ok; 1 the policy has errors or a test failed; 2 usage.
 * diff, like diff(1): 0 no change, 1 changes, 2 usage or a policy with errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_codec.h"
#include "pl_err.h"
#include "policy.h"

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

static void usage(FILE *f)
{
	fputs("usage: pitlanectl policy check DIR   validate every file, list all errors\n"
	      "       pitlanectl policy dump DIR    print the normalised policy (YAML)\n"
	      "       pitlanectl policy test DIR    run the tests: cases in the policy files\n"
	      "       pitlanectl policy diff OLD NEW  what changes from policy OLD to NEW\n"
	      "exit: 0 ok, 1 policy errors or failed tests, 2 usage\n"
	      "      (diff: 0 no change, 1 changes, 2 usage or errors)\n",
	      f);
}

static void print_diag(void *ctx, const struct policy_diag *d)
{
	unsigned *count = ctx;

	if (d->line > 0)
		fprintf(stderr, "%s:%u:%u: error: %s\n", d->file, d->line, d->col, d->msg);
	else
		fprintf(stderr, "%s: error: %s\n", d->file, d->msg);
	(*count)++;
}

static int load(const char *dir, struct policy **p)
{
	unsigned count = 0;
	struct policy_load_opts opts = {.diag_fn = print_diag, .diag_ctx = &count};
	struct policy_diag first;
	int r = policy_load_dir_opts(dir, &opts, p, &first);

	if (r != 0)
		fprintf(stderr, "%s: %u error%s; the policy was not loaded (%s)\n", dir, count,
		        count == 1 ? "" : "s", pl_errname(r));
	return r;
}

static int cmd_check(const char *dir)
{
	struct policy *p = NULL;
	uint8_t dg[32];

	if (load(dir, &p) != 0)
		return CTL_FAIL;
	policy_digest(p, dg);
	printf("%s: ok (version %u, %zu operations, digest ", dir, policy_version(p),
	       policy_op_count(p));
	pl_hex_fput(stdout, dg, 8);
	printf(")\n");
	policy_unref(p);
	return CTL_OK;
}

static int cmd_dump(const char *dir)
{
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = CTL_FAIL;

	if (load(dir, &p) != 0)
		return CTL_FAIL;
	if (policy_dump(p, &text, &len) != 0) {
		fprintf(stderr, "%s: cannot dump the policy: out of memory\n", dir);
		goto out;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "%s: cannot write the dump to stdout\n", dir);
		goto out;
	}
	rc = CTL_OK;
out:
	free(text);
	policy_unref(p);
	return rc;
}

static void print_result(void *ctx, const struct policy_test_result *r)
{
	(void)ctx;
	if (r->pass)
		printf("PASS %s\n", r->name);
	else
		printf("FAIL %s (%s:%u): %s\n", r->name, r->file, r->line, r->detail);
}

static int cmd_test(const char *dir)
{
	struct policy *p = NULL;
	size_t total = 0, failed = 0;
	int rc;

	if (load(dir, &p) != 0)
		return CTL_FAIL;
	policy_run_tests(p, print_result, NULL, &total, &failed);
	printf("%zu test%s, %zu passed, %zu failed\n", total, total == 1 ? "" : "s", total - failed,
	       failed);
	if (total == 0)
		fprintf(stderr, "%s: no tests: cases in the policy files\n", dir);
	rc = failed == 0 ? CTL_OK : CTL_FAIL;
	policy_unref(p);
	return rc;
}

static int cmd_diff(const char *old_dir, const char *new_dir)
{
	struct policy *a = NULL, *b = NULL;
	size_t n = 0;
	int rc = CTL_USAGE;

	if (load(old_dir, &a) != 0 || load(new_dir, &b) != 0)
		goto out;
	if (policy_diff(a, b, stdout, &n) != 0) {
		fprintf(stderr, "pitlanectl policy diff: out of memory\n");
		goto out;
	}
	if (n == 0)
		printf("no change (version %u)\n", policy_version(b));
	else
		printf("%zu change%s (version %u -> %u)\n", n, n == 1 ? "" : "s", policy_version(a),
		       policy_version(b));
	rc = n == 0 ? CTL_OK : CTL_FAIL;
out:
	policy_unref(a);
	policy_unref(b);
	return rc;
}

int ctl_policy_main(int argc, char **argv)
{
	const char *cmd;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return CTL_OK;
	}
	if (argc == 4 && strcmp(argv[1], "diff") == 0)
		return cmd_diff(argv[2], argv[3]);
	if (argc != 3) {
		usage(stderr);
		return CTL_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argv[2]);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argv[2]);
	if (strcmp(cmd, "test") == 0)
		return cmd_test(argv[2]);
	fprintf(stderr, "pitlanectl policy: unknown command '%s'\n", cmd);
	usage(stderr);
	return CTL_USAGE;
}
