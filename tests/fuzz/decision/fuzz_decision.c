/*
 * libFuzzer target: the POST /v1/approvals/{id} body decoder
 * (request_decode_decision, broker/api/request.c), an untrusted-bytes entry
 * of the broker's front end. A decoded decision is checked against the
 * decoder's promises: certificate views inside the input, a 32-digit
 * lower-case hex id, a known decision (approve, deny, show), a NUL-terminated
 * printable reason (non-empty for a deny), a positive iat; a failure's offset lies inside the input.
 * The same input goes through the POST /v1/approvals/{id}/poll decoder
 * (request_decode_poll), with the same promises for its id, iat and offsets;
 * no input decodes as both a decision and a poll (disjoint payload keys).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when the input decodes as a poll; aborts when a promise is broken. */
static int poll_one(const uint8_t *data, size_t size)
{
	struct approval_poll q;
	char why[256];
	size_t off = 0;

	if (request_decode_poll(data, size, &q, &off, why, sizeof(why)) != 0) {
		if (off > size || strnlen(why, sizeof(why)) == sizeof(why))
			abort();
		return 0;
	}
	if (q.ncert == 0 || q.ncert > REQ_X5CHAIN_MAX || q.iat <= 0 ||
	    strlen(q.approval_id) != REQ_APPROVAL_ID_LEN ||
	    strspn(q.approval_id, "0123456789abcdef") != REQ_APPROVAL_ID_LEN)
		abort();
	for (size_t i = 0; i < q.ncert; i++)
		if (q.cert[i].ptr < data || q.cert[i].ptr + q.cert[i].len > data + size ||
		    q.cert[i].len == 0)
			abort();
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct approval_decision d;
	char why[256];
	size_t off = 0;
	int poll = poll_one(data, size);

	if (request_decode_decision(data, size, &d, &off, why, sizeof(why)) != 0) {
		if (off > size || strnlen(why, sizeof(why)) == sizeof(why))
			abort();
		return 0;
	}
	if (poll || d.ncert == 0 || d.ncert > REQ_X5CHAIN_MAX)
		abort();
	for (size_t i = 0; i < d.ncert; i++)
		if (d.cert[i].ptr < data || d.cert[i].ptr + d.cert[i].len > data + size ||
		    d.cert[i].len == 0)
			abort();
	if (strlen(d.approval_id) != REQ_APPROVAL_ID_LEN ||
	    strspn(d.approval_id, "0123456789abcdef") != REQ_APPROVAL_ID_LEN)
		abort();
	if ((d.approve != REQ_DECISION_DENY && d.approve != REQ_DECISION_APPROVE &&
	     d.approve != REQ_DECISION_SHOW) || d.iat <= 0)
		abort();
	if (strnlen(d.reason, sizeof(d.reason)) >= sizeof(d.reason) ||
	    (d.approve == REQ_DECISION_DENY && d.reason[0] == '\0'))
		abort();
	for (const char *p = d.reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	return 0;
}
