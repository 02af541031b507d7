/* Token request to the broker with spinner, keepalive and retries (see fetch.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fetch.h"
#include "interrupt.h"
#include "pitlane/token.h"
#include "pl_codec.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "request.h"
#include "techkey.h"
#include "uds_client.h"
#include "ui.h"

#define KEEPALIVE_MS 2000
#define RETRY_WAIT_MAX_S 5

void fetch_tick(void *arg)
{
	struct fetch_ctx *fx = arg;
	struct uds_result r;
	int sent = 0;

	if (fx->ui != NULL)
		ui_spin(fx->ui);
	if (fx->ecu == NULL)
		return;
	r = uds_client_keepalive(fx->ecu, KEEPALIVE_MS, &sent);
	if (r.err != 0 && fx->keepalive_err == 0)
		fx->keepalive_err = r.err;
}

/* Waits secs seconds, ticking. */
static void wait_ticking(struct fetch_ctx *fx, long secs)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	for (long i = 0; i < secs * 10 && !agent_interrupted(); i++) {
		nanosleep(&ts, NULL);
		fetch_tick(fx);
	}
}

static void clock_text(long after_s, char *out, size_t cap)
{
	time_t at = time(NULL) + after_s;
	struct tm tm;

	if (localtime_r(&at, &tm) == NULL || strftime(out, cap, "%H:%M:%S", &tm) == 0)
		snprintf(out, cap, "later");
}

void fetch_refusal_text(const struct broker_reply *rep, char *out, size_t cap)
{
	const char *c = rep->code;
	char rid[96] = "", at[16];

	if (rep->request_id[0] != '\0')
		snprintf(rid, sizeof(rid), " [request %s]", rep->request_id);
	if (rep->status == 429 || strcmp(c, "rate_limited") == 0) {
		long s = rep->retry_after >= 0 ? rep->retry_after : 60;

		clock_text(s, at, sizeof(at));
		snprintf(out, cap, "rate limit reached (rule %s): retry after %ld s (at %s)%s",
		         rep->rule[0] ? rep->rule : "unnamed", s, at, rid);
	} else if (strcmp(c, "approval_denied") == 0) {
		snprintf(out, cap,
		         "the approver refused (approval id %s)%s%s: this operation may not "
		         "be done now",
		         rep->approval_id[0] ? rep->approval_id : "unknown",
		         rep->detail[0] ? ": " : "", rep->detail);
	} else if (strcmp(c, "approval_expired") == 0) {
		snprintf(out, cap,
		         "nobody approved in time (approval id %s): run the command "
		         "again to ask anew",
		         rep->approval_id[0] ? rep->approval_id : "unknown");
	} else if (strcmp(c, "approval_consumed") == 0) {
		snprintf(out, cap,
		         "the approved token was already delivered once (approval id "
		         "%s): run the command again",
		         rep->approval_id[0] ? rep->approval_id : "unknown");
	} else if (strcmp(c, "approval_invalid") == 0) {
		snprintf(out, cap,
		         "the approval (id %s) carries no valid signed decision, so the broker "
		         "withholds the token%s%s: ask an OEM officer to decide it anew%s",
		         rep->approval_id[0] ? rep->approval_id : "unknown",
		         rep->detail[0] ? ": " : "", rep->detail, rid);
	} else if (rep->status == 202 || strcmp(c, "approval_required") == 0 ||
	           strcmp(c, "approval_pending") == 0) {
		const char *id = rep->approval_id[0] ? rep->approval_id : rep->request_id;

		snprintf(out, cap,
		         "approval needed: a second person must approve this operation "
		         "(approval id %s); ask an approver, then run the command again",
		         id[0] ? id : "unknown");
	} else if (strcmp(c, "refused") == 0) {
		/* The broker says why only to the OEM (decoys, detectors, suspensions). */
		if (rep->detail[0] != '\0')
			snprintf(out, cap, "refused by the broker: %s", rep->detail);
		else
			snprintf(out, cap,
			         "refused by the broker without a reason: ask the OEM "
			         "security desk, quoting request %s",
			         rep->request_id[0] ? rep->request_id : "(none given)");
	} else if (strcmp(c, "policy_denied") == 0) {
		snprintf(out, cap,
		         "refused by the policy (rule %s)%s%s: this workshop, technician "
		         "or vehicle may not do this; ask the workshop admin%s",
		         rep->rule[0] ? rep->rule : "unknown", rep->detail[0] ? ": " : "",
		         rep->detail, rid);
	} else if (strcmp(c, "workshop_mismatch") == 0) {
		snprintf(out, cap,
		         "the technician card belongs to another workshop than this PC: "
		         "use this workshop's PC or your own card%s",
		         rid);
	} else if (strcmp(c, "technician_cert_invalid") == 0) {
		snprintf(out, cap,
		         "the broker does not accept the technician certificate "
		         "(expired, revoked or foreign?): ask the workshop admin for a new one%s",
		         rid);
	} else if (strcmp(c, "not_a_technician_certificate") == 0) {
		snprintf(out, cap,
		         "the certificate in technician_cert is not a technician certificate (a "
		         "device certificate?): ask the workshop admin to set it to your card's "
		         "certificate%s",
		         rid);
	} else if (strcmp(c, "stale_request") == 0) {
		snprintf(out, cap,
		         "this PC's clock is off by more than the broker accepts: fix "
		         "the date and time, then run again%s",
		         rid);
	} else if (strcmp(c, "bad_technician_signature") == 0) {
		snprintf(out, cap,
		         "the broker could not verify the technician's signature: "
		         "check that technician_key and technician_cert belong together%s",
		         rid);
	} else if (strcmp(c, "cosigner_refused") == 0) {
		/* issue 14: the independent co-signer checked the request itself and said no */
		snprintf(
		    out, cap,
		    "the co-signer refused to countersign this token%s%s: no token was issued; "
		    "check the request (and its approval), or call the OEM security desk%s",
		    rep->detail[0] ? ": " : "", rep->detail, rid);
	} else if (strcmp(c, "cosigner_unavailable") == 0) {
		snprintf(out, cap,
		         "the co-signer is not reachable or did not answer in time, so critical "
		         "operations (ignition, key learning) cannot be issued now; others can. "
		         "Retry later or call the OEM security desk%s%s%s",
		         rep->detail[0] ? ": " : "", rep->detail, rid);
	} else if (rep->status >= 500) {
		snprintf(out, cap, "the broker is temporarily unavailable (%s): try again%s%s%s",
		         c[0] ? c : "HTTP error", rep->retry_after >= 0 ? " in a few seconds" : "",
		         rep->detail[0] ? "; " : "", rep->detail);
	} else {
		snprintf(out, cap, "refused by the broker: %s (%s, HTTP %ld)%s%s%s",
		         rep->title[0] ? rep->title : "no reason given", c[0] ? c : "no code",
		         rep->status, rep->detail[0] ? ": " : "", rep->detail, rid);
	}
}

