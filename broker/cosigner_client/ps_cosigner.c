/*
 * The cosigner-client process: one thread, one event loop (curl_multi_poll
 * over the co-signer's sockets, the decider's channel, the monitor's channel
 * and the signals). Jobs come from the decider only (PS_DK_JOB); every job
 * gets exactly one PS_KD_RESULT. A message of another type or size from the
 * decider ends that channel (logged); the monitor hands a new one over when
 * the decider restarts.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cosigner_client.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "ps_child.h"

#define LOOP_MS 500
#define UNRESOLVED_RETRY_S 30

struct cc_proc {
	const struct broker_config *c;
	struct ps_chan ctl, dec;
	struct cc_engine *e;
	uint8_t *buf; /* one job: struct cosign_job + tail */
};

/* cc_done_fn: the result back to the decider (a dead channel drops it: the decider times out). */
static void on_done(void *ctx, const struct cosign_result *res)
{
	struct cc_proc *p = ctx;
	char job[24], ms[16], st[8];

	if (res->outcome == COSIGN_UNAVAILABLE) {
		snprintf(job, sizeof(job), "%llu", (unsigned long long)res->job);
		snprintf(ms, sizeof(ms), "%u", res->elapsed_ms);
		snprintf(st, sizeof(st), "%d", res->http_status);
		pl_log(PL_LOG_WARN, "cosigner_no_answer", "job", job, "why",
		       cosign_why_name(res->why), "status", st, "elapsed_ms", ms, "detail",
		       res->detail, NULL);
	}
	(void)ps_send(&p->dec, PS_KD_RESULT, res->job, res, sizeof(*res), NULL, 0);
}

/* PS_MC_PEERS: the channel to a (re)started decider. */
static int on_peers(void *ctx, const struct ps_msg_in *m)
{
	struct cc_proc *p = ctx;
	const struct ps_peers *pe = m->payload;

	if (pe->peer == PS_ROLE_DECIDER && m->nfds == 1) {
		ps_chan_close(&p->dec);
		ps_chan_init(&p->dec, m->fds[0], PS_CH_DECIDER_TO_COSIGNER);
		return 0;
	}
	for (size_t i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	return 0;
}

/* What the cosigner-client takes from the monitor. */
static const struct ps_handler ctl_handlers[] = {
    {PS_H_CHILD_PEERS, on_peers},
};

/* One monitor message; nonzero when the monitor is gone. */
static int on_ctl(struct cc_proc *p)
{
	struct ps_peers pe;
	struct ps_hdr h;
	int fds[PS_MAX_FDS];
	size_t n = 0;
	struct ps_msg_in m = {&p->ctl, &h, &pe, fds, 0};
	int r = ps_recv(&p->ctl, &h, &pe, sizeof(pe), fds, PS_MAX_FDS, &n, 0);

	if (r == PL_E_TIMEOUT)
		return 0;
	if (r != 0)
		return 1;
	m.nfds = n;
	if ((r = ps_dispatch(ctl_handlers, PS_NHANDLERS(ctl_handlers), p, &m)) != 0)
		pl_log_err("privsep_no_handler", r, "role", "cosigner-client", "from", "monitor",
		           "why", p->ctl.why, "action", "refused", NULL);
	return 0;
}

/* PS_DK_JOB: into the engine (its result comes back through on_done). */
static int on_job(void *ctx, const struct ps_msg_in *m)
{
	struct cc_proc *p = ctx;
	const struct cosign_job *j = m->payload;

	cc_engine_submit(p->e, j, (const uint8_t *)m->payload + sizeof(*j),
	                 m->hdr->len - sizeof(*j));
	return 0;
}

/* What the cosigner-client takes from the decider. */
static const struct ps_handler decider_handlers[] = {
    {PS_H_COSIGNER_JOB, on_job},
};

static void on_decider(struct cc_proc *p)
{
	struct ps_hdr h;
	size_t cap = sizeof(struct cosign_job) + COSIGN_TAIL_MAX;
	struct ps_msg_in m = {&p->dec, &h, p->buf, NULL, 0};
	int r = ps_recv(&p->dec, &h, p->buf, cap, NULL, 0, NULL, 0);

	if (r == PL_E_TIMEOUT)
		return;
	if (r == 0) {
		r = ps_dispatch(decider_handlers, PS_NHANDLERS(decider_handlers), p, &m);
		plt_wipe(p->buf, h.len);
	}
	if (r != 0 && r != PL_E_IO) {
		pl_log_err("privsep_bad_message", r, "role", "cosigner-client", "from", "decider",
		           "why", p->dec.why, NULL);
		ps_chan_close(&p->dec); /* the monitor reconnects a restarted decider */
	}
}

static uint64_t mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec;
}

