/*
 * pitlane-token: inspect, verify and (for tests and ECU bring-up) issue
 * pitlane capability tokens. Exit codes: 0 success / valid, 1 the token does
 * not decode or is invalid, 2 usage or I/O error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pitlane/token_openssl.h"
#include "pitlane/token_tool.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_file.h"
#include "pl_parse.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 2
#define MAX_TRUST 16
#define HEX_MAX (2 * PLT_TOKEN_MAX + 2)

static const char *prog = "pitlane-token";

static void usage_main(FILE *to)
{
	fprintf(to,
	        "usage: %s COMMAND [OPTIONS] [FILE|-]\n"
	        "\n"
	        "Inspect, verify and issue pitlane capability tokens (CWT in COSE_Sign1 or, with\n"
	        "several signers, COSE_Sign; ES256).\n"
	        "\n"
	        "commands:\n"
	        "  inspect   print a token's header and claims as JSON\n"
	        "  verify    check a token against trust anchors and expectations\n"
	        "  issue     issue a token with a software key (tests, ECU bring-up;\n"
	        "            NOT for production: production tokens come from the broker's HSM)\n"
	        "  cosign    add a co-signature to a COSE_Sign token with a software key\n"
	        "            (tests, ECU bring-up; production co-signatures come from\n"
	        "            pitlane-cosignd's HSM)\n"
	        "\n"
	        "Run '%s COMMAND --help' for the options of a command.\n",
	        prog, prog);
}

static void usage_inspect(FILE *to)
{
	fprintf(to,
	        "usage: %s inspect [--hex] [FILE|-]\n"
	        "\n"
	        "Decodes a token with the strict pitlane profile (no signature check) and prints\n"
	        "its header and claims as JSON on stdout; byte strings are hex.\n"
	        "Exit 0 when it decodes, 1 when it does not (reason and byte offset on stderr),\n"
	        "2 on usage or I/O errors.\n"
	        "\n"
	        "  --hex   the input is hex text instead of raw bytes\n",
	        prog);
}

static void usage_verify(FILE *to)
{
	fprintf(
	    to,
	    "usage: %s verify --trust PEM[:ROLE] [--trust PEM[:ROLE] ...] [--vin VIN]\n"
	    "                     [--op OP] [--cnonce HEX] [--age S] [--now UNIX | --no-clock]\n"
	    "                     [--require ROLE[:K][,ROLE[:K]]] [--hex] [FILE|-]\n"
	    "\n"
	    "Prints 'valid' and exits 0, or prints 'invalid: <code>: <sentence>' on stderr\n"
	    "and exits 1. Exit 2 on usage or I/O errors.\n"
	    "\n"
	    "  --trust PEM[:ROLE]  trusted public key or certificate (P-256), up to %d;\n"
	    "                 ROLE broker (default) or cosigner\n"
	    "  --require ROLE[:K][,ROLE[:K]]  valid signatures needed per role (K default\n"
	    "                 1), e.g. broker,cosigner; default: one broker signature\n"
	    "  --vin VIN      the vehicle's VIN (aud must match)\n"
	    "  --op OP        the requested operation (scope must match)\n"
	    "  --cnonce HEX   the outstanding challenge (cnonce must match)\n"
	    "  --age S        seconds since the challenge was issued (must be <= exi)\n"
	    "  --now UNIX     check iat/exp against this time (default: the system clock)\n"
	    "  --no-clock     do not check iat/exp (an ECU without a trusted clock)\n"
	    "  --hex          the input is hex text instead of raw bytes\n",
	    prog, MAX_TRUST);
}

static void usage_issue(FILE *to)
{
	fprintf(to,
	        "usage: %s issue --key PEM --vin VIN --op OP --cnonce HEX [--ttl S] [--exi S]\n"
	        "                    [--iss S] [--workshop S] [--technician S] [--work-order S]\n"
	        "                    [--policy-version N] [--now UNIX] [--cose-sign] [--hex]\n"
	        "                    [--out FILE]\n"
	        "\n"
	        "Issues a token signed with a software P-256 key. NOT FOR PRODUCTION: for tests\n"
	        "and ECU bring-up only; production tokens are signed in the broker's HSM.\n"
	        "The key file must be mode 0600 and owned by you.\n"
	        "\n"
	        "  --key PEM      P-256 private key (PEM)\n"
	        "  --vin VIN      17-character VIN (aud)\n"
	        "  --op OP        operation name (scope), at most %d bytes\n"
	        "  --cnonce HEX   the ECU's challenge, 16..32 bytes\n"
	        "  --ttl S        lifetime in seconds (exp = iat + S; default 300)\n"
	        "  --exi S        validity in seconds counted from the challenge (default 120)\n"
	        "  --iss S        issuer (default \"pitlane-token\")\n"
	        "  --now UNIX     issue time (default: the system clock)\n"
	        "  --cose-sign    a COSE_Sign (tag 98) that co-signatures can be added to\n"
	        "  --hex          write hex text instead of raw bytes\n"
	        "  --out FILE     write to FILE instead of stdout\n",
	        prog, PLT_OP_MAX);
}

static void usage_cosign(FILE *to)
{
	fprintf(
	    to,
	    "usage: %s cosign --key PEM [--signature-only] [--hex] [--out FILE] [FILE|-]\n"
	    "\n"
	    "Signs the payload of a token as one more, independent signer (RFC 9052 COSE_Sign:\n"
	    "its own Sig_structure, not covering the other signatures) and writes the token\n"
	    "with the signature appended (the input must be a COSE_Sign), or with\n"
	    "--signature-only the COSE_Signature alone, as a co-signer returns it.\n"
	    "NOT FOR PRODUCTION: for tests and ECU bring-up only. The key file must be mode\n"
	    "0600 and owned by you. Exit 1 when the token does not decode or the key signed\n"
	    "it already, 2 on usage or I/O errors.\n"
	    "\n"
	    "  --key PEM          P-256 private key (PEM) of the co-signer\n"
	    "  --signature-only   write only the COSE_Signature (82 bytes)\n"
	    "  --hex              input and output are hex text instead of raw bytes\n"
	    "  --out FILE         write to FILE instead of stdout\n",
	    prog);
}

static int say_error(const char *what, const char *arg, int err)
{
	fprintf(stderr, "%s: %s%s%s: %s (%s)\n", prog, what, arg ? " " : "", arg ? arg : "",
	        pl_strerror(err), pl_errname(err));
	return EXIT_USAGE;
}

static int bad_usage(const char *msg, const char *arg, void (*usage)(FILE *))
{
	fprintf(stderr, "%s: %s%s%s\n", prog, msg, arg ? ": " : "", arg ? arg : "");
	usage(stderr);
	return EXIT_USAGE;
}

/* Hex option value into buf of min..max bytes. */
static int parse_hex_opt(const char *s, uint8_t *buf, size_t min, size_t max, size_t *len)
{
	size_t n = 0;
	int r = pl_hex_decode(s, strlen(s), buf, max, &n);

	if (r != 0)
		return r;
	if (n < min || n > max)
		return PL_E_RANGE;
	*len = n;
	return 0;
}

