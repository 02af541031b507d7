/* Real certificates, keys, requests, tokens and approvals for the co-signer's check tests. */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cosign_fixture.h"
#include "identity.h"
#include "pitlane/token_openssl.h"

struct fx fx;

static const char default_limits[] =
    "# the co-signer's hard limits (test)\n"
    "operation ignition.enable max_ttl 300 max_exi 60 approval required\n"
    "velocity ignition.enable fleet 20/3600\n"
    "operation door.unlock max_ttl 600 max_exi 120 approval none\n"
    "velocity door.unlock technician 2/3600\n"
    "operation trunk.open max_ttl 600 max_exi 120 approval none\n"
    "velocity trunk.open workshop 2/3600\n"
    "operation window.open max_ttl 600 max_exi 120 approval none\n"
    "velocity window.open vin 2/3600\n"
    "operation horn.test max_ttl 600 max_exi 120 approval none\n"
    "velocity horn.test fleet 2/3600\n";

static const char approvers[] = "tech-bob ignition.enable key.learn\n";

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	cr_assert_not_null(k);
	return k;
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

/* A certificate for key, by ikey/issuer (self-signed CA when issuer is NULL). */
static X509 *cert(const char *cn, const char *ou, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                  long serial, long from, long to, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(FX_NOW + from));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(FX_NOW + to));
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
		if (eku != NULL)
			add_ext(x, issuer, NID_ext_key_usage, eku);
	}
	cr_assert(X509_sign(x, ikey, EVP_sha256()) > 0);
	return x;
}

static void write_pem_cert(const char *name, X509 *x, X509 *x2)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	PEM_write_X509(f, x);
	if (x2 != NULL)
		PEM_write_X509(f, x2);
	fclose(f);
}

static void write_text(const char *name, const char *text, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", fx.dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* The dealer CA's CRL, revoking serial. */
static void write_crl(X509 *ca, EVP_PKEY *cakey, long serial)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_new();
	char path[128];
	FILE *f;

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	ASN1_TIME_set(t, (time_t)(FX_NOW - 3600));
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, (time_t)(FX_NOW + 30 * 86400));
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_INTEGER_set(sn, serial);
	X509_REVOKED_set_serialNumber(rv, sn);
	ASN1_TIME_set(t, (time_t)(FX_NOW - 600));
	X509_REVOKED_set_revocationDate(rv, t);
	X509_CRL_add0_revoked(crl, rv);
	X509_CRL_sort(crl);
	cr_assert(X509_CRL_sign(crl, cakey, EVP_sha256()) > 0);
	snprintf(path, sizeof(path), "%s/crl.pem", fx.dir);
	cr_assert_not_null(f = fopen(path, "w"));
	PEM_write_X509_CRL(f, crl);
	fclose(f);
	snprintf(fx.conf.crl, sizeof(fx.conf.crl), "%s", path);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(sn);
	X509_CRL_free(crl);
}

static void set_id(enum fx_who w, X509 *x, EVP_PKEY *k)
{
	unsigned char *p = fx.id[w].der;
	int n = i2d_X509(x, NULL);

	cr_assert(n > 0 && (size_t)n <= sizeof(fx.id[w].der));
	i2d_X509(x, &p);
	fx.id[w].der_len = (size_t)n;
	fx.id[w].cert = x;
	fx.id[w].key = k;
}

static void broker_keys(void)
{
	uint8_t pub[PLT_P256_PUB_LEN];
	char path[128];
	FILE *f;

	fx.broker = p256();
	fx.rogue = p256();
	cr_assert_eq(plt_openssl_pub_from_pkey(fx.broker, pub), 0);
	cr_assert_eq(plt_openssl_kid(pub, fx.broker_kid), 0);
	cr_assert_eq(plt_openssl_pub_from_pkey(fx.rogue, pub), 0);
	cr_assert_eq(plt_openssl_kid(pub, fx.rogue_kid), 0);
	snprintf(path, sizeof(path), "%s/broker-signing.pub.pem", fx.dir);
	cr_assert_not_null(f = fopen(path, "w"));
	PEM_write_PUBKEY(f, fx.broker);
	fclose(f);
	snprintf(fx.conf.broker_token_key, sizeof(fx.conf.broker_token_key), "%s", path);
}

