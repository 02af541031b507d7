/*
 * Getting a token from the broker for one ECU challenge: sign the request
 * with the technician key, POST it, wait (spinner, ECU tester present), and
 * retry on "cannot connect" or "busy" with a NEW request (fresh nonce and
 * time) for the same, still unconsumed challenge. A challenge the ECU has
 * taken (29 06 sent) is never used again: that is the caller's rule.
 */
#ifndef PITLANE_AGENT_FETCH_H
#define PITLANE_AGENT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "broker.h"

struct agent_config;
struct techkey;
struct token_request;
struct ui;
struct uds_client;

struct fetch_ctx {
	const struct agent_config *cfg;
	struct techkey *key;
	struct broker *broker;
	struct ui *ui;          /* spinner; may be NULL */
	struct uds_client *ecu; /* kept alive while waiting; may be NULL */
	int keepalive_err;      /* first keepalive failure, if any */
};

/*
 * 0 and the token in tok[cap] (*len) on 201. PL_E_AGENT_REFUSED (4xx) or
 * PL_E_AGENT_UNAVAILABLE (5xx, after the retries) with rep filled and err the
 * technician-facing reason; transport codes as broker_call().
 */
int fetch_token(struct fetch_ctx *fx, const struct token_request *q, uint8_t *tok, size_t cap,
                size_t *len, struct broker_reply *rep, char *err, size_t errlen);

/* One wait tick (about every 100 ms): spinner and, when due, tester present. arg: fetch_ctx. */
void fetch_tick(void *arg);

/* The refusal in words for a non-201 reply (what happened, what to do). */
void fetch_refusal_text(const struct broker_reply *rep, char *out, size_t cap);

#endif
