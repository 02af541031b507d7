/* The token-failure -> NRC table (vehicle/ecu_nrc.c), checked code by code. */
#include <criterion/criterion.h>
#include <string.h>

#include "ecu_nrc.h"
#include "pitlane/token.h"
#include "uds.h"

Test(ecu_nrc, REQ_ECU_034_token_failures_map_to_the_documented_nrcs)
{
	static const struct {
		int err;
		uint8_t nrc;
	} want[] = {
		{ PLT_E_CHALLENGE_EXPIRED, 0x50 }, { PLT_E_EXPIRED, 0x50 },
		{ PLT_E_NOT_YET_VALID, 0x50 },     { PLT_E_BAD_SIGNATURE, 0x51 },
		{ PLT_E_SIG_LENGTH, 0x51 },        { PLT_E_KID_UNKNOWN, 0x52 },
		{ PLT_E_NO_TRUST, 0x52 },          { PLT_E_UNTAGGED, 0x53 },
		{ PLT_E_WRONG_TAG, 0x53 },         { PLT_E_NOT_SIGN1, 0x53 },
		{ PLT_E_ALG_MISSING, 0x53 },       { PLT_E_ALG_UNPROTECTED, 0x53 },
		{ PLT_E_ALG_MAC, 0x53 },           { PLT_E_ALG_UNSUPPORTED, 0x53 },
		{ PLT_E_TRUNCATED, 0x54 },         { PLT_E_TRAILING, 0x54 },
		{ PLT_E_CBOR_INDEFINITE, 0x54 },   { PLT_E_CBOR_DUPKEY, 0x54 },
		{ PLT_E_TOO_LONG, 0x54 },          { PLT_E_CRIT, 0x54 },
		{ PLT_E_CLAIM_MISSING, 0x54 },     { PLT_E_BAD_VIN, 0x54 },
		{ PLT_E_WRONG_VIN, 0x55 },         { PLT_E_WRONG_CNONCE, 0x55 },
		{ PLT_E_WRONG_OP, 0x56 },          { PLT_E_CRYPTO, 0x10 },
		{ PLT_E_INVAL, 0x10 },             { -12345, 0x10 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(ecu_nrc_for_token_error(want[i].err), want[i].nrc,
			     "%s -> 0x%02X, want 0x%02X", plt_errname(want[i].err),
			     ecu_nrc_for_token_error(want[i].err), want[i].nrc);
}

Test(ecu_nrc, REQ_ECU_034_every_token_error_code_lands_in_the_auth_nrc_range)
{
	/* Every code lib/token can return from plt_verify, except binding and
	 * argument failures, answers with an authentication NRC 0x50..0x56. */
	for (int err = -1; err >= -99; err--) {
		const char *name = plt_errname(err);
		if (strcmp(name, "unknown") == 0 || err == PLT_E_INVAL || err == PLT_E_NOSPACE ||
		    err == PLT_E_CRYPTO || err == PLT_E_BADKEY)
			continue;
		uint8_t nrc = ecu_nrc_for_token_error(err);
		cr_expect(nrc >= 0x50 && nrc <= 0x56, "%s (%d) -> 0x%02X", name, err, nrc);
	}
}

Test(ecu_nrc, REQ_TOK_220_a_missing_or_doubled_signer_answers_as_a_bad_signature)
{
	static const int sig[] = { PLT_E_SIGNATURE_MISSING, PLT_E_DUPLICATE_SIGNER,
				   PLT_E_TOO_MANY_SIGNATURES, PLT_E_NO_SIGNATURES,
				   PLT_E_NO_THRESHOLD };

	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		cr_expect_eq(ecu_nrc_for_token_error(sig[i]),
			     ecu_nrc_for_token_error(PLT_E_BAD_SIGNATURE), "%s",
			     plt_errname(sig[i]));
	cr_expect_eq(ecu_nrc_for_token_error(PLT_E_NOT_SIGN), 0x53);
	cr_expect_eq(ecu_nrc_for_token_error(PLT_E_BODY_PROTECTED), 0x54);
}
