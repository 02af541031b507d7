/*
 * COSE_Sign tokens with several signers (docs/token.md section 9): the
 * encoder, co-signing and appending, the strict profile, signer roles and
 * thresholds, and the independent Python vectors (tests/vectors/multisig).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "tok_fixture.h"
#include "token_int.h" /* plt__sign_parts: the Sig_structure builder */

#define OP_IGN "ignition.enable"

/* Thresholds of the vectors: ignition.enable and key.learn need broker +
 * co-signer, any other operation the broker. */
static const struct plt_threshold rows[] = {
    {OP_IGN, {1, 1}},
    {"key.learn", {1, 1}},
    {NULL, {1, 0}},
};
static const struct plt_thresholds th = {rows, 3};

/* Two keys: the broker's (f.key, role broker) and a co-signer's. */
struct two {
	struct fixture f;
	EVP_PKEY *co;
	struct plt_trust_anchor anchors[2];
	struct plt_trust_store trust;
};

static void two_init(struct two *t)
{
	uint8_t pub[PLT_P256_PUB_LEN];

	fix_init(&t->f);
	t->co = EVP_EC_gen("P-256");
	cr_assert_not_null(t->co);
	t->anchors[0] = t->f.anchor;
	t->anchors[0].role = PLT_ROLE_BROKER;
	cr_assert_eq(plt_openssl_pub_from_pkey(t->co, pub), 0);
	memcpy(t->anchors[1].pub, pub, sizeof(pub));
	cr_assert_eq(plt_openssl_kid(pub, t->anchors[1].kid), 0);
	t->anchors[1].role = PLT_ROLE_COSIGNER;
	t->trust.anchors = t->anchors;
	t->trust.count = 2;
}

static void two_fini(struct two *t)
{
	EVP_PKEY_free(t->co);
	fix_fini(&t->f);
}

/* Broker's COSE_Sign for op; returns its length. */
static size_t broker_sign(const struct two *t, const char *op, uint8_t *out, size_t cap)
{
	struct plt_claims c;
	size_t len = 0;

	fix_claims(&t->f, &c, FIX_VIN, op, t->f.cnonce, sizeof(t->f.cnonce));
	cr_assert_eq(
	    plt_encode_sign(&c, t->f.anchor.kid, plt_openssl_sign_es256, t->f.key, out, cap, &len),
	    0);
	return len;
}

/* The broker's token with the co-signer's signature appended. */
static size_t cosigned(const struct two *t, const char *op, uint8_t *out, size_t cap)
{
	uint8_t one[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	size_t n = broker_sign(t, op, one, sizeof(one)), sl = 0, len = 0;

	cr_assert_eq(plt_cosign(one, n, t->anchors[1].kid, plt_openssl_sign_es256, t->co, sig,
	                        sizeof(sig), &sl),
	             0);
	cr_assert_eq(sl, PLT_COSIGNATURE_LEN);
	cr_assert_eq(plt_sign_append(one, n, sig, sl, out, cap, &len), 0);
	return len;
}

static struct plt_expect expect_op(const struct two *t, const char *op)
{
	struct plt_expect x = fix_expect(&t->f);

	x.op = op;
	return x;
}

static int verify_th(const struct two *t, const uint8_t *tok, size_t len, const char *op)
{
	struct plt_expect x = expect_op(t, op);

	return plt_verify_signers(tok, len, &t->trust, &t->f.crypto, &x, &th, NULL);
}

Test(token_multisig, REQ_TOK_200_encode_sign_writes_the_documented_layout)
{
	static const uint8_t head[] = {0xd8, 0x62, 0x84, 0x40, 0xa0};
	static const uint8_t sig_head[] = {0x81, 0x83, 0x4d, 0xa2, 0x01, 0x26, 0x04, 0x48};
	uint8_t tok[PLT_TOKEN_MAX], one[PLT_TOKEN_MAX];
	struct plt_token t, t1;
	struct two k;
	size_t len, n1;

	two_init(&k);
	len = broker_sign(&k, FIX_OP, tok, sizeof(tok));
	n1 = fix_issue(&k.f, FIX_VIN, FIX_OP, k.f.cnonce, sizeof(k.f.cnonce), one, sizeof(one));
	cr_assert_eq(memcmp(tok, head, sizeof(head)), 0);
	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	cr_assert_eq(plt_decode(one, n1, &t1, NULL), 0);
	/* the same claims, byte for byte, as the COSE_Sign1 */
	cr_assert_eq(t.payload.len, t1.payload.len);
	cr_assert_eq(memcmp(t.payload.ptr, t1.payload.ptr, t.payload.len), 0);
	cr_assert_eq(t.tag, PLT_TAG_SIGN);
	cr_assert_eq(t1.tag, PLT_TAG_SIGN1);
	cr_assert_eq(t.nsigners, 1);
	cr_assert_eq(t1.nsigners, 1);
	cr_assert_eq(t.alg, -7);
	/* [h'A2 01 26 04 48 kid', {}, h'sig'] closes the token */
	cr_assert_eq(t.signers[0].len, PLT_COSIGNATURE_LEN);
	cr_assert_eq(t.signers[0].off + t.signers[0].len, len);
	cr_assert_eq(memcmp(tok + t.signers[0].off - 1, sig_head, sizeof(sig_head)), 0);
	cr_assert_eq(memcmp(t.signers[0].kid.ptr, k.f.anchor.kid, PLT_KID_LEN), 0);
	cr_assert_eq(memcmp(t.kid.ptr, k.f.anchor.kid, PLT_KID_LEN), 0);
	cr_assert_eq(len, 5 + (t.payload.ptr - tok - 5) + t.payload.len + 1 + PLT_COSIGNATURE_LEN);
	/* one broker signature meets plt_verify's rule */
	{
		struct plt_expect x = fix_expect(&k.f);

		cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL), 0);
	}
	two_fini(&k);
}

