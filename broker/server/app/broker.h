/*
 * The broker daemon's state and life cycle: opens the modules (policy slot,
 * audit store, signer), the TLS context and the listeners, runs the event
 * loop, reloads the policy on SIGHUP and drains on SIGTERM/SIGINT.
 *
 * Threads: one event-loop thread owns libevent (evhttp, TLS bufferevents,
 * timers, signals). Token requests are decoded into a job on the loop thread,
 * run on the worker pool (policy -> signer -> audit commit, all blocking) and
 * the finished reply is handed back to the loop with event_base_once(), which
 * is thread-safe because evthread_use_pthreads() is called first. Because
 * several workers commit at once, the audit store can group their commits.
 */
#ifndef PITLANE_BROKER_BROKER_H
#define PITLANE_BROKER_BROKER_H

#include <stdatomic.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "audit.h"
#include "config.h"
#include "metrics.h"
#include "policy.h"
#include "replay.h"
#include "signer.h"
#include "workq.h"

struct broker {
	struct broker_config cfg;
	struct event_base *base;
	struct evhttp *http;             /* mTLS API */
	struct evhttp *admin;            /* plain HTTP, loopback: /metrics, health, ready */
	struct evhttp_bound_socket *http_sock, *admin_sock;
	SSL_CTX *ssl_ctx;
	X509_STORE *store;               /* dealer CA (+CRL), shared with ssl_ctx */
	struct policy_slot *policy;
	struct audit *audit;
	struct signer *signer;
	struct replay *replay;
	struct metrics *metrics;
	struct workq *wq;
	struct event *ev_hup, *ev_term, *ev_int, *ev_drain, *ev_ckpt;
	struct workq_item ckpt_item;     /* the periodic audit checkpoint job */
	atomic_uint inflight;            /* token jobs not yet answered */
	atomic_int ckpt_pending;
	atomic_ullong reloads, reload_failures;
	int stopping;
	int drain_ticks;
};

/*
 * Opens everything -n checks: policy, audit database, HSM (signer), TLS
 * context, worker pool. Logs nothing; err gets one sentence on failure.
 */
int broker_open(const struct broker_config *c, struct broker **out, char *err, size_t errlen);

/* Binds the listeners (logs the bound addresses). */
int broker_listen(struct broker *b, char *err, size_t errlen);

/* Runs the event loop until SIGTERM/SIGINT, then drains. */
int broker_run(struct broker *b);

void broker_close(struct broker *b);

/* Reloads the policy (SIGHUP); logs the outcome. */
void broker_reload_policy(struct broker *b);

/* HTTP side (http.c). */
int broker_http_setup(struct broker *b, char *err, size_t errlen);
void broker_http_stop_accepting(struct broker *b);

/* Token pipeline (pipeline.c). */
struct evhttp_request;
int broker_token_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
			const char *device_ou, const char *client_addr);

#endif
