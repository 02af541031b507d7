/* broker/audit/rowhash.c: the row encoding is exactly the one docs/audit.md specifies. */
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_test_util.h"
#include "pl_err.h"
#include "pl_err_audit.h"

static size_t put_text(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	memcpy(p + 2, s, n);
	return 2 + n;
}

static size_t put_opt16(uint8_t *p, int has, const uint8_t *b)
{
	p[0] = has ? 0x01 : 0x00;
	if (has)
		memcpy(p + 1, b, 16);
	return has ? 17 : 1;
}

/* Builds prev || enc by hand from the text of docs/audit.md (version 1 or 2) and hashes it. */
static void doc_hash_v(unsigned version, const uint8_t prev[32], uint64_t seq,
		       const struct audit_record *r, uint64_t ckpt_rows, uint8_t out[32])
{
	uint8_t buf[2048];
	size_t n = 0;
	unsigned len = 0;
	uint64_t t = (uint64_t)r->time_ms;

	memcpy(buf, prev, 32);
	n = 32;
	buf[n++] = (uint8_t)version;
	for (int i = 7; i >= 0; i--)
		buf[n++] = (uint8_t)(seq >> (8 * i));
	for (int i = 7; i >= 0; i--)
		buf[n++] = (uint8_t)(t >> (8 * i));
	n += put_text(buf + n, r->request_id);
	n += put_text(buf + n, r->client_identity);
	n += put_text(buf + n, r->technician);
	n += put_text(buf + n, r->workshop);
	n += put_text(buf + n, r->vin);
	n += put_text(buf + n, r->op);
	n += put_text(buf + n, r->decision);
	n += put_text(buf + n, r->rule);
	n += put_text(buf + n, r->reason);
	n += put_text(buf + n, r->client_addr);
	n += put_opt16(buf + n, r->has_token_id, r->token_id);
	if (version == 2) {
		n += put_text(buf + n, r->work_order);
		n += put_text(buf + n, r->request_reason);
		n += put_opt16(buf + n, r->has_nonce, r->nonce);
		for (int i = 7; i >= 0; i--)
			buf[n++] = (uint8_t)(ckpt_rows >> (8 * i));
	}
	cr_assert_eq(EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL), 1);
	cr_assert_eq(len, 32);
}

static void doc_hash(const uint8_t prev[32], uint64_t seq, const struct audit_record *r,
		     uint8_t out[32])
{
	doc_hash_v(2, prev, seq, r, 0, out);
}

Test(audit_rowhash, REQ_AUD_100_version2_row_hash_matches_the_documented_encoding)
{
	uint8_t prev[32], want[32], got[32];
	struct audit_record rec;
	struct audit_row_view v;

	for (unsigned i = 1; i <= 6; i++) {   /* with and without a token id, a reason, a nonce */
		memset(prev, (int)i, sizeof(prev));
		aut_record(&rec, i);
		doc_hash_v(2, prev, 1000 + i, &rec, 77 * i, want);
		cr_assert_eq(audit_row_from_record(&rec, 1000 + i, rec.time_ms, &v), 0);
		v.ckpt_rows = 77 * i;
		cr_assert_eq(audit_row_hash(prev, &v, got), 0);
		cr_assert_eq(memcmp(want, got, 32), 0, "record %u", i);
	}
}

/* Version 1: the rows written before schema 0003 keep exactly these bytes. */
Test(audit_rowhash, REQ_AUD_013_row_hash_matches_the_documented_encoding)
{
	uint8_t prev[32], want[32], got[32];
	struct audit_record rec;
	struct audit_row_view v;

	for (unsigned i = 1; i <= 3; i++) {   /* with and without a token id */
		memset(prev, (int)i, sizeof(prev));
		aut_record(&rec, i);
		memset(rec.work_order, 0, sizeof(rec.work_order));
		memset(rec.request_reason, 0, sizeof(rec.request_reason));
		rec.has_nonce = 0;
		doc_hash_v(1, prev, 1000 + i, &rec, 0, want);
		cr_assert_eq(audit_row_from_record(&rec, 1000 + i, rec.time_ms, &v), 0);
		v.version = AUDIT_ROW_V1;
		cr_assert_eq(audit_row_hash(prev, &v, got), 0);
		cr_assert_eq(memcmp(want, got, 32), 0, "record %u, version 1", i);
		v.version = 3;
		cr_assert_eq(audit_row_hash(prev, &v, got), PL_E_INVAL);
	}
}

Test(audit_rowhash, REQ_AUD_014_store_writes_documented_hashes)
{
	char *dir = aut_tmpdir();
	char db[1024];
	uint8_t prev[32] = { 0 }, want[32];
	struct audit_record rec;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	aut_path(db, sizeof(db), dir, "audit.db");
	aut_fill(db, 3, NULL, 0);
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT prev_hash, row_hash FROM audit_log ORDER BY seq",
					-1, &st, NULL), SQLITE_OK);
	for (unsigned i = 1; i <= 3; i++) {
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
		aut_record(&rec, i);
		doc_hash(prev, i, &rec, want);
		cr_assert_eq(memcmp(sqlite3_column_blob(st, 0), prev, 32), 0, "prev of row %u", i);
		cr_assert_eq(memcmp(sqlite3_column_blob(st, 1), want, 32), 0, "hash of row %u", i);
		memcpy(prev, want, 32);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	aut_rmdir(dir);
}

Test(audit_rowhash, REQ_AUD_015_length_prefix_keeps_fields_apart)
{
	uint8_t prev[32] = { 0 }, h1[32], h2[32];
	struct audit_record a, b;
	struct audit_row_view v;

	/* Moving a byte from one field to the next must change the hash. */
	aut_record(&a, 1);
	aut_record(&b, 1);
	snprintf(a.rule, sizeof(a.rule), "ab");
	snprintf(a.reason, sizeof(a.reason), "c");
	snprintf(b.rule, sizeof(b.rule), "a");
	snprintf(b.reason, sizeof(b.reason), "bc");
	cr_assert_eq(audit_row_from_record(&a, 1, a.time_ms, &v), 0);
	cr_assert_eq(audit_row_hash(prev, &v, h1), 0);
	cr_assert_eq(audit_row_from_record(&b, 1, b.time_ms, &v), 0);
	cr_assert_eq(audit_row_hash(prev, &v, h2), 0);
	cr_assert_neq(memcmp(h1, h2, 32), 0);
	v.text_len[AUDIT_F_REASON] = AUDIT_TEXT_MAX + 1;
	cr_assert_eq(audit_row_hash(prev, &v, h2), PL_E_RANGE);
}
