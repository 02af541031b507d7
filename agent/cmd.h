/*
 * pitlane commands. Each command is one function taking the arguments after
 * its name (argv[0] is the command name) and returning the process exit
 * status: 0 success, 1 failure (already logged/printed), 2 usage error.
 * main.c holds the table; a command lives in its own cmd_<name>.c.
 */
#ifndef PITLANE_AGENT_CMD_H
#define PITLANE_AGENT_CMD_H

#include <stdio.h>

enum { CMD_OK = 0, CMD_FAIL = 1, CMD_USAGE = 2 };

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	void (*usage)(FILE *f);
};

/* pitlane can status IFACE | can setup IFACE --bitrate N [--restart-ms N] */
int cmd_can(int argc, char **argv);
void cmd_can_usage(FILE *f);

#endif
