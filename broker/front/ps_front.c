/*
 * The front end process: TLS, HTTP, request decoding and the technician's
 * certificate and signature checks -- all untrusted input. It holds the TLS
 * key (read before it drops), the listening sockets and its channels to the
 * decider; no PIN, no HSM session, no database. It sends the decider
 * the PS_FD_* requests and nothing else, and accepts PS_DF_ANSWER / PS_DF_STATUS.
 * While the decider is gone it answers 503 and /v1/ready is false. One
 * thread: the event loop hands each request over on a free channel and takes
 * the answer from a read event (docs/privsep.md, "Hand-off").
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
#include "pl_err_server.h"
#include "pl_log.h"
#include "ps_child.h"
#include "tls.h"

#define DECIDER_REPLY_MS 30000 /* policy + HSM + group commit, with the signer's retries */
#define STATUS_FRESH_MS 2000   /* older status: not ready */
#define FIRST_STATUS_MS 5000

/*
 * One channel to the decider, used by the loop thread only: at most one
 * request in flight on it (so a send never waits for room: the socket buffer
 * holds two), its answer awaited by a read event.
 */
struct fslot {
	struct front_proc *f;
	int cur, pending;
	int busy;  /* a request in flight: want, done, arg */
	int stale; /* timed out: its late answer must be read before the next request */
	uint64_t next_id, want;
	struct event *ev;
	front_answer_fn done;
	void *arg;
};

/* A request waiting for a free channel (all of them busy: a burst). */
struct fwait {
	struct fwait *next;
	uint32_t type;
	front_answer_fn done;
	void *arg;
	size_t len;
	uint8_t msg[]; /* struct fd_request, then its tail */
};

struct front_proc {
	struct front *fe;
	struct ps_chan ctl;
	pthread_mutex_t mu;
	unsigned n;
	struct fslot *s;
	struct fwait *wait_head, *wait_tail; /* FIFO */
	unsigned waiting;
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

static void report_decider(struct front_proc *f, int r, const char *why)
{
	pl_log_err("privsep_bad_message", r, "role", "front", "from", "decider", "why", why, NULL);
	pthread_mutex_lock(&f->mu);
	(void)ps_ctl_peer_bad(&f->ctl, PS_ROLE_DECIDER);
	pthread_mutex_unlock(&f->mu);
}

static void answer_cb(evutil_socket_t fd, short what, void *arg);

/* The slot's channel: a descriptor the monitor handed over replaces the old one. */
static int slot_fd(struct fslot *s)
{
	if (s->pending >= 0) {
		if (s->ev != NULL)
			event_free(s->ev);
		s->ev = NULL;
		if (s->cur >= 0)
			close(s->cur);
		s->cur = s->pending;
		s->pending = -1;
		s->stale = 0;
	}
	if (s->cur >= 0 && s->ev == NULL)
		s->ev = event_new(s->f->fe->base, s->cur, EV_READ, answer_cb, s);
	return s->ev != NULL ? s->cur : -1;
}

/* A free slot with a usable channel, or NULL. */
static struct fslot *slot_free(struct front_proc *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		struct fslot *s = &f->s[i];

		if (!s->busy && (s->pending >= 0 || !s->stale) && slot_fd(s) >= 0)
			return s;
	}
	return NULL;
}

/* The slot's channel failed (closed by ps_recv/ps_send). */
static void slot_dead(struct fslot *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	s->ev = NULL;
	s->cur = -1;
	s->stale = 0;
}

/* Sends msg on s and waits for its answer; 0, or PL_E_IO (the channel is dead). */
static int slot_send(struct fslot *s, uint32_t type, const uint8_t *msg, size_t len,
                     front_answer_fn done, void *arg)
{
	struct ps_chan ch;
	struct timeval tv = {DECIDER_REPLY_MS / 1000, 0};

	ps_chan_init(&ch, s->cur, PS_CH_DECIDER_TO_FRONT);
	s->want = ++s->next_id;
	if (ps_send(&ch, type, s->want, msg, len, NULL, 0) != 0) {
		slot_dead(s);
		return PL_E_IO;
	}
	s->busy = 1;
	s->done = done;
	s->arg = arg;
	event_add(s->ev, &tv);
	return 0;
}

/* Nonzero while some slot has a channel to the decider (or one is handed over). */
static int have_channel(const struct front_proc *f)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->s[i].cur >= 0 || f->s[i].pending >= 0)
			return 1;
	return 0;
}

/* Sends waiting requests while channels are free; fails them when there are none. */
static void drain_waiting(struct front_proc *f)
{
	struct fslot *s;

	while (f->wait_head != NULL && !have_channel(f)) {
		struct fwait *w = f->wait_head;

		f->wait_head = w->next;
		if (f->wait_head == NULL)
			f->wait_tail = NULL;
		f->waiting--;
		plt_wipe(w->msg, w->len);
		w->done(w->arg, PL_E_IO, NULL);
		free(w);
	}

	while (f->wait_head != NULL && (s = slot_free(f)) != NULL) {
		struct fwait *w = f->wait_head;
		int r;

		f->wait_head = w->next;
		if (f->wait_head == NULL)
			f->wait_tail = NULL;
		f->waiting--;
		r = slot_send(s, w->type, w->msg, w->len, w->done, w->arg);
		plt_wipe(w->msg, w->len);
		if (r != 0)
			w->done(w->arg, r, NULL);
		free(w);
	}
}

