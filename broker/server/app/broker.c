/* Broker life cycle: open the modules, run the loop, reload, drain, close. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "broker.h"
#include "conn.h"
#include "pl_err.h"
#include "pl_log.h"
#include "signer_limits.h"
#include "tls.h"

#define DRAIN_TICK_MS 50
#define DRAIN_MAX_TICKS 200   /* 10 s */

static int verify_cb(int ok, X509_STORE_CTX *st)
{
	if (!ok) {
		int e = X509_STORE_CTX_get_error(st);
		char depth[16], code[16];
		X509 *x = X509_STORE_CTX_get_current_cert(st);
		char subject[256] = "";

		snprintf(depth, sizeof(depth), "%d", X509_STORE_CTX_get_error_depth(st));
		snprintf(code, sizeof(code), "%d", e);
		if (x != NULL)
			X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
		pl_log_rl(PL_LOG_WARN, "tls_client_cert_rejected", "x509_error", code,
		       "reason", X509_verify_cert_error_string(e), "depth", depth,
		       "subject", subject, NULL);
	}
	return ok;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	if ((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) && (ret >> 8) == SSL3_AL_FATAL) {
		char num[8];

		snprintf(num, sizeof(num), "%d", ret & 0xff);
		pl_log_rl(PL_LOG_INFO, "tls_alert_sent", "alert", num,
		       "desc", SSL_alert_desc_string_long(ret), NULL);
	}
}

static int open_policy(struct broker *b, char *err, size_t errlen)
{
	struct policy *p = NULL;
	struct policy_diag d;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = policy_load_dir(b->cfg.policy_dir, &p, &d)) != 0) {
		snprintf(err, errlen, "policy %s:%u:%u: %s", d.file[0] ? d.file : b->cfg.policy_dir,
			 d.line, d.col, d.msg[0] ? d.msg : pl_strerror(r));
		return r;
	}
	if ((r = policy_slot_new(p, &b->policy)) != 0) {
		policy_unref(p);
		snprintf(err, errlen, "policy slot: %s", pl_strerror(r));
	}
	return r;
}

static int signer_from_policy(const struct broker_config *c, struct policy *p,
			      struct signer **out, char *err, size_t errlen)
{
	struct signer_limits lim;
	struct signer_options opt = { .sessions = c->workers };
	char why[256] = "";
	int r;

	if ((r = signer_limits_from_policy(p, c->max_exi_s, &lim, err, errlen)) != 0)
		return r;
	if ((r = signer_open_ex(c->key_uri, c->pin_file, &lim, &opt, out, why,
				sizeof(why))) != 0)
		snprintf(err, errlen, "HSM key %s (pin_file %s): %s", c->key_uri,
			 c->pin_file, why[0] ? why : pl_strerror(r));
	return r;
}

static int open_signer(struct broker *b, char *err, size_t errlen)
{
	struct policy *p = policy_slot_get(b->policy);
	int r = signer_from_policy(&b->cfg, p, &b->signer, err, errlen);

	policy_unref(p);
	return r;
}

/*
 * The signer process: its own copy of the hard limits from the policy's
 * operations catalogue, then the PIN file and the HSM.
 */
int broker_open_signer(const struct broker_config *c, struct signer **out, char *err,
		       size_t errlen)
{
	struct broker b;
	struct policy *p;
	int r;

	memset(&b, 0, sizeof(b));
	b.cfg = *c;
	if ((r = open_policy(&b, err, errlen)) != 0)
		return r;
	p = policy_slot_get(b.policy);
	r = signer_from_policy(c, p, out, err, errlen);
	policy_unref(p);
	policy_slot_free(b.policy);
	return r;
}

static int open_audit_with(struct broker *b, audit_sign_fn fn, void *ctx,
			   const uint8_t pub[SIGNER_PUB_LEN], char *err, size_t errlen)
{
	int r;

	if ((r = audit_open(b->cfg.database, &b->audit)) != 0) {
		snprintf(err, errlen, "database %s: %s", b->cfg.database, pl_strerror(r));
		return r;
	}
	if ((r = audit_set_checkpoint_signer(b->audit, fn, ctx, pub, b->cfg.checkpoint_rows,
					     b->cfg.checkpoint_seconds)) != 0)
		snprintf(err, errlen, "audit checkpoint signer: %s", pl_strerror(r));
	return r;
}

