#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "ecu_challenge.h"
#include "pl_err.h"

int ecu_random_getrandom(void *ctx, uint8_t *buf, size_t len)
{
	size_t got = 0;

	(void)ctx;
	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return PL_E_IO;
		}
		got += (size_t)n;
	}
	return 0;
}

void ecu_challenge_clear(struct ecu_challenge *c)
{
	plt_wipe(c, sizeof(*c));
}

int ecu_challenge_issue(struct ecu_challenge *c, size_t len, uint64_t now_ms, uint32_t ttl_ms,
                        ecu_random_fn rnd, void *rnd_ctx)
{
	int r;

	ecu_challenge_clear(c);
	if (len < PLT_CNONCE_MIN || len > PLT_CNONCE_MAX || rnd == NULL)
		return PL_E_INVAL;
	if ((r = rnd(rnd_ctx, c->bytes, len)) != 0) {
		ecu_challenge_clear(c);
		return r;
	}
	c->len = len;
	c->issued_ms = now_ms;
	c->expires_ms = now_ms + ttl_ms;
	c->outstanding = 1;
	return 0;
}

int ecu_challenge_take(struct ecu_challenge *c, uint64_t now_ms, uint8_t out[PLT_CNONCE_MAX],
                       size_t *len, uint64_t *issued_ms)
{
	int r;

	if (!c->outstanding) {
		r = PL_E_NOTFOUND;
		goto out;
	}
	if (now_ms > c->expires_ms) {
		r = PL_E_TIMEOUT;
		goto out;
	}
	memcpy(out, c->bytes, c->len);
	*len = c->len;
	*issued_ms = c->issued_ms;
	r = 0;
out:
	/* Single use: whatever happens next, this challenge is gone. */
	ecu_challenge_clear(c);
	return r;
}
