/*
 * The decider's device certificate check and its chain cache (broker/decider/
 * devid.c): REQ-PRIV-043..REQ-PRIV-045 (docs/privsep.md).
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "castore.h"
#include "devid.h"
#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "techcache.h"

static time_t now0;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	cr_assert_not_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static struct {
	EVP_PKEY *cakey, *key;
	X509 *ca;
	X509_STORE *store;
	unsigned char *der[4];
	int len[4];
} fx;

/* A certificate signed by the CA (self-signed CA when issuer is NULL), valid [from, to). */
static X509 *cert(const char *cn, const char *eku, X509 *issuer, long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	static long serial = 100;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)"ws-muc-01", -1,
	                           -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), now0 + from);
	ASN1_TIME_set(X509_getm_notAfter(x), now0 + to);
	X509_set_pubkey(x, issuer ? fx.key : fx.cakey);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_ext_key_usage, eku);
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	cr_assert(X509_sign(x, fx.cakey, EVP_sha256()) > 0);
	return x;
}

static void setup(void)
{
	now0 = time(NULL);
	fx.cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	fx.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	fx.ca = cert("Dealer CA", NULL, NULL, -86400, 86400 * 365);
	fx.store = X509_STORE_new();
	X509_STORE_add_cert(fx.store, fx.ca);
}

static void teardown(void)
{
	for (int i = 0; i < 4; i++)
		OPENSSL_free(fx.der[i]);
	X509_STORE_free(fx.store);
	X509_free(fx.ca);
	EVP_PKEY_free(fx.cakey);
	EVP_PKEY_free(fx.key);
}

/* x's DER in slot (x is freed); its serial in *serial when asked. */
static void der(X509 *x, int slot, long *serial)
{
	if (serial != NULL)
		*serial = ASN1_INTEGER_get(X509_get0_serialNumber(x));
	fx.len[slot] = i2d_X509(x, &fx.der[slot]);
	cr_assert_gt(fx.len[slot], 0);
	X509_free(x);
}

static int check(int slot, int64_t at, struct cert_identity *id, char *why)
{
	return devid_verify(fx.store, fx.der[slot], (size_t)fx.len[slot], (int64_t)now0 + at, id,
	                    why, 256);
}

static struct techcache_stats stats(void)
{
	struct techcache_stats st;

	cr_assert_eq(devid_cache_stats(fx.store, &st), 0);
	return st;
}

/* A PEM CRL from the CA revoking serial (0: none), as the crl file holds it. */
static char *crl_pem(long serial, long next, size_t *len)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;
	static long younger; /* for one CA the newest CRL applies */

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(fx.ca));
	ASN1_TIME_set(t, now0 - 60 + younger++);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, now0 + next);
	X509_CRL_set1_nextUpdate(c, t);
	if (serial != 0) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		ASN1_INTEGER_set(sn, serial);
		X509_REVOKED_set_serialNumber(rv, sn);
		ASN1_TIME_set(t, now0 - 60);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_CRL_add0_revoked(c, rv);
		ASN1_INTEGER_free(sn);
	}
	X509_CRL_sort(c);
	cr_assert(X509_CRL_sign(c, fx.cakey, EVP_sha256()) > 0);
	cr_assert(PEM_write_bio_X509_CRL(b, c));
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n);
	memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	ASN1_TIME_free(t);
	X509_CRL_free(c);
	return out;
}