static const char *input_path(int argc, char **argv)
{
	return optind < argc ? argv[optind] : "-";
}

static int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"hex", no_argument, NULL, 'x'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint8_t tok[PLT_TOKEN_MAX + 1];
	size_t len = 0, off = 0;
	int hex = 0, c, r;

	while ((c = getopt_long(argc, argv, "xh", opts, NULL)) != -1) {
		if (c == 'x')
			hex = 1;
		else if (c == 'h')
			return usage_inspect(stdout), 0;
		else
			return bad_usage("unknown option", NULL, usage_inspect);
	}
	if (argc - optind > 1)
		return bad_usage("more than one input file", argv[optind + 1], usage_inspect);
	r = plt_tool_read_token(input_path(argc, argv), hex, tok, sizeof(tok), &len);
	if (r == PL_E_TOOBIG) {
		fprintf(stderr,
		        "%s: cannot decode token: too_long: token is longer than %d bytes\n", prog,
		        PLT_TOKEN_MAX);
		return EXIT_INVALID;
	}
	if (r != 0)
		return say_error("cannot read token from", input_path(argc, argv), r);
	r = plt_tool_inspect_json(stdout, tok, len, &off);
	if (r != 0) {
		fprintf(stderr, "%s: cannot decode token: %s: %s (at byte %zu of %zu)\n", prog,
		        plt_errname(r), plt_strerror(r), off, len);
		return EXIT_INVALID;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

struct verify_args {
	struct plt_trust_anchor anchors[MAX_TRUST];
	size_t nanchors;
	struct plt_threshold need; /* --require, for every operation */
	int have_need;
	struct plt_expect x;
	uint8_t cnonce[PLT_CNONCE_MAX];
	int hex;
	int no_clock;
	int have_now;
};

static const char *const role_names[PLT_ROLE_COUNT] = {"broker", "cosigner"};

static int role_by_name(const char *s, size_t len)
{
	for (int i = 0; i < PLT_ROLE_COUNT; i++)
		if (strlen(role_names[i]) == len && strncmp(s, role_names[i], len) == 0)
			return i;
	return -1;
}

/* "PEM:ROLE": cuts ":ROLE" off arg and returns the role (broker without one). */
static int role_suffix(char *arg)
{
	char *colon = strrchr(arg, ':');
	int role = colon != NULL ? role_by_name(colon + 1, strlen(colon + 1)) : -1;

	if (role < 0)
		return PLT_ROLE_BROKER;
	*colon = '\0';
	return role;
}

/* "ROLE[:K][,ROLE[:K]]" into need[]: each role once, K 1..PLT_SIGNERS_MAX. */
static int parse_roles(const char *s, uint8_t need[PLT_ROLE_COUNT])
{
	char term[24], *colon;
	uint32_t k;

	memset(need, 0, PLT_ROLE_COUNT);
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		int role;

		if (len == 0 || len >= sizeof(term))
			return -1;
		memcpy(term, s, len);
		term[len] = '\0';
		k = 1;
		if ((colon = strchr(term, ':')) != NULL) {
			*colon = '\0';
			if (pl_parse_u32(colon + 1, 1, PLT_SIGNERS_MAX, &k) != 0)
				return -1;
		}
		if ((role = role_by_name(term, strlen(term))) < 0 || need[role] != 0)
			return -1;
		need[role] = (uint8_t)k;
		s += len;
		if (*s == ',' && *++s == '\0')
			return -1;
	}
	return 0;
}

