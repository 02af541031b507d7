/* broker.conf parser: "key value" lines, '#' comments, table-driven. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_file.h"
#include "pl_parse.h"

#define CONFIG_FILE_MAX (256 * 1024)

enum key_kind { K_STR, K_U32, K_ADDR, K_ADMIN };

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t off;      /* K_STR: char array; K_U32: uint32_t */
	size_t size;     /* K_STR: array size */
	uint32_t min, max;
	int required;
	const char *help;
};

#define STR(f, req, h) { #f, K_STR, offsetof(struct broker_config, f), \
	sizeof(((struct broker_config *)0)->f), 0, 0, req, h }
#define U32(f, lo, hi, h) { #f, K_U32, offsetof(struct broker_config, f), \
	sizeof(uint32_t), lo, hi, 0, h }

static const struct key_def keys[] = {
	{ "listen", K_ADDR, 0, 0, 0, 0, 1, "address:port of the mTLS API" },
	{ "admin_listen", K_ADMIN, 0, 0, 0, 0, 0, "loopback address:port for /metrics" },
	STR(tls_cert, 1, "PEM certificate chain of the broker"),
	STR(tls_key, 1, "PEM private key of the broker TLS certificate"),
	STR(client_ca, 1, "PEM bundle of the dealer CA"),
	STR(crl, 0, "PEM CRL of the dealer CA"),
	STR(key_uri, 1, "pkcs11: URI of the token signing key"),
	STR(pin_file, 1, "file holding the HSM user PIN (mode 0600)"),
	STR(policy_dir, 1, "directory of policy YAML files"),
	STR(database, 1, "SQLite audit database path"),
	STR(issuer, 0, "iss claim of issued tokens"),
	U32(workers, 1, 64, "worker threads"),
	U32(queue_max, 1, 65536, "requests waiting for a worker before 503"),
	U32(timeout_s, 1, 300, "connection inactivity timeout in seconds"),
	U32(max_body, 256, 65536, "largest request body in bytes"),
	U32(request_window_s, 5, 3600, "accepted |now - iat| of a request in seconds"),
	U32(replay_capacity, 64, 1048576, "request nonces remembered"),
	U32(max_exi_s, 1, 86400, "signer's hard limit on the token exi claim"),
	U32(checkpoint_rows, 1, 1000000, "signed audit checkpoint every N rows"),
	U32(checkpoint_seconds, 1, 86400, "signed audit checkpoint every T seconds"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void broker_config_defaults(struct broker_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->issuer, sizeof(c->issuer), "%s", "pitlane-broker");
	c->workers = 4;
	c->queue_max = 1024;
	c->timeout_s = 10;
	c->max_body = 16384;
	c->request_window_s = 120;
	c->replay_capacity = 65536;
	c->max_exi_s = 600;
	c->checkpoint_rows = 1000;
	c->checkpoint_seconds = 300;
}

int broker_config_parse_addr(const char *s, char host[BROKER_ADDR_MAX], uint16_t *port)
{
	const char *colon;
	char h[BROKER_ADDR_MAX];
	size_t hlen;
	uint32_t p;
	unsigned char tmp[16];

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return PL_E_SRV_ADDR;
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(h))
			return PL_E_SRV_ADDR;
		memcpy(h, s + 1, hlen);
		h[hlen] = '\0';
		if (inet_pton(AF_INET6, h, tmp) != 1)
			return PL_E_SRV_ADDR;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return PL_E_SRV_ADDR;
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(h))
			return PL_E_SRV_ADDR;
		memcpy(h, s, hlen);
		h[hlen] = '\0';
		if (inet_pton(AF_INET, h, tmp) != 1)
			return PL_E_SRV_ADDR;
	}
	if (pl_parse_u32(colon + 1, 0, 65535, &p) != 0)
		return PL_E_SRV_ADDR;
	memcpy(host, h, hlen + 1);
	*port = (uint16_t)p;
	return 0;
}

static int is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;
}

static const struct key_def *find_key(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* Applies one value; returns 0 or a code with err filled (without the location). */
static int apply(struct broker_config *c, const struct key_def *k, const char *v,
		 char *msg, size_t msglen)
{
	int r;

	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->size) {
			snprintf(msg, msglen, "%s is longer than %zu bytes", k->name, k->size - 1);
			return PL_E_SRV_CONFIG_VALUE;
		}
		memcpy((char *)c + k->off, v, strlen(v) + 1);
		return 0;
	case K_U32:
		r = pl_parse_u32(v, k->min, k->max, (uint32_t *)(void *)((char *)c + k->off));
		if (r != 0) {
			snprintf(msg, msglen, "%s must be a whole number from %u to %u, got '%.200s'",
				 k->name, k->min, k->max, v);
			return PL_E_SRV_CONFIG_VALUE;
		}
		return 0;
	case K_ADDR:
		if (broker_config_parse_addr(v, c->listen_host, &c->listen_port) != 0) {
			snprintf(msg, msglen, "listen must be IPv4:port or [IPv6]:port, got '%.200s'", v);
			return PL_E_SRV_ADDR;
		}
		return 0;
	case K_ADMIN:
		if (strcmp(v, "none") == 0) {
			c->admin_enabled = 0;
			return 0;
		}
		if (broker_config_parse_addr(v, c->admin_host, &c->admin_port) != 0) {
			snprintf(msg, msglen,
				 "admin_listen must be 127.0.0.1:port, [::1]:port or none, got '%.200s'", v);
			return PL_E_SRV_ADDR;
		}
		if (!is_loopback(c->admin_host)) {
			snprintf(msg, msglen,
				 "admin_listen '%.200s' is not a loopback address; /metrics is only served "
				 "on 127.0.0.1 or ::1", v);
			return PL_E_SRV_ADMIN_NOT_LOOPBACK;
		}
		c->admin_enabled = 1;
		return 0;
	}
	return PL_E_INTERNAL;
}

