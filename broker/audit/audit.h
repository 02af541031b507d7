/*
 * pitlane_audit — the broker's tamper-evident audit store.
 *
 * One SQLite file (WAL, synchronous=FULL, foreign keys on, busy timeout),
 * schema from the numbered migrations in schema/ (embedded at build time,
 * applied at open, tracked in PRAGMA user_version). Every decision the broker
 * takes is one row of a hash chain:
 *
 *   row_hash = SHA-256(prev_hash || canonical encoding of the row)
 *
 * with prev_hash of row 1 = 32 zero bytes. Every N rows or T seconds the row
 * count and chain head are signed with the broker's HSM key (through a
 * callback, so this module never sees a key) and stored in the table
 * checkpoints. The exact bytes (row encoding, checkpoint message) are
 * normative in docs/audit.md.
 *
 * Library code: never logs, never exits. Functions return 0 or a negative
 * code (PL_E_AUDIT_* in lib/common/pl_err_audit.h, PL_E_* from pl_err.h).
 */
#ifndef PITLANE_BROKER_AUDIT_H
#define PITLANE_BROKER_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_SIG_LEN 64
#define AUDIT_PUB_LEN 65 /* uncompressed P-256 point 04||X||Y */
#define AUDIT_TOKEN_ID_LEN 16
#define AUDIT_NONCE_LEN 16 /* a token request's replay nonce */

struct audit;

/*
 * Opens (creating if needed) the database at db_path and applies pending
 * migrations, each in its own transaction. A database whose user_version is
 * newer than this code knows is refused with PL_E_AUDIT_SCHEMA_NEWER and left
 * untouched. *out is written only on success; free with audit_close().
 */
int audit_open(const char *db_path, struct audit **out);

/*
 * Writes a final checkpoint when a signer is set and rows are not yet covered
 * (best effort), then closes the database. Accepts NULL. Must not race with
 * audit_append().
 */
void audit_close(struct audit *a);

/*
 * One decision. Every text field is a NUL-terminated string that must fit its
 * array (else PL_E_AUDIT_FIELD); empty strings are allowed except decision.
 * time_ms: UNIX milliseconds; 0 means "now" (the store's clock).
 * The token itself is never stored: only its cti (token_id).
 */
struct audit_record {
	int64_t time_ms;
	char request_id[40];
	char client_identity[128]; /* device certificate CN / subject */
	char technician[64];
	char workshop[64];
	char vin[18];
	char op[32];
	char decision[16]; /* e.g. "allow", "deny", "pending" */
	char rule[64];
	char reason[160];
	uint8_t token_id[AUDIT_TOKEN_ID_LEN];
	int has_token_id;
	char client_addr[64];
	/* Row version 2 (schema 0003): what the requester said and the nonce the
	 * replay cache holds for it (has_nonce 0: none). The store adds the row
	 * count of the newest checkpoint it knows (docs/audit.md). */
	char work_order[64];
	char request_reason[161];
	uint8_t nonce[AUDIT_NONCE_LEN];
	int has_nonce;
};

/*
 * Appends one row. Thread-safe. Returns only after the row is durably
 * committed (COMMIT with synchronous=FULL returned); concurrent callers share
 * one transaction and one fsync (group commit: the first waiting caller
 * commits the whole pending batch, the others wait for their batch).
 * *row_id (may be NULL) gets the row's seq (1, 2, ...) on success. On failure
 * no row of the batch was written and every caller of the batch gets the error
 * (PL_E_AUDIT_DB, PL_E_AUDIT_READONLY, PL_E_AUDIT_FULL, PL_E_AUDIT_FIELD).
 * A checkpoint that is due is written after the batch commits; its failure
 * does not fail the append (see audit_stats.last_checkpoint_err).
 */
int audit_append(struct audit *a, const struct audit_record *rec, uint64_t *row_id);

/* 1 when a write transaction can be started right now (for /v1/ready), else 0. */
int audit_writable(struct audit *a);

/*
 * Checkpoint signer: signs the checkpoint message built from (row_count, head)
 * as defined in docs/audit.md (ECDSA P-256 over SHA-256, raw r||s into sig).
 * Returns 0 or a negative code. Called from the thread that committed a batch
 * or from the store's timer thread (never two at once); it may block (an HSM
 * call) while other appenders keep waiting for their batch.
 */
typedef int (*audit_sign_fn)(void *ctx, uint64_t row_count, const uint8_t head[AUDIT_HASH_LEN],
                             uint8_t sig[AUDIT_SIG_LEN]);

/*
 * Sets the checkpoint signer and its public key (stored with each checkpoint)
 * and the schedule: a checkpoint after every_rows new rows, and one every
 * every_seconds while there are uncovered rows (checked after each commit and
 * by a timer thread the store runs; 0 disables either trigger). Each
 * signature is verified with pub before it is stored. fn == NULL turns
 * signing off. Thread-safe.
 */
int audit_set_checkpoint_signer(struct audit *a, audit_sign_fn fn, void *ctx,
                                const uint8_t pub[AUDIT_PUB_LEN], unsigned every_rows,
                                unsigned every_seconds);

/*
 * Writes a checkpoint now if rows are not yet covered by one (for a timer in
 * the server, and at shutdown). 0 also when nothing was due.
 * PL_E_AUDIT_NO_SIGNER when no signer is set.
 */
int audit_checkpoint(struct audit *a);

/*
 * Calls fn for every row with a nonce whose time_ms >= since_ms, in seq order
 * (the decider pre-loads its replay cache from them at start). Stops at and
 * returns fn's first nonzero result; 0 when all were delivered.
 */
