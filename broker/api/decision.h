/*
 * What an approval decision is about (docs/protocol.md, "approval-decision"):
 * its approval id and the SHA-256 of the requester's exact signed token
 * request (key 21), so that a signed decision says yes or no to one request,
 * not to whatever a database row names. Both the decider (for technicians'
 * and officers' decisions, when they arrive and again before an approved
 * token leaves) and pitlanectl (officers) check it. Pure: no allocation, no
 * clock.
 */
#ifndef PITLANE_BROKER_DECISION_H
#define PITLANE_BROKER_DECISION_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct decision_binding {
	const char *approval_id;     /* 32 lower-case hex digits */
	const uint8_t *request_hash; /* REQ_REQUEST_HASH_LEN bytes; NULL: the approval has none */
};

/*
 * Decodes body (request_decode_decision) and checks that it is an "approve"
 * or "deny" of b->approval_id carrying key 21 equal to b->request_hash
 * (constant time). *out is written only on success; why gets a sentence.
 * Errors: request_decode_decision's codes, PL_E_SRV_APPROVAL_INVALID (another
 * approval, or a "show"), PL_E_SRV_REQUEST_HASH (key 21 missing or another
 * request's, or an approval without a stored request).
 */
int decision_check_binding(const uint8_t *body, size_t len, const struct decision_binding *b,
                           struct approval_decision *out, char *why, size_t whylen);

/* SHA-256 of the exact request bytes (what key 21 carries). 0 or PL_E_CRYPTO. */
int decision_request_hash(const uint8_t *req, size_t len, uint8_t out[REQ_REQUEST_HASH_LEN]);

#endif
