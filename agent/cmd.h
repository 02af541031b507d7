/*
 * pitlane commands. Each command is one function taking the arguments after
 * its name (argv[0] is the command name) and returning the process exit
 * status (the table below, documented in pitlane(1) and docs/agent.md).
 * main.c holds the table; a command lives in its own cmd_<name>.c.
 */
#ifndef PITLANE_AGENT_CMD_H
#define PITLANE_AGENT_CMD_H

#include <stdio.h>

enum {
	CMD_OK = 0,            /* done */
	CMD_FAIL = 1,          /* refused by the broker (policy, limit, approval) or failed */
	CMD_USAGE = 2,         /* command-line usage error */
	CMD_CONFIG = 3,        /* configuration, certificate or local file problem */
	CMD_BROKER = 4,        /* broker unreachable, untrusted or unavailable */
	CMD_VEHICLE = 5,       /* no answer from the vehicle (CAN, timeout) */
	CMD_TECHKEY = 6,       /* technician key, token or PIN problem */
	CMD_ECU_REFUSED = 7,   /* the vehicle refused (negative response) */
	CMD_INTERRUPTED = 130, /* Ctrl-C (SIGINT) or SIGTERM; the shell's 128 + SIGINT */
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	void (*usage)(FILE *f);
};

/* pitlane can status IFACE | can setup IFACE --bitrate N [--restart-ms N] */
int cmd_can(int argc, char **argv);
void cmd_can_usage(FILE *f);
/* pitlane vin [--can URI] [--json] [-c FILE] */
int cmd_vin(int argc, char **argv);
void cmd_vin_usage(FILE *f);
/* pitlane run OP --work-order ID [--reason TEXT] [--can URI] ... */
int cmd_run(int argc, char **argv);
void cmd_run_usage(FILE *f);
/* pitlane request OP --vin VIN --cnonce HEX [--out FILE] ... */
int cmd_request(int argc, char **argv);
void cmd_request_usage(FILE *f);
/* pitlane token inspect FILE */
int cmd_token(int argc, char **argv);
void cmd_token_usage(FILE *f);
/* pitlane approve ID [--deny --reason TEXT] [--json] [-c FILE] */
int cmd_approve(int argc, char **argv);
void cmd_approve_usage(FILE *f);
/* pitlane doctor [-c FILE] [--json] */
int cmd_doctor(int argc, char **argv);
void cmd_doctor_usage(FILE *f);

#endif