static int verify_option(int c, struct verify_args *a)
{
	size_t n = 0;
	int role, r;

	switch (c) {
	case 't':
		if (a->nanchors == MAX_TRUST)
			return bad_usage("too many --trust options", NULL, usage_verify);
		role = role_suffix(optarg);
		if ((r = plt_tool_anchor_file(optarg, &a->anchors[a->nanchors])) != 0)
			return say_error("cannot load trust anchor", optarg, r);
		a->anchors[a->nanchors].role = (uint8_t)role;
		a->nanchors++;
		return 0;
	case 'r':
		if (parse_roles(optarg, a->need.need) != 0)
			return bad_usage("--require wants ROLE[:K][,ROLE[:K]] (roles: broker, "
			                 "cosigner; K 1..4)",
			                 optarg, usage_verify);
		a->have_need = 1;
		return 0;
	case 'v':
		if (!plt_vin_valid(optarg, strlen(optarg)))
			return bad_usage("--vin is not a 17-character VIN (no I, O, Q)", optarg,
			                 usage_verify);
		a->x.vin = optarg;
		return 0;
	case 'o':
		a->x.op = optarg;
		return 0;
	case 'c':
		if (parse_hex_opt(optarg, a->cnonce, 1, PLT_CNONCE_MAX, &n) != 0)
			return bad_usage("--cnonce must be 1..32 bytes of hex", optarg,
			                 usage_verify);
		a->x.cnonce = a->cnonce;
		a->x.cnonce_len = n;
		return 0;
	case 'a':
		if (pl_parse_i64(optarg, 0, INT64_MAX, &a->x.age_s) != 0)
			return bad_usage("--age must be seconds (0 or more)", optarg, usage_verify);
		return 0;
	case 'n':
		if (pl_parse_i64(optarg, 0, INT64_MAX, &a->x.now) != 0)
			return bad_usage("--now must be UNIX seconds", optarg, usage_verify);
		a->have_now = 1;
		return 0;
	case 'N':
		a->no_clock = 1;
		return 0;
	case 'x':
		a->hex = 1;
		return 0;
	default:
		return bad_usage("unknown option", NULL, usage_verify);
	}
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trust", required_argument, NULL, 't'},
	    {"vin", required_argument, NULL, 'v'},
	    {"op", required_argument, NULL, 'o'},
	    {"cnonce", required_argument, NULL, 'c'},
	    {"age", required_argument, NULL, 'a'},
	    {"now", required_argument, NULL, 'n'},
	    {"no-clock", no_argument, NULL, 'N'},
	    {"hex", no_argument, NULL, 'x'},
	    {"require", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct verify_args a;
	struct plt_thresholds th;
	struct plt_trust_store ts;
	struct plt_crypto crypto;
	uint8_t tok[PLT_TOKEN_MAX + 1];
	size_t len = 0;
	int c, r;

	memset(&a, 0, sizeof(a));
	a.x.age_s = -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			return usage_verify(stdout), 0;
		if ((r = verify_option(c, &a)) != 0)
			return r;
	}
	if (a.nanchors == 0)
		return bad_usage("at least one --trust PEM is required", NULL, usage_verify);
	if (a.no_clock && a.have_now)
		return bad_usage("--now and --no-clock exclude each other", NULL, usage_verify);
	if (argc - optind > 1)
		return bad_usage("more than one input file", argv[optind + 1], usage_verify);
	a.x.have_clock = !a.no_clock;
	if (a.x.have_clock && !a.have_now)
		a.x.now = (int64_t)time(NULL);
	r = plt_tool_read_token(input_path(argc, argv), a.hex, tok, sizeof(tok), &len);
	if (r == PL_E_TOOBIG)
		r = PLT_E_TOO_LONG, len = sizeof(tok);
	else if (r != 0)
		return say_error("cannot read token from", input_path(argc, argv), r);
	ts.anchors = a.anchors;
	ts.count = a.nanchors;
	plt_openssl_crypto(&crypto);
	th.rows = &a.need;
	th.count = 1;
	if (r == 0)
		r = plt_verify_signers(tok, len, &ts, &crypto, &a.x, a.have_need ? &th : NULL,
		                       NULL);
	if (r != 0) {
		fprintf(stderr, "invalid: %s: %s\n", plt_errname(r), plt_strerror(r));
		return EXIT_INVALID;
	}
	puts("valid");
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

struct issue_args {
	const char *key, *vin, *op, *iss, *out;
	const char *workshop, *technician, *work_order;
	uint8_t cnonce[PLT_CNONCE_MAX];
	size_t cnonce_len;
	uint32_t ttl, exi, policy_version;
	int have_policy, hex, have_now, cose_sign;
	int64_t now;
};

static int issue_option(int c, struct issue_args *a)
{
	switch (c) {
	case 'k':
		a->key = optarg;
		return 0;
	case 'v':
		a->vin = optarg;
		return 0;
	case 'o':
		a->op = optarg;
		return 0;
	case 'i':
		a->iss = optarg;
		return 0;
	case 'O':
		a->out = optarg;
		return 0;
	case 'w':
		a->workshop = optarg;
		return 0;
	case 'T':
		a->technician = optarg;
		return 0;
	case 'W':
		a->work_order = optarg;
		return 0;
	case 'x':
		a->hex = 1;
		return 0;
	case 'S':
		a->cose_sign = 1;
		return 0;
	case 'c':
		if (parse_hex_opt(optarg, a->cnonce, PLT_CNONCE_MIN, PLT_CNONCE_MAX,
		                  &a->cnonce_len) != 0)
			return bad_usage("--cnonce must be 16..32 bytes of hex", optarg,
			                 usage_issue);
		return 0;
	case 't':
		if (pl_parse_u32(optarg, 1, 7 * 24 * 3600, &a->ttl) != 0)
			return bad_usage("--ttl must be 1..604800 seconds", optarg, usage_issue);
		return 0;
	case 'e':
		if (pl_parse_u32(optarg, 1, 24 * 3600, &a->exi) != 0)
			return bad_usage("--exi must be 1..86400 seconds", optarg, usage_issue);
		return 0;
	case 'p':
		if (pl_parse_u32(optarg, 0, UINT32_MAX, &a->policy_version) != 0)
			return bad_usage("--policy-version must be 0..4294967295", optarg,
			                 usage_issue);
		a->have_policy = 1;
		return 0;
	case 'n':
		if (pl_parse_i64(optarg, 0, INT64_MAX / 2, &a->now) != 0)
			return bad_usage("--now must be UNIX seconds", optarg, usage_issue);
		a->have_now = 1;
		return 0;
	default:
		return bad_usage("unknown option", NULL, usage_issue);
	}
}

static struct plt_bytes text(const char *s)
{
	struct plt_bytes b;

	b.ptr = (const uint8_t *)s;
	b.len = s != NULL ? strlen(s) : 0;
	return b;
}

static void issue_claims(const struct issue_args *a, const uint8_t cti[PLT_CTI_LEN],
                         struct plt_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	             PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI;
	c->iss = text(a->iss);
	c->aud = text(a->vin);
	c->iat = a->now;
	c->exp = a->now + (int64_t)a->ttl;
	c->cti.ptr = cti;
	c->cti.len = PLT_CTI_LEN;
	c->scope = text(a->op);
	c->cnonce.ptr = a->cnonce;
	c->cnonce.len = a->cnonce_len;
	c->exi = a->exi;
	if (a->workshop) {
		c->present |= PLT_HAS_WORKSHOP;
		c->workshop = text(a->workshop);
	}
	if (a->technician) {
		c->present |= PLT_HAS_TECHNICIAN;
		c->technician = text(a->technician);
	}
	if (a->work_order) {
		c->present |= PLT_HAS_WORK_ORDER;
		c->work_order = text(a->work_order);
	}
	if (a->have_policy) {
		c->present |= PLT_HAS_POLICY_VER;
		c->policy_version = a->policy_version;
	}
}

static int load_key(const char *path, EVP_PKEY **key)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;
	int r;

	if ((r = pl_read_secret_file(path, 64 * 1024, &pem, &len)) != 0)
		return r;
	bio = BIO_new_mem_buf(pem, (int)len);
	*key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	pl_free_wiped(pem, len);
	return *key != NULL ? 0 : PLT_E_BADKEY;
}

