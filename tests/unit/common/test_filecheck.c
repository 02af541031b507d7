/* File safety checks: REQ-COM-010..REQ-COM-016 (docs/CODING_STYLE.md, pl_file.h). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_file.h"

#define NOBODY 65534

static char dir[64];
static struct pl_file_problem pb;

static void setup(void)
{
	strcpy(dir, "/tmp/pl-test-filecheck-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(filecheck, .init = setup, .fini = teardown);

/* dir/name, created with mode (files) */
static const char *put(const char *name, mode_t mode)
{
	static char paths[8][256];
	static int next;
	char *path = paths[next++ % 8];
	int fd;

	snprintf(path, 256, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0, "%s", path);
	cr_assert_eq(write(fd, "x\n", 2), 2);
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static const char *mkdir_in(const char *name, mode_t mode)
{
	static char paths[4][256];
	static int next;
	char *path = paths[next++ % 4];

	snprintf(path, 256, "%s/%s", dir, name);
	cr_assert_eq(mkdir(path, 0700), 0, "%s", path);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static int check(const char *path, enum pl_file_role role)
{
	return pl_file_check(path, role, PL_FILE_NO_UID, &pb);
}

/* The fix is exactly "cmd path". */
static void expect_fix(const char *cmd, const char *path)
{
	char want[512];

	snprintf(want, sizeof(want), "%s %s", cmd, path);
	cr_assert_str_eq(pb.fix, want);
}

Test(filecheck, REQ_COM_010_owner_only_secret_passes_group_or_world_readable_refused_with_chmod)
{
	const char *ok = put("ok.key", 0600), *ro = put("ro.key", 0400);
	const char *g = put("g.key", 0640), *w = put("w.key", 0644), *gw = put("gw.pin", 0620);

	cr_assert_eq(check(ok, PL_FILE_SECRET), 0, "%s: %s", pb.path, pb.what);
	cr_assert_eq(check(ro, PL_FILE_SECRET), 0, "%s: %s", pb.path, pb.what);
	cr_assert_eq(check(g, PL_FILE_SECRET), PL_E_SECRET_MODE);
	cr_assert_str_eq(pb.path, g);
	cr_assert(strstr(pb.what, "readable by group or others (mode 0640)") != NULL, "%s",
	          pb.what);
	expect_fix("chmod 600", g);
	cr_assert_eq(check(w, PL_FILE_SECRET), PL_E_SECRET_MODE);
	expect_fix("chmod 600", w);
	cr_assert_eq(check(gw, PL_FILE_SECRET), PL_E_SECRET_MODE);
	cr_assert(strstr(pb.what, "accessible by group or others (mode 0620)") != NULL, "%s",
	          pb.what);
}

Test(filecheck, REQ_COM_011_secret_symlink_directory_and_missing_file_refused)
{
	const char *target = put("real.key", 0600);
	char link[256], missing[256];

	snprintf(link, sizeof(link), "%s/link.key", dir);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(check(link, PL_FILE_SECRET), PL_E_SECRET_LINK);
	cr_assert_str_eq(pb.path, link);
	cr_assert(strstr(pb.what, "symbolic link") != NULL && strstr(pb.what, target) != NULL, "%s",
	          pb.what);
	cr_assert(strstr(pb.fix, target) != NULL, "%s", pb.fix);
	cr_assert_eq(check(dir, PL_FILE_SECRET), PL_E_NOT_REGULAR);
	snprintf(missing, sizeof(missing), "%s/missing.key", dir);
	cr_assert_eq(check(missing, PL_FILE_SECRET), PL_E_NOENT);
	cr_assert_str_eq(pb.path, missing);
	cr_assert_str_eq(pb.what, "does not exist");
	/* The reader refuses the link the same way, on the descriptor. */
	char *s = NULL;
	size_t n;
	cr_assert_eq(pl_read_secret_file(link, 64, &s, &n), PL_E_SECRET_LINK);
	cr_assert_null(s);
}

Test(filecheck, REQ_COM_012_secret_of_another_user_refused_with_chown)
{
	const char *k = put("other.key", 0600);

	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to another user");
	cr_assert_eq(chown(k, NOBODY, NOBODY), 0);
	cr_assert_eq(check(k, PL_FILE_SECRET), PL_E_SECRET_OWNER);
	cr_assert(strstr(pb.what,
	                 "is owned by nobody, not by root (the user the program runs as)") != NULL,
	          "%s", pb.what);
	expect_fix("chown root", k);
	/* also trusts another owner of directories and authority files, never of secrets: */
	cr_assert_eq(pl_file_check(k, PL_FILE_SECRET, NOBODY, &pb), PL_E_SECRET_OWNER);
	/* the service's own secret checked by root: run the check as the service user */
	cr_assert(strstr(pb.fix, "run the program as nobody") != NULL, "%s", pb.fix);
}

Test(filecheck, REQ_COM_013_authority_file_and_dir_writable_by_others_refused_with_chmod_go_w)
{
	const char *ca = put("ca.crt", 0644), *gw = put("gw.crl", 0664), *ww = put("ww.crl", 0646);
	const char *pol = mkdir_in("policy", 0750), *wpol = mkdir_in("wpolicy", 0777);
	const char *spol = mkdir_in("spolicy", 01777);

	cr_assert_eq(check(ca, PL_FILE_AUTHORITY), 0, "%s: %s", pb.path, pb.what);
	cr_assert_eq(check(pol, PL_FILE_AUTHORITY_DIR), 0, "%s: %s", pb.path, pb.what);
	cr_assert_eq(check(gw, PL_FILE_AUTHORITY), PL_E_UNSAFE_MODE);
	cr_assert(strstr(pb.what, "writable by its group (mode 0664)") != NULL, "%s", pb.what);
	expect_fix("chmod go-w", gw);
	cr_assert_eq(check(ww, PL_FILE_AUTHORITY), PL_E_UNSAFE_MODE);
	cr_assert(strstr(pb.what, "writable by others (mode 0646)") != NULL, "%s", pb.what);
	cr_assert_eq(check(wpol, PL_FILE_AUTHORITY_DIR), PL_E_UNSAFE_MODE);
	cr_assert_str_eq(pb.path, wpol);
	expect_fix("chmod go-w", wpol);
	/* The sticky bit does not save the directory itself: anyone could add a file. */
	cr_assert_eq(check(spol, PL_FILE_AUTHORITY_DIR), PL_E_UNSAFE_MODE);
	/* Wrong kinds. */
	cr_assert_eq(check(ca, PL_FILE_AUTHORITY_DIR), PL_E_NOT_DIR);
	cr_assert_eq(check(pol, PL_FILE_AUTHORITY), PL_E_NOT_REGULAR);
}

Test(filecheck, REQ_COM_013_authority_of_another_user_refused_unless_trusted_with_also)
{
	const char *ca = put("ca.crt", 0644), *db = mkdir_in("db", 0700);

	if (geteuid() != 0)
		cr_skip_test("needs root to give a file to another user");
	cr_assert_eq(chown(ca, NOBODY, NOBODY), 0);
	cr_assert_eq(chown(db, NOBODY, NOBODY), 0);
	cr_assert_eq(check(ca, PL_FILE_AUTHORITY), PL_E_UNSAFE_OWNER);
	expect_fix("chown root", ca);
	cr_assert_eq(check(db, PL_FILE_AUTHORITY_DIR), PL_E_UNSAFE_OWNER);
	cr_assert_eq(pl_file_check(ca, PL_FILE_AUTHORITY, NOBODY, &pb), 0, "%s", pb.what);
	cr_assert_eq(pl_file_check(db, PL_FILE_AUTHORITY_DIR, NOBODY, &pb), 0, "%s", pb.what);
}

Test(filecheck, REQ_COM_014_parent_directories_writable_by_others_refused_sticky_ones_pass)
{
	const char *open_dir = mkdir_in("open", 0777), *grp = mkdir_in("grp", 0770);
	const char *sticky = mkdir_in("sticky", 01777);
	char key[256], ca[256], pol[256];

	snprintf(key, sizeof(key), "%s/open/tls.key", dir);
	close(open(key, O_WRONLY | O_CREAT, 0600));
	cr_assert_eq(check(key, PL_FILE_SECRET), PL_E_UNSAFE_MODE);
	cr_assert_str_eq(pb.path, open_dir, "the parent is named: %s", pb.path);
	expect_fix("chmod go-w", open_dir);
	snprintf(ca, sizeof(ca), "%s/grp/ca.crt", dir);
	close(open(ca, O_WRONLY | O_CREAT, 0644));
	cr_assert_eq(check(ca, PL_FILE_AUTHORITY), PL_E_UNSAFE_MODE);
	cr_assert_str_eq(pb.path, grp);
	/* A sticky world-writable directory (like /tmp) above the file: nobody can swap it. */
	snprintf(pol, sizeof(pol), "%s/sticky/policy", dir);
	cr_assert_eq(mkdir(pol, 0750), 0);
	cr_assert_eq(check(pol, PL_FILE_AUTHORITY_DIR), 0, "%s: %s", pb.path, pb.what);
	(void)sticky;
	/* The whole way up: the test directory sits in /tmp (sticky) and / (root). */
	cr_assert_eq(check(put("k", 0600), PL_FILE_SECRET), 0, "%s: %s", pb.path, pb.what);
}

Test(filecheck, REQ_COM_015_authority_link_checked_at_both_ends)
{
	const char *safe = mkdir_in("safe", 0755), *open_dir = mkdir_in("open", 0777);
	char target[256], link[256], link2[256];

	/* link in a safe directory, target in a world-writable one: refused (the target's dir) */
	snprintf(target, sizeof(target), "%s/ca.crt", open_dir);
	close(open(target, O_WRONLY | O_CREAT, 0644));
	snprintf(link, sizeof(link), "%s/ca.crt", safe);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(check(link, PL_FILE_AUTHORITY), PL_E_UNSAFE_MODE);
	cr_assert_str_eq(pb.path, open_dir);
	/* link in a world-writable directory, target safe: refused (the link's dir) */
	snprintf(target, sizeof(target), "%s/real.crt", safe);
	close(open(target, O_WRONLY | O_CREAT, 0644));
	snprintf(link2, sizeof(link2), "%s/link.crt", open_dir);
	cr_assert_eq(symlink(target, link2), 0);
	cr_assert_eq(check(link2, PL_FILE_AUTHORITY), PL_E_UNSAFE_MODE);
	cr_assert_str_eq(pb.path, open_dir);
	/* both safe: accepted */
	snprintf(link2, sizeof(link2), "%s/good.crt", safe);
	cr_assert_eq(symlink(target, link2), 0);
	cr_assert_eq(check(link2, PL_FILE_AUTHORITY), 0, "%s: %s", pb.path, pb.what);
}

Test(filecheck, REQ_COM_016_fix_is_a_shell_command_even_for_odd_paths)
{
	const char *k = put("my key's.pem", 0644);
	char want[512];

	cr_assert_eq(check(k, PL_FILE_SECRET), PL_E_SECRET_MODE);
	snprintf(want, sizeof(want), "chmod 600 '%s/my key'\\''s.pem'", dir);
	cr_assert_str_eq(pb.fix, want);
	cr_assert_eq(check("", PL_FILE_SECRET), PL_E_INVAL);
	/* a relative name that starts with '-' is not taken for an option */
	cr_assert_eq(chdir(dir), 0);
	put("-k.pem", 0644);
	cr_assert_eq(check("-k.pem", PL_FILE_SECRET), PL_E_SECRET_MODE);
	cr_assert_str_eq(pb.fix, "chmod 600 ./-k.pem");
	cr_assert_eq(chdir("/"), 0);
}
