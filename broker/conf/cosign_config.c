/* broker.conf's co-signer keys: parsing and the all-or-nothing check (cosign_config.h). */
#include <stdio.h>
#include <string.h>

#include "cosign_config.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_parse.h"

#define PIN_PREFIX "sha256//"
#define PIN_B64_LEN 44 /* base64 of 32 bytes, with one '=' */
#define COSIGN_PATH "/v1/cosign"

void cosign_config_defaults(struct broker_config *c)
{
	c->cosigner_timeout_ms = COSIGN_TIMEOUT_DEFAULT_MS;
	snprintf(c->cosigned_operations, sizeof(c->cosigned_operations), "%s", COSIGN_OPS_DEFAULT);
}

/* The authority of an https URL: host (name, IPv4 or [IPv6]) and a port. */
static int split_url(const char *v, char *host, size_t cap, unsigned *port, const char **path)
{
	const char *a = v + 8, *end, *colon;
	uint32_t p;
	char ps[8];
	size_t hl;

	if (strncmp(v, "https://", 8) != 0)
		return PL_E_INVAL;
	end = a + strcspn(a, "/?#");
	if (*end == '?' || *end == '#')
		return PL_E_INVAL;
	if (*a == '[') {
		const char *rb = memchr(a, ']', (size_t)(end - a));

		if (rb == NULL || rb[1] != ':')
			return PL_E_INVAL;
		hl = (size_t)(rb - a - 1);
		a++;
		colon = rb + 1;
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		if (colon == NULL)
			return PL_E_INVAL;
		hl = (size_t)(colon - a);
	}
	if (hl == 0 || hl >= cap || (size_t)(end - colon - 1) >= sizeof(ps) || end == colon + 1)
		return PL_E_INVAL;
	memcpy(ps, colon + 1, (size_t)(end - colon - 1));
	ps[end - colon - 1] = '\0';
	if (pl_parse_u32(ps, 1, 65535, &p) != 0)
		return PL_E_INVAL;
	for (size_t i = 0; i < hl; i++) {
		char ch = a[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':'))
			return PL_E_INVAL;
	}
	memcpy(host, a, hl);
	host[hl] = '\0';
	*port = p;
	*path = end;
	return 0;
}

int cosign_set_url(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;
	char host[256];
	unsigned port;
	const char *path;

	if (strlen(v) >= sizeof(c->cosigner_url) - sizeof(COSIGN_PATH) ||
	    split_url(v, host, sizeof(host), &port, &path) != 0 ||
	    !(*path == '\0' || strcmp(path, "/") == 0 || strcmp(path, COSIGN_PATH) == 0)) {
		snprintf(msg, msglen,
		         "cosigner_url must be https://HOST:PORT (the port given, no other path "
		         "than " COSIGN_PATH "), got '%.200s'",
		         v);
		return PL_E_SRV_CONFIG_VALUE;
	}
	snprintf(c->cosigner_url, sizeof(c->cosigner_url), "%s", v);
	return 0;
}

static int b64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

/* One "sha256//" + 43 base64 characters + "=" (curl's format), len bytes at p. */
static int pin_one_ok(const char *p, size_t len)
{
	size_t pl = sizeof(PIN_PREFIX) - 1;

	if (len != pl + PIN_B64_LEN || strncmp(p, PIN_PREFIX, pl) != 0 ||
	    p[pl + PIN_B64_LEN - 1] != '=')
		return 0;
	for (size_t i = pl; i < pl + PIN_B64_LEN - 1; i++)
		if (!b64_char(p[i]))
			return 0;
	return 1;
}

int cosign_set_pin(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;
	const char *p = v;
	int ok = strlen(v) < sizeof(c->cosigner_pin);

	while (ok) {
		size_t n = strcspn(p, ";");

		ok = pin_one_ok(p, n);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (!ok) {
		snprintf(msg, msglen,
		         "cosigner_pin must be sha256//BASE64 (the SHA-256 of the co-signer's "
		         "public key, as `openssl pkey -pubin -outform der | openssl dgst -sha256 "
		         "-binary | base64` prints it; ';' between several), got '%.200s'",
		         v);
		return PL_E_SRV_CONFIG_VALUE;
	}
	snprintf(c->cosigner_pin, sizeof(c->cosigner_pin), "%s", v);
	return 0;
}

/* An operation name as the policy's catalogue has them: [a-z0-9_.-], 1..31 characters. */
static int op_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int cosign_set_ops(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;
	const char *p = v;
	int ok = strlen(v) < sizeof(c->cosigned_operations);

	while (ok && *p != '\0') {
		size_t n = strcspn(p, " \t");

		ok = op_name_ok(p, n);
		p += n;
		p += strspn(p, " \t");
	}
	if (!ok) {
		snprintf(msg, msglen,
		         "cosigned_operations must be operation names separated by blanks "
		         "(e.g. %s), got '%.200s'",
		         COSIGN_OPS_DEFAULT, v);
		return PL_E_SRV_CONFIG_VALUE;
	}
	snprintf(c->cosigned_operations, sizeof(c->cosigned_operations), "%s", v);
	return 0;
}

int cosign_config_check(const struct broker_config *c, const char *name, char *err, size_t errlen)
{
	int url = c->cosigner_url[0] != '\0';
	const char *missing = c->cosigner_pin[0] == '\0'    ? "cosigner_pin"
	                      : c->cosigner_cert[0] == '\0' ? "cosigner_cert"
	                      : c->cosigner_key[0] == '\0'  ? "cosigner_key"
	                                                    : NULL;

	if (url && missing != NULL) {
		snprintf(err, errlen,
		         "%s: cosigner_url is set but %s is missing; the co-signer needs its pin "
		         "and the broker's client certificate and key (docs/broker.md, "
		         "\"Co-signer\")",
		         name, missing);
		return PL_E_SRV_CONFIG_MISSING;
	}
	if (!url && (c->cosigner_pin[0] != '\0' || c->cosigner_cert[0] != '\0' ||
	             c->cosigner_key[0] != '\0')) {
		snprintf(err, errlen,
		         "%s: cosigner_pin, cosigner_cert or cosigner_key is set without "
		         "cosigner_url; add the co-signer's URL or remove them",
		         name);
		return PL_E_SRV_CONFIG_MISSING;
	}
	return 0;
}

int cosign_config_op(const struct broker_config *c, const char *op)
{
	const char *p = c->cosigned_operations;
	size_t ol = strlen(op);

	if (c->cosigner_url[0] == '\0')
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, " \t");

		if (n == ol && strncmp(p, op, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

void cosign_config_endpoint(const struct broker_config *c, char *out, size_t cap)
{
	size_t n = strlen(c->cosigner_url);
	const char *sfx = COSIGN_PATH;
	const char *u = c->cosigner_url;

	if (n >= sizeof(COSIGN_PATH) - 1 && strcmp(u + n - (sizeof(COSIGN_PATH) - 1), sfx) == 0)
		sfx = "";
	else if (n > 0 && u[n - 1] == '/')
		sfx = &COSIGN_PATH[1];
	snprintf(out, cap, "%s%s", u, sfx);
}

int cosign_config_host_port(const struct broker_config *c, char *host, size_t cap, unsigned *port)
{
	const char *path;

	return split_url(c->cosigner_url, host, cap, port, &path);
}
