/*
 * sysfilter: runs a program under the system call allow-list a systemd unit's
 * SystemCallFilter= lines describe, with SystemCallErrorNumber=EPERM, the way
 * systemd would (the test machine has no systemd as PID 1).
 *
 *   sysfilter LIST-FILE PROGRAM [ARGS...]
 *
 * LIST-FILE: one system call name per line (in_root.sh expands the unit's groups
 * with systemd-analyze). Names this architecture does not know are skipped, as
 * systemd skips them. The caller must have set no_new_privs (setpriv does).
 * Exit status: 127 on a usage, file or seccomp error, else the program's.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NAME_MAX_LEN 64

static int load_list(scmp_filter_ctx ctx, const char *path, unsigned *n_out)
{
	char line[NAME_MAX_LEN + 2];
	unsigned n = 0;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "sysfilter: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\n");
		int nr;

		if (line[len] != '\n' && !feof(f)) {
			fprintf(stderr, "sysfilter: %s: line longer than %d characters\n", path,
				NAME_MAX_LEN);
			r = -1;
			break;
		}
		line[len] = '\0';
		if (len == 0)
			continue;
		nr = seccomp_syscall_resolve_name(line);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
			fprintf(stderr, "sysfilter: cannot allow %s\n", line);
			r = -1;
			break;
		}
		n++;
	}
	fclose(f);
	*n_out = n;
	return r;
}

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	unsigned n = 0;

	if (argc < 3) {
		fputs("usage: sysfilter LIST-FILE PROGRAM [ARGS...]\n", stderr);
		return 127;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		fputs("sysfilter: seccomp_init failed\n", stderr);
		return 127;
	}
	if (load_list(ctx, argv[1], &n) != 0 || n == 0) {
		if (n == 0)
			fprintf(stderr, "sysfilter: %s allows no system call\n", argv[1]);
		seccomp_release(ctx);
		return 127;
	}
	if (seccomp_load(ctx) != 0) {
		fputs("sysfilter: seccomp_load failed (no_new_privs set?)\n", stderr);
		seccomp_release(ctx);
		return 127;
	}
	seccomp_release(ctx);
	execv(argv[2], argv + 2);
	fprintf(stderr, "sysfilter: cannot run %s: %s\n", argv[2], strerror(errno));
	return 127;
}
