/*
 * bench_signer_rate: single-thread token issuance through the signer
 * (limits + encode + PKCS#11 sign + self-verify) against the raw PKCS#11
 * sign rate (SHA-256 + C_SignInit + C_Sign) on the same SoftHSM2 key, and raw
 * OpenSSL ECDSA P-256 signing for reference, measured interleaved in one run
 * (3 rounds, medians). Builds its own demo PKI in a temporary directory.
 * Needs PITLANE_SOURCE_DIR (bench/run.sh sets it). Optional argument: seconds
 * per measurement (default 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include "pl_err.h"
#include "signer.h"

#define ROUNDS 3
#define LAT_MAX 200000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char tmpdir[] = "/tmp/pitlane-bench-signer-XXXXXX";
static int tmpdir_made;

static void cleanup(void)
{
	char cmd[128];

	if (!tmpdir_made)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_signer_rate: %s\n", what);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median3(double v[ROUNDS])
{
	qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
	return v[ROUNDS / 2];
}

/* ---- raw PKCS#11 ------------------------------------------------------------ */

struct raw {
	CK_FUNCTION_LIST *m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE key;
};

static void raw_open(struct raw *r, const char *module, const char *pin)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, found = 0;
	CK_TOKEN_INFO ti;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	char label[] = "broker-signing";
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) },
			      { CKA_LABEL, label, sizeof(label) - 1 } };
	CK_ULONG i;
	CK_RV rv;

	if ((r->m = p11_kit_module_load(module, 0)) == NULL ||
	    p11_kit_module_initialize(r->m) != CKR_OK)
		die("cannot load SoftHSM2 through p11-kit");
	if (r->m->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		die("C_GetSlotList");
	for (i = 0; i < n; i++)
		if (r->m->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, "pitlane-broker ", 15) == 0)
			break;
	if (i == n)
		die("token pitlane-broker not found");
	if (r->m->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &r->h) != CKR_OK)
		die("C_OpenSession");
	rv = r->m->C_Login(r->h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "C_Login: 0x%lx\n", (unsigned long)rv);
		die("C_Login failed");
	}
	if (r->m->C_FindObjectsInit(r->h, t, 2) != CKR_OK ||
	    r->m->C_FindObjects(r->h, &r->key, 1, &found) != CKR_OK ||
	    r->m->C_FindObjectsFinal(r->h) != CKR_OK || found != 1)
		die("key broker-signing not found");
}

static void raw_close(struct raw *r)
{
	r->m->C_Logout(r->h);
	r->m->C_CloseSession(r->h);
	p11_kit_module_finalize(r->m);
	p11_kit_module_release(r->m);
}

/* The bytes a token signature covers are ~200 bytes; sign a message of that size. */
static uint8_t msg[200];

static double raw_rate(struct raw *r, double secs)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	uint8_t digest[32], sig[64];
	CK_ULONG slen;
	unsigned dlen;
	double t0 = now_s(), t;
	long n = 0;

	do {
		for (int k = 0; k < 64; k++) {
			msg[0] = (uint8_t)n;
			EVP_Digest(msg, sizeof(msg), digest, &dlen, EVP_sha256(), NULL);
			slen = sizeof(sig);
			if (r->m->C_SignInit(r->h, &mech, r->key) != CKR_OK ||
			    r->m->C_Sign(r->h, digest, 32, sig, &slen) != CKR_OK)
				die("raw C_Sign failed");
			n++;
		}
		t = now_s() - t0;
	} while (t < secs);
	return (double)n / t;
}

/* ---- OpenSSL ---------------------------------------------------------------- */

static double openssl_rate(EVP_PKEY *pk, double secs)
{
	uint8_t sig[80];
	size_t slen;
	double t0 = now_s(), t;
	long n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	do {
		for (int k = 0; k < 64; k++) {
			msg[0] = (uint8_t)n;
			slen = sizeof(sig);
			if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, pk) != 1 ||
			    EVP_DigestSign(c, sig, &slen, msg, sizeof(msg)) != 1)
				die("OpenSSL sign failed");
			n++;
		}
		t = now_s() - t0;
	} while (t < secs);
	EVP_MD_CTX_free(c);
	return (double)n / t;
}

/* ---- signer ------------------------------------------------------------------- */

static double lat[LAT_MAX];
static size_t nlat;

