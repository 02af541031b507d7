/* Error table of the agent area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_agent.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
    {PL_E_AGENT_FIRST, "agent_first", "reserved agent error code"},
    {PL_E_AGENT_CONFIG, "agent_config", "the agent configuration is invalid"},
    {PL_E_AGENT_DEVICE_CERT, "device_cert", "this PC's device certificate cannot be read"},
    {PL_E_AGENT_DEVICE_EXPIRED, "device_cert_expired", "this PC's device certificate has expired"},
    {PL_E_AGENT_DEVICE_NOTYET, "device_cert_not_yet_valid",
     "this PC's device certificate is not valid yet (check the PC clock)"},
    {PL_E_AGENT_TECH_CERT, "technician_cert", "the technician certificate cannot be read"},
    {PL_E_AGENT_TECH_KEY, "technician_key",
     "the technician key is missing or unusable (smartcard inserted?)"},
    {PL_E_AGENT_TECH_MISMATCH, "technician_key_mismatch",
     "the technician key does not belong to the technician certificate"},
    {PL_E_AGENT_PIN, "no_pin", "no PIN available: no terminal and no pin_file"},
    {PL_E_AGENT_BROKER_DOWN, "broker_down", "the broker cannot be reached"},
    {PL_E_AGENT_BROKER_TIMEOUT, "broker_timeout", "the broker did not answer in time"},
    {PL_E_AGENT_PIN_MISMATCH, "broker_pin_mismatch", "the broker's key does not match the pins"},
    {PL_E_AGENT_CERT_REJECTED, "device_cert_rejected", "the broker rejected this PC's certificate"},
    {PL_E_AGENT_BROKER_TLS, "broker_tls", "the TLS connection to the broker failed"},
    {PL_E_AGENT_BROKER_REPLY, "broker_reply", "the broker's reply is malformed"},
    {PL_E_AGENT_REFUSED, "broker_refused", "the broker refused the request"},
    {PL_E_AGENT_UNAVAILABLE, "broker_unavailable", "the broker is temporarily unavailable"},
    {PL_E_AGENT_VIN, "bad_vin", "not a VIN (17 characters, no I, O or Q)"},
    {PL_E_AGENT_OP, "unknown_operation", "unknown operation"},
    {PL_E_AGENT_ECU_REFUSED, "ecu_refused", "the vehicle refused the request"},
    {PL_E_AGENT_ENGINE, "pkcs11_engine",
     "the OpenSSL pkcs11 engine is not available (install libengine-pkcs11-openssl)"},
    {PL_E_AGENT_INTERRUPTED, "interrupted", "interrupted"},
};

const char *pl_err_agent_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
