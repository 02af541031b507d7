/*
 * `pitlanectl policy check|dump|test` through ctl_policy_main(): exit codes,
 * every error listed, PASS/FAIL lines; the demo policy in policy/ passes
 * check and test.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"

struct run {
	int rc;
	char out[65536];
	char err[65536];
};

static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* Runs ctl_policy_main in a child with stdout/stderr captured. */
static void run(struct run *res, const char *cmd, const char *dir)
{
	char outp[] = "/tmp/pitlane-ctl-out-XXXXXX", errp[] = "/tmp/pitlane-ctl-err-XXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp), st = 0;
	pid_t pid;

	cr_assert(fo >= 0 && fe >= 0);
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)"policy", (char *)cmd, (char *)dir, NULL };
		int rc;

		dup2(fo, 1);
		dup2(fe, 2);
		rc = ctl_policy_main(dir ? 3 : 2, argv);
		fflush(NULL);
		_exit(rc);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	res->rc = WEXITSTATUS(st);
	slurp(fo, res->out, sizeof(res->out));
	slurp(fe, res->err, sizeof(res->err));
	close(fo);
	close(fe);
	unlink(outp);
	unlink(errp);
}

static const char *demo(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/policy", getenv("PITLANE_SOURCE_DIR"));
	return dir;
}

static struct run r;

Test(ctl_policy, REQ_POL_060_demo_policy_passes_check)
{
	run(&r, "check", demo());
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, ": ok (version 1, 5 operations"), "%s", r.out);
	cr_assert_str_eq(r.err, "");
}

Test(ctl_policy, REQ_POL_061_demo_policy_passes_its_tests)
{
	run(&r, "test", demo());
	cr_assert_eq(r.rc, 0, "%s%s", r.out, r.err);
	cr_assert_null(strstr(r.out, "FAIL"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "PASS summer time: Monday 05:30Z is 07:30 in Munich, open"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "22 tests, 22 passed, 0 failed"), "%s", r.out);
}

Test(ctl_policy, REQ_POL_062_check_lists_every_error_and_exits_1)
{
	char dir[] = "/tmp/pitlane-ctl-XXXXXX";
	char path[4096];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("version: 1\nroles:\n  r: { operations: [x] }\n  s: { operation: [] }\n", f);
	fclose(f);
	run(&r, "check", dir);
	cr_assert_eq(r.rc, 1);
	cr_assert_not_null(strstr(r.err, "/a.yaml:3:21: error: roles.r.operations: operation 'x' is "
					 "not defined"),
			   "%s", r.err);
	cr_assert_not_null(strstr(r.err, "/a.yaml:4:8: error: roles.s: unknown key 'operation'"), "%s",
			   r.err);
	cr_assert_not_null(strstr(r.err, "/a.yaml:4:8: error: roles.s: missing key 'operations'"),
			   "%s", r.err);
	cr_assert_not_null(strstr(r.err, ": 3 errors; the policy was not loaded"), "%s", r.err);
	cr_assert_str_eq(r.out, "");
	run(&r, "dump", dir);
	cr_assert_eq(r.rc, 1);
	run(&r, "test", dir);
	cr_assert_eq(r.rc, 1);
	unlink(path);
	rmdir(dir);
}

Test(ctl_policy, REQ_POL_063_failing_test_case_exits_1)
{
	char dir[] = "/tmp/pitlane-ctl-XXXXXX";
	char path[4096];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("version: 1\n"
	      "tests:\n"
	      "  - name: wrong expectation\n"
	      "    request: { device: pc, device_workshop: w, technician: t,\n"
	      "               technician_workshop: w, vin: WVWZZZ1JZXW000001, op: x.y,\n"
	      "               time: \"2025-01-01T00:00:00Z\" }\n"
	      "    expect: { decision: allow }\n"
	      "  - name: right expectation\n"
	      "    request: { device: pc, device_workshop: w, technician: t,\n"
	      "               technician_workshop: w, vin: WVWZZZ1JZXW000001, op: x.y,\n"
	      "               time: \"2025-01-01T00:00:00Z\" }\n"
	      "    expect: { decision: deny, rule: workshops }\n",
	      f);
	fclose(f);
	run(&r, "test", dir);
	cr_assert_eq(r.rc, 1);
	cr_assert_not_null(strstr(r.out, "FAIL wrong expectation ("), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "/a.yaml:3): expected allow, got deny by rule workshops"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "PASS right expectation\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "2 tests, 1 passed, 1 failed"), "%s", r.out);
	unlink(path);
	rmdir(dir);
}

Test(ctl_policy, REQ_POL_064_dump_prints_normalised_yaml)
{
	run(&r, "dump", demo());
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "# pitlane policy, normalised", 28) == 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\n  \"key.learn\":\n    routine: 0xF004\n"), "%s", r.out);
}

