/*
 * Certificate identities and technician certificates: REQ-BRK-160..REQ-BRK-164;
 * the verified-chain cache: REQ-BRK-165..REQ-BRK-173; the technician marker
 * (EKU): REQ-BRK-200, REQ-BRK-201.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "identity.h"
#include "techid.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "techcache.h"

#define NOW 1800000000

/* The EKU of the leaves cert() makes: a technician's unless a test says otherwise. */
static const char *leaf_eku = TECHID_EKU_DEFAULT;

static EVP_PKEY *key(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

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

/* A certificate for pub, signed by ikey (self-signed when issuer is NULL). */
static X509 *cert(const char *cn, const char *ou, const char *ou2, EVP_PKEY *pub,
		  X509 *issuer, EVP_PKEY *ikey, long from, long to, const char *ku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	if (cn)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	if (ou)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0);
	if (ou2)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou2, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), NOW + from);
	ASN1_TIME_set(X509_getm_notAfter(x), NOW + to);
	X509_set_pubkey(x, pub);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		if (leaf_eku != NULL)
			add_ext(x, issuer, NID_ext_key_usage, leaf_eku);
		if (ku)
			add_ext(x, issuer, NID_key_usage, ku);
	}
	cr_assert(X509_sign(x, ikey, EVP_sha256()) > 0);
	return x;
}

static struct {
	EVP_PKEY *cakey, *leafkey;
	X509 *ca;
	X509_STORE *store;
	unsigned char *der[8];
} fx;

static void setup(void)
{
	fx.cakey = key("P-256");
	fx.leafkey = key("P-256");
	fx.ca = cert("Dealer CA", "oem", NULL, fx.cakey, NULL, fx.cakey, -86400, 86400 * 365, NULL);
	fx.store = X509_STORE_new();
	X509_STORE_add_cert(fx.store, fx.ca);
}

static void teardown(void)
{
	for (int i = 0; i < 8; i++)
		OPENSSL_free(fx.der[i]);
	X509_STORE_free(fx.store);
	X509_free(fx.ca);
	EVP_PKEY_free(fx.cakey);
	EVP_PKEY_free(fx.leafkey);
}

static int verify(X509 *leaf, int slot, struct tech_identity *t, char *why)
{
	struct plt_bytes b;
	int n = i2d_X509(leaf, &fx.der[slot]);

	cr_assert_gt(n, 0);
	b.ptr = fx.der[slot];
	b.len = (size_t)n;
	X509_free(leaf);
	return techid_verify(fx.store, &b, 1, NOW, t, why, 256);
}

Test(identity, REQ_BRK_160_valid_technician_certificate, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	char why[256] = "";
	X509 *x = cert("tech-anna", "ws-muc-01", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400,
		       "critical,digitalSignature");

	cr_assert_eq(verify(x, 0, &t, why), 0, "%s", why);
	cr_assert_str_eq(t.id.cn, "tech-anna");
	cr_assert_str_eq(t.id.ou, "ws-muc-01");
	cr_assert_eq(t.pub[0], 0x04);
}

Test(identity, REQ_BRK_161_expired_notyet_foreign_refused, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	char why[256];
	EVP_PKEY *okey = key("P-256");
	X509 *other = cert("Other CA", "x", NULL, okey, NULL, okey, -86400, 86400, NULL);

	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, fx.ca, fx.cakey, -200, -100, NULL), 0,
			    &t, why), PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "expired") != NULL, "%s", why);
	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, fx.ca, fx.cakey, 100, 200, NULL), 1,
			    &t, why), PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "not yet valid") != NULL, "%s", why);
	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, other, okey, -100, 200, NULL), 2, &t,
			    why), PL_E_SRV_TECH_CERT);
	X509_free(other);
	EVP_PKEY_free(okey);
}

Test(identity, REQ_BRK_162_subject_needs_one_cn_one_ou, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	char why[256];

	cr_assert_eq(verify(cert("a", NULL, NULL, fx.leafkey, fx.ca, fx.cakey, -1, 99, NULL), 0, &t,
			    why), PL_E_SRV_IDENTITY);
	cr_assert_eq(verify(cert("a", "w1", "w2", fx.leafkey, fx.ca, fx.cakey, -1, 99, NULL), 1, &t,
			    why), PL_E_SRV_IDENTITY);
	cr_assert_eq(verify(cert(NULL, "w", NULL, fx.leafkey, fx.ca, fx.cakey, -1, 99, NULL), 2, &t,
			    why), PL_E_SRV_IDENTITY);
}

