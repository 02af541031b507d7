/* Helpers shared by the commands (see agent.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "cmd.h"
#include "config.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_err_can.h"
#include "pl_err_signer.h"

void agent_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pitlane: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int agent_load_config(const char *path, struct agent_config *c)
{
	char err[600];
	int r;

	if (path == NULL)
		path = getenv("PITLANE_AGENT_CONF");
	if (path == NULL || path[0] == '\0')
		path = AGENT_CONF_DEFAULT;
	if ((r = agent_config_load(path, c, err, sizeof(err))) != 0) {
		agent_error("%s", err);
		return CMD_CONFIG;
	}
	return CMD_OK;
}

int agent_exit_for(int err)
{
	if (err <= -200 && err > -300)
		return CMD_VEHICLE;
	if (err <= -400 && err > -450)
		return CMD_TECHKEY;
	switch (err) {
	case PL_E_AGENT_BROKER_DOWN:
	case PL_E_AGENT_BROKER_TIMEOUT:
	case PL_E_AGENT_PIN_MISMATCH:
	case PL_E_AGENT_BROKER_TLS:
	case PL_E_AGENT_BROKER_REPLY:
	case PL_E_AGENT_UNAVAILABLE:
		return CMD_BROKER;
	case PL_E_AGENT_TECH_KEY:
	case PL_E_AGENT_TECH_MISMATCH:
	case PL_E_AGENT_PIN:
		return CMD_TECHKEY;
	case PL_E_AGENT_REFUSED:
		return CMD_FAIL;
	case PL_E_AGENT_ECU_REFUSED:
		return CMD_ECU_REFUSED;
	case PL_E_AGENT_INTERRUPTED:
		return CMD_INTERRUPTED;
	case PL_E_USAGE:
	case PL_E_AGENT_VIN:
	case PL_E_AGENT_OP:
		return CMD_USAGE;
	default:
		return CMD_CONFIG;
	}
}

void agent_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static const struct {
	unsigned char nrc;
	const char *advice;
} advice[] = {
    {0x21, "the ECU is busy: run the command again in a moment"},
    {0x22, "the vehicle's conditions are not met (ignition, gear, speed?): fix them and "
           "run again"},
    {0x24, "the ECU lost the challenge (session timed out?): run the command again"},
    {0x31, "the vehicle does not know this operation: check the operation name"},
    {0x33, "the token does not cover this operation: run the command again"},
    {0x34, "the ECU wants a token first: run the command again"},
    {0x36, "too many failed tokens: the ECU locked access; wait for the lockout to end "
           "and run again"},
    {0x37, "the ECU's lockout delay is running: wait, then run again"},
    {0x50, "the token arrived too late (broker or approval took too long): run again"},
    {0x51, "the token's signature is broken: run again; if it repeats call OEM support"},
    {0x52, "this vehicle does not trust the broker's key: call OEM support"},
    {0x53, "the vehicle does not understand this token type: call OEM support"},
    {0x54, "the vehicle could not read the token: call OEM support"},
    {0x55, "each token works once, for one challenge of one vehicle: run the command "
           "again for a fresh token"},
    {0x56, "this vehicle has no such operation: check the operation name"},
    {0x7F, "the ECU left the diagnostic session: run the command again"},
};

const char *agent_nrc_advice(unsigned char nrc)
{
	for (size_t i = 0; i < sizeof(advice) / sizeof(advice[0]); i++)
		if (advice[i].nrc == nrc)
			return advice[i].advice;
	return "run the command again; if it repeats note the code and call OEM support";
}

void agent_copy_text(const struct plt_bytes *v, char *out, size_t cap)
{
	size_t n = v->len < cap - 1 ? v->len : cap - 1;

	for (size_t i = 0; i < n; i++)
		out[i] = v->ptr[i] < 0x20 || v->ptr[i] == 0x7f ? '?' : (char)v->ptr[i];
	out[n] = '\0';
}
