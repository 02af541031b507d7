/*
 * pitlane request OP --vin VIN --cnonce HEX [--out FILE] [--work-order ID]
 *                    [--reason TEXT] [--json] [-c FILE]
 *
 * A token without a vehicle (bench use, scripts): the same signed request as
 * `pitlane run`, for a challenge obtained elsewhere. The token goes to FILE
 * (mode 0600) with --out, else to stdout as hex; it is never kept otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "broker.h"
#include "cmd.h"
#include "config.h"
#include "fetch.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_file.h"
#include "request.h"
#include "techkey.h"
#include "ui.h"

struct req_opts {
	const char *op, *vin, *cnonce, *out, *work_order, *reason, *config;
	int json;
};

void cmd_request_usage(FILE *f)
{
	fputs("usage: pitlane request OP --vin VIN --cnonce HEX [--out FILE]\n"
	      "                       [--work-order ID] [--reason TEXT] [--json] [-c FILE]\n\n"
	      "Asks the broker for a token for operation OP on vehicle VIN and challenge HEX\n"
	      "(16..32 bytes, from the ECU's 29 05 answer), without talking to a vehicle.\n"
	      "  --out FILE         write the token to FILE (mode 0600); else hex on stdout\n"
	      "  --work-order ID    work order (default: bench)\n"
	      "  --reason TEXT      why (recorded in the audit trail)\n"
	      "  --json             print one JSON object with the outcome\n"
	      "  -c FILE            configuration (default /etc/pitlane/agent.conf)\n\n"
	      "exit: 0 issued, 1 refused by the broker, 2 usage, 3 configuration,\n"
	      "      4 broker unreachable, 6 technician key\n",
	      f);
}

static int parse(int argc, char **argv, struct req_opts *o)
{
	static const struct option lo[] = {{"vin", 1, 0, 'v'},    {"cnonce", 1, 0, 'n'},
	                                   {"out", 1, 0, 'o'},    {"work-order", 1, 0, 'w'},
	                                   {"reason", 1, 0, 'r'}, {"json", 0, 0, 'j'},
	                                   {"config", 1, 0, 'c'}, {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->work_order = "bench";
	o->reason = "";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'v':
			o->vin = optarg;
			break;
		case 'n':
			o->cnonce = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'w':
			o->work_order = optarg;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			o->config = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1 || o->vin == NULL || o->cnonce == NULL) {
		agent_error("request: give OP, --vin VIN and --cnonce HEX");
		return -1;
	}
	o->op = argv[optind];
	return 0;
}

static void print_result(const struct req_opts *o, int st, const char *reason,
                         const struct broker_reply *rep, const uint8_t *tok, size_t len)
{
	char hex[2 * PLT_TOKEN_MAX + 1];

	if (!o->json) {
		if (st == 0 && o->out == NULL && pl_hex_encode(tok, len, hex, sizeof(hex)) == 0)
			printf("%s\n", hex);
		else if (st == 0)
			printf("issued: %zu bytes written to %s\n", len, o->out);
		else if (st == CMD_FAIL)
			printf("refused: %s\n", reason);
		else
			agent_error("%s", reason);
		return;
	}
	printf("{\"result\":\"%s\",\"exit\":%d",
	       st == 0          ? "issued"
	       : st == CMD_FAIL ? "refused"
	                        : "failed",
	       st);
	if (st == 0 && o->out == NULL && pl_hex_encode(tok, len, hex, sizeof(hex)) == 0)
		printf(",\"token\":\"%s\"", hex);
	if (st == 0 && o->out != NULL) {
		printf(",\"out\":");
		agent_json_str(stdout, o->out);
	}
	if (st != 0) {
		printf(",\"reason\":");
		agent_json_str(stdout, reason);
	}
	if (rep->status != 0)
		printf(",\"http_status\":%ld", rep->status);
	if (rep->code[0])
		printf(",\"code\":\"%s\"", rep->code);
	if (rep->rule[0]) {
		printf(",\"rule\":");
		agent_json_str(stdout, rep->rule);
	}
	if (rep->status != 0 && rep->retry_after >= 0)
		printf(",\"retry_after\":%ld", rep->retry_after);
	printf("}\n");
	plt_wipe(hex, sizeof(hex));
}

static int issue(const struct req_opts *o, const struct agent_config *cfg, uint8_t *tok,
                 size_t *len, struct broker_reply *rep, char *err, size_t errlen)
{
	uint8_t cn[PLT_CNONCE_MAX + 1];
	struct token_request q = {.vin = o->vin,
	                          .op = o->op,
	                          .cnonce = cn,
	                          .work_order = o->work_order,
	                          .reason = o->reason,
	                          .ttl = cfg->ttl_s};
	struct techkey *key = NULL;
	struct broker *b = NULL;
	struct ui ui;
	struct fetch_ctx fx = {.cfg = cfg, .ui = &ui};
	int r, st;

	ui_init(&ui, 1, 0);
	if (pl_hex_decode(o->cnonce, strlen(o->cnonce), cn, sizeof(cn), &q.cnonce_len) != 0) {
		snprintf(err, errlen, "--cnonce '%s' is not hex of 16..32 bytes", o->cnonce);
		return CMD_USAGE;
	}
	if ((r = request_check(&q, err, errlen)) != 0)
		return CMD_USAGE;
	if ((r = techkey_open(cfg, &key, err, errlen)) != 0) {
		st = r == PL_E_AGENT_TECH_CERT ? CMD_CONFIG : CMD_TECHKEY;
		goto out;
	}
	if ((r = broker_open(cfg, &b, err, errlen)) != 0) {
		st = CMD_CONFIG;
		goto out;
	}
	fx.key = key;
	fx.broker = b;
	r = fetch_token(&fx, &q, tok, PLT_TOKEN_MAX, len, rep, err, errlen);
	st = r == 0 ? CMD_OK : agent_exit_for(r);
out:
	broker_close(b);
	techkey_close(key);
	return st;
}

int cmd_request(int argc, char **argv)
{
	struct req_opts o;
	static struct agent_config cfg;
	static struct broker_reply rep;
	uint8_t tok[PLT_TOKEN_MAX];
	char err[900] = "";
	size_t len = 0;
	int st, r;

	if (parse(argc, argv, &o) != 0) {
		cmd_request_usage(stderr);
		return CMD_USAGE;
	}
	if ((st = agent_load_config(o.config, &cfg)) != 0)
		return st;
	rep.retry_after = -1;
	st = issue(&o, &cfg, tok, &len, &rep, err, sizeof(err));
	if (st == 0 && o.out != NULL && (r = pl_write_file(o.out, tok, len, 0600)) != 0) {
		snprintf(err, sizeof(err), "--out %s: %s", o.out, pl_strerror(r));
		st = CMD_CONFIG;
	}
	print_result(&o, st, err, &rep, tok, len);
	plt_wipe(tok, sizeof(tok));
	plt_wipe(&rep, sizeof(rep));
	return st;
}
