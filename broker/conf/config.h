/*
 * broker.conf: the daemon's configuration, "key value" lines.
 *
 * Plain fixed-size fields (no pointers) so the struct can be handed to another
 * process or read by pitlanectl (key export). Unknown keys, duplicates, missing
 * required keys and bad values are errors naming file:line. The admin listener
 * must be on a loopback address. broker_config_print() writes a file that
 * broker_config_load() reads back to the same struct.
 */
#ifndef PITLANE_BROKER_CONFIG_H
#define PITLANE_BROKER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BROKER_PATH_MAX 512
#define BROKER_URI_MAX 1024
#define BROKER_ADDR_MAX 64
#define BROKER_REFUSAL_CONTACT_DEFAULT "the OEM security desk"

struct broker_config {
	char listen_host[BROKER_ADDR_MAX]; /* numeric IPv4/IPv6 */
	uint16_t listen_port;              /* 0: the kernel picks (logged) */
	int admin_enabled;
	char admin_host[BROKER_ADDR_MAX]; /* 127.0.0.1 or ::1 only */
	uint16_t admin_port;
	char tls_cert[BROKER_PATH_MAX]; /* PEM chain */
	char tls_key[BROKER_PATH_MAX];
	char client_ca[BROKER_PATH_MAX];  /* dealer CA bundle */
	char officer_ca[BROKER_PATH_MAX]; /* officer CA bundle ("": no officer decisions) */
	char crl[BROKER_PATH_MAX];        /* "" with crl_none: revocation checks off */
	int crl_none;                     /* `crl none` given: no CRL, warned at every start */
	char key_uri[BROKER_URI_MAX];     /* pkcs11: URI of the signing key */
	char pin_file[BROKER_PATH_MAX];   /* owner-only */
	char policy_dir[BROKER_PATH_MAX];
	char database[BROKER_PATH_MAX];
	char issuer[64];                      /* iss claim */
	char refusal_contact[128];            /* whom a refused requester calls (docs/broker.md) */
	uint32_t workers;                     /* 1..64 */
	uint32_t queue_max;                   /* pending requests before 503 busy */
	uint32_t timeout_s;                   /* connection inactivity, 1..300 */
	uint32_t max_connections;             /* API connections at once (docs/broker.md) */
	uint32_t max_connections_per_address; /* ... from one IPv4 address or IPv6 /64 */
	uint32_t tls_handshake_timeout_s;     /* absolute, from accept */
	uint32_t request_timeout_s;           /* whole request, absolute (accept / last reply) */
	uint32_t connection_max_age_s;        /* no request starts on an older connection */
	uint32_t max_body;                    /* bytes, 256..65536 */
	uint32_t request_window_s;            /* |now - iat| accepted, 5..3600 */
	uint32_t replay_capacity;             /* nonces remembered, 64..1048576 */
	uint32_t max_exi_s;                   /* signer's hard limit on exi */
	uint32_t checkpoint_rows;             /* signed audit checkpoint every N rows */
	uint32_t checkpoint_seconds;          /* ... or every T seconds */
	char technician_eku[128];             /* EKU OID that marks technician certificates */
	uint32_t refusal_audit_threshold;     /* refusals audited one by one per device, window */
	uint32_t refusal_audit_window_s;      /* ... then one summary row per window */
	char user[32];                        /* privsep: unprivileged user when started as root */
	int user_set;                         /* `user` given in the file (else the default) */
	/* the co-signer (cosign_config.h); cosigner_url "" = none */
	char cosigner_url[BROKER_URI_MAX];
	char cosigner_pin[512];              /* sha256//BASE64[;...] */
	char cosigner_cert[BROKER_PATH_MAX]; /* the broker's client certificate (PEM) */
	char cosigner_key[BROKER_PATH_MAX];  /* its key (PEM, owner-only) */
	uint32_t cosigner_timeout_ms;        /* the whole exchange */
	char cosigned_operations[256];       /* names separated by blanks */
};

/* Sets every field to its default (required paths empty). */
void broker_config_defaults(struct broker_config *c);

/*
 * Reads path into *c (defaults first). On error returns a negative PL_E_*
 * code and writes "file:line: what; what to do" into err. *c is written only
 * on success.
 */
int broker_config_load(const char *path, struct broker_config *c, char *err, size_t errlen);

/* Same, from a NUL-terminated text; name is used in messages. */
int broker_config_parse(const char *name, const char *text, struct broker_config *c, char *err,
                        size_t errlen);

/* Writes the effective configuration in the file format (parses back). */
int broker_config_print(const struct broker_config *c, FILE *f);

/* Parses "1.2.3.4:port" or "[v6]:port" into host and port. */
int broker_config_parse_addr(const char *s, char host[BROKER_ADDR_MAX], uint16_t *port);

#endif