static void pki(void)
{
	const char *tech = TECHID_EKU_DEFAULT;
	EVP_PKEY *cak = p256(), *ok = p256(), *fk = p256();
	X509 *ca = cert("Dealer CA", "oem", cak, NULL, cak, 1, -86400, 86400 * 365, NULL);
	X509 *oca = cert("Officer CA", "oem-security", ok, NULL, ok, 2, -86400, 86400 * 365, NULL);
	X509 *fca = cert("Foreign CA", "elsewhere", fk, NULL, fk, 3, -86400, 86400 * 365, NULL);
	static const struct {
		const char *cn, *ou;
		int ca; /* 0 dealer, 1 officer, 2 foreign */
		long from, to;
		const char *eku;
	} who[FX_WHO_COUNT] = {
	    [FX_ANNA] = {"tech-anna", "ws-muc-01", 0, -600, 86400, NULL},
	    [FX_BOB] = {"tech-bob", "ws-muc-01", 0, -600, 86400, NULL},
	    [FX_CARL] = {"tech-carl", "ws-muc-01", 0, -600, 86400, NULL},
	    [FX_DORA] = {"tech-dora", "ws-ber-02", 0, -600, 86400, NULL},
	    [FX_REVOKED] = {"tech-revoked", "ws-muc-01", 0, -600, 86400, NULL},
	    [FX_EXPIRED] = {"tech-expired", "ws-muc-01", 0, -86400, -60, NULL},
	    [FX_FOREIGN] = {"tech-foreign", "ws-muc-01", 2, -600, 86400, NULL},
	    [FX_DEVICE] = {"ws-muc-01-pc1", "ws-muc-01", 0, -600, 86400, "clientAuth"},
	    [FX_OLGA] = {"officer-olga", "oem-security", 1, -600, 86400, "none"},
	};

	for (int w = 0; w < FX_WHO_COUNT; w++) {
		X509 *iss = who[w].ca == 0 ? ca : who[w].ca == 1 ? oca : fca;
		EVP_PKEY *ik = who[w].ca == 0 ? cak : who[w].ca == 1 ? ok : fk;
		const char *eku = who[w].eku == NULL                ? tech
		                  : strcmp(who[w].eku, "none") == 0 ? NULL
		                                                    : who[w].eku;
		EVP_PKEY *k = p256();

		set_id((enum fx_who)w,
		       cert(who[w].cn, who[w].ou, k, iss, ik, 100 + w, who[w].from, who[w].to, eku),
		       k);
	}
	write_pem_cert("dealer-ca.crt", ca, NULL);
	write_pem_cert("officer-ca.crt", oca, NULL);
	snprintf(fx.conf.dealer_ca, sizeof(fx.conf.dealer_ca), "%s/dealer-ca.crt", fx.dir);
	snprintf(fx.conf.officer_ca, sizeof(fx.conf.officer_ca), "%s/officer-ca.crt", fx.dir);
	write_crl(ca, cak, 100 + FX_REVOKED);
	X509_free(ca);
	X509_free(oca);
	X509_free(fca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(ok);
	EVP_PKEY_free(fk);
}

void fx_reopen(void)
{
	char err[512] = "";

	cosign_checker_free(fx.c);
	fx.c = NULL;
	cr_assert_eq(cosign_checker_open_err(&fx.conf, &fx.c, err, sizeof(err)), 0, "%s", err);
}

void fx_setup_limits(const char *limits)
{
	memset(&fx, 0, sizeof(fx));
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/pitlane-cosign-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.dir));
	cosign_conf_defaults(&fx.conf);
	snprintf(fx.conf.technician_eku, sizeof(fx.conf.technician_eku), "%s", TECHID_EKU_DEFAULT);
	fx.conf.request_window_s = 120;
	fx.conf.approval_max_age_s = 3600;
	pki();
	broker_keys();
	write_text("limits.conf", limits, fx.conf.limits, sizeof(fx.conf.limits));
	write_text("approvers.conf", approvers, fx.conf.approvers, sizeof(fx.conf.approvers));
	snprintf(fx.conf.audit_db, sizeof(fx.conf.audit_db), "%s/cosign.db", fx.dir);
	fx_reopen();
}

