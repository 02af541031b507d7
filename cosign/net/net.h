/*
 * The network child of pitlane-cosignd: TLS 1.3 with the broker's client
 * certificate (chain to client_ca, purpose clientAuth, key pinned by
 * broker_pin), HTTP (evhttp), the admin listener. It holds no signing key, no
 * PIN and no database, opens no file (Landlock, seccomp) and hands the body
 * of POST /v1/cosign, as received, to the core over its one channel.
 */
#ifndef PITLANE_COSIGN_NET_H
#define PITLANE_COSIGN_NET_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "cosign_conf.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct event;

struct net_pending {
	struct evhttp_request *req; /* NULL: free slot */
	uint64_t id;
	uint64_t started_ms;
};

struct net_counters {
	uint64_t tls_refused;      /* handshakes refused: no/invalid certificate, wrong key */
	uint64_t not_pinned;       /* ... of them: a valid certificate whose key is not pinned */
	uint64_t conn_refused_cap; /* connections over max_connections */
	uint64_t too_large;        /* 413 */
	uint64_t bad_type;         /* 415 */
	uint64_t busy;             /* 503 busy (too many in flight) */
	uint64_t core_timeouts;    /* the core did not answer in time */
};

struct cosign_net {
	struct cosign_conf cfg;
	SSL_CTX *ssl_ctx; /* built by the core before the fork (the child opens no file) */
	int api_fd, admin_fd, core_fd;
	struct event_base *base;
	struct evhttp *http, *admin;
	struct event *ev_core, *ev_tick, *ev_term;
	struct net_pending *pending; /* max_inflight slots */
	uint64_t next_id;
	uint32_t conns; /* TLS connections open */
	struct net_counters n;
	/* the core's last status and metrics text */
	int status_seen;
	uint64_t status_ms;
	uint32_t hsm_ready, audit_ready;
	char *core_metrics;
	size_t core_metrics_len;
};

/*
 * The TLS server context (in the core, before any network child): TLS 1.3
 * only, client certificate required and verified against client_ca with the
 * client purpose, the leaf's SPKI SHA-256 one of broker_pin (else the
 * handshake fails), no tickets, no session cache. err names the file.
 */
int net_tls_ctx(const struct cosign_conf *c, SSL_CTX **out, char *err, size_t errlen);

/* 0 when ssl's verified peer key is one of c's pins (checked again per request). */
int net_tls_peer_pinned(const struct cosign_conf *c, SSL *ssl);

/* Routes and handlers (http.c). */
int net_http_setup(struct cosign_net *n, char *err, size_t errlen);
/* An answer or a status from the core (http.c). */
void net_core_readable(struct cosign_net *n);
/* Pending requests older than timeout_s get 503 (http.c). */
void net_expire(struct cosign_net *n);

/*
 * The child's life: drop (no files, seccomp), serve until SIGTERM or until
 * the core's channel closes. Never returns.
 */
void net_child_main(const struct cosign_conf *c, SSL_CTX *ctx, int api_fd, int admin_fd,
                    int core_fd) __attribute__((noreturn));

/* The descriptors the core hands to the network child's exec. */
#define NET_CHILD_FD_API 3
#define NET_CHILD_FD_ADMIN 4
#define NET_CHILD_FD_CHAN 5

/*
 * `pitlane-cosignd --net-child -f FILE`, exec'ed by the core with the
 * descriptors above: loads the configuration and the TLS files, then
 * net_child_main(). Returns only on a start-up error (the exit code).
 */
int net_child_exec_main(const char *conf_path);

#endif
