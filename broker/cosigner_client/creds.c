/*
 * The cosigner-client's credentials, read once before it drops its
 * privileges: the broker's client certificate and key for the co-signer
 * (checked to parse and to belong together) and the co-signer's address,
 * resolved once (the process cannot read /etc/hosts or reach a resolver
 * afterwards; a new address needs a restart of pitlaned).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cosign_config.h"
#include "cosigner_client.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_file.h"

/* The certificate and the key parse and the key is the certificate's. */
static int pair_check(const struct cc_creds *cr, const struct broker_config *c, char *err,
                      size_t errlen)
{
	BIO *cb = BIO_new_mem_buf(cr->cert_pem, (int)cr->cert_len);
	BIO *kb = BIO_new_mem_buf(cr->key_pem, (int)cr->key_len);
	X509 *x = cb != NULL ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb != NULL ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	int r = PL_E_SRV_CONFIG_VALUE;

	if (x == NULL)
		snprintf(err, errlen, "cosigner_cert %s: not a PEM certificate", c->cosigner_cert);
	else if (k == NULL)
		snprintf(err, errlen, "cosigner_key %s: not a PEM private key (unencrypted)",
		         c->cosigner_key);
	else if (X509_check_private_key(x, k) != 1)
		snprintf(err, errlen,
		         "cosigner_key %s does not belong to cosigner_cert %s; give the key of "
		         "that certificate",
		         c->cosigner_key, c->cosigner_cert);
	else
		r = 0;
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return r;
}

/* The co-signer's first address, for CURLOPT_RESOLVE. */
static int resolve_once(struct cc_creds *cr, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char addr[INET6_ADDRSTRLEN];
	char host[CC_HOST_MAX];
	size_t hl = strlen(cr->host);
	int g;

	/* [v6] in the URL: getaddrinfo wants it bare */
	if (cr->host[0] == '[' && hl > 2)
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), cr->host + 1);
	else
		snprintf(host, sizeof(host), "%s", cr->host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((g = getaddrinfo(host, NULL, &hints, &ai)) != 0 || ai == NULL) {
		snprintf(err, errlen,
		         "cosigner_url: cannot resolve '%.200s': %.60s; check the name or give an "
		         "address",
		         host, gai_strerror(g));
		return PL_E_SRV_CONFIG_VALUE;
	}
	if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, addr,
		          sizeof(addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, addr,
		          sizeof(addr));
	freeaddrinfo(ai);
	snprintf(cr->resolve, sizeof(cr->resolve), "%s:%u:%s%s%s", cr->host, cr->port,
	         strchr(addr, ':') != NULL ? "[" : "", addr, strchr(addr, ':') != NULL ? "]" : "");
	return 0;
}

/* pl_read_secret_file strips the last newline; PEM readers want the line ended. */
static int key_newline(struct cc_creds *cr)
{
	char *k = malloc(cr->key_len + 2);

	if (k == NULL)
		return PL_E_NOMEM;
	memcpy(k, cr->key_pem, cr->key_len);
	k[cr->key_len] = '\n';
	k[cr->key_len + 1] = '\0';
	plt_wipe(cr->key_pem, cr->key_len);
	free(cr->key_pem);
	cr->key_pem = k;
	cr->key_len++;
	return 0;
}

int cc_creds_load(const struct broker_config *c, struct cc_creds *out, char *err, size_t errlen)
{
	struct cc_creds cr;
	uint8_t *cert = NULL;
	int r;

	memset(&cr, 0, sizeof(cr));
	if (c->cosigner_url[0] == '\0') {
		snprintf(err, errlen, "no co-signer configured (cosigner_url)");
		return PL_E_SRV_CONFIG_MISSING;
	}
	if ((r = cosign_config_host_port(c, cr.host, sizeof(cr.host), &cr.port)) != 0) {
		snprintf(err, errlen, "cosigner_url %s: no host and port", c->cosigner_url);
		goto out;
	}
	if (strchr(cr.host, ':') != NULL) {
		char h[CC_HOST_MAX];

		snprintf(h, sizeof(h), "[%.*s]", (int)sizeof(h) - 3, cr.host);
		snprintf(cr.host, sizeof(cr.host), "%s", h);
	}
	cosign_config_endpoint(c, cr.url, sizeof(cr.url));
	if ((r = pl_read_file(c->cosigner_cert, CC_PEM_MAX, &cert, &cr.cert_len)) != 0) {
		snprintf(err, errlen, "cosigner_cert %s: cannot read: %s", c->cosigner_cert,
		         pl_strerror(r));
		goto out;
	}
	cr.cert_pem = (char *)cert;
	cert = NULL;
	if ((r = pl_read_secret_file(c->cosigner_key, CC_PEM_MAX, &cr.key_pem, &cr.key_len)) != 0) {
		snprintf(err, errlen, "cosigner_key %s: cannot read: %s (owner-only, mode 0600)",
		         c->cosigner_key, pl_strerror(r));
		goto out;
	}
	if ((r = key_newline(&cr)) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((r = pair_check(&cr, c, err, errlen)) != 0)
		goto out;
	if (resolve_once(&cr, cr.resolve_err, sizeof(cr.resolve_err)) != 0)
		cr.resolve[0] = '\0';
	*out = cr;
	memset(&cr, 0, sizeof(cr));
	r = 0;
out:
	cc_creds_free(&cr);
	return r;
}

void cc_creds_free(struct cc_creds *cr)
{
	if (cr->key_pem != NULL) {
		plt_wipe(cr->key_pem, cr->key_len);
		free(cr->key_pem);
	}
	free(cr->cert_pem);
	cr->key_pem = cr->cert_pem = NULL;
	cr->key_len = cr->cert_len = 0;
}
