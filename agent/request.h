/*
 * The token request (docs/protocol.md): a tagged COSE_Sign1, ES256, signed
 * by the technician key, the technician certificate in the protected x5chain
 * header, payload map keys 1..8. A fresh random nonce and the current time
 * every time it is built, so a retry is a new request.
 */
#ifndef PITLANE_AGENT_REQUEST_H
#define PITLANE_AGENT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define REQUEST_MAX 8192

struct techkey;

struct token_request {
	const char *vin;
	const char *op;
	const uint8_t *cnonce;
	size_t cnonce_len;
	const char *work_order;
	const char *reason;
	uint32_t ttl; /* 0: not sent (the policy's default) */
};

/* Checks the fields as the broker will (VIN alphabet, op, lengths). */
int request_check(const struct token_request *q, char *err, size_t errlen);
/*
 * The signed body of a request to the broker: a tagged COSE_Sign1 (ES256,
 * protected header {alg, x5chain: the technician certificate}) over payload
 * (a CBOR map, at most 1024 bytes), signed with the technician key. Token
 * requests and approval decisions share it.
 */
int request_sign1(struct techkey *k, const uint8_t *payload, size_t ylen, uint8_t *out, size_t cap,
                  size_t *len);
/* Builds and signs a token request's body into out[cap]. */
int request_build(struct techkey *k, const struct token_request *q, uint8_t *out, size_t cap,
                  size_t *len);
/*
 * Builds and signs the requester's poll of approval approval_id (32 lower-case
 * hex digits), POST /v1/approvals/{id}/poll: payload {21: id, 22: a fresh
 * nonce, 23: now}, so the broker knows the technician, not only the PC.
 */
int request_build_poll(struct techkey *k, const char *approval_id, uint8_t *out, size_t cap,
                       size_t *len);
/* 1 when vin is 17 characters of the ISO 3779 alphabet (no I, O, Q). */
int request_vin_ok(const char *vin);

#endif
