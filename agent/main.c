/*
 * pitlane — the technician's agent on a workshop PC.
 *
 *   pitlane [--help | --version]
 *   pitlane [-c FILE] COMMAND [ARGS...]
 *
 * main() only picks the command from the table below; each command parses its
 * own arguments (see cmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pl_log.h"

#ifndef PITLANE_VERSION
#define PITLANE_VERSION "0.1.0"
#endif

static const struct cmd commands[] = {
    {"run", cmd_run, "run an operation on the vehicle (the whole token exchange)", cmd_run_usage},
    {"vin", cmd_vin, "read the vehicle's VIN", cmd_vin_usage},
    {"request", cmd_request, "ask the broker for a token without a vehicle (bench)",
     cmd_request_usage},
    {"token", cmd_token, "decode a token file (token inspect FILE)", cmd_token_usage},
    {"approve", cmd_approve, "approve or deny another technician's request (second person)",
     cmd_approve_usage},
    {"doctor", cmd_doctor, "check configuration, certificates, broker, key and CAN link",
     cmd_doctor_usage},
    {"can", cmd_can, "CAN interface status and setup (SocketCAN)", cmd_can_usage},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pitlane [--help | --version]\n"
	           "       pitlane [-c FILE] COMMAND [ARGS...]\n\n"
	           "  -c FILE   configuration (default $PITLANE_AGENT_CONF, else\n"
	           "            /etc/pitlane/agent.conf)\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'pitlane COMMAND --help' shows the arguments of a command.\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	pl_log_init("pitlane", PL_LOG_INFO);
	/* A global -c FILE is the default of every command's own -c. */
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		if (setenv("PITLANE_AGENT_CONF", argv[2], 1) != 0)
			return CMD_FAIL;
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return CMD_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CMD_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("pitlane %s\n", PITLANE_VERSION);
		return CMD_OK;
	}
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "pitlane: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return CMD_USAGE;
	}
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		c->usage(stdout);
		return CMD_OK;
	}
	return c->run(argc - 1, argv + 1);
}
