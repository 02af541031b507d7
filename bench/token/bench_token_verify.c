/*
 * bench_token_verify: plt_verify (strict decode, trust store, Sig_structure as
 * parts, OpenSSL ES256 through the hook, claim checks) against raw OpenSSL
 * ECDSA P-256 verification (EVP_DigestVerify of the same Sig_structure with a
 * ready EVP_PKEY and DER signature), measured in the same run, interleaved in
 * rounds of 100; each rate comes from its fastest round, which filters out
 * the noise of other processes on a shared machine. Time is this thread's
 * CPU time (CLOCK_THREAD_CPUTIME_ID), so waiting for a core is not counted.
 * Prints both rates and their ratio (target >= 0.95), and the rate of the
 * hook without its key cache for comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

#define ROUNDS 40
#define PER_ROUND 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_token_verify: %s failed\n", what);
	exit(1);
}

/* Sig_structure bytes and the DER signature of a token, for the baseline. */
static void baseline_inputs(const struct plt_token *t, uint8_t *tbs, size_t *tbs_len, uint8_t *der,
                            size_t *der_len)
{
	struct plt_cbor_writer w;
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *p = der;
	int n;

	plt_cbor_writer_init(&w, tbs, 1024);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_cstr(&w, "Signature1");
	plt_cbor_put_bstr(&w, t->protected_hdr.ptr, t->protected_hdr.len);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, t->payload.ptr, t->payload.len);
	if (plt_cbor_writer_finish(&w, tbs_len) != 0)
		die("Sig_structure");
	if (es == NULL || ECDSA_SIG_set0(es, BN_bin2bn(t->signature.ptr, 32, NULL),
	                                 BN_bin2bn(t->signature.ptr + 32, 32, NULL)) != 1)
		die("ECDSA_SIG");
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		die("i2d_ECDSA_SIG");
	*der_len = (size_t)n;
	ECDSA_SIG_free(es);
}

static int baseline_once(EVP_PKEY *pkey, const uint8_t *tbs, size_t tbs_len, const uint8_t *der,
                         size_t der_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	         EVP_DigestVerify(md, der, der_len, tbs, tbs_len) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

int main(void)
{
	static const uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t cti[16] = {0};
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct plt_trust_anchor anchor = {.role = PLT_ROLE_BROKER}; /* the rest zero */
	struct plt_trust_store ts = {&anchor, 1};
	struct plt_openssl_keycache kc;
	struct plt_crypto crypto;
	struct plt_claims c;
	struct plt_expect x;
	struct plt_token t;
	uint8_t tok[PLT_TOKEN_MAX], tbs[1024], der[80];
	size_t len = 0, tbs_len = 0, der_len = 0;
	struct plt_crypto plain;
	double t_lib = 1e9, t_raw = 1e9, t_plain = 1e9, d;
	int round, i;

	if (key == NULL || plt_openssl_pub_from_pkey(key, anchor.pub) != 0 ||
	    plt_openssl_kid(anchor.pub, anchor.kid) != 0)
		die("key setup");
	memset(&c, 0, sizeof(c));
	c.present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	            PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_WORKSHOP |
	            PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER | PLT_HAS_POLICY_VER;
	c.iss = (struct plt_bytes){(const uint8_t *)"https://broker.dealer-0042.example", 34};
	c.aud = (struct plt_bytes){(const uint8_t *)"WVWZZZ1JZXW000001", 17};
	c.iat = 1767225600;
	c.exp = c.iat + 300;
	c.cti = (struct plt_bytes){cti, 16};
	c.scope = (struct plt_bytes){(const uint8_t *)"door.unlock", 11};
	c.cnonce = (struct plt_bytes){nonce, 16};
	c.exi = 120;
	c.workshop = (struct plt_bytes){(const uint8_t *)"DE-0042-MUNICH", 14};
	c.technician = (struct plt_bytes){(const uint8_t *)"tech-7f3a9c21", 13};
	c.work_order = (struct plt_bytes){(const uint8_t *)"WO-2026-000123", 14};
	c.policy_version = 17;
	if (plt_encode(&c, anchor.kid, plt_openssl_sign_es256, key, tok, sizeof(tok), &len) != 0)
		die("plt_encode");
	memset(&x, 0, sizeof(x));
	x.vin = "WVWZZZ1JZXW000001";
	x.op = "door.unlock";
	x.cnonce = nonce;
	x.cnonce_len = 16;
	x.age_s = 3;
	x.have_clock = 1;
	x.now = c.iat + 10;
	memset(&kc, 0, sizeof(kc));
	plt_openssl_crypto_cached(&crypto, &kc);
	plt_openssl_crypto(&plain);
	if (plt_verify(tok, len, &ts, &crypto, &x, &t) != 0)
		die("plt_verify");
	baseline_inputs(&t, tbs, &tbs_len, der, &der_len);
	if (!baseline_once(key, tbs, tbs_len, der, der_len))
		die("baseline verify");

	for (round = 0; round < ROUNDS; round++) {
		double t0 = now_s();

		for (i = 0; i < PER_ROUND; i++)
			if (plt_verify(tok, len, &ts, &crypto, &x, NULL) != 0)
				die("plt_verify in loop");
		d = now_s() - t0;
		t_lib = d < t_lib ? d : t_lib;
		t0 = now_s();
		for (i = 0; i < PER_ROUND; i++)
			if (!baseline_once(key, tbs, tbs_len, der, der_len))
				die("baseline in loop");
		d = now_s() - t0;
		t_raw = d < t_raw ? d : t_raw;
		t0 = now_s();
		for (i = 0; i < PER_ROUND; i++)
			if (plt_verify(tok, len, &ts, &plain, &x, NULL) != 0)
				die("plt_verify (uncached) in loop");
		d = now_s() - t0;
		t_plain = d < t_plain ? d : t_plain;
	}
	{
		double n = (double)PER_ROUND; /* best round of each */
		double r_lib = n / t_lib, r_raw = n / t_raw;

		printf("token size:             %zu bytes (all claims)\n", len);
		printf("raw OpenSSL verify:     %.0f verifies/s (baseline)\n", r_raw);
		printf("lib/token plt_verify:   %.0f verifies/s\n", r_lib);
		printf("ratio plt_verify/raw:   %.3f (target >= 0.95)\n", r_lib / r_raw);
		printf("without the key cache:  %.0f verifies/s, ratio %.3f (EVP_PKEY rebuilt per "
		       "call)\n",
		       n / t_plain, (n / t_plain) / r_raw);
	}
	plt_openssl_keycache_free(&kc);
	EVP_PKEY_free(key);
	return 0;
}
