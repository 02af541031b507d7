#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ecusim.h"
#include "pl_err.h"
#include "pl_parse.h"

static void usage(FILE *f)
{
	fputs("usage: pitlane-ecusim --can socketcan:IFACE|loop:NAME --vin VIN --trust PEM[:ROLE]\n"
	      "                      [--trust PEM[:ROLE] ...] [--require OP=ROLE[:K][,ROLE[:K]] "
	      "...]\n"
	      "                      [--tx-id 0x7E8] [--rx-id 0x7E0]\n"
	      "                      [--state FILE] [--attempts N] [--lockout S]\n"
	      "                      [--session-timeout S] [--challenge-ttl S]\n"
	      "                      [--trusted-clock] [--verbose]\n"
	      "\n"
	      "The reference ECU of pitlane: a UDS server that verifies pitlane tokens\n"
	      "(UDS 0x29) before it runs door.unlock (0xF001), door.lock (0xF002),\n"
	      "ignition.enable (0xF003), key.learn (0xF004) or dtc.clear (0xF005).\n"
	      "\n"
	      "  --can URI              CAN transport: socketcan:vcan0, loop:NAME\n"
	      "  --vin VIN              this vehicle's VIN (17 characters, no I, O, Q)\n"
	      "  --trust PEM[:ROLE]     a signer's public key or certificate (up to 8); ROLE is\n"
	      "                         broker (the default) or cosigner\n"
	      "  --require OP=ROLE[:K][,ROLE[:K]]\n"
	      "                         signatures OP needs: K (default 1) valid signatures by\n"
	      "                         distinct keys of each ROLE named. Default: broker for\n"
	      "                         every operation; once a cosigner key is given,\n"
	      "                         ignition.enable and key.learn need broker,cosigner\n"
	      "  --tx-id ID, --rx-id ID CAN ids of responses / requests (0x7E8 / 0x7E0)\n"
	      "  --state FILE           JSON state, read at start, rewritten on change\n"
	      "  --attempts N           bad tokens before the lockout (1..100, default 3)\n"
	      "  --lockout S            lockout delay in seconds (0..86400, default 10)\n"
	      "  --session-timeout S    S3: extended session ends after S seconds without\n"
	      "                         a request (1..3600, default 5)\n"
	      "  --challenge-ttl S      a challenge is void after S seconds (1..3600, default 60)\n"
	      "  --trusted-clock        also check the token's iat/exp against this\n"
	      "                         machine's clock (an ECU without one relies on exi)\n"
	      "  --verbose              log debug events too\n"
	      "\n"
	      "Exit status: 0 clean shutdown (SIGTERM/SIGINT), 1 transport or state file\n"
	      "failure while running, 2 usage error, 3 unusable trust anchor, state file\n"
	      "or CAN transport at start.\n",
	      f);
}

enum {
	OPT_CAN = 256,
	OPT_VIN,
	OPT_TRUST,
	OPT_REQUIRE,
	OPT_TX,
	OPT_RX,
	OPT_STATE,
	OPT_ATTEMPTS,
	OPT_LOCKOUT,
	OPT_S3,
	OPT_TTL,
	OPT_CLOCK,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
    {"can", required_argument, NULL, OPT_CAN},
    {"vin", required_argument, NULL, OPT_VIN},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"require", required_argument, NULL, OPT_REQUIRE},
    {"tx-id", required_argument, NULL, OPT_TX},
    {"rx-id", required_argument, NULL, OPT_RX},
    {"state", required_argument, NULL, OPT_STATE},
    {"attempts", required_argument, NULL, OPT_ATTEMPTS},
    {"lockout", required_argument, NULL, OPT_LOCKOUT},
    {"session-timeout", required_argument, NULL, OPT_S3},
    {"challenge-ttl", required_argument, NULL, OPT_TTL},
    {"trusted-clock", no_argument, NULL, OPT_CLOCK},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "pitlane-ecusim: --%s '%s': %s (see --help)\n", opt, val, want);
	return PL_E_USAGE;
}

