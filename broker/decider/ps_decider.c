/*
 * The decider process: policy, audit database, the decision of every token
 * request. It serves the front end (one channel per front-end worker, plus a
 * status channel it pushes readiness and gauges on) and asks the signer (one
 * channel per worker, plus a control channel for checkpoints, status and the
 * public key). From the front end it accepts the PS_FD_* requests only (and
 * authenticates each itself, authenticate.c); anything else
 * ends that channel and the monitor is asked to end the front end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cosign.h"
#include "decider.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_err_signer.h"
#include "pl_log.h"
#include "ps_child.h"

#define SIGNER_REPLY_MS 10000 /* an HSM call (the signer's own timeouts are shorter) */
#define STATUS_PUSH_MS 200
#define POLL_SLICE_MS 500

/* A descriptor a thread uses, and the one the monitor handed over to replace it. */
struct fdslot {
	int cur, pending;
};

struct worker {
	struct decider_proc *d;
	pthread_t t;
	struct fdslot front, signer; /* guarded by d->mu */
	uint64_t next_id;
	uint64_t cur_id; /* the front end's request being decided */
};

struct decider_proc {
	const struct broker_config *c;
	struct decider *dc;
	struct ps_chan *ctl;
	pthread_mutex_t mu;      /* fd slots, ctl sends */
	pthread_mutex_t sig_mu;  /* the signer control channel (checkpoints, status) */
	pthread_mutex_t push_mu; /* status pushes */
	unsigned n;
	struct worker *w;
	struct fdslot front_status, signer_ctl;
	uint64_t sig_ctl_id;
	atomic_int stop;
	atomic_int signer_up;
	pthread_t status_t;
	struct decider_cosign *cosign; /* with a co-signer configured */
};

static _Thread_local struct worker *tl_worker;

/* Takes a pending descriptor (under d->mu). */
static int slot_take(struct decider_proc *d, struct fdslot *s)
{
	int fd;

	pthread_mutex_lock(&d->mu);
	if (s->pending >= 0) {
		if (s->cur >= 0)
			close(s->cur);
		s->cur = s->pending;
		s->pending = -1;
	}
	fd = s->cur;
	pthread_mutex_unlock(&d->mu);
	return fd;
}

/* The channel behind s failed (and was closed by ps_recv/ps_send). */
static void slot_dead(struct decider_proc *d, struct fdslot *s, int fd)
{
	pthread_mutex_lock(&d->mu);
	if (s->cur == fd)
		s->cur = -1;
	pthread_mutex_unlock(&d->mu);
}

static void slot_give(struct fdslot *s, int fd)
{
	if (s->pending >= 0)
		close(s->pending);
	s->pending = fd;
}

/* One request/reply with the signer over the descriptor in s. */
static int signer_call(struct decider_proc *d, struct fdslot *s, uint64_t *id, uint32_t type,
                       const void *req, size_t len, uint32_t rtype, void *rep, size_t rlen)
{
	struct ps_chan ch;
	struct ps_hdr h;
	uint64_t want = ++*id;
	int fd = slot_take(d, s), r;
	uint8_t buf[sizeof(struct ps_issued)];

	if (fd < 0)
		return PL_E_SIGNER_UNAVAILABLE;
	ps_chan_init(&ch, fd, PS_CH_SIGNER_TO_DECIDER);
	if ((r = ps_send(&ch, type, want, req, len, NULL, 0)) != 0)
		goto dead;
	for (;;) {
		r = ps_recv(&ch, &h, buf, sizeof(buf), NULL, 0, NULL, SIGNER_REPLY_MS);
		if (r == PL_E_TIMEOUT)
			return PL_E_SIGNER_UNAVAILABLE;
		if (r != 0)
			goto dead;
		if (h.id == want)
			break;
		/* a late answer to a call that timed out: drop it */
	}
	if (h.type != rtype) {
		pl_log(PL_LOG_ERROR, "privsep_bad_message", "role", "decider", "from", "signer",
		       "why", "an answer of another type than asked", NULL);
		ps_chan_close(&ch);
		slot_dead(d, s, fd);
		return PL_E_SIGNER_UNAVAILABLE;
	}
	memcpy(rep, buf, rlen);
	plt_wipe(buf, sizeof(buf));
	return 0;
dead:
	if (r != PL_E_IO) {
		pl_log_err("privsep_bad_message", r, "role", "decider", "from", "signer", "why",
		           ch.why, NULL);
		pthread_mutex_lock(&d->mu);
		(void)ps_ctl_peer_bad(d->ctl, PS_ROLE_SIGNER);
		pthread_mutex_unlock(&d->mu);
	}
	slot_dead(d, s, fd);
	return PL_E_SIGNER_UNAVAILABLE;
}

