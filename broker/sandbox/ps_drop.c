/*
 * What each pitlaned process gives up right after start-up (docs/privsep.md,
 * "Kept permissions"). Order matters:
 *
 *   1. chroot to an empty, already deleted directory (front end, root only)
 *   2. capability bounding set emptied (root only: needs CAP_SETPCAP)
 *   3. groups, gid, uid of the unprivileged user (root only)
 *   4. PR_SET_NO_NEW_PRIVS (nothing executed later can gain privileges)
 *   5. every remaining capability (effective, permitted, inheritable, ambient)
 *   6. Landlock: no TCP bind/connect, no signals or abstract sockets outside
 *      the process; no file system access at all (front end), or only the
 *      database and policy directories and what SQLite needs (decider)
 *   7. seccomp allow-list, other system calls kill the process (front end:
 *      sockets it holds only; signer and decider: files, no sockets, no exec)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef PITLANE_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "pl_err.h"
#include "pl_log.h"
#include "ps_child.h"

#define NOBODY "nobody"

/* Landlock ABI values newer than this system's header may know. */
#define LL_FS_TRUNCATE (1ULL << 14)        /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)        /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)     /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct who {
	uid_t uid;
	gid_t gid;
	int change; /* switch to uid/gid */
	char name[PS_USER_MAX];
};

/*
 * The user to switch to. As root: the configured user; when the default
 * "pitlane" does not exist the front end takes "nobody" (it needs no file)
 * and the signer and decider stay uid 0 without any capability.
 */
static int pick_user(enum ps_role role, const struct ps_config *pc, struct who *w, char *err,
                     size_t errlen)
{
	struct passwd *pw;

	memset(w, 0, sizeof(*w));
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(pc->user);
	if (pw == NULL && pc->user_set) {
		snprintf(err, errlen,
		         "user '%s' (config key user) does not exist; create it or "
		         "name another unprivileged user",
		         pc->user);
		return PL_E_CONFIG;
	}
	if (pw == NULL && role == PS_ROLE_FRONT)
		pw = getpwnam(NOBODY);
	if (pw == NULL)
		return 0;
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user '%s' has uid 0; name an unprivileged user",
		         pw->pw_name);
		return PL_E_CONFIG;
	}
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	w->change = 1;
	snprintf(w->name, sizeof(w->name), "%s", pw->pw_name);
	return 0;
}

/*
 * chroot to a new empty directory under parent that no longer exists: made
 * (0700, root), entered, removed, then made the root. Nothing can be created
 * in a deleted directory, and nothing is left behind when the process dies.
 */
static int chroot_empty(const char *parent, char *err, size_t errlen)
{
	char dir[BROKER_PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s/pitlaned-empty.XXXXXX", parent);
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make an empty directory under %s for the chroot: %s",
		         parent, strerror(errno));
		return PL_E_IO;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || rmdir(dir) != 0 || fchdir(fd) != 0 || chroot(".") != 0 || chdir("/") != 0) {
		snprintf(err, errlen, "chroot to the empty directory %s failed: %s", dir,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		rmdir(dir);
		return PL_E_PERM;
	}
	close(fd);
	return 0;
}

static int drop_bounding_set(void)
{
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return -1;
	}
	return 0;
}

static int drop_all_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &h, d);
}

static int switch_user(const struct who *w)
{
	if (setgroups(1, &w->gid) != 0 || setresgid(w->gid, w->gid, w->gid) != 0 ||
	    setresuid(w->uid, w->uid, w->uid) != 0)
		return -1;
	/* No way back. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -1;
	return 0;
}

/* One Landlock grant: access rights beneath (or on) a path. */
struct ll_grant {
	const char *path;
	uint64_t access;
};

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_FILE_RIGHTS                                                                             \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

static int ll_add(int rs, const struct ll_grant *g, uint64_t handled)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(g->path, O_PATH | O_CLOEXEC), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* a path this system lacks: nothing to grant */
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = g->access & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FILE_RIGHTS;
	r = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return r;
}

