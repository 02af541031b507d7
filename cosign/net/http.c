/*
 * The network child's HTTP side (net.h):
 *
 *   API   (TLS 1.3, pinned broker client): POST /v1/cosign, GET /v1/health, GET /v1/ready
 *   admin (127.0.0.1 / ::1 only):          GET /v1/health, GET /v1/ready, GET /metrics
 *
 * POST /v1/cosign checks only the shape (Content-Type, size) and hands the
 * body to the core; everything else is the core's. Replies that are not
 * signatures are concise problem details (broker/api/problem.c), sent with
 * evhttp_send_reply (evhttp_send_error would close the connection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>

#include "cs_msg.h"
#include "net.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_log.h"
#include "problem.h"

#define MAX_HEADERS_SIZE 8192
/* evhttp's own 413 only beyond this; up to it, ours (problem details) */
#define EVHTTP_BODY_MAX (4 * COSIGN_BODY_MAX)
#define STATUS_STALE_MS 2000 /* an older status from the core means not ready */

static int ssl_idx = -1;
static struct cosign_net *the_net; /* for the SSL callbacks */
/* ssl_idx marks: a counted connection, or one over max_connections (refused at its hello) */
static char mark_counted, mark_over;

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void send_body(struct evhttp_request *req, int status, const char *ctype, const void *body,
                      size_t len, uint32_t retry_after)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char ra[16];

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (retry_after != 0) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		evhttp_add_header(h, "Retry-After", ra);
	}
	if (buf != NULL)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, status, NULL, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

static void send_problem(struct evhttp_request *req, int status, const char *code,
                         const char *detail, uint32_t retry_after)
{
	struct problem p = {.status = status,
	                    .code = code,
	                    .title = problem_title_for(status),
	                    .detail = detail,
	                    .retry_after = retry_after};
	uint8_t out[PROBLEM_MAX];
	size_t len = 0;

	if (problem_encode(&p, out, sizeof(out), &len) != 0)
		len = 0;
	send_body(req, status, PROBLEM_CONTENT_TYPE, out, len, retry_after);
}

static void send_text(struct evhttp_request *req, int status, const char *text)
{
	send_body(req, status, "text/plain; charset=utf-8", text, strlen(text), 0);
}

static int core_ready(const struct cosign_net *n)
{
	return n->status_seen && mono_ms() - n->status_ms <= STATUS_STALE_MS && n->hsm_ready &&
	       n->audit_ready;
}

static void handle_ready(struct cosign_net *n, struct evhttp_request *req)
{
	if (core_ready(n)) {
		send_text(req, 200, "ready\n");
		return;
	}
	send_problem(req, 503, "not_ready",
	             !n->status_seen || mono_ms() - n->status_ms > STATUS_STALE_MS
	                 ? "the co-signer's core does not report (starting or stuck)"
	             : !n->hsm_ready ? "the co-signer's HSM key is unavailable"
	                             : "the co-signer's audit store is not writable",
	             5);
}

