/*
 * libpitlane-token — pitlane capability tokens (CWT in a tagged COSE_Sign1 or,
 * for several signers, COSE_Sign; ES256).
 *
 * The portable token library for ECUs and for the broker. C99, no heap, no
 * recursion, no stdio, no errno: every buffer is the caller's, every function
 * returns 0 or a negative PLT_E_* code. Signature verification and signing go
 * through small hooks (struct plt_crypto, plt_sign_fn) so an ECU plugs in its
 * HSM; lib/token/openssl provides the host binding.
 *
 * The format is normative in schema/token.cddl and docs/token.md.
 * All exported symbols start with "plt_" (see lib/token/libpitlane-token.map).
 */
#ifndef PITLANE_TOKEN_H
#define PITLANE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors (-1 .. -99; append-only) ---------------------------------- */
/* The list is in pitlane/token_err.h, the sentences in src/err.c; plt_strerror() names each. */
#define PLT_OK 0
/* The enum itself is in pitlane/token_err.h so this header stays readable. */
#include "pitlane/token_err.h"

const char *plt_strerror(int err); /* one sentence, never NULL */
const char *plt_errname(int err);  /* stable code string, e.g. "wrong_vin" */

/* ---- sizes and limits -------------------------------------------------- */
#define PLT_VIN_LEN 17
#define PLT_KID_LEN 8       /* first 8 bytes of SHA-256(SubjectPublicKeyInfo DER) */
#define PLT_P256_PUB_LEN 65 /* uncompressed point 04||X||Y */
#define PLT_SIG_LEN 64      /* ES256 signature r||s */
#define PLT_CTI_LEN 16
#define PLT_CNONCE_MIN 16
#define PLT_CNONCE_MAX 32
#define PLT_TOKEN_MAX 512   /* hard upper bound accepted by the decoder */
#define PLT_OP_MAX 32       /* operation names, e.g. "door.unlock" */
#define PLT_TEXT_MAX 64     /* iss, workshop, technician, work order */
#define PLT_CLOCK_SKEW_S 60 /* documented skew for iat/exp against a clock */

/* ---- byte and text views (point into caller memory; not NUL-terminated) */
struct plt_bytes {
	const uint8_t *ptr;
	size_t len;
};

/* ---- crypto hooks ------------------------------------------------------ */
/*
 * The message to verify or sign is handed over in pieces (the Sig_structure
 * is never materialised): hash the parts in order. An ECU binding feeds them
 * to its SHA-256 engine.
 */
struct plt_iov {
	const uint8_t *ptr;
	size_t len;
};

struct plt_crypto {
	/* ES256 verify over the concatenation of parts[0..nparts).
	 * Returns 0 when the signature is valid, nonzero otherwise. */
	int (*verify_es256)(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
	                    const struct plt_iov *parts, size_t nparts,
	                    const uint8_t sig[PLT_SIG_LEN]);
	void *ctx;
};

/* Signs the concatenation of parts with ES256, writing r||s.
 * Returns 0 on success or a negative code (passed through by the encoder). */
typedef int (*plt_sign_fn)(void *ctx, const struct plt_iov *parts, size_t nparts,
                           uint8_t sig[PLT_SIG_LEN]);

/* ---- trust store (caller-owned) --------------------------------------- */
/*
 * Signer roles of the trust anchors. The zero value is the broker: a
 * zero-initialised anchor (memset, = {0}, static, plt_openssl_anchor_from_pem)
 * is a broker key, so anchors filled before roles existed keep their meaning.
 * Initialise every anchor: plt_verify wants a valid signature by a key of role
 * PLT_ROLE_BROKER, and a role outside PLT_ROLE_* counts for nothing.
 */
#define PLT_ROLE_BROKER 0   /* the broker's token-signing key */
#define PLT_ROLE_COSIGNER 1 /* an independent co-signer's key */
#define PLT_ROLE_COUNT 2

struct plt_trust_anchor {
	uint8_t kid[PLT_KID_LEN];
	uint8_t pub[PLT_P256_PUB_LEN];
	uint8_t role; /* PLT_ROLE_*, 0 = broker; anything else is never counted */
};

struct plt_trust_store {
	const struct plt_trust_anchor *anchors;
	size_t count;
};

