/* broker.conf parser: "key value" lines, '#' comments, table-driven. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cosign_config.h"
#include "identity.h"
#include "pl_conf.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_file.h"
#include "pl_parse.h"

#define CONFIG_FILE_MAX (256 * 1024)

static int set_listen(void *cfg, const char *v, char *msg, size_t msglen);
static int set_admin(void *cfg, const char *v, char *msg, size_t msglen);
static int set_user(void *cfg, const char *v, char *msg, size_t msglen);
static int set_tech_eku(void *cfg, const char *v, char *msg, size_t msglen);
static int set_crl(void *cfg, const char *v, char *msg, size_t msglen);

#define STR(f, req, h) PL_CONF_STR_KEY(struct broker_config, f, req, h)
#define U32(f, lo, hi, h) PL_CONF_U32_KEY(struct broker_config, f, lo, hi, h)

static const struct pl_conf_key keys[] = {
    {"listen", PL_CONF_CUSTOM, 0, 0, 0, 0, 1, "address:port of the mTLS API", set_listen},
    {"admin_listen", PL_CONF_CUSTOM, 0, 0, 0, 0, 0, "loopback address:port for /metrics",
     set_admin},
    STR(tls_cert, 1, "PEM certificate chain of the broker"),
    STR(tls_key, 1, "PEM private key of the broker TLS certificate"),
    STR(client_ca, 1, "PEM bundle of the dealer CA"),
    STR(officer_ca, 0, "PEM bundle of the officer CA (officers sign approval decisions)"),
    /* Required, checked in broker_config_parse (its message names `crl none`). */
    {"crl", PL_CONF_CUSTOM, 0, 0, 0, 0, 0,
     "PEM CRL of the dealer CA, or none (no revocation checks)", set_crl},
    STR(key_uri, 1, "pkcs11: URI of the token signing key"),
    STR(pin_file, 1, "file holding the HSM user PIN (mode 0600)"),
    STR(policy_dir, 1, "directory of policy YAML files"),
    STR(database, 1, "SQLite audit database path"),
    STR(issuer, 0, "iss claim of issued tokens"),
    STR(refusal_contact, 0, "whom a refused requester calls, e.g. OEM security desk +49 89 1"),
    U32(workers, 1, 64, "worker threads"),
    U32(queue_max, 1, 65536, "requests waiting for a worker before 503"),
    U32(timeout_s, 1, 300, "connection inactivity timeout in seconds"),
    U32(max_connections, 16, 1000000, "API connections at once"),
    U32(max_connections_per_address, 1, 1000000,
        "API connections at once from one IPv4 address or IPv6 /64"),
    U32(tls_handshake_timeout_s, 1, 60, "TLS handshake deadline in seconds after accept"),
    U32(request_timeout_s, 1, 300,
        "deadline in seconds for a whole request (after accept or the previous reply)"),
    U32(connection_max_age_s, 5, 86400, "no request starts on an older connection"),
    U32(max_body, 256, 65536, "largest request body in bytes"),
    U32(request_window_s, 5, 3600, "accepted |now - iat| of a request in seconds"),
    U32(replay_capacity, 64, 1048576, "request nonces remembered"),
    U32(max_exi_s, 1, 86400, "signer's hard limit on the token exi claim"),
    U32(checkpoint_rows, 1, 1000000, "signed audit checkpoint every N rows"),
    U32(checkpoint_seconds, 1, 86400, "signed audit checkpoint every T seconds"),
    {"technician_eku", PL_CONF_CUSTOM, 0, 0, 0, 0, 0,
     "EKU OID that technician certificates carry and device ones must not", set_tech_eku},
    U32(refusal_audit_threshold, 1, 100000,
        "refusals per device or technician and window audited one row each"),
    U32(refusal_audit_window_s, 1, 3600, "window of refusal_audit_threshold in seconds"),
    {"user", PL_CONF_CUSTOM, 0, 0, 0, 0, 0,
     "unprivileged user of the broker's processes when started as root", set_user},
    /* the co-signer (cosign_config.c, docs/broker.md "Co-signer") */
    {"cosigner_url", PL_CONF_CUSTOM, 0, 0, 0, 0, 0, "https://HOST:PORT of pitlane-cosignd",
     cosign_set_url},
    {"cosigner_pin", PL_CONF_CUSTOM, 0, 0, 0, 0, 0, "sha256//BASE64 of the co-signer's public key",
     cosign_set_pin},
    STR(cosigner_cert, 0, "PEM client certificate of the broker for the co-signer"),
    STR(cosigner_key, 0, "PEM private key of cosigner_cert (owner-only)"),
    U32(cosigner_timeout_ms, COSIGN_TIMEOUT_MIN_MS, COSIGN_TIMEOUT_MAX_MS,
        "milliseconds the co-signer has for its answer"),
    {"cosigned_operations", PL_CONF_CUSTOM, 0, 0, 0, 0, 0,
     "operations whose tokens the co-signer signs too", cosign_set_ops},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct pl_conf_codes codes = {
    .syntax = PL_E_SRV_CONFIG_SYNTAX,
    .unknown = PL_E_SRV_CONFIG_KEY,
    .dup = PL_E_SRV_CONFIG_DUP,
    .value = PL_E_SRV_CONFIG_VALUE,
    .missing = PL_E_SRV_CONFIG_MISSING,
};

