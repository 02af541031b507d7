/* cosignd.conf parser: "key value" lines, '#' comments, table-driven (lib/common pl_conf). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign_conf.h"
#include "pl_codec.h"
#include "pl_conf.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_file.h"
#include "pl_parse.h"

#define CONF_FILE_MAX (64 * 1024)
/* The technician marker of the demo PKI and the broker's default (broker/api/identity.h). */
#define COSIGN_TECH_EKU_DEFAULT "2.25.197166621731967863758900043443745532342"

static int set_listen(void *cfg, const char *v, char *msg, size_t msglen);
static int set_admin(void *cfg, const char *v, char *msg, size_t msglen);
static int set_pin(void *cfg, const char *v, char *msg, size_t msglen);
static int set_crl(void *cfg, const char *v, char *msg, size_t msglen);
static int set_eku(void *cfg, const char *v, char *msg, size_t msglen);
static int set_user(void *cfg, const char *v, char *msg, size_t msglen);

#define STR(f, req, h) PL_CONF_STR_KEY(struct cosign_conf, f, req, h)
#define U32(f, lo, hi, h) PL_CONF_U32_KEY(struct cosign_conf, f, lo, hi, h)
#define CUSTOM(n, req, h, fn)                                                                      \
	{                                                                                          \
		n, PL_CONF_CUSTOM, 0, 0, 0, 0, req, h, fn                                          \
	}

static const struct pl_conf_key keys[] = {
    CUSTOM("listen", 1, "address:port of the mTLS API for the broker", set_listen),
    CUSTOM("admin_listen", 0, "loopback address:port for /metrics, or none", set_admin),
    STR(tls_cert, 1, "PEM certificate chain of the co-signer's TLS server"),
    STR(tls_key, 1, "PEM private key of that certificate (mode 0600)"),
    STR(client_ca, 1, "PEM CA bundle that issued the broker's client certificate"),
    CUSTOM("broker_pin", 1, "sha256//BASE64 of the broker client key's SPKI", set_pin),
    U32(max_connections, 1, 65536, "API connections at once"),
    U32(timeout_s, 1, 300, "connection inactivity and handshake timeout in seconds"),
    U32(max_inflight, 1, 4096, "requests waiting for the core before 503 busy"),
    STR(pkcs11_module, 0, "PKCS#11 module path (default: p11-kit's registered modules)"),
    STR(token_label, 1, "label of the co-signer's own token"),
    STR(key_label, 1, "label of the co-signer's signing key on that token"),
    STR(pin_file, 1, "file holding the token's user PIN (mode 0600)"),
    STR(dealer_ca, 1, "PEM bundle of the dealer CA (technicians)"),
    CUSTOM("crl", 0, "PEM CRL of the dealer CA, or none (no revocation checks)", set_crl),
    CUSTOM("technician_eku", 0, "EKU OID that technician certificates carry", set_eku),
    STR(officer_ca, 0, "PEM bundle of the officer CA (officer approvals)"),
    STR(approvers, 0, "file of technicians allowed to approve, and for which operations"),
    STR(limits, 1, "the co-signer's hard limits file"),
    STR(audit_db, 1, "SQLite file of the co-signer's audit chain, replay store and counters"),
    STR(broker_token_key, 1, "PEM public key of the broker's token signing key"),
    U32(request_window_s, 5, 3600, "accepted |now - iat| of a request in seconds"),
    U32(approval_max_age_s, 60, 86400, "oldest approval decision accepted, in seconds"),
    CUSTOM("user", 0, "unprivileged user of the co-signer when started as root", set_user),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct pl_conf_codes codes = {
    .syntax = PL_E_COS_CONFIG_SYNTAX,
    .unknown = PL_E_COS_CONFIG_KEY,
    .dup = PL_E_COS_CONFIG_DUP,
    .value = PL_E_COS_CONFIG_VALUE,
    .missing = PL_E_COS_CONFIG_MISSING,
};

static const struct pl_conf_spec spec = {keys, NKEYS, &codes, "docs/cosigner.md"};

void cosign_conf_defaults(struct cosign_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_connections = 64;
	c->timeout_s = 10;
	c->max_inflight = 64;
	snprintf(c->technician_eku, sizeof(c->technician_eku), "%s", COSIGN_TECH_EKU_DEFAULT);
	c->request_window_s = 120;
	c->approval_max_age_s = 3600;
	snprintf(c->user, sizeof(c->user), "%s", "pitlane-cosign");
}

static int set_listen(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (pl_conf_parse_addr(v, c->listen_host, sizeof(c->listen_host), &c->listen_port) != 0) {
		snprintf(msg, msglen, "listen must be IPv4:port or [IPv6]:port, got '%.200s'", v);
		return PL_E_COS_CONFIG_VALUE;
	}
	return 0;
}

static int set_admin(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (strcmp(v, "none") == 0) {
		c->admin_enabled = 0;
		return 0;
	}
	if (pl_conf_parse_addr(v, c->admin_host, sizeof(c->admin_host), &c->admin_port) != 0 ||
	    (strcmp(c->admin_host, "127.0.0.1") != 0 && strcmp(c->admin_host, "::1") != 0)) {
		snprintf(msg, msglen,
		         "admin_listen must be 127.0.0.1:port, [::1]:port or none (/metrics is "
		         "served on loopback only), got '%.200s'",
		         v);
		return PL_E_COS_CONFIG_VALUE;
	}
	c->admin_enabled = 1;
	return 0;
}

int cosign_conf_parse_pins(const char *s, uint8_t pins[COSIGN_PINS_MAX][32], uint32_t *n)
{
	uint8_t tmp[COSIGN_PINS_MAX][32];
	uint32_t k = 0;
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, ';');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p), out = 0;

		if (k == COSIGN_PINS_MAX || len < 8 || strncmp(p, "sha256//", 8) != 0)
			return PL_E_COS_PIN_FORMAT;
		if (pl_b64_decode(p + 8, len - 8, tmp[k], sizeof(tmp[k]), &out) != 0 || out != 32)
			return PL_E_COS_PIN_FORMAT;
		k++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	memcpy(pins, tmp, sizeof(tmp[0]) * k);
	*n = k;
	return 0;
}