Test(token_multisig, REQ_TOK_201_cosign_and_append_round_trip)
{
	uint8_t tok[PLT_TOKEN_MAX], one[PLT_TOKEN_MAX], s1[PLT_TOKEN_MAX];
	uint8_t sig[PLT_COSIGNATURE_LEN], out[PLT_TOKEN_MAX];
	struct plt_token t;
	struct two k;
	size_t len, n1, sl = 0, ol = 0;

	two_init(&k);
	len = cosigned(&k, OP_IGN, tok, sizeof(tok));
	cr_assert_eq(verify_th(&k, tok, len, OP_IGN), 0);
	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	cr_assert_eq(t.nsigners, 2);
	cr_assert_eq(memcmp(t.signers[1].kid.ptr, k.anchors[1].kid, PLT_KID_LEN), 0);
	cr_assert_eq(t.signers[1].off, t.signers[0].off + t.signers[0].len);
	cr_assert_eq(t.signers[1].off + t.signers[1].len, len);
	cr_assert_eq(tok[t.signers[0].off - 1], 0x82);

	/* The co-signature does not cover the broker's signature: one made over
	 * another broker token with the same claims fits this one too. */
	n1 = broker_sign(&k, OP_IGN, one, sizeof(one));
	cr_assert_eq(plt_cosign(one, n1, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        sizeof(sig), &sl),
	             0);
	n1 = broker_sign(&k, OP_IGN, one, sizeof(one)); /* a new ECDSA signature */
	cr_assert_eq(plt_sign_append(one, n1, sig, sl, out, sizeof(out), &ol), 0);
	cr_assert_eq(verify_th(&k, out, ol, OP_IGN), 0);

	/* A COSE_Sign1's payload can be co-signed as well; appending needs a COSE_Sign. */
	n1 = fix_issue(&k.f, FIX_VIN, OP_IGN, k.f.cnonce, sizeof(k.f.cnonce), s1, sizeof(s1));
	cr_assert_eq(plt_cosign(s1, n1, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        sizeof(sig), &sl),
	             0);
	cr_assert_eq(plt_sign_append(s1, n1, sig, sl, out, sizeof(out), &ol), PLT_E_NOT_SIGN);
	n1 = broker_sign(&k, OP_IGN, one, sizeof(one));
	cr_assert_eq(plt_sign_append(one, n1, sig, sl, out, sizeof(out), &ol), 0);
	cr_assert_eq(verify_th(&k, out, ol, OP_IGN), 0);

	/* Small buffers and bad arguments. */
	cr_assert_eq(plt_cosign(one, n1, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        PLT_COSIGNATURE_LEN - 1, &sl),
	             PLT_E_NOSPACE);
	cr_assert_eq(plt_sign_append(one, n1, sig, sl, out, n1 + sl - 1, &ol), PLT_E_NOSPACE);
	cr_assert_eq(plt_sign_append(one, n1, sig, sl - 1, out, sizeof(out), &ol), PLT_E_TRUNCATED);
	cr_assert_eq(plt_sign_append(NULL, n1, sig, sl, out, sizeof(out), &ol), PLT_E_INVAL);
	cr_assert_eq(plt_cosign(NULL, n1, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        sizeof(sig), &sl),
	             PLT_E_INVAL);
	two_fini(&k);
}

/* ---- the independent vectors ------------------------------------------ */
struct mvec {
	const char *name, *op, *want;
	uint8_t tok[PLT_TOKEN_MAX];
	size_t len;
};

struct mset {
	char *text;
	struct plt_trust_anchor anchors[8];
	struct plt_trust_store trust;
	struct mvec v[40];
	size_t n;
};

static int role_of(const char *s)
{
	if (strcmp(s, "broker") == 0)
		return PLT_ROLE_BROKER;
	if (strcmp(s, "cosigner") == 0)
		return PLT_ROLE_COSIGNER;
	cr_assert_str_eq(s, "unknown");
	return -1;
}

static void mset_load(struct mset *m)
{
	char *f[5];
	size_t pos = 0, nf;

	memset(m, 0, sizeof(*m));
	m->text = fix_read_vector("multisig/multisig.tsv");
	while ((nf = fix_tsv_next(m->text, &pos, f, 5)) != 0) {
		if (nf == 5 && strcmp(f[0], "key") == 0) {
			struct plt_trust_anchor *a = &m->anchors[m->trust.count];
			int role = role_of(f[2]);

			if (role < 0)
				continue;
			cr_assert_lt(m->trust.count, 8);
			cr_assert_eq(fix_unhex(f[3], a->pub, sizeof(a->pub)), PLT_P256_PUB_LEN);
			cr_assert_eq(fix_unhex(f[4], a->kid, sizeof(a->kid)), PLT_KID_LEN);
			a->role = (uint8_t)role;
			m->trust.count++;
		} else if (nf == 5 && strcmp(f[0], "vec") == 0) {
			struct mvec *v = &m->v[m->n++];

			cr_assert_lt(m->n, 40);
			v->name = f[1];
			v->op = f[2];
			v->want = f[3];
			v->len = fix_unhex(f[4], v->tok, sizeof(v->tok));
		}
	}
	m->trust.anchors = m->anchors;
}

static const struct mvec *mset_find(const struct mset *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	cr_assert_fail("vector %s missing", name);
	return NULL;
}