static void handle_metrics(struct cosign_net *n, struct evhttp_request *req)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		send_problem(req, 500, "internal", "out of memory", 0);
		return;
	}
	if (n->core_metrics != NULL)
		fwrite(n->core_metrics, 1, n->core_metrics_len, f);
	fprintf(f,
	        "# HELP pitlane_cosign_ready 1 when the core reports its HSM and audit store "
	        "ready.\n# TYPE pitlane_cosign_ready gauge\npitlane_cosign_ready %d\n",
	        core_ready(n));
	fprintf(f, "# HELP pitlane_cosign_tls_refused_total TLS handshakes refused (reason: "
	           "certificate, not_pinned).\n# TYPE pitlane_cosign_tls_refused_total counter\n");
	fprintf(f, "pitlane_cosign_tls_refused_total{reason=\"certificate\"} %llu\n",
	        (unsigned long long)(n->n.tls_refused - n->n.not_pinned));
	fprintf(f, "pitlane_cosign_tls_refused_total{reason=\"not_pinned\"} %llu\n",
	        (unsigned long long)n->n.not_pinned);
	fprintf(f,
	        "# HELP pitlane_cosign_front_refused_total Requests the network process refused "
	        "before the core saw them.\n# TYPE pitlane_cosign_front_refused_total counter\n");
	fprintf(f, "pitlane_cosign_front_refused_total{code=\"request_too_large\"} %llu\n",
	        (unsigned long long)n->n.too_large);
	fprintf(f, "pitlane_cosign_front_refused_total{code=\"unsupported_media_type\"} %llu\n",
	        (unsigned long long)n->n.bad_type);
	fprintf(f, "pitlane_cosign_front_refused_total{code=\"busy\"} %llu\n",
	        (unsigned long long)n->n.busy);
	fprintf(f, "pitlane_cosign_front_refused_total{code=\"cosign_core_unavailable\"} %llu\n",
	        (unsigned long long)n->n.core_timeouts);
	fprintf(f, "pitlane_cosign_front_refused_total{code=\"max_connections\"} %llu\n",
	        (unsigned long long)n->n.conn_refused_cap);
	fprintf(f,
	        "# HELP pitlane_cosign_connections Open TLS connections.\n"
	        "# TYPE pitlane_cosign_connections gauge\npitlane_cosign_connections %u\n",
	        n->conns);
	fclose(f);
	send_body(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 0);
	free(text);
}

static int content_type_ok(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");

	return ct != NULL && strncmp(ct, "application/cbor", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';');
}

static void peer_addr(struct evhttp_request *req, char *out, size_t cap)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(out, cap, "%s:%u", host ? host : "?", port);
}

static struct net_pending *free_slot(struct cosign_net *n)
{
	for (uint32_t i = 0; i < n->cfg.max_inflight; i++)
		if (n->pending[i].req == NULL)
			return &n->pending[i];
	return NULL;
}

static void handle_cosign(struct cosign_net *n, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct cs_request cr;
	struct net_pending *slot;
	uint8_t *body;
	int r;

	if (!content_type_ok(req)) {
		n->n.bad_type++;
		send_problem(req, 415, "unsupported_media_type",
		             "POST /v1/cosign takes Content-Type: application/cbor", 0);
		return;
	}
	if (len > COSIGN_BODY_MAX) {
		n->n.too_large++;
		send_problem(req, 413, "request_too_large",
		             "the cosign request body is larger than 16384 bytes", 0);
		return;
	}
	if ((slot = free_slot(n)) == NULL) {
		n->n.busy++;
		send_problem(req, 503, "busy",
		             "the co-signer has too many requests in flight; retry", 1);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	peer_addr(req, cr.peer, sizeof(cr.peer));
	if ((body = evbuffer_pullup(in, -1)) == NULL && len > 0) {
		send_problem(req, 500, "internal", "out of memory", 0);
		return;
	}
	slot->id = ++n->next_id;
	if ((r = cs_send(n->core_fd, CS_NC_COSIGN, slot->id, &cr, sizeof(cr), body, len)) ==
	    PL_E_COS_BUSY) {
		n->n.busy++;
		send_problem(req, 503, "busy", "the co-signer's core is busy; retry", 1);
		return;
	}
	if (r != 0) {
		n->n.core_timeouts++;
		send_problem(req, 503, "cosign_core_unavailable",
		             "the co-signer's core does not answer; retry", 1);
		return;
	}
	slot->req = req;
	slot->started_ms = mono_ms();
}

/* The mTLS API. */
static void api_cb(struct evhttp_request *req, void *arg)
{
	struct cosign_net *n = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	path = path ? path : "";
	/* Plaintext (over the connection cap) or not the pinned broker: nothing is served. */
	if (net_tls_peer_pinned(&n->cfg, ssl) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		send_problem(req, 401, "broker_key_not_pinned",
		             "a TLS client certificate of the pinned broker key is required", 0);
		return;
	}
	if (strcmp(path, "/v1/cosign") == 0 && cmd == EVHTTP_REQ_POST)
		handle_cosign(n, req);
	else if (strcmp(path, "/v1/health") == 0 && cmd == EVHTTP_REQ_GET)
		send_text(req, 200, "alive\n");
	else if (strcmp(path, "/v1/ready") == 0 && cmd == EVHTTP_REQ_GET)
		handle_ready(n, req);
	else if (strcmp(path, "/v1/cosign") == 0 || strcmp(path, "/v1/health") == 0 ||
	         strcmp(path, "/v1/ready") == 0)
		send_problem(req, 405, "method_not_allowed",
		             "use POST /v1/cosign, GET /v1/health, GET /v1/ready", 0);
	else
		send_problem(req, 404, "not_found",
		             "endpoints: POST /v1/cosign, GET /v1/health, GET /v1/ready", 0);
}

/* The admin listener (plain HTTP on loopback). */
static void admin_cb(struct evhttp_request *req, void *arg)
{
	struct cosign_net *n = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	path = path ? path : "";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET)
		send_problem(req, 405, "method_not_allowed", "the admin listener is GET only", 0);
	else if (strcmp(path, "/metrics") == 0)
		handle_metrics(n, req);
	else if (strcmp(path, "/v1/health") == 0)
		send_text(req, 200, "alive\n");
	else if (strcmp(path, "/v1/ready") == 0)
		handle_ready(n, req);
	else
		send_problem(req, 404, "not_found",
		             "admin endpoints: GET /metrics, GET /v1/health, GET /v1/ready", 0);
}

