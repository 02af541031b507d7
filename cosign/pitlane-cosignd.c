/*
 * pitlane-cosignd — the pitlane co-signer (docs/cosigner.md).
 *
 *   pitlane-cosignd -f /etc/pitlane/cosignd.conf [-n] [-T] [-d] [-v]
 *   pitlane-cosignd -f /etc/pitlane/cosignd.conf --print-pubkey
 *   pitlane-cosignd --verify-audit /var/lib/pitlane-cosign/cosign.db
 *
 *   -f FILE         configuration (docs/cosigner.md, "Configuration")
 *   -n              test the configuration: TLS files, the HSM key, the checks
 *                   (CA, CRL, limits, approvers, audit database); exit 0 or 1
 *   -T              print the effective configuration (parses back) and exit
 *   -d              stay in the foreground (systemd, tests)
 *   -v              debug logging
 *   --print-pubkey  the signing key's public key (PEM) for the ECUs' trust
 *                   store, its kid on stderr
 *   --verify-audit  walk the audit chain of an audit_db file: exit 0 when it
 *                   verifies, 1 naming the first bad row
 *
 * Exit status: 0 clean shutdown, 1 configuration or start-up error, 2 usage.
 * Two processes: this one becomes the core (HSM, checks, audit) and starts the
 * network child (`--net-child`, internal) that parses what the network sends.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "cosign_check.h"
#include "cosign_conf.h"
#include "net.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_log.h"

enum { OPT_PUBKEY = 256, OPT_NET_CHILD, OPT_VERIFY_AUDIT };

struct opts {
	const char *path, *verify_audit;
	int test, print, fg, verbose, pubkey, net_child;
};

static void usage(FILE *f)
{
	fputs("usage: pitlane-cosignd -f cosignd.conf [-n] [-T] [-d] [-v]\n"
	      "       pitlane-cosignd -f cosignd.conf --print-pubkey\n"
	      "       pitlane-cosignd --verify-audit cosign.db\n"
	      "  -n  test the configuration (TLS files, HSM key, checks, audit database) and "
	      "exit\n"
	      "  -T  print the effective configuration and exit\n"
	      "  -d  stay in the foreground\n"
	      "  -v  debug logging\n"
	      "  --print-pubkey  print the co-signing public key (PEM) for the ECU trust store\n"
	      "  --verify-audit FILE  verify the audit chain of an audit_db file and exit\n"
	      "  -h, --help  this text\n",
	      f);
}

/* 0 to go on, else the exit code + 1. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"print-pubkey", no_argument, NULL, OPT_PUBKEY},
	    {"net-child", no_argument, NULL, OPT_NET_CHILD},
	    {"verify-audit", required_argument, NULL, OPT_VERIFY_AUDIT},
	    {NULL, 0, NULL, 0}};
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt_long(argc, argv, "f:nTdvh", longs, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->path = optarg;
			break;
		case 'n':
			o->test = 1;
			break;
		case 'T':
			o->print = 1;
			break;
		case 'd':
			o->fg = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_PUBKEY:
			o->pubkey = 1;
			break;
		case OPT_NET_CHILD:
			o->net_child = 1;
			break;
		case OPT_VERIFY_AUDIT:
			o->verify_audit = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 3;
		}
	}
	if ((o->path == NULL) == (o->verify_audit == NULL) || optind != argc) {
		usage(stderr);
		return 3;
	}
	return 0;
}

/* As pitlaned's: the parent waits for 'R' (serving) on a pipe and exits 0, else 1. */
static int daemonize(void)
{
	int p[2], devnull;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 && c == 'R' ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	return p[1];
}

static int verify_audit(const char *path)
{
	uint64_t rows = 0, bad = 0;
	char err[512] = "", n[24], b[24];
	int r = cosign_audit_verify(path, &rows, &bad, err, sizeof(err));

	snprintf(n, sizeof(n), "%llu", (unsigned long long)rows);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)bad);
	if (r != 0) {
		pl_log_err("audit_broken", r, "file", path, "first_bad_row", b, "msg", err, NULL);
		return 1;
	}
	pl_log(PL_LOG_INFO, "audit_ok", "file", path, "rows", n, NULL);
	return 0;
}

static int print_pubkey(const struct core *c)
{
	char kid[2 * PLT_KID_LEN + 1];

	if (cosign_hsm_write_pem(c->hsm, stdout) != 0 || fflush(stdout) != 0)
		return 1;
	pl_hex_encode(cosign_hsm_kid(c->hsm), PLT_KID_LEN, kid, sizeof(kid));
	pl_log(PL_LOG_INFO, "cosign_pubkey", "kid", kid, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct cosign_conf cfg;
	struct core *core = NULL;
	struct opts o;
	char err[1024];
	int r, notify = -1;

	pl_log_init("pitlane-cosignd", PL_LOG_INFO);
	if ((r = parse_args(argc, argv, &o)) != 0)
		return r - 1;
	if (o.verbose)
		pl_log_init("pitlane-cosignd", PL_LOG_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	if (o.verify_audit != NULL)
		return verify_audit(o.verify_audit);
	if (o.net_child)
		return net_child_exec_main(o.path);
	if ((r = cosign_conf_load(o.path, &cfg, err, sizeof(err))) != 0) {
		pl_log_err("config_invalid", r, "msg", err, NULL);
		return 1;
	}
	if (o.print)
		return cosign_conf_print(&cfg, stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
	if (cfg.crl_none)
		pl_log(PL_LOG_WARN, "crl_none", "msg",
		       "no CRL: revoked technician certificates are accepted", NULL);
	if ((r = core_open(&cfg,
	                   o.pubkey ? CORE_PUBKEY
	                   : o.test ? CORE_TEST
	                            : CORE_SERVE,
	                   &core, err, sizeof(err))) != 0) {
		pl_log_err("startup_failed", r, "config", o.path, "msg", err, NULL);
		return 1;
	}
	if (o.pubkey || o.test) {
		r = o.pubkey ? print_pubkey(core) : 0;
		if (o.test)
			pl_log(PL_LOG_INFO, "config_ok", "config", o.path, NULL);
		core_close(core);
		return r;
	}
	if (core_set_exec(o.path, o.verbose) != 0) {
		pl_log(PL_LOG_ERROR, "startup_failed", "msg", "cannot open /proc/self/exe", NULL);
		core_close(core);
		return 1;
	}
	if (!o.fg && (notify = daemonize()) < 0) {
		pl_log(PL_LOG_ERROR, "startup_failed", "msg", "cannot go to the background", NULL);
		core_close(core);
		return 1;
	}
	pl_log(PL_LOG_INFO, "starting", "config", o.path, NULL);
	r = core_run(core, notify);
	core_close(core);
	return r;
}
