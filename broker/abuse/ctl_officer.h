/*
 * pitlanectl's officer key (docs/abuse.md, "Officers sign their decisions"):
 * the officer's own P-256 key in a PKCS#11 token (smartcard, SoftHSM2) and
 * the officer certificate that belongs to it, named in officer.conf:
 *
 *   officer_cert  PEM certificate issued by the officer CA
 *   officer_key   pkcs11: URI of the key (module-path in the query if needed)
 *   pin_file      optional: a file holding the token PIN (owner-only); without
 *                 it the PIN is asked at the terminal, without echo
 *
 * The PIN is wiped once the token has it. Never logs.
 */
#ifndef PITLANE_ABUSE_CTL_OFFICER_H
#define PITLANE_ABUSE_CTL_OFFICER_H

#include <stddef.h>
#include <stdint.h>

#define OFFICER_CONF_DEFAULT "/etc/pitlane/officer.conf"

struct officer_conf {
	char officer_cert[512];
	char officer_key[1024];
	char pin_file[512];
};

struct officer_key;

/* Reads officer.conf (unknown keys, duplicates, missing keys: file:line in err). */
int officer_conf_load(const char *path, struct officer_conf *c, char *err, size_t errlen);

/*
 * Reads the certificate, obtains the PIN, logs in to the token and checks
 * that the key is the certificate's. err says what to do.
 */
int officer_key_open(const struct officer_conf *c, struct officer_key **out, char *err,
                     size_t errlen);

/*
 * The signed decision (docs/protocol.md, approval-decision): a tagged
 * COSE_Sign1, protected {1: -7, 33: the officer certificate}, payload
 * {16: id, 17: "approve"/"deny", ?18: reason, 19: fresh nonce, 20: now,
 * 21: request_hash}, signed in the token.
 */
int officer_key_sign_decision(struct officer_key *k, const char *id, int approve,
                              const char *reason, const uint8_t request_hash[32], uint8_t *out,
                              size_t cap, size_t *len);

void officer_key_close(struct officer_key *k);

#endif