/* Counts TLS connections: the mark is set in bevcb, the count drops when the SSL is freed. */
static void ssl_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	if (ptr == &mark_counted && the_net != NULL && the_net->conns > 0)
		the_net->conns--;
}

/* Over max_connections: the handshake ends at the ClientHello with an alert. */
static int hello_cb(SSL *ssl, int *al, void *arg)
{
	if (SSL_get_ex_data(ssl, ssl_idx) != &mark_over)
		return SSL_CLIENT_HELLO_SUCCESS;
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	struct cosign_net *n = arg;
	struct bufferevent *bev;
	int over = n->conns >= n->cfg.max_connections;
	SSL *ssl;

	if ((ssl = SSL_new(n->ssl_ctx)) == NULL)
		return NULL; /* evhttp falls back to plaintext, which api_cb refuses */
	if (over) {
		n->n.conn_refused_cap++;
		pl_log_rl(PL_LOG_WARN, "connection_refused", "reason", "max_connections", NULL);
		SSL_set_ex_data(ssl, ssl_idx, &mark_over);
	} else {
		SSL_set_ex_data(ssl, ssl_idx, &mark_counted);
		n->conns++;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	return bev;
}

/* Handshakes refused by verify_cb (tls.c) or for want of a certificate. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	if ((where & SSL_CB_ALERT) && (where & SSL_CB_WRITE) && (ret >> 8) == SSL3_AL_FATAL &&
	    the_net != NULL && SSL_get_ex_data(ssl, ssl_idx) == &mark_counted) {
		the_net->n.tls_refused++;
		if (SSL_get_verify_result(ssl) == X509_V_ERR_APPLICATION_VERIFICATION)
			the_net->n.not_pinned++;
	}
}

static int serve(struct evhttp *h, int fd, char *err, size_t errlen, const char *what)
{
	if (evhttp_accept_socket_with_handle(h, fd) == NULL) {
		snprintf(err, errlen, "cannot serve the %s listener", what);
		return PL_E_COS_BIND;
	}
	return 0;
}

int net_http_setup(struct cosign_net *n, char *err, size_t errlen)
{
	int r;

	the_net = n;
	if (ssl_idx < 0 && (ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, ssl_free_cb)) < 0)
		return PL_E_NOMEM;
	SSL_CTX_set_info_callback(n->ssl_ctx, info_cb);
	SSL_CTX_set_client_hello_cb(n->ssl_ctx, hello_cb, NULL);
	if ((n->http = evhttp_new(n->base)) == NULL)
		return PL_E_NOMEM;
	evhttp_set_bevcb(n->http, bevcb, n);
	evhttp_set_allowed_methods(n->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(n->http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(n->http, EVHTTP_BODY_MAX);
	evhttp_set_timeout(n->http, (int)n->cfg.timeout_s);
	evhttp_set_gencb(n->http, api_cb, n);
	if ((r = serve(n->http, n->api_fd, err, errlen, "api")) != 0)
		return r;
	if (n->admin_fd < 0)
		return 0;
	if ((n->admin = evhttp_new(n->base)) == NULL)
		return PL_E_NOMEM;
	evhttp_set_allowed_methods(n->admin, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(n->admin, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(n->admin, 0);
	evhttp_set_timeout(n->admin, (int)n->cfg.timeout_s);
	evhttp_set_gencb(n->admin, admin_cb, n);
	return serve(n->admin, n->admin_fd, err, errlen, "admin");
}

static struct net_pending *find_pending(struct cosign_net *n, uint64_t id)
{
	for (uint32_t i = 0; i < n->cfg.max_inflight; i++)
		if (n->pending[i].req != NULL && n->pending[i].id == id)
			return &n->pending[i];
	return NULL;
}

static void on_answer(struct cosign_net *n, const struct cs_hdr *h, const uint8_t *buf)
{
	struct cs_answer a;
	struct net_pending *p = find_pending(n, h->id);

	if (p == NULL)
		return; /* late: the request already got its 503 */
	memcpy(&a, buf, sizeof(a));
	send_body(p->req, (int)a.status, a.ctype, buf + sizeof(a), h->len - sizeof(a),
	          a.retry_after);
	p->req = NULL;
}