static const struct pl_conf_spec spec = {keys, NKEYS, &codes, "docs/broker.md"};

void broker_config_defaults(struct broker_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->issuer, sizeof(c->issuer), "%s", "pitlane-broker");
	snprintf(c->refusal_contact, sizeof(c->refusal_contact), "%s",
	         BROKER_REFUSAL_CONTACT_DEFAULT);
	c->workers = 4;
	c->queue_max = 1024;
	c->timeout_s = 10;
	c->max_connections = 2048;
	c->max_connections_per_address = 64;
	c->tls_handshake_timeout_s = 5;
	c->request_timeout_s = 10;
	c->connection_max_age_s = 300;
	c->max_body = 16384;
	c->request_window_s = 120;
	c->replay_capacity = 65536;
	c->max_exi_s = 600;
	c->checkpoint_rows = 1000;
	c->checkpoint_seconds = 300;
	snprintf(c->technician_eku, sizeof(c->technician_eku), "%s", TECHID_EKU_DEFAULT);
	c->refusal_audit_threshold = 50;
	c->refusal_audit_window_s = 60;
	snprintf(c->user, sizeof(c->user), "%s", "pitlane");
	cosign_config_defaults(c);
}

int broker_config_parse_addr(const char *s, char host[BROKER_ADDR_MAX], uint16_t *port)
{
	return pl_conf_parse_addr(s, host, BROKER_ADDR_MAX, port) == 0 ? 0 : PL_E_SRV_ADDR;
}

static int is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;
}

static int set_listen(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;

	if (broker_config_parse_addr(v, c->listen_host, &c->listen_port) != 0) {
		snprintf(msg, msglen, "listen must be IPv4:port or [IPv6]:port, got '%.200s'", v);
		return PL_E_SRV_ADDR;
	}
	return 0;
}

static int set_admin(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;

	if (strcmp(v, "none") == 0) {
		c->admin_enabled = 0;
		return 0;
	}
	if (broker_config_parse_addr(v, c->admin_host, &c->admin_port) != 0) {
		snprintf(msg, msglen,
		         "admin_listen must be 127.0.0.1:port, [::1]:port or none, got '%.200s'",
		         v);
		return PL_E_SRV_ADDR;
	}
	if (!is_loopback(c->admin_host)) {
		snprintf(msg, msglen,
		         "admin_listen '%.200s' is not a loopback address; /metrics is only served "
		         "on 127.0.0.1 or ::1",
		         v);
		return PL_E_SRV_ADMIN_NOT_LOOPBACK;
	}
	c->admin_enabled = 1;
	return 0;
}

