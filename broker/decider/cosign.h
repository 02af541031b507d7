/*
 * The decider's side of the co-signer (docs/broker.md, "Co-signer"): after
 * its own decision and audit row, a token of an operation in
 * cosigned_operations goes to the cosigner-client as a job; the front end's
 * request waits while the decider goes on. A bounded table holds the jobs in
 * flight (the front end's channel and request id, the answer, the audit row);
 * one thread takes the client's results: the co-signer's signature is
 * appended (plt_sign_append) and the token answered, a refusal or no answer
 * gets a second audit row (rule `cosigner`) and 403 cosigner_refused or 503
 * cosigner_unavailable. A job without a result within cosigner_timeout_ms
 * plus a small slack is answered unavailable by the decider itself.
 */
#ifndef PITLANE_DECIDER_COSIGN_H
#define PITLANE_DECIDER_COSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "abuse.h"
#include "audit.h"
#include "proto.h"
#include "ps_msg.h"

#define COSIGN_PENDING_MAX 256 /* jobs in flight in the decider */
#define COSIGN_SLACK_MS 500    /* the decider's own deadline: the client's + this */
#define COSIGN_RETRY_AFTER_S 30
/* The second audit row's decision (the audit field holds 15 characters). */
#define COSIGN_ROW_REFUSED "cosign_refused" /* the co-signer said no */
#define COSIGN_ROW_DOWN "cosign_down"       /* no answer: timeout, connect, TLS, pin */

struct decider;
struct decider_cosign;
struct vreq;

/* Before the decider opens (the monitor may hand the channel over at once). */
int decider_cosign_new(uint32_t timeout_ms, struct decider_cosign **out);
/* The channel to the cosigner-client (PS_MC_PEERS); replaces the one before. */
void decider_cosign_give_fd(struct decider_cosign *k, int fd);
/* Starts the result thread once the decider is open. */
int decider_cosign_start(struct decider_cosign *k, struct decider *dc);
/* The outcome counters and the jobs in flight, for /metrics. NULL ok (all 0). */
void decider_cosign_stats(struct decider_cosign *k, struct broker_status *st);
/* Stops the thread; answers every job still in flight as unavailable; frees. NULL ok. */
void decider_cosign_free(struct decider_cosign *k);

/*
 * a: the 201 token answer (a tag-98 token with the broker's signature); rec:
 * its committed audit row (the second row copies it); req: the technician's
 * signed request as received; apr: the approver's signed decision (NULL: none).
 * Returns with a->status == 0 when the job was sent (the result thread answers
 * the front end), else with a turned into the refusal (second row written).
 */
void decider_cosign_submit(struct decider *b, const struct audit_record *rec, const uint8_t *req,
                           size_t req_len, const uint8_t *apr, size_t apr_len,
                           const char *approval_id, struct token_answer *a);

/*
 * The token of an approved request (POST /v1/approvals/{id}/poll, already
 * claimed and audited "issued"): the approval's stored request and the
 * approver's signed decision (key 3) go to the co-signer the same way. A
 * token withheld gives the approval back (approved, not delivered: a later
 * poll tries again). cosign_poll.c.
 */
void decider_cosign_poll(struct decider *b, const struct vreq *h, const struct abuse_approval *ap,
                         const uint8_t cti[SIGNER_CTI_LEN], struct token_answer *a);

/*
 * ps_decider.c: the calling worker's front-end channel (a duplicate the
 * caller closes) and the id of the request it serves. 0 or PL_E_IO.
 */
int decider_front_defer(struct decider *dc, int *fd, uint64_t *id);
/* ps_decider.c: asks the monitor to end the cosigner-client (a protocol violation). */
void decider_report_cosigner(struct decider *dc);

#endif
