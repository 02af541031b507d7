/* Error table of the signer area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_signer.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_SIGNER_FIRST, "signer_first", "reserved signer error code" },
	{ PL_E_SIGNER_URI, "signer_uri",
	  "the PKCS#11 key URI is malformed or has an unknown attribute (RFC 7512)" },
	{ PL_E_SIGNER_MODULE, "signer_module",
	  "the PKCS#11 module could not be loaded or initialised" },
	{ PL_E_SIGNER_TOKEN_NOT_FOUND, "signer_token_not_found",
	  "no PKCS#11 token matches the key URI" },
	{ PL_E_SIGNER_KEY_NOT_FOUND, "signer_key_not_found",
	  "no private key matches the key URI (or the login did not happen)" },
	{ PL_E_SIGNER_KEY_AMBIGUOUS, "signer_key_ambiguous",
	  "more than one private key matches the key URI; add object= or id=" },
	{ PL_E_SIGNER_PIN_INCORRECT, "signer_pin_incorrect", "the token refused the PIN" },
	{ PL_E_SIGNER_PIN_LOCKED, "signer_pin_locked", "the token's user PIN is locked" },
	{ PL_E_SIGNER_LOGIN, "signer_login", "logging in to the token failed" },
	{ PL_E_SIGNER_KEY_TYPE, "signer_key_type",
	  "the signing key is not an EC P-256 key with a readable public key" },
	{ PL_E_SIGNER_UNAVAILABLE, "hsm_unavailable",
	  "the HSM is unavailable; the signer is re-initialising" },
	{ PL_E_SIGNER_KEY_CHANGED, "signer_key_changed",
	  "the token's public key changed; the signer refuses the new key" },
	{ PL_E_SIGNER_OP_UNKNOWN, "signer_op_unknown",
	  "the operation is not in the signer's hard limits" },
	{ PL_E_SIGNER_TTL, "signer_ttl",
	  "the token lifetime is zero or above the operation's maximum" },
	{ PL_E_SIGNER_EXI, "signer_exi", "the challenge lifetime is zero or above the maximum" },
	{ PL_E_SIGNER_VIN, "signer_vin", "the VIN is malformed" },
	{ PL_E_SIGNER_CNONCE, "signer_cnonce", "the challenge nonce is not 16..32 bytes" },
	{ PL_E_SIGNER_FIELD, "signer_field",
	  "a text field of the request is empty, unterminated or not printable" },
	{ PL_E_SIGNER_SELF_VERIFY, "signer_self_verify",
	  "the HSM's signature did not verify; the token was withheld" },
	{ PL_E_SIGNER_LIMITS, "signer_limits", "the signer's hard limits table is invalid" },
	{ PL_E_SIGNER_HSM, "signer_hsm", "a PKCS#11 call failed" },
	{ PL_E_SIGNER_IAT, "signer_iat", "the issue time is not positive or the expiry overflows" },
};

const char *pl_err_signer_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