/*
 * Landlock: handles every access right the kernel knows (files, TCP bind and
 * connect, signals and abstract sockets outside the domain) and grants only
 * grants[0..n) on the file system. *abi_out: the kernel's Landlock ABI (0: none,
 * nothing done).
 */
int ps_landlock_ruleset(long abi, uint64_t *handled_fs)
{
	struct ll_ruleset_attr a;
	size_t size = sizeof(uint64_t);

	memset(&a, 0, sizeof(a));
	a.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
	if (abi >= 2)
		a.handled_access_fs |= LANDLOCK_ACCESS_FS_MAKE_SYM << 1; /* REFER */
	if (abi >= 3)
		a.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4) {
		a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	if (handled_fs != NULL)
		*handled_fs = a.handled_access_fs;
	return (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
}

static int landlock_restrict(const struct ll_grant *grants, size_t n, int *abi_out)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	uint64_t handled = 0;
	int fd, r = -1;

	*abi_out = abi > 0 ? (int)abi : 0;
	if (abi <= 0)
		return 0; /* not built in or disabled: logged */
	if ((fd = ps_landlock_ruleset(abi, &handled)) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ll_add(fd, &grants[i], handled) != 0)
			goto out;
	r = (int)syscall(SYS_landlock_restrict_self, fd, 0);
out:
	close(fd);
	return r;
}

/*
 * The decider's file system: its database directory (SQLite creates and
 * removes the -wal, -shm and -journal files there), the policy directory and
 * the time zones (SIGHUP reloads), SQLite's temporary directory (/var/tmp)
 * and randomness, the CPU list glibc's malloc reads. Not the PIN file, not
 * the HSM's token files, not the TLS key -- unless they lie beneath one of
 * those directories (keep the database directory for the database alone).
 */
static int landlock_decider(const struct broker_config *c, int *abi)
{
	const uint64_t rw = LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |
	                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |
	                    LL_FS_TRUNCATE;
	char dbdir[BROKER_PATH_MAX];
	char *slash;

	snprintf(dbdir, sizeof(dbdir), "%s", c->database);
	if ((slash = strrchr(dbdir, '/')) == NULL)
		snprintf(dbdir, sizeof(dbdir), ".");
	else if (slash == dbdir)
		slash[1] = '\0';
	else
		*slash = '\0';
	{
		const struct ll_grant g[] = {
		    {dbdir, rw},
		    {c->policy_dir, LL_READ},
		    {"/usr/share/zoneinfo", LL_READ},
		    {"/var/tmp", rw}, /* SQLite's first temporary directory */
		    {"/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE},
		    {"/sys/devices/system/cpu", LL_READ},
		    /* the CA store it verifies every request's certificates with */
		    {c->client_ca, LANDLOCK_ACCESS_FS_READ_FILE},
		    /* the officer CA it verifies officers' signed decisions with */
		    {c->officer_ca, LANDLOCK_ACCESS_FS_READ_FILE}, /* may be none */
		    {c->crl, LANDLOCK_ACCESS_FS_READ_FILE},        /* may be none */
		};
		struct ll_grant use[sizeof(g) / sizeof(g[0])];
		size_t n = 0;

		for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
			if (g[i].path[0] != '\0')
				use[n++] = g[i];
		return landlock_restrict(use, n, abi);
	}
}

#ifdef PITLANE_HAVE_SECCOMP
/*
 * The front end's system calls after start-up: the event loop, sockets it
 * already has (accept, read, write, the privsep channels), memory, threads
 * of the worker pool, time and randomness. No open, no socket, no exec.
 */
static const int front_syscalls[] = {
    /* event loop and sockets it holds */
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(shutdown),
    SCMP_SYS(close),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(fcntl),
    SCMP_SYS(ioctl),
    SCMP_SYS(eventfd2),
    SCMP_SYS(pipe2),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    /* memory */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    /* worker threads */
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    /* signals (libevent's SIGTERM/SIGHUP handling) */
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(tgkill),
    /* time and randomness */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrandom),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(prlimit64),
    SCMP_SYS(sysinfo),
};

