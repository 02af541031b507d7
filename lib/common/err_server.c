/* Error table of the server area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_server.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_SERVER_FIRST, "server_first", "reserved server error code" },
	{ PL_E_SRV_CONFIG_SYNTAX, "config_syntax",
	  "config line is not of the form 'key value'" },
	{ PL_E_SRV_CONFIG_KEY, "config_unknown_key",
	  "unknown config key (see docs/broker.md for the list)" },
	{ PL_E_SRV_CONFIG_VALUE, "config_bad_value",
	  "config value is malformed or out of range" },
	{ PL_E_SRV_CONFIG_MISSING, "config_missing_key", "a required config key is missing" },
	{ PL_E_SRV_CONFIG_DUP, "config_duplicate_key", "config key given more than once" },
	{ PL_E_SRV_ADMIN_NOT_LOOPBACK, "admin_not_loopback",
	  "the admin listener must be on 127.0.0.1 or ::1" },
	{ PL_E_SRV_ADDR, "bad_address",
	  "listen address must be IPv4:port or [IPv6]:port" },
	{ PL_E_SRV_TLS_SETUP, "tls_setup",
	  "TLS context could not be built (check certificate, key, CA and CRL files)" },
	{ PL_E_SRV_BIND, "bind", "cannot listen on the configured address" },
	{ PL_E_SRV_REQ_MALFORMED, "malformed_request", "request body is not well-formed CBOR" },
	{ PL_E_SRV_REQ_NOT_SIGN1, "not_cose_sign1",
	  "request body is not a tagged COSE_Sign1 (tag 18)" },
	{ PL_E_SRV_REQ_NO_X5CHAIN, "no_technician_certificate",
	  "request carries no technician certificate in the protected x5chain header (33)" },
	{ PL_E_SRV_REQ_FIELD, "bad_request_field",
	  "a request payload field is missing, duplicated, unknown or malformed" },
	{ PL_E_SRV_REQ_ALG, "bad_request_alg",
	  "request must be signed with ES256 (alg -7 in the protected header)" },
	{ PL_E_SRV_TECH_CERT, "technician_cert_invalid",
	  "technician certificate is not valid under the dealer CA (expired, revoked or foreign)" },
	{ PL_E_SRV_TECH_SIG, "bad_technician_signature",
	  "technician signature over the request does not verify" },
	{ PL_E_SRV_TECH_KEY, "technician_key_unsupported",
	  "technician certificate key is not an EC P-256 key" },
	{ PL_E_SRV_WORKSHOP_MISMATCH, "workshop_mismatch",
	  "technician certificate and device certificate name different workshops (OU)" },
	{ PL_E_SRV_STALE, "stale_request",
	  "request iat is outside the accepted clock window (check the PC clock)" },
	{ PL_E_SRV_REPLAY, "replayed_request", "request nonce was already used" },
	{ PL_E_SRV_REPLAY_FULL, "replay_cache_full",
	  "too many recent requests to remember; retry later" },
	{ PL_E_SRV_IDENTITY, "bad_identity",
	  "certificate subject must have exactly one CN and one OU" },
	{ PL_E_SRV_BUSY, "busy", "broker worker queue is full; retry later" },
	{ PL_E_SRV_SHUTDOWN, "shutting_down", "broker is shutting down" },
	{ PL_E_SRV_DAEMON, "daemon", "could not start in the background" },
	{ PL_E_SRV_NOT_TECHNICIAN, "not_a_technician_certificate",
	  "the certificate that signed the request is not a technician certificate (it lacks the "
	  "technician EKU, technician_eku in broker.conf); sign with the technician's card" },
	{ PL_E_SRV_TECH_AS_DEVICE, "technician_cert_as_device",
	  "a technician certificate (technician EKU) cannot be a TLS client certificate; connect "
	  "with the workshop PC's device certificate" },
};

const char *pl_err_server_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
