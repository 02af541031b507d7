/*
 * The messages the front end and the decider exchange (docs/privsep.md):
 * plain structs (a fixed part, for PS_FD_* a bounded tail), no pointers, the
 * same binary on both ends.
 *
 *   PS_FD_*       front -> decider  struct fd_request + body + certificates
 *   PS_DF_ANSWER  decider -> front  struct token_answer
 *   PS_DF_STATUS  decider -> front  struct broker_status
 *
 * Every char array here is a NUL-terminated string: ps_recv() refuses a
 * message whose string field has no NUL within its size (ps_msg.c's table).
 */
#ifndef PITLANE_PROTO_H
#define PITLANE_PROTO_H

#include <stdint.h>

#include "abuse.h" /* struct abuse_stats, ABUSE_APPROVAL_ID_LEN: plain data */

#define HANDOFF_TEXT 64
#define ANSWER_BODY_MAX 600 /* a token (<= 512) or problem details */

/*
 * What the front end asks (docs/privsep.md, docs/abuse.md): one message type
 * per request, each the same struct fd_request followed by what the front
 * end received, byte for byte -- the request body (body_len) and the TLS
 * peer's certificates (cert_len: DER, the leaf first, then the intermediates
 * it sent; 0 on the admin listener). The decider verifies both itself; the
 * front end's word counts for nothing but the request id, the peer address
 * and a structural refusal (front_err, which the decider audits).
 *
 *   PS_FD_TOKEN     POST /v1/token                    body: COSE_Sign1 request
 *   PS_FD_DECISION  POST /v1/approvals/{id}           body: signed decision; arg: {id}
 *   PS_FD_POLL      POST /v1/approvals/{id}/poll      body: signed poll; arg: {id}
 *   PS_FD_REVOKED   GET /v1/revoked[?after=N]         no body; arg: N ("" = all)
 *   PS_FD_RECEIPT   POST /v1/receipts                 body: CBOR receipt
 */
#define FD_ARG_MAX 40
#define FD_CERTS_MAX 16384 /* the peer's certificates, DER */
#define FD_BODY_MAX 65536  /* max_body's upper bound (broker.conf) */

struct fd_request {
	char request_id[40];
	char client_addr[HANDOFF_TEXT];
	int32_t front_err;           /* 0: decide; else the structural check that failed */
	char reason[256];            /* front_err's sentence */
	char arg[FD_ARG_MAX];        /* per type, see above */
	uint32_t body_len, cert_len; /* the tail: body_len + cert_len bytes */
};

/*
 * What the decider verified of a request (from the body and the peer's
 * certificates it checked itself), for the decision code; never on a wire.
 * kind: enum handoff_kind. RECEIPT: vin, op, ttl = 0x100 * failure + nrc
 * (0x200 set: nrc given), cnonce = the cti when cnonce_len == 16. REVOKED:
 * the after= serial in reason. DECISION: approval_id, approve and the
 * approver's reason in reason. APPROVAL: approval_id.
 */
enum handoff_kind {
	HANDOFF_TOKEN = 0,
	HANDOFF_APPROVAL,
	HANDOFF_REVOKED,
	HANDOFF_RECEIPT,
	HANDOFF_DECISION,
};

/* What the decider decided (token_answer.metric; the front end counts it). */
enum metrics_decision {
	DEC_ALLOW,         /* token issued */
	DEC_DENY_POLICY,   /* policy said no */
	DEC_DENY_APPROVAL, /* policy requires a second person */
	DEC_DENY_IDENTITY, /* technician certificate / signature / workshop / replay */
	DEC_MALFORMED,     /* body could not be decoded */
	DEC_ERROR,         /* HSM or audit store failed */
	DEC_COUNT
};

/* The body of a token_answer. */
enum answer_body { ANSWER_PROBLEM = 0, ANSWER_TOKEN, ANSWER_CBOR };

struct token_answer {
	int32_t status;
	uint32_t retry_after;
	uint32_t metric;   /* enum metrics_decision */
	uint8_t body_kind; /* enum answer_body */
	uint8_t hsm_error, audit_error, pad;
	char location[48]; /* Location header of a 202 ("" = none) */
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
	int audit_chain_diverged; /* the audit head stopped extending this writer's */
	/* the co-signer (broker/decider/cosign.c): outcomes of co-signed tokens, jobs waiting */
	uint64_t cosign_signed, cosign_refused, cosign_down;
	uint32_t cosign_inflight;
};

#endif
