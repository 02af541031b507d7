/*
 * HTTP side of the broker: the mTLS API listener (evhttp over OpenSSL
 * bufferevents) and the plain loopback admin listener.
 *
 *   API   (TLS 1.3 + client cert): POST /v1/token, GET /v1/health, GET /v1/ready
 *   admin (127.0.0.1 / ::1 only):  GET /metrics, GET /v1/health, GET /v1/ready
 *
 * Replies that are not tokens are concise problem details sent with
 * evhttp_send_reply (evhttp_send_error would close the keep-alive connection).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>

#include "conn.h"
#include "front.h"
#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "problem.h"
#include "tls.h"

#define MAX_HEADERS_SIZE 8192

static enum metrics_endpoint endpoint_of(const char *path)
{
	if (strcmp(path, "/v1/token") == 0)
		return EP_TOKEN;
	if (strcmp(path, "/v1/health") == 0)
		return EP_HEALTH;
	if (strcmp(path, "/v1/ready") == 0)
		return EP_READY;
	if (strcmp(path, "/metrics") == 0)
		return EP_METRICS;
	return EP_OTHER;
}

static void send_body(struct evhttp_request *req, int status, const char *ctype, const void *body,
                      size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (buf != NULL)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, status, NULL, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

static void send_problem(struct front *b, struct evhttp_request *req, enum metrics_endpoint ep,
                         int status, const char *code, const char *detail, uint32_t retry_after)
{
	struct problem p = {.status = status,
	                    .code = code,
	                    .title = problem_title_for(status),
	                    .detail = detail,
	                    .retry_after = retry_after};
	uint8_t out[PROBLEM_MAX];
	size_t len = 0;
	char ra[16];

	if (retry_after != 0) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", ra);
	}
	if (problem_encode(&p, out, sizeof(out), &len) != 0)
		len = 0;
	send_body(req, status, PROBLEM_CONTENT_TYPE, out, len);
	metrics_request(b->metrics, ep, status);
}

static void send_text(struct front *b, struct evhttp_request *req, enum metrics_endpoint ep,
                      int status, const char *text)
{
	send_body(req, status, "text/plain; charset=utf-8", text, strlen(text));
	metrics_request(b->metrics, ep, status);
}

static void handle_health(struct front *b, struct evhttp_request *req)
{
	send_text(b, req, EP_HEALTH, 200, "alive\n");
}

static void handle_ready(struct front *b, struct evhttp_request *req)
{
	struct broker_status st;
	int hsm, db;

	front_get_status(b, &st);
	hsm = st.hsm_ready;
	db = st.audit_writable;

	if (st.audit_chain_diverged && !b->stopping) {
		send_problem(b, req, EP_READY, 503, "not_ready",
		             "the audit chain head no longer "
		             "extends the rows this broker committed (rows deleted or rewritten in "
		             "the database): no checkpoint is signed; run pitlanectl audit verify",
		             5);
		return;
	}
	if (hsm && db && !b->stopping) {
		send_text(b, req, EP_READY, 200, "ready\n");
		return;
	}
	send_problem(b, req, EP_READY, 503, "not_ready",
	             b->stopping   ? "the broker is shutting down"
	             : !hsm && !db ? "the HSM and the audit store are unavailable"
	             : !hsm        ? "the HSM is unavailable (the signer is reconnecting)"
	                           : "the audit store is not writable",
	             5);
}

static void fill_gauges(struct front *b, struct metrics_gauges *g)
{
	struct broker_status st;

	memset(g, 0, sizeof(*g));
	front_get_status(b, &st);
	g->audit_rows = st.audit_rows;
	g->audit_commits = st.audit_commits;
	g->audit_checkpoints = st.audit_checkpoints;
	g->hsm_sign_calls = st.hsm_sign_calls;
	g->hsm_faults = st.hsm_faults;
	g->hsm_reinits = st.hsm_reinits;
	g->hsm_ready = st.hsm_ready;
	g->audit_writable = st.audit_writable;
	g->audit_chain_diverged = st.audit_chain_diverged;
	g->policy_version = st.policy_version;
	g->replay_entries = st.replay_entries;
	g->queue_depth = front_queue_depth(b);
	g->policy_reloads = st.policy_reloads;
	g->policy_reload_failures = st.policy_reload_failures;
	g->cosigner = b->cfg.cosigner_url[0] != '\0';
	g->cosign_signed = st.cosign_signed;
	g->cosign_refused = st.cosign_refused;
	g->cosign_down = st.cosign_down;
	g->cosign_inflight = st.cosign_inflight;
}

static void handle_metrics(struct front *b, struct evhttp_request *req)
{
	struct metrics_gauges g;
	struct broker_status st;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		send_problem(b, req, EP_METRICS, 500, "internal", "out of memory", 0);
		return;
	}
	fill_gauges(b, &g);
	metrics_request(b->metrics, EP_METRICS, 200);
	metrics_render(b->metrics, &g, f);
	front_get_status(b, &st);
	metrics_render_abuse(&st.abuse, f);
	fclose(f);
	send_body(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

static void peer_addr(struct evhttp_request *req, char *out, size_t cap)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const char *host = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, (char **)(void *)&host, &port);
	snprintf(out, cap, "%s:%u", host ? host : "?", port);
}

static void close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	if (ssl != NULL) {
		SSL_shutdown(ssl); /* close_notify, so peers see a clean end */
		ERR_clear_error();
	}
}

