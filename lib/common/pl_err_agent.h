/* Error codes of the agent area (-600 .. -699). Append-only; see pl_err.h. Owner: agent. */
#ifndef PITLANE_ERR_AGENT_H
#define PITLANE_ERR_AGENT_H

enum pl_err_agent {
	PL_E_AGENT_FIRST = -600,          /* reserved: marks the start of the range */
	PL_E_AGENT_CONFIG = -601,         /* agent.conf is invalid (file:line reported) */
	PL_E_AGENT_DEVICE_CERT = -602,    /* the device certificate is unreadable */
	PL_E_AGENT_DEVICE_EXPIRED = -603, /* the device certificate has expired */
	PL_E_AGENT_DEVICE_NOTYET = -604,  /* the device certificate is not valid yet */
	PL_E_AGENT_TECH_CERT = -605,      /* the technician certificate is unreadable */
	PL_E_AGENT_TECH_KEY = -606,       /* the technician key is missing or unusable */
	PL_E_AGENT_TECH_MISMATCH = -607,  /* technician key and certificate do not match */
	PL_E_AGENT_PIN = -608,            /* no PIN: no terminal and no PIN file */
	PL_E_AGENT_BROKER_DOWN = -609,    /* the broker cannot be reached */
	PL_E_AGENT_BROKER_TIMEOUT = -610, /* the broker did not answer in time */
	PL_E_AGENT_PIN_MISMATCH = -611,   /* the broker's key matches neither pin */
	PL_E_AGENT_CERT_REJECTED = -612,  /* the broker rejected this PC's certificate */
	PL_E_AGENT_BROKER_TLS = -613,     /* TLS with the broker failed otherwise */
	PL_E_AGENT_BROKER_REPLY = -614,   /* the broker's reply is malformed */
	PL_E_AGENT_REFUSED = -615,        /* the broker refused the request */
	PL_E_AGENT_UNAVAILABLE = -616,    /* the broker is temporarily unavailable */
	PL_E_AGENT_VIN = -617,            /* a VIN is malformed */
	PL_E_AGENT_OP = -618,             /* an operation is unknown */
	PL_E_AGENT_ECU_REFUSED = -619,    /* the ECU answered with a negative response */
	PL_E_AGENT_ENGINE = -620,         /* the OpenSSL pkcs11 engine is unavailable */
	PL_E_AGENT_INTERRUPTED = -621,    /* interrupted by a signal */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_agent_text(int err, int name);

#endif
