/*
 * The monitor: pitlaned's first process. It holds the parsed configuration
 * and the bound listening sockets, nothing else (no TLS key, no PIN, no HSM
 * session, no database). It forks the signer, the decider and the front end,
 * hands each pair of them its socketpairs, restarts a child that died (the
 * survivors get fresh socketpairs to the new process), forwards SIGHUP to the
 * decider, ends a child that another child reports for a protocol violation,
 * and on SIGTERM stops the front end (it drains), then the decider (final
 * audit checkpoint, through the signer), then the signer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cosigner_client.h"
#include "decider.h"
#include "file_safety.h"
#include "front.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "privsep.h"
#include "signer_limits.h"

#define START_TIMEOUT_MS 60000
#define RESTART_BACKOFF_MS 1000      /* first restart delay for a process that died young */
#define RESTART_BACKOFF_MAX_MS 30000 /* doubling up to this while it keeps dying young */
#define RUN_LONG_MS 10000            /* a process that ran this long restarts at once */
#define STOP_WAIT_MS 15000
/*
 * Connections the kernel holds until the front end accepts them. Under a
 * connection flood a short queue drops the SYNs of other clients too (they
 * retry after 1 s, 3 s, ...); the front end refuses the flood's extra
 * connections right after accept (docs/broker.md, "Connections").
 */
#define LISTEN_BACKLOG 1024

struct child {
	pid_t pid;
	struct ps_chan ctl; /* the monitor's end */
	int ready;
	uint64_t started_ms;
	uint64_t restart_at_ms; /* 0: none due */
	uint64_t backoff_ms;    /* the next delay after an early death */
};

struct monitor {
	const struct broker_config *c;
	const struct ps_config *pc;
	int api_fd, admin_fd;
	char empty_dir[64];
	struct child ch[PS_ROLE_COUNT];
	int sfd;
	int stopping;
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Binds one TCP listener and logs it as the single-process broker did. */
static int listen_on(const char *host, uint16_t port, const char *what, int *out, char *err,
                     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, r = PL_E_SRV_BIND;
	char addr[INET6_ADDRSTRLEN] = "?", port_s[8];
	int v6 = strchr(host, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    /* evhttp writes headers and body separately: without NODELAY, 40 ms stalls
	     * (accepted sockets inherit it). */
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, LISTEN_BACKLOG) != 0)
		goto bad;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr,
			          sizeof(addr));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
			          sizeof(addr));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	pl_log(PL_LOG_INFO, "listening", "listener", what, "addr", addr, "port", port_s, NULL);
	*out = fd;
	return 0;
