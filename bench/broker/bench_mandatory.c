/*
 * bench_mandatory: the work a broker cannot avoid for one issued token, each
 * step measured alone with the real components on the demo PKI of the run
 * (bench/broker/run-issue.sh passes its files), in CPU time per operation:
 *   technician  the check of a request from a technician whose chain is in the
 *               broker's verified-chain cache: the cache key (SHA-256 over the
 *               chain's DER), the store generation and the lookup (a mutex, a
 *               hash probe, the identity copied), then the COSE_Sign1 signature
 *               of the real request body (plt_cose_sign1_verify) with the key
 *               parsed once, as broker/server/identity.c does on a hit.
 *               Also shown, not summed: the uncached check (DER parse, marker
 *               EKU, X509_verify_cert with the CRL, identity, key; the
 *               signature with the key parsed per call).
 *   sign        the token encoded (plt_encode) and signed by the HSM key
 *               (SHA-256, C_Sign through lib/p11, p11-kit, SoftHSM2).
 *   selfverify  plt_verify of that token under the broker key (parsed once).
 *   audit       one row appended with audit_append into a SQLite file next
 *               to the run's database, T threads at once (group commit):
 *               process CPU of the whole run (all appenders and their
 *               commits and fsyncs) per row.
 * The broker-side code is re-done here with OpenSSL and the stable libraries
 * (lib/token, lib/p11, pitlane_audit), not linked from broker/server: it
 * mirrors identity.c's techid_verify (same store flags, purpose, checks).
 * CPU time: CLOCK_THREAD_CPUTIME_ID for the single-thread steps (SoftHSM2
 * signs in the calling thread), CLOCK_PROCESS_CPUTIME_ID for the audit step.
 * The steps alternate for R rounds; each figure is the median of its rounds.
 *
 * usage: bench_mandatory --ca CA.pem --crl CRL.pem --tech-cert TECH.pem
 *          --body REQUEST.cbor --pin-file PIN [--key-uri URI] [--dir DIR]
 *          [--eku OID] [-n OPS] [-r ROUNDS] [-t AUDIT_THREADS] [-a AUDIT_ROWS]
 * Without arguments (bench/run.sh) it only says so: run-issue.sh runs it with its files.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "p11.h"
#include "pitlane/token.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_parse.h"

#define ROUNDS_MAX 51
#define THREADS_MAX 64
#define EKU_DEFAULT "2.25.197166621731967863758900043443745532342" /* identity.h */
#define CACHE_SLOTS 1024                                           /* TECHID_CACHE_CAP */

static void die(const char *what)
{
	fprintf(stderr, "bench_mandatory: %s\n", what);
	exit(1);
}

static double cpu_s(clockid_t which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		if (f != NULL)
			fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* ---- technician check (mirrors broker/server/identity.c) ----------------------- */

struct ident {
	char cn[64], ou[64];
	uint8_t pub[PLT_P256_PUB_LEN];
};

struct tech {
	X509_STORE *store;
	ASN1_OBJECT *marker;
	uint8_t *der;
	size_t derlen;
	uint8_t *body;
	size_t bodylen;
	/* the verified-chain cache: one mutex, a hash table of keys */
	pthread_mutex_t lock;
	struct {
		uint8_t key[32];
		uint64_t gen;
		int64_t from, until;
		struct ident id;
		EVP_PKEY *pkey;
		int used;
	} slot[CACHE_SLOTS];
	unsigned pslot[CACHE_SLOTS]; /* by public point: index into slot, CACHE_SLOTS = empty */
};

static int one_entry(const X509_NAME *name, int nid, char *dst, size_t cap)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int len, ok = 0;

	if (idx < 0 || X509_NAME_get_index_by_NID(name, nid, idx) >= 0)
		return -1;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len > 0 && (size_t)len < cap) {
		ok = 1;
		for (int i = 0; i < len; i++)
			if (utf8[i] < 0x20 || utf8[i] == 0x7f)
				ok = 0;
		memcpy(dst, utf8, (size_t)len);
		dst[len] = '\0';
	}
	OPENSSL_free(utf8);
	return ok ? 0 : -1;
}

