/* Internal to broker/audit: the row encoding, SQLite helpers. Not installed. */
#ifndef PITLANE_AUDIT_INT_H
#define PITLANE_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"

struct sqlite3;

/* The text fields of a row, in the order of the canonical encoding (docs/audit.md). */
enum audit_text_field {
	AUDIT_F_REQUEST_ID = 0,
	AUDIT_F_CLIENT_IDENTITY,
	AUDIT_F_TECHNICIAN,
	AUDIT_F_WORKSHOP,
	AUDIT_F_VIN,
	AUDIT_F_OP,
	AUDIT_F_DECISION,
	AUDIT_F_RULE,
	AUDIT_F_REASON,
	AUDIT_F_CLIENT_ADDR,
	AUDIT_F_COUNT
};

/* Column names of the text fields, same order. */
extern const char *const audit_text_column[AUDIT_F_COUNT];

/* Row hash encodings (docs/audit.md): 1 up to schema 0002, 2 since 0003. */
#define AUDIT_ROW_V1 1
#define AUDIT_ROW_V2 2
#define AUDIT_ROW_LATEST AUDIT_ROW_V2

/* A row as bytes: the store fills it from a record, the verifier from SQLite. */
struct audit_row_view {
	unsigned version; /* AUDIT_ROW_V1 or AUDIT_ROW_V2 */
	uint64_t seq;
	int64_t time_ms;
	const char *text[AUDIT_F_COUNT];
	size_t text_len[AUDIT_F_COUNT];
	const uint8_t *token_id; /* 16 bytes, or NULL when the row has none */
	/* version 2 only */
	const char *work_order, *request_reason;
	size_t work_order_len, request_reason_len;
	const uint8_t *nonce; /* 16 bytes, or NULL */
	uint64_t ckpt_rows;   /* the newest checkpoint the writer knew (0: none) */
};

#define AUDIT_TEXT_MAX 65535u /* a u16 length prefix */

/* row_hash = SHA-256(prev || encoding(v)). PL_E_RANGE if a field exceeds AUDIT_TEXT_MAX. */
int audit_row_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_row_view *v,
                   uint8_t out[AUDIT_HASH_LEN]);

/* Fills v from rec as a version-2 row (seq, time_ms and ckpt_rows are set by the
 * caller); PL_E_AUDIT_FIELD for an unterminated field. */
int audit_row_from_record(const struct audit_record *rec, uint64_t seq, int64_t time_ms,
                          struct audit_row_view *v);

/* ES256 verification of a checkpoint signature: 0 valid, PL_E_AUDIT_TAMPERED not,
 * PL_E_BADKEY for a public key that is not a P-256 point. */
int audit_checkpoint_verify(const uint8_t pub[AUDIT_PUB_LEN], uint64_t row_count,
                            const uint8_t head[AUDIT_HASH_LEN], const uint8_t sig[AUDIT_SIG_LEN]);

/* Buffers audit_row_read() copies the blobs into. */
struct audit_row_buf {
	uint8_t token[AUDIT_TOKEN_ID_LEN];
	uint8_t nonce[AUDIT_NONCE_LEN];
	uint8_t prev[AUDIT_HASH_LEN]; /* the stored prev_hash */
	uint8_t hash[AUDIT_HASH_LEN]; /* the stored row_hash */
};

/* The schema version (migration 0003) that added the version-2 columns. */
#define AUDIT_SCHEMA_ROW_V2 3

/* *has = 1 when db is at schema 3 or later (it has the version-2 columns). */
int audit_has_v2_columns(struct sqlite3 *db, int *has);

/*
 * The column list audit_row_read() expects, for "SELECT <it> FROM audit_log".
 * has_v2_columns: the file is at schema 3 or later (else defaults are selected).
 */
const char *audit_row_columns(int has_v2_columns);

/*
 * Reads the current row of st (selected with audit_row_columns()) into v,
 * pointing into st's memory and b. -1 when a column has the wrong type or
 * length, or a version-1 row holds a value its hash does not cover.
 */
struct sqlite3_stmt;
int audit_row_read(struct sqlite3_stmt *st, struct audit_row_view *v, struct audit_row_buf *b);

/* Maps a SQLite result code to a pitlane code. */
int audit_sqlite_err(int rc);

/* Runs sql (no results expected) and maps the error. */
int audit_exec(struct sqlite3 *db, const char *sql);

/*
 * A time from the command line: UNIX seconds or ISO 8601 (see timeparse.c).
 * PL_E_AUDIT_TIME when it is neither, PL_E_RANGE when out of 1970..9999.
 * why (may be NULL) gets what was wrong and at which byte.
 */
struct pl_time_error;
int audit_parse_time(const char *s, int64_t *unix_s, struct pl_time_error *why);

/* Current UNIX time in milliseconds (CLOCK_REALTIME). */
int64_t audit_now_ms(void);

#endif
