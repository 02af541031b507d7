/*
 * cosign_verify TOKEN BROKER_PEM COSIGNER_PEM VIN OP CNONCE_HEX [COSIGNERS]:
 * verifies a token with lib/token as an ECU configured "OP needs broker 1 +
 * cosigner COSIGNERS (default 1)" would (plt_verify_signers), and prints "signers=N verify=ok" or
 * "signers=N verify=<code>". Exit 0 on ok.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pitlane/token_tool.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(int argc, char **argv)
{
	struct plt_trust_anchor a[2];
	struct plt_trust_store ts = {a, 2};
	struct plt_threshold row;
	struct plt_thresholds th = {&row, 1};
	struct plt_crypto cr;
	struct plt_token t;
	struct plt_expect ex;
	uint8_t tok[1024], cn[32];
	size_t len, cnl;
	FILE *f;
	int r;

	if (argc != 7 && !(argc == 8 && (argv[7][0] == '0' || argv[7][0] == '1'))) {
		fprintf(stderr,
		        "usage: cosign_verify TOKEN BROKER_PEM COSIGNER_PEM VIN OP CNONCE [0|1]\n");
		return 2;
	}
	memset(a, 0, sizeof(a));
	if (plt_tool_anchor_file(argv[2], &a[0]) != 0 ||
	    plt_tool_anchor_file(argv[3], &a[1]) != 0) {
		fprintf(stderr, "cosign_verify: cannot load the keys\n");
		return 2;
	}
	a[0].role = PLT_ROLE_BROKER;
	a[1].role = PLT_ROLE_COSIGNER;
	if ((f = fopen(argv[1], "rb")) == NULL)
		return 2;
	len = fread(tok, 1, sizeof(tok), f);
	fclose(f);
	cnl = strlen(argv[6]) / 2;
	if (cnl > sizeof(cn))
		return 2;
	for (size_t i = 0; i < cnl; i++)
		cn[i] = (uint8_t)(hexval(argv[6][2 * i]) * 16 + hexval(argv[6][2 * i + 1]));
	memset(&row, 0, sizeof(row));
	row.op = argv[5];
	row.need[PLT_ROLE_BROKER] = 1;
	row.need[PLT_ROLE_COSIGNER] = argc == 8 ? (uint8_t)(argv[7][0] - '0') : 1;
	memset(&ex, 0, sizeof(ex));
	ex.vin = argv[4];
	ex.op = argv[5];
	ex.cnonce = cn;
	ex.cnonce_len = cnl;
	ex.age_s = -1;
	plt_openssl_crypto(&cr);
	memset(&t, 0, sizeof(t));
	r = plt_verify_signers(tok, len, &ts, &cr, &ex, &th, &t);
	printf("signers=%zu verify=%s\n", t.nsigners, r == 0 ? "ok" : plt_errname(r));
	return r == 0 ? 0 : 1;
}
