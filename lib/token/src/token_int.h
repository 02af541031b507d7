/* lib/token internals shared between its files (never exported). */
#ifndef PITLANE_TOKEN_INT_H
#define PITLANE_TOKEN_INT_H

#include "pitlane/token.h"

#if defined(__GNUC__)
#define PLT_HIDDEN __attribute__((visibility("hidden")))
/* Keeps a helper's locals out of its caller's frame (stack depth on ECUs). */
#define PLT_NOINLINE __attribute__((noinline))
#else
#define PLT_HIDDEN
#define PLT_NOINLINE
#endif

/* COSE header labels and algorithms used here (RFC 9052/9053). */
#define COSE_HDR_ALG 1
#define COSE_HDR_CRIT 2
#define COSE_HDR_KID 4
#define COSE_ALG_ES256 (-7)
#define COSE_TAG_SIGN1 18
#define COSE_TAG_SIGN 98
/* A COSE_Signature's protected header {1: -7, 4: h'kid'} is 13 bytes. */
#define PLT_SIGN_PROT_LEN 13

/* Labels of one message's two header maps, for duplicate detection. */
#define PLT_HDR_MAX_LABELS 16
struct hdr_labels {
	struct plt_bytes lab[PLT_HDR_MAX_LABELS]; /* encoded label items */
	size_t n;
};

struct hdr_info {
	size_t count; /* entries in the map */
	int has_alg;
	int alg_is_int;
	int64_t alg;
	int has_kid;
	struct plt_bytes kid;
	int has_crit;
	int has_other; /* any label but alg, kid, crit */
};

/* Reads one header map (the map head included) into *h, adding its labels
 * to *labels. Fails with PLT_E_CBOR_DUPKEY on a label seen before. */
PLT_HIDDEN int plt__hdr_parse(struct plt_cbor_reader *r, struct hdr_info *h,
                              struct hdr_labels *labels);

/* Maps an algorithm that is not ES256 to its error (MAC or unsupported). */
PLT_HIDDEN int plt__alg_check(const struct hdr_info *h);

/* The Sig_structure ["Signature1", protected, external_aad, payload] as parts. */
struct sig_parts {
	uint8_t head[3][9];
	struct plt_iov iov[7];
};
PLT_HIDDEN void plt__sig_parts(struct sig_parts *sp, struct plt_bytes prot, struct plt_bytes aad,
                               struct plt_bytes payload);

/* The COSE_Sign Sig_structure ["Signature", body_protected, sign_protected,
 * external_aad, payload] as parts (RFC 9052 section 4.4). */
#define PLT_SIGN_PARTS 9
struct sign_parts {
	uint8_t head[4][9];
	struct plt_iov iov[PLT_SIGN_PARTS];
};
PLT_HIDDEN void plt__sign_parts(struct sign_parts *sp, struct plt_bytes body_prot,
                                struct plt_bytes sign_prot, struct plt_bytes aad,
                                struct plt_bytes payload);

/* Decoding pieces shared by COSE_Sign1 and COSE_Sign (decode.c). */
/* A protected bstr holding exactly one header map; *err_off on failure. */
PLT_HIDDEN int plt__dec_protected(struct plt_cbor_reader *r, struct plt_bytes *prot,
                                  struct hdr_info *h, struct hdr_labels *labels, size_t *err_off);
/* An unprotected map; a non-map is layout_err. */
PLT_HIDDEN int plt__dec_unprotected(struct plt_cbor_reader *r, struct hdr_info *u,
                                    struct hdr_labels *labels, int layout_err);
/* The profile over one signer's two header maps ({1: -7, 4: kid(8)}, {}). */
PLT_HIDDEN int plt__check_headers(const struct hdr_info *p, const struct hdr_info *u);
/* The payload bstr (nil: detached; other types: layout_err). */
PLT_HIDDEN int plt__dec_payload(struct plt_cbor_reader *r, struct plt_bytes *payload,
                                int layout_err);

/* plt_decode into *t directly (t zeroed by the caller; partly written on
 * failure): for callers that hold the token anyway (plt_verify_signers). */
PLT_HIDDEN int plt__decode(const uint8_t *tok, size_t len, struct plt_token *t, size_t *err_off);

/* decode_sign.c: one COSE_Signature in the profile; *err_off on failure. */
PLT_HIDDEN int plt__dec_signer(struct plt_cbor_reader *r, struct plt_signer *s, size_t *err_off);
/* decode_sign.c: the rest of a COSE_Sign after its array head. */
PLT_HIDDEN int plt__dec_sign(struct plt_cbor_reader *r, struct plt_token *t, size_t *err_off);

/* Parses and checks the CWT claims map that fills payload. *off gets the
 * offset inside payload on failure. */
PLT_HIDDEN int plt__claims_parse(struct plt_bytes payload, struct plt_claims *c, size_t *off);

/* Fails the reader at offset off with err (sticky) and returns err. */
PLT_HIDDEN int plt__fail_at(struct plt_cbor_reader *r, size_t off, int err);

#endif
