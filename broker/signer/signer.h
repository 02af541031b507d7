/*
 * signer: the broker's only holder of the signing key (a PKCS#11 key reached
 * through p11-kit). It takes message-shaped requests (plain structs of
 * fixed-size fields, no pointers into other modules), re-checks them against
 * its OWN hard limits, builds the token bytes itself with lib/token's encoder,
 * signs in the HSM (CKM_ECDSA over SHA-256 computed in-process) and verifies
 * its own output before handing it back. Never a software fallback.
 *
 * HSM faults (session/device/token gone, object handle invalid, general
 * error) make every call fail with PL_E_SIGNER_UNAVAILABLE and
 * signer_ready() return 0; a background thread re-initialises the PKCS#11
 * modules with a backoff, logs in again, re-finds the key and re-reads the
 * public key. If the public key changed it refuses the key and stays not
 * ready (PL_E_SIGNER_KEY_CHANGED in signer_status()).
 *
 * Thread-safe: a small pool of sessions, one C_Login. Library code: never
 * logs, never exits. Errors are in lib/common/pl_err_signer.h.
 */
#ifndef PITLANE_SIGNER_H
#define PITLANE_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#define SIGNER_MAX_OPS 64
#define SIGNER_OP_MAX 32   /* operation name incl. NUL */
#define SIGNER_TEXT_MAX 64 /* iss, workshop, technician, work_order incl. NUL */
#define SIGNER_PUB_LEN 65  /* uncompressed P-256 point 04||X||Y */
#define SIGNER_KID_LEN 8
#define SIGNER_SIG_LEN 64 /* raw r||s */
#define SIGNER_CTI_LEN 16
#define SIGNER_TOKEN_MAX 512

/* The signer's own copy of the hard limits (filled from the policy's
 * operations catalogue at start; never from a request). */
struct signer_limits {
	size_t nops;
	struct {
		char name[SIGNER_OP_MAX];
		uint32_t max_ttl; /* seconds, > 0 */
	} ops[SIGNER_MAX_OPS];
	uint32_t max_exi; /* seconds, > 0 */
};

/* Tuning; a NULL pointer or 0 fields mean the defaults in brackets. */
struct signer_options {
	unsigned sessions;     /* sessions in the pool [4], 1..64 */
	unsigned retry_min_ms; /* first re-initialisation delay [100] */
	unsigned retry_max_ms; /* backoff cap [2000] */
	unsigned probe_ms;     /* health probe interval while ready [1000] */
};

struct signer;

/*
 * Loads the PKCS#11 module(s) through p11-kit (managed, thread-safe), finds
 * the token and the private key named by the RFC 7512 URI key_uri (query
 * attributes module-name / module-path select the module; pin-value is
 * refused: the PIN comes from pin_file, which must be owner-only), logs in
 * once and reads the public key. err (if not NULL) gets one sentence saying
 * what was wrong and what to do.
 */
int signer_open(const char *key_uri, const char *pin_file, const struct signer_limits *limits,
                struct signer **out);
int signer_open_ex(const char *key_uri, const char *pin_file, const struct signer_limits *limits,
                   const struct signer_options *opt, struct signer **out, char *err, size_t errlen);
/*
 * Replaces the hard limits (a policy reload): requests checked afterwards see
 * the new table. PL_E_SIGNER_LIMITS (and nothing changes) when the table is
 * unusable. Thread-safe.
 */
int signer_set_limits(struct signer *s, const struct signer_limits *limits);
/* Stops the recovery thread, logs out, closes sessions, finalises. NULL ok. */
void signer_close(struct signer *s);

/* The public key (as read at open; never changes) and its kid. */
int signer_public_key(struct signer *s, uint8_t pub[SIGNER_PUB_LEN], uint8_t kid[SIGNER_KID_LEN]);

