/*
 * RFC 9290 concise problem details (application/concise-problem-details+cbor).
 *
 * The body is a CBOR map with the standard entries title (-1), detail (-2) and
 * response-code (-4), plus one custom entry under the text key
 * PROBLEM_PITLANE_KEY whose value is a map {"code": tstr, ? "rule": tstr,
 * ? "request-id": tstr, ? "retry-after": uint}. The code string is stable
 * (docs/protocol.md lists them); clients branch on it, never on the title.
 */
#ifndef PITLANE_BROKER_PROBLEM_H
#define PITLANE_BROKER_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#define PROBLEM_CONTENT_TYPE "application/concise-problem-details+cbor"
#define PROBLEM_PITLANE_KEY "tag:pitlane.dev,2025:problem"
#define PROBLEM_MAX 1024

struct problem {
	int status;             /* HTTP status, 400..599 */
	const char *code;       /* stable code string, required */
	const char *title;      /* short sentence, required */
	const char *detail;     /* what exactly was wrong and what to do; may be NULL */
	const char *rule;       /* policy rule that decided; may be NULL */
	const char *request_id; /* may be NULL */
	uint32_t retry_after;   /* seconds, 0 = absent */
};

/* Encodes p into out (cap bytes). Returns 0, PL_E_INVAL or PL_E_NOSPACE. */
int problem_encode(const struct problem *p, uint8_t *out, size_t cap, size_t *len);

/* The HTTP status and title for an error code of the request pipeline. */
int problem_status_for(int err);
const char *problem_title_for(int status);

#endif
