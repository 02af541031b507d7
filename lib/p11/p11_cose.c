/* COSE_Sign1 with x5chain signed by a PKCS#11 key (see p11_cose.h). */
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "p11_cose.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_file.h"

/* {1: -7 (ES256), 33: cert (x5chain)}. */
static int build_protected(const uint8_t *cert, size_t cert_len, uint8_t *out, size_t cap,
                           size_t *len)
{
	struct plt_cbor_writer w;

	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, 2);
	plt_cbor_put_uint(&w, 1);
	plt_cbor_put_int(&w, -7);
	plt_cbor_put_uint(&w, 33);
	plt_cbor_put_bstr(&w, cert, cert_len);
	return plt_cbor_writer_finish(&w, len);
}

/* ES256 over SHA-256 of Sig_structure ["Signature1", protected, h'', payload]. */
static int sign_tbs(struct p11 *p, const uint8_t *prot, size_t plen, const uint8_t *payload,
                    size_t ylen, uint8_t sig[64])
{
	struct plt_cbor_writer w;
	size_t tcap = plen + ylen + 64, tlen = 0;
	unsigned long ckr = 0;
	uint8_t *tbs, dig[32];
	int r;

	if ((tbs = malloc(tcap)) == NULL)
		return PL_E_NOMEM;
	plt_cbor_writer_init(&w, tbs, tcap);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_cstr(&w, "Signature1");
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_bstr(&w, NULL, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	if ((r = plt_cbor_writer_finish(&w, &tlen)) == 0) {
		SHA256(tbs, tlen, dig);
		r = p11_sign_digest(p, dig, sig, &ckr);
		plt_wipe(dig, sizeof(dig));
	}
	free(tbs);
	return r;
}

int p11_cose_sign1(struct p11 *p, const uint8_t *cert, size_t cert_len, const uint8_t *payload,
                   size_t ylen, uint8_t *out, size_t cap, size_t *len)
{
	struct plt_cbor_writer w;
	uint8_t *prot, sig[64];
	size_t plen = 0;
	int r;

	if ((prot = malloc(cert_len + 32)) == NULL)
		return PL_E_NOMEM;
	if ((r = build_protected(cert, cert_len, prot, cert_len + 32, &plen)) != 0 ||
	    (r = sign_tbs(p, prot, plen, payload, ylen, sig)) != 0)
		goto out;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_tag(&w, 18);
	plt_cbor_put_array(&w, 4);
	plt_cbor_put_bstr(&w, prot, plen);
	plt_cbor_put_map(&w, 0);
	plt_cbor_put_bstr(&w, payload, ylen);
	plt_cbor_put_bstr(&w, sig, sizeof(sig));
	r = plt_cbor_writer_finish(&w, len);
out:
	free(prot);
	return r;
}

static int cert_point(X509 *x, uint8_t point[65])
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	size_t n = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return -1;
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, point, 65, &n) != 1 ||
	    n != 65)
		return -1;
	return 0;
}

static X509 *pem_cert(const uint8_t *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

int p11_cose_cert_load(const char *path, size_t max, X509 **x, uint8_t **der, size_t *der_len,
                       uint8_t point[65], const char **why)
{
	uint8_t *pem = NULL;
	unsigned char *d = NULL;
	size_t len = 0;
	X509 *c;
	int n, r;

	if ((r = pl_read_file(path, max, &pem, &len)) != 0)
		return r;
	c = pem_cert(pem, len);
	free(pem);
	if (c == NULL || (n = i2d_X509(c, &d)) <= 0) {
		*why = "not a PEM certificate";
		X509_free(c);
		return PL_E_BADCERT;
	}
	if (cert_point(c, point) != 0) {
		*why = "the key is not EC P-256";
		OPENSSL_free(d);
		X509_free(c);
		return PL_E_BADCERT;
	}
	*x = c;
	*der = d;
	*der_len = (size_t)n;
	return 0;
}
