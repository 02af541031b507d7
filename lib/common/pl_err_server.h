/* Error codes of the server area (-450 .. -549). Append-only; see pl_err.h. Owner: broker/server (pitlaned, pitlanectl). */
#ifndef PITLANE_ERR_SERVER_H
#define PITLANE_ERR_SERVER_H

enum pl_err_server {
	PL_E_SERVER_FIRST = -450, /* reserved: marks the start of the range */
	PL_E_SRV_CONFIG_SYNTAX = -451,   /* config line is not "key value" */
	PL_E_SRV_CONFIG_KEY = -452,      /* unknown config key */
	PL_E_SRV_CONFIG_VALUE = -453,    /* config value out of range / malformed */
	PL_E_SRV_CONFIG_MISSING = -454,  /* a required config key is missing */
	PL_E_SRV_CONFIG_DUP = -455,      /* a config key given twice */
	PL_E_SRV_ADMIN_NOT_LOOPBACK = -456, /* admin listener not on 127.0.0.1 / ::1 */
	PL_E_SRV_ADDR = -457,            /* listen address malformed */
	PL_E_SRV_TLS_SETUP = -458,       /* TLS context could not be built */
	PL_E_SRV_BIND = -459,            /* cannot bind / listen */
	PL_E_SRV_REQ_MALFORMED = -460,   /* request body is not the expected CBOR */
	PL_E_SRV_REQ_NOT_SIGN1 = -461,   /* request body is not a tagged COSE_Sign1 */
	PL_E_SRV_REQ_NO_X5CHAIN = -462,  /* no technician certificate (x5chain) */
	PL_E_SRV_REQ_FIELD = -463,       /* a payload field is missing, unknown or malformed */
	PL_E_SRV_REQ_ALG = -464,         /* request not signed with ES256 */
	PL_E_SRV_TECH_CERT = -465,       /* technician certificate does not verify */
	PL_E_SRV_TECH_SIG = -466,        /* technician signature does not verify */
	PL_E_SRV_TECH_KEY = -467,        /* technician key is not P-256 */
	PL_E_SRV_WORKSHOP_MISMATCH = -468, /* technician and device in different workshops */
	PL_E_SRV_STALE = -469,           /* request iat outside the accepted window */
	PL_E_SRV_REPLAY = -470,          /* request nonce already seen */
	PL_E_SRV_REPLAY_FULL = -471,     /* replay cache full */
	PL_E_SRV_IDENTITY = -472,        /* certificate subject lacks exactly one CN / OU */
	PL_E_SRV_BUSY = -473,            /* worker queue full */
	PL_E_SRV_SHUTDOWN = -474,        /* broker is shutting down */
	PL_E_SRV_DAEMON = -475,          /* could not go to the background */
	PL_E_SRV_NOT_TECHNICIAN = -476,  /* x5chain leaf lacks the technician EKU (a device cert) */
	PL_E_SRV_TECH_AS_DEVICE = -477,  /* TLS client certificate carries the technician EKU */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_server_text(int err, int name);

#endif
