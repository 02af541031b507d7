/*
 * The signer process: the only holder of the PIN and the PKCS#11 session.
 * It serves the decider only (never the front end: the monitor gives it no
 * channel to it), one thread per channel, and takes four requests: issue a
 * token (re-checked against its own hard limits; it builds the bytes it
 * signs), sign an audit checkpoint, report its status, give its public key.
 * Any other message type or size ends the channel, and the monitor is asked
 * to end the decider that sent it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_log.h"
#include "ps_child.h"
#include "signer_limits.h"

struct signer_chan {
	struct signer *s;
	struct ps_chan *ctl;
	pthread_mutex_t *ctl_mu;
	int fd;
};

union signer_rx {
	struct signer_request issue;
	struct ps_ckpt ckpt;
};

/* PS_DS_ISSUE: build, sign and self-verify a token. */
static int on_issue(void *ctx, const struct ps_msg_in *m)
{
	struct signer_chan *sc = ctx;
	const union signer_rx *rx = m->payload;
	struct ps_issued out;
	size_t len = 0;

	memset(&out, 0, sizeof(out));
	out.err = signer_issue(sc->s, &rx->issue, out.cti, out.tok, sizeof(out.tok), &len);
	out.len = out.err == 0 ? (uint32_t)len : 0;
	(void)ps_send(m->ch, PS_SD_ISSUED, m->hdr->id, &out, sizeof(out), NULL, 0);
	plt_wipe(&out, sizeof(out));
	return 0;
}

/* PS_DS_CKPT: sign an audit checkpoint. */
static int on_checkpoint(void *ctx, const struct ps_msg_in *m)
{
	struct signer_chan *sc = ctx;
	const union signer_rx *rx = m->payload;
	struct ps_ckpt_sig out;

	memset(&out, 0, sizeof(out));
	out.err = signer_sign_checkpoint(sc->s, rx->ckpt.row_count, rx->ckpt.head, out.sig);
	(void)ps_send(m->ch, PS_SD_CKPT_SIG, m->hdr->id, &out, sizeof(out), NULL, 0);
	return 0;
}

/* PS_DS_STATUS_REQ */
static int on_status(void *ctx, const struct ps_msg_in *m)
{
	struct signer_chan *sc = ctx;
	struct signer_status st;
	struct ps_signer_status out;

	signer_status(sc->s, &st);
	memset(&out, 0, sizeof(out));
	out.ready = st.ready;
	out.last_err = st.last_err;
	out.sign_calls = st.sign_calls;
	out.issued = st.issued;
	out.refused = st.refused;
	out.faults = st.faults;
	out.reinits = st.reinits;
	(void)ps_send(m->ch, PS_SD_STATUS, m->hdr->id, &out, sizeof(out), NULL, 0);
	return 0;
}

/* PS_DS_PUBKEY_REQ */
static int on_pubkey(void *ctx, const struct ps_msg_in *m)
{
	struct signer_chan *sc = ctx;
	struct ps_pubkey out;

	memset(&out, 0, sizeof(out));
	out.err = signer_public_key(sc->s, out.pub, out.kid);
	(void)ps_send(m->ch, PS_SD_PUBKEY, m->hdr->id, &out, sizeof(out), NULL, 0);
	return 0;
}

/* What the signer takes from the decider (the message table names these handlers). */
static const struct ps_handler decider_handlers[] = {
    {PS_H_SIGNER_ISSUE, on_issue},
    {PS_H_SIGNER_CHECKPOINT, on_checkpoint},
    {PS_H_SIGNER_STATUS, on_status},
    {PS_H_SIGNER_PUBKEY, on_pubkey},
};

static void *chan_thread(void *arg)
{
	struct signer_chan *sc = arg;
	struct ps_chan ch;
	union signer_rx rx;
	struct ps_hdr h;
	int r;

	ps_chan_init(&ch, sc->fd, PS_CH_DECIDER_TO_SIGNER);
	for (;;) {
		struct ps_msg_in m = {&ch, &h, &rx, NULL, 0};

		if ((r = ps_recv(&ch, &h, &rx, sizeof(rx), NULL, 0, NULL, -1)) == 0)
			r = ps_dispatch(decider_handlers, PS_NHANDLERS(decider_handlers), sc, &m);
		plt_wipe(&rx, sizeof(rx));
		if (r != 0)
			break;
	}
	if (r != PL_E_IO) {
		pl_log_err("privsep_bad_message", r, "role", "signer", "from", "decider", "why",
		           ch.why, "action",
		           "refused; the channel is closed and the "
		           "monitor ends the sender",
		           NULL);
		pthread_mutex_lock(sc->ctl_mu);
		(void)ps_ctl_peer_bad(sc->ctl, PS_ROLE_DECIDER);
		pthread_mutex_unlock(sc->ctl_mu);
	}
	ps_chan_close(&ch);
	free(sc);
	return NULL;
}