static int open_audit(struct broker *b, char *err, size_t errlen)
{
	uint8_t pub[SIGNER_PUB_LEN], kid[SIGNER_KID_LEN];
	int r;

	if ((r = signer_public_key(b->signer, pub, kid)) != 0) {
		snprintf(err, errlen, "audit checkpoint signer: %s", pl_strerror(r));
		return r;
	}
	return open_audit_with(b, signer_audit_sign, b->signer, pub, err, errlen);
}

static struct broker *broker_alloc(const struct broker_config *c)
{
	struct broker *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cfg = *c;
	b->api_fd = -1;
	b->admin_fd = -1;
	return b;
}

/* The technician EKU on the store shared by TLS (refused) and request checks (required). */
static int set_technician_marker(struct broker *b, char *err, size_t errlen)
{
	int r = techid_set_marker(b->store, b->cfg.technician_eku);

	if (r != 0)
		snprintf(err, errlen, "technician_eku %.64s cannot be used (%s); give a dotted OID "
			 "that only technician certificates carry", b->cfg.technician_eku,
			 pl_strerror(r));
	return r;
}

/* The decider process: policy and audit store; checkpoints are signed through fn. */
int broker_open_decider(const struct broker_config *c, audit_sign_fn fn, void *ctx,
			const uint8_t pub[SIGNER_PUB_LEN], struct broker **out, char *err,
			size_t errlen)
{
	struct broker *b;
	int r;

	if ((b = broker_alloc(c)) == NULL)
		return PL_E_NOMEM;
	if ((r = open_policy(b, err, errlen)) != 0 ||
	    (r = open_audit_with(b, fn, ctx, pub, err, errlen)) != 0 ||
	    (r = broker_abuse_open(b, err, errlen)) != 0 ||
	    (r = broker_refusals_open(b, err, errlen)) != 0)
		goto out;
	if ((r = metrics_new(&b->metrics)) != 0 ||
	    (r = replay_new(c->replay_capacity, &b->replay)) != 0) {
		snprintf(err, errlen, "cannot set up the decider: %s", pl_strerror(r));
		goto out;
	}
	if ((r = broker_replay_preload(b, err, errlen)) != 0)
		goto out;
	*out = b;
	b = NULL;
out:
	broker_close(b);
	return r;
}

/* The front end process: TLS context (reads the TLS key), replay cache, metrics, workers. */
int broker_open_front(const struct broker_config *c, int api_fd, int admin_fd,
		      struct broker **out, char *err, size_t errlen)
{
	struct broker *b;
	int r;

	if ((b = broker_alloc(c)) == NULL)
		return PL_E_NOMEM;
	b->api_fd = api_fd;
	b->admin_fd = admin_fd;
	if ((r = tls_server_ctx(c, verify_cb, &b->ssl_ctx, err, errlen)) != 0)
		goto out;
	SSL_CTX_set_info_callback(b->ssl_ctx, info_cb);
	b->store = SSL_CTX_get_cert_store(b->ssl_ctx);
	if ((r = set_technician_marker(b, err, errlen)) != 0)
		goto out;
	/* The worker pool starts after the privilege drop (broker/privsep/ps_front.c);
	 * the replay cache is the decider's. */
	if ((r = metrics_new(&b->metrics)) != 0) {
		snprintf(err, errlen, "cannot set up the front end: %s", pl_strerror(r));
		goto out;
	}
	*out = b;
	b = NULL;
out:
	broker_close(b);
	return r;
}

