/*
 * Officers' signed decisions (broker/api/officer.c, decision.c): the binding
 * of a decision to one approval and one request (key 21), and an officer's
 * decision verified in full -- chain to the officer CA, validity, no CA as
 * leaf, the signature. Certificates and keys are made here with OpenSSL; the
 * decision bytes are built as pitlanectl builds them (REQ-APR-004, 005).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "decision.h"
#include "officer.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_server.h"

#define ID "0123456789abcdef0123456789abcdef"
#define OTHER_ID "fedcba9876543210fedcba9876543210"

static EVP_PKEY *newkey(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

/* A certificate for key, issued by (ica, ikey) or self-signed; valid [nb, na] seconds from now. */
static X509 *mkcert(EVP_PKEY *key, const char *cn, int ca, X509 *ica, EVP_PKEY *ikey, long nb,
		    long na)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;
	static long serial = 100;

	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"oem-security",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, ica != NULL ? X509_get_subject_name(ica) : n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, ica != NULL ? ica : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
				ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	cr_assert_gt(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()), 0);
	X509_NAME_free(n);
	return x;
}

/* The decision as pitlanectl writes it: {16, 17, ?18, 19, 20, ?21}, signed by key. */
static size_t decision(EVP_PKEY *key, X509 *cert, const char *id, const char *word,
		       const uint8_t *hash, uint8_t *out, size_t cap)
{
	uint8_t prot[2048], payload[256], tbs[2600], nonce[16] = { 7 }, *der = NULL, sig[64];
	struct plt_cbor_writer w;
	struct plt_iov part;
	size_t plen = 0, ylen = 0, tlen = 0, len = 0;
	int dlen = i2d_X509(cert, &der);

	cr_assert_gt(dlen, 0);
	plt_cbor_writer_init(&w, prot, sizeof(prot));
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, der, (size_t)dlen);
	cr_assert_eq(plt_cbor_writer_finish(&w, &plen), 0);
	OPENSSL_free(der);
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, hash != NULL ? 5 : 4);
	plt_cbor_put_uint(&w, 16);
	plt_cbor_put_cstr(&w, id);
	plt_cbor_put_uint(&w, 17);
	plt_cbor_put_cstr(&w, word);
	plt_cbor_put_uint(&w, 19);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 20);
	plt_cbor_put_uint(&w, (uint64_t)time(NULL));
	if (hash != NULL) {
		plt_cbor_put_uint(&w, 21);
		plt_cbor_put_bstr(&w, hash, 32);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &ylen), 0);
	/* Sig_structure ["Signature1", protected, h'', payload] (RFC 9052 section 4.4) */
	plt_cbor_writer_init(&w, tbs, sizeof(tbs));
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_cstr(&w, "Signature1");
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	cr_assert_eq(plt_cbor_writer_finish(&w, &tlen), 0);
	part = (struct plt_iov){ tbs, tlen };
	cr_assert_eq(plt_openssl_sign_es256(key, &part, 1, sig), 0);
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

static EVP_PKEY *cakey, *otherkey, *offkey;
static X509 *ca, *other, *officer, *expired, *foreign;
static X509_STORE *store;
static uint8_t hash[32], wrong[32];

static void setup(void)
{
	cakey = newkey();
	otherkey = newkey();
	offkey = newkey();
	ca = mkcert(cakey, "Officer CA", 1, NULL, NULL, -60, 86400);
	other = mkcert(otherkey, "Other CA", 1, NULL, NULL, -60, 86400);
	officer = mkcert(offkey, "officer-anna", 0, ca, cakey, -60, 86400);
	expired = mkcert(offkey, "officer-old", 0, ca, cakey, -86400, -3600);
	foreign = mkcert(offkey, "officer-foreign", 0, other, otherkey, -60, 86400);
	store = X509_STORE_new();
	cr_assert_eq(X509_STORE_add_cert(store, ca), 1);
	memset(hash, 0xA5, sizeof(hash));
	memset(wrong, 0x5A, sizeof(wrong));
}

static void teardown(void)
{
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(other);
	X509_free(officer);
	X509_free(expired);
	X509_free(foreign);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(otherkey);
	EVP_PKEY_free(offkey);
}

static int verify(const uint8_t *b, size_t len, X509_STORE *st, struct officer_identity *who,
		  char *why, size_t whylen)
{
	struct decision_binding bind = { .approval_id = ID, .request_hash = hash };
	struct approval_decision d;

	return officer_decision_verify(st, b, len, &bind, (int64_t)time(NULL), &d, who, why,
				       whylen);
}

TestSuite(officer, .init = setup, .fini = teardown);

Test(officer, REQ_APR_004_an_officers_decision_verifies)
{
	uint8_t b[4096];
	size_t len = decision(offkey, officer, ID, "approve", hash, b, sizeof(b));
	struct officer_identity who;
	char why[300] = "";

	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(who.id.cn, "officer-anna");
	cr_assert_str_eq(who.id.ou, "oem-security");
	len = decision(offkey, officer, ID, "deny", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_REQ_FIELD,
		     "a deny needs a reason: %s", why);
}

Test(officer, REQ_APR_004_binding_id_show_and_key_21)
{
	uint8_t b[4096];
	struct officer_identity who;
	struct decision_binding bind = { .approval_id = ID, .request_hash = NULL };
	struct approval_decision d;
	char why[300] = "";
	size_t len;

	len = decision(offkey, officer, OTHER_ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_APPROVAL_INVALID);
	cr_assert_not_null(strstr(why, "is on approval " OTHER_ID), "%s", why);
	len = decision(offkey, officer, ID, "show", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_APPROVAL_INVALID);
	len = decision(offkey, officer, ID, "approve", NULL, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_REQUEST_HASH);
	cr_assert_not_null(strstr(why, "lacks key 21"), "%s", why);
	len = decision(offkey, officer, ID, "approve", wrong, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_REQUEST_HASH);
	cr_assert_not_null(strstr(why, "another request"), "%s", why);
	/* an approval without a stored request cannot be decided at all */
	len = decision(offkey, officer, ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(decision_check_binding(b, len, &bind, &d, why, sizeof(why)),
		     PL_E_SRV_REQUEST_HASH);
}

Test(officer, REQ_APR_005_certificate_and_signature)
{
	uint8_t b[4096];
	struct officer_identity who;
	char why[300] = "";
	size_t len;

	len = decision(offkey, expired, ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_OFFICER_CERT);
	cr_assert_not_null(strstr(why, "certificate has expired"), "%s", why);
	len = decision(offkey, foreign, ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_OFFICER_CERT);
	cr_assert_not_null(strstr(why, "CN=officer-foreign"), "%s", why);
	/* the CA itself is no officer */
	len = decision(cakey, ca, ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_OFFICER_CERT);
	cr_assert_not_null(strstr(why, "CA certificate"), "%s", why);
	/* officer-anna's certificate, another key's signature */
	len = decision(otherkey, officer, ID, "approve", hash, b, sizeof(b));
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_DECISION_SIG);
	/* one bit of a good signature */
	len = decision(offkey, officer, ID, "approve", hash, b, sizeof(b));
	b[len - 1] ^= 1;
	cr_assert_eq(verify(b, len, store, &who, why, sizeof(why)), PL_E_SRV_DECISION_SIG);
	/* no officer CA configured */
	b[len - 1] ^= 1;
	cr_assert_eq(verify(b, len, NULL, &who, why, sizeof(why)), PL_E_SRV_NO_OFFICER_CA);
}