static int mverify(const struct mset *m, const uint8_t *tok, size_t len, const char *op)
{
	static const uint8_t cnonce[32] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	                                   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	                                   0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	                                   0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};
	struct plt_crypto crypto;
	struct plt_expect x;

	plt_openssl_crypto(&crypto);
	memset(&x, 0, sizeof(x));
	x.vin = "WP0ZZZ99ZTS392124";
	x.op = op;
	x.age_s = 5;
	x.have_clock = 1;
	x.now = FIX_NOW + 10;
	x.cnonce = cnonce;
	x.cnonce_len = sizeof(cnonce);
	return plt_verify_signers(tok, len, &m->trust, &crypto, &x, &th, NULL);
}

Test(token_multisig, REQ_TOK_202_python_vectors_give_the_expected_code)
{
	static struct mset m;
	size_t i;

	mset_load(&m);
	cr_assert_eq(m.trust.count, 4, "expected 4 trusted keys, found %zu", m.trust.count);
	cr_assert_geq(m.n, 23, "expected at least 23 vectors, found %zu", m.n);
	for (i = 0; i < m.n; i++) {
		int r = mverify(&m, m.v[i].tok, m.v[i].len, m.v[i].op);

		cr_expect_str_eq(plt_errname(r), m.v[i].want, "%s: got %s (%d), want %s",
		                 m.v[i].name, plt_errname(r), r, m.v[i].want);
	}
	free(m.text);
}

Test(token_multisig, REQ_TOK_203_every_bit_flip_of_a_two_signature_token_is_refused)
{
	static struct mset m;
	uint8_t b[PLT_TOKEN_MAX];
	const struct mvec *v;
	size_t i, accepted = 0;

	mset_load(&m);
	v = mset_find(&m, "valid_broker_cosigner");
	cr_assert_eq(mverify(&m, v->tok, v->len, OP_IGN), 0);
	for (i = 0; i < v->len * 8; i++) {
		memcpy(b, v->tok, v->len);
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (mverify(&m, b, v->len, OP_IGN) == 0)
			accepted++;
	}
	cr_assert_eq(accepted, 0, "%zu of %zu bit flips accepted", accepted, v->len * 8);
	free(m.text);
}

Test(token_multisig, REQ_TOK_204_every_truncation_and_append_is_refused)
{
	static struct mset m;
	uint8_t b[PLT_TOKEN_MAX + 8];
	const struct mvec *v;
	size_t i, k;

	mset_load(&m);
	v = mset_find(&m, "valid_broker_cosigner");
	for (i = 0; i < v->len; i++)
		cr_assert_neq(mverify(&m, v->tok, i, OP_IGN), 0, "truncated to %zu accepted", i);
	for (k = 1; k <= 8; k++) {
		memcpy(b, v->tok, v->len);
		memset(b + v->len, 0, k);
		cr_assert_eq(mverify(&m, b, v->len + k, OP_IGN), PLT_E_TRAILING);
	}
	free(m.text);
}

Test(token_multisig, REQ_TOK_205_roles_and_thresholds_are_the_verifiers)
{
	uint8_t tok[PLT_TOKEN_MAX], one[PLT_TOKEN_MAX], s1[PLT_TOKEN_MAX];
	struct plt_expect x;
	struct two k;
	size_t len, n1, ns;

	two_init(&k);
	len = cosigned(&k, OP_IGN, tok, sizeof(tok));
	n1 = broker_sign(&k, OP_IGN, one, sizeof(one));
	ns = fix_issue(&k.f, FIX_VIN, OP_IGN, k.f.cnonce, sizeof(k.f.cnonce), s1, sizeof(s1));
	x = expect_op(&k, OP_IGN);

	/* th NULL (plt_verify): every signature trusted and valid, one by the
	 * broker (REQ-TOK-214) */
	cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL), 0);
	cr_assert_eq(plt_verify(one, n1, &k.trust, &k.f.crypto, &x, NULL), 0);
	cr_assert_eq(plt_verify_signers(s1, ns, &k.trust, &k.f.crypto, &x, NULL, NULL), 0);
	/* the ECU's rows: broker + co-signer for ignition.enable */
	cr_assert_eq(verify_th(&k, tok, len, OP_IGN), 0);
	cr_assert_eq(verify_th(&k, one, n1, OP_IGN), PLT_E_SIGNATURE_MISSING);
	cr_assert_eq(verify_th(&k, s1, ns, OP_IGN), PLT_E_SIGNATURE_MISSING);
	{
		/* the role comes from the anchor: the broker key as a co-signer is
		 * not a broker */
		struct plt_trust_anchor a[2];
		struct plt_trust_store ts = {a, 2};

		memcpy(a, k.anchors, sizeof(a));
		a[0].role = PLT_ROLE_COSIGNER;
		static const struct plt_threshold b1[] = {{NULL, {1, 0}}};
		static const struct plt_thresholds tb = {b1, 1};

		cr_assert_eq(plt_verify_signers(tok, len, &ts, &k.f.crypto, &x, &th, NULL),
		             PLT_E_SIGNATURE_MISSING);
		cr_assert_eq(plt_verify_signers(s1, ns, &ts, &k.f.crypto, &x, &tb, NULL),
		             PLT_E_SIGNATURE_MISSING);
		/* plt_verify reads the roles too: no broker key, no token */
		cr_assert_eq(plt_verify(s1, ns, &ts, &k.f.crypto, &x, NULL),
		             PLT_E_SIGNATURE_MISSING);
		/* a role outside PLT_ROLE_* counts for nothing */
		a[0].role = 7;
		cr_assert_eq(plt_verify_signers(s1, ns, &ts, &k.f.crypto, &x, &tb, NULL),
		             PLT_E_SIGNATURE_MISSING);
		a[0].role = PLT_ROLE_BROKER;
		cr_assert_eq(plt_verify_signers(s1, ns, &ts, &k.f.crypto, &x, &tb, NULL), 0);
	}
	{
		/* k of n: two co-signers needed, one present */
		static const struct plt_threshold two_co[] = {{OP_IGN, {1, 2}}};
		static const struct plt_thresholds t2 = {two_co, 1};

		cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &t2, NULL),
		             PLT_E_SIGNATURE_MISSING);
	}
	{
		/* the named row wins over the catch-all whatever their order; no row
		 * at all refuses; a row needing nothing is a configuration error */
		static const struct plt_threshold r1[] = {{NULL, {1, 0}}, {OP_IGN, {1, 1}}};
		static const struct plt_thresholds t1 = {r1, 2};
		static const struct plt_threshold r2[] = {{"door.unlock", {1, 0}}};
		static const struct plt_thresholds t2 = {r2, 1};
		static const struct plt_threshold r3[] = {{OP_IGN, {0, 0}}};
		static const struct plt_thresholds t3 = {r3, 1};
		static const struct plt_thresholds t4 = {NULL, 1};

		cr_assert_eq(plt_verify_signers(one, n1, &k.trust, &k.f.crypto, &x, &t1, NULL),
		             PLT_E_SIGNATURE_MISSING);
		cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &t1, NULL), 0);
		cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &t2, NULL),
		             PLT_E_NO_THRESHOLD);
		cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &t3, NULL),
		             PLT_E_INVAL);
		cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &t4, NULL),
		             PLT_E_INVAL);
	}
	/* the expectations still apply after the signers */
	x.op = "door.unlock";
	cr_assert_eq(plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, &th, NULL),
	             PLT_E_WRONG_OP);
	two_fini(&k);
}

