/*
 * Replay protection across restarts (docs/audit.md, "Replay across restarts"):
 * every accepted request nonce is a column of its audit row (committed in the
 * same group commit as the decision, so no extra fsync), and at start the
 * decider loads the nonces of the rows that are still inside the freshness
 * window back into its replay cache.
 *
 * A cache entry made at decision time t expires at max(iat, t) + W, and a
 * fresh iat is at most t + W, so a row committed at time_ms is remembered
 * until time_ms / 1000 + 2W: the rows of the last 2W seconds are loaded.
 * If they do not all fit, none is loaded and every request signed before the
 * start is refused instead (b->replay_floor): that covers them all and leaves
 * the cache free for new requests.
 */
#include <stdio.h>
#include <time.h>

#include "decider.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"

struct preload {
	struct decider *b;
	int64_t now;
	uint64_t loaded;
	int full;
};

static int count_one(void *ctx, const uint8_t nonce[AUDIT_NONCE_LEN], int64_t time_ms)
{
	(void)nonce;
	(void)time_ms;
	((struct preload *)ctx)->loaded++;
	return 0;
}

static int preload_one(void *ctx, const uint8_t nonce[AUDIT_NONCE_LEN], int64_t time_ms)
{
	struct preload *p = ctx;
	int64_t expires = time_ms / 1000 + 1 + 2 * (int64_t)p->b->cfg.request_window_s;

	if (expires < p->now)
		return 0;
	if (replay_preload(p->b->replay, nonce, p->now, expires) != 0) {
		p->full = 1;
		return 1; /* stop: the rest would not fit either */
	}
	p->loaded++;
	return 0;
}

int decider_replay_preload(struct decider *b, char *err, size_t errlen)
{
	struct preload p = {.b = b, .now = (int64_t)time(NULL)};
	int64_t since_ms = (p.now - 2 * (int64_t)b->cfg.request_window_s) * 1000;
	uint64_t recent = 0;
	char n[24], w[16];
	int r;

	if ((r = audit_recent_nonces(b->audit, since_ms, count_one, &p)) == 0) {
		recent = p.loaded;
		p.full = recent > b->cfg.replay_capacity;
		p.loaded = 0;
		if (!p.full)
			r = audit_recent_nonces(b->audit, since_ms, preload_one, &p);
	}
	if (r < 0) {
		snprintf(err, errlen, "reading the recent request nonces from %s: %s",
		         b->cfg.database, pl_strerror(r));
		return r;
	}
	snprintf(n, sizeof(n), "%llu", (unsigned long long)(p.full ? recent : p.loaded));
	snprintf(w, sizeof(w), "%u", 2 * b->cfg.request_window_s);
	if (p.full) {
		/* Fail closed: what could not be remembered is refused as a whole. */
		b->replay_floor = p.now;
		pl_log(PL_LOG_WARN, "replay_preload_full", "nonces", n, "window_s", w, "action",
		       "requests signed before this start are refused until the "
		       "window has passed (raise replay_capacity)",
		       NULL);
		return 0;
	}
	pl_log(PL_LOG_INFO, "replay_preloaded", "nonces", n, "window_s", w, NULL);
	return 0;
}
