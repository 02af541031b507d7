/*
 * UDS client (tester side) over ISO-TP.
 *
 * Timing (ISO 14229-2): after a request is on the bus the client waits P2
 * (default 50 ms) for the start of a response; a negative response with NRC
 * 0x78 (response pending) extends the wait to P2* (default 5000 ms), again
 * after every further 0x78, up to max_pending times. The ECU's session
 * response may announce other P2/P2* values; they are adopted when
 * adopt_server_timing is set. Responses to other services (late answers to
 * an earlier request) are dropped while waiting.
 *
 * Every call returns struct uds_result: .err < 0 is a local failure
 * (timeout, garbled answer), .err == 0 && .nrc != 0 is the ECU's negative
 * answer, both zero is success. Out-parameters are written only on success.
 */
#ifndef PITLANE_UDS_CLIENT_H
#define PITLANE_UDS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "isotp.h"
#include "uds.h"

#define UDS_DEFAULT_P2_MS 50
#define UDS_DEFAULT_P2STAR_MS 5000
#define UDS_DEFAULT_MAX_PENDING 20

struct uds_client_config {
	int p2_ms;
	int p2star_ms;
	unsigned max_pending;    /* 0x78 answers accepted for one request */
	int adopt_server_timing; /* take P2/P2* from the 0x10 response */
};

void uds_client_config_default(struct uds_client_config *c);

struct uds_client;

/* tp stays the caller's. */
int uds_client_open(struct isotp *tp, const struct uds_client_config *c, struct uds_client **out);
void uds_client_free(struct uds_client *c);

/*
 * Sends req and waits for its response. resp's byte views point into the
 * client's buffer and stay valid until the next call on c. A request with the
 * suppress bit gets no positive response: the call returns once the request
 * is sent (a late negative answer to it is dropped by the next call).
 */
struct uds_result uds_client_transact(struct uds_client *c, const struct uds_request *req,
                                      struct uds_response *resp);

/* 10 xx. */
struct uds_result uds_client_session(struct uds_client *c, uint8_t session);
/* 11 xx. */
struct uds_result uds_client_reset(struct uds_client *c, uint8_t type);
/* 3E 00, or 3E 80 with suppress (no answer expected). */
struct uds_result uds_client_tester_present(struct uds_client *c, int suppress);
/* 22 DID: copies the data record into out[0..cap), *len its size. */
struct uds_result uds_client_read_did(struct uds_client *c, uint16_t did, uint8_t *out, size_t cap,
                                      size_t *len);
/* 22 F190: vin gets 17 characters + NUL; a VIN of another length is PL_E_UDS_BAD_VALUE. */
struct uds_result uds_client_read_vin(struct uds_client *c, char vin[UDS_VIN_LEN + 1]);
/* 29 08: *ret gets the authentication configuration (0x02/0x03/0x04). */
struct uds_result uds_client_auth_config(struct uds_client *c, uint8_t *ret);
/* 29 05 with pitlane's algorithmIndicator: copies challengeServer into out. */
struct uds_result uds_client_request_challenge(struct uds_client *c, uint8_t *out, size_t cap,
                                               size_t *len);
/* 29 06 carrying token as proofOfOwnershipClient; *ret gets the return value (0x12). */
struct uds_result uds_client_send_token(struct uds_client *c, const uint8_t *token, size_t len,
                                        uint8_t *ret);
/* 29 00. */
struct uds_result uds_client_deauthenticate(struct uds_client *c);
/* 31 01 RID [option]: copies routineStatusRecord into status (may be NULL if cap 0). */
struct uds_result uds_client_routine_start(struct uds_client *c, uint16_t routine_id,
                                           const uint8_t *option, size_t option_len,
                                           uint8_t *status, size_t cap, size_t *len);
/* 14 group. */
struct uds_result uds_client_clear_dtc(struct uds_client *c, uint32_t group);

struct uds_dtc {
	uint32_t dtc; /* 24-bit DTC number */
	uint8_t status;
};

/* 19 02 mask: up to cap records into out, *n the number (more than cap -> PL_E_NOSPACE). */
struct uds_result uds_client_read_dtc(struct uds_client *c, uint8_t mask, struct uds_dtc *out,
                                      size_t cap, size_t *n);

/*
 * Keeps the ECU's non-default session alive while the caller waits for
 * something else (the broker): sends 3E 80 when nothing was sent to the ECU
 * for interval_ms (ISO 14229-2 S3server is 5000 ms; 2000 ms is a safe
 * interval). Call it as often as convenient; returns the uds_result of the
 * 3E 80 it sent, or a zero result when none was due. *sent tells which.
 */
struct uds_result uds_client_keepalive(struct uds_client *c, int interval_ms, int *sent);

/* Current P2 / P2* in ms (after adoption). */
void uds_client_timing(const struct uds_client *c, int *p2_ms, int *p2star_ms);

#endif
