/*
 * bench_token_multisig: ECU-side verification of one two-signature token
 * (COSE_Sign by the broker and a co-signer, plt_verify_signers with the rule
 * broker + cosigner) against two one-signature verifications (a COSE_Sign1 by
 * each key, plt_verify), measured in the same run, interleaved in rounds of
 * 100; each rate comes from its fastest round. Time is this thread's CPU time.
 * Both use the OpenSSL hook without its one-entry key cache (two keys would
 * make it thrash in one case and not the other). Prints both rates and the
 * ratio of times (target <= 1.05: a second signer costs a second ES256
 * verification and next to nothing else).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "pitlane/token.h"
#include "pitlane/token_openssl.h"

#define ROUNDS 30
#define PER_ROUND 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_token_multisig: %s failed\n", what);
	exit(1);
}

static void claims(struct plt_claims *c, const uint8_t *nonce, const uint8_t *cti)
{
	memset(c, 0, sizeof(*c));
	c->present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	             PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_WORKSHOP |
	             PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER | PLT_HAS_POLICY_VER;
	c->iss = (struct plt_bytes){(const uint8_t *)"https://broker.dealer-0042.example", 34};
	c->aud = (struct plt_bytes){(const uint8_t *)"WVWZZZ1JZXW000001", 17};
	c->iat = 1767225600;
	c->exp = c->iat + 300;
	c->cti = (struct plt_bytes){cti, 16};
	c->scope = (struct plt_bytes){(const uint8_t *)"ignition.enable", 15};
	c->cnonce = (struct plt_bytes){nonce, 32};
	c->exi = 120;
	c->workshop = (struct plt_bytes){(const uint8_t *)"DE-0042-MUNICH", 14};
	c->technician = (struct plt_bytes){(const uint8_t *)"tech-7f3a9c21", 13};
	c->work_order = (struct plt_bytes){(const uint8_t *)"WO-2026-000123", 14};
	c->policy_version = 17;
}

static void key_anchor(EVP_PKEY *key, uint8_t role, struct plt_trust_anchor *a)
{
	if (key == NULL || plt_openssl_pub_from_pkey(key, a->pub) != 0 ||
	    plt_openssl_kid(a->pub, a->kid) != 0)
		die("key setup");
	a->role = role;
}

int main(void)
{
	static const struct plt_threshold rows[] = {{"ignition.enable", {1, 1}}};
	static const struct plt_thresholds th = {rows, 1};
	static uint8_t nonce[32], cti[16];
	EVP_PKEY *bk = EVP_EC_gen("P-256"), *ck = EVP_EC_gen("P-256");
	struct plt_trust_anchor anchors[2];
	struct plt_trust_store both = {anchors, 2}, only_b = {&anchors[0], 1},
	                       only_c = {&anchors[1], 1};
	struct plt_crypto crypto;
	struct plt_claims c;
	struct plt_expect x;
	uint8_t two[PLT_TOKEN_MAX], one[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	uint8_t s1b[PLT_TOKEN_MAX], s1c[PLT_TOKEN_MAX];
	size_t two_len = 0, one_len = 0, sl = 0, lb = 0, lc = 0;
	double t_two = 1e9, t_pair = 1e9, d;
	int round, i;

	memset(nonce, 0xa5, sizeof(nonce));
	key_anchor(bk, PLT_ROLE_BROKER, &anchors[0]);
	key_anchor(ck, PLT_ROLE_COSIGNER, &anchors[1]);
	claims(&c, nonce, cti);
	if (plt_encode_sign(&c, anchors[0].kid, plt_openssl_sign_es256, bk, one, sizeof(one),
	                    &one_len) != 0 ||
	    plt_cosign(one, one_len, anchors[1].kid, plt_openssl_sign_es256, ck, sig, sizeof(sig),
	               &sl) != 0 ||
	    plt_sign_append(one, one_len, sig, sl, two, sizeof(two), &two_len) != 0)
		die("two-signature token");
	if (plt_encode(&c, anchors[0].kid, plt_openssl_sign_es256, bk, s1b, sizeof(s1b), &lb) !=
	        0 ||
	    plt_encode(&c, anchors[1].kid, plt_openssl_sign_es256, ck, s1c, sizeof(s1c), &lc) != 0)
		die("one-signature tokens");
	memset(&x, 0, sizeof(x));
	x.vin = "WVWZZZ1JZXW000001";
	x.op = "ignition.enable";
	x.cnonce = nonce;
	x.cnonce_len = sizeof(nonce);
	x.age_s = 3;
	x.have_clock = 1;
	x.now = c.iat + 10;
	plt_openssl_crypto(&crypto);
	if (plt_verify_signers(two, two_len, &both, &crypto, &x, &th, NULL) != 0 ||
	    plt_verify(s1b, lb, &only_b, &crypto, &x, NULL) != 0)
		die("verify");
	{
		struct plt_trust_anchor ca = anchors[1];
		struct plt_trust_store cs = {&ca, 1};

		/* the co-signer's Sign1 alone, as a broker token of its own store */
		ca.role = PLT_ROLE_BROKER;
		if (plt_verify(s1c, lc, &cs, &crypto, &x, NULL) != 0)
			die("verify co-signer Sign1");
		only_c = cs;
		for (round = 0; round < ROUNDS; round++) {
			double t0 = now_s();

			for (i = 0; i < PER_ROUND; i++)
				if (plt_verify_signers(two, two_len, &both, &crypto, &x, &th,
				                       NULL) != 0)
					die("two-signature verify in loop");
			d = now_s() - t0;
			t_two = d < t_two ? d : t_two;
			t0 = now_s();
			for (i = 0; i < PER_ROUND; i++)
				if (plt_verify(s1b, lb, &only_b, &crypto, &x, NULL) != 0 ||
				    plt_verify(s1c, lc, &only_c, &crypto, &x, NULL) != 0)
					die("one-signature verify in loop");
			d = now_s() - t0;
			t_pair = d < t_pair ? d : t_pair;
		}
	}
	{
		double n = (double)PER_ROUND;

		printf("token sizes:                 %zu bytes (two signatures), %zu and %zu "
		       "(COSE_Sign1)\n",
		       two_len, lb, lc);
		printf("two one-signature verifies:  %.0f pairs/s (baseline)\n", n / t_pair);
		printf("one two-signature verify:    %.0f tokens/s\n", n / t_two);
		printf("ratio time two-sig/2x one:   %.3f (target <= 1.05)\n", t_two / t_pair);
	}
	EVP_PKEY_free(bk);
	EVP_PKEY_free(ck);
	return 0;
}