void fx_setup(void)
{
	fx_setup_limits(default_limits);
}

void fx_teardown(void)
{
	char cmd[160];

	cosign_checker_free(fx.c);
	for (int w = 0; w < FX_WHO_COUNT; w++) {
		X509_free(fx.id[w].cert);
		EVP_PKEY_free(fx.id[w].key);
	}
	EVP_PKEY_free(fx.broker);
	EVP_PKEY_free(fx.rogue);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	cr_assert_eq(system(cmd), 0);
}

/* ---- messages -------------------------------------------------------------- */

static void rnd(uint8_t *p, size_t n)
{
	cr_assert_eq(RAND_bytes(p, (int)n), 1);
}

/* protected {1: -7, 33: der} */
static size_t put_prot(const struct fx_id *id, uint8_t *out, size_t cap)
{
	struct plt_cbor_writer w;
	size_t n = 0;

	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, id->der, id->der_len);
	cr_assert_eq(plt_cbor_writer_finish(&w, &n), 0);
	return n;
}

/* A tagged COSE_Sign1 of payload by key (cert id in the protected header). */
static size_t sign1(const struct fx_id *id, EVP_PKEY *key, const uint8_t *payload, size_t plen,
                    int bad_sig, uint8_t *out, size_t cap)
{
	uint8_t prot[2200], tbs[8192], sig[PLT_SIG_LEN];
	struct plt_cbor_writer w;
	struct plt_iov iov;
	size_t pn = put_prot(id, prot, sizeof(prot)), tn = 0, n = 0;

	plt_cbor_writer_init(&w, tbs, sizeof(tbs));
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_tstr(&w, "Signature1", 10);
	plt_cbor_put_bstr(&w, prot, pn);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, payload, plen);
	cr_assert_eq(plt_cbor_writer_finish(&w, &tn), 0);
	iov.ptr = tbs;
	iov.len = tn;
	cr_assert_eq(plt_openssl_sign_es256(key, &iov, 1, sig), 0);
	if (bad_sig)
		sig[17] ^= 0x01;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, pn);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, plen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	cr_assert_eq(plt_cbor_writer_finish(&w, &n), 0);
	return n;
}

void fx_req_init(struct fx_req *q, const char *op)
{
	memset(q, 0, sizeof(*q));
	q->who = FX_ANNA;
	q->vin = FX_VIN;
	q->op = op;
	q->work_order = "WO-4711";
	rnd(q->cnonce, sizeof(q->cnonce));
	rnd(q->nonce, sizeof(q->nonce));
	q->iat = FX_NOW;
}

size_t fx_request(const struct fx_req *q, uint8_t *out, size_t cap)
{
	uint8_t payload[512];
	struct plt_cbor_writer w;
	size_t n = 0;

	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, q->ttl != 0 ? 8 : 7);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_cstr(&w, q->vin);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_cstr(&w, q->op);
	plt_cbor_put_uint(&w, 3);
	plt_cbor_put_bstr(&w, q->cnonce, sizeof(q->cnonce));
	plt_cbor_put_uint(&w, 4);
	plt_cbor_put_cstr(&w, q->work_order);
	plt_cbor_put_uint(&w, 5);
	plt_cbor_put_cstr(&w, "customer locked out");
	plt_cbor_put_uint(&w, 6);
	plt_cbor_put_bstr(&w, q->nonce, sizeof(q->nonce));
	plt_cbor_put_uint(&w, 7);
	plt_cbor_put_uint(&w, (uint64_t)q->iat);
	if (q->ttl != 0) {
		plt_cbor_put_uint(&w, 8);
		plt_cbor_put_uint(&w, q->ttl);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &n), 0);
	return sign1(&fx.id[q->who], q->sign_with ? q->sign_with : fx.id[q->who].key, payload, n,
	             q->bad_sig, out, cap);
}