/*
 * The signer and the decider: file I/O for the PKCS#11 module (SoftHSM2 reads
 * and locks its token files, p11-kit loads modules again on recovery) and for
 * SQLite (WAL, fsync, locks), threads, their channels. Not allowed: creating
 * or connecting sockets, exec, ptrace and other processes' memory, changing
 * ids, mounts -- a subverted signer or decider cannot reach the network or
 * start a program.
 */
static const int trusted_syscalls[] = {
    /* files */
    SCMP_SYS(openat),
    SCMP_SYS(open),
    SCMP_SYS(close),
    SCMP_SYS(close_range),
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(statx),
    SCMP_SYS(statfs),
    SCMP_SYS(fstatfs),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(getdents64),
    SCMP_SYS(fcntl),
    SCMP_SYS(flock),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fallocate),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchown),
    SCMP_SYS(getcwd),
    SCMP_SYS(ioctl),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(pipe2),
    SCMP_SYS(eventfd2),
    SCMP_SYS(umask),
    SCMP_SYS(uname),
    /* memory */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    /* threads */
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_getattr),
    SCMP_SYS(sched_setattr),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(getppid),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(tgkill),
    /* channels and signals */
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(shutdown),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    /* time, randomness, ids (read only) */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrandom),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(prlimit64),
    SCMP_SYS(sysinfo),
    SCMP_SYS(getrusage),
};

static int list_has(const int *calls, size_t n, int sys)
{
	for (size_t i = 0; i < n; i++)
		if (calls[i] == sys)
			return 1;
	return 0;
}

/*
 * Loads the allow-list calls[0..n) (anything else kills the process). With
 * deny_open, open/openat fail with EACCES instead: libraries open files
 * lazily (glibc's malloc reads /sys/devices/system/cpu/online when threads
 * contend and it adds an arena) and must see a plain error, not a kill; the
 * front end cannot open anything either way (chroot, Landlock).
 */
static int seccomp_load_list(const int *calls, size_t n, int deny_open)
{
	const struct scmp_arg_cmp set_name = {
	    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = PR_SET_NAME, .datum_b = 0};
	const struct scmp_arg_cmp get_name = {
	    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = PR_GET_NAME, .datum_b = 0};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = -1;

	if (ctx == NULL)
		return -1;
	if (deny_open && (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) != 0 ||
	                  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) != 0))
		goto out;
	/*
	 * New sockets fail with EACCES instead of killing: libraries try to log
	 * through syslog(3) (SoftHSM2 reports token errors there), which opens an
	 * AF_UNIX socket to /dev/log; they must see a plain error. Nothing can be
	 * reached either way.
	 */
	if (!list_has(calls, n, SCMP_SYS(socket)) &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 0) != 0)
		goto out;
	if (!list_has(calls, n, SCMP_SYS(connect)) &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect), 0) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			goto out;
	/* Thread names (PKCS#11 modules and their libraries name their threads). */
	if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &set_name) != 0 ||
	    seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &get_name) != 0)
		goto out;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return r;
}
#endif

static void log_kept(enum ps_role role, const struct who *w, int root, int landlock_abi,
                     int seccomp)
{
	char uid[16], abi[8];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	snprintf(abi, sizeof(abi), "%d", landlock_abi);
	pl_log(PL_LOG_INFO, "privsep_dropped", "role", ps_role_name(role), "uid", uid, "user",
	       w->change ? w->name
	       : root    ? "root (no capabilities)"
	                 : "unchanged (not started as root)",
	       "no_new_privs", "1", "landlock_abi", role != PS_ROLE_SIGNER ? abi : "unused",
	       "seccomp", seccomp ? "allow-list" : "off", NULL);
}

