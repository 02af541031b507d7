/* Helpers for the audit unit tests (see audit_test_util.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include "audit_test_util.h"

char *aut_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	char *d;

	snprintf(tmpl, sizeof(tmpl), "%s/pl-audit-XXXXXX", base && base[0] ? base : "/tmp");
	d = mkdtemp(tmpl);
	cr_assert_not_null(d, "mkdtemp failed");
	return strdup(d);
}

void aut_rmdir(char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[1024];

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

void aut_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	cr_assert(n > 0 && (size_t)n < cap);
}

void aut_record(struct audit_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->time_ms = 1714550400000LL + (int64_t)i * 1000;   /* 2024-05-01T08:00:00Z + i s */
	snprintf(r->request_id, sizeof(r->request_id), "req-%08u", i);
	snprintf(r->client_identity, sizeof(r->client_identity), "CN=ws-muc-01-pc1,OU=ws-muc-01");
	snprintf(r->technician, sizeof(r->technician), "tech-anna");
	snprintf(r->workshop, sizeof(r->workshop), "ws-muc-01");
	snprintf(r->vin, sizeof(r->vin), "WVWZZZ1JZXW%06u", i % 1000000);
	snprintf(r->op, sizeof(r->op), "door.unlock");
	snprintf(r->decision, sizeof(r->decision), i % 3 == 2 ? "deny" : "allow");
	snprintf(r->rule, sizeof(r->rule), "ws-muc-01.door");
	snprintf(r->reason, sizeof(r->reason), "work order WO-%u", i);
	snprintf(r->client_addr, sizeof(r->client_addr), "127.0.0.1:%u", 40000 + i % 20000);
	if (i % 3 != 2) {
		for (unsigned k = 0; k < AUDIT_TOKEN_ID_LEN; k++)
			r->token_id[k] = (uint8_t)(i * 31 + k);
		r->has_token_id = 1;
	}
	/* row version 2: what the requester said, and (not for every row) a nonce */
	snprintf(r->work_order, sizeof(r->work_order), "WO-%u", i);
	if (i % 2 == 1)
		snprintf(r->request_reason, sizeof(r->request_reason), "customer lost key %u", i);
	if (i % 3 != 0) {
		for (unsigned k = 0; k < AUDIT_NONCE_LEN; k++)
			r->nonce[k] = (uint8_t)(i * 7 + k);
		r->has_nonce = 1;
	}
}

void aut_key_new(struct aut_key *k)
{
	size_t len = 0;

	memset(k, 0, sizeof(*k));
	k->pkey = EVP_EC_gen("P-256");
	cr_assert_not_null(k->pkey);
	cr_assert_eq(EVP_PKEY_get_octet_string_param(k->pkey, "encoded-pub-key", k->pub,
						     sizeof(k->pub), &len), 1);
	cr_assert_eq(len, AUDIT_PUB_LEN);
}

void aut_key_free(struct aut_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

int aut_sign(void *ctx, uint64_t row_count, const uint8_t head[AUDIT_HASH_LEN],
	     uint8_t sig[AUDIT_SIG_LEN])
{
	struct aut_key *k = ctx;
	uint8_t msg[AUDIT_CHECKPOINT_MSG_LEN], der[128];
	const uint8_t *p = der;
	size_t dlen = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int ok;

	audit_checkpoint_message(row_count, head, msg);
	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestSign(md, der, &dlen, msg, sizeof(msg)) == 1 &&
	     (es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL;
	if (ok) {
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
	}
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	k->calls++;
	return ok ? 0 : -119;
}

void aut_key_write_pem(const struct aut_key *k, const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PUBKEY(f, k->pkey), 1);
	fclose(f);
}

int aut_sql_rc(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc;

	rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return rc;
}

void aut_sql(const char *db, const char *sql)
{
	int rc = aut_sql_rc(db, sql);

	cr_assert_eq(rc, SQLITE_OK, "SQL failed (%s): %s", sqlite3_errstr(rc), sql);
}

int64_t aut_sql_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

void aut_drop_guards(const char *db)
{
	aut_sql(db, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
		    "DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;");
}

void aut_fill(const char *db, unsigned n, struct aut_key *k, unsigned every_rows)
{
	struct audit *a = NULL;
	struct audit_record rec;
	uint64_t id = 0;

	cr_assert_eq(audit_open(db, &a), 0);
	if (k)
		cr_assert_eq(audit_set_checkpoint_signer(a, aut_sign, k, k->pub, every_rows, 0), 0);
	for (unsigned i = 1; i <= n; i++) {
		aut_record(&rec, i);
		cr_assert_eq(audit_append(a, &rec, &id), 0);
		cr_assert_eq(id, (uint64_t)i);
	}
	audit_close(a);
}