void fx_tok_for(struct fx_tok *t, const struct fx_req *q, uint32_t ttl, uint32_t exi)
{
	static char cn[FX_WHO_COUNT][64], ou[FX_WHO_COUNT][64];
	X509_NAME *n = X509_get_subject_name(fx.id[q->who].cert);

	memset(t, 0, sizeof(*t));
	X509_NAME_get_text_by_NID(n, NID_commonName, cn[q->who], sizeof(cn[q->who]));
	X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, ou[q->who], sizeof(ou[q->who]));
	t->vin = q->vin;
	t->op = q->op;
	t->technician = cn[q->who];
	t->workshop = ou[q->who];
	t->work_order = q->work_order;
	memcpy(t->cnonce, q->cnonce, sizeof(t->cnonce));
	t->iat = FX_NOW + 1;
	t->exp = t->iat + ttl;
	t->exi = exi;
	t->key = fx.broker;
}

static struct plt_bytes text(const char *s)
{
	struct plt_bytes b = {(const uint8_t *)s, strlen(s)};

	return b;
}

size_t fx_token(const struct fx_tok *t, uint8_t *out, size_t cap)
{
	struct plt_claims c;
	uint8_t cti[16], kid[PLT_KID_LEN], pub[PLT_P256_PUB_LEN], sig[PLT_COSIGNATURE_LEN],
	    tmp[PLT_TOKEN_MAX];
	size_t n = 0, sn = 0;

	memset(&c, 0, sizeof(c));
	rnd(cti, sizeof(cti));
	c.present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	            PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_WORKSHOP |
	            PLT_HAS_TECHNICIAN | PLT_HAS_POLICY_VER |
	            (t->omit_work_order ? 0 : PLT_HAS_WORK_ORDER);
	c.iss = text("pitlane-test");
	c.aud = text(t->vin);
	c.exp = t->exp;
	c.iat = t->iat;
	c.cti.ptr = cti;
	c.cti.len = sizeof(cti);
	c.scope = text(t->op);
	c.cnonce.ptr = t->cnonce;
	c.cnonce.len = sizeof(t->cnonce);
	c.exi = t->exi;
	c.workshop = text(t->workshop);
	c.technician = text(t->technician);
	c.work_order = text(t->work_order);
	c.policy_version = 1;
	cr_assert_eq(plt_openssl_pub_from_pkey(t->key, pub), 0);
	cr_assert_eq(plt_openssl_kid(pub, kid), 0);
	if (t->sign1)
		cr_assert_eq(plt_encode(&c, kid, plt_openssl_sign_es256, t->key, out, cap, &n), 0);
	else
		cr_assert_eq(plt_encode_sign(&c, kid, plt_openssl_sign_es256, t->key, out, cap, &n),
		             0);
	if (t->two_sigs) {
		cr_assert_eq(plt_cosign(out, n, fx.rogue_kid, plt_openssl_sign_es256, fx.rogue, sig,
		                        sizeof(sig), &sn),
		             0);
		cr_assert_eq(plt_sign_append(out, n, sig, sn, tmp, sizeof(tmp), &n), 0);
		memcpy(out, tmp, n);
	}
	if (t->bad_sig)
		out[n - 3] ^= 0x01;
	return n;
}

void fx_appr_init(struct fx_appr *a, enum fx_who who, const uint8_t *req, size_t req_len)
{
	memset(a, 0, sizeof(*a));
	a->who = who;
	a->decision = "approve";
	a->iat = FX_NOW - 30;
	a->req = req;
	a->req_len = req_len;
}

