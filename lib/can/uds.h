/*
 * UDS (ISO 14229-1) codec, both sides, for the services pitlane uses.
 * Exact byte layouts: docs/uds.md.
 *
 * Requests and responses are flat structs. Byte views (struct uds_bytes)
 * point into the buffer that was parsed (or, when building, into the
 * caller's data) and are not copied.
 *
 *   uds_build_request()  / uds_parse_request()   tester -> ECU
 *   uds_build_response() / uds_parse_response()  ECU -> tester
 *
 * Negative responses (7F SID NRC) are data, not errors: uds_parse_response()
 * returns 0 and sets resp->nrc. Local failures are negative PL_E_UDS_* codes;
 * uds_nrc_for_err() maps a request-parse error to the NRC a server answers.
 */
#ifndef PITLANE_UDS_H
#define PITLANE_UDS_H

#include <stddef.h>
#include <stdint.h>

/* Service ids */
#define UDS_SID_SESSION 0x10        /* DiagnosticSessionControl */
#define UDS_SID_RESET 0x11          /* ECUReset */
#define UDS_SID_CLEAR_DTC 0x14      /* ClearDiagnosticInformation */
#define UDS_SID_READ_DTC 0x19       /* ReadDTCInformation */
#define UDS_SID_READ_DID 0x22       /* ReadDataByIdentifier */
#define UDS_SID_AUTH 0x29           /* Authentication */
#define UDS_SID_ROUTINE 0x31        /* RoutineControl */
#define UDS_SID_TESTER_PRESENT 0x3E /* TesterPresent */
#define UDS_SID_NEGATIVE 0x7F
#define UDS_POSITIVE_OFFSET 0x40
#define UDS_SUPPRESS_POS 0x80 /* suppressPosRspMsgIndicationBit */

/* 0x10 sessions */
#define UDS_SESSION_DEFAULT 0x01
#define UDS_SESSION_PROGRAMMING 0x02
#define UDS_SESSION_EXTENDED 0x03
/* 0x11 reset types */
#define UDS_RESET_HARD 0x01
#define UDS_RESET_KEY_OFF_ON 0x02
#define UDS_RESET_SOFT 0x03
/* 0x22 */
#define UDS_DID_VIN 0xF190
#define UDS_VIN_LEN 17
/* 0x29 sub-functions */
#define UDS_AUTH_DEAUTHENTICATE 0x00
#define UDS_AUTH_REQUEST_CHALLENGE 0x05
#define UDS_AUTH_VERIFY_POWN_UNI 0x06
#define UDS_AUTH_CONFIGURATION 0x08
/* 0x29 return values (authenticationReturnParameter) */
#define UDS_AUTH_RET_ACCEPTED 0x00
#define UDS_AUTH_RET_DEAUTH_OK 0x10
#define UDS_AUTH_RET_CERT_VERIFIED_OWN_NEEDED 0x11
#define UDS_AUTH_RET_OWNERSHIP_VERIFIED 0x12
#define UDS_AUTH_RET_CERT_VERIFIED 0x13
#define UDS_AUTH_RET_CONFIG_APCE 0x02
#define UDS_AUTH_RET_CONFIG_ACR_ASYM 0x03
#define UDS_AUTH_RET_CONFIG_ACR_SYM 0x04
#define UDS_AUTH_ALG_IND_LEN 16
/* 0x31 routine control types */
#define UDS_ROUTINE_START 0x01
#define UDS_ROUTINE_STOP 0x02
#define UDS_ROUTINE_RESULTS 0x03
/* 0x14 */
#define UDS_DTC_GROUP_ALL 0xFFFFFFu
/* 0x19 sub-functions */
#define UDS_DTC_REPORT_COUNT_BY_MASK 0x01
#define UDS_DTC_REPORT_BY_MASK 0x02
#define UDS_DTC_FORMAT_ISO14229 0x01

/* Message limit: one classic-CAN ISO-TP message with a 12-bit length. */
#define UDS_MAX_MSG 4095u

