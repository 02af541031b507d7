/*
 * POST /v1/token request decoding (untrusted bytes -> plain struct), the
 * approving technician's decision of POST /v1/approvals/{id} and the
 * requester's signed poll of POST /v1/approvals/{id}/poll (below).
 *
 * The body is a tagged COSE_Sign1 (tag 18) signed by the technician:
 *   protected   = bstr .cbor { 1: -7, 33: x5chain }   (exactly these two labels)
 *   unprotected = {}                                   (empty)
 *   payload     = bstr .cbor token-request             (keys 1..8, docs/protocol.md)
 *   signature   = bstr .size 64
 * x5chain is one DER certificate (bstr) or an array of 1..REQ_X5CHAIN_MAX
 * (leaf first). The decoder checks structure only; the certificate and the
 * signature are checked by techid_verify() and plt_cose_sign1_verify().
 * Pure function: no allocation, no OpenSSL, no clock (a fuzz target).
 */
#ifndef PITLANE_BROKER_REQUEST_H
#define PITLANE_BROKER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "pitlane/token.h"

#define REQ_X5CHAIN_MAX 4
#define REQ_NONCE_LEN 16
#define REQ_WORK_ORDER_MAX 64 /* incl. NUL */
#define REQ_REASON_MAX 161    /* incl. NUL */
#define REQ_TTL_MAX 86400

/* Payload map keys. */
enum req_key {
	REQ_K_VIN = 1,
	REQ_K_OP = 2,
	REQ_K_CNONCE = 3,
	REQ_K_WORK_ORDER = 4,
	REQ_K_REASON = 5,
	REQ_K_NONCE = 6,
	REQ_K_IAT = 7,
	REQ_K_TTL = 8,
};

/* COSE header labels used. */
#define REQ_HDR_ALG 1
#define REQ_HDR_X5CHAIN 33
#define REQ_ALG_ES256 (-7)

struct token_request {
	struct plt_bytes cert[REQ_X5CHAIN_MAX]; /* views into the body; [0] = leaf */
	size_t ncert;
	char vin[PLT_VIN_LEN + 1];
	char op[PLT_OP_MAX];
	uint8_t cnonce[PLT_CNONCE_MAX];
	uint8_t cnonce_len;
	char work_order[REQ_WORK_ORDER_MAX];
	char reason[REQ_REASON_MAX];
	uint8_t nonce[REQ_NONCE_LEN];
	int64_t iat;
	uint32_t ttl; /* 0 = let the policy choose */
};

/*
 * Decodes body[0..len). On failure returns PL_E_SRV_REQ_MALFORMED,
 * _NOT_SIGN1, _NO_X5CHAIN, _FIELD or _ALG, sets *err_off (if not NULL) to the
 * byte offset of the bad item and writes a sentence into why (if not NULL).
 * *out is written only on success.
 */
int request_decode(const uint8_t *body, size_t len, struct token_request *out, size_t *err_off,
                   char *why, size_t whylen);

/*
 * POST /v1/approvals/{id}: an approving technician's decision, in the same
 * signed envelope (protected header, x5chain, signature) as a token request;
 * payload keys 16..20, disjoint from the token request's 1..8, so that no
 * signed payload reads as both:
 *   16 approval id (tstr, 32 lower-case hex)   17 decision ("approve" / "deny" / "show":
 *                                                 what is to be approved, deciding nothing)
 *   18 reason (tstr, 0..160 printable; required and non-empty for a deny)
 *   19 nonce (bstr .size 16)                   20 iat (uint, UNIX seconds)
 *   21 request hash (bstr .size 32): SHA-256 of the requester's exact signed token
 *      request; optional here, required by the decider for "approve" and "deny"
 * Every key but 18 and 21 is required. Same error codes and offsets as request_decode.
 * (Key 21 is also the poll's approval id: a tstr there, a bstr here, so a poll is still
 * never read as a decision, nor the reverse.)
 */
enum req_decision_key {
	REQ_D_APPROVAL_ID = 16,
	REQ_D_DECISION = 17,
	REQ_D_REASON = 18,
	REQ_D_NONCE = 19,
	REQ_D_IAT = 20,
	REQ_D_REQUEST_HASH = 21,
};
#define REQ_REQUEST_HASH_LEN 32
#define REQ_APPROVAL_ID_LEN 32
/* approval_decision.approve (and vreq.approve, decider.h): compare with ==, never as a boolean. */
enum req_decision { REQ_DECISION_DENY = 0, REQ_DECISION_APPROVE = 1, REQ_DECISION_SHOW = 2 };

struct approval_decision {
	struct plt_bytes cert[REQ_X5CHAIN_MAX]; /* views into the body; [0] = leaf */
	size_t ncert;
	char approval_id[REQ_APPROVAL_ID_LEN + 1];
	int approve; /* enum req_decision */
	char reason[REQ_REASON_MAX];
	uint8_t nonce[REQ_NONCE_LEN];
	int64_t iat;
	uint8_t request_hash[REQ_REQUEST_HASH_LEN]; /* key 21, when has_request_hash */
	int has_request_hash;
};

int request_decode_decision(const uint8_t *body, size_t len, struct approval_decision *out,
                            size_t *err_off, char *why, size_t whylen);

/*
 * POST /v1/approvals/{id}/poll: the requesting technician asks for the state
 * (and, once approved, the token) of their approval, in the same signed
 * envelope; payload keys 21..23, disjoint from the token request's 1..8 and
 * the decision's 16..20, so that a signed poll is never read as either:
 *   21 approval id (tstr, 32 lower-case hex)   22 nonce (bstr .size 16)
 *   23 iat (uint, UNIX seconds)
 * Every key is required. Same error codes and offsets as request_decode.
 */
enum req_poll_key { REQ_P_APPROVAL_ID = 21, REQ_P_NONCE = 22, REQ_P_IAT = 23 };

struct approval_poll {
	struct plt_bytes cert[REQ_X5CHAIN_MAX]; /* views into the body; [0] = leaf */
	size_t ncert;
	char approval_id[REQ_APPROVAL_ID_LEN + 1];
	uint8_t nonce[REQ_NONCE_LEN];
	int64_t iat;
};

int request_decode_poll(const uint8_t *body, size_t len, struct approval_poll *out, size_t *err_off,
                        char *why, size_t whylen);

/* Nonzero when s[0..len) is a well-formed operation name: [a-z0-9._-], 1..31. */
int request_op_valid(const char *s, size_t len);

#endif
