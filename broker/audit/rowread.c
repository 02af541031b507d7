/*
 * Reading chain rows back from SQLite, for the verifier and for the writer's
 * "does the head still extend what I committed" check. Files at schema
 * version 2 (before migration 0003) have no version-2 columns: the SELECT
 * then supplies their version-1 defaults.
 */
#include <string.h>

#include <sqlite3.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"

#define ROW_COLS_V1                                                                                \
	"seq, time_ms, request_id, client_identity, technician, workshop, vin, op, "               \
	"decision, rule, reason, client_addr, token_id, prev_hash, row_hash"

int audit_has_v2_columns(struct sqlite3 *db, int *has)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if ((rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK)
		return audit_sqlite_err(rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*has = sqlite3_column_int64(st, 0) >= AUDIT_SCHEMA_ROW_V2;
	else
		r = audit_sqlite_err(rc);
	sqlite3_finalize(st);
	return r;
}

const char *audit_row_columns(int has_v2_columns)
{
	return has_v2_columns ? ROW_COLS_V1
	           ", row_version, work_order, request_reason, nonce, ckpt_rows"
	                      : ROW_COLS_V1 ", 1, '', '', NULL, 0";
}

static int blob_col(sqlite3_stmt *st, int col, void *dst, size_t len)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(st, col) != len)
		return -1;
	memcpy(dst, sqlite3_column_blob(st, col), len);
	return 0;
}

static int text_col(sqlite3_stmt *st, int col, const char **s, size_t *len)
{
	if (sqlite3_column_type(st, col) != SQLITE_TEXT)
		return -1;
	*s = (const char *)sqlite3_column_text(st, col);
	*len = (size_t)sqlite3_column_bytes(st, col);
	return *len > AUDIT_TEXT_MAX ? -1 : 0;
}

/* The version-2 columns; a version-1 row must hold their defaults (nothing unhashed). */
static int row_v2(sqlite3_stmt *st, struct audit_row_view *v, struct audit_row_buf *b)
{
	sqlite3_int64 ver;

	if (sqlite3_column_type(st, 15) != SQLITE_INTEGER ||
	    sqlite3_column_type(st, 19) != SQLITE_INTEGER ||
	    text_col(st, 16, &v->work_order, &v->work_order_len) != 0 ||
	    text_col(st, 17, &v->request_reason, &v->request_reason_len) != 0 ||
	    sqlite3_column_int64(st, 19) < 0)
		return -1;
	ver = sqlite3_column_int64(st, 15);
	if (ver != AUDIT_ROW_V1 && ver != AUDIT_ROW_V2)
		return -1;
	v->version = (unsigned)ver;
	v->ckpt_rows = (uint64_t)sqlite3_column_int64(st, 19);
	if (sqlite3_column_type(st, 18) != SQLITE_NULL) {
		if (blob_col(st, 18, b->nonce, AUDIT_NONCE_LEN) != 0)
			return -1;
		v->nonce = b->nonce;
	}
	if (v->version == AUDIT_ROW_V1 && (v->work_order_len != 0 || v->request_reason_len != 0 ||
	                                   v->nonce != NULL || v->ckpt_rows != 0))
		return -1;
	return 0;
}

int audit_row_read(sqlite3_stmt *st, struct audit_row_view *v, struct audit_row_buf *b)
{
	sqlite3_int64 seq;

	memset(v, 0, sizeof(*v));
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
	    sqlite3_column_type(st, 1) != SQLITE_INTEGER)
		return -1;
	seq = sqlite3_column_int64(st, 0);
	v->seq = seq > 0 ? (uint64_t)seq : 0;
	v->time_ms = sqlite3_column_int64(st, 1);
	for (int i = 0; i < AUDIT_F_COUNT; i++)
		if (text_col(st, 2 + i, &v->text[i], &v->text_len[i]) != 0)
			return -1;
	if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
		if (blob_col(st, 12, b->token, AUDIT_TOKEN_ID_LEN) != 0)
			return -1;
		v->token_id = b->token;
	}
	if (blob_col(st, 13, b->prev, AUDIT_HASH_LEN) != 0 ||
	    blob_col(st, 14, b->hash, AUDIT_HASH_LEN) != 0)
		return -1;
	return row_v2(st, v, b);
}
