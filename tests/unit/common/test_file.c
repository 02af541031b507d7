#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_file.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/pl-test-file-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void put(const char *name, const char *text, mode_t mode, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
}

TestSuite(common_file, .init = setup);

Test(common_file, REQ_COM_004_secret_file_owner_only_is_read_without_newline)
{
	char path[128], *s;
	size_t n;
	put("pin", "1234\n", 0600, path, sizeof(path));
	cr_assert_eq(pl_read_secret_file(path, 64, &s, &n), 0);
	cr_assert_str_eq(s, "1234");
	cr_assert_eq(n, 4);
	pl_free_wiped(s, n);
}

Test(common_file, REQ_COM_004_secret_file_group_or_world_access_refused)
{
	char path[128], *s = (char *)1;
	size_t n;
	put("pin-g", "1234", 0640, path, sizeof(path));
	cr_assert_eq(pl_read_secret_file(path, 64, &s, &n), PL_E_SECRET_MODE);
	cr_assert_null(s);
	put("pin-o", "1234", 0604, path, sizeof(path));
	cr_assert_eq(pl_read_secret_file(path, 64, &s, &n), PL_E_SECRET_MODE);
}

Test(common_file, REQ_COM_004_secret_file_symlink_and_directory_refused)
{
	char path[128], link[160], *s;
	size_t n;
	put("pin", "1234", 0600, path, sizeof(path));
	snprintf(link, sizeof(link), "%s/link", dir);
	cr_assert_eq(symlink(path, link), 0);
	cr_assert_eq(pl_read_secret_file(link, 64, &s, &n), PL_E_SECRET_LINK);
	cr_assert_eq(pl_read_secret_file(dir, 64, &s, &n), PL_E_NOT_REGULAR);
	snprintf(link, sizeof(link), "%s/missing", dir);
	cr_assert_eq(pl_read_secret_file(link, 64, &s, &n), PL_E_NOENT);
}

Test(common_file, REQ_COM_005_read_file_enforces_limit)
{
	char path[128];
	uint8_t *b;
	size_t n;
	put("big", "0123456789", 0644, path, sizeof(path));
	cr_assert_eq(pl_read_file(path, 9, &b, &n), PL_E_TOOBIG);
	cr_assert_eq(pl_read_file(path, 10, &b, &n), 0);
	cr_assert_eq(n, 10);
	cr_assert_eq(b[10], '\0');
	free(b);
}

Test(common_file, REQ_COM_005_write_file_is_atomic_and_sets_mode)
{
	char path[128];
	struct stat st;
	uint8_t *b;
	size_t n;
	snprintf(path, sizeof(path), "%s/out", dir);
	cr_assert_eq(pl_write_file(path, "abc", 3, 0600), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(pl_read_file(path, 100, &b, &n), 0);
	cr_assert_eq(n, 3);
	free(b);
}
