/*
 * What the cosigner-client keeps (docs/privsep.md, "Kept permissions"):
 * Landlock handles every file access right and grants none (its certificate,
 * key and the co-signer's address were read before), and allows TCP connect
 * to the co-signer's port only, no bind; its seccomp allow-list has what
 * libcurl and OpenSSL need on sockets they make (socket() for AF_INET and
 * AF_INET6 only), memory, time, randomness; open() fails with EACCES; no
 * exec, no ptrace, no id changes.
 */
#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef PITLANE_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "cosign_config.h"
#include "pl_err.h"
#include "ps_child.h"

#define LL_RULE_NET_PORT 2         /* LANDLOCK_RULE_NET_PORT (ABI 4) */
#define LL_NET_CONNECT (1ULL << 1) /* LANDLOCK_ACCESS_NET_CONNECT_TCP */

struct ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

/* No file access, TCP connect to port only (ABI >= 4). *abi: the kernel's (0: no Landlock). */
static int landlock_cosigner(unsigned port, int *abi_out)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct ll_net_port np = {.allowed_access = LL_NET_CONNECT, .port = port};
	int fd, r = -1;

	*abi_out = abi > 0 ? (int)abi : 0;
	if (abi <= 0)
		return 0;
	if ((fd = ps_landlock_ruleset(abi, NULL)) < 0)
		return -1;
	if (abi >= 4 && syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, &np, 0) != 0)
		goto out;
	r = (int)syscall(SYS_landlock_restrict_self, fd, 0);
out:
	close(fd);
	return r;
}

#ifdef PITLANE_HAVE_SECCOMP
static const int cosigner_syscalls[] = {
    /* sockets libcurl makes and uses (socket() itself: below, by family) */
    SCMP_SYS(connect), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(read), SCMP_SYS(write),
    SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(close), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(fcntl),
    SCMP_SYS(ioctl), SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    /* memory */
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
    SCMP_SYS(brk),
    /* threads (a libcurl built with the threaded resolver) */
    SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid), SCMP_SYS(getpid),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(tgkill),
    /* signals */
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    /* time, randomness, ids (read only) */
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
    SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(prlimit64), SCMP_SYS(sysinfo),
    SCMP_SYS(uname)};

static int seccomp_cosigner(void)
{
	const struct scmp_arg_cmp inet = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_INET};
	const struct scmp_arg_cmp inet6 = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_INET6};
	const struct scmp_arg_cmp set_name = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = PR_SET_NAME};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = -1;

	if (ctx == NULL)
		return -1;
	/* files: a plain error (libraries try); sockets: AF_INET and AF_INET6 only */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) != 0 ||
	    seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &inet) != 0 ||
	    seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &inet6) != 0 ||
	    seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &set_name) != 0)
		goto out;
	/* libraries that log through syslog(3) or ask netlink: a plain error; others: killed */
	{
		const struct scmp_arg_cmp unx = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_UNIX};
		const struct scmp_arg_cmp nl = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_NETLINK};

		if (seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
		                           &unx) != 0 ||
		    seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, &nl) !=
		        0)
			goto out;
	}
	for (size_t i = 0; i < sizeof(cosigner_syscalls) / sizeof(cosigner_syscalls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, cosigner_syscalls[i], 0) != 0)
			goto out;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return r;
}
#endif

int ps_drop_cosigner(const struct broker_config *c, int *abi, int *sc, char *err, size_t errlen)
{
	char host[256];
	unsigned port = 0;

	if (cosign_config_host_port(c, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "cosigner_url has no port");
		return PL_E_INVAL;
	}
	if (landlock_cosigner(port, abi) != 0) {
		snprintf(err, errlen, "Landlock restriction failed: %s", strerror(errno));
		return PL_E_PERM;
	}
	*sc = 0;
#ifdef PITLANE_HAVE_SECCOMP
	if (seccomp_cosigner() != 0) {
		snprintf(err, errlen, "cannot load the cosigner-client's seccomp allow-list");
		return PL_E_PERM;
	}
	*sc = 1;
#endif
	return 0;
}
