/* The front end's life cycle: TLS context, the loop, drain, close. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "conn.h"
#include "front.h"
#include "pl_err.h"
#include "pl_log.h"
#include "tls.h"

#define DRAIN_TICK_MS 50
#define DRAIN_MAX_TICKS 200 /* 10 s */

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
		pl_log_rl(PL_LOG_WARN, "tls_client_cert_rejected", "x509_error", code, "reason",
		          X509_verify_cert_error_string(e), "depth", depth, "subject", subject,
		          NULL);
	}
	return ok;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	if ((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) && (ret >> 8) == SSL3_AL_FATAL) {
		char num[8];

		snprintf(num, sizeof(num), "%d", ret & 0xff);
		pl_log_rl(PL_LOG_INFO, "tls_alert_sent", "alert", num, "desc",
		          SSL_alert_desc_string_long(ret), NULL);
	}
}

int front_open(const struct broker_config *c, int api_fd, int admin_fd, struct front **out,
               char *err, size_t errlen)
{
	struct front *f;
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return PL_E_NOMEM;
	f->cfg = *c;
	f->api_fd = api_fd;
	f->admin_fd = admin_fd;
	if ((r = tls_server_ctx(c, verify_cb, &f->ssl_ctx, err, errlen)) != 0)
		goto out;
	SSL_CTX_set_info_callback(f->ssl_ctx, info_cb);
	f->store = SSL_CTX_get_cert_store(f->ssl_ctx);
	/* The technician marker: a certificate carrying it is refused as a TLS client. */
	if ((r = techid_set_marker(f->store, c->technician_eku)) != 0) {
		snprintf(err, errlen,
		         "technician_eku %.64s cannot be used (%s); give a dotted OID "
		         "that only technician certificates carry",
		         c->technician_eku, pl_strerror(r));
		goto out;
	}
	if ((r = metrics_new(&f->metrics)) != 0) {
		snprintf(err, errlen, "cannot set up the front end: %s", pl_strerror(r));
		goto out;
	}
	*out = f;
	f = NULL;
out:
	front_close(f);
	return r;
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;

	if (atomic_load(&f->inflight) == 0 || ++f->drain_ticks > DRAIN_MAX_TICKS)
		event_base_loopexit(f->base, NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct front *f = arg;
	struct timeval tick = {0, DRAIN_TICK_MS * 1000};

	if (sig == SIGHUP)
		return; /* the monitor reloads: the policy in the decider, the CRL here */
	if (f->stopping)
		return;
	pl_log(PL_LOG_INFO, "shutdown", "signal", sig == SIGTERM ? "TERM" : "INT", "action",
	       "draining requests in flight", NULL);
	f->stopping = 1;
	front_http_stop_accepting(f);
	event_add(f->ev_drain, &tick);
}

int front_listen(struct front *f, char *err, size_t errlen)
{
	if (evthread_use_pthreads() != 0) {
		snprintf(err, errlen, "libevent has no pthreads support");
		return PL_E_INTERNAL;
	}
	if ((f->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return PL_E_NOMEM;
	}
	f->ev_hup = evsignal_new(f->base, SIGHUP, signal_cb, f);
	f->ev_term = evsignal_new(f->base, SIGTERM, signal_cb, f);
	f->ev_int = evsignal_new(f->base, SIGINT, signal_cb, f);
	f->ev_drain = event_new(f->base, -1, EV_PERSIST, drain_cb, f);
	if (f->ev_hup == NULL || f->ev_term == NULL || f->ev_int == NULL || f->ev_drain == NULL ||
	    event_add(f->ev_hup, NULL) != 0 || event_add(f->ev_term, NULL) != 0 ||
	    event_add(f->ev_int, NULL) != 0) {
		snprintf(err, errlen, "cannot set up signal handling");
		return PL_E_INTERNAL;
	}
	return front_http_setup(f, err, errlen);
}

int front_run(struct front *f)
{
	if (event_base_dispatch(f->base) < 0)
		return PL_E_INTERNAL;
	return 0;
}

void front_close(struct front *f)
{
	if (f == NULL)
		return;
	if (f->http != NULL)
		evhttp_free(f->http);
	if (f->admin != NULL)
		evhttp_free(f->admin);
	conn_guard_free(f->conns);
	if (f->ev_hup != NULL)
		event_free(f->ev_hup);
	if (f->ev_term != NULL)
		event_free(f->ev_term);
	if (f->ev_int != NULL)
		event_free(f->ev_int);
	if (f->ev_drain != NULL)
		event_free(f->ev_drain);
	metrics_free(f->metrics);
	SSL_CTX_free(f->ssl_ctx);
	if (f->base != NULL)
		event_base_free(f->base);
	free(f);
}
