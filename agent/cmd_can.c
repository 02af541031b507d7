/*
 * pitlane can status IFACE
 * pitlane can setup IFACE --bitrate N [--restart-ms N]
 *
 * Reads or sets a SocketCAN interface's controller through lib/can's
 * can_link (libsocketcan). A virtual interface (vcan) has no controller:
 * status says so in plain words and succeeds.
 */
#include <stdio.h>
#include <string.h>

#include "can_link.h"
#include "cmd.h"
#include "pl_err.h"
#include "pl_log.h"
#include "pl_parse.h"

#define BITRATE_MIN 1000u
#define BITRATE_MAX 1000000u /* classic CAN */
#define RESTART_MS_MAX 600000u

void cmd_can_usage(FILE *f)
{
	fprintf(f,
	        "usage: pitlane can status IFACE\n"
	        "       pitlane can setup IFACE --bitrate N [--restart-ms N]\n\n"
	        "  status   show the bus state (error-active, error-passive, bus-off, ...),\n"
	        "           bitrate, restart-ms and error counters of a CAN interface\n"
	        "  setup    set the bitrate (%u..%u bit/s) and optionally the automatic\n"
	        "           restart delay after bus-off (0..%u ms, 0 = off); needs\n"
	        "           CAP_NET_ADMIN and a real CAN controller\n",
	        BITRATE_MIN, BITRATE_MAX, RESTART_MS_MAX);
}

static int can_status(int argc, char **argv)
{
	struct can_link_info li;
	char text[1024];
	int r;

	if (argc != 2) {
		cmd_can_usage(stderr);
		return CMD_USAGE;
	}
	if ((r = can_link_status(&can_link_system, argv[1], &li)) != 0) {
		pl_log_err("can_status_failed", r, "iface", argv[1], NULL);
		return CMD_FAIL;
	}
	if ((r = can_link_format(argv[1], &li, text, sizeof(text))) != 0) {
		pl_log_err("can_status_failed", r, "iface", argv[1], NULL);
		return CMD_FAIL;
	}
	fputs(text, stdout);
	return CMD_OK;
}

static int can_setup(int argc, char **argv)
{
	const char *ifname = NULL;
	uint32_t bitrate = 0, restart_ms = 0;
	int have_bitrate = 0, have_restart = 0, r, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bitrate") == 0 && i + 1 < argc) {
			r = pl_parse_u32(argv[++i], BITRATE_MIN, BITRATE_MAX, &bitrate);
			if (r != 0) {
				pl_log_err("usage", r, "option", "--bitrate", "value", argv[i],
				           "hint", "a number of bit/s from 1000 to 1000000", NULL);
				return CMD_USAGE;
			}
			have_bitrate = 1;
		} else if (strcmp(argv[i], "--restart-ms") == 0 && i + 1 < argc) {
			r = pl_parse_u32(argv[++i], 0, RESTART_MS_MAX, &restart_ms);
			if (r != 0) {
				pl_log_err("usage", r, "option", "--restart-ms", "value", argv[i],
				           "hint", "milliseconds from 0 to 600000", NULL);
				return CMD_USAGE;
			}
			have_restart = 1;
		} else if (argv[i][0] != '-' && ifname == NULL) {
			ifname = argv[i];
		} else {
			fprintf(stderr, "pitlane can setup: unexpected argument '%s'\n", argv[i]);
			cmd_can_usage(stderr);
			return CMD_USAGE;
		}
	}
	if (ifname == NULL || !have_bitrate) {
		cmd_can_usage(stderr);
		return CMD_USAGE;
	}
	if ((r = can_link_setup(&can_link_system, ifname, bitrate, have_restart, restart_ms)) !=
	    0) {
		pl_log_err("can_setup_failed", r, "iface", ifname, NULL);
		return CMD_FAIL;
	}
	printf("%s: bitrate set to %u bit/s", ifname, bitrate);
	if (have_restart)
		printf(", restart-ms %u", restart_ms);
	printf("\n");
	return CMD_OK;
}

int cmd_can(int argc, char **argv)
{
	if (argc < 2) {
		cmd_can_usage(stderr);
		return CMD_USAGE;
	}
	if (strcmp(argv[1], "status") == 0)
		return can_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "setup") == 0)
		return can_setup(argc - 1, argv + 1);
	fprintf(stderr, "pitlane can: unknown sub-command '%s'\n", argv[1]);
	cmd_can_usage(stderr);
	return CMD_USAGE;
}
