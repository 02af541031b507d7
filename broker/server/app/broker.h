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
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "abuse.h"
#include "audit.h"
#include "config.h"
#include "metrics.h"
#include "policy.h"
#include "replay.h"
#include "signer.h"
#include "workq.h"

/*
 * Privilege separation (broker/privsep, docs/privsep.md): the front end
 * decodes and checks a request, then hands it to the decider as a
 * token_handoff (plain fixed-size fields, no pointers) and sends the
 * token_answer it gets back. The decider runs the policy, the signer (in its
 * own process) and the audit store, and logs the outcome.
 */
#define HANDOFF_TEXT 64
#define ANSWER_BODY_MAX 600           /* a token (<= 512) or problem details */

/*
 * What a handoff asks (docs/abuse.md). TOKEN: a token request. APPROVAL:
 * POST /v1/approvals/{id}/poll by the requesting technician, checked like a
 * token request (tech_*, nonce, iat, front_err): approval_id. REVOKED: GET /v1/revoked, the
 * after= serial (decimal) in reason. RECEIPT: POST /v1/receipts, decoded by
 * the front end: vin, op, ttl = 0x100 * failure + nrc (0x200 set: nrc given),
 * cnonce = the cti when cnonce_len == 16. DECISION: POST /v1/approvals/{id}
 * by an approving technician, checked like a token request (tech_*, nonce,
 * iat, front_err): approval_id, approve, and the approver's reason in reason.
 */
enum handoff_kind {
	HANDOFF_TOKEN = 0, HANDOFF_APPROVAL, HANDOFF_REVOKED, HANDOFF_RECEIPT, HANDOFF_DECISION,
};

/* The body of a token_answer. */
enum answer_body { ANSWER_PROBLEM = 0, ANSWER_TOKEN, ANSWER_CBOR };

struct token_handoff {
	char request_id[40];
	char device_cn[HANDOFF_TEXT], device_ou[HANDOFF_TEXT];
	char client_addr[HANDOFF_TEXT];
	int32_t front_err;                /* 0: decide; else the front end rejected with it */
	char reason[256];                 /* the reject's sentence */
	uint8_t have_tech, have_q, cnonce_len, kind;   /* kind: enum handoff_kind */
	char tech_cn[HANDOFF_TEXT], tech_ou[HANDOFF_TEXT];
	char vin[18];
	char op[32];
	uint8_t cnonce[32];
	char work_order[HANDOFF_TEXT];
	uint32_t ttl;
	uint8_t nonce[16];                /* freshness: checked by the decider */
	int64_t iat;
	char req_reason[161];             /* the request's reason (5), for the audit row */
	/* HANDOFF_DECISION, HANDOFF_APPROVAL (the decider terminates approval_id itself) */
	char approval_id[ABUSE_APPROVAL_ID_LEN + 1];
	uint8_t approve;                  /* enum req_decision (request.h): compare with == */
};

struct token_answer {
	int32_t status;
	uint32_t retry_after;
	uint32_t metric;                  /* enum metrics_decision */
	uint8_t body_kind;                /* enum answer_body */
	uint8_t hsm_error, audit_error, pad;
	char location[48];                /* Location header of a 202 ("" = none) */
	uint32_t len;
	uint8_t body[ANSWER_BODY_MAX];
};

/* What /v1/ready and /metrics show (from the decider in the front end). */
struct broker_status {
	int hsm_ready, audit_writable;
	uint32_t policy_version;
	uint64_t audit_rows, audit_commits, audit_checkpoints;
	uint64_t hsm_sign_calls, hsm_faults, hsm_reinits;
	uint64_t policy_reloads, policy_reload_failures;
	struct abuse_stats abuse;
	uint32_t replay_entries;
	int audit_chain_diverged;        /* the audit head stopped extending this writer's */
};