static void on_status(struct cosign_net *n, const struct cs_hdr *h, const uint8_t *buf)
{
	struct cs_status s;
	size_t tl = h->len - sizeof(s);
	char *m = malloc(tl + 1);

	memcpy(&s, buf, sizeof(s));
	n->status_seen = 1;
	n->status_ms = mono_ms();
	n->hsm_ready = s.hsm_ready;
	n->audit_ready = s.audit_ready;
	if (m != NULL) {
		memcpy(m, buf + sizeof(s), tl);
		m[tl] = '\0';
		free(n->core_metrics);
		n->core_metrics = m;
		n->core_metrics_len = tl;
	}
}

void net_core_readable(struct cosign_net *n)
{
	static uint8_t buf[CS_MSG_MAX];
	struct cs_hdr h;
	char why[192];
	int r;

	for (;;) {
		r = cs_recv(n->core_fd, CS_CORE_TO_NET, &h, buf, sizeof(buf), why, sizeof(why));
		if (r == PL_E_TIMEOUT)
			return;
		if (r != 0) {
			/* The core is gone or sent garbage: nothing left to serve for. */
			pl_log(PL_LOG_ERROR, "net_core_channel_ended", "err", pl_errname(r), "msg",
			       r == PL_E_COS_CHANNEL ? why : "the core closed the channel", NULL);
			event_base_loopbreak(n->base);
			return;
		}
		if (h.type == CS_CN_ANSWER)
			on_answer(n, &h, buf);
		else
			on_status(n, &h, buf);
	}
}

void net_expire(struct cosign_net *n)
{
	uint64_t now = mono_ms(), max = (uint64_t)n->cfg.timeout_s * 1000u;

	for (uint32_t i = 0; i < n->cfg.max_inflight; i++) {
		struct net_pending *p = &n->pending[i];

		if (p->req == NULL || now - p->started_ms <= max)
			continue;
		n->n.core_timeouts++;
		send_problem(p->req, 503, "cosign_core_unavailable",
		             "the co-signer's core did not answer in time; retry", 1);
		p->req = NULL;
	}
}
