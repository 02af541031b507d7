/*
 * The core's loop (core.h): the network child's start and restart, its
 * channel, signals, the status push.
 *
 * The network child is started by fork + exec of this same program
 * (`--net-child`): after the exec it shares no memory with the core, so
 * neither the PIN, the HSM session's key material nor the checker's state
 * reach the process that parses network input. It gets the two listening
 * sockets and its channel end as descriptors 3, 4 and 5.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "net.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_log.h"
#include "ps_child.h"

#define TICK_MS 500          /* status push to the network child */
#define YOUNG_MS 10000       /* a child that dies younger is restarted after a back-off */
#define BACKOFF_MAX_MS 30000 /* ... doubling from 1 s up to this */
#define STOP_WAIT_MS 3000    /* SIGTERM to the child, then SIGKILL */
#define NET_FD_API NET_CHILD_FD_API
#define NET_FD_ADMIN NET_CHILD_FD_ADMIN
#define NET_FD_CHAN NET_CHILD_FD_CHAN

static int self_exe = -1;     /* this program, opened at start (fexecve) */
static const char *conf_path; /* for the child's command line */
static int verbose_flag;

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int core_set_exec(const char *path, int verbose)
{
	conf_path = path;
	verbose_flag = verbose;
	self_exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	return self_exe >= 0 ? 0 : PL_E_IO;
}

/* In the forked child: descriptors 3, 4, 5, then this program again. */
static void exec_net(struct core *c, int chan) __attribute__((noreturn));
static void exec_net(struct core *c, int chan)
{
	static char a0[] = "pitlane-cosignd", a1[] = "--net-child", a2[] = "-f", a4[] = "-v";
	char *argv[] = {a0, a1, a2, (char *)(uintptr_t)conf_path, verbose_flag ? a4 : NULL, NULL};
	extern char **environ;
	int api = fcntl(c->api_fd, F_DUPFD_CLOEXEC, 64);
	int admin = c->admin_fd >= 0 ? fcntl(c->admin_fd, F_DUPFD_CLOEXEC, 64) : -1;
	int ch = fcntl(chan, F_DUPFD_CLOEXEC, 64);
	int exe = fcntl(self_exe, F_DUPFD_CLOEXEC, 64); /* may be 3..5 itself */
	int keep[4] = {NET_FD_API, NET_FD_CHAN, exe, NET_FD_ADMIN};
	sigset_t none;

	if (api < 0 || ch < 0 || exe < 0 || (c->admin_fd >= 0 && admin < 0) ||
	    dup2(api, NET_FD_API) < 0 || dup2(ch, NET_FD_CHAN) < 0 ||
	    (admin >= 0 && dup2(admin, NET_FD_ADMIN) < 0))
		_exit(127);
	ps_close_except(keep, admin >= 0 ? 4 : 3); /* self_exe closes on exec */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fexecve(exe, argv, environ);
	_exit(127);
}

static int spawn_net(struct core *c)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
		return PL_E_IO;
	if ((pid = fork()) < 0) {
		close(sp[0]);
		close(sp[1]);
		return PL_E_IO;
	}
	if (pid == 0)
		exec_net(c, sp[1]);
	close(sp[1]);
	c->net_fd = sp[0];
	c->net_pid = pid;
	c->net_started_ms = mono_ms();
	{
		char p[16];

		snprintf(p, sizeof(p), "%d", (int)pid);
		pl_log(PL_LOG_INFO, "net_spawned", "pid", p, NULL);
	}
	core_push_status(c, 1);
	return 0;
}

static void net_gone(struct core *c, int status)
{
	uint64_t now = mono_ms();
	char p[16], how[32];

	snprintf(p, sizeof(p), "%d", (int)c->net_pid);
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	if (c->net_fd >= 0)
		close(c->net_fd);
	c->net_fd = -1;
	c->net_pid = 0;
	if (now - c->net_started_ms < YOUNG_MS)
		c->net_backoff_ms = c->net_backoff_ms == 0 ? 1000
		                    : c->net_backoff_ms >= BACKOFF_MAX_MS / 2
		                        ? BACKOFF_MAX_MS
		                        : c->net_backoff_ms * 2;
	else
		c->net_backoff_ms = 0;
	c->net_restart_at_ms = now + c->net_backoff_ms;
	c->m.net_restarts++;
	pl_log(PL_LOG_WARN, "net_exited", "pid", p, "how", how, "action",
	       c->net_backoff_ms ? "restarting after a back-off" : "restarting", NULL);
}

static void reap(struct core *c)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == c->net_pid)
			net_gone(c, status);
}

static void became_ready(struct core *c)
{
	if (c->net_ready_once)
		return;
	c->net_ready_once = 1;
	pl_log(PL_LOG_INFO, "started", NULL);
	core_sd_notify("READY=1\nSTATUS=co-signing");
	if (c->notify_fd >= 0) {
		(void)!write(c->notify_fd, "R", 1);
		close(c->notify_fd);
		c->notify_fd = -1;
	}
}

