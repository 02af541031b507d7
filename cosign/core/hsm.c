/* The co-signer's PKCS#11 key (hsm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hsm.h"
#include "p11.h"
#include "pitlane/token_openssl.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_err_signer.h"
#include "pl_file.h"

#define PIN_MAX 256
#define URI_MAX 1536

struct cosign_hsm {
	struct p11_uri *uri;
	char *pin;
	size_t pin_len;
	struct p11 *conn; /* NULL after a fault until the next call re-opens it */
	uint8_t pub[PLT_P256_PUB_LEN];
	uint8_t kid[PLT_KID_LEN];
	int ready;
};

static int reopen(struct cosign_hsm *h, char *err, size_t errlen)
{
	struct p11 *fresh = NULL;
	unsigned long ckr = 0;
	int r;

	p11_close(h->conn);
	h->conn = NULL;
	if ((r = p11_open(h->uri, h->pin, h->pin_len, 1, &fresh, &ckr, err, errlen)) != 0)
		return r;
	/* Re-opened after a fault: the same key or nothing. */
	if (h->ready >= 0 && plt_ct_equal(p11_public_point(fresh), h->pub, sizeof(h->pub)) != 1) {
		p11_close(fresh);
		snprintf(err, errlen, "the key found after the HSM came back is another key");
		return PL_E_COS_HSM;
	}
	h->conn = fresh;
	return 0;
}

int cosign_hsm_open(const struct cosign_conf *c, struct cosign_hsm **out, char *err, size_t errlen)
{
	struct cosign_hsm *h;
	char uri[URI_MAX];
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PL_E_NOMEM;
	h->ready = -1; /* no key known yet */
	if ((r = cosign_conf_key_uri(c, uri, sizeof(uri))) != 0) {
		snprintf(err, errlen,
		         "token_label, key_label and pkcs11_module make too long a URI");
		goto out;
	}
	if ((r = p11_uri_parse(uri, &h->uri, err, errlen)) != 0)
		goto out;
	if ((r = pl_read_secret_file(c->pin_file, PIN_MAX, &h->pin, &h->pin_len)) != 0) {
		snprintf(err, errlen, "pin_file %s: %s", c->pin_file, pl_strerror(r));
		goto out;
	}
	if ((r = reopen(h, err, errlen)) != 0)
		goto out;
	memcpy(h->pub, p11_public_point(h->conn), sizeof(h->pub));
	if ((r = plt_openssl_kid(h->pub, h->kid)) != 0) {
		snprintf(err, errlen, "cannot compute the key id: %s", pl_strerror(r));
		goto out;
	}
	h->ready = 1;
	*out = h;
	h = NULL;
	r = 0;
out:
	cosign_hsm_close(h);
	return r;
}

void cosign_hsm_close(struct cosign_hsm *h)
{
	if (h == NULL)
		return;
	p11_close(h->conn);
	p11_uri_free(h->uri);
	pl_free_wiped(h->pin, h->pin_len);
	plt_wipe(h, sizeof(*h));
	free(h);
}

const uint8_t *cosign_hsm_pub(const struct cosign_hsm *h)
{
	return h->pub;
}

const uint8_t *cosign_hsm_kid(const struct cosign_hsm *h)
{
	return h->kid;
}

static int sha256_parts(const struct plt_iov *parts, size_t n, uint8_t digest[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	int ok;

	if (md == NULL)
		return PL_E_NOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(md, parts[i].ptr, parts[i].len) == 1;
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : PL_E_CRYPTO;
}

int cosign_hsm_sign(void *ctx, const struct plt_iov *parts, size_t nparts, uint8_t sig[PLT_SIG_LEN])
{
	struct cosign_hsm *h = ctx;
	uint8_t digest[32];
	unsigned long ckr = 0;
	char err[256];
	int r;

	if ((r = sha256_parts(parts, nparts, digest)) != 0)
		return r;
	/* One fresh session after a fault (the HSM restarted, the session expired). */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (h->conn == NULL && (r = reopen(h, err, sizeof(err))) != 0)
			break;
		r = p11_sign_digest(h->conn, digest, sig, &ckr);
		if (r != PL_E_SIGNER_UNAVAILABLE)
			break;
		p11_close(h->conn);
		h->conn = NULL;
	}
	h->ready = r == 0;
	plt_wipe(digest, sizeof(digest));
	return r;
}

int cosign_hsm_ready(struct cosign_hsm *h)
{
	unsigned long ckr = 0;
	char err[256];

	if (h->conn == NULL && reopen(h, err, sizeof(err)) != 0)
		return 0;
	if (p11_probe(h->conn, &ckr) != 0) {
		p11_close(h->conn);
		h->conn = NULL;
		return 0;
	}
	return 1;
}

int cosign_hsm_write_pem(const struct cosign_hsm *h, FILE *f)
{
	void *pkey = NULL;
	int r;

	if ((r = plt_openssl_pkey_from_pub(h->pub, &pkey)) != 0)
		return r;
	r = PEM_write_PUBKEY(f, pkey) == 1 ? 0 : PL_E_IO;
	EVP_PKEY_free(pkey);
	return r;
}
