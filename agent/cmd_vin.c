/*
 * pitlane vin [--can URI] [--json] [-c FILE]
 *
 * Reads the vehicle's VIN (22 F190). Needs no broker and no technician key;
 * without a configuration file it uses --can (or socketcan:can0) and the
 * default ids 0x7E0/0x7E8.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "car.h"
#include "cmd.h"
#include "config.h"
#include "pl_err.h"
#include "uds.h"
#include "uds_client.h"

void cmd_vin_usage(FILE *f)
{
	fputs("usage: pitlane vin [--can URI] [--json] [-c FILE]\n\n"
	      "Reads the vehicle identification number (UDS 22 F190).\n"
	      "  --can URI   socketcan:IFACE or loop:NAME (default: 'can' in agent.conf)\n"
	      "  --json      print {\"vin\":\"...\"}\n"
	      "  -c FILE     configuration (default /etc/pitlane/agent.conf; optional here)\n\n"
	      "exit: 0 read, 3 configuration, 5 no answer from the vehicle,\n"
	      "      7 refused by the vehicle\n",
	      f);
}

int cmd_vin(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"can", 1, 0, 'C'}, {"config", 1, 0, 'c'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	struct agent_config cfg;
	const char *can = NULL, *conf = NULL;
	char vin[UDS_VIN_LEN + 1];
	struct car car;
	struct uds_result u;
	int ch, json = 0, st;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'C':
			can = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			cmd_vin_usage(stderr);
			return CMD_USAGE;
		}
	}
	if (optind != argc) {
		cmd_vin_usage(stderr);
		return CMD_USAGE;
	}
	agent_config_defaults(&cfg);
	/* The configuration is optional when --can names the link. */
	if ((conf != NULL || can == NULL || access(AGENT_CONF_DEFAULT, R_OK) == 0) &&
	    (st = agent_load_config(conf, &cfg)) != 0)
		return st;
	if (can == NULL)
		can = cfg.can;
	if ((st = car_open(can, cfg.tester_id, cfg.ecu_id, &car)) != 0) {
		agent_error("cannot open the CAN link %s: %s; check --can (pitlane doctor)", can,
		            pl_strerror(st));
		return CMD_VEHICLE;
	}
	u = uds_client_read_vin(car.uc, vin);
	car_close(&car);
	if (u.err != 0) {
		agent_error("no answer from the vehicle on %s: %s; check the cable, the ignition "
		            "and the interface",
		            can, pl_strerror(u.err));
		return CMD_VEHICLE;
	}
	if (u.nrc != 0) {
		agent_error("the vehicle refused to tell its VIN: %s (NRC 0x%02X)",
		            uds_nrc_text(u.nrc), u.nrc);
		return CMD_ECU_REFUSED;
	}
	if (json)
		printf("{\"vin\":\"%s\"}\n", vin);
	else
		printf("%s\n", vin);
	return CMD_OK;
}
