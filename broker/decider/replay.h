/*
 * Replay cache for request nonces: remembers each nonce until the request it
 * came with could no longer pass the iat freshness check. Bounded memory
 * (capacity entries); when full of unexpired entries new requests are refused
 * (fail closed) rather than forgetting nonces early. Thread-safe.
 */
#ifndef PITLANE_BROKER_REPLAY_H
#define PITLANE_BROKER_REPLAY_H

#include <stdint.h>

#define REPLAY_NONCE_LEN 16

struct replay;

/* capacity: 1..2^24 entries. */
int replay_new(uint32_t capacity, struct replay **out);
void replay_free(struct replay *rc);

/*
 * Remembers nonce until expires (UNIX seconds). Returns 0 when the nonce was
 * new, PL_E_SRV_REPLAY when it is remembered already, PL_E_SRV_REPLAY_FULL
 * when capacity unexpired nonces are held.
 */
int replay_check_insert(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now,
                        int64_t expires);

/*
 * Looks only: PL_E_SRV_REPLAY when nonce is remembered (and unexpired at
 * now), else 0. The broker looks before the policy and remembers with
 * replay_check_insert() once a request is admitted.
 */
int replay_seen(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now);

/*
 * At start: remembers a nonce the audit log says was accepted before the
 * restart (no per-caller accounting). A nonce already held is not an error.
 * Returns 0, or PL_E_SRV_REPLAY_FULL when capacity unexpired nonces are held.
 */
int replay_preload(struct replay *rc, const uint8_t nonce[REPLAY_NONCE_LEN], int64_t now,
                   int64_t expires);

/* Nonces currently remembered. */
uint32_t replay_count(struct replay *rc);

#endif