Test(identity, REQ_BRK_163_key_must_be_p256_and_sign, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	char why[256];
	EVP_PKEY *p384 = key("P-384");

	cr_assert_eq(verify(cert("a", "w", NULL, p384, fx.ca, fx.cakey, -1, 99, NULL), 0, &t, why),
		     PL_E_SRV_TECH_KEY);
	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, fx.ca, fx.cakey, -1, 99,
				 "critical,keyAgreement"), 1, &t, why), PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "digitalSignature") != NULL, "%s", why);
	EVP_PKEY_free(p384);
}

Test(identity, REQ_BRK_164_garbage_der_refused, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	char why[256];
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct plt_bytes b = { junk, sizeof(junk) };

	cr_assert_eq(techid_verify(fx.store, &b, 1, NOW, &t, why, sizeof(why)), PL_E_SRV_TECH_CERT);
	cr_assert_eq(techid_verify(fx.store, &b, 0, NOW, &t, why, sizeof(why)), PL_E_SRV_TECH_CERT);
}

Test(identity, REQ_BRK_200_device_certificate_cannot_sign_as_technician, .init = setup,
     .fini = teardown)
{
	struct tech_identity t;
	char why[256] = "";
	X509 *x;

	/* a device certificate: clientAuth only, same CA, valid, P-256, digitalSignature */
	leaf_eku = "clientAuth";
	cr_assert_eq(verify(cert("ws-muc-01-pc1", "ws-muc-01", NULL, fx.leafkey, fx.ca, fx.cakey,
				 -60, 86400, "critical,digitalSignature"), 0, &t, why),
		     PL_E_SRV_NOT_TECHNICIAN);
	cr_assert(strstr(why, "CN=ws-muc-01-pc1 is not a technician certificate") != NULL, "%s",
		  why);
	/* no EKU at all, or anyExtendedKeyUsage: not a technician either */
	leaf_eku = NULL;
	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400, NULL), 1,
			    &t, why), PL_E_SRV_NOT_TECHNICIAN);
	leaf_eku = "anyExtendedKeyUsage,clientAuth";
	cr_assert_eq(verify(cert("a", "w", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400, NULL), 2,
			    &t, why), PL_E_SRV_NOT_TECHNICIAN);
	/* the marker next to clientAuth: a technician (the operator's PKI may add both) */
	leaf_eku = "clientAuth," TECHID_EKU_DEFAULT;
	x = cert("tech-anna", "ws-muc-01", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400, NULL);
	cr_assert_eq(techid_has_marker(fx.store, x), 1);
	cr_assert_eq(verify(x, 3, &t, why), 0, "%s", why);
	leaf_eku = TECHID_EKU_DEFAULT;
}

Test(identity, REQ_BRK_201_marker_is_configurable_and_never_a_device_eku, .init = setup,
     .fini = teardown)
{
	struct tech_identity t;
	char why[256] = "";
	X509 *x = cert("tech-anna", "ws-muc-01", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400,
		       NULL);
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);
	struct plt_bytes b = { d, (size_t)n };

	cr_assert_eq(techid_set_marker(fx.store, "1.3.6.1.5.5.7.3.2"), PL_E_INVAL);
	cr_assert_eq(techid_set_marker(fx.store, "2.5.29.37.0"), PL_E_INVAL);
	cr_assert_eq(techid_set_marker(fx.store, "1.3.6.1.5.5.7.3.1"), PL_E_INVAL);
	cr_assert_eq(techid_set_marker(fx.store, "not an oid"), PL_E_INVAL);
	/* accepted and cached under the default marker ... */
	cr_assert_eq(techid_verify(fx.store, &b, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	/* ... and refused, cache or not, once the OEM's own marker is set */
	cr_assert_eq(techid_set_marker(fx.store, "1.3.6.1.4.1.99999.1.7"), 0);
	cr_assert_eq(techid_has_marker(fx.store, x), 0);
	cr_assert_eq(techid_verify(fx.store, &b, 1, NOW, &t, why, sizeof(why)),
		     PL_E_SRV_NOT_TECHNICIAN);
	cr_assert_eq(techid_set_marker(fx.store, TECHID_EKU_DEFAULT), 0);
	cr_assert_eq(techid_verify(fx.store, &b, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	OPENSSL_free(d);
	X509_free(x);
}

/* DER of x in slot (x is freed) as the x5chain entry b. */
static void der(X509 *x, int slot, struct plt_bytes *b)
{
	int n = i2d_X509(x, &fx.der[slot]);

	cr_assert_gt(n, 0);
	b->ptr = fx.der[slot];
	b->len = (size_t)n;
	X509_free(x);
}

static struct techcache_stats stats(void)
{
	struct techcache_stats st;

	cr_assert_eq(techid_cache_stats(fx.store, &st), 0);
	return st;
}

/* A CRL from the dealer CA, valid [NOW + from, NOW + to), revoking serial (0: none). */
static X509_CRL *crl(long from, long to, long serial)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(fx.ca));
	ASN1_TIME_set(t, NOW + from);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, NOW + to);
	X509_CRL_set1_nextUpdate(c, t);
	if (serial != 0) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		ASN1_INTEGER_set(sn, serial);
		X509_REVOKED_set_serialNumber(rv, sn);
		ASN1_TIME_set(t, NOW + from);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_CRL_add0_revoked(c, rv);
		ASN1_INTEGER_free(sn);
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(c);
	cr_assert(X509_CRL_sign(c, fx.cakey, EVP_sha256()) > 0);
	return c;
}