int broker_signer_issue(struct broker *b, const struct signer_request *req,
			uint8_t cti[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len)
{
	if (b->issue != NULL)
		return b->issue(b, req, cti, tok, cap, len);
	return signer_issue(b->signer, req, cti, tok, cap, len);
}

void broker_get_status(struct broker *b, struct broker_status *st)
{
	struct audit_stats as;
	struct signer_status ss;
	struct policy *p;

	memset(st, 0, sizeof(*st));
	if (b->status != NULL) {
		b->status(b, st);
		return;
	}
	audit_get_stats(b->audit, &as);
	signer_status(b->signer, &ss);
	p = policy_slot_get(b->policy);
	st->policy_version = policy_version(p);
	policy_unref(p);
	st->hsm_ready = ss.ready;
	st->audit_writable = audit_writable(b->audit);
	st->audit_rows = as.rows;
	st->audit_commits = as.commits;
	st->audit_checkpoints = as.checkpoints;
	st->audit_chain_diverged = as.chain_diverged;
	st->hsm_sign_calls = ss.sign_calls;
	st->hsm_faults = ss.faults;
	st->hsm_reinits = ss.reinits;
	st->policy_reloads = atomic_load(&b->reloads);
	st->policy_reload_failures = atomic_load(&b->reload_failures);
	st->replay_entries = replay_count(b->replay);
	if (b->abuse != NULL)
		abuse_get_stats(b->abuse, &st->abuse);
}

int broker_open(const struct broker_config *c, struct broker **out, char *err, size_t errlen)
{
	struct broker *b;
	int r;

	if ((b = broker_alloc(c)) == NULL)
		return PL_E_NOMEM;
	if ((r = open_policy(b, err, errlen)) != 0)
		goto out;
	if ((r = open_signer(b, err, errlen)) != 0)
		goto out;
	if ((r = open_audit(b, err, errlen)) != 0 || (r = broker_abuse_open(b, err, errlen)) != 0 ||
	    (r = broker_refusals_open(b, err, errlen)) != 0)
		goto out;
	if ((r = tls_server_ctx(c, verify_cb, &b->ssl_ctx, err, errlen)) != 0)
		goto out;
	SSL_CTX_set_info_callback(b->ssl_ctx, info_cb);
	b->store = SSL_CTX_get_cert_store(b->ssl_ctx);
	if ((r = set_technician_marker(b, err, errlen)) != 0)
		goto out;
	if ((r = replay_new(c->replay_capacity, &b->replay)) != 0 ||
	    (r = metrics_new(&b->metrics)) != 0 ||
	    (r = workq_new(c->workers, c->queue_max, &b->wq)) != 0) {
		snprintf(err, errlen, "cannot set up the broker: %s", pl_strerror(r));
		goto out;
	}
	if ((r = broker_replay_preload(b, err, errlen)) != 0)
		goto out;
	*out = b;
	b = NULL;
	r = 0;
out:
	broker_close(b);
	return r;
}

void broker_reload_policy(struct broker *b)
{
	struct policy_diag d;
	struct policy *p;
	char ver[16], line[16], col[16];
	int r;

	memset(&d, 0, sizeof(d));
	r = policy_slot_reload(b->policy, b->cfg.policy_dir, NULL, &d);
	if (r != 0)
		atomic_fetch_add(&b->reload_failures, 1);
	else
		atomic_fetch_add(&b->reloads, 1);
	if (b->reloaded != NULL)
		b->reloaded(b);     /* privsep: the front end's metrics show it before the log */
	if (r != 0) {
		snprintf(line, sizeof(line), "%u", d.line);
		snprintf(col, sizeof(col), "%u", d.col);
		pl_log_err("policy_reload_refused", r, "file", d.file, "line", line, "col", col,
			   "msg", d.msg, "action", "the previous policy stays in force", NULL);
		return;
	}
	p = policy_slot_get(b->policy);
	snprintf(ver, sizeof(ver), "%u", policy_version(p));
	if (b->signer != NULL)     /* one process: the signer's hard limits follow at once */
		signer_limits_apply(b->signer, p, b->cfg.max_exi_s);
	policy_unref(p);
	pl_log(PL_LOG_INFO, "policy_reloaded", "dir", b->cfg.policy_dir, "version", ver, NULL);
}

static void ckpt_run(struct workq_item *it)
{
	struct broker *b = (struct broker *)(void *)((char *)it - offsetof(struct broker, ckpt_item));
	int r = audit_checkpoint(b->audit);

	if (r != 0)
		pl_log_err("audit_checkpoint_failed", r, NULL);
	atomic_store(&b->ckpt_pending, 0);
}

static void ckpt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct broker *b = arg;

	if (b->stopping || atomic_exchange(&b->ckpt_pending, 1))
		return;
	if (workq_push(b->wq, &b->ckpt_item) != 0)
		atomic_store(&b->ckpt_pending, 0);
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct broker *b = arg;

	if (atomic_load(&b->inflight) == 0 || ++b->drain_ticks > DRAIN_MAX_TICKS)
		event_base_loopexit(b->base, NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct broker *b = arg;
	struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };

	if (sig == SIGHUP) {
		if (b->policy != NULL)     /* in the front end, the monitor forwards SIGHUP */
			broker_reload_policy(b);
		return;
	}
	if (b->stopping)
		return;
	pl_log(PL_LOG_INFO, "shutdown", "signal", sig == SIGTERM ? "TERM" : "INT",
	       "action", "draining requests in flight", NULL);
	b->stopping = 1;
	broker_http_stop_accepting(b);
	event_add(b->ev_drain, &tick);
}

