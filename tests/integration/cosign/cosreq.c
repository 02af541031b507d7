/*
 * cosreq — test helper for pitlane-cosignd: plays the broker's part.
 *
 *   cosreq build --request REQ --vin V --op OP --cnonce HEX --tech CN --workshop OU
 *                [--work-order W] [--ttl S] [--exi S] --p11-token L --p11-object O
 *                --pin-file F --body-out BODY --token-out TOKEN
 *     REQ is a technician's signed request (tokreq --dump-body); the broker token is a
 *     tag-98 COSE_Sign with the claims given, signed by the broker key in the PKCS#11
 *     token (SOFTHSM2_CONF selects the broker's token directory); BODY gets the cosign
 *     request {1: REQ, 2: token} (docs/cosigner.md).
 *
 *   cosreq verify --token TOKEN --cosig SIG --broker-pub PEM --cosigner-pub PEM
 *                 --vin V --op OP --cnonce HEX
 *     appends the co-signer's COSE_Signature SIG to TOKEN and verifies it as an ECU
 *     configured "broker 1 + cosigner 1" would; prints "verified" or the error name.
 *
 * Exit: 0 success, 1 failure, 2 usage. Test-only code: never a product component.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "p11key.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

#define FILE_MAX 16384

static struct {
	const char *request, *vin, *op, *cnonce, *tech, *workshop, *work_order, *token_label;
	const char *object, *pin_file, *body_out, *token_out, *token, *cosig, *broker_pub;
	const char *cosigner_pub;
	unsigned ttl, exi;
} o = {.ttl = 60, .exi = 120};

static int read_all(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	if (n == cap)
		return -1;
	*len = n;
	return 0;
}

static int write_all(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) /* lint: allow sscanf (test helper) */
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int sign_cb(void *ctx, const struct plt_iov *parts, size_t n, uint8_t sig[PLT_SIG_LEN])
{
	uint8_t msg[2048];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (len + parts[i].len > sizeof(msg))
			return -1;
		if (parts[i].len > 0)
			memcpy(msg + len, parts[i].ptr, parts[i].len);
		len += parts[i].len;
	}
	return p11key_sign(ctx, msg, len, sig) == 0 ? 0 : -1;
}

static int anchor(const char *pem_path, uint8_t role, struct plt_trust_anchor *a)
{
	uint8_t pem[4096];
	size_t len;

	if (read_all(pem_path, pem, sizeof(pem), &len) != 0 ||
	    plt_openssl_anchor_from_pem((const char *)pem, len, a) != 0)
		return -1;
	a->role = role;
	return 0;
}