static int retryable(int r, const struct broker_reply *rep)
{
	if (r == PL_E_AGENT_BROKER_DOWN)
		return 1;
	if (r != 0)
		return 0;
	if (rep->status == 503 && rep->retry_after <= RETRY_WAIT_MAX_S)
		return strcmp(rep->code, "busy") == 0 || strcmp(rep->code, "hsm_unavailable") == 0;
	if (rep->status == 429 && strcmp(rep->code, "replay_cache_full") == 0)
		return rep->retry_after >= 0 && rep->retry_after <= RETRY_WAIT_MAX_S;
	return 0;
}

static int one_attempt(struct fetch_ctx *fx, const struct token_request *q,
                       struct broker_reply *rep, char *err, size_t errlen)
{
	uint8_t body[REQUEST_MAX];
	size_t blen = 0;
	int r;

	if ((r = request_build(fx->key, q, body, sizeof(body), &blen)) != 0) {
		snprintf(err, errlen,
		         "signing the request with the technician key failed (%s): "
		         "is the smartcard still inserted?",
		         pl_strerror(r));
		return r;
	}
	return broker_call(fx->broker, "/v1/token", BROKER_CT_COSE, body, blen, rep, fetch_tick, fx,
	                   err, errlen);
}

#define POLL_MIN_S 1
#define POLL_MAX_S 10

/*
 * One poll of approval id, signed with the technician key (a fresh nonce and
 * iat each time). *signed_ok = 0 when the key could not sign (no retry helps).
 */
static int poll_once(struct fetch_ctx *fx, const char *id, struct broker_reply *rep, int *signed_ok,
                     char *err, size_t errlen)
{
	uint8_t body[REQUEST_MAX];
	char path[128];
	size_t blen = 0;
	int r;

	*signed_ok = 0;
	if ((r = request_build_poll(fx->key, id, body, sizeof(body), &blen)) != 0) {
		snprintf(err, errlen,
		         "signing the approval poll with the technician key failed (%s): "
		         "is the smartcard still inserted?",
		         pl_strerror(r));
		return r;
	}
	*signed_ok = 1;
	snprintf(path, sizeof(path), "/v1/approvals/%s/poll", id);
	return broker_call(fx->broker, path, BROKER_CT_COSE, body, blen, rep, fetch_tick, fx, err,
	                   errlen);
}

