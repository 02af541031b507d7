/*
 * libpitlane-token error codes: -1 .. -99, append-only (never renumber).
 * plt_errname() gives the stable name in brackets, plt_strerror() a sentence.
 */
#ifndef PITLANE_TOKEN_ERR_H
#define PITLANE_TOKEN_ERR_H

enum plt_err {
	PLT_E_INVAL = -1,                /* [inval] invalid argument (a programming error) */
	PLT_E_NOSPACE = -2,              /* [nospace] output buffer too small */
	PLT_E_TRUNCATED = -3,            /* [truncated] input ended inside an item */
	PLT_E_TRAILING = -4,             /* [trailing] bytes after the end of the token */
	PLT_E_CBOR_RESERVED = -5,        /* [cbor_reserved] reserved additional-info value 28..30 */
	PLT_E_CBOR_INDEFINITE = -6,      /* [cbor_indefinite] indefinite length or break byte */
	PLT_E_CBOR_NONMINIMAL = -7,      /* [cbor_nonminimal] integer/length not in shortest form */
	PLT_E_CBOR_TYPE = -8,            /* [cbor_type] item has an unexpected major type */
	PLT_E_CBOR_UTF8 = -9,            /* [cbor_utf8] text string is not valid UTF-8 */
	PLT_E_CBOR_DEPTH = -10,          /* [cbor_depth] nesting deeper than PLT_CBOR_MAX_DEPTH */
	PLT_E_CBOR_RANGE = -11,          /* [cbor_range] integer does not fit the target type */
	PLT_E_CBOR_DUPKEY = -12,         /* [duplicate_key] the same map key appears twice */
	PLT_E_CBOR_SIMPLE = -13,         /* [cbor_simple] float or unsupported simple value */
	PLT_E_TOO_LONG = -14,            /* [too_long] token longer than PLT_TOKEN_MAX */
	PLT_E_UNTAGGED = -15,            /* [untagged] COSE_Sign1 without tag 18 */
	PLT_E_WRONG_TAG = -16,           /* [wrong_tag] a tag other than 18 (or 98) */
	PLT_E_NOT_SIGN1 = -17,           /* [not_sign1] not an array of 4 with the Sign1 types */
	PLT_E_ALG_MISSING = -18,         /* [alg_missing] no alg header */
	PLT_E_ALG_UNPROTECTED = -19,     /* [alg_unprotected] alg only in the unprotected map */
	PLT_E_ALG_MAC = -20,             /* [alg_mac] a MAC algorithm (HS256...) in a signature */
	PLT_E_ALG_UNSUPPORTED = -21,     /* [alg_unsupported] an algorithm other than ES256 */
	PLT_E_KID_MISSING = -22,         /* [kid_missing] no kid header */
	PLT_E_KID_UNPROTECTED = -23,     /* [kid_unprotected] kid only in the unprotected map */
	PLT_E_KID_FORMAT = -24,          /* [kid_format] kid is not an 8-byte bstr */
	PLT_E_KID_UNKNOWN = -25,         /* [kid_unknown] kid not in the trust store */
	PLT_E_CRIT = -26,                /* [crit] critical header parameters present */
	PLT_E_HDR_UNKNOWN = -27,         /* [header_unknown] header other than alg/kid in a token */
	PLT_E_UNPROTECTED = -28,         /* [unprotected_not_empty] token has unprotected headers */
	PLT_E_HDR_FORMAT = -29,          /* [header_format] protected is not a bstr holding a map */
	PLT_E_PAYLOAD_DETACHED = -30,    /* [payload_detached] payload is nil */
	PLT_E_SIG_LENGTH = -31,          /* [sig_length] signature not exactly 64 bytes */
	PLT_E_BAD_SIGNATURE = -32,       /* [bad_signature] signature does not verify */
	PLT_E_CLAIM_MISSING = -33,       /* [claim_missing] a required claim is absent */
	PLT_E_CLAIM_TYPE = -34,          /* [claim_type] a claim has the wrong type or size */
	PLT_E_CLAIM_UNKNOWN = -35,       /* [claim_unknown] an unknown claim key */
	PLT_E_BAD_VIN = -36,             /* [bad_vin] aud is not a valid 17-character VIN */
	PLT_E_WRONG_VIN = -37,           /* [wrong_vin] token is for another vehicle */
	PLT_E_WRONG_OP = -38,            /* [wrong_op] token is for another operation */
	PLT_E_WRONG_CNONCE = -39,        /* [wrong_cnonce] token answers another challenge */
	PLT_E_CHALLENGE_EXPIRED = -40,   /* [challenge_expired] age since challenge > exi */
	PLT_E_EXPIRED = -41,             /* [expired] now > exp + skew */
	PLT_E_NOT_YET_VALID = -42,       /* [not_yet_valid] iat > now + skew */
	PLT_E_CRYPTO = -43,              /* [crypto] the crypto binding failed */
	PLT_E_BADKEY = -44,              /* [badkey] key is not a usable P-256 key */
	PLT_E_CLAIM_VALUE = -45,         /* [claim_value] claim values contradict (exp <= iat) */
	PLT_E_NO_TRUST = -46,            /* [no_trust] empty trust store */
	PLT_E_DUPLICATE_SIGNER = -47,    /* [duplicate_signer] one kid signs a COSE_Sign twice */
	PLT_E_SIGNATURE_MISSING = -48,   /* [signature_missing] a role's threshold is not met */
	PLT_E_TOO_MANY_SIGNATURES = -49, /* [too_many_signatures] more than PLT_SIGNERS_MAX */
	PLT_E_NO_SIGNATURES = -50,  /* [no_signatures] COSE_Sign with an empty signatures array */
	PLT_E_NOT_SIGN = -51,       /* [not_sign] not a COSE_Sign / COSE_Signature layout */
	PLT_E_BODY_PROTECTED = -52, /* [body_protected] COSE_Sign body protected is not h'' */
	PLT_E_NO_THRESHOLD = -53,   /* [no_threshold] no signer threshold for the operation */
};

#endif