static int content_type_ok(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");

	return ct != NULL && strncmp(ct, "application/cose", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';');
}

static void handle_token(struct front *b, struct evhttp_request *req,
                         const struct cert_identity *dev)
{
	char addr[64];
	int r;

	if (!content_type_ok(req)) {
		send_problem(b, req, EP_TOKEN, 415, "unsupported_media_type",
		             "POST /v1/token takes Content-Type: application/cose; "
		             "cose-type=\"cose-sign1\"",
		             0);
		return;
	}
	if (b->stopping) {
		send_problem(b, req, EP_TOKEN, 503, "shutting_down", "the broker is shutting down",
		             5);
		return;
	}
	peer_addr(req, addr, sizeof(addr));
	r = front_token_submit(b, req, addr);
	if (r == PL_E_TOOBIG)
		send_problem(b, req, EP_TOKEN, 413, "request_too_large",
		             "the request body is larger than max_body", 0);
	else if (r == PL_E_SRV_BUSY)
		send_problem(b, req, EP_TOKEN, 503, "busy", "all workers are busy; retry", 1);
	else if (r != 0)
		send_problem(b, req, EP_TOKEN, 503, pl_errname(r), pl_strerror(r), 1);
}

/* The mTLS API. */
static void api_cb(struct evhttp_request *req, void *arg)
{
	struct front *b = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	enum metrics_endpoint ep = endpoint_of(path ? path : "");
	struct cert_identity dev;
	char addr[64];
	int r;

	if ((r = tls_peer_identity(ssl, &dev)) == PL_E_SRV_TECH_AS_DEVICE) {
		send_problem(b, req, ep, 401, pl_errname(r), pl_strerror(r), 0);
		return;
	}
	if (r != 0) {
		/* A plaintext connection or a peer without a verified certificate. */
		send_problem(b, req, ep, 401, "bad_identity",
		             "a verified client certificate with one CN and one OU is required", 0);
		return;
	}
	if (conn_request_begin(b, ssl, req) != 0) {
		/* A CRL reloaded while this request was on its way revoked the peer. */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		send_problem(b, req, ep, 401, "bad_identity",
		             "the client certificate was revoked; this connection closes", 0);
		return;
	}
	evhttp_connection_set_closecb(evcon, close_cb, NULL);
	peer_addr(req, addr, sizeof(addr));
	if (ep == EP_OTHER && front_abuse_route(b, req, path, 1, addr))
		return; /* approvals, revoked ids, receipts (docs/abuse.md) */
	if (ep == EP_TOKEN && cmd == EVHTTP_REQ_POST)
		handle_token(b, req, &dev);
	else if (ep == EP_HEALTH && cmd == EVHTTP_REQ_GET)
		handle_health(b, req);
	else if (ep == EP_READY && cmd == EVHTTP_REQ_GET)
		handle_ready(b, req);
	else if (ep == EP_TOKEN || ep == EP_HEALTH || ep == EP_READY)
		send_problem(b, req, ep, 405, "method_not_allowed",
		             "use POST /v1/token, GET /v1/health, GET /v1/ready", 0);
	else
		send_problem(b, req, EP_OTHER, 404, "not_found",
		             "endpoints: POST /v1/token, GET /v1/health, GET /v1/ready", 0);
}

