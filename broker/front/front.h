/*
 * The front end's state and life cycle (docs/privsep.md): TLS context and
 * listeners, the HTTP event loop, structural checks of request bodies, and
 * the channels to the decider. It holds no policy, no audit store, no
 * signer and no CA store of its own beyond what TLS needs; every request is
 * decided (and its technician authenticated) by the decider.
 *
 * Threads: one event-loop thread owns libevent (evhttp, TLS bufferevents,
 * timers, signals). A request body is copied into a job, checked and handed
 * to the decider on a free channel; the answer comes back as a read event on
 * that channel (ps_front.c; docs/privsep.md, "Hand-off").
 */
#ifndef PITLANE_FRONT_FRONT_H
#define PITLANE_FRONT_FRONT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "config.h"
#include "metrics.h"
#include "proto.h"
#include "ps_config.h"

struct front_proc; /* ps_front.c: channels to the decider and monitor */

struct front {
	struct broker_config cfg;
	struct event_base *base;
	struct evhttp *http;  /* mTLS API */
	struct evhttp *admin; /* plain HTTP, loopback: /metrics, health, ready */
	struct evhttp_bound_socket *http_sock, *admin_sock;
	SSL_CTX *ssl_ctx;
	struct conn_guard *conns; /* caps, deadlines, revocation (conn.h) */
	X509_STORE *store;        /* dealer CA (+CRL) of the TLS handshake */
	struct metrics *metrics;
	struct event *ev_hup, *ev_term, *ev_int, *ev_drain;
	atomic_uint inflight; /* jobs not yet answered */
	int stopping;
	int drain_ticks;
	int api_fd, admin_fd; /* listeners the monitor bound (-1: bind here) */
	struct front_proc *proc;
};

/*
 * Opens the front end's part (pitlaned -n opens it too): the TLS context
 * (reads the TLS key), metrics.
 */
int front_open(const struct broker_config *c, int api_fd, int admin_fd, struct front **out,
               char *err, size_t errlen);
/* Sets up the event loop, signals and the listeners. */
int front_listen(struct front *f, char *err, size_t errlen);
/* Runs the event loop until SIGTERM/SIGINT, then drains. */
int front_run(struct front *f);
void front_close(struct front *f);

/* HTTP side (http.c). */
int front_http_setup(struct front *f, char *err, size_t errlen);
void front_http_stop_accepting(struct front *f);

/*
 * Requests (pipeline.c): the body and the TLS peer's certificates are copied
 * into a job, checked for shape on the loop thread and handed to the decider,
 * which authenticates and decides.
 */
struct evhttp_request;
int front_token_submit(struct front *f, struct evhttp_request *req, const char *client_addr);
/* POST /v1/approvals/{id} (id: 32 hex digits). */
int front_decision_submit(struct front *f, struct evhttp_request *req, const char *client_addr,
                          const char *id);
/* POST /v1/approvals/{id}/poll (id: 32 hex digits). */
int front_poll_submit(struct front *f, struct evhttp_request *req, const char *client_addr,
                      const char *id);
/* The unsigned ones: GET /v1/revoked (arg: after=), POST /v1/receipts (body: as received). */
int front_aux_submit(struct front *f, struct evhttp_request *req, const char *client_addr, int kind,
                     const char *arg, const uint8_t *body, size_t len);

/*
 * Abuse-resistance routes (abuse_http.c): POST /v1/approvals/{id}[/poll]
 * (refuses the unsigned GET /v1/approvals/{id}), GET /v1/revoked and POST
 * /v1/receipts (api 0: the admin listener, revoked ids only); returns 1, or
 * 0 for any other path.
 */
int front_abuse_route(struct front *f, struct evhttp_request *req, const char *path, int api,
                      const char *addr);

/*
 * ps_front.c, loop thread: hands one request (type PS_FD_*: q, then
 * q->body_len + q->cert_len bytes of tail, copied) to the decider at once on
 * a free channel, or queues it while all are busy (at most queue_max), and
 * calls done(arg, 0, answer) on the loop thread when the decider's
 * PS_DF_ANSWER arrives, or done(arg, err, NULL) when none will (decider gone,
 * 30 s). cosigned: the request may wait for the co-signer; such requests hold
 * at most half of the channels (at least one) and wait in their own line
 * (REQ-BRK-323). Errors (done is not called): PL_E_SRV_BUSY (its line
 * full), PL_E_IO (no decider), PL_E_NOMEM.
 */
typedef void (*front_answer_fn)(void *arg, int err, struct token_answer *a);
int front_decide(struct front *f, uint32_t type, const struct fd_request *q, const uint8_t *tail,
                 int cosigned, front_answer_fn done, void *arg);
/* Requests waiting for a free channel to the decider. */
unsigned front_queue_depth(struct front *f);
/* ps_front.c: the decider's last status push, if fresh (loop thread). */
void front_get_status(struct front *f, struct broker_status *st);

/* The front end process (never returns). ctl: the channel to the monitor. */
void ps_front_main(const struct broker_config *c, const struct ps_config *pc, int ctl, int api_fd,
                   int admin_fd, const char *empty_dir) __attribute__((noreturn));

#endif
