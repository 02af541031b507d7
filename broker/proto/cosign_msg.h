/*
 * The messages between the decider and the cosigner-client process
 * (docs/privsep.md, issue 14): one channel, both ways, jobs and their results
 * matched by job id (the header's id repeats it).
 *
 *   PS_DK_JOB     decider -> cosigner-client  struct cosign_job + tail:
 *                 request (req_len) || token (tok_len) || approval (apr_len)
 *   PS_KD_RESULT  cosigner-client -> decider  struct cosign_result
 */
#ifndef PITLANE_PROTO_COSIGN_MSG_H
#define PITLANE_PROTO_COSIGN_MSG_H

#include <stdint.h>

/* What a job carries at most: the co-signer takes requests of at most 16 KiB (CBOR). */
#define COSIGN_TAIL_MAX 16000
#define COSIGN_SIG_MAX 128 /* one COSE_Signature: 82 bytes for ES256 */

struct cosign_job {
	uint64_t job;
	uint32_t req_len; /* the technician's signed request, the bytes the broker received */
	uint32_t tok_len; /* the broker's tag-98 token (its one signature) */
	uint32_t apr_len; /* the approver's signed decision (0: none) */
};

enum cosign_outcome {
	COSIGN_SIGNED = 1,  /* sig holds the co-signer's COSE_Signature */
	COSIGN_REFUSED,     /* the co-signer said no: code, detail, rule */
	COSIGN_UNAVAILABLE, /* no answer: why */
};

/* Why a job got no answer (COSIGN_UNAVAILABLE). */
enum cosign_why {
	COSIGN_WHY_NONE = 0,
	COSIGN_WHY_TIMEOUT, /* no answer within cosigner_timeout_ms */
	COSIGN_WHY_CONNECT, /* connection refused or unreachable */
	COSIGN_WHY_TLS,     /* TLS handshake failed (certificate, protocol) */
	COSIGN_WHY_PIN,     /* the co-signer's key is not the pinned one */
	COSIGN_WHY_HTTP,    /* an answer that is not a signature or a problem */
	COSIGN_WHY_BUSY,    /* the client's queue is full */
	COSIGN_WHY_GONE,    /* the cosigner-client process is not running */
	COSIGN_WHY_COUNT
};

struct cosign_result {
	uint64_t job;
	int32_t outcome; /* enum cosign_outcome */
	uint32_t why;    /* enum cosign_why */
	int32_t http_status;
	uint32_t elapsed_ms;
	uint32_t retry_after; /* the co-signer's, seconds (0: none) */
	uint32_t sig_len;
	uint8_t sig[COSIGN_SIG_MAX];
	char code[48];    /* the co-signer's problem code */
	char rule[64];    /* its rule, if any */
	char detail[256]; /* its detail, or what failed */
};

/* "timeout", "connect", ... (logs, audit rows). */
const char *cosign_why_name(uint32_t why);

#endif
