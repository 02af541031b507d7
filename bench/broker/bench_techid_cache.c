/*
 * bench_techid_cache: the broker's per-request technician checks with the
 * verified-chain cache against the baseline without it, measured in the same
 * run on the same certificates (a demo-like dealer CA with a CRL, a P-256
 * technician certificate):
 *   chain:      techid_verify() on a cache hit vs a full verification (the
 *               cache flushed before every call: DER parsing, chain and CRL
 *               signature checks)
 *   signature:  the COSE ES256 check through techid_crypto() (key parsed once)
 *               vs plt_openssl_crypto() (key rebuilt per call)
 * The two modes alternate for R rounds; medians are compared.
 *
 * usage: bench_techid_cache [-n CALLS_PER_ROUND] [-r ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "techid.h"
#include "pitlane/token_openssl.h"
#include "pl_parse.h"

#define ROUNDS_MAX 51

struct fixture {
	EVP_PKEY *cakey, *techkey;
	X509 *ca;
	X509_CRL *crl;
	X509_STORE *store;
	unsigned char *der;
	struct plt_bytes cert;
	struct plt_iov part;
	uint8_t sig[PLT_SIG_LEN];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static X509 *make_cert(const char *cn, const char *ou, EVP_PKEY *pub, X509 *issuer,
		       EVP_PKEY *ikey, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	int ok = x != NULL && n != NULL;

	ok = ok && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	ok = ok && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					      -1, -1, 0);
	ok = ok && X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou,
					      -1, -1, 0);
	ok = ok && X509_set_subject_name(x, n) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) && X509_set_pubkey(x, pub);
	if (ok && issuer == NULL)
		ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	else if (ok)
		ok = add_ext(x, issuer, NID_ext_key_usage, "clientAuth") &&
		     add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	ok = ok && X509_sign(x, ikey, EVP_sha256()) > 0;
	X509_NAME_free(n);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A CRL revoking serials 1000..1049 (not the technician), valid for a day. */
static X509_CRL *make_crl(X509 *ca, EVP_PKEY *cakey)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	int ok = c != NULL && t != NULL && X509_CRL_set_version(c, 1) &&
		 X509_CRL_set_issuer_name(c, X509_get_subject_name(ca));

	ok = ok && X509_gmtime_adj(t, -60) && X509_CRL_set1_lastUpdate(c, t);
	for (long s = 1000; ok && s < 1050; s++) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		ok = rv != NULL && sn != NULL && ASN1_INTEGER_set(sn, s) &&
		     X509_REVOKED_set_serialNumber(rv, sn) &&
		     X509_REVOKED_set_revocationDate(rv, t) && X509_CRL_add0_revoked(c, rv);
		if (!ok)
			X509_REVOKED_free(rv);
		ASN1_INTEGER_free(sn);
	}
	ok = ok && X509_gmtime_adj(t, 86400) && X509_CRL_set1_nextUpdate(c, t) &&
	     X509_CRL_sort(c) && X509_CRL_sign(c, cakey, EVP_sha256()) > 0;
	ASN1_TIME_free(t);
	if (!ok) {
		X509_CRL_free(c);
		return NULL;
	}
	return c;
}