static int only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

/* Parses one line [p, end). Sets *seen bits. */
static int parse_line(struct broker_config *c, const char *p, const char *end,
		      unsigned char *seen, char *msg, size_t msglen)
{
	const char *ks, *ke, *vs, *ve;
	const struct key_def *k;
	char value[BROKER_URI_MAX + 1];

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#' || only_space(p, end))
		return 0;
	for (const char *q = p; q < end; q++) {
		if ((unsigned char)*q < 0x20 && *q != '\t' && *q != '\r') {
			snprintf(msg, msglen, "control character in line");
			return PL_E_SRV_CONFIG_SYNTAX;
		}
	}
	ks = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	ke = p;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	vs = p;
	ve = end;
	while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
		ve--;
	k = find_key(ks, (size_t)(ke - ks));
	if (k == NULL) {
		snprintf(msg, msglen, "unknown key '%.*s' (known keys are listed in docs/broker.md)",
			 (int)(ke - ks > 64 ? 64 : ke - ks), ks);
		return PL_E_SRV_CONFIG_KEY;
	}
	if (vs == ve) {
		snprintf(msg, msglen, "key '%s' has no value; write '%s <value>'", k->name, k->name);
		return PL_E_SRV_CONFIG_SYNTAX;
	}
	if ((size_t)(ve - vs) > BROKER_URI_MAX) {
		snprintf(msg, msglen, "value of '%s' is too long", k->name);
		return PL_E_SRV_CONFIG_VALUE;
	}
	if (seen[k - keys]) {
		snprintf(msg, msglen, "key '%s' given twice; keep one", k->name);
		return PL_E_SRV_CONFIG_DUP;
	}
	seen[k - keys] = 1;
	memcpy(value, vs, (size_t)(ve - vs));
	value[ve - vs] = '\0';
	return apply(c, k, value, msg, msglen);
}

int broker_config_parse(const char *name, const char *text, struct broker_config *out,
			char *err, size_t errlen)
{
	struct broker_config c;
	unsigned char seen[NKEYS] = { 0 };
	char msg[600];
	unsigned line = 0;
	const char *p = text;
	int r = 0;

	broker_config_defaults(&c);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);

		line++;
		msg[0] = '\0';
		if ((r = parse_line(&c, p, end, seen, msg, sizeof(msg))) != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, line, msg);
			return r;
		}
		p = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].required && !seen[i]) {
			snprintf(err, errlen, "%s:%u: required key '%s' (%s) is missing; add a line "
				 "'%s <value>'", name, line, keys[i].name, keys[i].help, keys[i].name);
			return PL_E_SRV_CONFIG_MISSING;
		}
	}
	if (strncmp(c.key_uri, "pkcs11:", 7) != 0) {
		snprintf(err, errlen, "%s: key_uri must be an RFC 7512 'pkcs11:' URI", name);
		return PL_E_SRV_CONFIG_VALUE;
	}
	*out = c;
	return 0;
}

int broker_config_load(const char *path, struct broker_config *c, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, CONFIG_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read config: %s", path, pl_strerror(r));
		return r;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: config contains a NUL byte", path);
		free(buf);
		return PL_E_SRV_CONFIG_SYNTAX;
	}
	r = broker_config_parse(path, (const char *)buf, c, err, errlen);
	free(buf);
	return r;
}

static void print_addr(FILE *f, const char *key, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL)
		fprintf(f, "%s [%s]:%u\n", key, host, port);
	else
		fprintf(f, "%s %s:%u\n", key, host, port);
}

int broker_config_print(const struct broker_config *c, FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		const char *s;

		switch (k->kind) {
		case K_ADDR:
			print_addr(f, k->name, c->listen_host, c->listen_port);
			break;
		case K_ADMIN:
			if (c->admin_enabled)
				print_addr(f, k->name, c->admin_host, c->admin_port);
			else
				fprintf(f, "%s none\n", k->name);
			break;
		case K_STR:
			s = (const char *)c + k->off;
			if (s[0] != '\0')
				fprintf(f, "%s %s\n", k->name, s);
			break;
		case K_U32:
			fprintf(f, "%s %u\n", k->name,
				*(const uint32_t *)(const void *)((const char *)c + k->off));
			break;
		}
	}
	return ferror(f) ? PL_E_IO : 0;
}