/* The worker's own channel to the signer. */
int decider_signer_issue(struct decider *dc, const struct signer_request *req,
                         uint8_t cti[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len)
{
	struct decider_proc *d = dc->proc;
	struct worker *w = tl_worker;
	struct ps_issued out;
	int r;

	if (w == NULL)
		return PL_E_SIGNER_UNAVAILABLE;
	r = signer_call(d, &w->signer, &w->next_id, PS_DS_ISSUE, req, sizeof(*req), PS_SD_ISSUED,
	                &out, sizeof(out));
	if (r == 0 && out.err == 0 && (out.len == 0 || out.len > sizeof(out.tok) || out.len > cap))
		r = PL_E_SIGNER_UNAVAILABLE;
	if (r == 0 && (r = out.err) == 0) {
		memcpy(cti, out.cti, SIGNER_CTI_LEN);
		memcpy(tok, out.tok, out.len);
		*len = out.len;
	}
	plt_wipe(&out, sizeof(out));
	return r;
}

int decider_front_defer(struct decider *dc, int *fd, uint64_t *id)
{
	struct worker *w = tl_worker;
	int f;

	(void)dc;
	if (w == NULL || w->front.cur < 0 || (f = fcntl(w->front.cur, F_DUPFD_CLOEXEC, 0)) < 0)
		return PL_E_IO;
	*fd = f;
	*id = w->cur_id;
	return 0;
}

void decider_report_cosigner(struct decider *dc)
{
	struct decider_proc *d = dc->proc;

	pthread_mutex_lock(&d->mu);
	(void)ps_ctl_peer_bad(d->ctl, PS_ROLE_COSIGNER);
	pthread_mutex_unlock(&d->mu);
}

/* audit_sign_fn: checkpoints through the signer's control channel. */
static int ckpt_remote(void *ctx, uint64_t row_count, const uint8_t head[32],
                       uint8_t sig[SIGNER_SIG_LEN])
{
	struct decider_proc *d = ctx;
	struct ps_ckpt q = {.row_count = row_count};
	struct ps_ckpt_sig out;
	int r;

	memcpy(q.head, head, sizeof(q.head));
	pthread_mutex_lock(&d->sig_mu);
	r = signer_call(d, &d->signer_ctl, &d->sig_ctl_id, PS_DS_CKPT, &q, sizeof(q),
	                PS_SD_CKPT_SIG, &out, sizeof(out));
	pthread_mutex_unlock(&d->sig_mu);
	if (r == 0 && (r = out.err) == 0)
		memcpy(sig, out.sig, SIGNER_SIG_LEN);
	return r;
}

/*
 * The front end is not trusted to terminate its strings or to count: ps_recv
 * refused a request with an unterminated text field (the message table), and
 * every field is terminated here once more before anything reads it (a second
 * guard, should the table and the struct ever drift apart); the tail must be
 * exactly the body and certificates the lengths announce. 0, or a sentence in why.
 */
static int request_check(struct fd_request *q, size_t len, char *why, size_t whylen)
{
	q->request_id[sizeof(q->request_id) - 1] = '\0';
	q->client_addr[sizeof(q->client_addr) - 1] = '\0';
	q->reason[sizeof(q->reason) - 1] = '\0';
	q->arg[sizeof(q->arg) - 1] = '\0';
	if (q->body_len > FD_BODY_MAX || q->cert_len > FD_CERTS_MAX ||
	    (size_t)q->body_len + q->cert_len != len - sizeof(*q)) {
		snprintf(why, whylen,
		         "a request whose body (%u) and certificate (%u) lengths "
		         "disagree with its %zu bytes",
		         q->body_len, q->cert_len, len);
		return PL_E_SYNTAX;
	}
	return 0;
}

static void report_front(struct decider_proc *d, int r, const char *why)
{
	pl_log_err("privsep_bad_message", r, "role", "decider", "from", "front", "why", why,
	           "action", "refused; the channel is closed and the monitor ends the front end",
	           NULL);
	pthread_mutex_lock(&d->mu);
	(void)ps_ctl_peer_bad(d->ctl, PS_ROLE_FRONT);
	pthread_mutex_unlock(&d->mu);
}

/* PS_FD_*: authenticate, decide, answer (decider_request, authenticate.c). */
static int on_request(void *ctx, const struct ps_msg_in *m)
{
	struct worker *w = ctx;
	struct fd_request *q = m->payload;
	struct token_answer a;
	int r;

	if ((r = request_check(q, m->hdr->len, m->ch->why, sizeof(m->ch->why))) != 0) {
		ps_chan_close(m->ch);
		return r;
	}
	w->cur_id = m->hdr->id;
	decider_request(w->d->dc, m->hdr->type, q, (const uint8_t *)m->payload + sizeof(*q), &a);
	/* status 0: a co-signer job answers later (cosign.c) */
	if (a.status == 0)
		return 0;
	/* a failed send: the front end died; the row is committed */
	r = ps_send(m->ch, PS_DF_ANSWER, m->hdr->id, &a, sizeof(a), NULL, 0) == 0 ? 0 : PL_E_IO;
	plt_wipe(&a, sizeof(a));
	return r;
}

/* What the decider takes from the front end on a worker channel. */
static const struct ps_handler front_handlers[] = {
    {PS_H_DECIDER_REQUEST, on_request},
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct decider_proc *d = w->d;
	uint8_t *buf = malloc(PS_MSG_MAX);
	struct ps_hdr hdr;

	if (buf == NULL) {
		pl_log(PL_LOG_ERROR, "decider_worker_lost", "reason", "out of memory", NULL);
		return NULL;
	}
	tl_worker = w;
	while (!atomic_load(&d->stop)) {
		struct ps_chan ch;
		struct ps_msg_in m = {&ch, &hdr, buf, NULL, 0};
		int fd = slot_take(d, &w->front), r;

		if (fd < 0) {
			usleep(POLL_SLICE_MS * 100);
			continue;
		}
		ps_chan_init(&ch, fd, PS_CH_FRONT_TO_DECIDER);
		r = ps_recv(&ch, &hdr, buf, PS_MSG_MAX, NULL, 0, NULL, POLL_SLICE_MS);
		if (r == PL_E_TIMEOUT)
			continue;
		if (r == 0) {
			r = ps_dispatch(front_handlers, PS_NHANDLERS(front_handlers), w, &m);
			plt_wipe(buf, hdr.len);
		}
		if (r != 0) {
			ps_chan_close(&ch);
			if (r != PL_E_IO)
				report_front(d, r, ch.why);
			slot_dead(d, &w->front, fd);
		}
	}
	free(buf);
	return NULL;
}

static void gather(struct decider_proc *d, struct broker_status *st)
{
	struct ps_signer_status ss;
	int r;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&d->sig_mu);
	r = signer_call(d, &d->signer_ctl, &d->sig_ctl_id, PS_DS_STATUS_REQ, NULL, 0, PS_SD_STATUS,
	                &ss, sizeof(ss));
	pthread_mutex_unlock(&d->sig_mu);
	if (r == 0) {
		st->hsm_ready = ss.ready;
		st->hsm_sign_calls = ss.sign_calls;
		st->hsm_faults = ss.faults;
		st->hsm_reinits = ss.reinits;
	}
	decider_get_status(d->dc, st);
	decider_cosign_stats(d->cosign, st);
}