static int has_marker(const struct tech *t, X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = 0, found = 0;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL)) == NULL)
		return 0;
	for (int i = 0; !found && i < sk_ASN1_OBJECT_num(eku); i++)
		found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), t->marker) == 0;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static int p256_point(X509 *x, uint8_t pub[PLT_P256_PUB_LEN])
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen = 0, plen = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1 ||
	    strcmp(group, SN_X9_62_prime256v1) != 0 ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	                                    PLT_P256_PUB_LEN, &plen) != 1 ||
	    plen != PLT_P256_PUB_LEN)
		return -1;
	return 0;
}

/* The uncached chain check: what identity.c's verify_full does. */
static int chain_full(struct tech *t, int64_t now, struct ident *out)
{
	const unsigned char *p = t->der;
	X509 *leaf = d2i_X509(NULL, &p, (long)t->derlen);
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = leaf != NULL && p == t->der + t->derlen && chain != NULL && ctx != NULL &&
	         has_marker(t, leaf) && X509_STORE_CTX_init(ctx, t->store, leaf, chain) == 1;

	if (ok) {
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
		ok = X509_verify_cert(ctx) == 1;
		if (!ok)
			fprintf(stderr, "bench_mandatory: technician certificate: %s\n",
			        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	ok = ok && (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) ||
	            (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE));
	ok =
	    ok &&
	    one_entry(X509_get_subject_name(leaf), NID_commonName, out->cn, sizeof(out->cn)) == 0 &&
	    one_entry(X509_get_subject_name(leaf), NID_organizationalUnitName, out->ou,
	              sizeof(out->ou)) == 0 &&
	    p256_point(leaf, out->pub) == 0;
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return ok ? 0 : -1;
}

static int chain_key(const struct tech *t, uint8_t key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t len[4] = {(uint8_t)(t->derlen >> 24), (uint8_t)(t->derlen >> 16),
	                  (uint8_t)(t->derlen >> 8), (uint8_t)t->derlen};
	unsigned klen = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(md, len, 4) == 1 &&
	         EVP_DigestUpdate(md, t->der, t->derlen) == 1 &&
	         EVP_DigestFinal_ex(md, key, &klen) == 1 && klen == 32;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static uint64_t store_gen(X509_STORE *store)
{
	uint64_t objs, flags = X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store));

	X509_STORE_lock(store);
	objs = (uint64_t)sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
	X509_STORE_unlock(store);
	return objs << 32 ^ flags;
}

static unsigned slot_of(const uint8_t key[32])
{
	return ((unsigned)key[0] << 8 | key[1]) % CACHE_SLOTS;
}

