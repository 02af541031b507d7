/*
 * The decider's state and modules (docs/privsep.md): the policy slot, the
 * audit store, abuse resistance (limits, detectors, approvals), the replay
 * cache and the refusal budget. It decides every request the front end
 * hands over, commits its audit row and logs it; tokens are signed by the
 * signer process (decider_signer_issue, ps_decider.c).
 */
#ifndef PITLANE_DECIDER_DECIDER_H
#define PITLANE_DECIDER_DECIDER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "abuse.h"
#include "audit.h"
#include "castore.h"
#include "config.h"
#include "policy.h"
#include "proto.h"
#include "ps_config.h"
#include "replay.h"
#include "signer.h"

struct decider_proc; /* ps_decider.c: channels to front end and signer */

/*
 * One request as the decider verified it (authenticate.c): the device from
 * the certificates it verified, the technician from the signed body it
 * verified (have_tech), the fields from that body (have_q). Never on a wire.
 * kind: enum handoff_kind (proto.h, which says what each kind carries).
 */
struct vreq {
	char request_id[40];
	char device_cn[HANDOFF_TEXT], device_ou[HANDOFF_TEXT];
	char client_addr[HANDOFF_TEXT];
	int32_t front_err; /* 0: decide; else the code of a failed check */
	char reason[256];  /* its sentence (REVOKED: after=, DECISION: the note) */
	uint8_t have_tech, have_q, cnonce_len, kind; /* kind: enum handoff_kind */
	char tech_cn[HANDOFF_TEXT], tech_ou[HANDOFF_TEXT];
	char vin[18];
	char op[32];
	uint8_t cnonce[32];
	char work_order[HANDOFF_TEXT];
	uint32_t ttl;
	uint8_t nonce[16]; /* freshness: checked by the decider */
	int64_t iat;
	char req_reason[161]; /* the request's reason (5), for the audit row */
	/*
	 * HANDOFF_DECISION: key 21, the SHA-256 of the request decided on. body (below)
	 * is the exact signed request a parked approval keeps, or the exact signed
	 * decision an approval keeps; valid during decider_decide() only.
	 */
	uint8_t request_hash[32];
	uint8_t has_request_hash;
	/* HANDOFF_DECISION, HANDOFF_APPROVAL: the approval id the technician signed */
	char approval_id[ABUSE_APPROVAL_ID_LEN + 1];
	uint8_t approve; /* enum req_decision (request.h): compare with == */
	/* the body as received (the co-signer gets the technician's signed request) */
	const uint8_t *body;
	uint32_t body_len;
};

struct refusals;

struct decider {
	struct broker_config cfg;
	struct policy_slot *policy;
	struct audit *audit;
	struct abuse *abuse;         /* limits, detectors, approvals */
	atomic_llong abuse_admin_ms; /* last look for officer actions to audit */
	struct replay *replay;
	struct refusals *refusals; /* refusal audit budget */
	X509_STORE *store;         /* client_ca + CRL + technician marker (castore.h) */
	X509_STORE *officers;      /* officer_ca (officer.h); NULL without one */
	atomic_ullong reloads, reload_failures;
	int64_t replay_floor;       /* refuse iat below this (the preload overflowed) */
	atomic_int diverged_logged; /* the audit_chain_diverged line was written */
	struct decider_proc *proc;
	struct decider_cosign *cosign; /* NULL: no co-signer configured (cosign.h) */
};

/*
 * Opens the decider's part (pitlaned -n opens it too): policy, audit store
 * (checkpoints signed through fn, verified with pub), abuse state, refusal
 * budget, replay cache (preloaded from the audit rows). err gets one sentence.
 */
int decider_open(const struct broker_config *c, audit_sign_fn fn, void *ctx,
                 const uint8_t pub[SIGNER_PUB_LEN], struct decider **out, char *err, size_t errlen);
/* Writes pending summaries, the final checkpoint (through the signer), frees. */
void decider_close(struct decider *d);
/* Reloads the policy (SIGHUP): 0 or the loader's code (diag says where). */
int decider_reload_policy(struct decider *d, struct policy_diag *diag);
/* Logs policy_reloaded or policy_reload_refused (after the status push). */
void decider_log_reload(struct decider *d, int r, const struct policy_diag *diag);
/* Policy, audit, abuse and replay gauges (the signer's part is filled by the caller). */
void decider_get_status(struct decider *d, struct broker_status *st);

