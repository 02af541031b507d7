/*
 * decreq -- test helper: writes the body of POST /v1/approvals/{id}, an
 * approving technician's decision (docs/protocol.md), or with --poll the body
 * of POST /v1/approvals/{id}/poll, the requesting technician's signed poll,
 * signed with their key in a PKCS#11 token (p11-kit; SOFTHSM2_CONF selects
 * the token directory).
 * The wire tests send it with curl, once or twice (replay), or with a
 * shifted iat; the fuzz corpus keeps a few of these bodies.
 *
 *   decreq --tech-cert PEM --p11-token T --p11-object O --pin-file F
 *          --id ID [--deny] [--reason TEXT] [--poll] [--iat-offset S]
 *          [--request FILE | --request-hash HEX | --show] --out FILE
 *
 * --request FILE puts the SHA-256 of FILE (the requester's exact signed token
 * request) into key 21 of the decision, --request-hash HEX the given 32 bytes
 * (a wrong one on purpose); without either the decision has no key 21. --show
 * writes a "show". The certificate and key may be an officer's too (any token).
 *
 * Exit: 0 written, 1 failed, 2 usage. Test-only code: never a product component.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "p11key.h"
#include "pitlane/token.h"

struct opts {
	const char *tech_cert, *token, *object, *pin_file, *id, *reason, *out;
	long iat_offset;
	int deny, poll, show, has_hash;
	uint8_t hash[32];
};

/* SHA-256 of the whole file. */
static int hash_file(const char *path, uint8_t out[32])
{
	uint8_t buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == 0 || n == sizeof(buf))
		return -1;
	SHA256(buf, n, out);
	return 0;
}

