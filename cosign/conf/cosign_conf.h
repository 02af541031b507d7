/*
 * cosignd.conf: the co-signer's configuration, "key value" lines (lib/common's
 * pl_conf format, like broker.conf). Reference: docs/cosigner.md, "Configuration".
 *
 * Plain fixed-size fields (no pointers) so the struct can be copied into the
 * network child. Unknown keys, duplicates, missing required keys and bad values
 * are errors naming file:line. The admin listener must be on a loopback address.
 * cosign_conf_print() writes a file that cosign_conf_load() reads back to the
 * same struct.
 *
 * Field names follow the contract of issue 14 (section 3/5): the checks
 * (cosign/check/) read dealer_ca, crl, technician_eku, officer_ca, approvers,
 * limits, audit_db, request_window_s, approval_max_age_s and broker_token_key;
 * the daemon the rest.
 */
#ifndef PITLANE_COSIGN_CONF_H
#define PITLANE_COSIGN_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define COSIGN_PATH_MAX 512
#define COSIGN_ADDR_MAX 64
#define COSIGN_LABEL_MAX 128
#define COSIGN_PINS_MAX 4 /* broker keys pinned at once (rotation) */
#define COSIGN_PIN_TEXT_MAX 256
#define COSIGN_BODY_MAX 16384 /* POST /v1/cosign body cap (contract section 3) */

struct cosign_conf {
	/* network (the network child) */
	char listen_host[COSIGN_ADDR_MAX]; /* numeric IPv4/IPv6 */
	uint16_t listen_port;              /* 0: the kernel picks (logged) */
	int admin_enabled;
	char admin_host[COSIGN_ADDR_MAX]; /* 127.0.0.1 or ::1 only */
	uint16_t admin_port;
	char tls_cert[COSIGN_PATH_MAX];  /* PEM chain of the co-signer's TLS server cert */
	char tls_key[COSIGN_PATH_MAX];   /* its key */
	char client_ca[COSIGN_PATH_MAX]; /* CA of the broker's client certificate */
	char broker_pin_text[COSIGN_PIN_TEXT_MAX]; /* as written: sha256//B64[;sha256//B64] */
	uint8_t broker_pin[COSIGN_PINS_MAX][32];   /* SHA-256 of the broker client key's SPKI */
	uint32_t broker_pins;                      /* how many of broker_pin are set, 1.. */
	uint32_t max_connections;                  /* API connections at once */
	uint32_t timeout_s;                        /* connection inactivity (and handshake) */
	uint32_t max_inflight;                     /* requests queued to the core before busy */

	/* signing (the core) */
	char pkcs11_module[COSIGN_PATH_MAX]; /* "" = p11-kit's registered modules */
	char token_label[COSIGN_LABEL_MAX];  /* the co-signer's own token */
	char key_label[COSIGN_LABEL_MAX];    /* its signing key */
	char pin_file[COSIGN_PATH_MAX];      /* user PIN, owner-only */

	/* checks (cosign/check/, in the core) */
	char dealer_ca[COSIGN_PATH_MAX];        /* technicians' CA (the co-signer's copy) */
	char crl[COSIGN_PATH_MAX];              /* its CRL; "" with crl_none */
	int crl_none;                           /* `crl none`: no revocation checks, warned */
	char technician_eku[COSIGN_LABEL_MAX];  /* OID marking technician certificates */
	char officer_ca[COSIGN_PATH_MAX];       /* officers' CA; "" = no officer approvals */
	char approvers[COSIGN_PATH_MAX];        /* technician approvers file; "" = none */
	char limits[COSIGN_PATH_MAX];           /* the co-signer's hard limits file */
	char audit_db[COSIGN_PATH_MAX];         /* its SQLite file (audit chain, replay, rates) */
	char broker_token_key[COSIGN_PATH_MAX]; /* PEM public key of the broker's token key */
	uint32_t request_window_s;              /* |now - iat| accepted, seconds */
	uint32_t approval_max_age_s;            /* oldest approval decision accepted */

	/* processes */
	char user[32]; /* unprivileged user when started as root */
	int user_set;  /* `user` given in the file */
};

/* Sets every field to its default (required paths empty). */
void cosign_conf_defaults(struct cosign_conf *c);

/*
 * Reads path into *c (defaults first). On error returns a negative PL_E_* code
 * and writes "file:line: what; what to do" into err. *c is written only on
 * success.
 */
int cosign_conf_load(const char *path, struct cosign_conf *c, char *err, size_t errlen);

/* Same, from a NUL-terminated text; name is used in messages. */
int cosign_conf_parse(const char *name, const char *text, struct cosign_conf *c, char *err,
                      size_t errlen);

/* Writes the effective configuration in the file format (parses back). */
int cosign_conf_print(const struct cosign_conf *c, FILE *f);

/*
 * Parses curl's pin form "sha256//BASE64" (up to COSIGN_PINS_MAX joined by ';')
 * into pins; *n gets the count. PL_E_COS_PIN_FORMAT otherwise.
 */
int cosign_conf_parse_pins(const char *s, uint8_t pins[COSIGN_PINS_MAX][32], uint32_t *n);

/*
 * The RFC 7512 URI of the signing key, built from pkcs11_module, token_label
 * and key_label (labels percent-encoded), into out (cap bytes).
 */
int cosign_conf_key_uri(const struct cosign_conf *c, char *out, size_t cap);

#endif