/*
 * One request from the front end (authenticate.c): type PS_FD_*, q (strings
 * terminated, lengths checked by the caller), tail = q->body_len bytes of
 * body, then q->cert_len bytes of the device's certificates. Verifies the
 * device, the signer and the body, then decider_decide().
 */
void decider_request(struct decider *d, uint32_t type, const struct fd_request *q,
                     const uint8_t *tail, struct token_answer *a);
/* Applies a CRL file's contents (SIGHUP) to the decider's CA store; logs the outcome. */
void decider_crl_update(struct decider *d, const uint8_t *pem, size_t len);

/* The decision of one verified request (pipeline.c): answer, audit row, log line. */
void decider_decide(struct decider *d, const struct vreq *h, struct token_answer *a);

/* ps_decider.c: signer_issue() through this worker's channel to the signer process. */
int decider_signer_issue(struct decider *d, const struct signer_request *req,
                         uint8_t cti[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len);

/* Abuse resistance (abuse_gate.c, docs/abuse.md). */
int decider_abuse_open(struct decider *d, char *err, size_t errlen);
/* abuse_check() plus the audit rows of its alerts and of pending officer actions. */
int decider_abuse_check(struct decider *d, const struct policy *p, const struct abuse_event *ev,
                        const char *request_id, struct abuse_verdict *v);
/* Writes pending officer actions into the audit chain (at most one look a second). */
void decider_abuse_tick(struct decider *d);
/* Records a pending approval and encodes the 202 body; location gets its poll path. */
int decider_abuse_park(struct decider *d, struct abuse_approval *ap, uint8_t *out, size_t cap,
                       size_t *len, char location[48]);
/* The unsigned handoffs: revoked ids, receipts. */
void decider_abuse_request(struct decider *d, const struct vreq *h, struct token_answer *a);
/*
 * HANDOFF_DECISION whose identity and freshness checks passed: the approval's
 * state, the approver's eligibility, then the decision recorded as pitlanectl
 * records it; audit rows and the log line are written here.
 */
void decider_abuse_decision(struct decider *d, const struct vreq *h, struct token_answer *a);
/*
 * HANDOFF_APPROVAL (POST /v1/approvals/{id}/poll) whose identity and
 * freshness checks passed: only the approval's own device and technician see
 * it; pending 202, denied 403, expired/delivered 410, approved: the checks a
 * new request would meet now (policy, officer suspensions, open breakers),
 * then the token, once. Audit rows and log lines are written here.
 */
void decider_abuse_poll(struct decider *d, const struct vreq *h, struct token_answer *a);

/*
 * Before an approved token leaves (decision_check.c): the signed decision
 * stored with ap, verified again from its exact bytes -- an "approve" of ap
 * with ap's request hash (key 21), by an officer (officer_ca, valid now, not
 * the requester) or by a technician who may still decide it (dealer CA and
 * CRL, technician marker, policy). 0 with approver = who signed it
 * ("officer:<CN>" or the technician's policy id); else a code and why
 * (PL_E_SRV_APPROVAL_INVALID, _REQUEST_HASH, _DECISION_SIG, the technician
 * certificate's codes; PL_E_IO, PL_E_NOMEM: the store).
 */
int decider_decision_recheck(struct decider *d, const struct abuse_approval *ap, char *approver,
                             size_t cap, char *why, size_t whylen);

/*
 * Refusals under a flood (refusal_audit.c, docs/broker.md): 1 when a refused
 * request of device (and technician) is to get its audit row and log line,
 * 0 when it was counted into the summary row of its window instead.
 */
int decider_refusals_open(struct decider *d, char *err, size_t errlen);
int decider_refusal_admit(struct decider *d, const char *device, const char *device_ou,
                          const char *technician, const char *tech_ou, const char *rule,
                          int64_t now);
/* Writes the summary rows of ended windows (the decider's timer). */
void decider_refusals_tick(struct decider *d);
/* Writes every pending summary, then frees the budget. */
void decider_refusals_close(struct decider *d);

/*
 * At start, after audit and replay cache are open: the nonces of the audit rows
 * still inside the freshness window go back into the replay cache
 * (replay_preload.c). Logs what it loaded.
 */
int decider_replay_preload(struct decider *d, char *err, size_t errlen);

/* The decider process (never returns). ctl: the channel to the monitor. */
void ps_decider_main(const struct broker_config *c, const struct ps_config *pc, int ctl)
    __attribute__((noreturn));

#endif
