#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "tok_fixture.h"

void fix_init(struct fixture *f)
{
	uint8_t pub[PLT_P256_PUB_LEN];

	memset(f, 0, sizeof(*f));
	f->key = EVP_EC_gen("P-256");
	cr_assert_not_null(f->key);
	cr_assert_eq(plt_openssl_pub_from_pkey(f->key, pub), 0);
	memcpy(f->anchor.pub, pub, sizeof(pub));
	cr_assert_eq(plt_openssl_kid(pub, f->anchor.kid), 0);
	f->trust.anchors = &f->anchor;
	f->trust.count = 1;
	plt_openssl_crypto(&f->crypto);
	cr_assert_eq(RAND_bytes(f->cnonce, sizeof(f->cnonce)), 1);
	cr_assert_eq(RAND_bytes(f->cti, sizeof(f->cti)), 1);
}

void fix_fini(struct fixture *f)
{
	EVP_PKEY_free(f->key);
	f->key = NULL;
}

static struct plt_bytes text(const char *s)
{
	struct plt_bytes b;

	b.ptr = (const uint8_t *)s;
	b.len = strlen(s);
	return b;
}

void fix_claims(const struct fixture *f, struct plt_claims *c, const char *vin, const char *op,
                const uint8_t *cnonce, size_t cnonce_len)
{
	memset(c, 0, sizeof(*c));
	c->present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
	             PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI | PLT_HAS_WORKSHOP |
	             PLT_HAS_TECHNICIAN | PLT_HAS_WORK_ORDER | PLT_HAS_POLICY_VER;
	c->iss = text("https://broker.dealer-0042.example");
	c->aud = text(vin);
	c->iat = FIX_NOW;
	c->exp = FIX_NOW + 300;
	c->cti.ptr = f->cti;
	c->cti.len = sizeof(f->cti);
	c->scope = text(op);
	c->cnonce.ptr = cnonce;
	c->cnonce.len = cnonce_len;
	c->exi = 120;
	c->workshop = text("DE-0042-MUNICH");
	c->technician = text("tech-7f3a9c21");
	c->work_order = text("WO-2026-000123");
	c->policy_version = 17;
}

size_t fix_issue(const struct fixture *f, const char *vin, const char *op, const uint8_t *cnonce,
                 size_t cnonce_len, uint8_t *out, size_t cap)
{
	struct plt_claims c;
	size_t len = 0;

	fix_claims(f, &c, vin, op, cnonce, cnonce_len);
	cr_assert_eq(plt_encode(&c, f->anchor.kid, plt_openssl_sign_es256, f->key, out, cap, &len),
	             0);
	return len;
}

struct plt_expect fix_expect(const struct fixture *f)
{
	struct plt_expect x;

	memset(&x, 0, sizeof(x));
	x.vin = FIX_VIN;
	x.op = FIX_OP;
	x.cnonce = f->cnonce;
	x.cnonce_len = sizeof(f->cnonce);
	x.age_s = 5;
	x.have_clock = 1;
	x.now = FIX_NOW + 10;
	return x;
}

size_t fix_payload(const struct fixture *f, uint8_t *out, size_t cap)
{
	uint8_t tok[PLT_TOKEN_MAX];
	struct plt_token t;
	size_t len = fix_issue(f, FIX_VIN, FIX_OP, f->cnonce, sizeof(f->cnonce), tok, sizeof(tok));

	cr_assert_eq(plt_decode(tok, len, &t, NULL), 0);
	cr_assert_leq(t.payload.len, cap);
	memcpy(out, t.payload.ptr, t.payload.len);
	return t.payload.len;
}

size_t fix_sign1(const struct fixture *f, int64_t tag, const uint8_t *prot, size_t plen,
                 const uint8_t *unprot, size_t ulen, const uint8_t *payload, size_t paylen,
                 uint8_t *out, size_t cap)
{
	struct plt_cbor_writer w, s;
	uint8_t tbs[1024], sig[PLT_SIG_LEN];
	struct plt_iov iov;
	size_t len = 0, tlen = 0;

	plt_cbor_writer_init(&s, tbs, sizeof(tbs));
	plt_cbor_put_array(&s, 4);
	plt_cbor_put_cstr(&s, "Signature1");
	plt_cbor_put_bstr(&s, prot, plen);
	plt_cbor_put_bstr(&s, NULL, 0);
	plt_cbor_put_bstr(&s, payload, paylen);
	cr_assert_eq(plt_cbor_writer_finish(&s, &tlen), 0);
	iov.ptr = tbs;
	iov.len = tlen;
	cr_assert_eq(plt_openssl_sign_es256(f->key, &iov, 1, sig), 0);

	plt_cbor_writer_init(&w, out, cap);
	if (tag >= 0)
		plt_cbor_put_tag(&w, (uint64_t)tag);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_raw(&w, unprot, ulen);
	plt_cbor_put_bstr(&w, payload, paylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	cr_assert_eq(plt_cbor_writer_finish(&w, &len), 0);
	return len;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t fix_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex), i;

	if (strcmp(hex, "-") == 0)
		return 0;
	cr_assert_eq(n % 2, 0, "odd hex length in %s", hex);
	cr_assert_leq(n / 2, cap);
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		cr_assert(hi >= 0 && lo >= 0, "bad hex at %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

char *fix_read_vector(const char *name)
{
	const char *src = getenv("PITLANE_SOURCE_DIR");
	char path[4096];
	FILE *fp;
	char *buf;
	long sz;

	cr_assert_not_null(src, "PITLANE_SOURCE_DIR is not set (run through ctest)");
	cr_assert_lt(snprintf(path, sizeof(path), "%s/tests/vectors/%s", src, name),
	             (int)sizeof(path));
	fp = fopen(path, "rb");
	cr_assert_not_null(fp, "cannot open %s", path);
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	sz = ftell(fp);
	cr_assert_geq(sz, 0);
	rewind(fp);
	buf = malloc((size_t)sz + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)sz, fp), (size_t)sz);
	buf[sz] = '\0';
	fclose(fp);
	return buf;
}

size_t fix_tsv_next(char *text, size_t *pos, char **fields, size_t n)
{
	size_t k = 0;
	char *p = text + *pos;

	if (*p == '\0')
		return 0;
	while (k < n) {
		fields[k++] = p;
		while (*p != '\0' && *p != '\t' && *p != '\n')
			p++;
		if (*p == '\t') {
			*p++ = '\0';
			continue;
		}
		break;
	}
	while (*p != '\0' && *p != '\n')
		p++;
	if (*p == '\n')
		*p++ = '\0';
	*pos = (size_t)(p - text);
	return k;
}
