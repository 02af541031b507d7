/*
 * ecu-client: a tester for pitlane-ecusim built on lib/can's UDS client, for
 * the integration tests here and the VM tier on real vcan. It plays the
 * agent and, with a software key, the broker (minting the token itself).
 *
 *   ecu-client --can URI --vin-read
 *   ecu-client --can URI --dtc-read
 *   ecu-client --can URI --flow OP --key PEM [--exi S] [--token-vin VIN]
 *              [--token-op OP] [--corrupt-sig] [--no-deauth] [--replay]
 *              [--full-claims]
 *   ecu-client --can URI --routine OP        (31 01 in a fresh extended session)
 *   ecu-client --can URI --raw HEX           (one request, response in hex)
 *
 * Output: key=value lines on stdout (vin=..., step=... nrc=0x55 ...).
 * Exit: 0 every step answered positively, 1 the ECU refused a step (the
 * step and NRC are printed), 2 usage, 3 local failure (transport, timeout,
 * key). Not for production: the key is a software key.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "can_transport.h"
#include "ecu_routine.h"
#include "isotp.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_parse.h"
#include "testkit.h"
#include "uds.h"
#include "uds_client.h"

#define EXIT_OK 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_LOCAL 3

struct opts {
	const char *can;
	uint32_t tx_id, rx_id;
	int vin_read, dtc_read, corrupt_sig, no_deauth, replay, full_claims;
	const char *flow_op, *routine_op, *key_path, *token_vin, *token_op, *raw;
	uint32_t exi;
	int cose_sign;                 /* a COSE_Sign (tag 98) even with one signer */
	const char *cosign_paths[3];   /* co-signers' keys, in order */
	size_t ncosign;
};

static void usage(FILE *f)
{
	fputs("usage: ecu-client --can URI [--tx-id 0x7E0] [--rx-id 0x7E8] COMMAND\n"
	      "commands:\n"
	      "  --vin-read                  22 F190, prints vin=...\n"
	      "  --dtc-read                  19 02 FF, prints dtc=... lines\n"
	      "  --flow OP --key PEM         10 03, 22 F190, 29 05, token, 29 06, 31 01, 29 00\n"
	      "      [--exi S]               token exi (default 30)\n"
	      "      [--token-vin VIN]       mint the token for another VIN\n"
	      "      [--token-op OP]         mint the token for another operation\n"
	      "      [--corrupt-sig]         flip a bit of the token's signature\n"
	      "      [--replay]              present the same token a second time\n"
	      "      [--no-deauth]           leave the ECU authenticated\n"
	      "      [--full-claims]         add workshop, technician, work order and policy\n"
	      "                              version (a token of about 400 bytes)\n"
	      "      [--cose-sign]           a COSE_Sign (tag 98) instead of a COSE_Sign1\n"
	      "      [--cosign-key PEM]      add a co-signature by this key (COSE_Sign; up to 3)\n"
	      "  --routine OP                10 03 then 31 01 (no token)\n"
	      "  --raw HEX                   send one request, print resp=HEX (the final\n"
	      "                              answer: responsePending 7F xx 78 is skipped)\n"
	      "exit: 0 ok, 1 the ECU refused (step and nrc printed), 2 usage, 3 local failure\n",
	      f);
}

