/*
 * ctl_key.c: `pitlanectl key export` (the signing key's public half and kid,
 * for ECU provisioning) and `pitlanectl pki init DIR` (the demo PKI).
 * Command-line front ends: they print one message on stderr and return an
 * exit status (0 ok, 1 failure, 2 usage).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "p11.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_file.h"
#include "signer.h"

extern char **environ;

#define EXIT_USAGE 2

static void key_usage(FILE *f)
{
	fprintf(f, "usage: pitlanectl key export -f broker.conf [--format pem|cose] [-o FILE]\n"
	           "       pitlanectl key export --key-uri URI --pin-file FILE [--format pem|cose] "
	           "[-o FILE]\n"
	           "  pem  (default) SubjectPublicKeyInfo PEM, kid in a comment line above it\n"
	           "  cose COSE_Key (CBOR: kty EC2, kid, alg ES256, crv P-256, x, y)\n"
	           "  the kid (hex) is also printed on stderr\n");
}

/* Reads the public point with a short-lived login (no limits needed). */
static int read_pub(const char *uri_text, const char *pin_file, uint8_t pub[65])
{
	struct p11_uri *u = NULL;
	struct p11 *p = NULL;
	unsigned long ckr = 0;
	char err[1024] = "";
	char *pin = NULL;
	size_t pin_len = 0;
	int r;

	if ((r = p11_uri_parse(uri_text, &u, err, sizeof(err))) != 0)
		goto out;
	if ((r = pl_read_secret_file(pin_file, 256, &pin, &pin_len)) != 0) {
		snprintf(err, sizeof(err), "PIN file %s: %s", pin_file, pl_strerror(r));
		goto out;
	}
	if ((r = p11_open(u, pin, pin_len, 1, &p, &ckr, err, sizeof(err))) != 0)
		goto out;
	memcpy(pub, p11_public_point(p), 65);
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "pitlanectl key export: %s [%s]\n",
		        err[0] != '\0' ? err : pl_strerror(r), pl_errname(r));
	p11_close(p);
	pl_free_wiped(pin, pin_len);
	p11_uri_free(u);
	return r;
}

static int write_pem(FILE *f, const uint8_t pub[65], const char *kidhex)
{
	void *pkey = NULL;
	int r;

	if ((r = plt_openssl_pkey_from_pub(pub, &pkey)) != 0)
		return r;
	fprintf(f, "# pitlane broker signing key, kid %s (ES256, P-256)\n", kidhex);
	r = PEM_write_PUBKEY(f, pkey) == 1 ? 0 : PL_E_CRYPTO;
	EVP_PKEY_free(pkey);
	return r;
}

/* COSE_Key (RFC 9053), map keys in deterministic order: 1, 2, 3, -1, -2, -3. */
static int write_cose(FILE *f, const uint8_t pub[65], const uint8_t kid[8])
{
	uint8_t buf[128];
	struct plt_cbor_writer w;
	size_t n = 0;

	plt_cbor_writer_init(&w, buf, sizeof(buf));
	plt_cbor_put_map(&w, 6);
	plt_cbor_put_int(&w, 1); /* kty */
	plt_cbor_put_int(&w, 2); /* EC2 */
	plt_cbor_put_int(&w, 2); /* kid */
	plt_cbor_put_bstr(&w, kid, 8);
	plt_cbor_put_int(&w, 3);  /* alg */
	plt_cbor_put_int(&w, -7); /* ES256 */
	plt_cbor_put_int(&w, -1); /* crv */
	plt_cbor_put_int(&w, 1);  /* P-256 */
	plt_cbor_put_int(&w, -2); /* x */
	plt_cbor_put_bstr(&w, pub + 1, 32);
	plt_cbor_put_int(&w, -3); /* y */
	plt_cbor_put_bstr(&w, pub + 33, 32);
	if (plt_cbor_writer_finish(&w, &n) != 0)
		return PL_E_INTERNAL;
	return fwrite(buf, 1, n, f) == n ? 0 : PL_E_IO;
}

struct key_args {
	const char *conf, *uri, *pin_file, *format, *outfile;
};

static int key_parse_args(int argc, char **argv, struct key_args *a)
{
	memset(a, 0, sizeof(*a));
	a->format = "pem";
	if (argc < 2 || strcmp(argv[1], "export") != 0)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "-f") == 0)
			dst = &a->conf;
		else if (strcmp(argv[i], "--key-uri") == 0)
			dst = &a->uri;
		else if (strcmp(argv[i], "--pin-file") == 0)
			dst = &a->pin_file;
		else if (strcmp(argv[i], "--format") == 0)
			dst = &a->format;
		else if (strcmp(argv[i], "-o") == 0)
			dst = &a->outfile;
		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "pitlanectl key: unknown or incomplete option '%s'\n",
			        argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	if (strcmp(a->format, "pem") != 0 && strcmp(a->format, "cose") != 0) {
		fprintf(stderr, "pitlanectl key: --format must be pem or cose, not '%s'\n",
		        a->format);
		return -1;
	}
	if ((a->conf != NULL) == (a->uri != NULL || a->pin_file != NULL) ||
	    (a->conf == NULL && (a->uri == NULL || a->pin_file == NULL))) {
		fprintf(stderr, "pitlanectl key: give either -f broker.conf or both --key-uri "
		                "and --pin-file\n");
		return -1;
	}
	return 0;
}

