/*
 * What a process can still do after ps_drop(): REQ-PRIV-026, REQ-PRIV-027
 * (docs/privsep.md). Each case forks a child that drops exactly as the
 * decider or the front end does and then tries to open files, create a
 * socket or run a program; the parent checks the outcome (exit code or the
 * SIGSYS of a seccomp kill).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_child.h"

static char top[256], dbdir[300], poldir[300], secret[300], empty[300];
static int ll_abi;        /* the kernel's Landlock ABI, read before any drop */
static struct broker_config cfg;
static struct ps_config pc;

static int landlock_abi(void);

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* A tree outside /tmp and /var/tmp: database dir, policy dir, a "PIN" elsewhere. */
static void setup(void)
{
	char path[400];

	snprintf(top, sizeof(top), "%s/privsep-drop.XXXXXX",
		 getenv("PITLANE_BINARY_DIR") ? getenv("PITLANE_BINARY_DIR") : ".");
	cr_assert_not_null(mkdtemp(top));
	snprintf(dbdir, sizeof(dbdir), "%s/db", top);
	snprintf(poldir, sizeof(poldir), "%s/policy", top);
	snprintf(secret, sizeof(secret), "%s/secret", top);
	snprintf(empty, sizeof(empty), "%s/empty", top);
	cr_assert_eq(mkdir(dbdir, 0700), 0);
	cr_assert_eq(mkdir(poldir, 0755), 0);
	cr_assert_eq(mkdir(secret, 0700), 0);
	cr_assert_eq(mkdir(empty, 0700), 0);
	snprintf(path, sizeof(path), "%s/00.yaml", poldir);
	mkfile(path, "version: 1\n");
	snprintf(path, sizeof(path), "%s/pin", secret);
	mkfile(path, "1234\n");
	chmod(path, 0600);
	ll_abi = landlock_abi();
	broker_config_defaults(&cfg);
	snprintf(cfg.database, sizeof(cfg.database), "%s/audit.db", dbdir);
	snprintf(cfg.policy_dir, sizeof(cfg.policy_dir), "%s", poldir);
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.user, sizeof(pc.user), "pitlane");
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	cr_assert_eq(system(cmd), 0);
}

static int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? (int)v : 0;
}

/* Runs fn in a child after ps_drop(role); returns the wait status. */
static int in_dropped_child(enum ps_role role, int (*fn)(void))
{
	char err[256] = "";
	int status = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (ps_drop(role, &pc, &cfg, role == PS_ROLE_FRONT ? empty : NULL, err,
			    sizeof(err)) != 0) {
			fprintf(stderr, "ps_drop: %s\n", err);
			_exit(100);
		}
		_exit(fn());
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static int try_open(const char *dir, const char *name, int flags)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Exit codes: 0 all as expected; else which check failed. */
static int decider_files(void)
{
	if (try_open(dbdir, "audit.db", O_RDWR | O_CREAT) != 0)
		return 1;                                    /* its database */
	if (try_open(dbdir, "audit.db-wal", O_RDWR | O_CREAT) != 0)
		return 2;                                    /* SQLite's side files */
	if (try_open(poldir, "00.yaml", O_RDONLY) != 0)
		return 3;                                    /* the policy (reload) */
	if (try_open(poldir, "00.yaml", O_WRONLY) == 0)
		return 4;                                    /* ... read only */
	if (ll_abi > 0 && try_open(secret, "pin", O_RDONLY) != -EACCES)
		return 5;                                    /* not the PIN */
	if (ll_abi > 0 && try_open("/etc", "hostname", O_RDONLY) != -EACCES)
		return 6;                                    /* nothing else */
	return 0;
}

static int front_files(void)
{
	if (try_open(dbdir, "audit.db", O_RDWR | O_CREAT) == 0)
		return 1;
	if (try_open(secret, "pin", O_RDONLY) == 0)
		return 2;
	if (try_open("/etc", "hostname", O_RDONLY) == 0)
		return 3;
	if (try_open("/", "tmp", O_RDONLY | O_DIRECTORY) == 0)
		return 4;
	return 0;
}

static int make_socket(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* The filter answers EACCES (libraries calling syslog(3) must survive). */
	if (s >= 0)
		return 10;
	return errno == EACCES ? 0 : 11;
}

static int run_program(void)
{
	static char prog[] = "/bin/true";
	char *argv[] = { prog, NULL };

	execv(prog, argv);
	return 12;
}

TestSuite(privsep_drop, .init = setup, .fini = teardown);

Test(privsep_drop, REQ_PRIV_026_decider_opens_its_database_and_policy_only)
{
	int st = in_dropped_child(PS_ROLE_DECIDER, decider_files);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

Test(privsep_drop, REQ_PRIV_026_decider_cannot_create_sockets_or_run_programs)
{
	int st;

#ifndef PITLANE_HAVE_SECCOMP
	cr_skip_test("pitlaned built without libseccomp");
#endif
	st = in_dropped_child(PS_ROLE_DECIDER, make_socket);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "socket must fail with EACCES: status %#x",
		  st);
	st = in_dropped_child(PS_ROLE_DECIDER, run_program);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "exec: status %#x", st);
}

Test(privsep_drop, REQ_PRIV_027_front_end_opens_nothing)
{
	int st = in_dropped_child(PS_ROLE_FRONT, front_files);

	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

Test(privsep_drop, REQ_PRIV_027_front_end_cannot_create_sockets_or_run_programs)
{
	int st;

#ifndef PITLANE_HAVE_SECCOMP
	cr_skip_test("pitlaned built without libseccomp");
#endif
	st = in_dropped_child(PS_ROLE_FRONT, make_socket);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "socket must fail with EACCES: status %#x",
		  st);
	st = in_dropped_child(PS_ROLE_FRONT, run_program);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "exec: status %#x", st);
}

/*
 * The cosigner-client (REQ-BRK-322, docs/privsep.md): no files, sockets of AF_INET and
 * AF_INET6 only, TCP connect to the co-signer's port only (Landlock ABI >= 4), no exec.
 */
static int allowed_port, other_port;

static int listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 4), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int connect_to(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_STREAM, 0), r;

	if (s < 0)
		return -errno;
	r = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : -errno;
	close(s);
	return r;
}

static int cosigner_limits(void)
{
	if (try_open("/etc", "hostname", O_RDONLY) == 0)
		return 1;                                    /* no files */
	if (try_open(secret, "pin", O_RDONLY) == 0)
		return 2;
#ifdef PITLANE_HAVE_SECCOMP
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EACCES)
		return 3;                                    /* AF_UNIX: a plain error */
#endif
	if (connect_to(allowed_port) != 0)
		return 4;                                    /* the co-signer's port */
	if (ll_abi >= 4 && connect_to(other_port) != -EACCES)
		return 5;                                    /* no other */
	return 0;
}

Test(privsep_drop, REQ_BRK_322_cosigner_client_reaches_the_cosigner_port_only)
{
	int a = listener(&allowed_port), o = listener(&other_port), st;

	snprintf(cfg.cosigner_url, sizeof(cfg.cosigner_url), "https://127.0.0.1:%d", allowed_port);
	st = in_dropped_child(PS_ROLE_COSIGNER, cosigner_limits);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x (Landlock ABI %d)", st,
		  ll_abi);
#ifdef PITLANE_HAVE_SECCOMP
	st = in_dropped_child(PS_ROLE_COSIGNER, run_program);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "exec: status %#x", st);
#endif
	close(a);
	close(o);
}
