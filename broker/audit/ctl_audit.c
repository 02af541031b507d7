/*
 * pitlanectl audit verify DB [--pubkey PEM] [--max-unsigned N]
 * pitlanectl audit export DB [--since T]
 *
 * Exit status: 0 intact / exported, 1 tampered, 2 usage or I/O error.
 * Messages go to stderr, results to stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit.h"
#include "audit_int.h"
#include "pl_err.h"
#include "pl_err_audit.h"
#include "pl_file.h"
#include "pl_time.h"

#define EXIT_INTACT 0
#define EXIT_TAMPERED 1
#define EXIT_USAGE 2
#define PEM_MAX (64 * 1024)

static void usage(FILE *f)
{
	fputs(
	    "usage: pitlanectl audit verify DB [--pubkey PEM] [--max-unsigned N]\n"
	    "       pitlanectl audit export DB [--since T]\n"
	    "  verify  recompute the hash chain and the signed checkpoints; names the first\n"
	    "          bad row. --pubkey: the broker's checkpoint key (PEM SubjectPublicKeyInfo,\n"
	    "          e.g. from `pitlanectl key export`); without it signatures are checked\n"
	    "          against the key stored in the database itself; with it, a log without\n"
	    "          any checkpoint is refused. --max-unsigned N: more than N rows after the\n"
	    "          last signed checkpoint count as tampered (an unsigned tail can be\n"
	    "          rewritten; N = the broker's checkpoint_rows is a natural choice).\n"
	    "          exit 0 intact, 1 tampered, 2 usage or I/O error\n"
	    "  export  write one JSON object per row (JSON lines) to stdout; --since T keeps\n"
	    "          rows at or after T (UNIX seconds or ISO 8601, e.g. 2024-05-01T08:00:00Z)\n",
	    f);
}

static int fail(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "pitlanectl audit %s: %s: %s (err=%s)\n", cmd, what, pl_strerror(err),
	        pl_errname(err));
	return EXIT_USAGE;
}

/* The uncompressed P-256 point of a PEM public key. */
static int load_pubkey(const char *path, uint8_t pub[AUDIT_PUB_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0, plen = 0;
	char group[32];
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	int r;

	if ((r = pl_read_file(path, PEM_MAX, &buf, &len)) != 0)
		goto out;
	r = PL_E_BADKEY;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL ||
	    EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0 ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	                                    AUDIT_PUB_LEN, &plen) != 1 ||
	    plen != AUDIT_PUB_LEN || pub[0] != 0x04)
		goto out;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	pl_free_wiped(buf, len);
	return r;
}

static void print_intact(const char *db, const struct audit_verify_report *rep, const char *pem)
{
	printf("%s: intact: %" PRIu64 " rows, %" PRIu64 " checkpoints", db, rep->rows,
	       rep->checkpoints);
	if (rep->checkpoints == 0) {
		printf("; no signed checkpoint yet (the chain alone does not stop a rewrite)\n");
		return;
	}
	printf("; rows 1..%" PRIu64 " covered by signed checkpoints", rep->covered);
	if (pem)
		printf(" (signatures checked with %s)", pem);
	else
		printf(" (signatures checked with the key stored in the database: "
		       "give --pubkey to check against the broker's key)");
	if (rep->rows > rep->covered)
		printf("; %" PRIu64 " newer rows not covered yet", rep->rows - rep->covered);
	printf("\n");
}

/* --max-unsigned N: a decimal row count. */
static int parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] == '\0' || strlen(s) > 18)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *db = NULL, *pem = NULL;
	uint8_t pub[AUDIT_PUB_LEN];
	struct audit_verify_opts o = {0};
	struct audit_verify_report rep;
	int r;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc && pem == NULL) {
			pem = argv[++i];
		} else if (strcmp(argv[i], "--max-unsigned") == 0 && i + 1 < argc &&
		           !o.has_max_unsigned) {
			if (parse_count(argv[++i], &o.max_unsigned) != 0) {
				fprintf(stderr,
				        "pitlanectl audit verify: --max-unsigned '%s': not "
				        "a row count (give a decimal number, e.g. 1000)\n",
				        argv[i]);
				return EXIT_USAGE;
			}
			o.has_max_unsigned = 1;
		} else if (argv[i][0] != '-' && db == NULL) {
			db = argv[i];
		} else {
			fprintf(stderr, "pitlanectl audit verify: unexpected argument '%s'\n",
			        argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (db == NULL) {
		fprintf(stderr, "pitlanectl audit verify: missing the database path\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (pem && (r = load_pubkey(pem, pub)) != 0) {
		fprintf(stderr,
		        "pitlanectl audit verify: %s: not a readable P-256 public key in "
		        "PEM form: %s (err=%s)\n",
		        pem, pl_strerror(r), pl_errname(r));
		return EXIT_USAGE;
	}
	o.pub = pem ? pub : NULL;
	r = audit_verify_opts(db, &o, &rep);
	if (r == 0) {
		print_intact(db, &rep, pem);
		return EXIT_INTACT;
	}
	if (r == PL_E_AUDIT_TAMPERED) {
		printf("%s: TAMPERED: %s\n", db, rep.detail);
		fprintf(stderr,
		        "pitlanectl audit verify: %s: tampered at row seq %" PRIu64
		        " (fault=%s; %" PRIu64 " rows before it verify)\n",
		        db, rep.bad_seq, audit_fault_name(rep.fault), rep.rows);
		return EXIT_TAMPERED;
	}
	return fail("verify", db, r);
}

static int cmd_export(int argc, char **argv)
{
	const char *db = NULL, *since = NULL;
	struct pl_time_error why = {0, "not a time"};
	int64_t since_s = 0;
	uint64_t n = 0;
	int r;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc && since == NULL) {
			since = argv[++i];
		} else if (argv[i][0] != '-' && db == NULL) {
			db = argv[i];
		} else {
			fprintf(stderr, "pitlanectl audit export: unexpected argument '%s'\n",
			        argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (db == NULL) {
		fprintf(stderr, "pitlanectl audit export: missing the database path\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (since && (r = audit_parse_time(since, &since_s, &why)) != 0) {
		fprintf(stderr,
		        "pitlanectl audit export: --since '%s': %s at byte %zu; %s (err=%s)\n",
		        since, why.what, why.offset, pl_strerror(r), pl_errname(r));
		return EXIT_USAGE;
	}
	if ((r = audit_export(db, since_s * 1000, stdout, &n)) != 0)
		return fail("export", db, r);
	return EXIT_INTACT;
}

int ctl_audit_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc, argv);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_INTACT;
	}
	fprintf(stderr, "pitlanectl audit: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
