/*
 * The co-signer's audit chain (cosign_audit). Every row's hash covers the
 * previous row's hash and the row's own fields in a fixed encoding:
 *
 *   enc      = 0x01 || seq (u64 BE) || time (i64 BE, two's complement)
 *              || 0x00 | 0x01 || request_hash (32 bytes)
 *              || technician, workshop, vin, op, decision, code, rule, detail
 *                 (each: len (u16 BE) || UTF-8 bytes)
 *              || 0x00 | 0x01 || cti (16 bytes)
 *   row_hash = SHA-256(prev_hash || enc); the first row's prev_hash is 32 zero bytes.
 *
 * A row is appended inside the caller's transaction: nothing is answered
 * before the transaction holding it has committed.
 */
#include <string.h>

#include <openssl/evp.h>

#include "pl_err.h"
#include "pl_err_cosign_check.h"
#include "store.h"

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int put_opt(EVP_MD_CTX *md, const uint8_t *b, size_t n)
{
	uint8_t flag = b != NULL;

	return EVP_DigestUpdate(md, &flag, 1) == 1 &&
	       (b == NULL || EVP_DigestUpdate(md, b, n) == 1);
}

static int put_text(EVP_MD_CTX *md, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)(n & 0xff)};

	return EVP_DigestUpdate(md, len, 2) == 1 && (n == 0 || EVP_DigestUpdate(md, s, n) == 1);
}

int cosign_audit_hash(const uint8_t prev[32], uint64_t seq, const struct cosign_audit_row *r,
                      uint8_t out[32])
{
	const char *text[] = {r->technician, r->workshop, r->vin,  r->op,
	                      r->decision,   r->code,     r->rule, r->detail};
	uint8_t head[1 + 8 + 8], digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	EVP_MD_CTX *md;
	int ok;

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (text[i] != NULL && strlen(text[i]) > COSIGN_AUDIT_TEXT_MAX)
			return PL_E_RANGE;
	head[0] = 0x01;
	put_u64(head + 1, seq);
	put_u64(head + 9, (uint64_t)r->time);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return PL_E_NOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, prev, 32) == 1 && EVP_DigestUpdate(md, head, sizeof(head)) == 1 &&
	     put_opt(md, r->request_hash, 32);
	for (size_t i = 0; ok && i < sizeof(text) / sizeof(text[0]); i++)
		ok = put_text(md, text[i]);
	ok = ok && put_opt(md, r->cti, 16) && EVP_DigestFinal_ex(md, digest, &dlen) == 1 &&
	     dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return PL_E_CRYPTO;
	memcpy(out, digest, 32);
	return 0;
}

/* The newest row's seq and hash; (0, zeros) for an empty log. */
static int head(sqlite3 *db, uint64_t *seq, uint8_t hash[32])
{
	sqlite3_stmt *st = NULL;
	int r = PL_E_COS_AUDIT, rc;

	if (sqlite3_prepare_v2(db,
	                       "SELECT seq, row_hash FROM cosign_audit ORDER BY seq DESC LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*seq = 0;
		memset(hash, 0, 32);
		r = 0;
	} else if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0 &&
	           sqlite3_column_bytes(st, 1) == 32) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), 32);
		r = 0;
	}
out:
	sqlite3_finalize(st);
	return r;
}

static int bind_opt(sqlite3_stmt *st, int i, const uint8_t *b, int n)
{
	return b != NULL ? sqlite3_bind_blob(st, i, b, n, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

int cosign_audit_append(sqlite3 *db, const struct cosign_audit_row *r, int64_t *seq)
{
	static const char sql[] =
	    "INSERT INTO cosign_audit (seq, time, request_hash, technician, workshop, vin, op, "
	    "cti, decision, code, rule, detail, prev_hash, row_hash) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	const char *text[] = {r->technician, r->workshop, r->vin, r->op};
	const char *tail[] = {r->decision, r->code, r->rule, r->detail};
	sqlite3_stmt *st = NULL;
	uint8_t prev[32], hash[32];
	uint64_t last;
	int ok, e;

	if ((e = head(db, &last, prev)) != 0)
		return e;
	if (cosign_audit_hash(prev, last + 1, r, hash) != 0)
		return PL_E_COS_AUDIT;
	ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	     sqlite3_bind_int64(st, 1, (sqlite3_int64)(last + 1)) == SQLITE_OK &&
	     sqlite3_bind_int64(st, 2, r->time) == SQLITE_OK &&
	     bind_opt(st, 3, r->request_hash, 32) == SQLITE_OK;
	for (int i = 0; ok && i < 4; i++)
		ok = bind_text(st, 4 + i, text[i]) == SQLITE_OK;
	ok = ok && bind_opt(st, 8, r->cti, 16) == SQLITE_OK;
	for (int i = 0; ok && i < 4; i++)
		ok = bind_text(st, 9 + i, tail[i]) == SQLITE_OK;
	ok = ok && sqlite3_bind_blob(st, 13, prev, 32, SQLITE_STATIC) == SQLITE_OK &&
	     sqlite3_bind_blob(st, 14, hash, 32, SQLITE_STATIC) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok)
		return PL_E_COS_AUDIT;
	*seq = (int64_t)(last + 1);
	return 0;
}
