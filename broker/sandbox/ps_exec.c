/*
 * Re-exec of the children (docs/privsep.md, "Re-exec"). The monitor forks; the
 * child keeps only its descriptors, makes them survive exec and executes
 * /proc/self/exe -- the very binary the monitor runs, also after a package
 * upgrade replaced the file -- as
 *
 *     pitlaned: ROLE --privsep-child ROLE ctl=N [api=N admin=N]
 *
 * so that it starts in a fresh address space (new ASLR layout, no copy of the
 * monitor's memory), as OpenSSH's sshd-session and OpenSMTPD's processes do.
 * The re-executed child checks its arguments and descriptors and then reads
 * its configuration from the monitor channel (PS_MC_BOOT): the copy the
 * monitor parsed and file-checked, never the file again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_parse.h"
#include "ps_child.h"

#define BOOT_WAIT_MS 10000

static const char *const role_args[PS_ROLE_COUNT] = {NULL, "signer", "decider", "front",
                                                     "cosigner-client"};

/* fd without FD_CLOEXEC (keep = 1) or with it; 0 or -1. */
static int set_keep(int fd, int keep)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFD, keep ? fl & ~FD_CLOEXEC : fl | FD_CLOEXEC);
}

void ps_child_reexec(enum ps_role role, int ctl, int api, int admin)
{
	char title[32], flag[] = PS_CHILD_FLAG, c_arg[24], a_arg[24], m_arg[24];
	char *argv[7] = {title, flag, NULL, c_arg, NULL, NULL, NULL};
	extern char **environ;

	if ((unsigned)role >= PS_ROLE_COUNT || role_args[role] == NULL)
		_exit(1);
	snprintf(title, sizeof(title), "pitlaned: %s", role_args[role]);
	argv[2] = (char *)(uintptr_t)role_args[role];
	snprintf(c_arg, sizeof(c_arg), "ctl=%d", ctl);
	if (set_keep(ctl, 1) != 0)
		_exit(1);
	if (role == PS_ROLE_FRONT) {
		snprintf(a_arg, sizeof(a_arg), "api=%d", api);
		snprintf(m_arg, sizeof(m_arg), "admin=%d", admin);
		argv[4] = a_arg;
		argv[5] = m_arg;
		if (set_keep(api, 1) != 0 || (admin >= 0 && set_keep(admin, 1) != 0))
			_exit(1);
	}
	execve("/proc/self/exe", argv, environ);
	ps_child_fail("cannot re-execute /proc/self/exe (is /proc mounted?)", PL_E_IO);
}

/* "NAME=N": a descriptor number (admin may be -1: no admin listener). */
static int fd_arg(const char *arg, const char *name, int may_be_none, int *out)
{
	size_t n = strlen(name);
	uint32_t v;

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return PL_E_USAGE;
	if (may_be_none && strcmp(arg + n + 1, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (pl_parse_u32(arg + n + 1, 3, 65535, &v) != 0)
		return PL_E_USAGE;
	*out = (int)v;
	return 0;
}

/* fd is an open socket of that type (listening when listen), closed again on exec. */
static int check_sock(int fd, int type, int listen)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) != 0 || v != type)
		return PL_E_USAGE;
	l = sizeof(v);
	if (listen && (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) != 0 || v != 1))
		return PL_E_USAGE;
	return set_keep(fd, 0) == 0 ? 0 : PL_E_IO;
}

int ps_exec_parse(int argc, char **argv, struct ps_exec_args *out, char *err, size_t errlen)
{
	struct ps_exec_args a = {.role = PS_ROLE_MONITOR, .ctl = -1, .api = -1, .admin = -1};
	int r = PL_E_USAGE;

	for (int i = 1; i < PS_ROLE_COUNT; i++)
		if (argc > 2 && strcmp(argv[2], role_args[i]) == 0)
			a.role = (enum ps_role)i;
	if (argc < 4 || strcmp(argv[1], PS_CHILD_FLAG) != 0 || a.role == PS_ROLE_MONITOR ||
	    argc != (a.role == PS_ROLE_FRONT ? 6 : 4) || fd_arg(argv[3], "ctl", 0, &a.ctl) != 0 ||
	    (a.role == PS_ROLE_FRONT && (fd_arg(argv[4], "api", 0, &a.api) != 0 ||
	                                 fd_arg(argv[5], "admin", 1, &a.admin) != 0))) {
		snprintf(err, errlen,
		         "%s is for the processes pitlaned starts itself: "
		         "%s ROLE ctl=N [api=N admin=N]; run pitlaned -f broker.conf",
		         PS_CHILD_FLAG, PS_CHILD_FLAG);
		goto out;
	}
	if (check_sock(a.ctl, SOCK_SEQPACKET, 0) != 0 || check_sock(a.api, SOCK_STREAM, 1) != 0 ||
	    check_sock(a.admin, SOCK_STREAM, 1) != 0) {
		snprintf(err, errlen,
		         "the descriptors named on the command line are not the "
		         "monitor's channel and listeners; pitlaned starts its processes itself");
		goto out;
	}
	*out = a;
	r = 0;
out:
	return r;
}

/* PS_MC_BOOT: the configuration, copied where the caller wants it. */
static int on_boot(void *ctx, const struct ps_msg_in *m)
{
	memcpy(ctx, m->payload, sizeof(struct ps_boot));
	return 0;
}

static const struct ps_handler boot_handlers[] = {
    {PS_H_CHILD_BOOT, on_boot},
};

int ps_child_boot(int ctl, struct ps_boot *out, char *err, size_t errlen)
{
	static struct ps_boot b; /* the payload: larger than a stack frame should be */
	struct ps_chan ch;
	struct ps_hdr h;
	struct ps_msg_in m = {&ch, &h, &b, NULL, 0};
	int r;

	ps_chan_init(&ch, ctl, PS_CH_MONITOR_TO_CHILD);
	r = ps_recv(&ch, &h, &b, sizeof(b), NULL, 0, NULL, BOOT_WAIT_MS);
	if (r == 0 && (r = ps_dispatch(boot_handlers, PS_NHANDLERS(boot_handlers), out, &m)) != 0)
		snprintf(err, errlen,
		         "the first message of the monitor is not the configuration: %s", ch.why);
	else if (r != 0)
		snprintf(err, errlen, "no configuration from the monitor: %s",
		         r == PL_E_TIMEOUT ? "none within 10 s" : ch.why);
	return r;
}
