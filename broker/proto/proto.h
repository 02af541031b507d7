/*
 * The messages the front end and the decider exchange (docs/privsep.md):
 * plain fixed-size structs, no pointers, the same binary on both ends.
 *
 *   PS_FD_DECIDE  front -> decider  struct token_handoff
 *   PS_DF_ANSWER  decider -> front  struct token_answer
 *   PS_DF_STATUS  decider -> front  struct broker_status
 *
 * Neither side trusts the other's strings to be terminated: the receiver
 * terminates every text field before it reads it.
 */
#ifndef PITLANE_PROTO_H
#define PITLANE_PROTO_H

#include <stdint.h>

#include "abuse.h"   /* struct abuse_stats, ABUSE_APPROVAL_ID_LEN: plain data */

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

/* What the decider decided (token_answer.metric; the front end counts it). */
enum metrics_decision {
	DEC_ALLOW,          /* token issued */
	DEC_DENY_POLICY,    /* policy said no */
	DEC_DENY_APPROVAL,  /* policy requires a second person */
	DEC_DENY_IDENTITY,  /* technician certificate / signature / workshop / replay */
	DEC_MALFORMED,      /* body could not be decoded */
	DEC_ERROR,          /* HSM or audit store failed */
	DEC_COUNT
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

#endif
