/* The network child's life: drop, event loop, end (net.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "cs_msg.h"
#include "net.h"
#include "pl_err.h"
#include "pl_log.h"
#include "ps_child.h"

#define TICK_MS 250

static void core_cb(evutil_socket_t fd, short what, void *arg)
{
	net_core_readable(arg);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	net_expire(arg);
	pl_log_rl_flush();
}

static void term_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cosign_net *n = arg;

	event_base_loopexit(n->base, NULL);
}

/*
 * No user switch here (the core already runs as the service user), then
 * broker/sandbox's drop for a process that parses network input: no new
 * privileges, no capabilities, Landlock without any file access, the front
 * end's seccomp allow-list (docs/privsep.md, "Kept permissions").
 */
static int drop(const struct cosign_conf *c, char *err, size_t errlen)
{
	struct ps_config pc;

	memset(&pc, 0, sizeof(pc));
	snprintf(pc.user, sizeof(pc.user), "%s", c->user);
	pc.user_set = c->user_set;
	return ps_drop(PS_ROLE_FRONT, &pc, NULL, NULL, err, errlen);
}

static int setup(struct cosign_net *n, char *err, size_t errlen)
{
	struct timeval tick = {0, TICK_MS * 1000};
	int r;

	if ((n->pending = calloc(n->cfg.max_inflight, sizeof(*n->pending))) == NULL)
		return PL_E_NOMEM;
	if ((n->base = event_base_new()) == NULL)
		return PL_E_NOMEM;
	n->ev_core = event_new(n->base, n->core_fd, EV_READ | EV_PERSIST, core_cb, n);
	n->ev_tick = event_new(n->base, -1, EV_PERSIST, tick_cb, n);
	n->ev_term = evsignal_new(n->base, SIGTERM, term_cb, n);
	if (n->ev_core == NULL || n->ev_tick == NULL || n->ev_term == NULL ||
	    event_add(n->ev_core, NULL) != 0 || event_add(n->ev_tick, &tick) != 0 ||
	    event_add(n->ev_term, NULL) != 0) {
		snprintf(err, errlen, "cannot set up the event loop");
		return PL_E_INTERNAL;
	}
	if ((r = net_http_setup(n, err, errlen)) != 0)
		return r;
	return drop(&n->cfg, err, errlen);
}

void net_child_main(const struct cosign_conf *c, SSL_CTX *ctx, int api_fd, int admin_fd,
                    int core_fd)
{
	static struct cosign_net n;
	char err[512] = "";
	int r;

	/* The core is the parent: when it goes, so does this process. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() == 1)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	n.cfg = *c;
	n.ssl_ctx = ctx;
	n.api_fd = api_fd;
	n.admin_fd = admin_fd;
	n.core_fd = core_fd;
	if ((r = setup(&n, err, sizeof(err))) != 0) {
		pl_log_err("net_startup_failed", r, "msg", err, NULL);
		_exit(1);
	}
	if ((r = cs_send(n.core_fd, CS_NC_READY, 0, NULL, 0, NULL, 0)) != 0) {
		pl_log_err("net_startup_failed", r, "msg", "cannot tell the core", NULL);
		_exit(1);
	}
	pl_log(PL_LOG_INFO, "net_started", NULL);
	event_base_dispatch(n.base);
	pl_log(PL_LOG_INFO, "net_stopped", NULL);
	_exit(0);
}

int net_child_exec_main(const char *conf_path)
{
	struct cosign_conf c;
	SSL_CTX *ctx = NULL;
	char err[1024];
	int r;

	if ((r = cosign_conf_load(conf_path, &c, err, sizeof(err))) != 0 ||
	    (r = net_tls_ctx(&c, &ctx, err, sizeof(err))) != 0) {
		pl_log_err("net_startup_failed", r, "msg", err, NULL);
		return 1;
	}
	net_child_main(&c, ctx, NET_CHILD_FD_API, c.admin_enabled ? NET_CHILD_FD_ADMIN : -1,
	               NET_CHILD_FD_CHAN);
}