static int set_pin(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (strlen(v) >= sizeof(c->broker_pin_text) ||
	    cosign_conf_parse_pins(v, c->broker_pin, &c->broker_pins) != 0) {
		snprintf(msg, msglen,
		         "broker_pin must be sha256//BASE64 (the SHA-256 of the broker client "
		         "key's SPKI, 44 base64 characters; at most %d joined by ';'), got "
		         "'%.120s'",
		         COSIGN_PINS_MAX, v);
		return PL_E_COS_PIN_FORMAT;
	}
	snprintf(c->broker_pin_text, sizeof(c->broker_pin_text), "%s", v);
	return 0;
}

static int set_crl(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (pl_conf_set_path_or_none(v, c->crl, sizeof(c->crl), &c->crl_none) != 0) {
		snprintf(msg, msglen, "crl is longer than %zu bytes", sizeof(c->crl) - 1);
		return PL_E_COS_CONFIG_VALUE;
	}
	return 0;
}

static int set_eku(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (strlen(v) >= sizeof(c->technician_eku) || !pl_conf_role_oid_ok(v)) {
		snprintf(msg, msglen,
		         "technician_eku must be a dotted OID (e.g. %s) other than clientAuth, "
		         "serverAuth and anyExtendedKeyUsage, got '%.64s'",
		         COSIGN_TECH_EKU_DEFAULT, v);
		return PL_E_COS_CONFIG_VALUE;
	}
	snprintf(c->technician_eku, sizeof(c->technician_eku), "%s", v);
	return 0;
}

static int set_user(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct cosign_conf *c = cfg;

	if (!pl_conf_user_name_ok(v)) {
		snprintf(msg, msglen,
		         "user must be a user name ([a-z_][a-z0-9_-]*, at most 31 characters), "
		         "got '%.64s'",
		         v);
		return PL_E_COS_CONFIG_VALUE;
	}
	snprintf(c->user, sizeof(c->user), "%s", v);
	c->user_set = 1;
	return 0;
}

