/* Certificate identities and technician certificates: REQ-BRK-160..REQ-BRK-164. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "identity.h"
#include "pl_err_server.h"

#define NOW 1800000000

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
		add_ext(x, issuer, NID_ext_key_usage, "clientAuth");
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