static X509 *anna(long from, long to)
{
	return cert("tech-anna", "ws-muc-01", NULL, fx.leafkey, fx.ca, fx.cakey, from, to,
		    "critical,digitalSignature");
}

Test(identity, REQ_BRK_165_second_verification_is_a_cache_hit, .init = setup, .fini = teardown)
{
	struct tech_identity a, b;
	struct plt_bytes d;
	char why[256] = "";

	der(anna(-60, 86400), 0, &d);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &a, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().misses, 1);
	cr_assert_eq(stats().inserts, 1);
	memset(&b, 0, sizeof(b));
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + 10, &b, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(stats().misses, 1);
	cr_assert_str_eq(b.id.cn, "tech-anna");
	cr_assert_str_eq(b.id.ou, "ws-muc-01");
	cr_assert_arr_eq(b.pub, a.pub, sizeof(a.pub));
}

Test(identity, REQ_BRK_166_other_bytes_miss_and_failures_are_not_cached, .init = setup,
     .fini = teardown)
{
	struct tech_identity t;
	struct plt_bytes d[3];
	char why[256] = "";

	der(anna(-60, 86400), 0, &d[0]);
	der(anna(-60, 86400), 1, &d[1]);           /* same subject and key, other serial */
	der(anna(-200, -100), 2, &d[2]);           /* expired */
	cr_assert_eq(techid_verify(fx.store, &d[0], 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d[1], 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().misses, 2);
	cr_assert_eq(stats().hits, 0);
	/* [leaf] and [leaf, leaf] are different chains */
	cr_assert_eq(techid_verify(fx.store, d, 2, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().misses, 3);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(techid_verify(fx.store, &d[2], 1, NOW, &t, why, sizeof(why)),
			     PL_E_SRV_TECH_CERT);
	cr_assert_eq(stats().misses, 5);
	cr_assert_eq(stats().inserts, 3);
	cr_assert_eq(stats().entries, 3);
}

Test(identity, REQ_BRK_167_revoked_after_crl_added_in_place, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	struct plt_bytes d;
	char why[256] = "";
	X509 *x = anna(-60, 86400);
	long serial = ASN1_INTEGER_get(X509_get0_serialNumber(x));
	X509_CRL *c = crl(-60, 86400, serial);

	der(x, 0, &d);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	/* the CRL revoking the cached certificate arrives */
	cr_assert_eq(X509_STORE_add_crl(fx.store, c), 1);
	X509_STORE_set_flags(fx.store, X509_V_FLAG_CRL_CHECK);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "revoked") != NULL, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(stats().stale_gen, 1);
	cr_assert_eq(stats().entries, 0);
	X509_CRL_free(c);
}

Test(identity, REQ_BRK_168_new_store_starts_empty_and_checks_crl, .init = setup,
     .fini = teardown)
{
	struct tech_identity t;
	struct plt_bytes d;
	char why[256] = "";
	X509 *x = anna(-60, 86400);
	long serial = ASN1_INTEGER_get(X509_get0_serialNumber(x));
	X509_CRL *c = crl(-60, 86400, serial);
	X509_STORE *old = fx.store;

	der(x, 0, &d);
	cr_assert_eq(techid_verify(old, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	/* a reload builds a new store with the new CRL: the old entry is not consulted */
	fx.store = X509_STORE_new();
	X509_STORE_add_cert(fx.store, fx.ca);
	X509_STORE_add_crl(fx.store, c);
	X509_STORE_set_flags(fx.store, X509_V_FLAG_CRL_CHECK);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "revoked") != NULL, "%s", why);
	cr_assert_eq(stats().hits, 0);
	X509_STORE_free(old);                      /* frees its cache (ASan: no leak) */
	X509_CRL_free(c);
}

Test(identity, REQ_BRK_169_expired_cert_not_served_from_cache, .init = setup, .fini = teardown)
{
	struct tech_identity t;
	struct plt_bytes d;
	char why[256] = "";

	der(anna(-60, 100), 0, &d);                /* notAfter = NOW + 100 */
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + 99, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + 100, &t, why, sizeof(why)),
		     PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "expired") != NULL, "%s", why);
	cr_assert_eq(stats().expired, 1);
	cr_assert_eq(stats().hits, 1);
	/* a clock that went back before notBefore is not served either */
	der(anna(-60, 86400), 1, &d);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW - 61, &t, why, sizeof(why)),
		     PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "not yet valid") != NULL, "%s", why);
	cr_assert_eq(stats().hits, 1);
}

