/* `pitlanectl token inspect [--hex] FILE|-`: the token as JSON (lib/token's tool library). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "pitlane/token.h"
#include "pitlane/token_tool.h"
#include "pl_err.h"

static void token_usage(FILE *f)
{
	fputs("usage: pitlanectl token inspect [--hex] FILE|-\n"
	      "Decodes a token with the strict profile (no signature check) and prints it as\n"
	      "JSON. Exit status: 0 decoded, 1 not a valid token, 2 usage or I/O error.\n",
	      f);
}

int ctl_token_main(int argc, char **argv)
{
	uint8_t tok[PLT_TOKEN_MAX];
	size_t len = 0, off = 0;
	int hex = 0, i = 2, r;
	const char *path;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		token_usage(stdout);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "inspect") != 0) {
		token_usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "--hex") == 0) {
		hex = 1;
		i++;
	}
	if (i != argc - 1) {
		token_usage(stderr);
		return 2;
	}
	path = argv[i];
	if ((r = plt_tool_read_token(path, hex, tok, sizeof(tok), &len)) != 0) {
		fprintf(stderr, "pitlanectl token: %s: %s\n", path, pl_strerror(r));
		return 2;
	}
	if ((r = plt_tool_inspect_json(stdout, tok, len, &off)) != 0) {
		fprintf(stderr, "pitlanectl token: %s: not a pitlane token: %s (%s) at byte %zu\n",
		        path, pl_strerror(r), pl_errname(r), off);
		return 1;
	}
	return 0;
}
