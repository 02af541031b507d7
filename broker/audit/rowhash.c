/*
 * The canonical row encodings and the chain hash (normative text: docs/audit.md).
 *
 *   enc v1 = 0x01 || seq (u64 BE) || time_ms (i64 BE, two's complement)
 *            || for each text field in enum audit_text_field order: len (u16 BE) || bytes
 *            || 0x00                         (no token id)
 *             | 0x01 || token_id (16 bytes)  (token id present)
 *   enc v2 = the same with 0x02 first, then
 *            || work_order, request_reason (each len (u16 BE) || bytes)
 *            || 0x00 | 0x01 || nonce (16 bytes)
 *            || ckpt_rows (u64 BE)
 *   row_hash = SHA-256(prev_hash || enc)
 */
#include <string.h>

#include <openssl/evp.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"

const char *const audit_text_column[AUDIT_F_COUNT] = {
    "request_id", "client_identity", "technician", "workshop", "vin",
    "op",         "decision",        "rule",       "reason",   "client_addr",
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* len (u16 BE) || bytes */
static int put_text(EVP_MD_CTX *md, const char *s, size_t n)
{
	uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)(n & 0xff)};

	return EVP_DigestUpdate(md, len, 2) == 1 && (n == 0 || EVP_DigestUpdate(md, s, n) == 1);
}

/* 0x00, or 0x01 || the 16 bytes */
static int put_opt16(EVP_MD_CTX *md, const uint8_t *b)
{
	uint8_t buf[1 + 16];

	buf[0] = b != NULL;
	if (b != NULL)
		memcpy(buf + 1, b, 16);
	return EVP_DigestUpdate(md, buf, b != NULL ? sizeof(buf) : 1) == 1;
}

/* The fields version 2 adds after the token id. */
static int put_v2(EVP_MD_CTX *md, const struct audit_row_view *v)
{
	uint8_t n[8];

	put_u64(n, v->ckpt_rows);
	return put_text(md, v->work_order, v->work_order_len) &&
	       put_text(md, v->request_reason, v->request_reason_len) && put_opt16(md, v->nonce) &&
	       EVP_DigestUpdate(md, n, sizeof(n)) == 1;
}

int audit_row_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_row_view *v,
                   uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t head[1 + 8 + 8], digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int r = PL_E_CRYPTO;

	if (v->version != AUDIT_ROW_V1 && v->version != AUDIT_ROW_V2)
		return PL_E_INVAL;
	for (int i = 0; i < AUDIT_F_COUNT; i++)
		if (v->text_len[i] > AUDIT_TEXT_MAX)
			return PL_E_RANGE;
	if (v->version == AUDIT_ROW_V2 &&
	    (v->work_order_len > AUDIT_TEXT_MAX || v->request_reason_len > AUDIT_TEXT_MAX))
		return PL_E_RANGE;
	head[0] = (uint8_t)v->version;
	put_u64(head + 1, v->seq);
	put_u64(head + 9, (uint64_t)v->time_ms);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return PL_E_NOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prev, AUDIT_HASH_LEN) != 1 ||
	    EVP_DigestUpdate(md, head, sizeof(head)) != 1)
		goto out;
	for (int i = 0; i < AUDIT_F_COUNT; i++)
		if (!put_text(md, v->text[i], v->text_len[i]))
			goto out;
	if (!put_opt16(md, v->token_id) || (v->version == AUDIT_ROW_V2 && !put_v2(md, v)) ||
	    EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != AUDIT_HASH_LEN)
		goto out;
	memcpy(out, digest, AUDIT_HASH_LEN);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

static int text_field(const char *p, size_t cap, const char **s, size_t *len)
{
	const char *nul = memchr(p, '\0', cap);

	if (nul == NULL)
		return PL_E_AUDIT_FIELD;
	*s = p;
	*len = (size_t)(nul - p);
	return 0;
}

int audit_row_from_record(const struct audit_record *rec, uint64_t seq, int64_t time_ms,
                          struct audit_row_view *v)
{
	struct audit_row_view t;
	int r;

	memset(&t, 0, sizeof(t));
	t.version = AUDIT_ROW_V2;
	t.seq = seq;
	t.time_ms = time_ms;
#define FIELD(idx, member)                                                                         \
	if ((r = text_field(rec->member, sizeof(rec->member), &t.text[idx], &t.text_len[idx])) !=  \
	    0)                                                                                     \
		return r;
	FIELD(AUDIT_F_REQUEST_ID, request_id)
	FIELD(AUDIT_F_CLIENT_IDENTITY, client_identity)
	FIELD(AUDIT_F_TECHNICIAN, technician)
	FIELD(AUDIT_F_WORKSHOP, workshop)
	FIELD(AUDIT_F_VIN, vin)
	FIELD(AUDIT_F_OP, op)
	FIELD(AUDIT_F_DECISION, decision)
	FIELD(AUDIT_F_RULE, rule)
	FIELD(AUDIT_F_REASON, reason)
	FIELD(AUDIT_F_CLIENT_ADDR, client_addr)
#undef FIELD
	if (t.text_len[AUDIT_F_DECISION] == 0)
		return PL_E_AUDIT_FIELD;
	t.token_id = rec->has_token_id ? rec->token_id : NULL;
	if ((r = text_field(rec->work_order, sizeof(rec->work_order), &t.work_order,
	                    &t.work_order_len)) != 0 ||
	    (r = text_field(rec->request_reason, sizeof(rec->request_reason), &t.request_reason,
	                    &t.request_reason_len)) != 0)
		return r;
	t.nonce = rec->has_nonce ? rec->nonce : NULL;
	*v = t;
	return 0;
}