Test(token_multisig, REQ_TOK_206_one_key_counts_once)
{
	uint8_t tok[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN], out[PLT_TOKEN_MAX];
	struct plt_token t;
	struct two k;
	size_t len, sl = 0, ol = 0, n1;

	two_init(&k);
	len = cosigned(&k, OP_IGN, tok, sizeof(tok));
	/* the broker or the co-signer signing again is refused by both helpers */
	cr_assert_eq(plt_cosign(tok, len, k.f.anchor.kid, plt_openssl_sign_es256, k.f.key, sig,
	                        sizeof(sig), &sl),
	             PLT_E_DUPLICATE_SIGNER);
	cr_assert_eq(plt_cosign(tok, len, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        sizeof(sig), &sl),
	             PLT_E_DUPLICATE_SIGNER);
	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	cr_assert_eq(plt_sign_append(tok, len, tok + t.signers[1].off, t.signers[1].len, out,
	                             sizeof(out), &ol),
	             PLT_E_DUPLICATE_SIGNER);
	/* a hand-made duplicate is refused by the decoder, at the second copy */
	n1 = broker_sign(&k, OP_IGN, out, sizeof(out));
	cr_assert_eq(plt_decode(out, n1, &t, NULL), 0);
	memcpy(tok, out, n1);
	tok[t.signers[0].off - 1] = 0x82;
	memcpy(tok + n1, out + t.signers[0].off, t.signers[0].len);
	{
		size_t off = 0;

		cr_assert_eq(plt_decode(tok, n1 + t.signers[0].len, &t, &off),
		             PLT_E_DUPLICATE_SIGNER);
		cr_assert_eq(off, n1);
	}
	two_fini(&k);
}

/* Up to four signers by distinct keys; a fifth is refused by plt_sign_append
 * and by the decoder. */
