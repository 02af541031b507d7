/* lib/token internals shared between its files (never exported). */
#ifndef PITLANE_TOKEN_INT_H
#define PITLANE_TOKEN_INT_H

#include "pitlane/token.h"

#if defined(__GNUC__)
#define PLT_HIDDEN __attribute__((visibility("hidden")))
#else
#define PLT_HIDDEN
#endif

/* COSE header labels and algorithms used here (RFC 9052/9053). */
#define COSE_HDR_ALG 1
#define COSE_HDR_CRIT 2
#define COSE_HDR_KID 4
#define COSE_ALG_ES256 (-7)
#define COSE_TAG_SIGN1 18

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

/* Parses and checks the CWT claims map that fills payload. *off gets the
 * offset inside payload on failure. */
PLT_HIDDEN int plt__claims_parse(struct plt_bytes payload, struct plt_claims *c, size_t *off);

/* Fails the reader at offset off with err (sticky) and returns err. */
PLT_HIDDEN int plt__fail_at(struct plt_cbor_reader *r, size_t off, int err);

#endif