/*
 * The loop. Without the co-signer's address (it did not resolve at start) every
 * job is refused and the process ends after UNRESOLVED_RETRY_S: the monitor
 * starts it again, and the new process resolves again.
 */
static int serve(struct cc_proc *p, int sfd, int resolved)
{
	uint64_t until = mono_s() + UNRESOLVED_RETRY_S;

	for (;;) {
		if (!resolved && mono_s() >= until)
			return PL_E_SRV_CONFIG_VALUE;
		struct pollfd x[3] = {{.fd = p->ctl.fd}, {.fd = sfd}, {.fd = p->dec.fd}};
		unsigned n = p->dec.fd >= 0 ? 3 : 2;

		if (cc_engine_run(p->e, x, n, LOOP_MS) != 0)
			return PL_E_IO;
		if (x[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo != SIGHUP)
				return 0;
		}
		if ((x[0].revents & POLLIN) && on_ctl(p) != 0)
			return 0;
		if (n == 3 && (x[2].revents & POLLIN))
			on_decider(p);
	}
}

void ps_cosigner_main(const struct broker_config *c, const struct ps_config *pc, int ctl_fd)
{
	static struct cc_proc pp;
	struct cc_proc *p = &pp;
	struct cc_creds cr;
	char err[512] = "";
	int sfd, r;

	(void)prctl(PR_SET_NAME, "cosigner-client", 0, 0, 0);
	p->c = c;
	ps_chan_init(&p->ctl, ctl_fd, PS_CH_MONITOR_TO_CHILD);
	ps_chan_init(&p->dec, -1, PS_CH_DECIDER_TO_COSIGNER);
	if ((p->buf = malloc(sizeof(struct cosign_job) + COSIGN_TAIL_MAX)) == NULL)
		ps_child_fail("out of memory", PL_E_NOMEM);
	if ((sfd = ps_child_signals()) < 0)
		ps_child_fail("cannot set up signal handling", PL_E_INTERNAL);
	/* OpenSSL reads its configuration here, before the process may open files */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ps_child_fail("libcurl could not be initialised", PL_E_INTERNAL);
	/* the key may be root's alone: read it, then drop (no thread runs yet) */
	if ((r = cc_creds_load(c, &cr, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	if ((r = cc_engine_new(c, &cr, on_done, p, &p->e)) != 0)
		ps_child_fail("cannot set up libcurl's multi handle", r);
	if ((r = ps_drop(PS_ROLE_COSIGNER, pc, c, NULL, err, sizeof(err))) != 0)
		ps_child_fail(err, r);
	snprintf(err, sizeof(err), "%u", c->cosigner_timeout_ms);
	pl_log(PL_LOG_INFO, "cosigner_client_ready", "url", cr.url, "resolve", cr.resolve,
	       "timeout_ms", err, NULL);
	if (ps_ctl_ready(&p->ctl, PS_ROLE_COSIGNER) != 0)
		_exit(1);
	if (cr.resolve[0] == '\0')
		pl_log(PL_LOG_ERROR, "cosigner_unresolved", "url", cr.url, "reason", cr.resolve_err,
		       "action",
		       "co-signed operations are refused; trying again in 30 s (a new process)",
		       NULL);
	r = serve(p, sfd, cr.resolve[0] != '\0');
	cc_engine_free(p->e);
	cc_creds_free(&cr);
	_exit(r == 0 ? 0 : 1);
}

int cosigner_client_check(const struct broker_config *c, char *err, size_t errlen)
{
	struct cc_creds cr;
	curl_version_info_data *v;
	int r;

	if (c->cosigner_url[0] == '\0')
		return 0;
	if ((r = cc_creds_load(c, &cr, err, errlen)) != 0)
		return r;
	if (cr.resolve[0] == '\0') {
		snprintf(err, errlen, "%s", cr.resolve_err);
		cc_creds_free(&cr);
		return PL_E_SRV_CONFIG_VALUE;
	}
	cc_creds_free(&cr);
	v = curl_version_info(CURLVERSION_NOW);
	if (v == NULL || !(v->features & CURL_VERSION_SSL) || v->version_num < 0x074700) {
		snprintf(err, errlen,
		         "libcurl %s lacks what the co-signer needs (TLS, blobs, curl_multi_poll: "
		         "7.71 or newer)",
		         v != NULL ? v->version : "?");
		return PL_E_INTERNAL;
	}
	return 0;
}