/* The cached path of techid_verify: 0 on a hit. */
static int cache_get(struct tech *t, int64_t now, struct ident *out)
{
	uint8_t key[32];
	uint64_t gen;
	unsigned i;
	int r = -1;

	if (chain_key(t, key) != 0)
		return -1;
	gen = store_gen(t->store);
	pthread_mutex_lock(&t->lock);
	for (unsigned k = 0; k < CACHE_SLOTS; k++) {
		i = (slot_of(key) + k) % CACHE_SLOTS;
		if (!t->slot[i].used)
			break;
		if (memcmp(t->slot[i].key, key, 32) == 0) {
			if (t->slot[i].gen == gen && t->slot[i].from <= now &&
			    now < t->slot[i].until) {
				*out = t->slot[i].id;
				r = 0;
			}
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

static void cache_put(struct tech *t, const struct ident *id, int64_t now)
{
	uint8_t key[32];
	unsigned i;
	void *pk = NULL;

	if (chain_key(t, key) != 0 || plt_openssl_pkey_from_pub(id->pub, &pk) != 0)
		die("cannot fill the chain cache");
	i = slot_of(key);
	memcpy(t->slot[i].key, key, 32);
	t->slot[i].gen = store_gen(t->store);
	t->slot[i].from = now - 3600;
	t->slot[i].until = now + 86400;
	t->slot[i].id = *id;
	t->slot[i].pkey = pk;
	t->slot[i].used = 1;
	t->pslot[((unsigned)id->pub[1] << 8 | id->pub[2]) % CACHE_SLOTS] = i;
}

/* The entry the k-th probe for pub finds (CACHE_SLOTS: none); by-point index pslot. */
static unsigned pub_slot(const struct tech *t, const uint8_t pub[PLT_P256_PUB_LEN], unsigned k)
{
	unsigned h = (((unsigned)pub[1] << 8 | pub[2]) + k) % CACHE_SLOTS;

	return t->pslot[h];
}

/* The ES256 hook of a cache hit: a new reference to the key parsed once. */
static int cached_verify(void *ctx, const uint8_t pub[PLT_P256_PUB_LEN],
                         const struct plt_iov *parts, size_t nparts, const uint8_t sig[PLT_SIG_LEN])
{
	struct tech *t = ctx;
	struct plt_openssl_keycache kc = {.pkey = NULL};
	int r;

	pthread_mutex_lock(&t->lock);
	/* a hash probe by public point, as techcache_pkey() does */
	for (unsigned k = 0, i; k < CACHE_SLOTS && kc.pkey == NULL; k++) {
		i = pub_slot(t, pub, k);
		if (i == CACHE_SLOTS)
			break;
		if (memcmp(t->slot[i].id.pub, pub, PLT_P256_PUB_LEN) == 0 &&
		    EVP_PKEY_up_ref(t->slot[i].pkey) == 1)
			kc.pkey = t->slot[i].pkey;
	}
	pthread_mutex_unlock(&t->lock);
	if (kc.pkey == NULL)
		return plt_openssl_verify_es256(NULL, pub, parts, nparts, sig);
	memcpy(kc.pub, pub, sizeof(kc.pub));
	r = plt_openssl_verify_es256(&kc, pub, parts, nparts, sig);
	plt_openssl_keycache_free(&kc);
	return r;
}

static void tech_init(struct tech *t, const char *ca, const char *crl, const char *cert,
                      const char *body, const char *eku)
{
	X509_LOOKUP *lu;
	X509 *x = NULL;
	FILE *f;
	unsigned char *p = NULL;
	int n;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		t->pslot[i] = CACHE_SLOTS;
	if ((t->store = X509_STORE_new()) == NULL || X509_STORE_load_file(t->store, ca) != 1)
		die("cannot load the dealer CA");
	if ((lu = X509_STORE_add_lookup(t->store, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lu, crl, X509_FILETYPE_PEM) <= 0)
		die("cannot load the CRL");
	X509_STORE_set_flags(t->store, X509_V_FLAG_CRL_CHECK); /* as broker/server/tls.c */
	if ((t->marker = OBJ_txt2obj(eku, 1)) == NULL)
		die("bad technician EKU OID");
	if ((f = fopen(cert, "re")) == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		die("cannot read the technician certificate");
	fclose(f);
	if ((n = i2d_X509(x, &p)) <= 0)
		die("i2d_X509");
	X509_free(x);
	t->der = p;
	t->derlen = (size_t)n;
	if ((t->body = read_all(body, &t->bodylen)) == NULL)
		die("cannot read the request body");
}

static void tech_free(struct tech *t)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		EVP_PKEY_free(t->slot[i].pkey);
	X509_STORE_free(t->store);
	ASN1_OBJECT_free(t->marker);
	OPENSSL_free(t->der);
	free(t->body);
	pthread_mutex_destroy(&t->lock);
}

/* ---- HSM sign and self-verification -------------------------------------------------- */

struct issuer {
	struct p11 *p11;
	uint8_t pub[PLT_P256_PUB_LEN], kid[PLT_KID_LEN];
	struct plt_openssl_keycache kc;
	struct plt_crypto self;
	uint8_t tok[PLT_TOKEN_MAX];
	size_t toklen;
	uint8_t cnonce[16];
};

static int sign_parts(void *ctx, const struct plt_iov *parts, size_t n, uint8_t sig[PLT_SIG_LEN])
{
	struct issuer *s = ctx;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t digest[32];
	unsigned dlen = 0;
	unsigned long ckr = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(md, parts[i].ptr, parts[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return PL_E_CRYPTO;
	return p11_sign_digest(s->p11, digest, sig, &ckr);
}

static void text(struct plt_bytes *b, const char *s)
{
	b->ptr = (const uint8_t *)s;
	b->len = strlen(s);
}

/* One token as the signer builds it (claims of a door.unlock for tech-anna). */
static int issue(struct issuer *s, int64_t now)
{
	struct plt_claims c;
	uint8_t cti[PLT_CTI_LEN];

	if (RAND_bytes(cti, sizeof(cti)) != 1)
		return -1;
	memset(&c, 0, sizeof(c));
	c.present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	            PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_POLICY_VER |
	            PLT_HAS_WORKSHOP | PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER;
	text(&c.iss, "pitlane-broker");
	text(&c.aud, "WVWZZZ1JZXW000001");
	c.iat = now;
	c.exp = now + 300;
	c.cti.ptr = cti;
	c.cti.len = sizeof(cti);
	text(&c.scope, "door.unlock");
	c.cnonce.ptr = s->cnonce;
	c.cnonce.len = sizeof(s->cnonce);
	c.exi = 60;
	c.policy_version = 1;
	text(&c.workshop, "ws-muc-01");
	text(&c.technician, "tech-anna");
	text(&c.work_order, "WO-4711");
	return plt_encode(&c, s->kid, sign_parts, s, s->tok, sizeof(s->tok), &s->toklen);
}

static int self_verify(struct issuer *s)
{
	struct plt_trust_anchor anchor = {.role = PLT_ROLE_BROKER}; /* the rest zero */
	struct plt_trust_store trust = {&anchor, 1};
	struct plt_expect ex = {
	    .vin = "WVWZZZ1JZXW000001",
	    .op = "door.unlock",
	    .cnonce = s->cnonce,
	    .cnonce_len = sizeof(s->cnonce),
	    .age_s = -1,
	    .have_clock = 0,
	    .now = 0,
	};

	memcpy(anchor.kid, s->kid, sizeof(anchor.kid));
	memcpy(anchor.pub, s->pub, sizeof(anchor.pub));
	return plt_verify(s->tok, s->toklen, &trust, &s->self, &ex, NULL);
}

static void issuer_open(struct issuer *s, const char *uri, const char *pin_file)
{
	struct p11_uri *u = NULL;
	char pin[256], err[256] = "";
	unsigned long ckr = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if ((f = fopen(pin_file, "re")) == NULL || fgets(pin, sizeof(pin), f) == NULL)
		die("cannot read the HSM PIN");
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';
	if (p11_uri_parse(uri, &u, err, sizeof(err)) != 0 ||
	    p11_open(u, pin, strlen(pin), 1, &s->p11, &ckr, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_mandatory: %s: %s\n", uri, err);
		die("cannot open the HSM key");
	}
	p11_uri_free(u);
	memcpy(s->pub, p11_public_point(s->p11), sizeof(s->pub));
	if (plt_openssl_kid(s->pub, s->kid) != 0)
		die("plt_openssl_kid");
	plt_openssl_crypto_cached(&s->self, &s->kc);
	memset(s->cnonce, 0x5a, sizeof(s->cnonce));
}

/* ---- audit ------------------------------------------------------------------------ */

struct appender {
	struct audit *a;
	unsigned rows, base;
	int err;
	pthread_t th;
};

static void *append_rows(void *arg)
{
	struct appender *w = arg;
	struct audit_record r;

	for (unsigned i = 0; i < w->rows && w->err == 0; i++) {
		unsigned k = w->base + i;

		memset(&r, 0, sizeof(r));
		snprintf(r.request_id, sizeof(r.request_id), "bench-%u", k);
		snprintf(r.client_identity, sizeof(r.client_identity), "ws-muc-01-pc1");
		snprintf(r.technician, sizeof(r.technician), "tech-anna");
		snprintf(r.workshop, sizeof(r.workshop), "ws-muc-01");
		snprintf(r.vin, sizeof(r.vin), "WVWZZZ1JZXW000001");
		snprintf(r.op, sizeof(r.op), "door.unlock");
		snprintf(r.decision, sizeof(r.decision), "allow");
		snprintf(r.rule, sizeof(r.rule), "ws-muc-01.door");
		snprintf(r.reason, sizeof(r.reason), "allowed by rule ws-muc-01.door");
		snprintf(r.client_addr, sizeof(r.client_addr), "127.0.0.1");
		snprintf(r.work_order, sizeof(r.work_order), "WO-4711");
		snprintf(r.request_reason, sizeof(r.request_reason), "customer lost key");
		RAND_bytes(r.token_id, sizeof(r.token_id));
		r.has_token_id = 1;
		RAND_bytes(r.nonce, sizeof(r.nonce));
		r.has_nonce = 1;
		w->err = audit_append(w->a, &r, NULL);
	}
	return NULL;
}

/* Process CPU seconds per row for rows appended by nthreads threads; rows per commit. */
static double audit_round(struct audit *a, unsigned nthreads, unsigned rows, unsigned base,
                          double *per_commit)
{
	struct appender w[THREADS_MAX];
	struct audit_stats s0, s1;
	double c0, c1;

	audit_get_stats(a, &s0);
	c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i] = (struct appender){
		    .a = a, .rows = rows / nthreads, .base = base + i * (rows / nthreads)};
		if (pthread_create(&w[i].th, NULL, append_rows, &w[i]) != 0)
			die("pthread_create");
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	c1 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	audit_get_stats(a, &s1);
	for (unsigned i = 0; i < nthreads; i++)
		if (w[i].err != 0) {
			fprintf(stderr, "bench_mandatory: audit_append: %s\n",
			        pl_strerror(w[i].err));
			exit(1);
		}
	*per_commit = (double)(s1.rows - s0.rows) /
	              (double)(s1.commits > s0.commits ? s1.commits - s0.commits : 1);
	return (c1 - c0) / (double)(s1.rows - s0.rows);
}

/* ---- main ------------------------------------------------------------------------- */

static const char usage_text[] =
    "usage: bench_mandatory --ca CA.pem --crl CRL.pem --tech-cert TECH.pem "
    "--body REQUEST.cbor\n"
    "         --pin-file PIN [--key-uri URI] [--dir DIR] [--eku OID]\n"
    "         [-n OPS 1..100000] [-r ROUNDS 1..51] [-t AUDIT_THREADS 1..64] "
    "[-a AUDIT_ROWS 64..1000000]\n";

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"ca", 1, 0, 'C'},   {"crl", 1, 0, 'L'},      {"tech-cert", 1, 0, 'T'},
	    {"body", 1, 0, 'B'}, {"pin-file", 1, 0, 'P'}, {"key-uri", 1, 0, 'K'},
	    {"dir", 1, 0, 'D'},  {"eku", 1, 0, 'E'},      {0, 0, 0, 0},
	};
	const char *ca = NULL, *crl = NULL, *cert = NULL, *body = NULL, *pin = NULL;
	const char *uri = "pkcs11:token=pitlane-broker;object=broker-signing;type=private";
	const char *dir = NULL, *eku = EKU_DEFAULT;
	uint32_t n = 200, rounds = 5, threads = 8, arows = 400;
	double hit[ROUNDS_MAX], full[ROUNDS_MAX], sig_plain[ROUNDS_MAX], sign[ROUNDS_MAX];
	double raw[ROUNDS_MAX], self[ROUNDS_MAX], aud[ROUNDS_MAX], apc[ROUNDS_MAX];
	double m_hit, m_full, m_sigp, m_sign, m_raw, m_self, m_aud, m_apc, sum;
	static struct tech t;
	struct issuer s;
	struct ident id;
	struct plt_crypto hook, plain;
	struct audit *a = NULL;
	char dbpath[1024], tmpl[1024] = "", label[128];
	int64_t now = (int64_t)time(NULL);
	int c;

	if (argc == 1) {
		/* bench/run.sh runs every bench_* bare; run-issue.sh (run next) passes the PKI */
		printf("bench_mandatory: needs the files of a demo PKI; run-issue.sh runs it\n");
		return 0;
	}
	while ((c = getopt_long(argc, argv, "n:r:t:a:", lo, NULL)) != -1) {
		switch (c) {
		case 'C':
			ca = optarg;
			continue;
		case 'L':
			crl = optarg;
			continue;
		case 'T':
			cert = optarg;
			continue;
		case 'B':
			body = optarg;
			continue;
		case 'P':
			pin = optarg;
			continue;
		case 'K':
			uri = optarg;
			continue;
		case 'D':
			dir = optarg;
			continue;
		case 'E':
			eku = optarg;
			continue;
		case 'n':
			if (pl_parse_u32(optarg, 1, 100000, &n) == 0)
				continue;
			break;
		case 'r':
			if (pl_parse_u32(optarg, 1, ROUNDS_MAX, &rounds) == 0)
				continue;
			break;
		case 't':
			if (pl_parse_u32(optarg, 1, THREADS_MAX, &threads) == 0)
				continue;
			break;
		case 'a':
			if (pl_parse_u32(optarg, 64, 1000000, &arows) == 0)
				continue;
			break;
		default:
			break;
		}
		fputs(usage_text, stderr);
		return 2;
	}
	if (ca == NULL || crl == NULL || cert == NULL || body == NULL || pin == NULL) {
		fputs(usage_text, stderr);
		return 2;
	}
	arows -= arows % threads;

	tech_init(&t, ca, crl, cert, body, eku);
	if (chain_full(&t, now, &id) != 0)
		die("the technician chain does not verify");
	cache_put(&t, &id, now);
	if (pub_slot(&t, id.pub, 0) == CACHE_SLOTS)
		die("the technician's key is not in the cache");
	hook.verify_es256 = cached_verify;
	hook.ctx = &t;
	plt_openssl_crypto(&plain);
	if (plt_cose_sign1_verify(t.body, t.bodylen, NULL, 0, id.pub, &hook) != 0)
		die("the request body does not verify under the technician's key");
	issuer_open(&s, uri, pin);
	if (issue(&s, now) != 0 || self_verify(&s) != 0)
		die("cannot issue and verify a token");

	snprintf(tmpl, sizeof(tmpl), "%s/bench-mandatory-XXXXXX",
	         dir != NULL ? dir : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"));
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	snprintf(dbpath, sizeof(dbpath), "%s/audit.db", tmpl);
	if ((c = audit_open(dbpath, &a)) != 0) {
		fprintf(stderr, "bench_mandatory: audit_open: %s\n", pl_strerror(c));
		return 1;
	}

	for (uint32_t r = 0; r < rounds; r++) {
		struct ident got;
		uint8_t digest[32] = {(uint8_t)r}, sig[64];
		unsigned long ckr;
		double t0;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++)
			if (cache_get(&t, now, &got) != 0 ||
			    plt_cose_sign1_verify(t.body, t.bodylen, NULL, 0, got.pub, &hook) != 0)
				die("technician check (cache hit) failed");
		hit[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++)
			if (chain_full(&t, now, &got) != 0)
				die("technician chain check failed");
		full[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++)
			if (plt_cose_sign1_verify(t.body, t.bodylen, NULL, 0, id.pub, &plain) != 0)
				die("request signature check failed");
		sig_plain[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++)
			if (issue(&s, now) != 0)
				die("token signing failed");
		sign[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++) {
			digest[1] = (uint8_t)i;
			if (p11_sign_digest(s.p11, digest, sig, &ckr) != 0)
				die("C_Sign failed");
		}
		raw[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
		for (uint32_t i = 0; i < n; i++)
			if (self_verify(&s) != 0)
				die("self-verification failed");
		self[r] = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0) / n;

		aud[r] = audit_round(a, threads, arows, r * arows, &apc[r]);
	}
	m_hit = median(hit, rounds) * 1e6;
	m_full = median(full, rounds) * 1e6;
	m_sigp = median(sig_plain, rounds) * 1e6;
	m_sign = median(sign, rounds) * 1e6;
	m_raw = median(raw, rounds) * 1e6;
	m_self = median(self, rounds) * 1e6;
	m_aud = median(aud, rounds) * 1e6;
	m_apc = median(apc, rounds);
	sum = m_hit + m_sign + m_self + m_aud;

	printf("mandatory  %-66s %7.1f us\n",
	       "technician check, cached chain (key, lookup, COSE_Sign1 verify)", m_hit);
	printf("mandatory  %-66s %7.1f us  (C_Sign alone %.1f us)\n",
	       "HSM sign (plt_encode, SHA-256, C_Sign via p11-kit and SoftHSM2)", m_sign, m_raw);
	printf("mandatory  %-66s %7.1f us\n", "self-verification (plt_verify, key parsed once)",
	       m_self);
	snprintf(label, sizeof(label),
	         "audit row + share of its group commit (%u threads, "
	         "%.1f rows/commit)",
	         threads, m_apc);
	printf("mandatory  %-66s %7.1f us\n", label, m_aud);
	printf("not summed: technician check uncached: chain with CRL %.1f us + signature with "
	       "the key parsed per call %.1f us = %.1f us\n",
	       m_full, m_sigp, m_full + m_sigp);
	printf("mandatory work per token = %.1f us (CPU; medians of %u rounds of %u operations "
	       "and %u audit rows)\n",
	       sum, rounds, n, arows);

	audit_close(a);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/audit.db-wal", tmpl);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/audit.db-shm", tmpl);
	unlink(dbpath);
	rmdir(tmpl);
	plt_openssl_keycache_free(&s.kc);
	p11_close(s.p11);
	tech_free(&t);
	return 0;
}
