/*
 * The canonical row encoding and the chain hash (normative text: docs/audit.md).
 *
 *   enc = 0x01 (version) || seq (u64 BE) || time_ms (i64 BE, two's complement)
 *         || for each text field in enum audit_text_field order: len (u16 BE) || bytes
 *         || 0x00                         (no token id)
 *          | 0x01 || token_id (16 bytes)  (token id present)
 *   row_hash = SHA-256(prev_hash || enc)
 */
#include <string.h>

#include <openssl/evp.h>

#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"

#define AUDIT_ROW_VERSION 0x01

const char *const audit_text_column[AUDIT_F_COUNT] = {
	"request_id", "client_identity", "technician", "workshop", "vin",
	"op", "decision", "rule", "reason", "client_addr",
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

int audit_row_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_row_view *v,
		   uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t head[1 + 8 + 8], len[2], tok[1 + AUDIT_TOKEN_ID_LEN], digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t toklen;
	int r = PL_E_CRYPTO;

	for (int i = 0; i < AUDIT_F_COUNT; i++)
		if (v->text_len[i] > AUDIT_TEXT_MAX)
			return PL_E_RANGE;
	head[0] = AUDIT_ROW_VERSION;
	put_u64(head + 1, v->seq);
	put_u64(head + 9, (uint64_t)v->time_ms);
	if (v->token_id) {
		tok[0] = 1;
		memcpy(tok + 1, v->token_id, AUDIT_TOKEN_ID_LEN);
		toklen = sizeof(tok);
	} else {
		tok[0] = 0;
		toklen = 1;
	}
	if ((md = EVP_MD_CTX_new()) == NULL)
		return PL_E_NOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prev, AUDIT_HASH_LEN) != 1 ||
	    EVP_DigestUpdate(md, head, sizeof(head)) != 1)
		goto out;
	for (int i = 0; i < AUDIT_F_COUNT; i++) {
		len[0] = (uint8_t)(v->text_len[i] >> 8);
		len[1] = (uint8_t)(v->text_len[i] & 0xff);
		if (EVP_DigestUpdate(md, len, 2) != 1 ||
		    (v->text_len[i] > 0 && EVP_DigestUpdate(md, v->text[i], v->text_len[i]) != 1))
			goto out;
	}
	if (EVP_DigestUpdate(md, tok, toklen) != 1 ||
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
	t.seq = seq;
	t.time_ms = time_ms;
#define FIELD(idx, member)                                                               \
	if ((r = text_field(rec->member, sizeof(rec->member), &t.text[idx],              \
			    &t.text_len[idx])) != 0)                                     \
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
	*v = t;
	return 0;
}