static void serve(struct signer *s, struct ps_chan *ctl, pthread_mutex_t *mu, const int *fds,
                  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct signer_chan *sc = calloc(1, sizeof(*sc));
		pthread_attr_t a;
		pthread_t t;

		if (sc == NULL) {
			close(fds[i]);
			continue;
		}
		sc->s = s;
		sc->ctl = ctl;
		sc->ctl_mu = mu;
		sc->fd = fds[i];
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &a, chan_thread, sc) != 0) {
			close(fds[i]);
			free(sc);
		}
		pthread_attr_destroy(&a);
	}
}

/* The signer's side of its monitor channel. */
struct signer_main {
	const struct broker_config *c;
	struct signer *s;
	struct ps_chan *ctl;
	pthread_mutex_t mu;
};

/* PS_MC_RELOAD: the decider reloads the policy; the hard limits follow it. */
static int on_reload(void *ctx, const struct ps_msg_in *m)
{
	struct signer_main *mc = ctx;

	(void)m;
	signer_limits_reload(mc->c->policy_dir, mc->c->max_exi_s, mc->s);
	return 0;
}

/* PS_MC_PEERS: channels from the decider, one thread each. */
static int on_peers(void *ctx, const struct ps_msg_in *m)
{
	struct signer_main *mc = ctx;
	const struct ps_peers *p = m->payload;

	if (p->peer != PS_ROLE_DECIDER) {
		for (size_t i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		return 0;
	}
	pthread_mutex_lock(&mc->mu);
	serve(mc->s, mc->ctl, &mc->mu, m->fds, m->nfds);
	pthread_mutex_unlock(&mc->mu);
	return 0;
}

/* What the signer takes from the monitor: no CRL (it verifies no certificate). */
static const struct ps_handler ctl_handlers[] = {
    {PS_H_CHILD_RELOAD, on_reload},
    {PS_H_CHILD_PEERS, on_peers},
};

void ps_signer_main(const struct broker_config *c, const struct ps_config *pc, int ctl_fd)
{
	static struct signer_main mc = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct ps_chan ctl;
	struct signer *s = NULL;
	char err[512] = "";
	int sfd, r, early = ps_drop_early(pc);

	ps_chan_init(&ctl, ctl_fd, PS_CH_MONITOR_TO_CHILD);
	if ((sfd = ps_child_signals()) < 0)
		ps_child_fail("cannot set up signal handling", PL_E_INTERNAL);
	/* Without a user to switch to, give up capabilities before the module's threads start. */
	if (early && (r = ps_drop(PS_ROLE_SIGNER, pc, c, NULL, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if ((r = signer_open_conf(c, &s, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if (!early && (r = ps_drop(PS_ROLE_SIGNER, pc, c, NULL, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	mc.c = c;
	mc.s = s;
	mc.ctl = &ctl;
	if (ps_ctl_ready(&ctl, PS_ROLE_SIGNER) != 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = {{.fd = ctl.fd, .events = POLLIN},
		                      {.fd = sfd, .events = POLLIN}};
		int fds[PS_MAX_FDS];
		struct ps_peers peers;
		struct ps_msg_in m;
		struct ps_hdr h;
		size_t n = 0;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo == SIGHUP)
				continue; /* the monitor forwards SIGHUP as PS_MC_RELOAD */
			break;            /* SIGTERM/SIGINT from the monitor */
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		r = ps_recv(&ctl, &h, &peers, sizeof(peers), fds, PS_MAX_FDS, &n, 0);
		if (r != 0)
			break; /* the monitor is gone */
		m = (struct ps_msg_in){&ctl, &h, &peers, fds, n};
		if ((r = ps_dispatch(ctl_handlers, PS_NHANDLERS(ctl_handlers), &mc, &m)) != 0)
			pl_log_err("privsep_no_handler", r, "role", "signer", "from", "monitor",
			           "why", ctl.why, "action", "refused", NULL);
	}
	signer_close(s);
	_exit(0);
}
