/*
 * Certificate subject identities and the technician marker.
 *
 * Roles: the dealer CA issues both device (TLS client) and technician
 * certificates. Only a certificate with the technician marker may sign a
 * request (techid_verify, broker/decider/techid.c, checks it first, before
 * any signature), and tls_peer_identity() and the decider's device check
 * refuse it as a TLS client, so neither can stand in for the other.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "pl_err.h"
#include "pl_err_server.h"

/* The single entry nid of name as printable UTF-8 into dst. */
static int one_entry(const X509_NAME *name, int nid, char *dst, size_t cap)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int len, r = PL_E_SRV_IDENTITY;

	if (idx < 0 || X509_NAME_get_index_by_NID(name, nid, idx) >= 0)
		return PL_E_SRV_IDENTITY;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len <= 0 || (size_t)len >= cap)
		goto out;
	for (int i = 0; i < len; i++)
		if (utf8[i] < 0x20 || utf8[i] == 0x7f)
			goto out;
	memcpy(dst, utf8, (size_t)len);
	dst[len] = '\0';
	r = 0;
out:
	OPENSSL_free(utf8);
	return r;
}

int identity_from_cert(X509 *x, struct cert_identity *out)
{
	struct cert_identity id;
	const X509_NAME *name;
	int r;

	if (x == NULL || (name = X509_get_subject_name(x)) == NULL)
		return PL_E_SRV_IDENTITY;
	if ((r = one_entry(name, NID_commonName, id.cn, sizeof(id.cn))) != 0)
		return r;
	if ((r = one_entry(name, NID_organizationalUnitName, id.ou, sizeof(id.ou))) != 0)
		return r;
	*out = id;
	return 0;
}

/* The technician marker of a store (ex_data); none set: TECHID_EKU_DEFAULT. */
struct marker {
	ASN1_OBJECT *oid;
	uint64_t serial; /* a new one with every techid_set_marker() */
};

static int marker_idx = -1;
static ASN1_OBJECT *default_marker;
static pthread_once_t marker_once = PTHREAD_ONCE_INIT;
static atomic_ullong marker_serials;

static void marker_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp)
{
	struct marker *m = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (m != NULL)
		ASN1_OBJECT_free(m->oid);
	free(m);
}

static void marker_index_init(void)
{
	marker_idx = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, marker_free_cb);
	default_marker = OBJ_txt2obj(TECHID_EKU_DEFAULT, 1);
}

static const struct marker *store_marker(X509_STORE *store)
{
	pthread_once(&marker_once, marker_index_init);
	if (marker_idx < 0 || store == NULL)
		return NULL;
	return X509_STORE_get_ex_data(store, marker_idx);
}

int techid_set_marker(X509_STORE *store, const char *oid)
{
	struct marker *m;
	ASN1_OBJECT *o;
	int nid;

	pthread_once(&marker_once, marker_index_init);
	if (store == NULL || oid == NULL || (o = OBJ_txt2obj(oid, 1)) == NULL)
		return PL_E_INVAL;
	nid = OBJ_obj2nid(o);
	if (nid == NID_client_auth || nid == NID_server_auth || nid == NID_anyExtendedKeyUsage) {
		ASN1_OBJECT_free(o);
		return PL_E_INVAL;
	}
	if (marker_idx < 0 || (m = calloc(1, sizeof(*m))) == NULL) {
		ASN1_OBJECT_free(o);
		return PL_E_NOMEM;
	}
	m->oid = o;
	m->serial = atomic_fetch_add(&marker_serials, 1) + 1;
	marker_free_cb(NULL, X509_STORE_get_ex_data(store, marker_idx), NULL, 0, 0, NULL);
	if (X509_STORE_set_ex_data(store, marker_idx, m) != 1) {
		marker_free_cb(NULL, m, NULL, 0, 0, NULL);
		X509_STORE_set_ex_data(store, marker_idx, NULL);
		return PL_E_NOMEM;
	}
	return 0;
}

uint64_t techid_marker_serial(X509_STORE *store)
{
	const struct marker *m = store_marker(store);

	return m != NULL ? m->serial : 0;
}

int techid_has_marker(X509_STORE *store, X509 *x)
{
	const struct marker *sm = store_marker(store);
	const ASN1_OBJECT *m = sm != NULL ? sm->oid : default_marker;
	EXTENDED_KEY_USAGE *eku;
	int crit = 0, found = 0;

	if (m == NULL || x == NULL)
		return 0;
	/* A duplicated EKU extension comes back NULL: no marker (fail closed). */
	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL)) == NULL)
		return 0;
	for (int i = 0; !found && i < sk_ASN1_OBJECT_num(eku); i++)
		found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), m) == 0;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

X509 *identity_der_cert(const struct plt_bytes *b)
{
	const unsigned char *p = b->ptr;
	X509 *x;

	if (b->len > IDENT_CERT_DER_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)b->len);
	if (x != NULL && p != b->ptr + b->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int identity_chain_ctx(X509_STORE *store, X509 *leaf, const struct plt_bytes *certs, size_t n,
                       int64_t now, int bad, STACK_OF(X509) * *chain, X509_STORE_CTX **ctx,
                       char *why, size_t whylen)
{
	if ((*chain = sk_X509_new_null()) == NULL)
		return PL_E_NOMEM;
	for (size_t i = 1; i < n; i++) {
		X509 *x = identity_der_cert(&certs[i]);

		if (x == NULL || !sk_X509_push(*chain, x)) {
			X509_free(x);
			snprintf(why, whylen, "x5chain entry %zu is not a valid DER certificate",
			         i);
			return bad;
		}
	}
	if ((*ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(*ctx, store, leaf, *chain) != 1)
		return PL_E_NOMEM;
	X509_STORE_CTX_set_purpose(*ctx, X509_PURPOSE_ANY);
	X509_STORE_CTX_set_time(*ctx, 0, (time_t)now);
	return 0;
}
