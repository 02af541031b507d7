/*
 * agent.conf: the workshop PC's configuration of `pitlane`.
 * "key value" lines, '#' comment lines; unknown, repeated, missing required
 * keys and bad values are reported as "file:line: what; what to do" into err.
 * The reference of every key is docs/agent.md.
 */
#ifndef PITLANE_AGENT_CONFIG_H
#define PITLANE_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_CONF_DEFAULT "/etc/pitlane/agent.conf"
#define AGENT_PATH_MAX 512
#define AGENT_PIN_MAX 128 /* "sha256//" + 44 base64 characters fits easily */

struct agent_config {
	char broker_url[AGENT_PATH_MAX];
	char broker_ca[AGENT_PATH_MAX];
	char broker_pin[AGENT_PIN_MAX];
	char broker_pin_backup[AGENT_PIN_MAX];
	char device_cert[AGENT_PATH_MAX];
	char device_key[AGENT_PATH_MAX]; /* a PEM file or a pkcs11: URI */
	char technician_cert[AGENT_PATH_MAX];
	char technician_key[AGENT_PATH_MAX]; /* pkcs11: URI */
	char pin_file[AGENT_PATH_MAX];       /* empty: ask at the terminal */
	char can[AGENT_PATH_MAX];            /* socketcan:IFACE or loop:NAME */
	uint32_t tester_id;
	uint32_t ecu_id;
	uint32_t connect_timeout_s;
	uint32_t broker_timeout_s;
	uint32_t retries;
	uint32_t approval_wait_s; /* how long to wait for an approver */
	uint32_t ttl_s;           /* 0: the policy's default */
};

void agent_config_defaults(struct agent_config *c);
/* Parses path into c (defaults first). PL_E_AGENT_CONFIG with err filled. */
int agent_config_load(const char *path, struct agent_config *c, char *err, size_t errlen);
/* Parses text (the contents of name) into c; for the unit tests and load. */
int agent_config_parse(const char *name, const char *text, size_t len, struct agent_config *c,
                       char *err, size_t errlen);
/* "sha256//A;sha256//B" for CURLOPT_PINNEDPUBLICKEY into out. */
int agent_config_pins(const struct agent_config *c, char *out, size_t cap);

#endif