int ctl_key_main(int argc, char **argv)
{
	struct broker_config *cfg = NULL;
	struct key_args a;
	uint8_t pub[65], kid[8];
	char kidhex[17], err[512];
	FILE *f = stdout;
	int r, rc = 1;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		key_usage(stdout);
		return 0;
	}
	if (key_parse_args(argc, argv, &a) != 0) {
		key_usage(stderr);
		return EXIT_USAGE;
	}
	if (a.conf != NULL) {
		if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
			goto out;
		if ((r = broker_config_load(a.conf, cfg, err, sizeof(err))) != 0) {
			fprintf(stderr, "pitlanectl key export: %s [%s]\n", err, pl_errname(r));
			goto out;
		}
		a.uri = cfg->key_uri;
		a.pin_file = cfg->pin_file;
	}
	if (read_pub(a.uri, a.pin_file, pub) != 0)
		goto out;
	if (plt_openssl_kid(pub, kid) != 0 ||
	    pl_hex_encode(kid, sizeof(kid), kidhex, sizeof(kidhex)) != 0) {
		fprintf(stderr, "pitlanectl key export: the token's public key is not a valid "
		                "P-256 point\n");
		goto out;
	}
	if (a.outfile != NULL && (f = fopen(a.outfile, "we")) == NULL) {
		fprintf(stderr, "pitlanectl key export: cannot create %s: %s\n", a.outfile,
		        strerror(errno));
		goto out;
	}
	r = strcmp(a.format, "pem") == 0 ? write_pem(f, pub, kidhex) : write_cose(f, pub, kid);
	if (fflush(f) != 0)
		r = PL_E_IO;
	if (r != 0) {
		fprintf(stderr, "pitlanectl key export: writing the key failed: %s\n",
		        pl_strerror(r));
		goto out;
	}
	fprintf(stderr, "kid %s\n", kidhex);
	rc = 0;
out:
	if (f != stdout && f != NULL && fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "pitlanectl key export: writing %s failed\n", a.outfile);
		rc = 1;
	}
	free(cfg);
	return rc;
}

/* ---- pki init ------------------------------------------------------------------------ */

static int is_file(const char *p)
{
	struct stat st;

	return p != NULL && p[0] != '\0' && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* PITLANE_DEMO_PKI, then the installed copy, then the source tree's. */
static const char *demo_pki_script(void)
{
	const char *env = getenv("PITLANE_DEMO_PKI");

	if (env != NULL)
		return is_file(env) ? env : NULL;
	if (is_file(PITLANE_DEMO_PKI_INSTALLED))
		return PITLANE_DEMO_PKI_INSTALLED;
	if (is_file(PITLANE_DEMO_PKI_SOURCE))
		return PITLANE_DEMO_PKI_SOURCE;
	return NULL;
}

int ctl_pki_main(int argc, char **argv)
{
	const char *script;
	char *args[4];
	pid_t pid;
	int st, e;

	if (argc != 3 || strcmp(argv[1], "init") != 0) {
		int help = argc == 2 && strcmp(argv[1], "--help") == 0;
		fprintf(help ? stdout : stderr,
		        "usage: pitlanectl pki init DIR   (DEMO PKI and SoftHSM2 tokens "
		        "in an empty DIR; see docs/hsm.md)\n");
		return help ? 0 : EXIT_USAGE;
	}
	if ((script = demo_pki_script()) == NULL) {
		fprintf(stderr,
		        "pitlanectl pki init: demo-pki.sh not found (looked at "
		        "$PITLANE_DEMO_PKI, %s, %s); set PITLANE_DEMO_PKI to its path\n",
		        PITLANE_DEMO_PKI_INSTALLED, PITLANE_DEMO_PKI_SOURCE);
		return 1;
	}
	args[0] = (char *)"sh";
	args[1] = (char *)script;
	args[2] = argv[2];
	args[3] = NULL;
	if ((e = posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ)) != 0) {
		fprintf(stderr, "pitlanectl pki init: cannot run /bin/sh %s: %s\n", script,
		        strerror(e));
		return 1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 0 ? 0 : 1;
	fprintf(stderr, "pitlanectl pki init: %s was killed by signal %d\n", script,
	        WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 1;
}
