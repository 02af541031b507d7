/* See rawhttps.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "rawhttps.h"

#define HEAD_MAX 4096

struct rawhttps {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char host[64];
	unsigned port;
	char path[256];
	char buf[HEAD_MAX];     /* bytes read past the previous answer */
	size_t have;
};

static int parse_url(struct rawhttps *c, const char *url)
{
	const char *p = url, *colon, *slash;

	if (strncmp(p, "https://", 8) != 0)
		return -1;
	p += 8;
	if ((colon = strchr(p, ':')) == NULL || (size_t)(colon - p) >= sizeof(c->host))
		return -1;
	memcpy(c->host, p, (size_t)(colon - p));
	c->host[colon - p] = '\0';
	c->port = (unsigned)strtoul(colon + 1, NULL, 10);
	slash = strchr(colon, '/');
	snprintf(c->path, sizeof(c->path), "%s", slash ? slash : "/");
	return c->port > 0 && c->port < 65536 ? 0 : -1;
}

static int tcp_connect(struct rawhttps *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port) };
	int one = 1;

	if (inet_pton(AF_INET, c->host, &a.sin_addr) != 1)
		return -1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* header and body are one write, but the answer must not wait for a delayed ACK */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

struct rawhttps *rawhttps_new(const char *url, const char *cacert, const char *cert,
			      const char *key)
{
	struct rawhttps *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	if (parse_url(c, url) != 0) {
		fprintf(stderr, "rawhttps: %s: want https://IPv4:PORT/PATH\n", url);
		goto fail;
	}
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(c->ctx, cacert, NULL) != 1 ||
	    (cert != NULL && (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1 ||
			      SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1))) {
		fprintf(stderr, "rawhttps: TLS set-up failed\n");
		goto fail;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (tcp_connect(c) != 0 || (c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) != 1 ||
	    SSL_connect(c->ssl) != 1) {
		fprintf(stderr, "rawhttps: cannot connect to %s:%u\n", c->host, c->port);
		ERR_print_errors_fp(stderr);
		goto fail;
	}
	return c;
fail:
	rawhttps_free(c);
	return NULL;
}

static int write_all(SSL *s, const void *p, size_t n)
{
	size_t w = 0;

	while (w < n) {
		int r = SSL_write(s, (const char *)p + w, (int)(n - w));
		if (r <= 0)
			return -1;
		w += (size_t)r;
	}
	return 0;
}

/* Reads until the header block is complete; returns its length (up to and with CRLFCRLF). */
static long read_head(struct rawhttps *c)
{
	for (;;) {
		char *end;
		int r;

		c->buf[c->have] = '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")) != NULL)
			return end + 4 - c->buf;
		if (c->have + 1 >= sizeof(c->buf))
			return -1;
		r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof(c->buf) - 1 - c->have));
		if (r <= 0)
			return -1;
		c->have += (size_t)r;
	}
}

static long header_number(const char *head, const char *name)
{
	const char *p = head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return strtol(p + n + 1, NULL, 10);
	}
	return -1;
}

int rawhttps_post(struct rawhttps *c, const char *content_type, const uint8_t *body,
		  size_t len, long *status, uint8_t *out, size_t cap, size_t *out_len)
{
	char req[HEAD_MAX + 8192];
	long head, clen;
	size_t got;
	int n;

	n = snprintf(req, sizeof(req),
		     "POST %s HTTP/1.1\r\nHost: %s:%u\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     c->path, c->host, c->port, content_type, len);
	if (n < 0 || (size_t)n + len > sizeof(req))
		return -1;
	memcpy(req + n, body, len);
	if (write_all(c->ssl, req, (size_t)n + len) != 0 || (head = read_head(c)) < 0)
		return -1;
	if (sscanf(c->buf, "HTTP/1.1 %ld", status) != 1 ||
	    (clen = header_number(c->buf, "Content-Length")) < 0 || (size_t)clen > cap)
		return -1;
	/* the body: what came with the head, then the rest */
	got = c->have - (size_t)head < (size_t)clen ? c->have - (size_t)head : (size_t)clen;
	memcpy(out, c->buf + head, got);
	memmove(c->buf, c->buf + head + got, c->have - (size_t)head - got);
	c->have -= (size_t)head + got;
	while (got < (size_t)clen) {
		int r = SSL_read(c->ssl, out + got, (int)((size_t)clen - got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	*out_len = got;
	return 0;
}

void rawhttps_free(struct rawhttps *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	SSL_CTX_free(c->ctx);
	free(c);
}