static int step_result(const char *step, struct uds_result r)
{
	if (r.err != 0) {
		printf("step=%s err=%s\n", step, pl_errname(r.err));
		fprintf(stderr, "ecu-client: %s: %s\n", step, pl_strerror(r.err));
		return EXIT_LOCAL;
	}
	if (r.nrc != 0) {
		const char *name = uds_nrc_name(r.nrc);
		printf("step=%s nrc=0x%02X nrc_name=%s\n", step, r.nrc, name ? name : "unknown");
		return EXIT_REFUSED;
	}
	printf("step=%s ok\n", step);
	return EXIT_OK;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static const struct ecu_routine *routine_of(const char *op)
{
	const struct ecu_routine *rt = ecu_routine_by_op((const uint8_t *)op, strlen(op));

	if (rt == NULL)
		fprintf(stderr, "ecu-client: '%s' is not in the routine catalogue "
				"(door.unlock, door.lock, ignition.enable, key.learn, dtc.clear)\n",
			op);
	return rt;
}

static int do_vin_read(struct uds_client *c)
{
	char vin[UDS_VIN_LEN + 1];
	int rc = step_result("vin_read", uds_client_read_vin(c, vin));

	if (rc == EXIT_OK)
		printf("vin=%s\n", vin);
	return rc;
}

static int do_dtc_read(struct uds_client *c)
{
	struct uds_dtc d[16];
	size_t n = 0;
	int rc = step_result("dtc_read", uds_client_read_dtc(c, 0xFF, d, 16, &n));

	if (rc != EXIT_OK)
		return rc;
	printf("dtc_count=%zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("dtc=%06X status=%02X\n", (unsigned)d[i].dtc, d[i].status);
	return EXIT_OK;
}

static int do_routine(struct uds_client *c, const char *op)
{
	const struct ecu_routine *rt = routine_of(op);
	size_t n = 0;
	int rc;

	if (rt == NULL)
		return EXIT_USAGE;
	if ((rc = step_result("session", uds_client_session(c, UDS_SESSION_EXTENDED))) != 0)
		return rc;
	return step_result("routine", uds_client_routine_start(c, rt->id, NULL, 0, NULL, 0, &n));
}

/* A COSE_Sign by the broker's key, co-signed by every --cosign-key. */
static int mint_sign(const struct opts *o, const struct tk_key *key, const struct plt_claims *c,
		     uint8_t *tok, size_t cap, size_t *len)
{
	struct tk_key co[3];
	const struct tk_key *cop[3];
	size_t n = 0;
	int r = 0;

	for (; n < o->ncosign; n++) {
		if ((r = tk_key_load_pem(&co[n], o->cosign_paths[n])) != 0) {
			fprintf(stderr, "ecu-client: --cosign-key %s: %s\n", o->cosign_paths[n],
				pl_strerror(r));
			goto out;
		}
		cop[n] = &co[n];
	}
	r = tk_mint_sign(key, cop, n, c, tok, cap, len);
out:
	while (n > 0)
		tk_key_free(&co[--n]);
	return r;
}

/* Mints the token for the challenge (the broker's part, with a software key). */
static int mint(const struct opts *o, const char *vin, const uint8_t *ch, size_t chlen,
		uint8_t *tok, size_t cap, size_t *len)
{
	/* 55 characters each: the token comes to the 400-byte budget. */
	static const char text[] = "pitlane-test-0123456789abcdefghijklmnopqrstuvwxyz012345";
	struct tk_key key;
	struct plt_claims c;
	const char *op = o->token_op ? o->token_op : o->flow_op;
	int r;

	if ((r = tk_key_load_pem(&key, o->key_path)) != 0) {
		fprintf(stderr, "ecu-client: --key %s: %s\n", o->key_path, pl_strerror(r));
		return EXIT_LOCAL;
	}
	tk_claims_init(&c, o->token_vin ? o->token_vin : vin, op, ch, chlen, o->exi);
	if (o->full_claims) {
		struct plt_bytes t = { (const uint8_t *)text, sizeof(text) - 1 };
		c.present |= PLT_HAS_WORKSHOP | PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER |
			     PLT_HAS_POLICY_VER;
		c.workshop = t;
		c.technician = t;
		c.work_order = t;
		c.policy_version = UINT32_MAX;
	}
	if (o->cose_sign || o->ncosign > 0)
		r = mint_sign(o, &key, &c, tok, cap, len);
	else
		r = tk_mint_claims(&key, &c, tok, cap, len);
	tk_key_free(&key);
	if (r != 0) {
		fprintf(stderr, "ecu-client: minting the token failed: %s\n", pl_strerror(r));
		return EXIT_LOCAL;
	}
	if (o->corrupt_sig)
		tok[*len - 1] ^= 0x01;
	printf("token_len=%zu\n", *len);
	return EXIT_OK;
}

static int do_flow(struct uds_client *c, const struct opts *o)
{
	const struct ecu_routine *rt = routine_of(o->flow_op);
	char vin[UDS_VIN_LEN + 1];
	uint8_t ch[PLT_CNONCE_MAX], tok[PLT_TOKEN_MAX], ret = 0;
	size_t chlen = 0, toklen = 0, n = 0;
	struct timespec t0;
	int rc;

	if (rt == NULL)
		return EXIT_USAGE;
	if ((rc = step_result("session", uds_client_session(c, UDS_SESSION_EXTENDED))) != 0 ||
	    (rc = step_result("vin_read", uds_client_read_vin(c, vin))) != 0)
		return rc;
	printf("vin=%s\n", vin);
	rc = step_result("challenge", uds_client_request_challenge(c, ch, sizeof(ch), &chlen));
	if (rc != 0)
		return rc;
	printf("challenge_len=%zu\n", chlen);
	if ((rc = mint(o, vin, ch, chlen, tok, sizeof(tok), &toklen)) != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = step_result("token", uds_client_send_token(c, tok, toklen, &ret));
	printf("token_rtt_ms=%.2f\n", ms_since(&t0));
	if (rc != 0)
		return rc;
	if (o->replay &&
	    (rc = step_result("replay", uds_client_send_token(c, tok, toklen, &ret))) != 0)
		return rc;
	rc = step_result("routine", uds_client_routine_start(c, rt->id, NULL, 0, NULL, 0, &n));
	if (rc != 0)
		return rc;
	printf("routine=%s rid=0x%04X\n", rt->op, rt->id);
	if (!o->no_deauth)
		rc = step_result("deauth", uds_client_deauthenticate(c));
	return rc;
}

static int do_raw(struct isotp *tp, const char *hex)
{
	uint8_t req[UDS_MAX_MSG], resp[UDS_MAX_MSG];
	char out[2 * 64 + 1];
	size_t len = 0, rlen = 0;
	int r;

	if (pl_hex_decode(hex, strlen(hex), req, sizeof(req), &len) != 0 || len == 0) {
		fprintf(stderr, "ecu-client: --raw '%s': expected hex bytes such as 22F190\n", hex);
		return EXIT_USAGE;
	}
	if ((r = isotp_send(tp, req, len)) != 0) {
		fprintf(stderr, "ecu-client: raw request: %s\n", pl_strerror(r));
		return EXIT_LOCAL;
	}
	/* 7F xx 78 (responsePending) announces the final answer: wait for it (P2*) */
	do {
		if ((r = isotp_recv(tp, resp, sizeof(resp), &rlen, 5000)) != 0) {
			fprintf(stderr, "ecu-client: raw request: %s\n", pl_strerror(r));
			return EXIT_LOCAL;
		}
	} while (rlen == 3 && resp[0] == UDS_SID_NEGATIVE && resp[2] == UDS_NRC_RESPONSE_PENDING);
	if (pl_hex_encode(resp, rlen < 64 ? rlen : 64, out, sizeof(out)) != 0)
		return EXIT_LOCAL;
	printf("resp=%s\n", out);
	return resp[0] == UDS_SID_NEGATIVE ? EXIT_REFUSED : EXIT_OK;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "can", required_argument, NULL, 'c' },
		{ "tx-id", required_argument, NULL, 't' },
		{ "rx-id", required_argument, NULL, 'r' },
		{ "vin-read", no_argument, NULL, 'v' },
		{ "dtc-read", no_argument, NULL, 'd' },
		{ "flow", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "exi", required_argument, NULL, 'e' },
		{ "token-vin", required_argument, NULL, 'V' },
		{ "token-op", required_argument, NULL, 'O' },
		{ "corrupt-sig", no_argument, NULL, 'S' },
		{ "no-deauth", no_argument, NULL, 'N' },
		{ "replay", no_argument, NULL, 'P' },
		{ "full-claims", no_argument, NULL, 'F' },
		{ "cose-sign", no_argument, NULL, 'G' },
		{ "cosign-key", required_argument, NULL, 'C' },
		{ "routine", required_argument, NULL, 'R' },
		{ "raw", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ncmd = 0;

	memset(o, 0, sizeof(*o));
	o->tx_id = 0x7E0;
	o->rx_id = 0x7E8;
	o->exi = 30;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->can = optarg;
			break;
		case 't':
			if (pl_parse_u32_any(optarg, 0, 0x7FF, &o->tx_id) != 0)
				return -1;
			break;
		case 'r':
			if (pl_parse_u32_any(optarg, 0, 0x7FF, &o->rx_id) != 0)
				return -1;
			break;
		case 'v':
			o->vin_read = 1;
			ncmd++;
			break;
		case 'd':
			o->dtc_read = 1;
			ncmd++;
			break;
		case 'f':
			o->flow_op = optarg;
			ncmd++;
			break;
		case 'R':
			o->routine_op = optarg;
			ncmd++;
			break;
		case 'x':
			o->raw = optarg;
			ncmd++;
			break;
		case 'k':
			o->key_path = optarg;
			break;
		case 'e':
			if (pl_parse_u32(optarg, 0, 86400, &o->exi) != 0)
				return -1;
			break;
		case 'V':
			o->token_vin = optarg;
			break;
		case 'O':
			o->token_op = optarg;
			break;
		case 'S':
			o->corrupt_sig = 1;
			break;
		case 'N':
			o->no_deauth = 1;
			break;
		case 'P':
			o->replay = 1;
			break;
		case 'F':
			o->full_claims = 1;
			break;
		case 'G':
			o->cose_sign = 1;
			break;
		case 'C':
			if (o->ncosign == 3)
				return -1;
			o->cosign_paths[o->ncosign++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc || o->can == NULL || ncmd != 1 ||
	    (o->flow_op != NULL && o->key_path == NULL))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct can_filter_ids ids;
	struct isotp_config ic;
	struct uds_client_config ucfg;
	struct can_transport *tr = NULL;
	struct isotp *tp = NULL;
	struct uds_client *uc = NULL;
	int r, rc = EXIT_LOCAL;

	if ((r = parse_args(argc, argv, &o)) != 0) {
		if (r < 0)
			usage(stderr);
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	}
	memset(&ids, 0, sizeof(ids));
	ids.ids[0] = o.rx_id;
	ids.n = 1;
	if ((r = can_transport_open(o.can, &ids, &tr)) != 0) {
		fprintf(stderr, "ecu-client: --can %s: %s\n", o.can, pl_strerror(r));
		goto out;
	}
	isotp_config_default(&ic, o.tx_id, o.rx_id);
	uds_client_config_default(&ucfg);
	if ((r = isotp_open(tr, &ic, &tp)) != 0 || (r = uds_client_open(tp, &ucfg, &uc)) != 0) {
		fprintf(stderr, "ecu-client: %s\n", pl_strerror(r));
		goto out;
	}
	if (o.vin_read)
		rc = do_vin_read(uc);
	else if (o.dtc_read)
		rc = do_dtc_read(uc);
	else if (o.flow_op != NULL)
		rc = do_flow(uc, &o);
	else if (o.routine_op != NULL)
		rc = do_routine(uc, o.routine_op);
	else
		rc = do_raw(tp, o.raw);
out:
	uds_client_free(uc);
	isotp_free(tp);
	can_transport_close(tr);
	return rc;
}