bad:
	snprintf(err, errlen,
	         "cannot listen on %s:%u for the %s: %s (address in use or not "
	         "local?)",
	         host, port, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * In the forked child: keeps its descriptors only and re-executes pitlaned
 * for role (ps_exec.c); the new image reads its configuration from ctl.
 */
static void child_exec(struct monitor *m, enum ps_role role, int ctl)
{
	int keep[3] = {ctl, m->api_fd, m->admin_fd};
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	ps_close_except(keep, role == PS_ROLE_FRONT ? 3 : 1);
	ps_child_reexec(role, ctl, m->api_fd, m->admin_fd);
}

/* The configuration for a re-executed child: the first message on its channel. */
static int send_boot(struct monitor *m, struct ps_chan *ctl)
{
	static struct ps_boot b; /* larger than a stack frame should be */

	memset(&b, 0, sizeof(b));
	b.c = *m->c;
	b.pc = *m->pc;
	snprintf(b.empty_dir, sizeof(b.empty_dir), "%s", m->empty_dir);
	b.log_level = (uint32_t)pl_log_max_level();
	return ps_send(ctl, PS_MC_BOOT, 0, &b, sizeof(b), NULL, 0);
}

static int start_child(struct monitor *m, enum ps_role role)
{
	struct child *ch = &m->ch[role];
	int sv[2];
	pid_t pid;
	char pid_s[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return PL_E_IO;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return PL_E_IO;
	}
	if (pid == 0) {
		close(sv[0]);
		child_exec(m, role, sv[1]);
	}
	close(sv[1]);
	ps_chan_init(&ch->ctl, sv[0], PS_CH_CHILD_TO_MONITOR);
	if (send_boot(m, &ch->ctl) != 0)
		pl_log(PL_LOG_ERROR, "privsep_boot_failed", "role", ps_role_name(role), "reason",
		       "cannot send the configuration to the new process; it will exit", NULL);
	ch->pid = pid;
	ch->ready = 0;
	ch->started_ms = now_ms();
	ch->restart_at_ms = 0;
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	pl_log(PL_LOG_INFO, "privsep_child_started", "role", ps_role_name(role), "pid", pid_s,
	       NULL);
	return 0;
}

/*
 * New socketpairs between two running children: workers + 1 of them (the
 * last one is the control/status channel). Each end goes to its process.
 */
static int connect_pair(struct monitor *m, enum ps_role a, enum ps_role b)
{
	/* decider <-> cosigner-client: one channel both ways (jobs and results by id) */
	unsigned n = b == PS_ROLE_COSIGNER ? 1 : m->c->workers + 1;
	int ea[PS_MAX_FDS], eb[PS_MAX_FDS];
	struct ps_peers pa = {.peer = b, .count = n}, pb = {.peer = a, .count = n};
	unsigned made = 0;
	int r = 0;

	if (m->ch[a].pid <= 0 || m->ch[b].pid <= 0)
		return 0;
	for (; made < n; made++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
			r = PL_E_IO;
			goto out;
		}
		/*
		 * One datagram carries a whole request (ps_msg.h, PS_MSG_MAX, about 82 KB):
		 * room for two in the sender's buffer. The kernel caps this at
		 * net.core.wmem_max; its default (208 KB) holds them already.
		 */
		for (int e = 0; e < 2; e++) {
			int sz = (int)(2 * (PS_MSG_MAX + sizeof(struct ps_hdr)));

			(void)setsockopt(sv[e], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		}
		ea[made] = sv[0];
		eb[made] = sv[1];
	}
	/* A failed send means that child is dying: its restart reconnects. */
	(void)ps_send(&m->ch[a].ctl, PS_MC_PEERS, 0, &pa, sizeof(pa), ea, n);
	(void)ps_send(&m->ch[b].ctl, PS_MC_PEERS, 0, &pb, sizeof(pb), eb, n);
out:
	for (unsigned i = 0; i < made; i++) {
		close(ea[i]);
		close(eb[i]);
	}
	return r;
}

static void connect_role(struct monitor *m, enum ps_role role)
{
	if (role == PS_ROLE_SIGNER || role == PS_ROLE_DECIDER)
		connect_pair(m, PS_ROLE_SIGNER, PS_ROLE_DECIDER);
	if (role == PS_ROLE_DECIDER || role == PS_ROLE_FRONT)
		connect_pair(m, PS_ROLE_DECIDER, PS_ROLE_FRONT);
	if (role == PS_ROLE_DECIDER || role == PS_ROLE_COSIGNER)
		connect_pair(m, PS_ROLE_DECIDER, PS_ROLE_COSIGNER);
}

static void log_exit(enum ps_role role, pid_t pid, int status)
{
	char pid_s[16], st[16];

	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	if (WIFSIGNALED(status))
		snprintf(st, sizeof(st), "signal %d", WTERMSIG(status));
	else
		snprintf(st, sizeof(st), "exit %d", WEXITSTATUS(status));
	pl_log(PL_LOG_WARN, "privsep_child_exited", "role", ps_role_name(role), "pid", pid_s,
	       "status", st, NULL);
}

/* Reaps children; schedules restarts. Returns the roles that died (bit mask). */
static unsigned reap(struct monitor *m)
{
	unsigned died = 0;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int r = PS_ROLE_SIGNER; r < PS_ROLE_COUNT; r++) {
			struct child *ch = &m->ch[r];
			uint64_t t = now_ms();

			if (ch->pid != pid)
				continue;
			log_exit((enum ps_role)r, pid, status);
			ps_chan_close(&ch->ctl);
			ch->pid = 0;
			ch->ready = 0;
			died |= 1u << r;
			if (t - ch->started_ms >= RUN_LONG_MS) {
				ch->backoff_ms = RESTART_BACKOFF_MS;
				ch->restart_at_ms = t;
			} else {
				/* Dying at start (HSM gone, disk full): do not spin. */
				if (ch->backoff_ms == 0)
					ch->backoff_ms = RESTART_BACKOFF_MS;
				ch->restart_at_ms = t + ch->backoff_ms;
				ch->backoff_ms = ch->backoff_ms * 2 > RESTART_BACKOFF_MAX_MS
				                     ? RESTART_BACKOFF_MAX_MS
				                     : ch->backoff_ms * 2;
			}
		}
	}
	return died;
}