size_t fx_approval(const struct fx_appr *a, uint8_t *out, size_t cap)
{
	uint8_t payload[256], nonce[16], hash[32];
	struct plt_cbor_writer w;
	unsigned hn = 0;
	size_t n = 0;
	int deny = strcmp(a->decision, "deny") == 0;

	rnd(nonce, sizeof(nonce));
	cr_assert_eq(EVP_Digest(a->req, a->req_len, hash, &hn, EVP_sha256(), NULL), 1);
	plt_cbor_writer_init(&w, payload, sizeof(payload));
	plt_cbor_put_map(&w, 4 + !a->no_hash + deny);
	plt_cbor_put_uint(&w, 16);
	plt_cbor_put_cstr(&w, "0123456789abcdef0123456789abcdef");
	plt_cbor_put_uint(&w, 17);
	plt_cbor_put_cstr(&w, a->decision);
	if (deny) { /* a deny needs a reason */
		plt_cbor_put_uint(&w, 18);
		plt_cbor_put_cstr(&w, "no work order for this");
	}
	plt_cbor_put_uint(&w, 19);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 20);
	plt_cbor_put_uint(&w, (uint64_t)a->iat);
	if (!a->no_hash) {
		plt_cbor_put_uint(&w, 21);
		plt_cbor_put_bstr(&w, hash, sizeof(hash));
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &n), 0);
	return sign1(&fx.id[a->who], fx.id[a->who].key, payload, n, a->bad_sig, out, cap);
}

size_t fx_body(const uint8_t *req, size_t rlen, const uint8_t *tok, size_t tlen,
               const uint8_t *appr, size_t alen, uint8_t *out, size_t cap)
{
	struct plt_cbor_writer w;
	size_t n = 0;

	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, appr != NULL ? 3 : 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_bstr(&w, req, rlen);
	plt_cbor_put_uint(&w, 2);
	plt_cbor_put_bstr(&w, tok, tlen);
	if (appr != NULL) {
		plt_cbor_put_uint(&w, 3);
		plt_cbor_put_bstr(&w, appr, alen);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &n), 0);
	return n;
}

size_t fx_valid_body(const char *op, enum fx_who who, const char *vin, int appr_by, uint8_t *out,
                     size_t cap)
{
	uint8_t req[4096], tok[PLT_TOKEN_MAX], appr[4096];
	struct fx_req q;
	struct fx_tok t;
	struct fx_appr a;
	size_t rn, tn, an = 0;

	fx_req_init(&q, op);
	q.who = who;
	q.vin = vin;
	rn = fx_request(&q, req, sizeof(req));
	fx_tok_for(&t, &q, 120, 30);
	tn = fx_token(&t, tok, sizeof(tok));
	if (appr_by >= 0) {
		fx_appr_init(&a, (enum fx_who)appr_by, req, rn);
		an = fx_approval(&a, appr, sizeof(appr));
	}
	return fx_body(req, rn, tok, tn, appr_by >= 0 ? appr : NULL, an, out, cap);
}

static sqlite3 *db(void)
{
	sqlite3 *d = NULL;

	cr_assert_eq(sqlite3_open_v2(fx.conf.audit_db, &d, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return d;
}

long fx_rows(const char *decision)
{
	sqlite3 *d = db();
	sqlite3_stmt *st = NULL;
	long n;

	cr_assert_eq(
	    sqlite3_prepare_v2(d,
	                       decision ? "SELECT count(*) FROM cosign_audit WHERE decision = ?1"
	                                : "SELECT count(*) FROM cosign_audit",
	                       -1, &st, NULL),
	    SQLITE_OK);
	if (decision)
		sqlite3_bind_text(st, 1, decision, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(d);
	return n;
}

void fx_last_row(char *decision, char *code, char *rule, size_t cap)
{
	sqlite3 *d = db();
	sqlite3_stmt *st = NULL;

	cr_assert_eq(
	    sqlite3_prepare_v2(d,
	                       "SELECT decision, code, rule FROM cosign_audit ORDER BY seq "
	                       "DESC LIMIT 1",
	                       -1, &st, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(decision, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(code, cap, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(rule, cap, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(d);
}