/*
 * pitlane's algorithmIndicator for "CWT in a tagged COSE_Sign1, ES256":
 * ASCII "pl-cwt-es256" followed by the version 1 as a big-endian u32.
 */
extern const uint8_t uds_pitlane_alg_ind[UDS_AUTH_ALG_IND_LEN];

/* Negative response codes (ISO 14229-1 Annex A.1) used by pitlane. */
enum uds_nrc {
	UDS_NRC_GENERAL_REJECT = 0x10,
	UDS_NRC_SERVICE_NOT_SUPPORTED = 0x11,
	UDS_NRC_SUBFUNCTION_NOT_SUPPORTED = 0x12,
	UDS_NRC_INCORRECT_LENGTH = 0x13,
	UDS_NRC_RESPONSE_TOO_LONG = 0x14,
	UDS_NRC_BUSY_REPEAT_REQUEST = 0x21,
	UDS_NRC_CONDITIONS_NOT_CORRECT = 0x22,
	UDS_NRC_REQUEST_SEQUENCE_ERROR = 0x24,
	UDS_NRC_REQUEST_OUT_OF_RANGE = 0x31,
	UDS_NRC_SECURITY_ACCESS_DENIED = 0x33,
	UDS_NRC_AUTHENTICATION_REQUIRED = 0x34,
	UDS_NRC_INVALID_KEY = 0x35,
	UDS_NRC_EXCEEDED_ATTEMPTS = 0x36,
	UDS_NRC_TIME_DELAY_NOT_EXPIRED = 0x37,
	UDS_NRC_CERT_INVALID_TIME_PERIOD = 0x50,
	UDS_NRC_CERT_INVALID_SIGNATURE = 0x51,
	UDS_NRC_CERT_INVALID_CHAIN_OF_TRUST = 0x52,
	UDS_NRC_CERT_INVALID_TYPE = 0x53,
	UDS_NRC_CERT_INVALID_FORMAT = 0x54,
	UDS_NRC_CERT_INVALID_CONTENT = 0x55,
	UDS_NRC_CERT_INVALID_SCOPE = 0x56,
	UDS_NRC_CERT_INVALID_CERTIFICATE = 0x57,
	UDS_NRC_OWNERSHIP_VERIFICATION_FAILED = 0x58,
	UDS_NRC_CHALLENGE_CALCULATION_FAILED = 0x59,
	UDS_NRC_SETTING_ACCESS_RIGHTS_FAILED = 0x5A,
	UDS_NRC_SESSION_KEY_FAILED = 0x5B,
	UDS_NRC_CONFIGURATION_DATA_USAGE_FAILED = 0x5C,
	UDS_NRC_DEAUTHENTICATION_FAILED = 0x5D,
	UDS_NRC_RESPONSE_PENDING = 0x78,
	UDS_NRC_SUBFUNCTION_NOT_SUPPORTED_IN_SESSION = 0x7E,
	UDS_NRC_SERVICE_NOT_SUPPORTED_IN_SESSION = 0x7F,
};

/* Stable short name ("authenticationRequired") or NULL for codes not in the table. */
const char *uds_nrc_name(uint8_t nrc);
/* A sentence for a technician; never NULL ("unknown negative response code" for others). */
const char *uds_nrc_text(uint8_t nrc);
/* NRC a server answers for a uds_parse_request() error (0x11, 0x12 or 0x13). */
uint8_t uds_nrc_for_err(int err);

/* Outcome of a UDS exchange: a local error, or the ECU's negative answer. */
struct uds_result {
	int err;     /* 0 or a negative PL_E_* code (no answer, garbled answer, ...) */
	uint8_t nrc; /* err == 0: 0 for a positive response, else the NRC */
};

struct uds_bytes {
	const uint8_t *ptr;
	size_t len;
};