typedef int (*audit_nonce_fn)(void *ctx, const uint8_t nonce[AUDIT_NONCE_LEN], int64_t time_ms);
int audit_recent_nonces(struct audit *a, int64_t since_ms, audit_nonce_fn fn, void *ctx);

/* Counters for metrics and tests. */
struct audit_stats {
	uint64_t rows;           /* rows appended through this handle */
	uint64_t commits;        /* row transactions committed (group commits) */
	uint64_t checkpoints;    /* checkpoints written through this handle */
	uint64_t head_seq;       /* seq of the chain head (0 = empty) */
	int last_checkpoint_err; /* 0, or the code of the last failed checkpoint */
	int chain_diverged;      /* 1: the head stopped extending what this handle
	                          * committed (rows rewritten or deleted by someone
	                          * else); no checkpoint is signed until reopened */
	uint64_t diverged_head;  /* the head's seq when that was seen */
};
void audit_get_stats(struct audit *a, struct audit_stats *st);

/*
 * The checkpoint message (docs/audit.md):
 *   "pitlane-audit-checkpoint-v1" (27 ASCII bytes) || row_count (u64 BE) || head (32)
 */
#define AUDIT_CHECKPOINT_TAG "pitlane-audit-checkpoint-v1"
#define AUDIT_CHECKPOINT_MSG_LEN (27 + 8 + AUDIT_HASH_LEN)
void audit_checkpoint_message(uint64_t row_count, const uint8_t head[AUDIT_HASH_LEN],
                              uint8_t out[AUDIT_CHECKPOINT_MSG_LEN]);

/* ---- verification and export (read-only; used by pitlanectl) ------------ */

enum audit_fault {
	AUDIT_OK = 0,
	AUDIT_FAULT_SEQ_GAP,         /* a seq is missing (row deleted) */
	AUDIT_FAULT_SEQ_ORDER,       /* seq does not start at 1 / not contiguous */
	AUDIT_FAULT_PREV_HASH,       /* prev_hash != row_hash of the previous row */
	AUDIT_FAULT_ROW_HASH,        /* row_hash != recomputed hash (row edited) */
	AUDIT_FAULT_ROW_FORMAT,      /* a column has the wrong type or length */
	AUDIT_FAULT_CKPT_BEYOND_END, /* checkpoint covers more rows than exist (tail truncated) */
	AUDIT_FAULT_CKPT_HEAD,       /* checkpoint head != row_hash at its row_count */
	AUDIT_FAULT_CKPT_SIG,        /* checkpoint signature invalid */
	AUDIT_FAULT_CKPT_KEY,        /* checkpoint made with a key other than the expected one */
	AUDIT_FAULT_CKPT_ORDER,      /* checkpoint row counts go backwards */
	AUDIT_FAULT_CKPT_FORMAT,     /* a checkpoint column has the wrong type or length */
	AUDIT_FAULT_CKPT_MISSING,    /* a checkpoint rows were written after is gone, or
	                              * --pubkey and no checkpoint at all */
	AUDIT_FAULT_UNSIGNED_TAIL,   /* more rows after the last checkpoint than allowed */
};

struct audit_verify_report {
	uint64_t rows;          /* rows read */
	uint64_t checkpoints;   /* checkpoints read */
	uint64_t covered;       /* rows covered by the last valid checkpoint */
	enum audit_fault fault; /* AUDIT_OK when intact */
	uint64_t bad_seq;       /* the first bad row's seq (or the checkpoint's row_count) */
	int64_t bad_checkpoint; /* id of the bad checkpoint, or -1 */
	char detail[256];       /* one sentence: what is wrong and where */
};

/*
 * Recomputes the chain and every checkpoint of the database at db_path
 * (opened read-only; no migration is run). pub: the expected checkpoint key
 * (65 bytes) or NULL to check signatures against the key stored with each
 * checkpoint. Returns 0 when intact, PL_E_AUDIT_TAMPERED when not (rep says
 * where), or another negative code when the file cannot be read.
 * rep is filled in all three cases.
 */
int audit_verify(const char *db_path, const uint8_t *pub, struct audit_verify_report *rep);

/*
 * audit_verify() with the operator's bounds: pub as above; has_max_unsigned:
 * more than max_unsigned rows after the last valid checkpoint is a fault
 * (AUDIT_FAULT_UNSIGNED_TAIL). With pub and no bound, a log with rows and no
 * checkpoint at all is a fault (AUDIT_FAULT_CKPT_MISSING).
 */
struct audit_verify_opts {
	const uint8_t *pub;
	int has_max_unsigned;
	uint64_t max_unsigned;
};
int audit_verify_opts(const char *db_path, const struct audit_verify_opts *o,
                      struct audit_verify_report *rep);

/* Human name of a fault, e.g. "row_hash_mismatch". */
const char *audit_fault_name(enum audit_fault f);

/*
 * Writes one JSON object per row with time_ms >= since_ms (one line each,
 * ordered by seq) to out. *nrows (may be NULL) gets the number written.
 */
int audit_export(const char *db_path, int64_t since_ms, FILE *out, uint64_t *nrows);

/* `pitlanectl audit verify DB [--pubkey PEM]` / `pitlanectl audit export DB [--since T]`
 * (argv[0] == "audit"). Exit status: 0 intact/ok, 1 tampered, 2 usage or I/O. */
int ctl_audit_main(int argc, char **argv);

#endif
