/* The co-signer's TLS server context and the broker key pin (net.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_log.h"

static int conf_idx = -1; /* SSL_CTX ex_data: the configuration (its pins) */

/* The context's copy of the configuration goes with the context. */
static void conf_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp)
{
	OPENSSL_free(ptr);
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
	         reason[0] ? reason : "unknown reason");
	ERR_clear_error();
	return PL_E_COS_TLS_SETUP;
}

/* SHA-256 of x's SubjectPublicKeyInfo DER (what curl's --pinnedpubkey hashes). */
static int spki_sha256(X509 *x, uint8_t out[32])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	int ok;

	if (len <= 0)
		return PL_E_COS_NOT_PINNED;
	ok = EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	OPENSSL_free(der);
	return ok ? 0 : PL_E_COS_NOT_PINNED;
}

static int pinned(const struct cosign_conf *c, X509 *x)
{
	uint8_t h[32];
	int hit = 0;

	if (x == NULL || spki_sha256(x, h) != 0)
		return PL_E_COS_NOT_PINNED;
	for (uint32_t i = 0; i < c->broker_pins && i < COSIGN_PINS_MAX; i++)
		hit |= plt_ct_equal(h, c->broker_pin[i], sizeof(h));
	return hit ? 0 : PL_E_COS_NOT_PINNED;
}

static void log_refused(X509_STORE_CTX *st, int e, const char *reason)
{
	X509 *x = X509_STORE_CTX_get_current_cert(st);
	char subject[256] = "", depth[16], code[16];

	snprintf(depth, sizeof(depth), "%d", X509_STORE_CTX_get_error_depth(st));
	snprintf(code, sizeof(code), "%d", e);
	if (x != NULL)
		X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	pl_log_rl(PL_LOG_WARN, "tls_client_refused", "x509_error", code, "reason", reason, "depth",
	          depth, "subject", subject, NULL);
}

/* The chain as OpenSSL verified it, then the pin on the leaf. */
static int verify_cb(int ok, X509_STORE_CTX *st)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct cosign_conf *c =
	    ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), conf_idx) : NULL;

	if (!ok) {
		int e = X509_STORE_CTX_get_error(st);

		log_refused(st, e, X509_verify_cert_error_string(e));
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(st) != 0)
		return 1;
	if (c == NULL || pinned(c, X509_STORE_CTX_get_current_cert(st)) != 0) {
		X509_STORE_CTX_set_error(st, X509_V_ERR_APPLICATION_VERIFICATION);
		log_refused(st, X509_V_ERR_APPLICATION_VERIFICATION,
		            "the client key is not the pinned broker key (broker_pin)");
		return 0;
	}
	return 1;
}

int net_tls_peer_pinned(const struct cosign_conf *c, SSL *ssl)
{
	if (ssl == NULL || !SSL_is_init_finished(ssl) || SSL_get_verify_result(ssl) != X509_V_OK)
		return PL_E_COS_NOT_PINNED;
	return pinned(c, SSL_get0_peer_certificate(ssl));
}

static int load_files(SSL_CTX *ctx, const struct cosign_conf *c, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) * names;

	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1)
		return fail(err, errlen, "cannot load tls_cert", c->tls_cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1)
		return fail(err, errlen, "cannot load tls_key", c->tls_key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return fail(err, errlen, "tls_key does not match tls_cert", c->tls_key);
	if (SSL_CTX_load_verify_locations(ctx, c->client_ca, NULL) != 1)
		return fail(err, errlen, "cannot load client_ca", c->client_ca);
	if ((names = SSL_load_client_CA_file(c->client_ca)) == NULL)
		return fail(err, errlen, "client_ca holds no certificate", c->client_ca);
	SSL_CTX_set_client_CA_list(ctx, names);
	return 0;
}

int net_tls_ctx(const struct cosign_conf *c, SSL_CTX **out, char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;
	struct cosign_conf *copy = NULL;
	int r;

	if (conf_idx < 0 &&
	    (conf_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, conf_free_cb)) < 0)
		return fail(err, errlen, "cannot set up TLS", NULL);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return fail(err, errlen, "cannot create the TLS context", NULL);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		r = fail(err, errlen, "cannot restrict to TLS 1.3", NULL);
		goto out;
	}
	if ((r = load_files(ctx, c, err, errlen)) != 0)
		goto out;
	/* The context keeps its own copy: the pins are read in every handshake. */
	if ((copy = OPENSSL_malloc(sizeof(*copy))) == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	*copy = *c;
	if (SSL_CTX_set_ex_data(ctx, conf_idx, copy) != 1) {
		OPENSSL_free(copy);
		r = fail(err, errlen, "cannot set up TLS", NULL);
		goto out;
	}
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* Tickets and the session cache off: every connection is verified and pinned anew. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx); /* with its copy of the configuration */
	return r;
}
