/*
 * What pitlane-cosignd checks for itself before it signs (docs/cosigner.md,
 * "What it checks"): the broker's POST /v1/cosign body, the technician's own
 * signed request inside it, the broker's token and that its claims match the
 * request, the co-signer's hard limits and velocity counters, the approver's
 * signed decision; and its own hash-chained audit log, written before any
 * answer leaves.
 *
 * The checker owns one SQLite file (conf->audit_db): the audit chain, the
 * replay store (request nonces) and the velocity counters, so all three
 * survive a restart. It never reads the broker's database, policy or state.
 * One checker serves one thread at a time.
 */
#ifndef PITLANE_COSIGN_CHECK_H
#define PITLANE_COSIGN_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cosign_conf;
struct cosign_checker; /* opaque; owns its SQLite file */

#define COSIGN_DETAIL_MAX 256
#define COSIGN_RULE_MAX 96
#define COSIGN_ID_MAX 64
#define COSIGN_HASH_LEN 32
#define COSIGN_CTI_LEN 16

struct cosign_verdict {
	int allowed;      /* 1: sign token[0..token_len) (the broker's COSE_Sign) */
	int err;          /* 0, or the pl_err code behind the refusal */
	int status;       /* HTTP status of the refusal (403, 400, 503) */
	const char *code; /* the contract's problem code (static string), NULL on allow */
	char detail[COSIGN_DETAIL_MAX]; /* what was wrong and what to do */
	char rule[COSIGN_RULE_MAX];     /* the limit that refused ("" if none) */
	const uint8_t *token;           /* into the body, on allow */
	size_t token_len;
	/* what the audit rows say about the request (as far as it was read) */
	uint8_t request_hash[COSIGN_HASH_LEN]; /* SHA-256 of the request's exact bytes */
	int has_request_hash;
	char technician[COSIGN_ID_MAX]; /* certificate CN, once verified */
	char workshop[COSIGN_ID_MAX];   /* certificate OU, once verified */
	char vin[18];
	char op[32];
	uint8_t cti[COSIGN_CTI_LEN]; /* the broker token's id, once decoded */
	int has_cti;
	int64_t audit_seq; /* the row cosign_check() wrote (0: none) */
};

/*
 * Opens the checker: trust stores (dealer_ca + crl with technician_eku,
 * officer_ca), the broker's token key, the limits and approvers files and the
 * SQLite file (created with its schema when new). err gets "what, where, what
 * to do". Errors: PL_E_COS_* (files), PL_E_SRV_TLS_SETUP (CA/CRL), PL_E_NOMEM.
 */
int cosign_checker_open(const struct cosign_conf *conf, struct cosign_checker **out);
int cosign_checker_open_err(const struct cosign_conf *conf, struct cosign_checker **out, char *err,
                            size_t errlen);
void cosign_checker_free(struct cosign_checker *c);

/*
 * Decodes and checks one request body at time now; writes its audit row
 * (allow or refuse) BEFORE returning. Returns 0 when *v holds a verdict
 * (allowed or refused: see v->allowed), or a negative code when not even the
 * refusal could be audited (then v says 503 audit_unavailable; never allow).
 */
int cosign_check(struct cosign_checker *c, const uint8_t *body, size_t len, time_t now,
                 struct cosign_verdict *v);

/* After signing: records the outcome (sign_err 0: signed, else the HSM error) in the audit log. */
int cosign_check_signed(struct cosign_checker *c, const struct cosign_verdict *v, int sign_err);

/* 0 when the store is writable (a write transaction can be taken and committed). */
int cosign_checker_ready(struct cosign_checker *c);

/*
 * Verifies the audit chain of the SQLite file at path: every row's hash over
 * its fields and the previous row's hash, sequence numbers without gaps.
 * *rows gets the number of rows checked; on a break, *bad_seq the first bad
 * row and err a sentence. Errors: PL_E_COS_AUDIT_BROKEN, PL_E_COS_STORE.
 */
int cosign_audit_verify(const char *path, uint64_t *rows, uint64_t *bad_seq, char *err,
                        size_t errlen);

#endif