struct signer_request {
	char vin[18];           /* NUL-terminated, 17 chars */
	char op[SIGNER_OP_MAX]; /* NUL-terminated operation name */
	uint8_t cnonce[32];
	uint8_t cnonce_len;               /* 16..32 */
	uint32_t ttl_s;                   /* exp = iat + ttl_s; 1..op max_ttl */
	uint32_t exi_s;                   /* 1..max_exi */
	int64_t iat;                      /* UNIX seconds, > 0 */
	char iss[SIGNER_TEXT_MAX];        /* required, NUL-terminated */
	char workshop[SIGNER_TEXT_MAX];   /* optional ("" = absent) */
	char technician[SIGNER_TEXT_MAX]; /* optional */
	char work_order[SIGNER_TEXT_MAX]; /* optional */
	uint32_t policy_version;
	uint8_t form; /* enum signer_form: the COSE structure of the token */
};

/*
 * The token's COSE structure (signer_request.form, set by the decider):
 * SIGN1 a tagged COSE_Sign1 (18) the broker alone signs; SIGN a tagged
 * COSE_Sign (98) carrying the broker's one signature, to which the
 * co-signer's is appended (docs/token.md, cosigned_operations in broker.conf).
 */
enum signer_form { SIGNER_FORM_SIGN1 = 0, SIGNER_FORM_SIGN = 1 };

/*
 * Checks req against the hard limits (without touching the HSM when it fails),
 * draws a fresh cti, encodes and signs the token and verifies the signature
 * with the public key. On success writes cti_out, tok[0..*len). Thread-safe.
 * Errors: PL_E_SIGNER_OP_UNKNOWN, _TTL, _EXI, _VIN, _CNONCE, _FIELD, _IAT,
 * PL_E_NOSPACE, PL_E_SIGNER_UNAVAILABLE (HSM fault; 503), PL_E_SIGNER_HSM,
 * PL_E_SIGNER_SELF_VERIFY.
 */
int signer_issue(struct signer *s, const struct signer_request *req,
                 uint8_t cti_out[SIGNER_CTI_LEN], uint8_t *tok, size_t cap, size_t *len);

/*
 * Audit checkpoint: signs SIGNER_CHECKPOINT_CONTEXT || u64be(row_count) ||
 * head[32] (ES256: ECDSA P-256 over SHA-256 of those bytes, raw r||s).
 */
#define SIGNER_CHECKPOINT_CONTEXT "pitlane-audit-checkpoint-v1"
#define SIGNER_CHECKPOINT_MSG_LEN (sizeof(SIGNER_CHECKPOINT_CONTEXT) - 1 + 8 + 32)
void signer_checkpoint_message(uint64_t row_count, const uint8_t head[32],
                               uint8_t msg[SIGNER_CHECKPOINT_MSG_LEN]);
int signer_sign_checkpoint(struct signer *s, uint64_t row_count, const uint8_t head[32],
                           uint8_t sig[SIGNER_SIG_LEN]);
/* The same with the shape of audit_sign_fn (ctx is the struct signer *). */
int signer_audit_sign(void *ctx, uint64_t row_count, const uint8_t head[32],
                      uint8_t sig[SIGNER_SIG_LEN]);

/* 1 when an HSM session is usable, 0 otherwise (for /v1/ready). */
int signer_ready(struct signer *s);

struct signer_status {
	int ready;
	int last_err;           /* last fault (0 = none), a PL_E_* code */
	unsigned long last_ckr; /* the PKCS#11 return value of the last fault */
	uint64_t sign_calls;    /* C_Sign calls made */
	uint64_t issued;        /* tokens handed out */
	uint64_t refused;       /* requests refused by the hard limits */
	uint64_t faults;        /* HSM faults seen */
	uint64_t reinits;       /* successful re-initialisations */
	char detail[160];       /* one sentence on the last fault */
};
void signer_status(struct signer *s, struct signer_status *st);

/* `pitlanectl key export -f broker.conf [--format pem|cose]` (argv[0] == "key") */
int ctl_key_main(int argc, char **argv);
/* `pitlanectl pki init DIR` (argv[0] == "pki") */
int ctl_pki_main(int argc, char **argv);

#endif
