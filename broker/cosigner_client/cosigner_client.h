/*
 * The cosigner-client process (docs/privsep.md, docs/broker.md "Co-signer"):
 * the broker's only connection to pitlane-cosignd. It holds the broker's
 * client certificate and key for the co-signer and the co-signer's pin, takes
 * jobs from the decider (PS_DK_JOB: the technician's request, the broker's
 * token, the approval), posts each to the co-signer (libcurl multi: several at
 * once, HTTP/1.1, TLS 1.3, the pin, cosigner_timeout_ms for the whole
 * exchange) and answers PS_KD_RESULT: the co-signer's COSE_Signature, its
 * refusal or why there was no answer. No HSM, no database, no files after
 * start; it may connect to the co-signer's port only.
 */
#ifndef PITLANE_COSIGNER_CLIENT_H
#define PITLANE_COSIGNER_CLIENT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "cosign_msg.h"
#include "ps_config.h"

#define CC_HOST_MAX 256
#define CC_PEM_MAX (64 * 1024)

/* What the process reads before it drops its privileges (creds.c). */
struct cc_creds {
	char *cert_pem; /* the broker's client certificate (chain), PEM */
	size_t cert_len;
	char *key_pem; /* its private key, PEM: wiped when freed */
	size_t key_len;
	char host[CC_HOST_MAX];
	unsigned port;
	char resolve[CC_HOST_MAX + 80]; /* "host:port:address" for CURLOPT_RESOLVE ("": none) */
	char resolve_err[400];          /* why the host did not resolve (resolve "") */
	char url[BROKER_URI_MAX + 16];  /* the endpoint (POST) */
};

/*
 * Reads cosigner_cert and cosigner_key, checks that they parse and belong
 * together, resolves the co-signer's host once. err gets one sentence. A host
 * that does not resolve is not an error here (resolve stays "", resolve_err
 * says why): the broker starts, co-signed operations are refused until a
 * restart of the cosigner-client resolves it (ps_cosigner.c).
 */
int cc_creds_load(const struct broker_config *c, struct cc_creds *out, char *err, size_t errlen);
void cc_creds_free(struct cc_creds *cr);

/* pitlaned -n: cc_creds_load() and a libcurl that does what the client needs. */
int cosigner_client_check(const struct broker_config *c, char *err, size_t errlen);

/* The engine: curl multi, jobs in flight and queued (http.c). */
struct cc_engine;
typedef void (*cc_done_fn)(void *ctx, const struct cosign_result *res);

/* Largest number of jobs in flight and waiting; more get COSIGN_WHY_BUSY at once. */
#define CC_INFLIGHT_MAX 16
#define CC_QUEUE_MAX 256

int cc_engine_new(const struct broker_config *c, const struct cc_creds *cr, cc_done_fn done,
                  void *ctx, struct cc_engine **out);
void cc_engine_free(struct cc_engine *e);
/*
 * Takes one job (its parts are copied into the request body). Calls done at
 * once when it cannot be taken (queue full, encoding), else later from
 * cc_engine_run().
 */
void cc_engine_submit(struct cc_engine *e, const struct cosign_job *job, const uint8_t *tail,
                      size_t tail_len);
/*
 * Waits up to timeout_ms for the co-signer's sockets or one of extra[0..n)
 * (their revents filled: POLLIN only), drives the transfers and reports the
 * finished ones through done. 0, or PL_E_IO when libcurl failed.
 */
int cc_engine_run(struct cc_engine *e, struct pollfd *extra, unsigned n, int timeout_ms);

/* The cosigner-client process (never returns). ctl: the channel to the monitor. */
void ps_cosigner_main(const struct broker_config *c, const struct ps_config *pc, int ctl)
    __attribute__((noreturn));

#endif
