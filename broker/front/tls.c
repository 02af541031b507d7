/* TLS server context and verified peer identity. */
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
#include "tls.h"

static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());

	if (lu == NULL || X509_load_crl_file(lu, path, X509_FILETYPE_PEM) <= 0)
		return castore_fail(err, errlen, "cannot load CRL", path);
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

int tls_server_ctx(const struct broker_config *c, SSL_verify_cb verify_cb, SSL_CTX **out, char *err,
                   size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509_NAME) *names = NULL;
	int r;

	if (ctx == NULL)
		return castore_fail(err, errlen, "cannot create TLS context", NULL);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		r = castore_fail(err, errlen, "cannot restrict to TLS 1.3", NULL);
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		r = castore_fail(err, errlen, "cannot load tls_cert", c->tls_cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1) {
		r = castore_fail(err, errlen, "cannot load tls_key", c->tls_key);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		r = castore_fail(err, errlen, "tls_key does not match tls_cert", c->tls_key);
		goto out;
	}
	if (SSL_CTX_load_verify_locations(ctx, c->client_ca, NULL) != 1) {
		r = castore_fail(err, errlen, "cannot load client_ca", c->client_ca);
		goto out;
	}
	if ((names = SSL_load_client_CA_file(c->client_ca)) == NULL) {
		r = castore_fail(err, errlen, "client_ca holds no certificate", c->client_ca);
		goto out;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (c->crl[0] != '\0' && (r = load_crl(ctx, c->crl, err, errlen)) != 0)
		goto out;
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* Tickets and the session cache off: a resumed session would skip the CRL check. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx);
	return r;
}

int tls_peer_identity(SSL *ssl, struct cert_identity *out)
{
	X509 *peer;

	if (ssl == NULL || !SSL_is_init_finished(ssl))
		return PL_E_SRV_IDENTITY;
	if ((peer = SSL_get0_peer_certificate(ssl)) == NULL)
		return PL_E_SRV_IDENTITY;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return PL_E_SRV_IDENTITY;
	/* A technician's certificate (and key) never stands in for a workshop PC's. */
	if (techid_has_marker(SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), peer))
		return PL_E_SRV_TECH_AS_DEVICE;
	return identity_from_cert(peer, out);
}

int tls_peer_recheck(X509_STORE *store, SSL *ssl, int *x509_err)
{
	X509 *peer = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	X509_STORE_CTX *ctx;
	int ok;

	*x509_err = X509_V_OK;
	if (peer == NULL)
		return 0;
	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		*x509_err = X509_V_ERR_OUT_OF_MEM;
		return PL_E_SRV_IDENTITY; /* fail closed */
	}
	/* The same checks as the handshake: the store's flags (CRL_CHECK), client purpose. */
	ok = X509_STORE_CTX_init(ctx, store, peer, SSL_get_peer_cert_chain(ssl)) == 1 &&
	     X509_STORE_CTX_set_default(ctx, "ssl_client") == 1 &&
	     X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1;
	if (ok) {
		X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), 4);
		ok = X509_verify_cert(ctx) == 1;
	}
	*x509_err = ok ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	if (!ok && *x509_err == X509_V_OK)
		*x509_err = X509_V_ERR_UNSPECIFIED;
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : PL_E_SRV_IDENTITY;
}

int tls_peer_der(SSL *ssl, uint8_t *buf, size_t cap, size_t *len)
{
	STACK_OF(X509) * chain;
	X509 *peer;
	size_t n = 0;
	int k;

	if (ssl == NULL || (peer = SSL_get0_peer_certificate(ssl)) == NULL)
		return PL_E_SRV_IDENTITY;
	chain = SSL_get_peer_cert_chain(ssl); /* server side: without the leaf */
	for (int i = -1; i < (chain != NULL ? sk_X509_num(chain) : 0); i++) {
		X509 *x = i < 0 ? peer : sk_X509_value(chain, i);
		uint8_t *p = buf + n;

		if (i >= 0 && X509_cmp(x, peer) == 0)
			continue;
		if ((k = i2d_X509(x, NULL)) <= 0 || (size_t)k > cap - n)
			return PL_E_TOOBIG;
		if (i2d_X509(x, &p) != k)
			return PL_E_SRV_IDENTITY;
		n += (size_t)k;
	}
	*len = n;
	return 0;
}