/* Sends readiness and gauges to the front end. */
static void push_status(struct decider_proc *d)
{
	struct broker_status st;
	struct ps_chan ch;
	int fd;

	pthread_mutex_lock(&d->push_mu);
	gather(d, &st);
	if ((fd = slot_take(d, &d->front_status)) >= 0) {
		ps_chan_init(&ch, fd, PS_CH_FRONT_TO_DECIDER);
		if (ps_send(&ch, PS_DF_STATUS, 0, &st, sizeof(st), NULL, 0) != 0)
			slot_dead(d, &d->front_status, fd);
	}
	pthread_mutex_unlock(&d->push_mu);
}

/* SIGHUP: the new policy version (or the failure count) reaches /metrics before the log line. */
static void reload(struct decider_proc *d)
{
	struct policy_diag diag;
	int r = decider_reload_policy(d->dc, &diag);

	push_status(d);
	decider_log_reload(d->dc, r, &diag);
}

/*
 * The front end never sends on the status channel: anything that arrives there
 * is a violation (the channel is closed and the front end reported).
 */
static void check_status_channel(struct decider_proc *d)
{
	struct pollfd p = {.events = POLLIN};
	struct ps_hdr h;
	struct ps_chan ch;
	static uint8_t buf[PS_MSG_MAX]; /* the status thread's only */
	int r;

	pthread_mutex_lock(&d->push_mu);
	p.fd = slot_take(d, &d->front_status);
	if (p.fd < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) {
		pthread_mutex_unlock(&d->push_mu);
		return;
	}
	ps_chan_init(&ch, p.fd, PS_CH_FRONT_TO_DECIDER);
	r = ps_recv(&ch, &h, buf, sizeof(buf), NULL, 0, NULL, 0);
	if (r == 0) {
		/* the decider binds no handler on the status channel: only it writes there */
		struct ps_msg_in m = {&ch, &h, buf, NULL, 0};

		r = ps_dispatch(NULL, 0, d, &m);
		ps_chan_close(&ch);
		snprintf(ch.why, sizeof(ch.why),
		         "a message on the status channel, which only "
		         "the decider writes");
	}
	slot_dead(d, &d->front_status, p.fd);
	pthread_mutex_unlock(&d->push_mu);
	if (r == PL_E_IO)
		return;
	pl_log_err("privsep_bad_message", r, "role", "decider", "from", "front", "why", ch.why,
	           "action", "refused; the channel is closed and the monitor ends the front end",
	           NULL);
	pthread_mutex_lock(&d->mu);
	(void)ps_ctl_peer_bad(d->ctl, PS_ROLE_FRONT);
	pthread_mutex_unlock(&d->mu);
}

