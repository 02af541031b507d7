/* The lib/token error table: a stable name and one sentence per code. */
#include "pitlane/token.h"

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
    {PLT_OK, "ok", "success"},
    {PLT_E_INVAL, "inval", "invalid argument passed to lib/token"},
    {PLT_E_NOSPACE, "nospace", "output buffer too small"},
    {PLT_E_TRUNCATED, "truncated", "input ended in the middle of a CBOR item"},
    {PLT_E_TRAILING, "trailing", "unexpected bytes after the end of the token"},
    {PLT_E_CBOR_RESERVED, "cbor_reserved",
     "CBOR item uses a reserved additional-information value (28..30)"},
    {PLT_E_CBOR_INDEFINITE, "cbor_indefinite",
     "CBOR indefinite length or break byte (only definite lengths are allowed)"},
    {PLT_E_CBOR_NONMINIMAL, "cbor_nonminimal",
     "CBOR integer or length not encoded in its shortest form"},
    {PLT_E_CBOR_TYPE, "cbor_type", "CBOR item has an unexpected type"},
    {PLT_E_CBOR_UTF8, "cbor_utf8", "CBOR text string is not valid UTF-8"},
    {PLT_E_CBOR_DEPTH, "cbor_depth", "CBOR nesting is deeper than 16 levels"},
    {PLT_E_CBOR_RANGE, "cbor_range", "CBOR integer does not fit the expected range"},
    {PLT_E_CBOR_DUPKEY, "duplicate_key", "the same map key appears twice"},
    {PLT_E_CBOR_SIMPLE, "cbor_simple", "CBOR float or unsupported simple value"},
    {PLT_E_TOO_LONG, "too_long", "token is longer than 512 bytes"},
    {PLT_E_UNTAGGED, "untagged", "COSE_Sign1 without tag 18 (tokens must be tagged)"},
    {PLT_E_WRONG_TAG, "wrong_tag",
     "CBOR tag is not 18 (COSE_Sign1) or 98 (COSE_Sign), or does not match the layout"},
    {PLT_E_NOT_SIGN1, "not_sign1",
     "not a COSE_Sign1 (an array of protected bstr, unprotected map, payload, signature)"},
    {PLT_E_ALG_MISSING, "alg_missing", "no algorithm (label 1) in the headers"},
    {PLT_E_ALG_UNPROTECTED, "alg_unprotected",
     "algorithm is only in the unprotected header (it must be protected)"},
    {PLT_E_ALG_MAC, "alg_mac", "a MAC algorithm (HS256...) is not a signature algorithm"},
    {PLT_E_ALG_UNSUPPORTED, "alg_unsupported", "algorithm is not ES256 (-7)"},
    {PLT_E_KID_MISSING, "kid_missing", "no key id (label 4) in the protected header"},
    {PLT_E_KID_UNPROTECTED, "kid_unprotected",
     "key id is only in the unprotected header (it must be protected)"},
    {PLT_E_KID_FORMAT, "kid_format", "key id is not an 8-byte byte string"},
    {PLT_E_KID_UNKNOWN, "kid_unknown", "key id is not in the trust store"},
    {PLT_E_CRIT, "crit", "critical header parameters (label 2) are not supported"},
    {PLT_E_HDR_UNKNOWN, "header_unknown",
     "protected header holds a label other than alg (1) and kid (4)"},
    {PLT_E_UNPROTECTED, "unprotected_not_empty", "unprotected header of a token must be empty"},
    {PLT_E_HDR_FORMAT, "header_format", "protected header is not a byte string holding one map"},
    {PLT_E_PAYLOAD_DETACHED, "payload_detached",
     "payload is nil (detached payloads are not supported)"},
    {PLT_E_SIG_LENGTH, "sig_length", "signature is not exactly 64 bytes (ES256 r||s)"},
    {PLT_E_BAD_SIGNATURE, "bad_signature", "signature does not verify with the trusted key"},
    {PLT_E_CLAIM_MISSING, "claim_missing", "a required claim is missing"},
    {PLT_E_CLAIM_TYPE, "claim_type", "a claim has the wrong type or size"},
    {PLT_E_CLAIM_UNKNOWN, "claim_unknown", "the token holds an unknown claim"},
    {PLT_E_BAD_VIN, "bad_vin", "aud is not a 17-character VIN (ISO 3779, no I, O, Q)"},
    {PLT_E_WRONG_VIN, "wrong_vin", "token was issued for another vehicle (aud is not this VIN)"},
    {PLT_E_WRONG_OP, "wrong_op", "token was issued for another operation (scope)"},
    {PLT_E_WRONG_CNONCE, "wrong_cnonce", "token answers another challenge (cnonce)"},
    {PLT_E_CHALLENGE_EXPIRED, "challenge_expired",
     "challenge is older than the token allows (age > exi)"},
    {PLT_E_EXPIRED, "expired", "token has expired (exp is in the past, beyond the skew)"},
    {PLT_E_NOT_YET_VALID, "not_yet_valid",
     "token is not yet valid (iat is in the future, beyond the skew)"},
    {PLT_E_CRYPTO, "crypto", "the crypto binding failed"},
    {PLT_E_BADKEY, "badkey", "key is not a usable P-256 key"},
    {PLT_E_CLAIM_VALUE, "claim_value", "claim values contradict each other (exp <= iat)"},
    {PLT_E_NO_TRUST, "no_trust", "the trust store is empty"},
    {PLT_E_DUPLICATE_SIGNER, "duplicate_signer",
     "the same key (kid) signed the token twice; each signer counts once"},
    {PLT_E_SIGNATURE_MISSING, "signature_missing",
     "a signature this verifier requires for the operation is missing (signer role threshold "
     "not met)"},
    {PLT_E_TOO_MANY_SIGNATURES, "too_many_signatures",
     "more signatures than a token may carry (at most 4)"},
    {PLT_E_NO_SIGNATURES, "no_signatures", "COSE_Sign token without any signature"},
    {PLT_E_NOT_SIGN, "not_sign",
     "not a COSE_Sign (an array of protected, unprotected, payload, signatures) or a "
     "signature is not a COSE_Signature (protected, unprotected, signature)"},
    {PLT_E_BODY_PROTECTED, "body_protected",
     "COSE_Sign body protected header must be the empty byte string"},
    {PLT_E_NO_THRESHOLD, "no_threshold",
     "the verifier's configuration names no signer threshold for this operation"},
};

static const struct err_entry *err_find(int err)
{
	size_t i;

	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *plt_strerror(int err)
{
	const struct err_entry *e = err_find(err);

	return e != NULL ? e->text : "unknown lib/token error";
}

const char *plt_errname(int err)
{
	const struct err_entry *e = err_find(err);

	return e != NULL ? e->name : "unknown";
}
