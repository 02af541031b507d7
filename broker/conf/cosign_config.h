/*
 * broker.conf's co-signer keys (docs/broker.md, "Co-signer"): where the
 * broker asks pitlane-cosignd for the second signature of critical tokens.
 *
 *   cosigner_url         https://HOST:PORT[/v1/cosign]
 *   cosigner_pin         sha256//BASE64 of the co-signer's public key (SPKI), ';' between several
 *   cosigner_cert        the broker's client certificate for the co-signer (PEM)
 *   cosigner_key         its private key (PEM, owner-only)
 *   cosigner_timeout_ms  the whole exchange, 100..10000 [2000]
 *   cosigned_operations  operations whose tokens need the co-signer [ignition.enable key.learn]
 *
 * No cosigner_url: today's broker, every token signed by the broker alone.
 */
#ifndef PITLANE_CONF_COSIGN_CONFIG_H
#define PITLANE_CONF_COSIGN_CONFIG_H

#include <stddef.h>

#include "config.h"

#define COSIGN_TIMEOUT_DEFAULT_MS 2000
#define COSIGN_TIMEOUT_MIN_MS 100
/* at most: well under the front end's 30 s and the agent's broker_timeout_s (30) */
#define COSIGN_TIMEOUT_MAX_MS 10000
#define COSIGN_OPS_DEFAULT "ignition.enable key.learn"

/* The defaults of the co-signer keys (broker_config_defaults). */
void cosign_config_defaults(struct broker_config *c);

/* PL_CONF_CUSTOM setters of the table in config.c. */
int cosign_set_url(void *cfg, const char *v, char *msg, size_t msglen);
int cosign_set_pin(void *cfg, const char *v, char *msg, size_t msglen);
int cosign_set_ops(void *cfg, const char *v, char *msg, size_t msglen);

/*
 * After the whole file: either no co-signer key at all, or url, pin, cert and
 * key together. 0, or a code with "name: what; what to do" in err.
 */
int cosign_config_check(const struct broker_config *c, const char *name, char *err, size_t errlen);

/* 1 when tokens of op need the co-signer's signature (a co-signer is configured). */
int cosign_config_op(const struct broker_config *c, const char *op);

/* The URL the client posts to: cosigner_url with /v1/cosign appended when it has no path. */
void cosign_config_endpoint(const struct broker_config *c, char *out, size_t cap);

/*
 * Host and port of cosigner_url (the client resolves the host once, before it
 * drops its privileges, and may connect to that port only). 0 or PL_E_INVAL.
 */
int cosign_config_host_port(const struct broker_config *c, char *host, size_t cap, unsigned *port);

#endif
