/* Shared helpers of the lib/token unit tests: keys, tokens, hex, vector files. */
#ifndef TOK_FIXTURE_H
#define TOK_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

#define FIX_VIN "WVWZZZ1JZXW000001"
#define FIX_OP "door.unlock"
#define FIX_NOW 1767225600 /* 2026-01-01T00:00:00Z */

struct fixture {
	EVP_PKEY *key;
	struct plt_trust_anchor anchor;
	struct plt_trust_store trust;
	struct plt_crypto crypto;
	uint8_t cnonce[16];
	uint8_t cti[16];
};

/* A fresh P-256 key, its trust anchor and the OpenSSL hook. */
void fix_init(struct fixture *f);
void fix_fini(struct fixture *f);
/* Claims of a typical token (all private claims set). */
void fix_claims(const struct fixture *f, struct plt_claims *c, const char *vin, const char *op,
                const uint8_t *cnonce, size_t cnonce_len);
/* Issues a token with those claims; returns its length. */
size_t fix_issue(const struct fixture *f, const char *vin, const char *op, const uint8_t *cnonce,
                 size_t cnonce_len, uint8_t *out, size_t cap);
/* The default expectation matching fix_issue(FIX_VIN, FIX_OP, f->cnonce). */
struct plt_expect fix_expect(const struct fixture *f);
/* Signs a Sign1 built from raw pieces: tag (< 0: none), protected bstr
 * contents, unprotected map item, payload contents. Returns the length. */
size_t fix_sign1(const struct fixture *f, int64_t tag, const uint8_t *prot, size_t plen,
                 const uint8_t *unprot, size_t ulen, const uint8_t *payload, size_t paylen,
                 uint8_t *out, size_t cap);
/* The claims payload of a token issued by fix_issue. */
size_t fix_payload(const struct fixture *f, uint8_t *out, size_t cap);

/* Hex to bytes ("-" is empty); returns the length, aborts the test on bad hex. */
size_t fix_unhex(const char *hex, uint8_t *out, size_t cap);
/* Reads tests/vectors/<name> (PITLANE_SOURCE_DIR) into a malloc'd NUL-terminated string. */
char *fix_read_vector(const char *name);
/* Splits the next line of a TSV into at most n fields (modifies text); returns the
 * number of fields, 0 at the end. *pos tracks the position. */
size_t fix_tsv_next(char *text, size_t *pos, char **fields, size_t n);

#endif