/* The slot's request is over: its answer (a), or r without one. */
static void slot_finish(struct fslot *s, int r, struct token_answer *a)
{
	front_answer_fn done = s->done;
	void *arg = s->arg;

	s->busy = 0;
	s->done = NULL;
	s->arg = NULL;
	done(arg, r, a);
	drain_waiting(s->f);
}

/*
 * The decider's answer on a slot (or the timeout). An answer with another id
 * is a late one to a request that timed out: read and dropped.
 */
static void answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fslot *s = arg;
	struct timeval tv = {DECIDER_REPLY_MS / 1000, 0};
	struct token_answer a;
	struct ps_chan ch;
	struct ps_hdr hdr;
	int r;

	(void)fd;
	if (what & EV_TIMEOUT) {
		s->stale = 1; /* its answer may still come: read it before the slot is reused */
		event_add(s->ev, NULL);
		if (s->busy)
			slot_finish(s, PL_E_TIMEOUT, NULL);
		return;
	}
	ps_chan_init(&ch, s->cur, PS_CH_DECIDER_TO_FRONT);
	r = ps_recv(&ch, &hdr, &a, sizeof(a), NULL, 0, NULL, 0);
	if (r == PL_E_TIMEOUT) {
		if (s->busy || s->stale)
			event_add(s->ev, s->busy ? &tv : NULL);
		return;
	}
	if (r != 0) {
		if (r != PL_E_IO)
			report_decider(s->f, r, ch.why);
		slot_dead(s);
		if (s->busy)
			slot_finish(s, r, NULL);
		else
			drain_waiting(s->f);
		return;
	}
	if (s->busy && hdr.id == s->want && hdr.type == PS_DF_ANSWER) {
		a.location[sizeof(a.location) - 1] = '\0';
		slot_finish(s, 0, &a);
		plt_wipe(&a, sizeof(a));
		return;
	}
	/* a late answer: the channel is clean again */
	plt_wipe(&a, sizeof(a));
	s->stale = 0;
	if (s->busy)
		event_add(s->ev, &tv);
	else
		drain_waiting(s->f);
}

int front_decide(struct front *fe, uint32_t type, const struct fd_request *q, const uint8_t *tail,
                 front_answer_fn done, void *arg)
{
	struct front_proc *f = fe->proc;
	size_t tlen = (size_t)q->body_len + q->cert_len;
	struct fslot *s = f->wait_head == NULL ? slot_free(f) : NULL;
	struct fwait *w;

	if (s != NULL) {
		uint8_t *msg = malloc(sizeof(*q) + tlen);
		int r;

		if (msg == NULL)
			return PL_E_NOMEM;
		memcpy(msg, q, sizeof(*q));
		memcpy(msg + sizeof(*q), tail, tlen);
		r = slot_send(s, type, msg, sizeof(*q) + tlen, done, arg);
		plt_wipe(msg, sizeof(*q) + tlen);
		free(msg);
		return r;
	}
	/* every channel busy: wait in line, up to queue_max; none at all: the decider is gone */
	if (!have_channel(f))
		return PL_E_IO;
	if (f->waiting >= fe->cfg.queue_max)
		return PL_E_SRV_BUSY;
	if ((w = malloc(sizeof(*w) + sizeof(*q) + tlen)) == NULL)
		return PL_E_NOMEM;
	w->next = NULL;
	w->type = type;
	w->done = done;
	w->arg = arg;
	w->len = sizeof(*q) + tlen;
	memcpy(w->msg, q, sizeof(*q));
	memcpy(w->msg + sizeof(*q), tail, tlen);
	if (f->wait_tail != NULL)
		f->wait_tail->next = w;
	else
		f->wait_head = w;
	f->wait_tail = w;
	f->waiting++;
	return 0;
}

unsigned front_queue_depth(struct front *fe)
{
	return fe->proc != NULL ? fe->proc->waiting : 0;
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
	for (unsigned i = 0; i < f->n; i++) {
		if (f->s[i].pending >= 0)
			close(f->s[i].pending);
		f->s[i].pending = fds[i];
	}
	if (f->ev_status != NULL)
		event_free(f->ev_status);
	drain_waiting(f);
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
	f->n = c->workers;
	if ((f->s = calloc(f->n, sizeof(*f->s))) == NULL)
		ps_child_fail("out of memory", PL_E_NOMEM);
	for (unsigned i = 0; i < f->n; i++) {
		f->s[i].f = f;
		f->s[i].cur = f->s[i].pending = -1;
	}
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
