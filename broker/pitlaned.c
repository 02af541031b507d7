/*
 * pitlaned — the pitlane access broker daemon.
 *
 *   pitlaned -f /etc/pitlane/broker.conf [-n] [-T] [-d] [-v]
 *
 *   -f FILE  configuration (docs/broker.md)
 *   -n       test the configuration: check the files it names (owners, modes,
 *            docs/broker.md "Files"), load the policy, open the database and
 *            the HSM key, build the TLS context; exit 0 (good) or 1
 *   -T       print the effective configuration (parses back) and exit
 *   -d       stay in the foreground (for systemd and tests)
 *   -v       debug logging
 *
 * Exit status: 0 clean shutdown, 1 configuration or start-up error, 2 usage.
 *
 * The daemon runs as four processes (docs/privsep.md): this one becomes the
 * monitor and starts the signer (PIN, HSM), the decider (policy, audit
 * database) and the network front end (TLS, HTTP), each with only what it
 * needs. -n opens each process's part in turn in this one process and exits.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "cosigner_client.h"
#include "decider.h"
#include "file_safety.h"
#include "front.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "privsep.h"
#include "signer_limits.h"

static void usage(FILE *f)
{
	fputs("usage: pitlaned -f broker.conf [-n] [-T] [-d] [-v]\n"
	      "  -n  test the configuration (policy, database, HSM, TLS) and exit\n"
	      "  -T  print the effective configuration and exit\n"
	      "  -d  stay in the foreground\n"
	      "  -v  debug logging\n"
	      "  -h, --help  this text\n",
	      f);
}

/*
 * Goes to the background. The parent waits until the child reports that it
 * listens (one byte on a pipe) or failed, and exits 0 or 1 accordingly.
 * Returns the write end in the child.
 */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0)
		return PL_E_SRV_DAEMON;
	if ((pid = fork()) < 0)
		return PL_E_SRV_DAEMON;
	if (pid > 0) {
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 && c == 'R' ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return PL_E_SRV_DAEMON;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	return p[1];
}

/*
 * A process pitlaned started itself (ps_exec.c): checks its command line,
 * takes the configuration from the monitor and runs its role.
 */
static int child_main(int argc, char **argv)
{
	static struct ps_boot boot;
	struct ps_exec_args a;
	char err[512];
	int r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = ps_exec_parse(argc, argv, &a, err, sizeof(err))) != 0) {
		pl_log_err("startup_failed", r, "msg", err, NULL);
		return 2;
	}
	if ((r = ps_child_boot(a.ctl, &boot, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if (boot.log_level <= PL_LOG_DEBUG)
		pl_log_init("pitlaned", (enum pl_log_level)boot.log_level);
	switch (a.role) {
	case PS_ROLE_SIGNER:
		ps_signer_main(&boot.c, &boot.pc, a.ctl);
	case PS_ROLE_DECIDER:
		ps_decider_main(&boot.c, &boot.pc, a.ctl);
	case PS_ROLE_FRONT:
		ps_front_main(&boot.c, &boot.pc, a.ctl, a.api, a.admin, boot.empty_dir);
	case PS_ROLE_COSIGNER:
		ps_cosigner_main(&boot.c, &boot.pc, a.ctl);
	default:
		return 1;
	}
}

int main(int argc, char **argv)
{
	struct broker_config cfg;
	struct ps_config pc;
	const char *path = NULL;
	int test = 0, print = 0, fg = 0, verbose = 0, opt, r, notify = -1;
	char err[1024];

	pl_log_init("pitlaned", PL_LOG_INFO);
	if (argc > 1 && strcmp(argv[1], PS_CHILD_FLAG) == 0)
		return child_main(argc, argv);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "f:nTdvh")) != -1) {
		switch (opt) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			test = 1;
			break;
		case 'T':
			print = 1;
			break;
		case 'd':
			fg = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (verbose)
		pl_log_init("pitlaned", PL_LOG_DEBUG);
	if ((r = ps_config_load(path, &cfg, &pc, err, sizeof(err))) != 0) {
		pl_log_err("config_invalid", r, "msg", err, NULL);
		return 1;
	}
	if (print) {
		if (broker_config_print(&cfg, stdout) != 0)
			return 1;
		return fflush(stdout) == 0 ? 0 : 1;
	}
	/* Before any of them is opened, in -n and in the real start alike. */
	if ((r = broker_files_check(path, &cfg, BROKER_FILES_START)) != 0) {
		pl_log(PL_LOG_ERROR, "startup_failed", "err", pl_errname(r), "config", path, "msg",
		       "a file named in the configuration is unsafe: see file_refused "
		       "above (path, problem, fix)",
		       NULL);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (test) {
		if ((r = ps_check_all(&cfg, err, sizeof(err))) != 0) {
			pl_log_err("startup_failed", r, "config", path, "msg", err, NULL);
			return 1;
		}
		pl_log(PL_LOG_INFO, "config_ok", "config", path, NULL);
		return 0;
	}
	if (!fg && (notify = daemonize()) < 0) {
		pl_log_err("startup_failed", notify, NULL);
		return 1;
	}
	pl_log(PL_LOG_INFO, "starting", "config", path, NULL);
	return ps_monitor_run(&cfg, &pc, notify);
}