static int fixture_init(struct fixture *f)
{
	static const uint8_t msg[200] = { 0x84, 0x6a };   /* a Sig_structure-sized message */
	X509 *tech;
	int n;

	memset(f, 0, sizeof(*f));
	f->cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->techkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (f->cakey == NULL || f->techkey == NULL ||
	    (f->ca = make_cert("Dealer CA", "oem", f->cakey, NULL, f->cakey, 1)) == NULL ||
	    (f->crl = make_crl(f->ca, f->cakey)) == NULL ||
	    (tech = make_cert("tech-anna", "ws-muc-01", f->techkey, f->ca, f->cakey, 7)) == NULL)
		return -1;
	n = i2d_X509(tech, &f->der);
	X509_free(tech);
	if (n <= 0 || (f->store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(f->store, f->ca) != 1 || X509_STORE_add_crl(f->store, f->crl) != 1)
		return -1;
	X509_STORE_set_flags(f->store, X509_V_FLAG_CRL_CHECK);
	f->cert.ptr = f->der;
	f->cert.len = (size_t)n;
	f->part.ptr = msg;
	f->part.len = sizeof(msg);
	return plt_openssl_sign_es256(f->techkey, &f->part, 1, f->sig) == 0 ? 0 : -1;
}

static void fixture_free(struct fixture *f)
{
	X509_STORE_free(f->store);
	OPENSSL_free(f->der);
	X509_CRL_free(f->crl);
	X509_free(f->ca);
	EVP_PKEY_free(f->cakey);
	EVP_PKEY_free(f->techkey);
}

/* Seconds for n techid_verify() calls; flush: a full verification each time. */
static double run_chain(struct fixture *f, unsigned n, int flush)
{
	struct tech_identity t;
	char why[256];
	double t0 = now_s();

	for (unsigned i = 0; i < n; i++) {
		if (flush)
			techid_cache_flush(f->store);
		if (techid_verify(f->store, &f->cert, 1, (int64_t)time(NULL), &t, why,
				  sizeof(why)) != 0) {
			fprintf(stderr, "bench_techid_cache: %s\n", why);
			exit(1);
		}
	}
	return now_s() - t0;
}

/* Seconds for n signature checks through c. */
static double run_sig(struct fixture *f, const struct plt_crypto *c, const uint8_t *pub,
		      unsigned n)
{
	double t0 = now_s();

	for (unsigned i = 0; i < n; i++) {
		if (c->verify_es256(c->ctx, pub, &f->part, 1, f->sig) != 0) {
			fprintf(stderr, "bench_techid_cache: signature did not verify\n");
			exit(1);
		}
	}
	return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	struct fixture f;
	struct tech_identity t;
	struct plt_crypto cached, plain;
	double full[ROUNDS_MAX], hit[ROUNDS_MAX], sig_plain[ROUNDS_MAX], sig_cached[ROUNDS_MAX];
	double mf, mh, sp, sc;
	uint32_t n = 400, rounds = 7;
	char why[256];
	int ch;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		if (ch == 'n' && pl_parse_u32(optarg, 1, 1000000, &n) == 0)
			continue;
		if (ch == 'r' && pl_parse_u32(optarg, 1, ROUNDS_MAX, &rounds) == 0)
			continue;
		fprintf(stderr, "usage: bench_techid_cache [-n CALLS 1..1000000] "
			"[-r ROUNDS 1..%d]\n", ROUNDS_MAX);
		return 2;
	}
	if (fixture_init(&f) != 0) {
		fprintf(stderr, "bench_techid_cache: cannot build the test PKI (OpenSSL)\n");
		return 1;
	}
	if (techid_verify(f.store, &f.cert, 1, (int64_t)time(NULL), &t, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_techid_cache: %s\n", why);
		return 1;
	}
	techid_crypto(f.store, &cached);
	plt_openssl_crypto(&plain);
	for (uint32_t r = 0; r < rounds; r++) {
		full[r] = run_chain(&f, n, 1);
		hit[r] = run_chain(&f, n, 0);
		sig_plain[r] = run_sig(&f, &plain, t.pub, n);
		sig_cached[r] = run_sig(&f, &cached, t.pub, n);
	}
	mf = median(full, rounds) / n * 1e6;
	mh = median(hit, rounds) / n * 1e6;
	sp = median(sig_plain, rounds) / n * 1e6;
	sc = median(sig_cached, rounds) / n * 1e6;
	printf("technician chain: full verification %.1f us, cache hit %.1f us: "
	       "hit = %.3f x full (%.0f x faster)\n", mf, mh, mh / mf, mf / mh);
	printf("technician signature: key rebuilt %.1f us, cached key %.1f us: "
	       "cached = %.2f x rebuilt\n", sp, sc, sc / sp);
	printf("per request: %.1f us -> %.1f us = %.2f x\n", mf + sp, mh + sc,
	       (mh + sc) / (mf + sp));
	fixture_free(&f);
	return 0;
}