/* Pushes the status a few times a second; runs the checkpoint timer. */
static void *status_main(void *arg)
{
	struct decider_proc *d = arg;
	struct timespec last_ckpt, now;

	clock_gettime(CLOCK_MONOTONIC, &last_ckpt);
	while (!atomic_load(&d->stop)) {
		check_status_channel(d);
		push_status(d);
		decider_abuse_tick(
		    d->dc); /* officer actions into the audit chain (docs/abuse.md) */
		decider_refusals_tick(d->dc); /* summary rows of refusals (docs/broker.md) */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (d->c->checkpoint_seconds > 0 &&
		    now.tv_sec - last_ckpt.tv_sec >= (time_t)d->c->checkpoint_seconds) {
			int r = audit_checkpoint(d->dc->audit);

			if (r != 0)
				pl_log_err("audit_checkpoint_failed", r, NULL);
			last_ckpt = now;
		}
		usleep(STATUS_PUSH_MS * 1000);
	}
	return NULL;
}

/* Installs the descriptors of a PS_MC_PEERS message. */
static void take_peers(struct decider_proc *d, uint32_t peer, int *fds, size_t n)
{
	if (peer == PS_ROLE_COSIGNER && n == 1 && d->cosign != NULL) {
		decider_cosign_give_fd(d->cosign, fds[0]);
		return;
	}
	pthread_mutex_lock(&d->mu);
	if (n == d->n + 1 && (peer == PS_ROLE_FRONT || peer == PS_ROLE_SIGNER)) {
		for (unsigned i = 0; i < d->n; i++)
			slot_give(peer == PS_ROLE_FRONT ? &d->w[i].front : &d->w[i].signer, fds[i]);
		slot_give(peer == PS_ROLE_FRONT ? &d->front_status : &d->signer_ctl, fds[d->n]);
		n = 0;
	}
	pthread_mutex_unlock(&d->mu);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* PS_MC_CRL: the crl file the monitor opened (this process may not open it after the drop). */
static void take_crl(struct decider_proc *d, int fd)
{
	size_t len = 0;
	uint8_t *pem = ps_read_fd(fd, PS_CRL_FILE_MAX, &len);

	close(fd);
	if (d->dc == NULL) {
		free(pem);
		return;
	}
	if (pem == NULL) {
		pl_log(PL_LOG_ERROR, "decider_crl_refused", "file", d->c->crl, "reason",
		       "unreadable or larger than 16 MiB", "action",
		       "the CRLs loaded before stay in force", NULL);
		return;
	}
	decider_crl_update(d->dc, pem, len);
	free(pem);
}

/* PS_MC_PEERS */
static int on_peers(void *ctx, const struct ps_msg_in *m)
{
	struct decider_proc *d = ctx;
	const struct ps_peers *p = m->payload;

	take_peers(d, p->peer, m->fds, m->nfds);
	if (p->peer == PS_ROLE_FRONT && d->dc != NULL)
		push_status(d); /* a (re)started front end is ready at once */
	return 0;
}

/* PS_MC_RELOAD */
static int on_reload(void *ctx, const struct ps_msg_in *m)
{
	struct decider_proc *d = ctx;

	(void)m;
	if (d->dc != NULL)
		reload(d);
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

/* What the decider takes from the monitor. */
static const struct ps_handler ctl_handlers[] = {
    {PS_H_CHILD_PEERS, on_peers},
    {PS_H_CHILD_RELOAD, on_reload},
    {PS_H_CHILD_CRL, on_crl},
};

/* One control message; returns nonzero when the monitor is gone. */
static int on_ctl(struct decider_proc *d, int timeout_ms)
{
	struct ps_peers peers;
	struct ps_hdr h;
	int fds[PS_MAX_FDS];
	size_t n = 0;
	int r = ps_recv(d->ctl, &h, &peers, sizeof(peers), fds, PS_MAX_FDS, &n, timeout_ms);
	struct ps_msg_in m = {d->ctl, &h, &peers, fds, n};

	if (r == PL_E_TIMEOUT)
		return 0;
	if (r != 0)
		return 1;
	if ((r = ps_dispatch(ctl_handlers, PS_NHANDLERS(ctl_handlers), d, &m)) != 0)
		pl_log_err("privsep_no_handler", r, "role", "decider", "from", "monitor", "why",
		           d->ctl->why, "action", "refused", NULL);
	return 0;
}

static int fetch_pubkey(struct decider_proc *d, uint8_t pub[SIGNER_PUB_LEN], char *err,
                        size_t errlen)
{
	struct ps_pubkey pk;
	int tries = 0, r;

	/* The monitor connects the signer right after starting this process. */
	while (slot_take(d, &d->signer_ctl) < 0) {
		if (++tries > 600 || on_ctl(d, 100) != 0) {
			snprintf(err, errlen, "no channel to the signer process");
			return PL_E_SIGNER_UNAVAILABLE;
		}
	}
	pthread_mutex_lock(&d->sig_mu);
	r = signer_call(d, &d->signer_ctl, &d->sig_ctl_id, PS_DS_PUBKEY_REQ, NULL, 0, PS_SD_PUBKEY,
	                &pk, sizeof(pk));
	pthread_mutex_unlock(&d->sig_mu);
	if (r == 0 && (r = pk.err) == 0)
		memcpy(pub, pk.pub, SIGNER_PUB_LEN);
	else
		snprintf(err, errlen, "the signer process did not give its public key: %s",
		         pl_strerror(r));
	return r;
}

static int start_threads(struct decider_proc *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (pthread_create(&d->w[i].t, NULL, worker_main, &d->w[i]) != 0)
			return PL_E_NOMEM;
	if (pthread_create(&d->status_t, NULL, status_main, d) != 0)
		return PL_E_NOMEM;
	return 0;
}

void ps_decider_main(const struct broker_config *c, const struct ps_config *pc, int ctl_fd)
{
	static struct decider_proc dd;
	struct decider_proc *d = &dd;
	struct ps_chan ctl;
	uint8_t pub[SIGNER_PUB_LEN];
	char err[512] = "";
	int sfd, r, early = ps_drop_early(pc);

	ps_chan_init(&ctl, ctl_fd, PS_CH_MONITOR_TO_CHILD);
	d->c = c;
	d->ctl = &ctl;
	d->n = c->workers;
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->sig_mu, NULL);
	pthread_mutex_init(&d->push_mu, NULL);
	d->front_status.cur = d->front_status.pending = -1;
	d->signer_ctl.cur = d->signer_ctl.pending = -1;
	if ((d->w = calloc(d->n, sizeof(*d->w))) == NULL)
		ps_child_fail("out of memory", PL_E_NOMEM);
	for (unsigned i = 0; i < d->n; i++) {
		d->w[i].d = d;
		d->w[i].front.cur = d->w[i].front.pending = -1;
		d->w[i].signer.cur = d->w[i].signer.pending = -1;
	}
	if ((sfd = ps_child_signals()) < 0)
		ps_child_fail("cannot set up signal handling", PL_E_INTERNAL);
	if (c->cosigner_url[0] != '\0' &&
	    (r = decider_cosign_new(c->cosigner_timeout_ms, &d->cosign)) != 0)
		ps_child_fail("out of memory", r);
	if (early && (r = ps_drop(PS_ROLE_DECIDER, pc, c, NULL, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if ((r = fetch_pubkey(d, pub, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if ((r = decider_open(c, ckpt_remote, d, pub, &d->dc, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	d->dc->proc = d;
	d->dc->cosign = d->cosign;
	if (d->cosign != NULL && (r = decider_cosign_start(d->cosign, d->dc)) != 0)
		ps_child_fail("cannot start the co-signer result thread", r);
	if (!early && (r = ps_drop(PS_ROLE_DECIDER, pc, c, NULL, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if ((r = start_threads(d)) != 0)
		ps_child_fail("cannot start the decider's threads", r);
	if (ps_ctl_ready(&ctl, PS_ROLE_DECIDER) != 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = {{.fd = ctl.fd, .events = POLLIN},
		                      {.fd = sfd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo == SIGHUP)
				continue; /* the monitor forwards SIGHUP as PS_MC_RELOAD */
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP)) && on_ctl(d, 0) != 0)
			break;
	}
	atomic_store(&d->stop, 1);
	for (unsigned i = 0; i < d->n; i++)
		pthread_join(d->w[i].t, NULL);
	pthread_join(d->status_t, NULL);
	decider_cosign_free(d->cosign); /* jobs in flight: answered unavailable */
	d->dc->cosign = NULL;
	decider_close(d->dc); /* final checkpoint, through the signer */
	_exit(0);
}