Test(ctl_policy, REQ_POL_065_usage_exits_2)
{
	run(&r, "frobnicate", demo());
	cr_assert_eq(r.rc, 2);
	cr_assert_not_null(strstr(r.err, "unknown command 'frobnicate'"));
	run(&r, "check", NULL);
	cr_assert_eq(r.rc, 2);
	cr_assert_not_null(strstr(r.err, "usage: pitlanectl policy"));
}

static void write_one(const char *dir, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void run_diff(struct run *res, const char *a, const char *b)
{
	char outp[] = "/tmp/pitlane-ctl-out-XXXXXX";
	int fo = mkstemp(outp), st = 0;
	pid_t pid;

	cr_assert(fo >= 0);
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)"policy", (char *)"diff", (char *)a, (char *)b, NULL };
		int rc;

		dup2(fo, 1);
		dup2(fo, 2);
		rc = ctl_policy_main(4, argv);
		fflush(NULL);
		_exit(rc);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	res->rc = WEXITSTATUS(st);
	slurp(fo, res->out, sizeof(res->out));
	close(fo);
	unlink(outp);
}

Test(ctl_policy, REQ_POL_066_diff_names_what_a_reload_changes)
{
	char a[] = "/tmp/pitlane-diff-a-XXXXXX", b[] = "/tmp/pitlane-diff-b-XXXXXX";
	char path[4096];
	static const char base[] =
		"version: 1\n"
		"roles: { r: { operations: [] }, s: { operations: [] } }\n"
		"workshops: { w: { roles: [r, s], vin_prefixes: [WVW] } }\n"
		"technicians:\n"
		"  t1: { workshop: w, roles: [r] }\n"
		"  t2: { workshop: w, roles: [r] }\n";
	static const char changed[] =
		"version: 2\n"
		"roles: { r: { operations: [] }, s: { operations: [] } }\n"
		"workshops: { w: { roles: [r, s], vin_prefixes: [WVW] } }\n"
		"technicians:\n"
		"  t1: { workshop: w, roles: [r, s] }\n"
		"  t3: { workshop: w, roles: [r] }\n";

	cr_assert_not_null(mkdtemp(a));
	cr_assert_not_null(mkdtemp(b));
	write_one(a, base);
	write_one(b, changed);
	run_diff(&r, a, b);
	cr_assert_eq(r.rc, 1, "%s", r.out);
	cr_assert_str_eq(r.out,
			 "- version: 1\n"
			 "~ technicians \"t1\":\n"
			 "-     roles: [\"r\"]\n"
			 "+     roles: [\"r\", \"s\"]\n"
			 "- technicians \"t2\":\n"
			 "+ version: 2\n"
			 "+ technicians \"t3\":\n"
			 "5 changes (version 1 -> 2)\n");
	run_diff(&r, a, a);
	cr_assert_eq(r.rc, 0, "%s", r.out);
	cr_assert_str_eq(r.out, "no change (version 1)\n");
	write_one(b, "version: x\n");
	run_diff(&r, a, b);
	cr_assert_eq(r.rc, 2, "%s", r.out);
	snprintf(path, sizeof(path), "%s/p.yaml", a);
	unlink(path);
	rmdir(a);
	snprintf(path, sizeof(path), "%s/p.yaml", b);
	unlink(path);
	rmdir(b);
}