static int hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;

		for (size_t k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int load_cert_der(const char *path, uint8_t **der, size_t *len)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	unsigned char *p = NULL;
	int n;

	if (f == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (n = i2d_X509(x, &p)) <= 0) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int read_pin(const char *path, char *pin, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL || fgets(pin, (int)cap, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(pin, "\r\n");
	pin[n] = '\0';
	return n > 0 ? 0 : -1;
}

/*
 * {16: id, 17: decision, ?18: reason, 19: nonce, 20: iat}, or with --poll {21: id, 22: nonce,
 * 23: iat}, in the token request's envelope.
 */
static int build(const struct opts *o, struct p11key *k, const uint8_t *cert, size_t certlen,
		 uint8_t *out, size_t cap, size_t *len)
{
	uint8_t prot[4096], payload[512], tbs[4800], nonce[16], sig[64];
	struct plt_cbor_writer w;
	size_t plen, ylen, tlen;

	plt_cbor_writer_init(&w, prot, sizeof(prot));
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, cert, certlen);
	if (plt_cbor_writer_finish(&w, &plen) != 0 ||
	    getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return -1;
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	if (o->poll) {
		/* {21: id, 22: nonce, 23: iat} */
		plt_cbor_put_map(&w, 3);
		plt_cbor_put_uint(&w, 21);
		plt_cbor_put_cstr(&w, o->id);
		plt_cbor_put_uint(&w, 22);
		plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
		plt_cbor_put_uint(&w, 23);
		plt_cbor_put_uint(&w, (uint64_t)(time(NULL) + o->iat_offset));
		goto sign;
	}
	plt_cbor_put_map(&w, 4 + (o->reason != NULL) + o->has_hash);
	plt_cbor_put_uint(&w, 16);
	plt_cbor_put_cstr(&w, o->id);
	plt_cbor_put_uint(&w, 17);
	plt_cbor_put_cstr(&w, o->show ? "show" : o->deny ? "deny" : "approve");
	if (o->reason != NULL) {
		plt_cbor_put_uint(&w, 18);
		plt_cbor_put_cstr(&w, o->reason);
	}
	plt_cbor_put_uint(&w, 19);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 20);
	plt_cbor_put_uint(&w, (uint64_t)(time(NULL) + o->iat_offset));
	if (o->has_hash) {
		plt_cbor_put_uint(&w, 21);
		plt_cbor_put_bstr(&w, o->hash, sizeof(o->hash));
	}
sign:
	if (plt_cbor_writer_finish(&w, &ylen) != 0)
		return -1;
	plt_cbor_writer_init(&w, tbs, sizeof(tbs));
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_cstr(&w, "Signature1");
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	if (plt_cbor_writer_finish(&w, &tlen) != 0 || p11key_sign(k, tbs, tlen, sig) != 0)
		return -1;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	return plt_cbor_writer_finish(&w, len);
}

/* Seconds -86400..86400, the whole string. */
static int parse_offset(const char *s, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < -86400 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fputs("usage: decreq --tech-cert PEM --p11-token T --p11-object O --pin-file F\n"
	      "              --id ID [--deny] [--reason TEXT] [--poll] [--iat-offset S]\n"
	      "              [--request FILE | --request-hash HEX | --show] --out FILE\n",
	      stderr);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tech-cert", 1, 0, 'c' }, { "p11-token", 1, 0, 't' }, { "p11-object", 1, 0, 'o' },
		{ "pin-file", 1, 0, 'p' },  { "id", 1, 0, 'i' },        { "deny", 0, 0, 'd' },
		{ "reason", 1, 0, 'r' },    { "iat-offset", 1, 0, 'a' }, { "out", 1, 0, 'w' },
		{ "poll", 0, 0, 'P' },      { "request", 1, 0, 'R' },   { "request-hash", 1, 0, 'H' },
		{ "show", 0, 0, 'S' },
		{ 0, 0, 0, 0 }
	};
	struct opts o = { 0 };
	struct p11key *k = NULL;
	uint8_t *cert = NULL, body[8192];
	size_t certlen = 0, len = 0;
	char pin[128];
	FILE *f;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o.tech_cert = optarg; break;
		case 't': o.token = optarg; break;
		case 'o': o.object = optarg; break;
		case 'p': o.pin_file = optarg; break;
		case 'i': o.id = optarg; break;
		case 'd': o.deny = 1; break;
		case 'P': o.poll = 1; break;
		case 'r': o.reason = optarg; break;
		case 'S': o.show = 1; break;
		case 'R':
			if (hash_file(optarg, o.hash) != 0) {
				fprintf(stderr, "decreq: cannot read %s\n", optarg);
				return 2;
			}
			o.has_hash = 1;
			break;
		case 'H':
			if (hex32(optarg, o.hash) != 0) {
				fprintf(stderr, "decreq: --request-hash needs 64 lower-case hex digits\n");
				return 2;
			}
			o.has_hash = 1;
			break;
		case 'a':
			if (parse_offset(optarg, &o.iat_offset) != 0) {
				fprintf(stderr, "decreq: --iat-offset must be -86400..86400\n");
				return 2;
			}
			break;
		case 'w': o.out = optarg; break;
		default: usage(); return 2;
		}
	}
	if (o.tech_cert == NULL || o.token == NULL || o.object == NULL || o.pin_file == NULL ||
	    o.id == NULL || o.out == NULL) {
		usage();
		return 2;
	}
	if (load_cert_der(o.tech_cert, &cert, &certlen) != 0 ||
	    read_pin(o.pin_file, pin, sizeof(pin)) != 0 ||
	    p11key_open_token(o.token, o.object, pin, &k) != 0) {
		fprintf(stderr, "decreq: cannot load %s or open key %s in token %s\n", o.tech_cert,
			o.object, o.token);
		goto out;
	}
	if (build(&o, k, cert, certlen, body, sizeof(body), &len) != 0) {
		fprintf(stderr, "decreq: building or signing the body failed\n");
		goto out;
	}
	if ((f = fopen(o.out, "wb")) == NULL) {
		fprintf(stderr, "decreq: cannot create %s\n", o.out);
		goto out;
	}
	if ((fwrite(body, 1, len, f) != len) + (fclose(f) != 0)) {
		fprintf(stderr, "decreq: cannot write %s\n", o.out);
		goto out;
	}
	rc = 0;
out:
	p11key_close(k);
	OPENSSL_free(cert);
	return rc;
}