/* ---- claims ------------------------------------------------------------ */
/* Bits of struct plt_claims.present */
#define PLT_HAS_ISS (1u << 0)
#define PLT_HAS_AUD (1u << 1)
#define PLT_HAS_EXP (1u << 2)
#define PLT_HAS_IAT (1u << 3)
#define PLT_HAS_CTI (1u << 4)
#define PLT_HAS_SCOPE (1u << 5)
#define PLT_HAS_CNONCE (1u << 6)
#define PLT_HAS_EXI (1u << 7)
#define PLT_HAS_WORKSHOP (1u << 8)
#define PLT_HAS_TECHNICIAN (1u << 9)
#define PLT_HAS_WORK_ORDER (1u << 10)
#define PLT_HAS_POLICY_VER (1u << 11)

struct plt_claims {
	unsigned present;
	struct plt_bytes iss; /* tstr */
	struct plt_bytes aud; /* tstr: the VIN */
	int64_t exp;
	int64_t iat;
	struct plt_bytes cti;        /* bstr, 16 bytes */
	struct plt_bytes scope;      /* tstr: operation name */
	struct plt_bytes cnonce;     /* bstr, 16..32 bytes */
	uint32_t exi;                /* seconds, counted from the challenge */
	struct plt_bytes workshop;   /* tstr, private claim */
	struct plt_bytes technician; /* tstr, private claim (pseudonymous id) */
	struct plt_bytes work_order; /* tstr, private claim */
	uint32_t policy_version;     /* private claim */
};

/* ---- COSE_Sign (tag 98): several signers -------------------------------- */
#define PLT_SIGNERS_MAX 4 /* signatures a COSE_Sign token may carry */
/* One COSE_Signature [h'A2 01 26 04 48 kid', {}, h'r||s']: 82 bytes. */
#define PLT_COSIGNATURE_LEN 82
#define PLT_TAG_SIGN1 18
#define PLT_TAG_SIGN 98

/* One signature of a token: views into the caller's token buffer. */
struct plt_signer {
	struct plt_bytes kid;           /* 8 bytes, from its protected header */
	struct plt_bytes protected_hdr; /* its protected bstr contents */
	struct plt_bytes signature;     /* 64 bytes */
	size_t off;                     /* the COSE_Signature item in the token */
	size_t len;
};

/* A decoded token: views into the caller's token buffer. */
struct plt_token {
	int64_t alg;                    /* from the protected header */
	struct plt_bytes kid;           /* from the protected header (COSE_Sign: signer 0) */
	struct plt_bytes protected_hdr; /* the protected bstr contents (COSE_Sign: signer 0) */
	struct plt_bytes payload;       /* the payload bstr contents */
	struct plt_bytes signature;     /* 64 bytes (COSE_Sign: signer 0) */
	struct plt_claims claims;
	unsigned tag;    /* PLT_TAG_SIGN1 or PLT_TAG_SIGN */
	size_t nsigners; /* 1 for COSE_Sign1, 1..PLT_SIGNERS_MAX for COSE_Sign */
	/* COSE_Sign1: signers[0] is the one signature (off/len: the token). */
	struct plt_signer signers[PLT_SIGNERS_MAX];
};

/* ---- encoder (broker side) -------------------------------------------- */
/*
 * Builds a tagged COSE_Sign1 {1:-7, 4:kid} over the CWT claims in *c and has
 * it signed by sign(). Requires: iss, aud (valid VIN), exp, iat, cti (16 bytes),
 * scope, cnonce (16..32), exi. Writes at most cap bytes to out; *out_len gets
 * the length. Returns 0, PLT_E_NOSPACE, a claim error, or sign()'s code.
 */
int plt_encode(const struct plt_claims *c, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
               void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len);

/*
 * The same token as a tagged COSE_Sign (tag 98) with one signature by kid:
 * 98([h'', {}, payload, [[h'A2 01 26 04 48 kid', {}, sig]]]). Co-signatures
 * are added with plt_sign_append(). Same requirements and codes as plt_encode,
 * and PLT_E_TOO_LONG when the claims leave no room for one co-signature
 * (PLT_COSIGNATURE_LEN bytes) under PLT_TOKEN_MAX.
 */
int plt_encode_sign(const struct plt_claims *c, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
                    void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len);

/*
 * A co-signer's side: decodes tok (COSE_Sign or COSE_Sign1, strict profile,
 * no signature check) and writes ONE COSE_Signature (PLT_COSIGNATURE_LEN
 * bytes) by kid over its payload, as a COSE_Sign signer signs it:
 * ["Signature", h'', h'A2 01 26 04 48 kid', h'', payload]. Refuses a kid
 * that already signed tok (PLT_E_DUPLICATE_SIGNER). The caller checks the
 * claims before it calls this.
 */