Test(token_multisig, REQ_TOK_207_one_to_four_signatures)
{
	uint8_t a[PLT_TOKEN_MAX], b[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	struct plt_claims c;
	struct plt_token t;
	struct two k;
	size_t len = 0, sl = 0, i;

	two_init(&k);
	/* short claims so that five signatures would fit in 512 bytes */
	fix_claims(&k.f, &c, FIX_VIN, "key.learn", k.f.cnonce, sizeof(k.f.cnonce));
	c.present &= ~(unsigned)(PLT_HAS_WORKSHOP | PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER |
	                         PLT_HAS_POLICY_VER);
	c.iss.len = 1;
	cr_assert_eq(plt_encode_sign(&c, k.f.anchor.kid, plt_openssl_sign_es256, k.f.key, a,
	                             sizeof(a), &len),
	             0);
	for (i = 1; i <= 4; i++) {
		EVP_PKEY *key = EVP_EC_gen("P-256");
		uint8_t pub[PLT_P256_PUB_LEN], kid[PLT_KID_LEN];
		size_t nl = 0;
		int r;

		cr_assert_eq(plt_openssl_pub_from_pkey(key, pub), 0);
		cr_assert_eq(plt_openssl_kid(pub, kid), 0);
		cr_assert_eq(
		    plt_cosign(a, len, kid, plt_openssl_sign_es256, key, sig, sizeof(sig), &sl), 0);
		r = plt_sign_append(a, len, sig, sl, b, sizeof(b), &nl);
		EVP_PKEY_free(key);
		if (i == 4) {
			cr_assert_eq(r, PLT_E_TOO_MANY_SIGNATURES);
			break;
		}
		cr_assert_eq(r, 0);
		cr_assert_eq(plt_decode(b, nl, &t, NULL), 0);
		cr_assert_eq(t.nsigners, i + 1);
		memcpy(a, b, nl);
		len = nl;
	}
	/* a hand-made fifth: too_many_signatures from the decoder */
	memcpy(b, a, len);
	cr_assert_eq(plt_decode(a, len, &t, NULL), 0);
	b[t.signers[0].off - 1] = 0x85;
	memcpy(b + len, a + t.signers[0].off, t.signers[0].len);
	cr_assert_leq(len + t.signers[0].len, PLT_TOKEN_MAX);
	cr_assert_eq(plt_decode(b, len + t.signers[0].len, &t, NULL), PLT_E_TOO_MANY_SIGNATURES);
	two_fini(&k);
}

/* ---- the strict profile, byte by byte --------------------------------- */
/* Builds 98([body_prot, body_unprot, payload, [sig...]]) where each
 * signature is [prot, unprot, ES256 over its Sig_structure (sig_len bytes)]. */
struct rawsig {
	const uint8_t *prot;
	size_t plen;
	const uint8_t *unprot; /* a pre-encoded map */
	size_t ulen;
	size_t sig_len;
};

static size_t raw_sign(const struct fixture *f, const uint8_t *bprot, size_t bplen,
                       const uint8_t *bunprot, size_t bulen, const uint8_t *payload, size_t paylen,
                       const struct rawsig *s, size_t ns, uint8_t *out, size_t cap)
{
	struct plt_cbor_writer w;
	size_t len = 0, i;

	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 98);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, bprot, bplen);
	plt_cbor_put_raw(&w, bunprot, bulen);
	plt_cbor_put_bstr(&w, payload, paylen);
	plt_cbor_put_array(&w, ns);
	for (i = 0; i < ns; i++) {
		struct plt_cbor_writer t;
		uint8_t tbs[1024], sig[PLT_SIG_LEN + 1];
		struct plt_iov iov;
		size_t tl = 0;

		plt_cbor_writer_init(&t, tbs, sizeof(tbs));
		plt_cbor_put_array(&t, 5);
		plt_cbor_put_cstr(&t, "Signature");
		plt_cbor_put_bstr(&t, bprot, bplen);
		plt_cbor_put_bstr(&t, s[i].prot, s[i].plen);
		plt_cbor_put_bstr(&t, NULL, 0);
		plt_cbor_put_bstr(&t, payload, paylen);
		cr_assert_eq(plt_cbor_writer_finish(&t, &tl), 0);
		iov.ptr = tbs;
		iov.len = tl;
		cr_assert_eq(plt_openssl_sign_es256(f->key, &iov, 1, sig), 0);
		sig[PLT_SIG_LEN] = 0;
		plt_cbor_put_array(&w, 3);
		plt_cbor_put_bstr(&w, s[i].prot, s[i].plen);
		plt_cbor_put_raw(&w, s[i].unprot, s[i].ulen);
		plt_cbor_put_bstr(&w, sig, s[i].sig_len);
	}
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

Test(token_multisig, REQ_TOK_208_cose_sign_strict_profile_each_rule_its_code)
{
	uint8_t pay[PLT_TOKEN_MAX], tok[PLT_TOKEN_MAX + 64], prot[13], p2[16], p3[16];
	static const uint8_t empty[] = {0xa0};
	static const uint8_t kidmap[] = {0xa1, 0x04, 0x48, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t algmap[] = {0xa1, 0x01, 0x26};
	struct two k;
	struct plt_expect x;
	struct rawsig s;
	size_t pl, n;

	two_init(&k);
	x = fix_expect(&k.f);
	pl = fix_payload(&k.f, pay, sizeof(pay));
	prot[0] = 0xa2;
	prot[1] = 0x01;
	prot[2] = 0x26;
	prot[3] = 0x04;
	prot[4] = 0x48;
	memcpy(prot + 5, k.f.anchor.kid, PLT_KID_LEN);
#define V(t, len) plt_verify(t, len, &k.trust, &k.f.crypto, &x, NULL)
	s = (struct rawsig){prot, 13, empty, 1, PLT_SIG_LEN};
	/* the profile itself verifies */
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), 0);
	/* body protected: h'A0' (an empty map) is not h'' */
	n = raw_sign(&k.f, empty, 1, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_BODY_PROTECTED);
	n = raw_sign(&k.f, algmap, 3, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_BODY_PROTECTED);
	/* body unprotected not empty */
	n = raw_sign(&k.f, NULL, 0, kidmap, sizeof(kidmap), pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_UNPROTECTED);
	/* signature's unprotected not empty */
	s.unprot = kidmap;
	s.ulen = sizeof(kidmap);
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_CBOR_DUPKEY); /* kid in both buckets */
	{
		static const uint8_t other[] = {0xa1, 0x03, 0x00};

		s.unprot = other;
		s.ulen = sizeof(other);
		n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
		cr_assert_eq(V(tok, n), PLT_E_UNPROTECTED);
	}
	s.unprot = empty;
	s.ulen = 1;
	/* signature's protected: alg only unprotected, kid missing, extra label, MAC */
	s.prot = kidmap;
	s.plen = sizeof(kidmap);
	s.unprot = algmap;
	s.ulen = sizeof(algmap);
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_ALG_UNPROTECTED);
	s.prot = algmap;
	s.plen = sizeof(algmap);
	s.unprot = empty;
	s.ulen = 1;
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_KID_MISSING);
	memcpy(p2, prot, 13);
	p2[0] = 0xa3;
	p2[13] = 0x03;
	p2[14] = 0x00;
	s.prot = p2;
	s.plen = 15;
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_HDR_UNKNOWN);
	memcpy(p3, prot, 13);
	p3[2] = 0x05; /* HMAC 256/256 */
	s.prot = p3;
	s.plen = 13;
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_ALG_MAC);
	/* signature length */
	s.prot = prot;
	s.sig_len = PLT_SIG_LEN - 1;
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_SIG_LENGTH);
	s.sig_len = PLT_SIG_LEN + 1;
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_SIG_LENGTH);
	s.sig_len = PLT_SIG_LEN;
	/* no signature at all */
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 0, tok, sizeof(tok));
	cr_assert_eq(V(tok, n), PLT_E_NO_SIGNATURES);
	/* layouts: a COSE_Signature of two items; signatures not an array; nil payload */
	n = raw_sign(&k.f, NULL, 0, empty, 1, pay, pl, &s, 1, tok, sizeof(tok));
	{
		struct plt_token t;
		uint8_t b[PLT_TOKEN_MAX];

		cr_assert_eq(plt_decode(tok, n, &t, NULL), 0);
		memcpy(b, tok, n);
		b[t.signers[0].off] = 0x82;
		cr_assert_eq(V(b, n), PLT_E_NOT_SIGN);
		b[t.signers[0].off] = 0x83;
		b[t.signers[0].off - 1] = 0xa1; /* a map instead of the array */
		cr_assert_eq(V(b, n), PLT_E_NOT_SIGN);
		b[t.signers[0].off - 1] = 0x81;
		b[2] = 0x85; /* array of five */
		cr_assert_eq(V(b, n), PLT_E_NOT_SIGN);
		b[2] = 0x84;
		cr_assert_eq(V(b, n), 0);
	}
	{
		/* nil payload: 98([h'', {}, nil, [sig]]) */
		static const uint8_t nilp[] = {0xd8, 0x62, 0x84, 0x40, 0xa0, 0xf6, 0x80};

		cr_assert_eq(V(nilp, sizeof(nilp)), PLT_E_PAYLOAD_DETACHED);
	}