static double signer_rate(struct signer *s, double secs)
{
	struct signer_request rq;
	uint8_t tok[512], cti[16];
	size_t len;
	double t0 = now_s(), t, a, b;
	long n = 0;
	int r;

	memset(&rq, 0, sizeof(rq));
	strcpy(rq.vin, "WVWZZZ1JZXW000001");
	strcpy(rq.op, "door.unlock");
	rq.cnonce_len = 16;
	rq.ttl_s = 300;
	rq.exi_s = 60;
	rq.iat = 1764000000;
	strcpy(rq.iss, "pitlane-broker");
	strcpy(rq.workshop, "ws-muc-01");
	strcpy(rq.technician, "tech-anna");
	strcpy(rq.work_order, "WO-4711");
	do {
		rq.cnonce[0] = (uint8_t)n;
		a = now_s();
		if ((r = signer_issue(s, &rq, cti, tok, sizeof(tok), &len)) != 0) {
			fprintf(stderr, "signer_issue: %s\n", pl_strerror(r));
			die("signer_issue failed");
		}
		b = now_s();
		if (nlat < LAT_MAX)
			lat[nlat++] = b - a;
		n++;
		t = b - t0;
	} while (t < secs);
	return (double)n / t;
}

static const char *softhsm_module(void)
{
	static const char *cands[] = {
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/softhsm/libsofthsm2.so",
	};
	FILE *f;

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if ((f = fopen(cands[i], "re")) != NULL) {
			fclose(f);
			return cands[i];
		}
	die("libsofthsm2.so not found");
	return NULL;
}

int main(int argc, char **argv)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	char *dir = tmpdir;
	char cmd[1024], path[512], pin[128], uri[768], err[256] = "";
	double secs = 1.0, raw[ROUNDS], sig[ROUNDS], ossl[ROUNDS];
	double mraw, msig, mossl;
	struct signer_limits l;
	struct signer *s = NULL;
	struct raw rw;
	EVP_PKEY *pk = NULL;
	FILE *f;

	if (argc > 1 && (secs = strtod(argv[1], NULL)) <= 0.05)
		die("seconds per measurement must be > 0.05");
	if (src == NULL)
		die("PITLANE_SOURCE_DIR is not set (run through bench/run.sh)");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	tmpdir_made = 1;
	atexit(cleanup);
	snprintf(cmd, sizeof(cmd), "sh '%s/packaging/demo-pki.sh' '%s' >/dev/null", src, dir);
	if (system(cmd) != 0)
		die("demo-pki.sh failed");
	snprintf(path, sizeof(path), "%s/hsm-broker/softhsm2.conf", dir);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(path, sizeof(path), "%s/hsm-broker/pin", dir);
	if ((f = fopen(path, "re")) == NULL || fgets(pin, sizeof(pin), f) == NULL)
		die("cannot read the demo PIN");
	fclose(f);
	pin[strcspn(pin, "\n")] = '\0';

	memset(&l, 0, sizeof(l));
	l.nops = 1;
	strcpy(l.ops[0].name, "door.unlock");
	l.ops[0].max_ttl = 300;
	l.max_exi = 120;
	snprintf(uri, sizeof(uri),
		 "pkcs11:token=pitlane-broker;object=broker-signing;type=private?module-path=%s",
		 softhsm_module());
	if (signer_open_ex(uri, path, &l, NULL, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "signer_open: %s\n", err);
		die("cannot open the signer");
	}
	raw_open(&rw, softhsm_module(), pin);
	if ((pk = EVP_EC_gen("P-256")) == NULL)
		die("EVP_EC_gen");

	for (int i = 0; i < ROUNDS; i++) {
		raw[i] = raw_rate(&rw, secs);
		sig[i] = signer_rate(s, secs);
		ossl[i] = openssl_rate(pk, secs);
	}
	mraw = median3(raw);
	msig = median3(sig);
	mossl = median3(ossl);
	qsort(lat, nlat, sizeof(lat[0]), cmp_double);

	printf("signer_issue (1 thread):          %9.0f tokens/s  p50 %.1f us  p99 %.1f us\n",
	       msig, lat[nlat / 2] * 1e6, lat[(nlat * 99) / 100] * 1e6);
	printf("raw PKCS#11 C_Sign (SoftHSM2):    %9.0f signs/s\n", mraw);
	printf("raw OpenSSL ECDSA P-256 sign:     %9.0f signs/s\n", mossl);
	printf("ratio signer_issue / raw C_Sign:  %9.2f\n", msig / mraw);
	printf("ratio signer_issue / OpenSSL:     %9.2f\n", msig / mossl);
	printf("ratio raw C_Sign / OpenSSL:       %9.2f\n", mraw / mossl);

	EVP_PKEY_free(pk);
	raw_close(&rw);
	signer_close(s);
	return 0;
}
