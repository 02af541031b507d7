/* The dealer CA store: loading and CRL updates. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "castore.h"
#include "pl_err.h"
#include "pl_err_server.h"

int castore_fail(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char reason[160];

	ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
	         e ? reason : "unknown error");
	ERR_clear_error();
	return PL_E_SRV_TLS_SETUP;
}

int castore_open_files(const char *ca_key, const char *ca, const char *crl, const char *eku,
                       X509_STORE **out, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	X509_LOOKUP *lu;
	char what[64];
	int r;

	if (st == NULL)
		return PL_E_NOMEM;
	if (X509_STORE_load_file(st, ca) != 1) {
		snprintf(what, sizeof(what), "cannot load %s", ca_key);
		r = castore_fail(err, errlen, what, ca);
		goto out;
	}
	if (crl != NULL && crl[0] != '\0') {
		lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());
		if (lu == NULL || X509_load_crl_file(lu, crl, X509_FILETYPE_PEM) <= 0) {
			r = castore_fail(err, errlen, "cannot load CRL", crl);
			goto out;
		}
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	if (eku != NULL && (r = techid_set_marker(st, eku)) != 0) {
		snprintf(err, errlen,
		         "technician_eku %.64s cannot be used (%s); give a dotted "
		         "OID that only technician certificates carry",
		         eku, pl_strerror(r));
		goto out;
	}
	*out = st;
	st = NULL;
	r = 0;
out:
	X509_STORE_free(st);
	return r;
}

int castore_open(const struct broker_config *c, X509_STORE **out, char *err, size_t errlen)
{
	return castore_open_files("client_ca", c->client_ca, c->crl, c->technician_eku, out, err,
	                          errlen);
}

/* The CA certificate of store that issued crl, or NULL. */
static X509 *crl_issuer(X509_STORE *store, X509_CRL *crl)
{
	STACK_OF(X509_OBJECT) * objs;
	X509 *found = NULL;

	if (!X509_STORE_lock(store))
		return NULL;
	objs = X509_STORE_get0_objects(store);
	for (int i = 0; found == NULL && i < sk_X509_OBJECT_num(objs); i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (ca != NULL &&
		    X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
		    X509_up_ref(ca) == 1)
			found = ca;
	}
	X509_STORE_unlock(store);
	return found;
}

/* 0 when crl was issued and signed by a CA of store and is not past its use. */
static int crl_check_one(X509_STORE *store, X509_CRL *crl, size_t i, char *err, size_t errlen)
{
	X509 *ca = crl_issuer(store, crl);
	EVP_PKEY *pk = ca != NULL ? X509_get0_pubkey(ca) : NULL;
	int r = PL_E_SRV_TLS_SETUP;

	if (ca == NULL)
		snprintf(err, errlen, "CRL %zu is not from a CA of client_ca", i + 1);
	else if (pk == NULL || X509_CRL_verify(crl, pk) != 1)
		snprintf(err, errlen, "CRL %zu: the signature does not verify with its CA's key",
		         i + 1);
	else if (X509_CRL_get0_nextUpdate(crl) != NULL &&
	         X509_cmp_current_time(X509_CRL_get0_nextUpdate(crl)) < 0)
		snprintf(err, errlen, "CRL %zu is past its nextUpdate; publish a fresh CRL", i + 1);
	else
		r = 0;
	X509_free(ca);
	ERR_clear_error();
	return r;
}

int castore_crl_update(X509_STORE *store, const void *pem, size_t len, size_t *n, char *err,
                       size_t errlen)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	X509_CRL *crl;
	int r = PL_E_SRV_TLS_SETUP;

	if (crls == NULL || bio == NULL) {
		snprintf(err, errlen, "out of memory");
		r = PL_E_NOMEM;
		goto out;
	}
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_CRL_push(crls, crl)) {
			X509_CRL_free(crl);
			goto out;
		}
	/* the end of the input is the only error that may end the loop */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    sk_X509_CRL_num(crls) == 0) {
		snprintf(err, errlen, "CRL %d does not parse as PEM", sk_X509_CRL_num(crls) + 1);
		goto out;
	}
	ERR_clear_error();
	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		if ((r = crl_check_one(store, sk_X509_CRL_value(crls, i), (size_t)i, err,
		                       errlen)) != 0)
			goto out;
	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		if (X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i)) != 1) {
			snprintf(err, errlen, "CRL %d could not be added", i + 1);
			r = PL_E_SRV_TLS_SETUP;
			goto out;
		}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	*n = (size_t)sk_X509_CRL_num(crls);
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return r;
}