/*
 * Who may have whom ended: the more trusted side of a channel reports the
 * less trusted one (signer > decider > front end). A subverted front end must
 * not be able to get the decider killed over and over.
 */
static int may_end(enum ps_role reporter, uint32_t reported)
{
	return (reporter == PS_ROLE_SIGNER && reported == PS_ROLE_DECIDER) ||
	       (reporter == PS_ROLE_DECIDER && reported == PS_ROLE_FRONT) ||
	       (reporter == PS_ROLE_DECIDER && reported == PS_ROLE_COSIGNER);
}

/* Who sent the message a handler of the monitor takes. */
struct from_child {
	struct monitor *m;
	enum ps_role role;
};

/* PS_CM_READY */
static int on_ready(void *ctx, const struct ps_msg_in *msg)
{
	struct from_child *fc = ctx;

	(void)msg;
	fc->m->ch[fc->role].ready = 1;
	return 0;
}

/* PS_CM_PEER_BAD: ends the reported peer when the reporter may have it ended. */
static int on_peer_bad(void *ctx, const struct ps_msg_in *msg)
{
	struct from_child *fc = ctx;
	const struct ps_role_msg *rm = msg->payload;
	struct monitor *m = fc->m;

	if (may_end(fc->role, rm->role) && m->ch[rm->role].pid > 0) {
		pl_log(PL_LOG_WARN, "privsep_peer_ended", "role", ps_role_name(rm->role),
		       "reported_by", ps_role_name(fc->role), "reason",
		       "it sent a message of a type or size it must not send", NULL);
		kill(m->ch[rm->role].pid, SIGKILL);
	} else {
		pl_log(
		    PL_LOG_WARN, "privsep_report_ignored", "reported_by", ps_role_name(fc->role),
		    "role",
		    ps_role_name(rm->role < PS_ROLE_COUNT ? (enum ps_role)rm->role : PS_ROLE_COUNT),
		    "reason", "a process may only have a less trusted neighbour ended", NULL);
	}
	return 0;
}

/* What the monitor takes from its children. */
static const struct ps_handler child_handlers[] = {
    {PS_H_MONITOR_READY, on_ready},
    {PS_H_MONITOR_PEER_BAD, on_peer_bad},
};

/* One message from a child's control channel. */
static void child_message(struct monitor *m, enum ps_role role)
{
	struct child *ch = &m->ch[role];
	struct from_child fc = {m, role};
	struct ps_hdr h;
	struct ps_role_msg rm;
	struct ps_msg_in msg = {&ch->ctl, &h, &rm, NULL, 0};
	int r = ps_recv(&ch->ctl, &h, &rm, sizeof(rm), NULL, 0, NULL, 0);

	if (r == PL_E_TIMEOUT)
		return;
	if (r == 0 && (r = ps_dispatch(child_handlers, PS_NHANDLERS(child_handlers), &fc, &msg)) ==
	                  PL_E_NOTFOUND)
		ps_chan_close(&ch->ctl);
	if (r != 0 && r != PL_E_IO) {
		pl_log_err("privsep_bad_message", r, "from", ps_role_name(role), "why", ch->ctl.why,
		           "action", "ending that process", NULL);
		kill(ch->pid, SIGKILL);
	}
}

/* Start-up: waits until role says READY; 0, or the failure (the child logged why). */
static int wait_ready(struct monitor *m, enum ps_role role)
{
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	struct child *ch = &m->ch[role];

	while (!ch->ready) {
		struct pollfd p = {.fd = ch->ctl.fd, .events = POLLIN};
		int status;

		if (now_ms() > deadline)
			return PL_E_TIMEOUT;
		if (waitpid(ch->pid, &status, WNOHANG) == ch->pid) {
			log_exit(role, ch->pid, status);
			ch->pid = 0;
			return PL_E_SRV_DAEMON;
		}
		if (poll(&p, 1, 100) > 0)
			child_message(m, role);
	}
	return 0;
}