int plt_cosign(const uint8_t *tok, size_t len, const uint8_t kid[PLT_KID_LEN], plt_sign_fn sign,
               void *sign_ctx, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Appends the COSE_Signature sig (as plt_cosign writes it) to the COSE_Sign
 * token tok, writing the new token to out (which must not overlap tok).
 * Refuses a signature that is not in the profile, a kid already present
 * (PLT_E_DUPLICATE_SIGNER), a fifth signature (PLT_E_TOO_MANY_SIGNATURES)
 * and a result over PLT_TOKEN_MAX. Checks no signature (the verifier does).
 */
int plt_sign_append(const uint8_t *tok, size_t len, const uint8_t *sig, size_t sig_len,
                    uint8_t *out, size_t cap, size_t *out_len);

/* ---- decoder / verifier (ECU side) ------------------------------------ */
/*
 * Strict pitlane profile decode without signature check (for inspection and
 * as the first step of plt_verify): a tagged COSE_Sign1 (18) or COSE_Sign
 * (98, 1..4 signatures, no kid twice). On failure *err_off (if not NULL)
 * gets the byte offset where decoding stopped.
 */
int plt_decode(const uint8_t *tok, size_t len, struct plt_token *out, size_t *err_off);

struct plt_expect {
	const char *vin;       /* NUL-terminated, 17 chars; NULL = don't check */
	const char *op;        /* NUL-terminated; NULL = don't check */
	const uint8_t *cnonce; /* the outstanding challenge; NULL = don't check */
	size_t cnonce_len;
	int64_t age_s;  /* seconds since the challenge; <0 = don't check */
	int have_clock; /* nonzero: check iat/exp against now (with skew) */
	int64_t now;    /* UNIX seconds */
};

/*
 * The whole ECU check: strict decode, kid in trust store, ES256 signature,
 * then aud == vin, scope == op, cnonce == challenge (constant time),
 * age <= exi, and iat/exp against now when have_clock. Each failure has its
 * own code. *out (if not NULL) gets the decoded token on success and on
 * failures after decoding. It is plt_verify_signers with th NULL: every
 * signature (one for COSE_Sign1, 1..4 for COSE_Sign) trusted and valid, and
 * at least one of them by a key of role PLT_ROLE_BROKER (else
 * PLT_E_SIGNATURE_MISSING), whatever the operation: a token signed only by
 * co-signer keys is refused even when the store trusts them. A verifier that
 * needs co-signatures for some operations uses plt_verify_signers.
 */
int plt_verify(const uint8_t *tok, size_t len, const struct plt_trust_store *trust,
               const struct plt_crypto *crypto, const struct plt_expect *expect,
               struct plt_token *out);

/*
 * Signer thresholds: the verifier's (the ECU's) own configuration, never the
 * token's. A row says, for one operation, how many signatures each role needs
 * (k of that role's trusted keys); op NULL is the row for every operation no
 * other row names. A row needing no signature at all is PLT_E_INVAL.
 */
struct plt_threshold {
	const char *op; /* NUL-terminated operation (scope); NULL = any other */
	uint8_t need[PLT_ROLE_COUNT];
};

struct plt_thresholds {
	const struct plt_threshold *rows;
	size_t count;
};

/*
 * plt_verify for tokens with several signers: strict decode; every signature
 * must name a trusted kid (PLT_E_KID_UNKNOWN) and verify (PLT_E_BAD_SIGNATURE);
 * no kid twice (PLT_E_DUPLICATE_SIGNER); 1..4 signatures; then the row of the
 * token's scope (PLT_E_NO_THRESHOLD when none applies) must be met by the
 * valid signatures per role of their anchors (PLT_E_SIGNATURE_MISSING); then
 * the expectations as plt_verify. A valid extra signature by a trusted key is
 * accepted; signature order does not matter. th NULL: plt_verify's rule,
 * one broker signature for every operation.
 */
int plt_verify_signers(const uint8_t *tok, size_t len, const struct plt_trust_store *trust,
                       const struct plt_crypto *crypto, const struct plt_expect *expect,
                       const struct plt_thresholds *th, struct plt_token *out);

/*
 * Generic RFC 9052 COSE_Sign1 verification (tagged or untagged, any header
 * placement RFC 9052 allows) with an external AAD, ES256 only. For
 * interoperability tests; tokens use plt_verify.
 */
int plt_cose_sign1_verify(const uint8_t *msg, size_t len, const uint8_t *external_aad,
                          size_t aad_len, const uint8_t pub[PLT_P256_PUB_LEN],
                          const struct plt_crypto *crypto);

/* ---- helpers shared with every program -------------------------------- */
/* Nonzero when s[0..len) is a VIN: 17 chars of the ISO 3779 alphabet (no I, O, Q). */
int plt_vin_valid(const char *s, size_t len);
/* Constant-time equality of two byte strings of the same length (1 = equal). */
int plt_ct_equal(const void *a, const void *b, size_t len);
/* Wipes len bytes in a way the compiler cannot elide. */
void plt_wipe(void *p, size_t len);

/* ---- CBOR (the one strict codec in the tree; also used for the wire) --- */
/*
 * Definite lengths only, minimal encodings only, no floats, nesting by explicit
 * counts (no recursion). Errors are sticky: after the first error every call
 * is a no-op and the error is reported by finish / r->err.
 */
struct plt_cbor_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void plt_cbor_writer_init(struct plt_cbor_writer *w, uint8_t *buf, size_t cap);
void plt_cbor_put_uint(struct plt_cbor_writer *w, uint64_t v);
void plt_cbor_put_int(struct plt_cbor_writer *w, int64_t v);
void plt_cbor_put_bstr(struct plt_cbor_writer *w, const void *p, size_t len);
void plt_cbor_put_tstr(struct plt_cbor_writer *w, const char *p, size_t len);
void plt_cbor_put_cstr(struct plt_cbor_writer *w, const char *s); /* NUL-terminated */
void plt_cbor_put_array(struct plt_cbor_writer *w, size_t n);
void plt_cbor_put_map(struct plt_cbor_writer *w, size_t n);
void plt_cbor_put_tag(struct plt_cbor_writer *w, uint64_t tag);
void plt_cbor_put_bool(struct plt_cbor_writer *w, int v);
void plt_cbor_put_null(struct plt_cbor_writer *w);
void plt_cbor_put_raw(struct plt_cbor_writer *w, const void *p, size_t len); /* pre-encoded item */
/* Returns w->err (0 or PLT_E_NOSPACE); *len = bytes written. */
int plt_cbor_writer_finish(const struct plt_cbor_writer *w, size_t *len);

enum plt_cbor_type {
	PLT_CBOR_UINT = 0,
	PLT_CBOR_NINT = 1,
	PLT_CBOR_BSTR = 2,
	PLT_CBOR_TSTR = 3,
	PLT_CBOR_ARRAY = 4,
	PLT_CBOR_MAP = 5,
	PLT_CBOR_TAG = 6,
	PLT_CBOR_SIMPLE = 7,
};

struct plt_cbor_reader {
	const uint8_t *buf;
	size_t len;
	size_t off; /* next byte to read; on error, where the bad item starts */
	int err;
};

void plt_cbor_reader_init(struct plt_cbor_reader *r, const uint8_t *buf, size_t len);
/* Type of the next item, or a negative code (end of input, reserved bits). */
int plt_cbor_peek(const struct plt_cbor_reader *r);
int plt_cbor_get_uint(struct plt_cbor_reader *r, uint64_t *v);
int plt_cbor_get_int(struct plt_cbor_reader *r, int64_t *v); /* major 0 or 1 */
int plt_cbor_get_bstr(struct plt_cbor_reader *r, struct plt_bytes *v);
int plt_cbor_get_tstr(struct plt_cbor_reader *r, struct plt_bytes *v); /* valid UTF-8 */
int plt_cbor_get_array(struct plt_cbor_reader *r, size_t *n);
int plt_cbor_get_map(struct plt_cbor_reader *r, size_t *n);
int plt_cbor_get_tag(struct plt_cbor_reader *r, uint64_t *tag);
int plt_cbor_get_bool(struct plt_cbor_reader *r, int *v);
int plt_cbor_get_null(struct plt_cbor_reader *r);
/* Skips one whole item (iteratively, nesting limited to PLT_CBOR_MAX_DEPTH). */
#define PLT_CBOR_MAX_DEPTH 16
int plt_cbor_skip(struct plt_cbor_reader *r);
/* 0 when every byte was consumed, PLT_E_TRAILING otherwise. */
int plt_cbor_end(const struct plt_cbor_reader *r);

#ifdef __cplusplus
}
#endif
#endif
