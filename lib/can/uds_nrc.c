/* The one NRC table: names and sentences for UDS negative response codes. */
#include <stddef.h>

#include "pl_err_can.h"
#include "uds.h"

static const struct {
	uint8_t nrc;
	const char *name;
	const char *text;
} table[] = {
    {0x10, "generalReject", "the ECU rejected the request without a specific reason"},
    {0x11, "serviceNotSupported", "the ECU does not support this service"},
    {0x12, "subFunctionNotSupported", "the ECU does not support this sub-function"},
    {0x13, "incorrectMessageLengthOrInvalidFormat",
     "the ECU says the request has the wrong length or format"},
    {0x14, "responseTooLong", "the answer would be too long for the transport"},
    {0x21, "busyRepeatRequest", "the ECU is busy: repeat the request later"},
    {0x22, "conditionsNotCorrect",
     "conditions not correct (e.g. not in the extended diagnostic session)"},
    {0x24, "requestSequenceError",
     "requests in the wrong order (e.g. a token sent without requesting a challenge first)"},
    {0x31, "requestOutOfRange", "unknown routine or data identifier, or a value out of range"},
    {0x33, "securityAccessDenied", "not allowed: the operation is outside the authenticated scope"},
    {0x34, "authenticationRequired", "authenticate first: this operation needs a token"},
    {0x35, "invalidKey", "the key sent to the ECU is wrong"},
    {0x36, "exceededNumberOfAttempts", "too many failed attempts: the ECU locked access"},
    {0x37, "requiredTimeDelayNotExpired",
     "the ECU's lockout delay is still running: wait and try again"},
    {0x50, "certificateVerificationFailed_InvalidTimePeriod",
     "the token has expired or is too old for the challenge"},
    {0x51, "certificateVerificationFailed_InvalidSignature",
     "the token's signature does not verify"},
    {0x52, "certificateVerificationFailed_InvalidChainOfTrust",
     "the token was signed by a key the ECU does not trust"},
    {0x53, "certificateVerificationFailed_InvalidType",
     "the token has the wrong type (not a COSE_Sign1 with ES256)"},
    {0x54, "certificateVerificationFailed_InvalidFormat", "the token is malformed"},
    {0x55, "certificateVerificationFailed_InvalidContent",
     "the token is for another vehicle or another challenge"},
    {0x56, "certificateVerificationFailed_InvalidScope", "the token does not cover this operation"},
    {0x57, "certificateVerificationFailed_InvalidCertificate", "the token has been revoked"},
    {0x58, "ownershipVerificationFailed", "proof of ownership failed"},
    {0x59, "challengeCalculationFailed", "the ECU could not create a challenge"},
    {0x5A, "settingAccessRightsFailed", "the ECU could not set the access rights"},
    {0x5B, "sessionKeyCreationDerivationFailed", "the ECU could not derive a session key"},
    {0x5C, "configurationDataUsageFailed", "the ECU could not use its configuration data"},
    {0x5D, "deAuthenticationFailed", "the ECU could not end the authenticated state"},
    {0x78, "requestCorrectlyReceived_ResponsePending",
     "the ECU needs more time (response pending)"},
    {0x7E, "subFunctionNotSupportedInActiveSession",
     "this sub-function is not available in the current session"},
    {0x7F, "serviceNotSupportedInActiveSession",
     "this service is not available in the current session"},
};

const char *uds_nrc_name(uint8_t nrc)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].nrc == nrc)
			return table[i].name;
	return NULL;
}

const char *uds_nrc_text(uint8_t nrc)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].nrc == nrc)
			return table[i].text;
	return "unknown negative response code";
}

uint8_t uds_nrc_for_err(int err)
{
	switch (err) {
	case PL_E_UDS_SERVICE:
		return UDS_NRC_SERVICE_NOT_SUPPORTED;
	case PL_E_UDS_SUBFUNC:
		return UDS_NRC_SUBFUNCTION_NOT_SUPPORTED;
	case PL_E_UDS_BAD_VALUE:
		return UDS_NRC_REQUEST_OUT_OF_RANGE;
	case PL_E_UDS_ALG_MISMATCH:
		return UDS_NRC_CERT_INVALID_TYPE;
	default:
		return UDS_NRC_INCORRECT_LENGTH;
	}
}
