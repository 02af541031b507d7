/* Test-client helper: ES256 signing with a PKCS#11 (p11-kit) or PEM key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <p11-kit/p11-kit.h>

#include "p11key.h"

struct p11key {
	CK_FUNCTION_LIST **mods;
	CK_FUNCTION_LIST *mod;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE priv;
	EVP_PKEY *pkey;
};

static int label_eq(const unsigned char *field, size_t n, const char *want)
{
	size_t wl = strlen(want);

	if (wl > n)
		return 0;
	if (memcmp(field, want, wl) != 0)
		return 0;
	for (size_t i = wl; i < n; i++)
		if (field[i] != ' ')
			return 0;
	return 1;
}

static int find_slot(struct p11key *k, const char *token, CK_SLOT_ID *slot)
{
	for (size_t m = 0; k->mods[m] != NULL; m++) {
		CK_SLOT_ID slots[64];
		CK_ULONG n = 64;

		if (k->mods[m]->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
			continue;
		for (CK_ULONG i = 0; i < n; i++) {
			CK_TOKEN_INFO ti;

			if (k->mods[m]->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
				continue;
			if (label_eq(ti.label, sizeof(ti.label), token)) {
				k->mod = k->mods[m];
				*slot = slots[i];
				return 0;
			}
		}
	}
	fprintf(stderr, "p11key: no token labelled '%s' (SOFTHSM2_CONF?)\n", token);
	return -1;
}

int p11key_open_token(const char *token, const char *object, const char *pin,
		      struct p11key **out)
{
	struct p11key *k = calloc(1, sizeof(*k));
	CK_SLOT_ID slot;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)(uintptr_t)object, strlen(object) },
	};
	CK_ULONG found = 0;
	CK_RV rv;

	if (k == NULL)
		return -1;
	if ((k->mods = p11_kit_modules_load_and_initialize(0)) == NULL) {
		fprintf(stderr, "p11key: p11-kit: %s\n", p11_kit_message());
		free(k);
		return -1;
	}
	if (find_slot(k, token, &slot) != 0)
		goto fail;
	if ((rv = k->mod->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &k->sess)) != CKR_OK)
		goto fail;
	rv = k->mod->C_Login(k->sess, CKU_USER, (CK_UTF8CHAR_PTR)(uintptr_t)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "p11key: C_Login: %s\n", p11_kit_strerror(rv));
		goto fail;
	}
	if (k->mod->C_FindObjectsInit(k->sess, tmpl, 2) != CKR_OK)
		goto fail;
	rv = k->mod->C_FindObjects(k->sess, &k->priv, 1, &found);
	k->mod->C_FindObjectsFinal(k->sess);
	if (rv != CKR_OK || found != 1) {
		fprintf(stderr, "p11key: no private key '%s' in token '%s'\n", object, token);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	p11key_close(k);
	return -1;
}

int p11key_open_pem(const char *path, struct p11key **out)
{
	struct p11key *k = calloc(1, sizeof(*k));
	FILE *f = fopen(path, "r");

	if (k == NULL || f == NULL) {
		free(k);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k->pkey == NULL) {
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

static int sign_pem(EVP_PKEY *pkey, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	size_t dlen = sizeof(der);
	const unsigned char *p = der;
	ECDSA_SIG *es = NULL;
	int r = -1;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, der, &dlen, msg, len) != 1)
		goto out;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) == NULL)
		goto out;
	if (BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) != 32)
		goto out;
	r = 0;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return r;
}

int p11key_sign(struct p11key *k, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	uint8_t dig[32];
	CK_ULONG slen = 64;

	if (k->pkey != NULL)
		return sign_pem(k->pkey, msg, len, sig);
	SHA256(msg, len, dig);
	if (k->mod->C_SignInit(k->sess, &mech, k->priv) != CKR_OK)
		return -1;
	if (k->mod->C_Sign(k->sess, dig, 32, sig, &slen) != CKR_OK || slen != 64)
		return -1;
	return 0;
}

void p11key_close(struct p11key *k)
{
	if (k == NULL)
		return;
	if (k->mods != NULL) {
		if (k->mod != NULL && k->sess != 0)
			k->mod->C_CloseSession(k->sess);
		p11_kit_modules_finalize_and_release(k->mods);
	}
	EVP_PKEY_free(k->pkey);
	free(k);
}