struct broker {
	struct broker_config cfg;
	struct event_base *base;
	struct evhttp *http;             /* mTLS API */
	struct evhttp *admin;            /* plain HTTP, loopback: /metrics, health, ready */
	struct evhttp_bound_socket *http_sock, *admin_sock;
	SSL_CTX *ssl_ctx;
	struct conn_guard *conns;        /* front end: caps, deadlines, revocation (conn.h) */
	X509_STORE *store;               /* dealer CA (+CRL), shared with ssl_ctx */
	struct policy_slot *policy;
	struct audit *audit;
	struct abuse *abuse;             /* limits, detectors, approvals (decider) */
	atomic_llong abuse_admin_ms;     /* last look for officer actions to audit */
	struct signer *signer;
	struct replay *replay;
	struct refusals *refusals;       /* refusal audit budget (decider) */
	struct metrics *metrics;
	struct workq *wq;
	struct event *ev_hup, *ev_term, *ev_int, *ev_drain, *ev_ckpt;
	struct workq_item ckpt_item;     /* the periodic audit checkpoint job */
	atomic_uint inflight;            /* token jobs not yet answered */
	atomic_int ckpt_pending;
	atomic_ullong reloads, reload_failures;
	int stopping;
	int drain_ticks;
	/* privsep: listeners the monitor bound (-1: bind here) */
	int api_fd, admin_fd;
	/* privsep hooks (NULL: the module is in this process) */
	int (*decide)(struct broker *b, const struct token_handoff *h, struct token_answer *a);
	int (*status)(struct broker *b, struct broker_status *st);
	int (*issue)(struct broker *b, const struct signer_request *req,
		     uint8_t cti[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len);
	void (*reloaded)(struct broker *b); /* after a reload, before it is logged */
	int fresh_in_decider;            /* privsep decider: iat window + replay cache here */
	int64_t replay_floor;            /* refuse iat below this (the preload overflowed) */
	void *ps;                        /* the process's privsep state */
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

/* The parts of each privsep process (docs/privsep.md). */
int broker_open_signer(const struct broker_config *c, struct signer **out, char *err,
		       size_t errlen);
int broker_open_decider(const struct broker_config *c, audit_sign_fn fn, void *ctx,
			const uint8_t pub[SIGNER_PUB_LEN], struct broker **out, char *err,
			size_t errlen);
int broker_open_front(const struct broker_config *c, int api_fd, int admin_fd,
		      struct broker **out, char *err, size_t errlen);

/* Readiness and gauges, wherever the modules live. */
void broker_get_status(struct broker *b, struct broker_status *st);
/* signer_issue() in this process or through the signer process. */
/* Abuse resistance in the decider (abuse_gate.c, docs/abuse.md). */
int broker_abuse_open(struct broker *b, char *err, size_t errlen);
/* abuse_check() plus the audit rows of its alerts and of pending officer actions. */
int broker_abuse_check(struct broker *b, const struct policy *p, const struct abuse_event *ev,
		       const char *request_id, struct abuse_verdict *v);
/* Writes pending officer actions into the audit chain (at most one look a second). */
void broker_abuse_tick(struct broker *b);
/* Records a pending approval and encodes the 202 body; location gets its poll path. */
int broker_abuse_park(struct broker *b, struct abuse_approval *ap, uint8_t *out, size_t cap,
		      size_t *len, char location[48]);
/* The unsigned handoffs: revoked ids, receipts. */
void broker_abuse_request(struct broker *b, const struct token_handoff *h, struct token_answer *a);
/*
 * HANDOFF_DECISION whose identity and freshness checks passed: the approval's
 * state, the approver's eligibility, then the decision recorded as pitlanectl
 * records it; audit rows and the log line are written here.
 */
void broker_abuse_decision(struct broker *b, const struct token_handoff *h,
			   struct token_answer *a);
/*
 * HANDOFF_APPROVAL (POST /v1/approvals/{id}/poll) whose identity and
 * freshness checks passed: only the approval's own device and technician see
 * it; pending 202, denied 403, expired/delivered 410, approved: the checks a
 * new request would meet now (policy, officer suspensions, open breakers),
 * then the token, once. Audit rows and log lines are written here.
 */
void broker_abuse_poll(struct broker *b, const struct token_handoff *h, struct token_answer *a);
/*
 * Front end (abuse_http.c): routes POST /v1/approvals/{id}[/poll] (refuses
 * the unsigned GET /v1/approvals/{id}), GET /v1/revoked and POST /v1/receipts (device_cn NULL: the admin listener, revoked ids only) and
 * returns 1, or returns 0 for any other path.
 */
int broker_abuse_route(struct broker *b, struct evhttp_request *req, const char *path,
		       const char *device_cn, const char *device_ou, const char *addr);
/* The job that hands one of them to the decider. */
struct receipt;
int broker_aux_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
		      const char *device_ou, const char *client_addr, int kind, const char *arg,
		      const struct receipt *rc);

/*
 * Refusals under a flood (refusal_audit.c, docs/broker.md): 1 when a refused
 * request of device (and technician) is to get its audit row and log line,
 * 0 when it was counted into the summary row of its window instead.
 */
struct refusals;
int broker_refusals_open(struct broker *b, char *err, size_t errlen);
int broker_refusal_admit(struct broker *b, const char *device, const char *device_ou,
			 const char *technician, const char *tech_ou, const char *rule,
			 int64_t now);
/* Writes the summary rows of ended windows (the decider's timer). */
void broker_refusals_tick(struct broker *b);
/* Writes every pending summary, then frees the budget. */
void broker_refusals_close(struct broker *b);

int broker_signer_issue(struct broker *b, const struct signer_request *req,
			uint8_t cti[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len);

/* Reloads the policy (SIGHUP); logs the outcome. */
void broker_reload_policy(struct broker *b);

/* HTTP side (http.c). */
int broker_http_setup(struct broker *b, char *err, size_t errlen);
void broker_http_stop_accepting(struct broker *b);

/*
 * At start, after audit and replay cache are open: the nonces of the audit rows
 * still inside the freshness window go back into the replay cache
 * (replay_preload.c). Logs what it loaded.
 */
int broker_replay_preload(struct broker *b, char *err, size_t errlen);

/* Token pipeline (pipeline.c). */
struct evhttp_request;
int broker_token_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
			const char *device_ou, const char *client_addr);
/* POST /v1/approvals/{id} (id: 32 hex digits): decoded and verified like a token request. */
int broker_decision_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
			   const char *device_ou, const char *client_addr, const char *id);
/* POST /v1/approvals/{id}/poll (id: 32 hex digits): the requester's signed poll, likewise. */
int broker_poll_submit(struct broker *b, struct evhttp_request *req, const char *device_cn,
		       const char *device_ou, const char *client_addr, const char *id);
/* The decider's half of a token request: policy, signer, audit row, log line. */
void broker_token_decide(struct broker *b, const struct token_handoff *h, struct token_answer *a);

#endif