static int cmd_build(void)
{
	static uint8_t req[FILE_MAX], tok[PLT_TOKEN_MAX], body[FILE_MAX + 1024];
	uint8_t cnonce[32], cti[16], pin[256];
	size_t req_len, cn_len, tok_len, pin_len, body_len;
	struct plt_trust_anchor broker;
	struct plt_claims c;
	struct plt_cbor_writer w;
	struct p11key *k = NULL;
	time_t now = time(NULL);

	if (read_all(o.request, req, sizeof(req), &req_len) != 0 ||
	    hex(o.cnonce, cnonce, sizeof(cnonce), &cn_len) != 0 ||
	    read_all(o.pin_file, pin, sizeof(pin) - 1, &pin_len) != 0 ||
	    getrandom(cti, sizeof(cti), 0) != (ssize_t)sizeof(cti))
		return 2;
	while (pin_len > 0 && (pin[pin_len - 1] == '\n' || pin[pin_len - 1] == '\r'))
		pin_len--;
	pin[pin_len] = '\0';
	if (p11key_open_token(o.token_label, o.object, (const char *)pin, &k) != 0) {
		fprintf(stderr, "cosreq: cannot open the broker key\n");
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	            PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_WORKSHOP |
	            PLT_HAS_TECHNICIAN;
	c.iss = (struct plt_bytes){(const uint8_t *)"pitlane-broker", 14};
	c.aud = (struct plt_bytes){(const uint8_t *)o.vin, strlen(o.vin)};
	c.iat = now;
	c.exp = now + o.ttl;
	c.cti = (struct plt_bytes){cti, sizeof(cti)};
	c.scope = (struct plt_bytes){(const uint8_t *)o.op, strlen(o.op)};
	c.cnonce = (struct plt_bytes){cnonce, cn_len};
	c.exi = o.exi;
	c.workshop = (struct plt_bytes){(const uint8_t *)o.workshop, strlen(o.workshop)};
	c.technician = (struct plt_bytes){(const uint8_t *)o.tech, strlen(o.tech)};
	if (o.work_order != NULL) {
		c.present |= PLT_HAS_WORK_ORDER;
		c.work_order = (struct plt_bytes){(const uint8_t *)o.work_order, strlen(o.work_order)};
	}
	if (anchor(o.broker_pub, PLT_ROLE_BROKER, &broker) != 0 ||
	    plt_encode_sign(&c, broker.kid, sign_cb, k, tok, sizeof(tok), &tok_len) != 0) {
		fprintf(stderr, "cosreq: cannot build the broker token\n");
		p11key_close(k);
		return 1;
	}
	p11key_close(k);
	plt_cbor_writer_init(&w, body, sizeof(body));
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_bstr(&w, req, req_len);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_bstr(&w, tok, tok_len);
	if (plt_cbor_writer_finish(&w, &body_len) != 0 ||
	    write_all(o.body_out, body, body_len) != 0 || write_all(o.token_out, tok, tok_len) != 0)
		return 1;
	return 0;
}

static int cmd_verify(void)
{
	static uint8_t tok[PLT_TOKEN_MAX], sig[1024], both[PLT_TOKEN_MAX];
	uint8_t cnonce[32];
	size_t tok_len, sig_len, both_len, cn_len;
	struct plt_trust_anchor anchors[2];
	struct plt_trust_store ts = {anchors, 2};
	struct plt_threshold row = {.op = NULL, .need = {1, 1}};
	struct plt_thresholds th = {&row, 1};
	struct plt_expect ex;
	struct plt_crypto cr;
	int r;

	if (read_all(o.token, tok, sizeof(tok), &tok_len) != 0 ||
	    read_all(o.cosig, sig, sizeof(sig), &sig_len) != 0 ||
	    hex(o.cnonce, cnonce, sizeof(cnonce), &cn_len) != 0 ||
	    anchor(o.broker_pub, PLT_ROLE_BROKER, &anchors[0]) != 0 ||
	    anchor(o.cosigner_pub, PLT_ROLE_COSIGNER, &anchors[1]) != 0)
		return 2;
	if ((r = plt_sign_append(tok, tok_len, sig, sig_len, both, sizeof(both), &both_len)) != 0) {
		printf("%s\n", plt_errname(r));
		return 1;
	}
	memset(&ex, 0, sizeof(ex));
	ex.vin = o.vin;
	ex.op = o.op;
	ex.cnonce = cnonce;
	ex.cnonce_len = cn_len;
	ex.age_s = 0;
	plt_openssl_crypto(&cr);
	r = plt_verify_signers(both, both_len, &ts, &cr, &ex, &th, NULL);
	printf("%s\n", r == 0 ? "verified" : plt_errname(r));
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"request", 1, 0, 'r'},      {"vin", 1, 0, 'v'},        {"op", 1, 0, 'o'},
	    {"cnonce", 1, 0, 'C'},       {"tech", 1, 0, 't'},       {"workshop", 1, 0, 'w'},
	    {"work-order", 1, 0, 'W'},   {"ttl", 1, 0, 'l'},        {"exi", 1, 0, 'x'},
	    {"p11-token", 1, 0, 'T'},    {"p11-object", 1, 0, 'O'}, {"pin-file", 1, 0, 'P'},
	    {"body-out", 1, 0, 'b'},     {"token-out", 1, 0, 'k'},  {"token", 1, 0, 'K'},
	    {"cosig", 1, 0, 's'},        {"broker-pub", 1, 0, 'B'}, {"cosigner-pub", 1, 0, 'S'},
	    {0, 0, 0, 0}};
	const char *cmd = argc > 1 ? argv[1] : "";
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o.request = optarg; break;
		case 'v': o.vin = optarg; break;
		case 'o': o.op = optarg; break;
		case 'C': o.cnonce = optarg; break;
		case 't': o.tech = optarg; break;
		case 'w': o.workshop = optarg; break;
		case 'W': o.work_order = optarg; break;
		case 'l': o.ttl = (unsigned)strtoul(optarg, NULL, 10); break; /* lint: allow strtoul (test helper) */
		case 'x': o.exi = (unsigned)strtoul(optarg, NULL, 10); break; /* lint: allow strtoul (test helper) */
		case 'T': o.token_label = optarg; break;
		case 'O': o.object = optarg; break;
		case 'P': o.pin_file = optarg; break;
		case 'b': o.body_out = optarg; break;
		case 'k': o.token_out = optarg; break;
		case 'K': o.token = optarg; break;
		case 's': o.cosig = optarg; break;
		case 'B': o.broker_pub = optarg; break;
		case 'S': o.cosigner_pub = optarg; break;
		default: return 2;
		}
	}
	if (strcmp(cmd, "build") == 0 && o.request && o.vin && o.op && o.cnonce && o.tech &&
	    o.workshop && o.token_label && o.object && o.pin_file && o.body_out && o.token_out &&
	    o.broker_pub)
		return cmd_build();
	if (strcmp(cmd, "verify") == 0 && o.token && o.cosig && o.broker_pub && o.cosigner_pub &&
	    o.vin && o.op && o.cnonce)
		return cmd_verify();
	fprintf(stderr, "usage: cosreq build|verify ... (see the comment in cosreq.c)\n");
	return 2;
}
