#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "testkit.h"

static int key_finish(struct tk_key *k)
{
	int r;

	if ((r = plt_openssl_pub_from_pkey(k->pkey, k->anchor.pub)) != 0 ||
	    (r = plt_openssl_kid(k->anchor.pub, k->anchor.kid)) != 0) {
		tk_key_free(k);
		return r;
	}
	return 0;
}

int tk_key_generate(struct tk_key *k)
{
	memset(k, 0, sizeof(*k));
	k->pkey = EVP_EC_gen("P-256");
	if (k->pkey == NULL)
		return PL_E_CRYPTO;
	return key_finish(k);
}

int tk_key_load_pem(struct tk_key *k, const char *path)
{
	FILE *f = fopen(path, "r");

	memset(k, 0, sizeof(*k));
	if (f == NULL)
		return PL_E_NOENT;
	k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k->pkey == NULL)
		return PL_E_BADKEY;
	return key_finish(k);
}

int tk_key_write_pub_pem(const struct tk_key *k, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return PL_E_IO;
	ok = PEM_write_PUBKEY(f, k->pkey);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : PL_E_IO;
}

int tk_key_write_priv_pem(const struct tk_key *k, const char *path)
{
	mode_t old = umask(077);
	FILE *f = fopen(path, "w");
	int ok;

	umask(old);
	if (f == NULL)
		return PL_E_IO;
	ok = PEM_write_PrivateKey(f, k->pkey, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : PL_E_IO;
}

void tk_key_free(struct tk_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

void tk_claims_init(struct plt_claims *c, const char *vin, const char *op,
		    const uint8_t *cnonce, size_t cnonce_len, uint32_t exi)
{
	static uint8_t cti[PLT_CTI_LEN];
	static const char iss[] = "pitlane-test";

	memset(c, 0, sizeof(*c));
	RAND_bytes(cti, sizeof(cti));
	c->present = PLT_HAS_ISS | PLT_HAS_AUD | PLT_HAS_EXP | PLT_HAS_IAT | PLT_HAS_CTI |
		     PLT_HAS_SCOPE | PLT_HAS_CNONCE | PLT_HAS_EXI;
	c->iss.ptr = (const uint8_t *)iss;
	c->iss.len = strlen(iss);
	c->aud.ptr = (const uint8_t *)vin;
	c->aud.len = strlen(vin);
	c->iat = (int64_t)time(NULL);
	c->exp = c->iat + 300;
	c->cti.ptr = cti;
	c->cti.len = sizeof(cti);
	c->scope.ptr = (const uint8_t *)op;
	c->scope.len = strlen(op);
	c->cnonce.ptr = cnonce;
	c->cnonce.len = cnonce_len;
	c->exi = exi;
}

int tk_mint_claims(const struct tk_key *k, const struct plt_claims *c, uint8_t *out, size_t cap,
		   size_t *len)
{
	return plt_encode(c, k->anchor.kid, plt_openssl_sign_es256, k->pkey, out, cap, len);
}

int tk_mint_sign(const struct tk_key *k, const struct tk_key *const *co, size_t nco,
		 const struct plt_claims *c, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t one[PLT_TOKEN_MAX], sig[PLT_COSIGNATURE_LEN];
	size_t n = 0, sl = 0;
	int r;

	if ((r = plt_encode_sign(c, k->anchor.kid, plt_openssl_sign_es256, k->pkey, one,
				 sizeof(one), &n)) != 0)
		return r;
	for (size_t i = 0; i < nco; i++) {
		if ((r = plt_cosign(one, n, co[i]->anchor.kid, plt_openssl_sign_es256, co[i]->pkey,
				    sig, sizeof(sig), &sl)) != 0 ||
		    (r = plt_sign_append(one, n, sig, sl, out, cap, &n)) != 0)
			return r;
		memcpy(one, out, n);
	}
	if (n > cap)
		return PLT_E_NOSPACE;
	memcpy(out, one, n);
	*len = n;
	return 0;
}

int tk_mint(const struct tk_key *k, const char *vin, const char *op, const uint8_t *cnonce,
	    size_t cnonce_len, uint32_t exi, uint8_t *out, size_t cap, size_t *len)
{
	struct plt_claims c;

	tk_claims_init(&c, vin, op, cnonce, cnonce_len, exi);
	return tk_mint_claims(k, &c, out, cap, len);
}
