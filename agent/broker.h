/*
 * The agent's side of the broker connection (docs/protocol.md): libcurl with
 * the OpenSSL backend, TLS 1.3 only, HTTP/1.1, the device certificate as
 * client certificate, the broker CA as the only trust (no CA path), the
 * broker's SPKI pinned (primary + backup). One connection is kept alive
 * between calls. While a call is in flight a tick callback runs about every
 * 100 ms (spinner, ECU tester present).
 *
 * Transport failures come back as PL_E_AGENT_* codes with err telling the
 * technician what happened and what to do; an HTTP answer of any status is
 * success at this level (the caller reads reply.status and reply.code).
 */
#ifndef PITLANE_AGENT_BROKER_H
#define PITLANE_AGENT_BROKER_H

#include <stddef.h>
#include <stdint.h>

#define BROKER_BODY_MAX 8192

struct agent_config;
struct broker;

struct broker_reply {
	long status; /* HTTP status */
	uint8_t body[BROKER_BODY_MAX];
	size_t len;
	/* from a concise problem details body (RFC 9290) and the headers */
	char code[64];
	char rule[128];
	char request_id[64];
	char title[160];
	char detail[320];
	char approval_id[64];
	char status_text[32]; /* "status" of a 202 pending map */
	long long expires;    /* "expires" of a 202 pending map, 0 when absent */
	char location[256];
	long retry_after;  /* seconds, -1 when absent */
	double connect_ms; /* TCP + TLS handshake of this call (0: reused) */
};

typedef void (*broker_tick_fn)(void *ctx);

/*
 * Checks the device certificate's validity locally (PL_E_AGENT_DEVICE_EXPIRED,
 * PL_E_AGENT_DEVICE_NOTYET, PL_E_AGENT_DEVICE_CERT) and prepares the handle.
 */
int broker_open(const struct agent_config *c, struct broker **out, char *err, size_t errlen);
/* body == NULL: GET, else POST with Content-Type ctype. */
int broker_call(struct broker *b, const char *path, const char *ctype, const uint8_t *body,
                size_t len, struct broker_reply *rep, broker_tick_fn tick, void *ctx, char *err,
                size_t errlen);

/* Content types of the protocol. */
#define BROKER_CT_COSE "application/cose; cose-type=\"cose-sign1\""
#define BROKER_CT_CBOR "application/cbor"
/* Overrides the whole-call timeout (broker_timeout_s) for the following calls. */
void broker_set_timeout(struct broker *b, long ms);
/* Wipes the last reply's buffers held by the handle; NULL ok. */
void broker_close(struct broker *b);

/* Seconds until the certificate in path expires (negative: expired) and its notAfter text. */
int broker_cert_validity(const char *path, long long *seconds_left, long long *seconds_since,
                         char *not_after, size_t cap);

/*
 * device_key as a file: an owner-only regular file, not a link, in directories only
 * root or this user can write (pl_file_check). 0 for a pkcs11: URI. Otherwise the
 * pl_file code with "device_key PATH: what; fix: command (agent.conf)" in err.
 */
int broker_check_device_key(const struct agent_config *c, char *err, size_t errlen);

/* Decodes a concise problem details body into rep's code/rule/... fields. */
int broker_parse_problem(const uint8_t *body, size_t len, struct broker_reply *rep);
/* Decodes a 202 pending-approval map (approval-id, status, expires, rule, poll). */
int broker_parse_pending(const uint8_t *body, size_t len, struct broker_reply *rep);

/*
 * A CBOR map with text keys, as the broker's small answers are: the text
 * values of the keys in f copied into their fields (agent_copy_text), the
 * unsigned values of the keys in u stored when below their bound; other
 * entries are skipped. r stands at the map. 0 or PL_E_AGENT_BROKER_REPLY.
 */
struct named_text {
	const char *key;
	char *dst;
	size_t cap;
};
struct named_uint {
	const char *key;
	uint64_t below;
	long long *dst;
};
struct plt_cbor_reader;
int broker_read_named_map(struct plt_cbor_reader *r, const struct named_text *f, size_t nf,
                          const struct named_uint *u, size_t nu);

#endif