struct uds_request {
	uint8_t sid;
	uint8_t sub; /* sub-function without the suppress bit (0x10 0x11 0x19 0x29 0x31 0x3E) */
	int suppress_pos;                      /* suppress bit set */
	uint16_t did;                          /* 0x22: exactly one DID per request */
	uint16_t routine_id;                   /* 0x31 */
	struct uds_bytes option;               /* 0x31: routineControlOptionRecord */
	uint32_t dtc_group;                    /* 0x14: groupOfDTC (24 bit) */
	uint8_t dtc_mask;                      /* 0x19 01/02: DTCStatusMask */
	uint8_t comm_cfg;                      /* 0x29 05: communicationConfiguration */
	uint8_t alg_ind[UDS_AUTH_ALG_IND_LEN]; /* 0x29 05/06 */
	struct uds_bytes proof;                /* 0x29 06: proofOfOwnershipClient = the token */
	struct uds_bytes challenge_client;     /* 0x29 06 */
	struct uds_bytes additional;           /* 0x29 06: additionalParameter */
};

struct uds_response {
	uint8_t sid;           /* the request's SID (not +0x40) */
	uint8_t sub;           /* echoed sub-function where the service has one */
	uint8_t nrc;           /* 0: positive; else negative response, no other field valid */
	uint16_t p2_ms;        /* 0x10: P2server_max in ms */
	uint16_t p2star_ms;    /* 0x10: P2*server_max in ms (sent in 10 ms units) */
	uint16_t did;          /* 0x22 */
	struct uds_bytes data; /* 0x22: dataRecord; 0x31: routineStatusRecord */
	uint16_t routine_id;   /* 0x31 */
	uint8_t auth_ret;      /* 0x29: authenticationReturnParameter */
	uint8_t alg_ind[UDS_AUTH_ALG_IND_LEN]; /* 0x29 05/06 */
	struct uds_bytes challenge;            /* 0x29 05: challengeServer */
	struct uds_bytes needed;               /* 0x29 05: neededAdditionalParameter */
	struct uds_bytes session_key;          /* 0x29 06: sessionKeyInfo */
	uint8_t dtc_avail_mask;                /* 0x19 */
	uint8_t dtc_format;                    /* 0x19 01 */
	uint16_t dtc_count;                    /* 0x19 01 */
	struct uds_bytes dtc_records;          /* 0x19 02: 4 bytes each (DTC:3, status:1) */
};

/*
 * Parses a request (server side). Errors: PL_E_UDS_EMPTY, PL_E_UDS_SERVICE
 * (SID outside the list above), PL_E_UDS_SUBFUNC (0x29, 0x19, 0x3E or 0x31
 * sub-function without a layout here), PL_E_UDS_LENGTH. Services whose
 * sub-function is only a value (0x10, 0x11) accept any value: the server
 * decides what it supports. *req is written only on success.
 */
int uds_parse_request(const uint8_t *msg, size_t len, struct uds_request *req);
/* Builds req into out[0..cap); *len gets the size. PL_E_NOSPACE, PL_E_UDS_* as above. */
int uds_build_request(const struct uds_request *req, uint8_t *out, size_t cap, size_t *len);

/*
 * Parses a response to the request (req_sid, req_sub) (client side).
 * A negative response 7F req_sid NRC sets resp->nrc and returns 0; a
 * response to another service or sub-function is PL_E_UDS_MISMATCH.
 */
int uds_parse_response(const uint8_t *msg, size_t len, uint8_t req_sid, uint8_t req_sub,
                       struct uds_response *resp);
/* Builds resp (positive, or 7F SID NRC when resp->nrc != 0). */
int uds_build_response(const struct uds_response *resp, uint8_t *out, size_t cap, size_t *len);
/* Shortcut for 7F sid nrc (3 bytes). */
int uds_build_negative(uint8_t sid, uint8_t nrc, uint8_t *out, size_t cap, size_t *len);

/* 1 when the service carries a sub-function byte (with the suppress bit). */
int uds_sid_has_subfunction(uint8_t sid);

/* i-th record of a 0x19 02 response. */
int uds_dtc_record(const struct uds_response *resp, size_t i, uint32_t *dtc, uint8_t *status);
size_t uds_dtc_record_count(const struct uds_response *resp);

#endif