/* What a table cannot say: crl given or `crl none`, the labels usable in a URI. */
static int check_after(const char *name, const struct cosign_conf *c, char *err, size_t errlen)
{
	if (c->crl[0] == '\0' && !c->crl_none) {
		snprintf(err, errlen,
		         "%s: required key 'crl' is missing; add a line 'crl <PEM CRL of the "
		         "dealer CA>', or 'crl none' to run without revocation checks (warned at "
		         "every start)",
		         name);
		return PL_E_COS_CONFIG_MISSING;
	}
	return 0;
}

int cosign_conf_parse(const char *name, const char *text, struct cosign_conf *out, char *err,
                      size_t errlen)
{
	struct cosign_conf c;
	int r;

	cosign_conf_defaults(&c);
	if ((r = pl_conf_parse(&spec, name, text, strlen(text), &c, err, errlen)) != 0)
		return r;
	if ((r = check_after(name, &c, err, errlen)) != 0)
		return r;
	*out = c;
	return 0;
}

int cosign_conf_load(const char *path, struct cosign_conf *c, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, CONF_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read config: %s", path, pl_strerror(r));
		return r;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: config contains a NUL byte; is it a text file?", path);
		r = PL_E_COS_CONFIG_SYNTAX;
	} else {
		r = cosign_conf_parse(path, (const char *)buf, c, err, errlen);
	}
	free(buf);
	return r;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static int uri_put(char *out, size_t cap, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		            ch == '~';

		if (*at + (plain ? 1 : 3) >= cap)
			return PL_E_TOOBIG;
		if (plain) {
			out[(*at)++] = (char)ch;
		} else {
			out[(*at)++] = '%';
			out[(*at)++] = hex[ch >> 4];
			out[(*at)++] = hex[ch & 15];
		}
	}
	out[*at] = '\0';
	return 0;
}

static int uri_lit(char *out, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n >= cap)
		return PL_E_TOOBIG;
	memcpy(out + *at, s, n + 1);
	*at += n;
	return 0;
}

int cosign_conf_key_uri(const struct cosign_conf *c, char *out, size_t cap)
{
	size_t at = 0;
	int r;

	if (cap == 0)
		return PL_E_TOOBIG;
	if ((r = uri_lit(out, cap, &at, "pkcs11:token=")) != 0 ||
	    (r = uri_put(out, cap, &at, c->token_label)) != 0 ||
	    (r = uri_lit(out, cap, &at, ";object=")) != 0 ||
	    (r = uri_put(out, cap, &at, c->key_label)) != 0 ||
	    (r = uri_lit(out, cap, &at, ";type=private")) != 0)
		return r;
	if (c->pkcs11_module[0] != '\0' && ((r = uri_lit(out, cap, &at, "?module-path=")) != 0 ||
	                                    (r = uri_put(out, cap, &at, c->pkcs11_module)) != 0))
		return r;
	return 0;
}

static void print_custom(const struct cosign_conf *c, const struct pl_conf_key *k, FILE *f)
{
	if (k->set == set_listen)
		pl_conf_print_addr(f, k->name, c->listen_host, c->listen_port);
	else if (k->set == set_admin && c->admin_enabled)
		pl_conf_print_addr(f, k->name, c->admin_host, c->admin_port);
	else if (k->set == set_admin)
		fprintf(f, "%s none\n", k->name);
	else if (k->set == set_pin)
		fprintf(f, "%s %s\n", k->name, c->broker_pin_text);
	else if (k->set == set_crl)
		fprintf(f, "%s %s\n", k->name, c->crl_none ? "none" : c->crl);
	else if (k->set == set_eku)
		fprintf(f, "%s %s\n", k->name, c->technician_eku);
	else if (k->set == set_user && c->user_set)
		fprintf(f, "%s %s\n", k->name, c->user);
}

int cosign_conf_print(const struct cosign_conf *c, FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].kind == PL_CONF_CUSTOM)
			print_custom(c, &keys[i], f);
		else
			pl_conf_print_field(&keys[i], c, f);
	}
	return ferror(f) ? PL_E_IO : 0;
}