static void wait_gone(struct child *ch, enum ps_role role, int *clean)
{
	uint64_t deadline = now_ms() + STOP_WAIT_MS;
	int status;

	if (ch->pid <= 0)
		return;
	kill(ch->pid, SIGTERM);
	for (;;) {
		pid_t p = waitpid(ch->pid, &status, WNOHANG);

		if (p == ch->pid)
			break;
		if (p < 0 && errno != EINTR)
			return;
		if (now_ms() > deadline) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &status, 0);
			*clean = 0;
			break;
		}
		usleep(20000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_exit(role, ch->pid, status);
		*clean = 0;
	}
	ps_chan_close(&ch->ctl);
	ch->pid = 0;
}

/* Front end first (it drains), then the decider (final checkpoint), then the signer. */
static int stop_all(struct monitor *m)
{
	int clean = 1;

	wait_gone(&m->ch[PS_ROLE_FRONT], PS_ROLE_FRONT, &clean);
	wait_gone(&m->ch[PS_ROLE_DECIDER], PS_ROLE_DECIDER, &clean);
	wait_gone(&m->ch[PS_ROLE_COSIGNER], PS_ROLE_COSIGNER, &clean);
	wait_gone(&m->ch[PS_ROLE_SIGNER], PS_ROLE_SIGNER, &clean);
	return clean ? 0 : 1;
}

/*
 * SIGHUP with a crl configured: the front end (chrooted, no file access) gets
 * the file as an open descriptor and installs it (docs/broker.md).
 */
/*
 * SIGHUP: the crl file, opened here, to the decider (its own CA store checks
 * every request's certificates) and then to the front end (TLS handshakes,
 * open connections). Each gets its own open file: they must not share an
 * offset.
 */
static void send_crl_to(struct monitor *m, enum ps_role role)
{
	struct child *ch = &m->ch[role];
	struct stat st;
	int fd;

	if (m->c->crl[0] == '\0' || ch->pid <= 0)
		return;
	if ((fd = open(m->c->crl, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		pl_log(PL_LOG_ERROR, "crl_reload_refused", "file", m->c->crl, "reason",
		       strerror(errno), "action", "the CRLs loaded before stay in force", NULL);
		return;
	}
	/* the children read it in their loops: a FIFO or device could block them */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		pl_log(PL_LOG_ERROR, "crl_reload_refused", "file", m->c->crl, "reason",
		       "not a regular file", "action", "the CRLs loaded before stay in force",
		       NULL);
		close(fd);
		return;
	}
	(void)ps_send(&ch->ctl, PS_MC_CRL, 0, NULL, 0, &fd, 1);
	close(fd);
}

static void send_crl(struct monitor *m)
{
	send_crl_to(m, PS_ROLE_DECIDER);
	send_crl_to(m, PS_ROLE_FRONT);
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(m);
		} else if (si.ssi_signo == SIGHUP) {
			/* The signer first: its hard limits should know a new operation
			 * before the decider's new policy can allow it. */
			struct child *sg = &m->ch[PS_ROLE_SIGNER], *d = &m->ch[PS_ROLE_DECIDER];

			/* What a reload reads must be as safe as what the start read. */
			if (broker_files_check(NULL, m->c, BROKER_FILES_RELOAD) != 0) {
				pl_log(PL_LOG_ERROR, "reload_refused", "reason",
				       "a file named in the configuration is unsafe: see "
				       "file_refused above",
				       "action", "the policy and CRLs loaded before stay in force",
				       NULL);
				continue;
			}
			if (sg->pid > 0)
				(void)ps_send(&sg->ctl, PS_MC_RELOAD, 0, NULL, 0, NULL, 0);
			if (d->pid > 0)
				(void)ps_send(&d->ctl, PS_MC_RELOAD, 0, NULL, 0, NULL, 0);
			send_crl(m);
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			pl_log(PL_LOG_INFO, "shutdown", "signal",
			       si.ssi_signo == SIGTERM ? "TERM" : "INT", "action",
			       "draining requests in flight", NULL);
			m->stopping = 1;
		}
	}
}

static void restart_due(struct monitor *m, int *timeout)
{
	uint64_t t = now_ms();

	*timeout = 1000;
	for (int r = PS_ROLE_SIGNER; r < PS_ROLE_COUNT; r++) {
		struct child *ch = &m->ch[r];

		if (ch->pid > 0 || ch->restart_at_ms == 0)
			continue;
		if (ch->restart_at_ms <= t) {
			if (start_child(m, (enum ps_role)r) == 0)
				connect_role(m, (enum ps_role)r);
			else
				ch->restart_at_ms = t + RESTART_BACKOFF_MS;
		} else if ((int)(ch->restart_at_ms - t) < *timeout) {
			*timeout = (int)(ch->restart_at_ms - t);
		}
	}
}

