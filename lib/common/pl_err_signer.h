/* Error codes of the signer area (-400 .. -449). Append-only; see pl_err.h. Owner: broker/signer. */
#ifndef PITLANE_ERR_SIGNER_H
#define PITLANE_ERR_SIGNER_H

enum pl_err_signer {
	PL_E_SIGNER_FIRST = -400,         /* reserved: marks the start of the range */
	PL_E_SIGNER_URI = -401,           /* key URI malformed or with unknown attributes */
	PL_E_SIGNER_MODULE = -402,        /* PKCS#11 module could not be loaded/initialised */
	PL_E_SIGNER_TOKEN_NOT_FOUND = -403, /* no token matches the URI */
	PL_E_SIGNER_KEY_NOT_FOUND = -404, /* no private key matches (or not logged in) */
	PL_E_SIGNER_KEY_AMBIGUOUS = -405, /* more than one key matches */
	PL_E_SIGNER_PIN_INCORRECT = -406, /* the token refused the PIN */
	PL_E_SIGNER_PIN_LOCKED = -407,    /* the PIN is locked */
	PL_E_SIGNER_LOGIN = -408,         /* C_Login failed otherwise */
	PL_E_SIGNER_KEY_TYPE = -409,      /* key is not EC P-256 or has no public key */
	PL_E_SIGNER_UNAVAILABLE = -410,   /* HSM unavailable (fault; recovering) */
	PL_E_SIGNER_KEY_CHANGED = -411,   /* public key differs after re-initialisation */
	PL_E_SIGNER_OP_UNKNOWN = -412,    /* operation not in the signer's limits */
	PL_E_SIGNER_TTL = -413,           /* ttl is 0 or above the operation's max */
	PL_E_SIGNER_EXI = -414,           /* exi is 0 or above the maximum */
	PL_E_SIGNER_VIN = -415,           /* VIN malformed */
	PL_E_SIGNER_CNONCE = -416,        /* cnonce length outside 16..32 */
	PL_E_SIGNER_FIELD = -417,         /* a text field is unterminated, empty or bad */
	PL_E_SIGNER_SELF_VERIFY = -418,   /* own signature did not verify; token withheld */
	PL_E_SIGNER_LIMITS = -419,        /* the hard limits table is invalid */
	PL_E_SIGNER_HSM = -420,           /* a PKCS#11 call failed (not a device fault) */
	PL_E_SIGNER_IAT = -421,           /* iat not positive or exp overflows */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_signer_text(int err, int name);

#endif