#undef V
	two_fini(&k);
}

Test(token_multisig, REQ_TOK_209_signature_order_does_not_matter)
{
	uint8_t tok[PLT_TOKEN_MAX], sw[PLT_TOKEN_MAX];
	struct plt_token t;
	struct two k;
	size_t len, a;

	two_init(&k);
	len = cosigned(&k, OP_IGN, tok, sizeof(tok));
	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	a = t.signers[0].off;
	memcpy(sw, tok, a);
	memcpy(sw + a, tok + t.signers[1].off, t.signers[1].len);
	memcpy(sw + a + t.signers[1].len, tok + a, t.signers[0].len);
	cr_assert_neq(memcmp(sw, tok, len), 0);
	cr_assert_eq(verify_th(&k, sw, len, OP_IGN), 0);
	cr_assert_eq(plt_decode(sw, len, &t, NULL), 0);
	cr_assert_eq(memcmp(t.kid.ptr, k.anchors[1].kid, PLT_KID_LEN), 0);
	two_fini(&k);
}

/* The largest two-signature token the broker issues: every private claim,
 * text claims at the broker's lengths (issuer 34, workshop and technician
 * 32, a 63-character work order), the longest operation of the catalogue, a
 * 32-byte challenge, exp, iat and exi at their widest encodings. */
Test(token_multisig, REQ_TOK_210_worst_case_two_signature_token_fits_512_bytes)
{
	static const char w63[] = "WO-2026-000123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstu";
	uint8_t cn[32], tok[PLT_TOKEN_MAX], one[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	struct plt_claims c;
	struct two k;
	size_t len = 0, n1 = 0, sl = 0;

	two_init(&k);
	memset(cn, 0xa5, sizeof(cn));
	fix_claims(&k.f, &c, FIX_VIN, "ignition.enable", cn, sizeof(cn));
	c.iss.ptr = (const uint8_t *)"https://broker.dealer-0042.example";
	c.iss.len = 34;
	c.workshop.ptr = (const uint8_t *)"DE-0042-MUNICH-NORTH-SERVICE-BAY";
	c.workshop.len = 32;
	c.technician.ptr = (const uint8_t *)"tech-7f3a9c21-7f3a9c21-7f3a9c21x";
	c.technician.len = 32;
	c.work_order.ptr = (const uint8_t *)w63;
	c.work_order.len = 63;
	c.iat = 0x7fffffffffffffffll - 600;
	c.exp = 0x7fffffffffffffffll;
	c.exi = 0xffffffffu;
	c.policy_version = 0xffffffffu;
	cr_assert_eq(plt_encode_sign(&c, k.f.anchor.kid, plt_openssl_sign_es256, k.f.key, one,
	                             sizeof(one), &n1),
	             0);
	cr_assert_eq(plt_cosign(one, n1, k.anchors[1].kid, plt_openssl_sign_es256, k.co, sig,
	                        sizeof(sig), &sl),
	             0);
	cr_assert_eq(plt_sign_append(one, n1, sig, sl, tok, sizeof(tok), &len), 0);
	cr_log_info("worst-case two-signature token: %zu bytes", len);
	cr_assert_leq(len, 512, "worst-case two-signature token is %zu bytes", len);

	/* Claims that leave no room for the co-signature are refused when the
	 * broker encodes, not when the co-signature arrives. */
	c.workshop.ptr = (const uint8_t *)w63;
	c.workshop.len = 63;
	c.technician.ptr = (const uint8_t *)w63;
	c.technician.len = 63;
	cr_assert_eq(
	    plt_encode(&c, k.f.anchor.kid, plt_openssl_sign_es256, k.f.key, one, sizeof(one), &n1),
	    0);
	cr_assert_eq(plt_encode_sign(&c, k.f.anchor.kid, plt_openssl_sign_es256, k.f.key, one,
	                             sizeof(one), &n1),
	             PLT_E_TOO_LONG);
	two_fini(&k);
}

Test(token_multisig, REQ_TOK_211_new_codes_have_stable_names)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
	    {PLT_E_DUPLICATE_SIGNER, "duplicate_signer"},
	    {PLT_E_SIGNATURE_MISSING, "signature_missing"},
	    {PLT_E_TOO_MANY_SIGNATURES, "too_many_signatures"},
	    {PLT_E_NO_SIGNATURES, "no_signatures"},
	    {PLT_E_NOT_SIGN, "not_sign"},
	    {PLT_E_BODY_PROTECTED, "body_protected"},
	    {PLT_E_NO_THRESHOLD, "no_threshold"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_assert_eq(names[i].code, -47 - (int)i);
		cr_assert_str_eq(plt_errname(names[i].code), names[i].name);
		cr_assert_str_neq(plt_strerror(names[i].code), "unknown lib/token error");
	}
}