int broker_listen(struct broker *b, char *err, size_t errlen)
{
	struct timeval ck = { (time_t)b->cfg.checkpoint_seconds, 0 };
	int r;

	if (evthread_use_pthreads() != 0) {
		snprintf(err, errlen, "libevent has no pthreads support");
		return PL_E_INTERNAL;
	}
	if ((b->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return PL_E_NOMEM;
	}
	b->ev_hup = evsignal_new(b->base, SIGHUP, signal_cb, b);
	b->ev_term = evsignal_new(b->base, SIGTERM, signal_cb, b);
	b->ev_int = evsignal_new(b->base, SIGINT, signal_cb, b);
	b->ev_drain = event_new(b->base, -1, EV_PERSIST, drain_cb, b);
	b->ev_ckpt = event_new(b->base, -1, EV_PERSIST, ckpt_cb, b);
	b->ckpt_item.fn = ckpt_run;
	if (b->ev_hup == NULL || b->ev_term == NULL || b->ev_int == NULL || b->ev_drain == NULL ||
	    b->ev_ckpt == NULL || event_add(b->ev_hup, NULL) != 0 ||
	    event_add(b->ev_term, NULL) != 0 || event_add(b->ev_int, NULL) != 0 ||
	    (b->audit != NULL && event_add(b->ev_ckpt, &ck) != 0)) {
		snprintf(err, errlen, "cannot set up signal handling");
		return PL_E_INTERNAL;
	}
	if ((r = broker_http_setup(b, err, errlen)) != 0)
		return r;
	return 0;
}

int broker_run(struct broker *b)
{
	if (event_base_dispatch(b->base) < 0)
		return PL_E_INTERNAL;
	return 0;
}

void broker_close(struct broker *b)
{
	if (b == NULL)
		return;
	workq_free(b->wq);  /* finishes queued jobs first */
	if (b->http != NULL)
		evhttp_free(b->http);
	if (b->admin != NULL)
		evhttp_free(b->admin);
	conn_guard_free(b->conns);
	if (b->ev_hup != NULL)
		event_free(b->ev_hup);
	if (b->ev_term != NULL)
		event_free(b->ev_term);
	if (b->ev_int != NULL)
		event_free(b->ev_int);
	if (b->ev_drain != NULL)
		event_free(b->ev_drain);
	if (b->ev_ckpt != NULL)
		event_free(b->ev_ckpt);
	abuse_close(b->abuse);
	broker_refusals_close(b);  /* pending summary rows, before the audit store closes */
	audit_close(b->audit);     /* final checkpoint needs the signer */
	signer_close(b->signer);
	policy_slot_free(b->policy);
	replay_free(b->replay);
	metrics_free(b->metrics);
	SSL_CTX_free(b->ssl_ctx);
	if (b->base != NULL)
		event_base_free(b->base);
	free(b);
}