/* The admin listener (plain HTTP on loopback). */
static void admin_cb(struct evhttp_request *req, void *arg)
{
	struct front *b = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum metrics_endpoint ep = endpoint_of(path ? path : "");

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		send_problem(b, req, ep, 405, "method_not_allowed",
		             "the admin listener is GET only", 0);
		return;
	}
	if (ep == EP_OTHER && front_abuse_route(b, req, path, 0, "admin"))
		return; /* GET /v1/revoked */
	if (ep == EP_METRICS)
		handle_metrics(b, req);
	else if (ep == EP_HEALTH)
		handle_health(b, req);
	else if (ep == EP_READY)
		handle_ready(b, req);
	else
		send_problem(b, req, EP_OTHER, 404, "not_found",
		             "admin endpoints: GET /metrics, GET /v1/health, GET /v1/ready", 0);
}

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	struct front *b = arg;
	SSL *ssl = SSL_new(b->ssl_ctx);
	struct bufferevent *bev;

	/* Returning NULL would make evhttp fall back to plaintext: api_cb refuses those. */
	if (ssl == NULL)
		return NULL;
	/* Caps and deadlines (conn.c); the connection's state goes with its SSL. */
	if (conn_track(b, ssl) != 0) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	return bev;
}

static int bind_one(struct evhttp *http, const char *host, uint16_t port,
                    struct evhttp_bound_socket **out, char *err, size_t errlen, const char *what)
{
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, host, port);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd;
	int one = 1;
	char port_s[8], addr[INET6_ADDRSTRLEN] = "?";

	if (bs == NULL) {
		snprintf(err, errlen,
		         "cannot listen on %s:%u for the %s (address in use or not "
		         "local?)",
		         host, port, what);
		return PL_E_SRV_BIND;
	}
	fd = evhttp_bound_socket_get_fd(bs);
	/* evhttp writes headers and body separately: without NODELAY, 40 ms stalls. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, "setsockopt TCP_NODELAY failed on %s:%u", host, port);
		return PL_E_SRV_BIND;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	pl_log(PL_LOG_INFO, "listening", "listener", what, "addr", addr, "port", port_s, NULL);
	*out = bs;
	return 0;
}

int front_http_setup(struct front *b, char *err, size_t errlen)
{
	const struct broker_config *c = &b->cfg;
	int r;

	if ((b->http = evhttp_new(b->base)) == NULL)
		return PL_E_NOMEM;
	if ((r = conn_guard_new(b, err, errlen)) != 0)
		return r;
	evhttp_set_bevcb(b->http, bevcb, b);
	evhttp_set_allowed_methods(b->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(b->http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(b->http, c->max_body);
	evhttp_set_timeout(b->http, (int)c->timeout_s);
	evhttp_set_gencb(b->http, api_cb, b);
	if (b->api_fd >= 0) {
		/* privsep: the monitor bound and logged the listener */
		if ((b->http_sock = evhttp_accept_socket_with_handle(b->http, b->api_fd)) == NULL)
			return PL_E_SRV_BIND;
	} else if ((r = bind_one(b->http, c->listen_host, c->listen_port, &b->http_sock, err,
	                         errlen, "api")) != 0) {
		return r;
	}
	if (!c->admin_enabled) {
		conn_guard_listeners(b);
		return 0;
	}
	if ((b->admin = evhttp_new(b->base)) == NULL)
		return PL_E_NOMEM;
	evhttp_set_allowed_methods(b->admin, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(b->admin, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(b->admin, 0);
	evhttp_set_timeout(b->admin, (int)c->timeout_s);
	evhttp_set_gencb(b->admin, admin_cb, b);
	if (b->admin_fd >= 0) {
		if ((b->admin_sock = evhttp_accept_socket_with_handle(b->admin, b->admin_fd)) ==
		    NULL)
			return PL_E_SRV_BIND;
	} else if ((r = bind_one(b->admin, c->admin_host, c->admin_port, &b->admin_sock, err,
	                         errlen, "admin")) != 0) {
		return r;
	}
	conn_guard_listeners(b);
	return 0;
}

void front_http_stop_accepting(struct front *b)
{
	if (b->http_sock != NULL) {
		conn_guard_stop_accepting(b);
		evhttp_del_accept_socket(b->http, b->http_sock);
		b->http_sock = NULL;
	}
}