/* The COSE_Sign Sig_structure builder against a published COSE_Sign signer
 * (cose-wg Examples ecdsa-01, tests/vectors/cose_sign.tsv): the parts join to
 * the published ToBeSign and the published signature verifies over them. */
Test(token_multisig, REQ_TOK_213_sig_structure_matches_the_published_cose_sign_example)
{
	char *text = fix_read_vector("cose_sign.tsv"), *f[8];
	size_t pos = 0, nrows = 0;

	while (fix_tsv_next(text, &pos, f, 8) == 8) {
		uint8_t pub[PLT_P256_PUB_LEN], body[64], sp[64], aad[64], pay[256], tbs[512];
		uint8_t sig[PLT_SIG_LEN], joined[512];
		struct plt_bytes b, s, a, p;
		struct sign_parts parts;
		size_t tl, n = 0, i;

		cr_assert_eq(fix_unhex(f[1], pub, sizeof(pub)), PLT_P256_PUB_LEN);
		b.ptr = body;
		b.len = fix_unhex(f[2], body, sizeof(body));
		s.ptr = sp;
		s.len = fix_unhex(f[3], sp, sizeof(sp));
		a.ptr = aad;
		a.len = fix_unhex(f[4], aad, sizeof(aad));
		p.ptr = pay;
		p.len = fix_unhex(f[5], pay, sizeof(pay));
		tl = fix_unhex(f[6], tbs, sizeof(tbs));
		cr_assert_eq(fix_unhex(f[7], sig, sizeof(sig)), PLT_SIG_LEN);
		plt__sign_parts(&parts, b, s, a, p);
		for (i = 0; i < PLT_SIGN_PARTS; i++) {
			cr_assert_leq(n + parts.iov[i].len, sizeof(joined));
			if (parts.iov[i].len != 0)
				memcpy(joined + n, parts.iov[i].ptr, parts.iov[i].len);
			n += parts.iov[i].len;
		}
		cr_assert_eq(n, tl, "%s: Sig_structure %zu bytes, published %zu", f[0], n, tl);
		cr_assert_eq(memcmp(joined, tbs, tl), 0, "%s: Sig_structure differs", f[0]);
		cr_assert_eq(plt_openssl_verify_es256(NULL, pub, parts.iov, PLT_SIGN_PARTS, sig), 0,
		             "%s: the published signature does not verify", f[0]);
		pay[0] ^= 1;
		cr_assert_neq(plt_openssl_verify_es256(NULL, pub, parts.iov, PLT_SIGN_PARTS, sig),
		              0);
		nrows++;
	}
	cr_assert_eq(nrows, 1);
	free(text);
}

/* ---- plt_verify, the one-call verifier of existing integrators ---------- */
/* The claims of op signed by key alone: COSE_Sign1, or COSE_Sign when many. */
static size_t signed_by(const struct two *t, EVP_PKEY *key, const uint8_t kid[PLT_KID_LEN],
                        const char *op, int many, uint8_t *out, size_t cap)
{
	struct plt_claims c;
	size_t len = 0;

	fix_claims(&t->f, &c, FIX_VIN, op, t->f.cnonce, sizeof(t->f.cnonce));
	if (many)
		cr_assert_eq(plt_encode_sign(&c, kid, plt_openssl_sign_es256, key, out, cap, &len),
		             0);
	else
		cr_assert_eq(plt_encode(&c, kid, plt_openssl_sign_es256, key, out, cap, &len), 0);
	return len;
}

static int mverify_plain(const struct mset *m, const struct mvec *v)
{
	static const uint8_t cnonce[32] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	                                   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	                                   0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	                                   0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};
	struct plt_crypto crypto;
	struct plt_expect x;

	plt_openssl_crypto(&crypto);
	memset(&x, 0, sizeof(x));
	x.vin = "WP0ZZZ99ZTS392124";
	x.op = v->op;
	x.age_s = 5;
	x.have_clock = 1;
	x.now = FIX_NOW + 10;
	x.cnonce = cnonce;
	x.cnonce_len = sizeof(cnonce);
	return plt_verify(v->tok, v->len, &m->trust, &crypto, &x, NULL);
}

/* plt_verify (and plt_verify_signers with th NULL) never accepts a token
 * without a valid signature by a broker-role key, for any operation, even
 * when the store also trusts co-signer keys; every signature present must
 * still be trusted and verify. The zero role is the broker. */