static int run_loop(struct monitor *m)
{
	while (!m->stopping) {
		struct pollfd p[PS_ROLE_COUNT];
		int timeout;

		restart_due(m, &timeout);
		p[0].fd = m->sfd;
		p[0].events = POLLIN;
		for (int r = PS_ROLE_SIGNER; r < PS_ROLE_COUNT; r++) {
			p[r].fd = m->ch[r].pid > 0 ? m->ch[r].ctl.fd : -1;
			p[r].events = POLLIN;
		}
		if (poll(p, PS_ROLE_COUNT, timeout) < 0 && errno != EINTR)
			return PL_E_IO;
		if (p[0].revents & POLLIN)
			on_signal(m);
		for (int r = PS_ROLE_SIGNER; r < PS_ROLE_COUNT; r++)
			if (p[r].fd >= 0 && (p[r].revents & (POLLIN | POLLHUP)) && m->ch[r].pid > 0)
				child_message(m, (enum ps_role)r);
	}
	return 0;
}

static int start_all(struct monitor *m, char *err, size_t errlen)
{
	static const enum ps_role order[] = {PS_ROLE_SIGNER, PS_ROLE_COSIGNER, PS_ROLE_DECIDER,
	                                     PS_ROLE_FRONT};
	int r;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		/* the cosigner-client only with a co-signer configured */
		if (order[i] == PS_ROLE_COSIGNER && m->c->cosigner_url[0] == '\0')
			continue;
		if ((r = start_child(m, order[i])) != 0) {
			snprintf(err, errlen, "cannot start the %s process",
			         ps_role_name(order[i]));
			return r;
		}
		connect_role(m, order[i]);
		if ((r = wait_ready(m, order[i])) != 0) {
			snprintf(err, errlen,
			         "the %s process did not start (see its log line above)",
			         ps_role_name(order[i]));
			return r;
		}
	}
	return 0;
}

int ps_monitor_run(const struct broker_config *c, const struct ps_config *pc, int notify)
{
	struct monitor m;
	sigset_t set;
	char err[512] = "";
	int r, status = 1;

	memset(&m, 0, sizeof(m));
	m.c = c;
	m.pc = pc;
	m.api_fd = m.admin_fd = m.sfd = -1;
	for (int i = 0; i < PS_ROLE_COUNT; i++)
		ps_chan_init(&m.ch[i].ctl, -1, PS_CH_CHILD_TO_MONITOR);
	/* Where the front end makes (and deletes) the empty directory it chroots to. */
	snprintf(m.empty_dir, sizeof(m.empty_dir), "/tmp");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (m.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		pl_log_err("startup_failed", PL_E_INTERNAL, "msg", "cannot set up signal handling",
		           NULL);
		goto out;
	}
	if ((r = listen_on(c->listen_host, c->listen_port, "api", &m.api_fd, err, sizeof(err))) !=
	        0 ||
	    (c->admin_enabled && (r = listen_on(c->admin_host, c->admin_port, "admin", &m.admin_fd,
	                                        err, sizeof(err))) != 0) ||
	    (r = start_all(&m, err, sizeof(err))) != 0) {
		pl_log_err("startup_failed", r, "msg", err, NULL);
		m.stopping = 1;
		stop_all(&m);
		goto out;
	}
	pl_log(PL_LOG_INFO, "started", "processes",
	       c->cosigner_url[0] != '\0' ? "monitor signer cosigner-client decider front"
	                                  : "monitor signer decider front",
	       NULL);
	if (notify >= 0) {
		ssize_t n = write(notify, "R", 1);

		(void)n;
		close(notify);
	}
	r = run_loop(&m);
	status = stop_all(&m) == 0 && r == 0 ? 0 : 1;
	pl_log(status == 0 ? PL_LOG_INFO : PL_LOG_WARN, "stopped", "clean",
	       status == 0 ? "yes" : "no (a process had to be killed or failed)", NULL);
out:
	if (m.api_fd >= 0)
		close(m.api_fd);
	if (m.admin_fd >= 0)
		close(m.admin_fd);
	if (m.sfd >= 0)
		close(m.sfd);
	return status;
}