Test(identity, REQ_BRK_170_entry_bounded_by_ttl_and_crl_next_update, .init = setup,
     .fini = teardown)
{
	struct tech_identity t;
	struct plt_bytes d;
	char why[256] = "";
	X509_CRL *c = crl(-60, 50, 0);             /* nextUpdate = NOW + 50 */

	der(anna(-60, 86400), 0, &d);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + TECHID_CACHE_TTL_S - 1, &t, why,
				   sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().hits, 1);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + TECHID_CACHE_TTL_S, &t, why,
				   sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().expired, 1);
	cr_assert_eq(stats().hits, 1);
	/* with a CRL, the entry ends when the CRL does: verification then fails */
	cr_assert_eq(X509_STORE_add_crl(fx.store, c), 1);
	X509_STORE_set_flags(fx.store, X509_V_FLAG_CRL_CHECK);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + 49, &t, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(stats().hits, 2);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW + 50, &t, why, sizeof(why)),
		     PL_E_SRV_TECH_CERT);
	cr_assert(strstr(why, "CRL has expired") != NULL, "%s", why);
	cr_assert_eq(stats().hits, 2);
	techid_cache_flush(fx.store);
	cr_assert_eq(stats().entries, 0);
	X509_CRL_free(c);
}

Test(identity, REQ_BRK_171_cache_is_a_bounded_lru)
{
	struct techcache *c;
	struct techcache_stats st;
	struct tech_identity t = { .id = { "a", "w" } }, got;
	uint8_t k[4][TECHCACHE_KEY_LEN];

	memset(k, 0, sizeof(k));
	for (int i = 0; i < 4; i++)
		k[i][0] = (uint8_t)i;
	cr_assert_eq(techcache_new(0, &c), PL_E_INVAL);
	cr_assert_eq(techcache_new(3, &c), 0);
	techcache_put(c, k[0], 7, 0, 100, &t, NULL);
	techcache_put(c, k[1], 7, 0, 100, &t, NULL);
	techcache_put(c, k[2], 7, 0, 100, &t, NULL);
	cr_assert_eq(techcache_get(c, k[0], 7, 50, &got), 0);  /* k[1] is now the oldest */
	techcache_put(c, k[3], 7, 0, 100, &t, NULL);
	cr_assert_eq(techcache_get(c, k[1], 7, 50, &got), PL_E_NOTFOUND);
	cr_assert_eq(techcache_get(c, k[0], 7, 50, &got), 0);
	cr_assert_eq(techcache_get(c, k[2], 7, 50, &got), 0);
	cr_assert_eq(techcache_get(c, k[3], 7, 50, &got), 0);
	cr_assert_str_eq(got.id.cn, "a");
	cr_assert_eq(techcache_get(c, k[3], 8, 50, &got), PL_E_NOTFOUND);   /* other generation */
	cr_assert_eq(techcache_get(c, k[2], 7, 100, &got), PL_E_NOTFOUND);  /* until is exclusive */
	techcache_put(c, k[1], 7, 10, 10, &t, NULL);     /* an empty window stores nothing */
	cr_assert_eq(techcache_get(c, k[1], 7, 10, &got), PL_E_NOTFOUND);
	techcache_stats(c, &st);
	cr_assert_eq(st.evictions, 1);
	cr_assert_eq(st.entries, 1);
	cr_assert_eq(st.hits, 4);
	techcache_free(c);
	techcache_free(NULL);
}

