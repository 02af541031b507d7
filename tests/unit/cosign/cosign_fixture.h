/*
 * Real material for the co-signer's check tests: a dealer CA with its CRL,
 * technician certificates (the technician EKU), a device certificate, an
 * officer CA and an officer, a foreign CA, the broker's token key and a
 * rogue one -- all made with OpenSSL in a fresh temporary directory -- and
 * builders for technician requests, broker tokens, approvals and bodies,
 * signed for real. The checker opens a real SQLite file there.
 */
#ifndef PITLANE_TEST_COSIGN_FIXTURE_H
#define PITLANE_TEST_COSIGN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cosign_check.h"
#include "cosign_conf.h"
#include "pitlane/token.h"

#define FX_NOW 1800000000LL
#define FX_VIN "WVWZZZ1JZXW000001"
#define FX_VIN2 "WVWZZZ1JZXW000002"

/* A signer: certificate (DER) and key. */
struct fx_id {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t der[2048];
	size_t der_len;
};

enum fx_who {
	FX_ANNA,    /* technician, ws-muc-01 (the requester) */
	FX_BOB,     /* technician, ws-muc-01, approver of ignition.enable */
	FX_CARL,    /* technician, ws-muc-01, no approver */
	FX_DORA,    /* technician, ws-ber-02 */
	FX_REVOKED, /* technician, revoked by the CRL */
	FX_EXPIRED, /* technician, expired */
	FX_FOREIGN, /* technician EKU, issued by the foreign CA */
	FX_DEVICE,  /* a workshop PC's certificate: clientAuth, no technician EKU */
	FX_OLGA,    /* officer, under the officer CA */
	FX_WHO_COUNT,
};

struct fx {
	char dir[64];
	struct cosign_conf conf;
	struct fx_id id[FX_WHO_COUNT];
	EVP_PKEY *broker, *rogue;
	uint8_t broker_kid[PLT_KID_LEN], rogue_kid[PLT_KID_LEN];
	struct cosign_checker *c;
};

extern struct fx fx;

/* Creates the material and opens the checker (limits as given). */
void fx_setup_limits(const char *limits);
void fx_setup(void);
void fx_teardown(void);
/* Closes and opens the checker again on the same files (a restart). */
void fx_reopen(void);

/* A technician's request, as the agent builds it. */
struct fx_req {
	enum fx_who who;
	const char *vin, *op, *work_order;
	uint8_t cnonce[16];
	uint8_t nonce[16];
	int64_t iat;
	uint32_t ttl;        /* 0: absent */
	int bad_sig;         /* flip a bit of the signature */
	EVP_PKEY *sign_with; /* NULL: the certificate's own key */
};

/* Fresh defaults: anna, FX_VIN, op, fresh cnonce and nonce, iat FX_NOW. */
void fx_req_init(struct fx_req *q, const char *op);
size_t fx_request(const struct fx_req *q, uint8_t *out, size_t cap);

/* The broker's token for q (claims as the broker fills them), adjustable. */
struct fx_tok {
	const char *vin, *op, *technician, *workshop, *work_order;
	uint8_t cnonce[16];
	int64_t iat, exp;
	uint32_t exi;
	EVP_PKEY *key; /* the broker's by default */
	int sign1;     /* a COSE_Sign1 (tag 18) instead of COSE_Sign */
	int two_sigs;  /* add a second (valid) signature by the rogue key */
	int bad_sig;   /* flip a bit of the broker's signature */
	int omit_work_order;
};
void fx_tok_for(struct fx_tok *t, const struct fx_req *q, uint32_t ttl, uint32_t exi);
size_t fx_token(const struct fx_tok *t, uint8_t *out, size_t cap);

/* An approval decision over req[0..req_len) by who. */
struct fx_appr {
	enum fx_who who;
	const char *decision; /* "approve" */
	int64_t iat;
	int no_hash; /* leave key 21 out */
	int bad_sig;
	const uint8_t *req; /* the request whose hash key 21 carries */
	size_t req_len;
};
void fx_appr_init(struct fx_appr *a, enum fx_who who, const uint8_t *req, size_t req_len);
size_t fx_approval(const struct fx_appr *a, uint8_t *out, size_t cap);

/* The body {1: req, 2: tok, ?3: appr}. */
size_t fx_body(const uint8_t *req, size_t rlen, const uint8_t *tok, size_t tlen,
               const uint8_t *appr, size_t alen, uint8_t *out, size_t cap);

/* A whole valid body for op (with an approval by bob when appr_by >= 0). */
size_t fx_valid_body(const char *op, enum fx_who who, const char *vin, int appr_by, uint8_t *out,
                     size_t cap);

/* Rows in the audit table with decision d (NULL: all). */
long fx_rows(const char *decision);
/* The newest audit row's code, rule and decision. */
void fx_last_row(char *decision, char *code, char *rule, size_t cap);

#endif
