/* Helpers for the audit unit tests: temp dirs, records, an OpenSSL checkpoint key, raw SQL. */
#ifndef PITLANE_AUDIT_TEST_UTIL_H
#define PITLANE_AUDIT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "audit.h"

/* A fresh directory under $TMPDIR (or /tmp); free with aut_rmdir. */
char *aut_tmpdir(void);
/* Removes the files directly inside dir, then dir, and frees the string. */
void aut_rmdir(char *dir);
/* dir/name into out (asserts it fits). */
void aut_path(char *out, size_t cap, const char *dir, const char *name);

/* A well-formed record, different for each i. */
void aut_record(struct audit_record *r, unsigned i);

/* A P-256 key in software standing in for the HSM key behind audit_sign_fn. */
struct aut_key {
	EVP_PKEY *pkey;
	uint8_t pub[AUDIT_PUB_LEN];
	unsigned calls;
};
void aut_key_new(struct aut_key *k);
void aut_key_free(struct aut_key *k);
/* audit_sign_fn over the checkpoint message of docs/audit.md; ctx is a struct aut_key. */
int aut_sign(void *ctx, uint64_t row_count, const uint8_t head[AUDIT_HASH_LEN],
	     uint8_t sig[AUDIT_SIG_LEN]);
/* Writes the key's public half as a PEM SubjectPublicKeyInfo file. */
void aut_key_write_pem(const struct aut_key *k, const char *path);

/* Runs SQL on the file through a separate connection (asserting success). */
void aut_sql(const char *db, const char *sql);
/* Runs SQL and returns the SQLite result code (no assertion). */
int aut_sql_rc(const char *db, const char *sql);
/* First column of the first row as an integer. */
int64_t aut_sql_int(const char *db, const char *sql);
/* Drops the append-only triggers, as someone with write access to the file could. */
void aut_drop_guards(const char *db);

/* Fills db with n rows through audit_append (with the key as signer when k != NULL). */
void aut_fill(const char *db, unsigned n, struct aut_key *k, unsigned every_rows);

#endif
