/* agent.conf parser: "key value" lines, '#' comments, table-driven. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pl_codec.h"
#include "pl_conf.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_file.h"
#include "pl_parse.h"

#define CONFIG_FILE_MAX (64 * 1024)

static int set_pin(void *cfg, const char *v, char *msg, size_t msglen);
static int set_pin_backup(void *cfg, const char *v, char *msg, size_t msglen);
static int set_url(void *cfg, const char *v, char *msg, size_t msglen);

#define FIELD(f) offsetof(struct agent_config, f), sizeof(((struct agent_config *)0)->f)
#define STR(f, req, h)                                                                             \
	{                                                                                          \
#f, PL_CONF_STR, FIELD(f), 0, 0, req, h, NULL                                      \
	}
#define U32(f, lo, hi, h)                                                                          \
	{                                                                                          \
#f, PL_CONF_U32, FIELD(f), lo, hi, 0, h, NULL                                      \
	}

static const struct pl_conf_key keys[] = {
    {"broker_url", PL_CONF_CUSTOM, FIELD(broker_url), 0, 0, 1, "https://host:port of the broker",
     set_url},
    STR(broker_ca, 1, "PEM file of the CA that issued the broker's TLS certificate"),
    {"broker_pin", PL_CONF_CUSTOM, FIELD(broker_pin), 0, 0, 1,
     "sha256//<base64> of the broker's public key (SPKI)", set_pin},
    {"broker_pin_backup", PL_CONF_CUSTOM, FIELD(broker_pin_backup), 0, 0, 0,
     "sha256//<base64> of the broker's next key", set_pin_backup},
    STR(device_cert, 1, "PEM certificate of this workshop PC"),
    STR(device_key, 1, "PEM key file or pkcs11: URI of this PC's TLS key"),
    STR(technician_cert, 1, "PEM certificate of the technician"),
    STR(technician_key, 1, "pkcs11: URI of the technician's signing key"),
    STR(pin_file, 0, "file holding the technician token PIN (mode 0600)"),
    STR(can, 0, "default CAN transport: socketcan:IFACE or loop:NAME"),
    {"tester_id", PL_CONF_U32_ANY, FIELD(tester_id), 0, 0x1FFFFFFF, 0, "CAN id of requests", NULL},
    {"ecu_id", PL_CONF_U32_ANY, FIELD(ecu_id), 0, 0x1FFFFFFF, 0, "CAN id of responses", NULL},
    U32(connect_timeout_s, 1, 60, "seconds to connect to the broker"),
    U32(broker_timeout_s, 1, 600, "seconds to wait for the broker's answer"),
    U32(retries, 0, 5, "retries when the broker cannot be reached or is busy"),
    U32(ttl_s, 0, 86400, "wished token lifetime (0: the policy's default)"),
    U32(approval_wait_s, 0, 3600, "seconds to wait for an approver (0: do not wait)"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct pl_conf_codes codes = {
    .syntax = PL_E_AGENT_CONFIG,
    .unknown = PL_E_AGENT_CONFIG,
    .dup = PL_E_AGENT_CONFIG,
    .value = PL_E_AGENT_CONFIG,
    .missing = PL_E_AGENT_CONFIG,
};

static const struct pl_conf_spec spec = {keys, NKEYS, &codes, "docs/agent.md"};

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->can, sizeof(c->can), "%s", "socketcan:can0");
	c->tester_id = 0x7E0;
	c->ecu_id = 0x7E8;
	c->connect_timeout_s = 5;
	c->broker_timeout_s = 30;
	c->retries = 2;
	c->approval_wait_s = 600;
}

/* "sha256//" followed by the base64 of 32 bytes. */
static int check_pin(const char *v)
{
	uint8_t raw[48];
	size_t n;

	if (strncmp(v, "sha256//", 8) != 0)
		return -1;
	if (pl_b64_decode(v + 8, strlen(v + 8), raw, sizeof(raw), &n) != 0 || n != 32)
		return -1;
	return 0;
}

static int store(char *field, size_t size, const char *name, const char *v, char *msg,
                 size_t msglen)
{
	if (strlen(v) >= size) {
		snprintf(msg, msglen, "%s is longer than %zu bytes", name, size - 1);
		return PL_E_AGENT_CONFIG;
	}
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

static int set_pin_field(char *field, size_t size, const char *name, const char *v, char *msg,
                         size_t msglen)
{
	if (check_pin(v) != 0) {
		snprintf(msg, msglen,
		         "%s: '%s' is not sha256//<base64 of 32 bytes>; take it "
		         "from the broker's operator (broker.spki-pin)",
		         name, v);
		return PL_E_AGENT_CONFIG;
	}
	return store(field, size, name, v, msg, msglen);
}

static int set_pin(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct agent_config *c = cfg;
	return set_pin_field(c->broker_pin, sizeof(c->broker_pin), "broker_pin", v, msg, msglen);
}

static int set_pin_backup(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct agent_config *c = cfg;
	return set_pin_field(c->broker_pin_backup, sizeof(c->broker_pin_backup),
	                     "broker_pin_backup", v, msg, msglen);
}

static int set_url(void *cfg, const char *v, char *msg, size_t msglen)
{
	struct agent_config *c = cfg;

	if (strncmp(v, "https://", 8) != 0 || v[8] == '\0') {
		snprintf(msg, msglen, "broker_url: '%s' is not an https:// URL", v);
		return PL_E_AGENT_CONFIG;
	}
	return store(c->broker_url, sizeof(c->broker_url), "broker_url", v, msg, msglen);
}

int agent_config_parse(const char *name, const char *text, size_t len, struct agent_config *c,
                       char *err, size_t errlen)
{
	struct agent_config tmp;
	int r;

	agent_config_defaults(&tmp);
	if ((r = pl_conf_parse(&spec, name, text, len, &tmp, err, errlen)) != 0)
		return r;
	if (strncmp(tmp.technician_key, "pkcs11:", 7) != 0) {
		snprintf(err, errlen,
		         "%s: technician_key must be a pkcs11: URI (the key lives "
		         "in the technician's smartcard or token)",
		         name);
		return PL_E_AGENT_CONFIG;
	}
	*c = tmp;
	return 0;
}

int agent_config_load(const char *path, struct agent_config *c, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, CONFIG_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s; give another file with -c FILE", path,
		         pl_strerror(r));
		return PL_E_AGENT_CONFIG;
	}
	r = agent_config_parse(path, (const char *)buf, len, c, err, errlen);
	free(buf);
	return r;
}

int agent_config_pins(const struct agent_config *c, char *out, size_t cap)
{
	int n;

	if (c->broker_pin_backup[0] != '\0')
		n = snprintf(out, cap, "%s;%s", c->broker_pin, c->broker_pin_backup);
	else
		n = snprintf(out, cap, "%s", c->broker_pin);
	return n < 0 || (size_t)n >= cap ? PL_E_NOSPACE : 0;
}