/*
 * 202: an approver must decide. Polls POST /v1/approvals/{id}/poll, signed by
 * the technician (honouring Retry-After, ticking meanwhile) until the token
 * (201), a refusal, the approval's expiry or approval_wait_s. rep ends as the
 * last answer, with the approval id kept.
 */
static int await_approval(struct fetch_ctx *fx, struct broker_reply *rep, char *err, size_t errlen)
{
	char id[64], rule[128], until[16];
	time_t end = time(NULL) + (time_t)fx->cfg->approval_wait_s;
	unsigned failures = 0;
	long wait;
	int r = 0, signed_ok;

	snprintf(id, sizeof(id), "%s", rep->approval_id);
	snprintf(rule, sizeof(rule), "%s", rep->rule);
	if (id[0] == '\0' || pl_hex_span(id, strlen(id), PL_HEX_LOWER) != strlen(id)) {
		snprintf(err, errlen, "the broker asked for an approval without a valid id");
		return PL_E_AGENT_BROKER_REPLY;
	}
	if (rep->expires > 0 && rep->expires < (long long)end)
		end = (time_t)rep->expires;
	clock_text((long)(end - time(NULL)), until, sizeof(until));
	if (fx->ui != NULL) {
		ui_done(fx->ui, "approval needed (%s)", rule[0] ? rule : "policy");
		/* the whole id: the approver types it (pitlane approve ID, pitlanectl) */
		ui_say(fx->ui, "        approval id %s", id);
		ui_step(fx->ui, 0, "Waiting for an approver (until %s)", until);
	}
	while (rep->status == 202) {
		wait = rep->retry_after;
		wait = wait < POLL_MIN_S ? POLL_MIN_S : wait > POLL_MAX_S ? POLL_MAX_S : wait;
		if (time(NULL) + wait > end) {
			snprintf(err, errlen,
			         "nobody approved in time (approval id %s, rule %s): "
			         "ask an approver to decide, then run the command again",
			         id, rule[0] ? rule : "unknown");
			return PL_E_AGENT_REFUSED;
		}
		wait_ticking(fx, wait);
		if (agent_interrupted()) {
			snprintf(err, errlen,
			         "interrupted while waiting for an approver; approval %s "
			         "stays pending until it expires",
			         id);
			return PL_E_AGENT_INTERRUPTED;
		}
		r = poll_once(fx, id, rep, &signed_ok, err, errlen);
		if (r != 0 && !signed_ok)
			return r;
		if (r != 0) {
			if (++failures > fx->cfg->retries)
				return r;
			rep->status = 202;
			rep->retry_after = POLL_MAX_S;
			continue;
		}
		/* Busy, or the replay cache full (each signed poll takes an entry): keep waiting.
		 */
		if (retryable(0, rep) && ++failures <= fx->cfg->retries) {
			rep->status = 202;
			continue;
		}
		failures = 0;
	}
	snprintf(rep->approval_id, sizeof(rep->approval_id), "%s", id);
	if (rep->rule[0] == '\0')
		snprintf(rep->rule, sizeof(rep->rule), "%s", rule);
	return 0;
}

int fetch_token(struct fetch_ctx *fx, const struct token_request *q, uint8_t *tok, size_t cap,
                size_t *len, struct broker_reply *rep, char *err, size_t errlen)
{
	unsigned attempt = 0;
	int r;

	for (;;) {
		r = one_attempt(fx, q, rep, err, errlen);
		if (!retryable(r, rep) || attempt++ >= fx->cfg->retries || agent_interrupted())
			break;
		wait_ticking(fx, r == 0 && rep->retry_after > 0 ? rep->retry_after : 1);
	}
	if (r != 0)
		return r;
	if (rep->status == 202 && fx->cfg->approval_wait_s > 0 &&
	    (r = await_approval(fx, rep, err, errlen)) != 0)
		return r;
	if (rep->status == 201) {
		if (rep->len == 0 || rep->len > cap) {
			snprintf(err, errlen, "the broker's token has %zu bytes (at most %zu)",
			         rep->len, cap);
			return PL_E_AGENT_BROKER_REPLY;
		}
		memcpy(tok, rep->body, rep->len);
		*len = rep->len;
		plt_wipe(rep->body, rep->len);
		return 0;
	}
	fetch_refusal_text(rep, err, errlen);
	return rep->status >= 500 ? PL_E_AGENT_UNAVAILABLE : PL_E_AGENT_REFUSED;
}