/* What the network child sent; a violation ends it (it is restarted). */
static void from_net(struct core *c)
{
	static uint8_t buf[CS_MSG_MAX];
	struct cs_hdr h;
	struct cs_request rq;
	char why[192];
	int r;

	for (;;) {
		r = cs_recv(c->net_fd, CS_NET_TO_CORE, &h, buf, sizeof(buf), why, sizeof(why));
		if (r == PL_E_TIMEOUT) {
			core_push_status(c, 0); /* the counters the requests changed */
			return;
		}
		if (r == PL_E_COS_CHANNEL) {
			c->m.channel_violations++;
			pl_log(PL_LOG_ERROR, "cosign_bad_message", "msg", why, "action",
			       "ending the network process", NULL);
		}
		if (r != 0) {
			if (c->net_pid > 0)
				kill(c->net_pid, SIGKILL);
			close(c->net_fd);
			c->net_fd = -1;
			return;
		}
		if (h.type == CS_NC_READY) {
			became_ready(c);
			continue;
		}
		memcpy(&rq, buf, sizeof(rq));
		core_serve(c, h.id, &rq, buf + sizeof(rq), h.len - sizeof(rq));
	}
}

static void stop_net(struct core *c)
{
	uint64_t until = mono_ms() + STOP_WAIT_MS;
	int status;

	if (c->net_pid <= 0)
		return;
	kill(c->net_pid, SIGTERM);
	while (mono_ms() < until) {
		if (waitpid(c->net_pid, &status, WNOHANG) == c->net_pid)
			return;
		poll(NULL, 0, 20);
	}
	kill(c->net_pid, SIGKILL);
	waitpid(c->net_pid, &status, 0);
}

/*
 * Started as root: the configured user from here on (the HSM session, the
 * database and the listeners are open). Then no new privileges and no core
 * dumps or ptrace by that user (the PIN and the session live here).
 */
static int core_drop(struct core *c, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() == 0) {
		pw = getpwnam(c->cfg.user);
		if (pw == NULL && c->cfg.user_set) {
			snprintf(err, errlen,
			         "user '%s' (config key user) does not exist; create it",
			         c->cfg.user);
			return PL_E_CONFIG;
		}
		if (pw != NULL && pw->pw_uid == 0) {
			snprintf(err, errlen, "user '%s' has uid 0; name an unprivileged user",
			         c->cfg.user);
			return PL_E_CONFIG;
		}
		if (pw == NULL)
			pl_log(
			    PL_LOG_WARN, "cosign_user_missing", "user", c->cfg.user, "action",
			    "the core stays root; the network process runs as nobody. Create the "
			    "user (the package does)",
			    NULL);
		else if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
		         setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
			snprintf(err, errlen, "cannot switch to user %s: %s", c->cfg.user,
			         strerror(errno));
			return PL_E_PERM;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "prctl failed: %s", strerror(errno));
		return PL_E_PERM;
	}
	return 0;
}

static int setup_signals(struct core *c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return PL_E_IO;
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return c->sigfd >= 0 ? 0 : PL_E_IO;
}

/* 1 when asked to stop. */
static int on_signal(struct core *c)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop = 1;
		else if (si.ssi_signo == SIGCHLD)
			reap(c);
	}
	return stop;
}

int core_run(struct core *c, int notify_fd)
{
	uint64_t next_tick = 0;
	char err[256];
	int r;

	c->notify_fd = notify_fd;
	if ((r = core_drop(c, err, sizeof(err))) != 0 || (r = setup_signals(c)) != 0) {
		pl_log_err("startup_failed", r, "msg", r == PL_E_IO ? "signals" : err, NULL);
		return 1;
	}
	for (;;) {
		struct pollfd p[2] = {{c->sigfd, POLLIN, 0}, {c->net_fd, POLLIN, 0}};
		uint64_t now = mono_ms();

		if (c->net_pid == 0 && now >= c->net_restart_at_ms && spawn_net(c) != 0) {
			pl_log(PL_LOG_ERROR, "net_spawn_failed", "msg", strerror(errno), "action",
			       "retrying in 1 s", NULL);
			c->net_restart_at_ms = now + 1000;
		}
		if (now >= next_tick) {
			core_push_status(c, 1);
			pl_log_rl_flush();
			next_tick = now + TICK_MS;
		}
		if (poll(p, c->net_fd >= 0 ? 2 : 1, TICK_MS / 5) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && on_signal(c))
			break;
		if (c->net_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			from_net(c);
	}
	pl_log(PL_LOG_INFO, "shutdown", "action", "stopping the network process", NULL);
	core_sd_notify("STOPPING=1");
	stop_net(c);
	return 0;
}
