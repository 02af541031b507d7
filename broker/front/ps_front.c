/*
 * The front end process: TLS, HTTP, request decoding and the technician's
 * certificate and signature checks -- all untrusted input. It holds the TLS
 * key (read before it drops), the listening sockets and its channels to the
 * decider; no PIN, no HSM session, no database. It sends the decider
 * the PS_FD_* requests and nothing else, and accepts PS_DF_ANSWER / PS_DF_STATUS.
 * While the decider is gone it answers 503 and /v1/ready is false.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "front.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_log.h"
#include "ps_child.h"
#include "tls.h"

#define DECIDER_REPLY_MS 30000 /* policy + HSM + group commit, with the signer's retries */
#define STATUS_FRESH_MS 2000   /* older status: not ready */
#define FIRST_STATUS_MS 5000

struct fslot {
	int cur, pending;
	int busy;
	uint64_t next_id;
};

struct front_proc {
	struct front *fe;
	struct ps_chan ctl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n;
	struct fslot *s;
	struct ps_chan status; /* loop thread only */
	struct event *ev_ctl, *ev_status;
	struct broker_status st; /* loop thread only */
	uint64_t st_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static struct fslot *slot_get(struct front_proc *f, int *fd)
{
	struct fslot *s = NULL;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		for (unsigned i = 0; i < f->n && s == NULL; i++)
			if (!f->s[i].busy)
				s = &f->s[i];
		if (s != NULL)
			break;
		pthread_cond_wait(&f->cv, &f->mu);
	}
	s->busy = 1;
	if (s->pending >= 0) {
		if (s->cur >= 0)
			close(s->cur);
		s->cur = s->pending;
		s->pending = -1;
	}
	*fd = s->cur;
	pthread_mutex_unlock(&f->mu);
	return s;
}

static void slot_put(struct front_proc *f, struct fslot *s, int dead)
{
	pthread_mutex_lock(&f->mu);
	if (dead)
		s->cur = -1; /* ps_recv/ps_send closed it */
	s->busy = 0;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void report_decider(struct front_proc *f, int r, const char *why)
{
	pl_log_err("privsep_bad_message", r, "role", "front", "from", "decider", "why", why, NULL);
	pthread_mutex_lock(&f->mu);
	(void)ps_ctl_peer_bad(&f->ctl, PS_ROLE_DECIDER);
	pthread_mutex_unlock(&f->mu);
}

int front_decide(struct front *fe, uint32_t type, const struct fd_request *q, const uint8_t *tail,
                 struct token_answer *a)
{
	struct front_proc *f = fe->proc;
	size_t tlen = (size_t)q->body_len + q->cert_len;
	uint8_t *msg = malloc(sizeof(*q) + tlen);
	struct ps_chan ch;
	struct ps_hdr hdr;
	struct fslot *s;
	uint64_t id;
	int fd, r, dead = 0;

	if (msg == NULL)
		return PL_E_NOMEM;
	memcpy(msg, q, sizeof(*q));
	memcpy(msg + sizeof(*q), tail, tlen);
	s = slot_get(f, &fd);
	id = ++s->next_id;
	if (fd < 0) {
		slot_put(f, s, 0);
		free(msg);
		return PL_E_IO;
	}
	ps_chan_init(&ch, fd, PS_CH_DECIDER_TO_FRONT);
	r = ps_send(&ch, type, id, msg, sizeof(*q) + tlen, NULL, 0);
	free(msg);
	if (r != 0) {
		dead = 1;
		goto out;
	}
	for (;;) {
		r = ps_recv(&ch, &hdr, a, sizeof(*a), NULL, 0, NULL, DECIDER_REPLY_MS);
		if (r != 0) {
			dead = r != PL_E_TIMEOUT;
			if (r != PL_E_IO && r != PL_E_TIMEOUT)
				report_decider(f, r, ch.why);
			goto out;
		}
		if (hdr.id == id && hdr.type == PS_DF_ANSWER) {
			a->location[sizeof(a->location) - 1] = '\0';
			break;
		}
		/* a late answer to a request that timed out, or a status on the wrong channel */
	}
out:
	slot_put(f, s, dead);
	return r;
}

void front_get_status(struct front *fe, struct broker_status *st)
{
	struct front_proc *f = fe->proc;

	*st = f->st;
	if (f->status.fd < 0 || mono_ms() - f->st_ms > STATUS_FRESH_MS) {
		st->hsm_ready = 0;
		st->audit_writable = 0;
	}
}

/* PS_DF_STATUS: readiness and gauges, pushed by the decider. */
static int on_status(void *ctx, const struct ps_msg_in *m)
{
	struct front_proc *f = ctx;

	memcpy(&f->st, m->payload, sizeof(f->st));
	f->st_ms = mono_ms();
	return 0;
}

/* What the front end takes on the decider's status channel. */
static const struct ps_handler status_handlers[] = {
    {PS_H_FRONT_STATUS, on_status},
};

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct front_proc *f = arg;
	struct broker_status st;
	struct ps_hdr h;
	struct ps_msg_in m = {&f->status, &h, &st, NULL, 0};
	int r = ps_recv(&f->status, &h, &st, sizeof(st), NULL, 0, NULL, 0);

	(void)fd;
	(void)what;
	if (r == PL_E_TIMEOUT)
		return;
	if (r == 0 && (r = ps_dispatch(status_handlers, PS_NHANDLERS(status_handlers), f, &m)) == 0)
		return;
	if (r != PL_E_IO)
		report_decider(f, r, f->status.why);
	/* The decider is gone (or misbehaved): not ready until the monitor reconnects us. */
	event_free(f->ev_status);
	f->ev_status = NULL;
	ps_chan_close(&f->status);
	f->st.hsm_ready = 0;
	f->st.audit_writable = 0;
}