static int write_token(const struct issue_args *a, const uint8_t *tok, size_t len)
{
	char hex[HEX_MAX + 1];
	const void *data = tok;
	size_t n = len;
	int r;

	if (a->hex) {
		if ((r = pl_hex_encode(tok, len, hex, sizeof(hex) - 1)) != 0)
			return r;
		n = 2 * len;
		hex[n++] = '\n';
		data = hex;
	}
	if (a->out != NULL && strcmp(a->out, "-") != 0)
		return pl_write_file(a->out, data, n, 0644);
	if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0)
		return PL_E_IO;
	return 0;
}

static int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"vin", required_argument, NULL, 'v'},
	    {"op", required_argument, NULL, 'o'},
	    {"cnonce", required_argument, NULL, 'c'},
	    {"ttl", required_argument, NULL, 't'},
	    {"exi", required_argument, NULL, 'e'},
	    {"iss", required_argument, NULL, 'i'},
	    {"out", required_argument, NULL, 'O'},
	    {"workshop", required_argument, NULL, 'w'},
	    {"technician", required_argument, NULL, 'T'},
	    {"work-order", required_argument, NULL, 'W'},
	    {"policy-version", required_argument, NULL, 'p'},
	    {"now", required_argument, NULL, 'n'},
	    {"hex", no_argument, NULL, 'x'},
	    {"cose-sign", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct issue_args a;
	struct plt_claims claims;
	struct plt_trust_anchor anchor = {.role = PLT_ROLE_BROKER}; /* the rest zero */
	EVP_PKEY *key = NULL;
	uint8_t cti[PLT_CTI_LEN], tok[PLT_TOKEN_MAX];
	size_t len = 0;
	int c, r, rc = EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	a.iss = "pitlane-token";
	a.ttl = 300;
	a.exi = 120;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			return usage_issue(stdout), 0;
		if ((r = issue_option(c, &a)) != 0)
			return r;
	}
	if (a.key == NULL || a.vin == NULL || a.op == NULL || a.cnonce_len == 0)
		return bad_usage("--key, --vin, --op and --cnonce are required", NULL, usage_issue);
	if (optind != argc)
		return bad_usage("unexpected argument", argv[optind], usage_issue);
	if (!plt_vin_valid(a.vin, strlen(a.vin)))
		return bad_usage("--vin is not a 17-character VIN (no I, O, Q)", a.vin,
		                 usage_issue);
	if (!a.have_now)
		a.now = (int64_t)time(NULL);
	if ((r = load_key(a.key, &key)) != 0) {
		say_error("cannot load key", a.key, r);
		goto out;
	}
	if ((r = plt_openssl_pub_from_pkey(key, anchor.pub)) != 0 ||
	    (r = plt_openssl_kid(anchor.pub, anchor.kid)) != 0) {
		say_error("unusable key", a.key, r);
		goto out;
	}
	if (RAND_bytes(cti, sizeof(cti)) != 1) {
		say_error("cannot draw a random cti", NULL, PLT_E_CRYPTO);
		goto out;
	}
	issue_claims(&a, cti, &claims);
	if (a.cose_sign)
		r = plt_encode_sign(&claims, anchor.kid, plt_openssl_sign_es256, key, tok,
		                    sizeof(tok), &len);
	else
		r = plt_encode(&claims, anchor.kid, plt_openssl_sign_es256, key, tok, sizeof(tok),
		               &len);
	if (r != 0) {
		fprintf(stderr, "%s: cannot issue token: %s: %s\n", prog, plt_errname(r),
		        plt_strerror(r));
		goto out;
	}
	if ((r = write_token(&a, tok, len)) != 0) {
		say_error("cannot write token to", a.out ? a.out : "stdout", r);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

/* The signature (or the token with it) of the key at a->key over tok. */
static int cosign_make(const struct issue_args *a, int sig_only, const uint8_t *tok, size_t len)
{
	struct plt_trust_anchor anchor = {.role = PLT_ROLE_BROKER}; /* the rest zero */
	EVP_PKEY *key = NULL;
	uint8_t sig[PLT_COSIGNATURE_LEN], out[PLT_TOKEN_MAX];
	size_t sl = 0, ol = 0;
	int r, rc = EXIT_USAGE;

	if ((r = load_key(a->key, &key)) != 0) {
		say_error("cannot load key", a->key, r);
		goto out;
	}
	if ((r = plt_openssl_pub_from_pkey(key, anchor.pub)) != 0 ||
	    (r = plt_openssl_kid(anchor.pub, anchor.kid)) != 0) {
		say_error("unusable key", a->key, r);
		goto out;
	}
	r = plt_cosign(tok, len, anchor.kid, plt_openssl_sign_es256, key, sig, sizeof(sig), &sl);
	if (r == 0 && !sig_only)
		r = plt_sign_append(tok, len, sig, sl, out, sizeof(out), &ol);
	if (r != 0) {
		fprintf(stderr, "%s: cannot co-sign: %s: %s\n", prog, plt_errname(r),
		        plt_strerror(r));
		rc = r == PLT_E_CRYPTO ? EXIT_USAGE : EXIT_INVALID;
		goto out;
	}
	if ((r = sig_only ? write_token(a, sig, sl) : write_token(a, out, ol)) != 0) {
		say_error("cannot write to", a->out ? a->out : "stdout", r);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

static int cmd_cosign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'}, {"out", required_argument, NULL, 'O'},
	    {"hex", no_argument, NULL, 'x'},       {"signature-only", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	struct issue_args a;
	uint8_t tok[PLT_TOKEN_MAX + 1];
	size_t len = 0;
	int c, r, sig_only = 0;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			return usage_cosign(stdout), 0;
		if (c == 'k')
			a.key = optarg;
		else if (c == 'O')
			a.out = optarg;
		else if (c == 'x')
			a.hex = 1;
		else if (c == 's')
			sig_only = 1;
		else
			return bad_usage("unknown option", NULL, usage_cosign);
	}
	if (a.key == NULL)
		return bad_usage("--key is required", NULL, usage_cosign);
	if (argc - optind > 1)
		return bad_usage("more than one input file", argv[optind + 1], usage_cosign);
	r = plt_tool_read_token(input_path(argc, argv), a.hex, tok, sizeof(tok), &len);
	if (r == PL_E_TOOBIG) {
		fprintf(stderr, "%s: cannot co-sign: too_long: token is longer than %d bytes\n",
		        prog, PLT_TOKEN_MAX);
		return EXIT_INVALID;
	}
	if (r != 0)
		return say_error("cannot read token from", input_path(argc, argv), r);
	return cosign_make(&a, sig_only, tok, len);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage_main(stdout);
		return 0;
	}
	/* Subcommand options start after the command name. */
	argc--;
	argv++;
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(cmd, "issue") == 0)
		return cmd_issue(argc, argv);
	if (strcmp(cmd, "cosign") == 0)
		return cmd_cosign(argc, argv);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage_main(stderr);
	return EXIT_USAGE;
}