Test(token_multisig, REQ_TOK_214_plt_verify_needs_a_broker_signature)
{
	static const char *const ops[] = {"door.unlock", OP_IGN, "key.learn"};
	static const struct {
		const char *name, *want;
	} plain[] = {
	    {"valid_broker_cosigner", "ok"},
	    {"missing_cosigner", "ok"},
	    {"sign1_broker_only", "ok"},
	    {"door_unlock_sign1", "ok"},
	    {"missing_broker", "signature_missing"},
	    {"door_unlock_cosigner_only", "signature_missing"},
	    {"wrong_role_two_cosigners", "signature_missing"},
	    {"unknown_kid", "kid_unknown"},
	    {"extra_unknown", "kid_unknown"},
	    {"cosigner_kid_stranger_key", "bad_signature"},
	};
	uint8_t tok[PLT_TOKEN_MAX + 1], one[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	static struct mset m;
	struct plt_expect x;
	struct two k;
	size_t len, n1, sl = 0, i;
	int many;

	cr_assert_eq(PLT_ROLE_BROKER, 0, "the zero value of a role must be the broker");
	two_init(&k);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		x = expect_op(&k, ops[i]);
		for (many = 0; many <= 1; many++) {
			/* the broker alone */
			len = signed_by(&k, k.f.key, k.anchors[0].kid, ops[i], many, tok,
			                sizeof(tok));
			cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL), 0);
			/* the co-signer alone, trusted as a co-signer: refused */
			len = signed_by(&k, k.co, k.anchors[1].kid, ops[i], many, tok, sizeof(tok));
			cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL),
			             PLT_E_SIGNATURE_MISSING, "%s, %s: co-signer alone accepted",
			             ops[i], many ? "COSE_Sign" : "COSE_Sign1");
			cr_assert_eq(
			    plt_verify_signers(tok, len, &k.trust, &k.f.crypto, &x, NULL, NULL),
			    PLT_E_SIGNATURE_MISSING);
			/* and with no expectation at all */
			cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, NULL, NULL),
			             PLT_E_SIGNATURE_MISSING);
		}
		/* broker + co-signer: accepted; a broken co-signature is not ignored */
		len = cosigned(&k, ops[i], tok, sizeof(tok));
		cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL), 0);
		tok[len - 1] ^= 1; /* the co-signature's last byte */
		cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL),
		             PLT_E_BAD_SIGNATURE);
	}
	x = expect_op(&k, OP_IGN);
	{
		/* broker + a signature by a key the store does not hold */
		EVP_PKEY *stranger = EVP_EC_gen("P-256");
		uint8_t pub[PLT_P256_PUB_LEN], kid[PLT_KID_LEN];

		cr_assert_not_null(stranger);
		cr_assert_eq(plt_openssl_pub_from_pkey(stranger, pub), 0);
		cr_assert_eq(plt_openssl_kid(pub, kid), 0);
		n1 = signed_by(&k, k.f.key, k.anchors[0].kid, OP_IGN, 1, one, sizeof(one));
		cr_assert_eq(plt_cosign(one, n1, kid, plt_openssl_sign_es256, stranger, sig,
		                        sizeof(sig), &sl),
		             0);
		cr_assert_eq(plt_sign_append(one, n1, sig, sl, tok, sizeof(tok), &len), 0);
		cr_assert_eq(plt_verify(tok, len, &k.trust, &k.f.crypto, &x, NULL),
		             PLT_E_KID_UNKNOWN);
		EVP_PKEY_free(stranger);
	}
	n1 = signed_by(&k, k.f.key, k.anchors[0].kid, OP_IGN, 0, one, sizeof(one));
	{
		/* anchors filled without a role: zeroed (= {0}, memset, static) they
		 * are broker keys; an uninitialised role (here 7) counts for nothing */
		struct plt_trust_anchor z = {.kid = {0}}, w; /* no role given */
		struct plt_trust_store tz = {&z, 1}, tw = {&w, 1};

		memcpy(z.kid, k.anchors[0].kid, PLT_KID_LEN);
		memcpy(z.pub, k.anchors[0].pub, PLT_P256_PUB_LEN);
		cr_assert_eq(plt_verify(one, n1, &tz, &k.f.crypto, &x, NULL), 0);
		memset(&w, 0, sizeof(w));
		memcpy(w.kid, k.anchors[0].kid, PLT_KID_LEN);
		memcpy(w.pub, k.anchors[0].pub, PLT_P256_PUB_LEN);
		cr_assert_eq(plt_verify(one, n1, &tw, &k.f.crypto, &x, NULL), 0);
		w.role = 7;
		cr_assert_eq(plt_verify(one, n1, &tw, &k.f.crypto, &x, NULL),
		             PLT_E_SIGNATURE_MISSING);
	}
	{
		/* plt_openssl_anchor_from_pem's anchor is a broker key */
		struct plt_trust_anchor a;
		struct plt_trust_store ta = {&a, 1};
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long pl;

		cr_assert_not_null(bio);
		cr_assert_eq(PEM_write_bio_PUBKEY(bio, k.f.key), 1);
		pl = BIO_get_mem_data(bio, &pem);
		cr_assert_gt(pl, 0);
		memset(&a, 0xff, sizeof(a));
		cr_assert_eq(plt_openssl_anchor_from_pem(pem, (size_t)pl, &a), 0);
		cr_assert_eq(a.role, PLT_ROLE_BROKER);
		cr_assert_eq(plt_verify(one, n1, &ta, &k.f.crypto, &x, NULL), 0);
		BIO_free(bio);
	}
	/* the independent vectors under plt_verify */
	mset_load(&m);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		int r = mverify_plain(&m, mset_find(&m, plain[i].name));

		cr_expect_str_eq(plt_errname(r), plain[i].want, "%s: got %s, want %s",
		                 plain[i].name, plt_errname(r), plain[i].want);
	}
	free(m.text);
	two_fini(&k);
}