static void take_peers(struct front_proc *f, const struct ps_peers *p, int *fds, size_t n)
{
	if (p->peer != PS_ROLE_DECIDER || n != f->n + 1) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return;
	}
	pthread_mutex_lock(&f->mu);
	for (unsigned i = 0; i < f->n; i++) {
		if (f->s[i].pending >= 0)
			close(f->s[i].pending);
		f->s[i].pending = fds[i];
	}
	pthread_mutex_unlock(&f->mu);
	if (f->ev_status != NULL)
		event_free(f->ev_status);
	ps_chan_close(&f->status);
	ps_chan_init(&f->status, fds[f->n], PS_CH_DECIDER_TO_FRONT);
	f->ev_status = event_new(f->fe->base, f->status.fd, EV_READ | EV_PERSIST, status_cb, f);
	if (f->ev_status == NULL || event_add(f->ev_status, NULL) != 0)
		pl_log(PL_LOG_ERROR, "privsep_status_lost", "role", "front", "reason",
		       "cannot watch the decider's status channel", NULL);
}

/* PS_MC_CRL: the new CRLs are checked, then added; a bad file changes nothing. */
static void take_crl(struct front_proc *f, int fd)
{
	size_t len = 0, n = 0;
	uint8_t *pem = ps_read_fd(fd, PS_CRL_FILE_MAX, &len);
	char err[256] = "", num[16];
	int r;

	close(fd);
	if (pem == NULL) {
		pl_log(PL_LOG_ERROR, "crl_reload_refused", "file", f->fe->cfg.crl, "reason",
		       "unreadable or larger than 16 MiB", "action",
		       "the CRLs loaded before stay in force", NULL);
		return;
	}
	r = castore_crl_update(f->fe->store, pem, len, &n, err, sizeof(err));
	free(pem);
	if (r != 0) {
		pl_log_err("crl_reload_refused", r, "file", f->fe->cfg.crl, "reason", err, "action",
		           "the CRLs loaded before stay in force", NULL);
		return;
	}
	snprintf(num, sizeof(num), "%zu", n);
	pl_log(PL_LOG_INFO, "crl_reloaded", "file", f->fe->cfg.crl, "crls", num, NULL);
	/* Keep-alive connections opened before keep no handshake result (docs/broker.md). */
	conn_crl_recheck(f->fe);
}