static int parse_can_id(const char *opt, const char *val, uint32_t *id)
{
	if (pl_parse_u32_any(val, 0, 0x7FF, id) != 0)
		return bad_value(opt, val, "expected an 11-bit CAN id such as 0x7E0");
	return 0;
}

static int parse_num(const char *opt, const char *val, uint32_t min, uint32_t max, uint32_t *out)
{
	if (pl_parse_u32(val, min, max, out) != 0) {
		char want[80];
		snprintf(want, sizeof(want), "expected a whole number from %u to %u", (unsigned)min,
		         (unsigned)max);
		return bad_value(opt, val, want);
	}
	return 0;
}

static int opts_check(struct ecusim_opts *o)
{
	if (o->can_uri == NULL || o->vin == NULL || o->ntrust == 0) {
		fprintf(stderr, "pitlane-ecusim: --can, --vin and at least one --trust are "
		                "required (see --help)\n");
		return PL_E_USAGE;
	}
	if (strlen(o->vin) != PLT_VIN_LEN || !plt_vin_valid(o->vin, PLT_VIN_LEN))
		return bad_value("vin", o->vin,
		                 "a VIN is 17 characters of 0-9 and A-Z without I, O and Q");
	if (o->tx_id == o->rx_id) {
		fprintf(stderr, "pitlane-ecusim: --tx-id and --rx-id must differ\n");
		return PL_E_USAGE;
	}
	return ecusim_require_check(o);
}

int ecusim_opts_parse(int argc, char **argv, struct ecusim_opts *o)
{
	uint32_t s3_s = 5;
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	o->tx_id = 0x7E8;
	o->rx_id = 0x7E0;
	o->attempts = ECU_DEFAULT_MAX_ATTEMPTS;
	o->lockout_s = ECU_DEFAULT_LOCKOUT_MS / 1000;
	o->challenge_ttl_s = ECU_DEFAULT_CHALLENGE_TTL_MS / 1000;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CAN:
			o->can_uri = optarg;
			break;
		case OPT_VIN:
			o->vin = optarg;
			break;
		case OPT_TRUST:
			if (o->ntrust == ECUSIM_TRUST_MAX) {
				r = bad_value("trust", optarg, "at most 8 trust anchors");
				break;
			}
			r = ecusim_trust_arg(optarg, &o->trust_paths[o->ntrust],
			                     &o->trust_roles[o->ntrust]);
			o->ntrust += r == 0;
			break;
		case OPT_REQUIRE:
			if (o->nrequire == ECUSIM_REQUIRE_MAX)
				r = bad_value("require", optarg, "at most 8 --require");
			else if ((r = ecusim_require_parse(optarg, &o->require[o->nrequire])) == 0)
				o->nrequire++;
			break;
		case OPT_TX:
			r = parse_can_id("tx-id", optarg, &o->tx_id);
			break;
		case OPT_RX:
			r = parse_can_id("rx-id", optarg, &o->rx_id);
			break;
		case OPT_STATE:
			o->state_path = optarg;
			break;
		case OPT_ATTEMPTS:
			r = parse_num("attempts", optarg, 1, 100, &o->attempts);
			break;
		case OPT_LOCKOUT:
			r = parse_num("lockout", optarg, 0, 86400, &o->lockout_s);
			break;
		case OPT_S3:
			r = parse_num("session-timeout", optarg, 1, 3600, &s3_s);
			break;
		case OPT_TTL:
			r = parse_num("challenge-ttl", optarg, 1, 3600, &o->challenge_ttl_s);
			break;
		case OPT_CLOCK:
			o->trusted_clock = 1;
			break;
		case OPT_VERBOSE:
			o->verbose = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			puts("pitlane-ecusim " PITLANE_VERSION);
			return 1;
		default:
			fprintf(stderr,
			        "pitlane-ecusim: unknown option or missing value: %s "
			        "(see --help)\n",
			        argv[optind - 1]);
			r = PL_E_USAGE;
			break;
		}
	}
	if (r != 0)
		return r;
	if (optind < argc) {
		fprintf(stderr, "pitlane-ecusim: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return PL_E_USAGE;
	}
	o->session_timeout_ms = s3_s * 1000u;
	return opts_check(o);
}
