/*
 * Internals of struct ecu, shared by ecu.c (dispatcher, timers, services
 * without authentication) and ecu_auth.c (service 0x29). Not installed.
 */
#ifndef PITLANE_ECU_INTERNAL_H
#define PITLANE_ECU_INTERNAL_H

#include "ecu.h"
#include "ecu_attempts.h"
#include "ecu_challenge.h"
#include "uds.h"

struct ecu {
	char vin[PLT_VIN_LEN + 1];
	struct ecu_config cfg; /* cfg.vin points at vin above */
	struct ecu_vehicle vehicle;
	struct ecu_attempts attempts;
	struct ecu_challenge challenge;
	enum ecu_session session;
	uint64_t last_request_ms; /* S3 runs from here */
	/* Authentication: scope == NULL when not authenticated. */
	const struct ecu_routine *scope;
	uint64_t auth_until_ms; /* challenge issue + exi */
	uint8_t kid[PLT_KID_LEN];
	uint8_t cti[PLT_CTI_LEN];
	size_t cti_len;
	uint64_t changes;
};

/* Reports ev to the integrator's callback, if any. */
void ecu_emit(const struct ecu *e, const struct ecu_event *ev);
/* Marks a change of what ecu_status_get() shows. */
void ecu_touch(struct ecu *e);
/* Ends the authentication (if any) and drops the challenge; reports why. */
void ecu_auth_end(struct ecu *e, enum ecu_deauth_reason reason);

/* Service 0x29: builds the response in *resp (positive or with nrc set). */
void ecu_auth_handle(struct ecu *e, uint64_t now_ms, const struct uds_request *req,
                     struct uds_response *resp);

#endif