Test(identity, REQ_BRK_172_technician_signature_hook_uses_the_cached_key, .init = setup,
     .fini = teardown)
{
	static const uint8_t msg[] = "Sig_structure bytes";
	struct plt_iov part = { msg, sizeof(msg) };
	struct tech_identity t;
	struct plt_crypto crypto;
	struct plt_bytes d;
	uint8_t sig[PLT_SIG_LEN], opub[PLT_P256_PUB_LEN];
	char why[256] = "";
	EVP_PKEY *okey = key("P-256");

	der(anna(-60, 86400), 0, &d);
	cr_assert_eq(techid_verify(fx.store, &d, 1, NOW, &t, why, sizeof(why)), 0, "%s", why);
	techid_crypto(fx.store, &crypto);
	cr_assert_eq(plt_openssl_sign_es256(fx.leafkey, &part, 1, sig), 0);
	cr_assert_eq(crypto.verify_es256(crypto.ctx, t.pub, &part, 1, sig), 0);
	cr_assert_eq(stats().pkey_hits, 1);
	sig[10] ^= 1;
	cr_assert_eq(crypto.verify_es256(crypto.ctx, t.pub, &part, 1, sig), 1);
	cr_assert_eq(stats().pkey_hits, 2);
	/* a key the cache does not know is still verified, the slow way */
	cr_assert_eq(plt_openssl_pub_from_pkey(okey, opub), 0);
	cr_assert_eq(plt_openssl_sign_es256(okey, &part, 1, sig), 0);
	cr_assert_eq(crypto.verify_es256(crypto.ctx, opub, &part, 1, sig), 0);
	cr_assert_eq(crypto.verify_es256(crypto.ctx, t.pub, &part, 1, sig), 1);
	cr_assert_eq(stats().pkey_misses, 1);
	cr_assert_eq(stats().pkey_hits, 3);
	EVP_PKEY_free(okey);
}

#define STRESS_THREADS 8
#define STRESS_CALLS 150
#define STRESS_CHAINS 4

struct stress {
	struct plt_bytes *chains;
	int bad;
	pthread_barrier_t *go;
};

static void *stress_run(void *arg)
{
	struct stress *w = arg;
	struct tech_identity t;
	char why[256];

	pthread_barrier_wait(w->go);
	for (int i = 0; i < STRESS_CALLS; i++) {
		const struct plt_bytes *d = &w->chains[i % STRESS_CHAINS];
		char want[8];

		snprintf(want, sizeof(want), "t%d", i % STRESS_CHAINS);
		if (techid_verify(fx.store, d, 1, NOW, &t, why, sizeof(why)) != 0 ||
		    strcmp(t.id.cn, want) != 0)
			w->bad++;
	}
	return NULL;
}

Test(identity, REQ_BRK_173_concurrent_verification_while_the_store_changes, .init = setup,
     .fini = teardown)
{
	struct plt_bytes d[STRESS_CHAINS];
	struct stress w[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	pthread_barrier_t go;
	X509_CRL *c = crl(-60, 86400, 999999);     /* revokes nobody here */
	struct techcache_stats st;

	for (int i = 0; i < STRESS_CHAINS; i++) {
		char cn[8];

		snprintf(cn, sizeof(cn), "t%d", i);
		der(cert(cn, "ws", NULL, fx.leafkey, fx.ca, fx.cakey, -60, 86400,
			 "critical,digitalSignature"), i, &d[i]);
	}
	pthread_barrier_init(&go, NULL, STRESS_THREADS + 1);
	for (int i = 0; i < STRESS_THREADS; i++) {
		w[i] = (struct stress){ .chains = d, .go = &go };
		cr_assert_eq(pthread_create(&th[i], NULL, stress_run, &w[i]), 0);
	}
	pthread_barrier_wait(&go);
	cr_assert_eq(X509_STORE_add_crl(fx.store, c), 1);   /* a new generation mid-run */
	X509_STORE_set_flags(fx.store, X509_V_FLAG_CRL_CHECK);
	for (int i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(w[i].bad, 0, "thread %d: %d wrong answers", i, w[i].bad);
	}
	pthread_barrier_destroy(&go);
	st = stats();
	cr_assert_eq(st.hits + st.misses, (uint64_t)STRESS_THREADS * STRESS_CALLS);
	cr_assert_geq(st.inserts, STRESS_CHAINS);
	cr_assert_leq(st.entries, STRESS_CHAINS);
	cr_assert_gt(st.hits, 0);
	X509_CRL_free(c);
}
