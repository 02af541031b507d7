/*
 * The co-signer's SQLite file (conf->audit_db): one file, three tables --
 * cosign_audit (the hash-chained audit log), cosign_nonce (the replay store)
 * and cosign_rate (the velocity counters) -- so that all three survive a
 * restart and a request's nonce, its count and its audit row are committed
 * together (one IMMEDIATE transaction per request) or not at all.
 * The schema is the SQL string in store.c (user_version 1).
 */
#ifndef PITLANE_COSIGN_STORE_H
#define PITLANE_COSIGN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cosign_check.h"

#define COSIGN_STORE_VERSION 1
#define COSIGN_BUSY_TIMEOUT_MS 2000

/* Opens (creating when absent) path with its schema. Errors: PL_E_COS_STORE (err says why). */
int cosign_store_open(const char *path, sqlite3 **out, char *err, size_t errlen);

/* One statement without results. Errors: PL_E_COS_STORE. */
int cosign_store_exec(sqlite3 *db, const char *sql);

/* ---- the replay store (replay.c) ---------------------------------------- */
/*
 * Remembers nonce (iat: the request's) unless it is there already:
 * PL_E_SRV_REPLAY when it was seen before. Nonces whose iat is older than
 * now - 2 * keep_s are dropped first (keep_s: the oldest request accepted, so
 * a request that old is stale anyway). Errors: PL_E_COS_STORE.
 */
int cosign_replay_remember(sqlite3 *db, const uint8_t nonce[16], int64_t iat, int64_t now,
                           uint32_t keep_s);

/* ---- the velocity counters (velocity.c) --------------------------------- */
struct cosign_op_limits;

/* Who a request counts against, per scope (enum cosign_scope order). */
struct cosign_subjects {
	const char *op;
	const char *who[4]; /* technician CN, workshop OU, VIN, "" (fleet) */
};

/*
 * 0 when one more co-signature of s->op stays within every velocity line of
 * lim at now; PL_E_COS_RATE_LIMITED with *hit the line that refuses.
 * Errors: PL_E_COS_STORE.
 */
int cosign_velocity_check(sqlite3 *db, const struct cosign_op_limits *lim,
                          const struct cosign_subjects *s, int64_t now, size_t *hit,
                          uint32_t *count);

/* Counts one co-signature (every scope) and drops counts older than keep_s. */
int cosign_velocity_count(sqlite3 *db, const struct cosign_subjects *s, int64_t now,
                          uint32_t keep_s);

/* ---- the audit chain (audit.c) ------------------------------------------ */
struct cosign_audit_row {
	int64_t time;                /* UNIX seconds */
	const uint8_t *request_hash; /* 32 bytes or NULL */
	const char *technician, *workshop, *vin, *op;
	const uint8_t *cti;   /* 16 bytes or NULL */
	const char *decision; /* allow, refuse, signed, error */
	const char *code, *rule, *detail;
};

#define COSIGN_AUDIT_TEXT_MAX 1024

/* Appends r after the newest row; *seq gets its number. Errors: PL_E_COS_AUDIT. */
int cosign_audit_append(sqlite3 *db, const struct cosign_audit_row *r, int64_t *seq);

/* row_hash = SHA-256(prev || enc(seq, r)) (docs/cosigner.md, "Audit"). Errors: PL_E_RANGE,
 * PL_E_CRYPTO. */
int cosign_audit_hash(const uint8_t prev[32], uint64_t seq, const struct cosign_audit_row *r,
                      uint8_t out[32]);

#endif
