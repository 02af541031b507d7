/*
 * pitlanectl — the operator tool of the pitlane broker. A dispatcher: each
 * subcommand is implemented by the module that owns the data.
 *
 *   pitlanectl policy check|dump|test DIR       (broker/policy)
 *   pitlanectl audit verify|export DB ...       (broker/audit)
 *   pitlanectl key export -f broker.conf ...    (broker/signer)
 *   pitlanectl pki init DIR                     (broker/signer)
 *   pitlanectl token inspect FILE               (lib/token tool library)
 *   pitlanectl status -f broker.conf            (this folder: asks the admin listener)
 *   pitlanectl alerts|approvals|suspend|resume|revoke|breaker ... (broker/abuse)
 */
#include <stdio.h>
#include <string.h>

#include "abuse.h"
#include "audit.h"
#include "ctl.h"
#include "pl_log.h"
#include "policy.h"
#include "signer.h"

static void usage(FILE *f)
{
	fputs("usage: pitlanectl COMMAND ...\n"
	      "  policy check|dump|test DIR           check, normalise or test a policy directory\n"
	      "  audit verify DB [--pubkey PEM]       recompute the audit hash chain and "
	      "checkpoints\n"
	      "  audit export DB [--since T]          write audit rows as JSON lines\n"
	      "  key export -f broker.conf [--format pem|cose]  the token signing public key\n"
	      "  pki init DIR                         create the demo PKI and SoftHSM2 tokens\n"
	      "  token inspect FILE                   decode a token (no signature check)\n"
	      "  status -f broker.conf                readiness and counters of a running broker\n"
	      "  alerts list -f broker.conf           anomaly alerts and breaker trips\n"
	      "  approvals list|show|approve|deny ... two-person approvals\n"
	      "  suspend|resume workshop|technician ID --reason TEXT -f broker.conf\n"
	      "  revoke token CTI --reason TEXT -f broker.conf\n"
	      "  breaker list|reset NAME --reason TEXT -f broker.conf  fleet circuit breakers\n"
	      "Run 'pitlanectl COMMAND --help' for the options of one command.\n",
	      f);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {"policy", ctl_policy_main}, {"audit", ctl_audit_main},  {"key", ctl_key_main},
    {"pki", ctl_pki_main},
#ifdef PITLANE_HAVE_TOKEN_TOOL
    {"token", ctl_token_main},
#endif
    {"status", ctl_status_main}, {"alerts", ctl_abuse_main}, {"approvals", ctl_abuse_main},
    {"suspend", ctl_abuse_main}, {"resume", ctl_abuse_main}, {"revoke", ctl_abuse_main},
    {"breaker", ctl_abuse_main},
};

int main(int argc, char **argv)
{
	pl_log_init("pitlanectl", PL_LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/*
		 * `pitlanectl CMD SUB --help` (anywhere after CMD) shows CMD's usage: the
		 * command parsers then never mistake --help for a directory or file name.
		 */
		for (int a = 2; a < argc; a++) {
			if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
				char *help_argv[] = {argv[1], (char *)"--help", NULL};
				return commands[i].fn(2, help_argv);
			}
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "pitlanectl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