/* The decider's SIGHUP path: the CRL added to the store in place. */
static void reload_crl(long serial, long next)
{
	size_t len, n = 0;
	char *pem = crl_pem(serial, next, &len), err[256] = "";

	cr_assert_eq(castore_crl_update(fx.store, pem, len, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	free(pem);
}

Test(devid, REQ_PRIV_043_second_check_is_a_cache_hit, .init = setup, .fini = teardown)
{
	struct cert_identity id;
	char why[256] = "";

	der(cert("ws-muc-01-pc1", "clientAuth", fx.ca, -60, 86400), 0, NULL);
	der(cert("ws-muc-01-pc2", "clientAuth", fx.ca, -60, 86400), 1, NULL);
	cr_assert_eq(check(0, 0, &id, why), 0, "%s", why);
	cr_assert_eq(stats().misses, 1);
	memset(&id, 0, sizeof(id));
	cr_assert_eq(check(0, 1, &id, why), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_str_eq(id.cn, "ws-muc-01-pc1");
	cr_assert_str_eq(id.ou, "ws-muc-01");
	/* other bytes: a miss, with their own identity */
	cr_assert_eq(check(1, 1, &id, why), 0, "%s", why);
	cr_assert_str_eq(id.cn, "ws-muc-01-pc2");
	cr_assert_eq(stats().misses, 2);
	cr_assert_eq(stats().entries, 2);
	devid_cache_flush(fx.store);
	cr_assert_eq(stats().entries, 0);
}

Test(devid, REQ_PRIV_044_refusals_are_never_cached, .init = setup, .fini = teardown)
{
	struct cert_identity id;
	char why[256] = "";

	der(cert("ws-muc-01-pc1", "clientAuth", fx.ca, -200, -100), 0, NULL); /* expired */
	der(cert("tech-anna", TECHID_EKU_DEFAULT, fx.ca, -60, 86400), 1, NULL);
	der(cert("ws-muc-01-pc1", "serverAuth", fx.ca, -60, 86400), 2, NULL); /* not a client */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(check(0, 0, &id, why), PL_E_SRV_IDENTITY);
		cr_assert(strstr(why, "expired") != NULL, "%s", why);
		cr_assert_eq(check(1, 0, &id, why), PL_E_SRV_TECH_AS_DEVICE);
		cr_assert_eq(check(2, 0, &id, why), PL_E_SRV_IDENTITY);
		cr_assert(strstr(why, "purpose") != NULL, "%s", why);
	}
	cr_assert_eq(stats().hits, 0);
	cr_assert_eq(stats().inserts, 0);
	cr_assert_eq(devid_verify(fx.store, fx.der[0], 0, now0, &id, why, sizeof(why)),
	             PL_E_SRV_IDENTITY);
}

Test(devid, REQ_PRIV_045_crl_reload_revokes_a_cached_device, .init = setup, .fini = teardown)
{
	struct cert_identity id;
	char why[256] = "";
	long serial;

	der(cert("ws-ber-02-pc1", "clientAuth", fx.ca, -60, 86400), 0, &serial);
	der(cert("ws-muc-01-pc1", "clientAuth", fx.ca, -60, 86400), 1, NULL);
	reload_crl(0, 86400);
	cr_assert_eq(check(0, 0, &id, why), 0, "%s", why);
	cr_assert_eq(check(1, 0, &id, why), 0, "%s", why);
	cr_assert_eq(check(0, 0, &id, why), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	/* SIGHUP: the new CRL revokes the cached device; the next check is a full one */
	reload_crl(serial, 86400);
	cr_assert_eq(check(0, 0, &id, why), PL_E_SRV_IDENTITY);
	cr_assert(strstr(why, "revoked") != NULL, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(stats().stale_gen, 1);
	/* the other device is checked again and still passes */
	cr_assert_eq(check(1, 0, &id, why), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
}

Test(devid, REQ_PRIV_045_entry_ends_with_the_certificate_and_the_crl, .init = setup,
     .fini = teardown)
{
	struct cert_identity id;
	char why[256] = "";

	der(cert("ws-muc-01-pc1", "clientAuth", fx.ca, -60, 100), 0, NULL); /* notAfter +100 */
	cr_assert_eq(check(0, 0, &id, why), 0, "%s", why);
	cr_assert_eq(check(0, 99, &id, why), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(check(0, 100, &id, why), PL_E_SRV_IDENTITY);
	cr_assert(strstr(why, "expired") != NULL, "%s", why);
	cr_assert_eq(stats().expired, 1);
	/* never past the CRL's nextUpdate, never longer than TECHID_CACHE_TTL_S */
	der(cert("ws-muc-01-pc2", "clientAuth", fx.ca, -60, 86400), 1, NULL);
	cr_assert_eq(check(1, 0, &id, why), 0, "%s", why);
	cr_assert_eq(check(1, TECHID_CACHE_TTL_S, &id, why), 0, "%s", why);
	cr_assert_eq(stats().expired, 2);
	reload_crl(0, 50);
	cr_assert_eq(check(1, 0, &id, why), 0, "%s", why);
	cr_assert_eq(check(1, 49, &id, why), 0, "%s", why);
	cr_assert_eq(stats().hits, 2);
	cr_assert_eq(check(1, 50, &id, why), PL_E_SRV_IDENTITY);
	cr_assert(strstr(why, "CRL has expired") != NULL, "%s", why);
}