static int set_user(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;

	if (!pl_conf_user_name_ok(v)) {
		snprintf(msg, msglen,
		         "user must be a user name ([a-z_][a-z0-9_-]*, at most 31 "
		         "characters), got '%.64s'",
		         v);
		return PL_E_SRV_CONFIG_VALUE;
	}
	snprintf(c->user, sizeof(c->user), "%s", v);
	c->user_set = 1;
	return 0;
}

static int set_tech_eku(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;

	if (strlen(v) >= sizeof(c->technician_eku) || !pl_conf_role_oid_ok(v)) {
		snprintf(msg, msglen,
		         "technician_eku must be a dotted OID (e.g. %s) other than "
		         "clientAuth, serverAuth and anyExtendedKeyUsage, got '%.64s'",
		         TECHID_EKU_DEFAULT, v);
		return PL_E_SRV_CONFIG_VALUE;
	}
	snprintf(c->technician_eku, sizeof(c->technician_eku), "%s", v);
	return 0;
}

/* A path, or `none`: revocation off, said explicitly (warned at every start). */
static int set_crl(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct broker_config *c = cfg;

	if (pl_conf_set_path_or_none(v, c->crl, sizeof(c->crl), &c->crl_none) != 0) {
		snprintf(msg, msglen, "crl is longer than %zu bytes", sizeof(c->crl) - 1);
		return PL_E_SRV_CONFIG_VALUE;
	}
	return 0;
}

int broker_config_parse(const char *name, const char *text, struct broker_config *out, char *err,
                        size_t errlen)
{
	struct broker_config c;
	int r;

	broker_config_defaults(&c);
	if ((r = pl_conf_parse(&spec, name, text, strlen(text), &c, err, errlen)) != 0)
		return r;
	if (strncmp(c.key_uri, "pkcs11:", 7) != 0) {
		snprintf(err, errlen, "%s: key_uri must be an RFC 7512 'pkcs11:' URI", name);
		return PL_E_SRV_CONFIG_VALUE;
	}
	/* Without a CRL a revoked device certificate is accepted: only when said so. */
	if (c.crl[0] == '\0' && !c.crl_none) {
		snprintf(
		    err, errlen,
		    "%s: required key 'crl' is missing; add a line 'crl <PEM CRL "
		    "of the dealer CA>' (e.g. crl /etc/pitlane/tls/dealer-ca.crl), or 'crl none' "
		    "to run without revocation checks (warned at every start)",
		    name);
		return PL_E_SRV_CONFIG_MISSING;
	}
	if ((r = cosign_config_check(&c, name, err, errlen)) != 0)
		return r;
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

int broker_config_print(const struct broker_config *c, FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct pl_conf_key *k = &keys[i];
		const char *s;

		switch (k->kind) {
		case PL_CONF_CUSTOM:
			if (k->set == set_listen)
				pl_conf_print_addr(f, k->name, c->listen_host, c->listen_port);
			else if (k->set == set_user) {
				/*
				 * Only when given: an explicit user must exist, while the
				 * default falls back to nobody (docs/privsep.md).
				 */
				if (c->user_set)
					fprintf(f, "%s %s\n", k->name, c->user);
			} else if (k->set == set_tech_eku) {
				fprintf(f, "%s %s\n", k->name, c->technician_eku);
			} else if (k->set == cosign_set_url || k->set == cosign_set_pin) {
				s = k->set == cosign_set_url ? c->cosigner_url : c->cosigner_pin;
				if (s[0] != '\0')
					fprintf(f, "%s %s\n", k->name, s);
			} else if (k->set == cosign_set_ops) {
				fprintf(f, "%s %s\n", k->name, c->cosigned_operations);
			} else if (k->set == set_crl) {
				fprintf(f, "%s %s\n", k->name, c->crl_none ? "none" : c->crl);
			} else if (c->admin_enabled)
				pl_conf_print_addr(f, k->name, c->admin_host, c->admin_port);
			else
				fprintf(f, "%s none\n", k->name);
			break;
		default:
			pl_conf_print_field(k, c, f);
			break;
		}
	}
	return ferror(f) ? PL_E_IO : 0;
}