int ps_drop(enum ps_role role, const struct ps_config *pc, const struct broker_config *c,
            const char *empty_dir, char *err, size_t errlen)
{
	struct who w;
	int root = geteuid() == 0, abi = 0, sc = 0, r;

	if ((r = pick_user(role, pc, &w, err, errlen)) != 0)
		return r;
	if (root && !w.change && role != PS_ROLE_FRONT)
		pl_log(PL_LOG_WARN, "privsep_user_missing", "role", ps_role_name(role), "user",
		       pc->user, "action",
		       "staying uid 0 without capabilities; create "
		       "the user (the package does) to run unprivileged",
		       NULL);
	if (!root)
		pl_log(PL_LOG_INFO, "privsep_not_root", "role", ps_role_name(role), "action",
		       "keeping the current user; no chroot, no user switch", NULL);
	tzset(); /* before the chroot hides /etc/localtime */
	if (root && role == PS_ROLE_FRONT && empty_dir != NULL &&
	    (r = chroot_empty(empty_dir, err, errlen)) != 0)
		return r;
	if (root && drop_bounding_set() != 0) {
		snprintf(err, errlen, "cannot drop the capability bounding set: %s",
		         strerror(errno));
		return PL_E_PERM;
	}
	if (w.change && switch_user(&w) != 0) {
		snprintf(err, errlen, "cannot switch to user %s: %s", w.name, strerror(errno));
		return PL_E_PERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS failed: %s", strerror(errno));
		return PL_E_PERM;
	}
	if (drop_all_caps() != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return PL_E_PERM;
	}
	/* The signer holds the PIN and the session: no core dumps, no ptrace by its uid. */
	if (role == PS_ROLE_SIGNER && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_DUMPABLE failed: %s", strerror(errno));
		return PL_E_PERM;
	}
	if (role == PS_ROLE_COSIGNER) {
		/* its own Landlock and seccomp lists (ps_drop_cosigner.c) */
		if ((r = ps_drop_cosigner(c, &abi, &sc, err, errlen)) != 0)
			return r;
		log_kept(role, &w, root, abi, sc);
		return 0;
	}
	if ((role == PS_ROLE_FRONT && landlock_restrict(NULL, 0, &abi) != 0) ||
	    (role == PS_ROLE_DECIDER && landlock_decider(c, &abi) != 0)) {
		snprintf(err, errlen, "Landlock restriction failed: %s", strerror(errno));
		return PL_E_PERM;
	}
	if (role == PS_ROLE_FRONT) {
#ifdef PITLANE_HAVE_SECCOMP
		if (seccomp_load_list(front_syscalls,
		                      sizeof(front_syscalls) / sizeof(front_syscalls[0]), 1) != 0) {
			snprintf(err, errlen, "cannot load the seccomp allow-list");
			return PL_E_PERM;
		}
		sc = 1;
#endif
	} else {
#ifdef PITLANE_HAVE_SECCOMP
		if (seccomp_load_list(trusted_syscalls,
		                      sizeof(trusted_syscalls) / sizeof(trusted_syscalls[0]),
		                      0) != 0) {
			snprintf(err, errlen, "cannot load the seccomp allow-list");
			return PL_E_PERM;
		}
		sc = 1;
#endif
	}
	log_kept(role, &w, root, abi, sc);
	return 0;
}

void ps_close_except(const int *keep, size_t n)
{
	int lo = 3;

	/* keep[] is small; close the gaps between the kept descriptors in order. */
	for (;;) {
		int next = -1;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0) {
			syscall(SYS_close_range, (unsigned)lo, ~0U, 0);
			return;
		}
		if (next > lo)
			syscall(SYS_close_range, (unsigned)lo, (unsigned)next - 1, 0);
		lo = next + 1;
	}
}
