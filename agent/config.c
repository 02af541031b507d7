/* agent.conf parser: "key value" lines, '#' comments, table-driven. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_file.h"
#include "pl_parse.h"

#define CONFIG_FILE_MAX (64 * 1024)

enum key_kind { K_STR, K_U32, K_CANID, K_PIN, K_URL };

struct key_def {
	const char *name;
	enum key_kind kind;
	size_t off;
	size_t size;
	uint32_t min, max;
	int required;
	const char *help;
};

#define FIELD(f) offsetof(struct agent_config, f), sizeof(((struct agent_config *)0)->f)
#define STR(f, req, h)                                                                             \
	{                                                                                          \
#f, K_STR, FIELD(f), 0, 0, req, h                                                  \
	}
#define U32(f, lo, hi, h)                                                                          \
	{                                                                                          \
#f, K_U32, FIELD(f), lo, hi, 0, h                                                  \
	}

static const struct key_def keys[] = {
    {"broker_url", K_URL, FIELD(broker_url), 0, 0, 1, "https://host:port of the broker"},
    STR(broker_ca, 1, "PEM file of the CA that issued the broker's TLS certificate"),
    {"broker_pin", K_PIN, FIELD(broker_pin), 0, 0, 1,
     "sha256//<base64> of the broker's public key (SPKI)"},
    {"broker_pin_backup", K_PIN, FIELD(broker_pin_backup), 0, 0, 0,
     "sha256//<base64> of the broker's next key"},
    STR(device_cert, 1, "PEM certificate of this workshop PC"),
    STR(device_key, 1, "PEM key file or pkcs11: URI of this PC's TLS key"),
    STR(technician_cert, 1, "PEM certificate of the technician"),
    STR(technician_key, 1, "pkcs11: URI of the technician's signing key"),
    STR(pin_file, 0, "file holding the technician token PIN (mode 0600)"),
    STR(can, 0, "default CAN transport: socketcan:IFACE or loop:NAME"),
    {"tester_id", K_CANID, FIELD(tester_id), 0, 0x1FFFFFFF, 0, "CAN id of requests"},
    {"ecu_id", K_CANID, FIELD(ecu_id), 0, 0x1FFFFFFF, 0, "CAN id of responses"},
    U32(connect_timeout_s, 1, 60, "seconds to connect to the broker"),
    U32(broker_timeout_s, 1, 600, "seconds to wait for the broker's answer"),
    U32(retries, 0, 5, "retries when the broker cannot be reached or is busy"),
    U32(ttl_s, 0, 86400, "wished token lifetime (0: the policy's default)"),
    U32(approval_wait_s, 0, 3600, "seconds to wait for an approver (0: do not wait)"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

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

static const struct key_def *find_key(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
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

static int set_value(const struct key_def *k, const char *v, struct agent_config *c, char *why,
                     size_t whylen)
{
	char *base = (char *)c + k->off;
	uint32_t u;

	switch (k->kind) {
	case K_U32:
	case K_CANID:
		if ((k->kind == K_U32 ? pl_parse_u32(v, k->min, k->max, &u)
		                      : pl_parse_u32_any(v, k->min, k->max, &u)) != 0) {
			snprintf(why, whylen, "'%s' is not a number in %u..%u", v, (unsigned)k->min,
			         (unsigned)k->max);
			return -1;
		}
		memcpy(base, &u, sizeof(u));
		return 0;
	case K_PIN:
		if (check_pin(v) != 0) {
			snprintf(why, whylen,
			         "'%s' is not sha256//<base64 of 32 bytes>; take it "
			         "from the broker's operator (broker.spki-pin)",
			         v);
			return -1;
		}
		break;
	case K_URL:
		if (strncmp(v, "https://", 8) != 0 || v[8] == '\0') {
			snprintf(why, whylen, "'%s' is not an https:// URL", v);
			return -1;
		}
		break;
	case K_STR:
		break;
	}
	if (strlen(v) >= k->size) {
		snprintf(why, whylen, "value longer than %zu characters", k->size - 1);
		return -1;
	}
	memcpy(base, v, strlen(v) + 1);
	return 0;
}

/* One line: fills key and value views; 0 = blank/comment, 1 = pair, -1 = bad. */
static int split_line(char *line, char **key, size_t *klen, char **val)
{
	char *p = line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	*klen = (size_t)(p - *key);
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	*val = p;
	return **val == '\0' ? -1 : 1;
}

static int parse_lines(const char *name, char *text, struct agent_config *c, unsigned char *seen,
                       char *err, size_t errlen)
{
	char *line = text, *next, *key, *val, why[256];
	size_t klen;
	unsigned lineno = 0;
	const struct key_def *k;
	int s;

	for (; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((s = split_line(line, &key, &klen, &val)) == 0)
			continue;
		if ((k = find_key(key, klen)) == NULL) {
			snprintf(err, errlen,
			         "%s:%u: unknown key '%.*s'; the keys are listed in "
			         "docs/agent.md",
			         name, lineno, (int)klen, key);
			return PL_E_AGENT_CONFIG;
		}
		if (s < 0) {
			snprintf(err, errlen, "%s:%u: key '%s' has no value; give %s", name, lineno,
			         k->name, k->help);
			return PL_E_AGENT_CONFIG;
		}
		if (seen[k - keys]) {
			snprintf(err, errlen, "%s:%u: key '%s' given twice; keep one line", name,
			         lineno, k->name);
			return PL_E_AGENT_CONFIG;
		}
		seen[k - keys] = 1;
		if (set_value(k, val, c, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%u: %s: %s", name, lineno, k->name, why);
			return PL_E_AGENT_CONFIG;
		}
	}
	return 0;
}

int agent_config_parse(const char *name, const char *text, size_t len, struct agent_config *c,
                       char *err, size_t errlen)
{
	struct agent_config tmp;
	unsigned char seen[NKEYS] = {0};
	char *copy;
	int r;

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte; is it a text file?", name);
		return PL_E_AGENT_CONFIG;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return PL_E_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	agent_config_defaults(&tmp);
	r = parse_lines(name, copy, &tmp, seen, err, errlen);
	free(copy);
	if (r != 0)
		return r;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].required && !seen[i]) {
			snprintf(err, errlen,
			         "%s: required key '%s' is missing; add a line "
			         "'%s <%s>'",
			         name, keys[i].name, keys[i].name, keys[i].help);
			return PL_E_AGENT_CONFIG;
		}
	}
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
