/*
 * pitlane_ecu: the ECU side of pitlane's UDS token flow, transport-free.
 *
 * A struct ecu takes one UDS request (the bytes of one ISO-TP message) and
 * the monotonic time, and gives back the response bytes. It issues challenges
 * (0x29 05), verifies tokens with lib/token's strict profile (0x29 06), keeps
 * the authenticated scope, counts failed attempts, and runs the routines of
 * the catalogue (ecu_routine.h) on a simulated vehicle (ecu_vehicle.h).
 * Nothing here logs or touches a file: what happened is reported through the
 * on_event callback, and the program (ecusim.c) logs and persists it.
 *
 * Time is always passed in (monotonic milliseconds), so the state machine is
 * deterministic under test; wall-clock time is used only when the integrator
 * declares a trusted clock (unix_now).
 */
#ifndef PITLANE_ECU_H
#define PITLANE_ECU_H

#include <stddef.h>
#include <stdint.h>

#include "ecu_challenge.h"
#include "ecu_routine.h"
#include "ecu_vehicle.h"
#include "pitlane/token.h"

/* Largest response this ECU builds (59 02 with every DTC is the longest). */
#define ECU_RESP_MAX 128

#define ECU_DEFAULT_MAX_ATTEMPTS 3
#define ECU_DEFAULT_LOCKOUT_MS 10000u
#define ECU_DEFAULT_S3_MS 5000u
#define ECU_DEFAULT_CHALLENGE_TTL_MS 60000u
#define ECU_DEFAULT_CHALLENGE_LEN 32

enum ecu_session {
	ECU_SESSION_DEFAULT = 0x01,
	ECU_SESSION_EXTENDED = 0x03,
};

enum ecu_deauth_reason {
	ECU_DEAUTH_REQUEST = 1, /* 29 00 */
	ECU_DEAUTH_EXI,         /* the token's exi ran out (counted from the challenge) */
	ECU_DEAUTH_S3,          /* session timeout: no request within S3 */
	ECU_DEAUTH_SESSION,     /* 10 01: back to the default session */
	ECU_DEAUTH_RESET,       /* 11 xx: ECU reset */
	ECU_DEAUTH_NEW_AUTH,    /* a new 29 05 / 29 06 replaced the authentication */
};

enum ecu_event_kind {
	ECU_EV_SESSION = 1, /* session changed: session */
	ECU_EV_CHALLENGE,   /* challenge issued: challenge_len */
	ECU_EV_AUTH_OK,     /* token verified: scope, kid, cti */
	ECU_EV_AUTH_FAIL,   /* token refused: err (PLT_E_* or PL_E_*), nrc, attempts */
	ECU_EV_LOCKOUT,     /* attempt limit reached: attempts, lockout_ms */
	ECU_EV_LOCKOUT_END, /* the delay has passed */
	ECU_EV_DEAUTH,      /* authentication ended: reason, scope */
	ECU_EV_ROUTINE,     /* a routine ran: routine */
	ECU_EV_REFUSED,     /* a request was answered with a negative response: sid, nrc */
	ECU_EV_RESET,       /* ECU reset (11 xx) */
};

struct ecu_event {
	enum ecu_event_kind kind;
	uint8_t sid;
	uint8_t nrc;
	int err;
	enum ecu_session session;
	enum ecu_deauth_reason reason;
	const struct ecu_routine *routine;
	const char *scope;  /* NUL-terminated, or NULL */
	const uint8_t *kid; /* PLT_KID_LEN bytes, or NULL */
	const uint8_t *cti; /* cti_len bytes, or NULL */
	size_t cti_len;
	size_t challenge_len;
	uint32_t attempts;
	uint32_t lockout_ms;
};

struct ecu_config {
	const char *vin;                     /* 17 characters; copied */
	const struct plt_trust_store *trust; /* must outlive the ecu */
	const struct plt_crypto *crypto;     /* must outlive the ecu */
	uint32_t max_attempts;               /* bad tokens before the lockout (>= 1) */
	uint32_t lockout_ms;                 /* the lockout delay */
	uint32_t s3_ms;                      /* session timeout (S3) */
	uint32_t challenge_ttl_ms;           /* how long a challenge stays usable */
	size_t challenge_len;                /* PLT_CNONCE_MIN..PLT_CNONCE_MAX */
	ecu_random_fn rnd;                   /* NULL: getrandom */
	void *rnd_ctx;
	/* A trusted wall clock, if the ECU has one: 0 and *now (UNIX seconds).
	 * NULL: the ECU has none and relies on exi alone. */
	int (*unix_now)(void *ctx, int64_t *now);
	void *clock_ctx;
	void (*on_event)(void *ctx, const struct ecu_event *ev);
	void *event_ctx;
	const struct ecu_vehicle *restore; /* persisted state; NULL = factory state */
	/* Signatures each operation needs, per signer role (the roles are on the
	 * trust anchors); must outlive the ecu. NULL: plt_verify's rule, every
	 * signature trusted and valid and one of them by a broker key. */
	const struct plt_thresholds *signers;
};

/* What the ECU shows to the outside (log, state file). */
struct ecu_status {
	char vin[PLT_VIN_LEN + 1];
	struct ecu_vehicle vehicle; /* vehicle.failed_attempts is current */
	enum ecu_session session;
	char scope[PLT_OP_MAX + 1]; /* "" when not authenticated */
	int locked_out;
	uint64_t lockout_left_ms;
	uint64_t auth_left_ms; /* until exi ends the authentication */
};

struct ecu;

/* Fills c with the defaults above (vin, trust and crypto still to set). */
void ecu_config_defaults(struct ecu_config *c);

/*
 * Creates an ECU at monotonic time now_ms. Errors: PL_E_INVAL (bad VIN, no
 * trust store or crypto hook, limits out of range), PL_E_NOMEM.
 */
int ecu_new(const struct ecu_config *cfg, uint64_t now_ms, struct ecu **out);

/* Accepts NULL; wipes the challenge and the authentication. */
void ecu_free(struct ecu *e);

/*
 * Handles one request of len bytes at now_ms. Writes the response (positive
 * or negative) to resp; *resp_len = 0 when the positive response is
 * suppressed (sub-function bit 0x80). Returns 0, or PL_E_INVAL / PL_E_NOSPACE
 * for caller errors (cap < ECU_RESP_MAX is always enough to be refused).
 */
int ecu_handle(struct ecu *e, uint64_t now_ms, const uint8_t *req, size_t len, uint8_t *resp,
               size_t cap, size_t *resp_len);

/*
 * Nonzero when answering req may take longer than P2 (50 ms): a 29 06 whose
 * signature check runs on a slow core. The program sends 7F 29 78
 * (responsePending) first, so the tester waits P2* instead.
 */
int ecu_request_is_slow(const uint8_t *req, size_t len);

/* Runs the timers due at now_ms: S3 session timeout, exi expiry, lockout end. */
void ecu_tick(struct ecu *e, uint64_t now_ms);

/* Milliseconds until the next timer is due (0 = now), or -1 when none runs. */
int64_t ecu_next_timer_ms(const struct ecu *e, uint64_t now_ms);

/* The current state, as of now_ms (for the remaining times). */
void ecu_status_get(const struct ecu *e, uint64_t now_ms, struct ecu_status *st);

/* Increments on every change of what ecu_status_get() shows (except times). */
uint64_t ecu_change_count(const struct ecu *e);

#endif
