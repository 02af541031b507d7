/* Privilege separation: message framing, type and size checks, descriptor passing. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pl_err.h"
#include "ps_msg.h"

_Static_assert(sizeof(struct token_handoff) <= 4096 && sizeof(struct token_answer) <= 4096,
	       "a message must fit the receive buffer");

const char *ps_role_name(enum ps_role r)
{
	static const char *const names[PS_ROLE_COUNT] = { "monitor", "signer", "decider", "front" };

	return (unsigned)r < PS_ROLE_COUNT ? names[r] : "?";
}

long ps_msg_size(uint32_t t)
{
	switch (t) {
	case PS_FD_DECIDE: return (long)sizeof(struct token_handoff);
	case PS_DF_ANSWER: return (long)sizeof(struct token_answer);
	case PS_DF_STATUS: return (long)sizeof(struct broker_status);
	case PS_DS_ISSUE: return (long)sizeof(struct signer_request);
	case PS_DS_CKPT: return (long)sizeof(struct ps_ckpt);
	case PS_DS_STATUS_REQ: return 0;
	case PS_DS_PUBKEY_REQ: return 0;
	case PS_SD_ISSUED: return (long)sizeof(struct ps_issued);
	case PS_SD_CKPT_SIG: return (long)sizeof(struct ps_ckpt_sig);
	case PS_SD_STATUS: return (long)sizeof(struct ps_signer_status);
	case PS_SD_PUBKEY: return (long)sizeof(struct ps_pubkey);
	case PS_MC_PEERS: return (long)sizeof(struct ps_peers);
	case PS_MC_RELOAD: return 0;
	case PS_MC_CRL: return 0;
	case PS_CM_READY: return (long)sizeof(struct ps_role_msg);
	case PS_CM_PEER_BAD: return (long)sizeof(struct ps_role_msg);
	default: return -1;
	}
}

size_t ps_msg_max(void)
{
	size_t m = 0;

	for (uint32_t t = 0; t < 64; t++)
		if (ps_msg_size(t) > (long)m)
			m = (size_t)ps_msg_size(t);
	return m;
}

int ps_chan_allows(enum ps_chan_kind k, uint32_t t)
{
	switch (k) {
	case PS_CH_FRONT_TO_DECIDER:
		return t == PS_FD_DECIDE;
	case PS_CH_DECIDER_TO_FRONT:
		return t == PS_DF_ANSWER || t == PS_DF_STATUS;
	case PS_CH_DECIDER_TO_SIGNER:
		return t == PS_DS_ISSUE || t == PS_DS_CKPT || t == PS_DS_STATUS_REQ ||
		       t == PS_DS_PUBKEY_REQ;
	case PS_CH_SIGNER_TO_DECIDER:
		return t == PS_SD_ISSUED || t == PS_SD_CKPT_SIG || t == PS_SD_STATUS ||
		       t == PS_SD_PUBKEY;
	case PS_CH_MONITOR_TO_CHILD:
		return t == PS_MC_PEERS || t == PS_MC_RELOAD || t == PS_MC_CRL;
	case PS_CH_CHILD_TO_MONITOR:
		return t == PS_CM_READY || t == PS_CM_PEER_BAD;
	}
	return 0;
}

int ps_msg_has_fds(uint32_t t)
{
	return t == PS_MC_PEERS || t == PS_MC_CRL;
}

void ps_chan_init(struct ps_chan *c, int fd, enum ps_chan_kind rx_kind)
{
	c->fd = fd;
	c->kind = rx_kind;
	c->why[0] = '\0';
}

void ps_chan_close(struct ps_chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Ends the channel after a violation; why says what the peer sent. */
static int chan_fail(struct ps_chan *c, int err, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	ps_chan_close(c);
	return err;
}

int ps_send(struct ps_chan *c, uint32_t type, uint64_t id, const void *payload, size_t len,
	    const int *fds, size_t nfds)
{
	struct ps_hdr h = { .type = type, .len = (uint32_t)len, .id = id };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)payload, len } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * PS_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (c->fd < 0)
		return PL_E_IO;
	if (ps_msg_size(type) != (long)len || nfds > PS_MAX_FDS ||
	    (nfds > 0) != (ps_msg_has_fds(type) && fds != NULL))
		return PL_E_INVAL;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(h) + len))
		return chan_fail(c, PL_E_IO, "the peer is gone (send failed)");
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Takes the descriptors out of the control data; returns how many, or -1 when
 * the control data is malformed or holds more than cap (all of them closed).
 */
static long take_fds(struct msghdr *m, int *fds, size_t cap)
{
	size_t n = 0;
	int bad = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n < cap) {
				fds[n++] = fd;
			} else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad) {
		close_fds(fds, n);
		return -1;
	}
	return (long)n;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return PL_E_TIMEOUT;
	return r < 0 ? PL_E_IO : 0;
}

int ps_recv(struct ps_chan *c, struct ps_hdr *hdr, void *payload, size_t cap, int *fds,
	    size_t nfds_cap, size_t *nfds, int timeout_ms)
{
	uint8_t buf[sizeof(struct ps_hdr) + 4096 + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * PS_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	int got[PS_MAX_FDS];
	struct ps_hdr h;
	long want, k;
	ssize_t n;
	int r;

	if (nfds != NULL)
		*nfds = 0;
	if (c->fd < 0)
		return PL_E_IO;
	if (timeout_ms >= 0 && (r = wait_readable(c->fd, timeout_ms)) != 0)
		return r == PL_E_TIMEOUT ? r : chan_fail(c, r, "poll on the channel failed");
	do {
		n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return chan_fail(c, PL_E_IO, "the peer closed the channel");
	if ((k = take_fds(&m, got, PS_MAX_FDS)) < 0)
		return chan_fail(c, PL_E_INVAL, "malformed control data");
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_TOOBIG, "a message larger than any message type");
	}
	if ((size_t)n < sizeof(h)) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_TRUNCATED, "a message shorter than the header");
	}
	memcpy(&h, buf, sizeof(h));
	want = ps_msg_size(h.type);
	if (want < 0 || !ps_chan_allows(c->kind, h.type)) {
		char why[96];

		close_fds(got, (size_t)k);
		snprintf(why, sizeof(why), "message type %u is %s on this channel", h.type,
			 want < 0 ? "unknown" : "not allowed");
		return chan_fail(c, PL_E_SYNTAX, why);
	}
	if (h.len != (uint32_t)want || (size_t)n != sizeof(h) + (size_t)want) {
		char why[128];

		close_fds(got, (size_t)k);
		snprintf(why, sizeof(why), "message type %u has %zu payload bytes (header says "
			 "%u), expected %ld", h.type, (size_t)n - sizeof(h), h.len, want);
		return chan_fail(c, (size_t)n - sizeof(h) < (size_t)want ? PL_E_TRUNCATED :
				 PL_E_TRAILING, why);
	}
	if ((k > 0 && !ps_msg_has_fds(h.type)) || (size_t)k > nfds_cap ||
	    (k > 0 && fds == NULL)) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_INVAL, "descriptors on a message that takes none");
	}
	if ((size_t)want > cap) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_INVAL, "the receive buffer is smaller than the message");
	}
	if (want > 0)
		memcpy(payload, buf + sizeof(h), (size_t)want);
	if (k > 0)
		memcpy(fds, got, sizeof(int) * (size_t)k);
	if (nfds != NULL)
		*nfds = (size_t)k;
	*hdr = h;
	return 0;
}
