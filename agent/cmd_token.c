/*
 * pitlane token inspect FILE [--hex]
 *
 * Decodes a token (strict profile, no signature check) and prints it as JSON:
 * the same code as `pitlane-token inspect` (pitlane_token_tool).
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "cmd.h"
#include "pitlane/token.h"
#include "pitlane/token_tool.h"
#include "pl_err.h"

void cmd_token_usage(FILE *f)
{
	fputs("usage: pitlane token inspect FILE [--hex]\n\n"
	      "Decodes the token in FILE ('-' = stdin) and prints header and claims as JSON.\n"
	      "The signature is not checked (the vehicle does that).\n"
	      "  --hex   FILE holds the token as hex text\n\n"
	      "exit: 0 decoded, 1 not a valid token, 2 usage, 3 unreadable file\n",
	      f);
}

int cmd_token(int argc, char **argv)
{
	uint8_t tok[PLT_TOKEN_MAX];
	size_t len = 0, off = 0;
	int hex = 0, r;

	if (argc == 4 && strcmp(argv[3], "--hex") == 0)
		hex = 1;
	if (argc != 3 + hex || strcmp(argv[1], "inspect") != 0) {
		cmd_token_usage(stderr);
		return CMD_USAGE;
	}
	if ((r = plt_tool_read_token(argv[2], hex, tok, sizeof(tok), &len)) != 0) {
		agent_error("%s: %s", argv[2], pl_strerror(r));
		return CMD_CONFIG;
	}
	r = plt_tool_inspect_json(stdout, tok, len, &off);
	plt_wipe(tok, sizeof(tok));
	if (r != 0) {
		agent_error("%s is not a valid token: %s (%s) at byte %zu", argv[2], pl_strerror(r),
		            pl_errname(r), off);
		return CMD_FAIL;
	}
	return CMD_OK;
}