/* PS_MC_PEERS */
static int on_peers(void *ctx, const struct ps_msg_in *m)
{
	take_peers(ctx, m->payload, m->fds, m->nfds);
	return 0;
}

/* PS_MC_CRL */
static int on_crl(void *ctx, const struct ps_msg_in *m)
{
	if (m->nfds == 1)
		take_crl(ctx, m->fds[0]);
	else
		for (size_t i = 0; i < m->nfds; i++)
			close(m->fds[i]);
	return 0;
}

/* What the front end takes from the monitor: no reload (it holds no policy). */
static const struct ps_handler ctl_handlers[] = {
    {PS_H_CHILD_PEERS, on_peers},
    {PS_H_CHILD_CRL, on_crl},
};

static void ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct front_proc *f = arg;
	struct ps_peers p;
	struct ps_hdr h;
	int fds[PS_MAX_FDS];
	size_t n = 0;
	int r = ps_recv(&f->ctl, &h, &p, sizeof(p), fds, PS_MAX_FDS, &n, 0);
	struct ps_msg_in m = {&f->ctl, &h, &p, fds, n};

	(void)fd;
	(void)what;
	if (r == PL_E_TIMEOUT)
		return;
	if (r != 0) {
		/* The monitor is gone: nobody would restart the others. */
		event_base_loopbreak(f->fe->base);
		return;
	}
	if ((r = ps_dispatch(ctl_handlers, PS_NHANDLERS(ctl_handlers), f, &m)) != 0)
		pl_log_err("privsep_no_handler", r, "role", "front", "from", "monitor", "why",
		           f->ctl.why, "action", "refused", NULL);
}

/*
 * Runs the loop until the decider's first status arrived (or 5 s passed:
 * then the front end serves 503 until the decider is back).
 */
static void wait_first_status(struct front_proc *f)
{
	uint64_t until = mono_ms() + FIRST_STATUS_MS;

	while (f->st_ms == 0 && mono_ms() < until) {
		struct timeval tv = {0, 50000};

		event_base_loopexit(f->fe->base, &tv);
		event_base_dispatch(f->fe->base);
	}
}

void ps_front_main(const struct broker_config *c, const struct ps_config *pc, int ctl_fd,
                   int api_fd, int admin_fd, const char *empty_dir)
{
	static struct front_proc ff;
	struct front_proc *f = &ff;
	char err[512] = "";
	int r;

	ps_chan_init(&f->ctl, ctl_fd, PS_CH_MONITOR_TO_CHILD);
	ps_chan_init(&f->status, -1, PS_CH_DECIDER_TO_FRONT);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->n = c->workers;
	if ((f->s = calloc(f->n, sizeof(*f->s))) == NULL)
		ps_child_fail("out of memory", PL_E_NOMEM);
	for (unsigned i = 0; i < f->n; i++)
		f->s[i].cur = f->s[i].pending = -1;
	/* Everything that needs a file or a new socket happens before the drop. */
	if ((r = front_open(c, api_fd, admin_fd, &f->fe, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	f->fe->proc = f;
	if ((r = front_listen(f->fe, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	f->ev_ctl = event_new(f->fe->base, ctl_fd, EV_READ | EV_PERSIST, ctl_cb, f);
	if (f->ev_ctl == NULL || event_add(f->ev_ctl, NULL) != 0)
		ps_child_fail("cannot watch the monitor channel", PL_E_INTERNAL);
	if ((r = ps_drop(PS_ROLE_FRONT, pc, c, empty_dir, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	/* The worker threads start under the seccomp filter and the Landlock domain. */
	if ((r = workq_new(c->workers, c->queue_max, &f->fe->wq)) != 0)
		ps_child_fail("cannot start the front end's workers", r);
	wait_first_status(f);
	if (ps_ctl_ready(&f->ctl, PS_ROLE_FRONT) != 0)
		_exit(1);
	r = front_run(f->fe);
	event_free(f->ev_ctl);
	if (f->ev_status != NULL)
		event_free(f->ev_status);
	front_close(f->fe);
	_exit(r == 0 ? 0 : 1);
}
