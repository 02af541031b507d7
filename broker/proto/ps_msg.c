/* Privilege separation: message framing, type and size checks, descriptor passing. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pl_err.h"
#include "ps_msg.h"

#define PS_STR_MAX 16 /* most string fields of one type (struct ps_boot) */

/*
 * Every message type: its channel, fixed size, largest tail, descriptors, string
 * fields and handler (the name each receiving process binds its function to,
 * ps_dispatch(); PS_REPLY: an answer, read by the call that asked for it).
 */
struct ps_msg_def {
	uint32_t type;
	enum ps_chan_kind chan; /* the kind of channel that receives it */
	uint32_t size;
	uint32_t tail_max;
	int fds;
	struct ps_str_field strs[PS_STR_MAX]; /* NUL-terminated char arrays; ends at size 0 */
	const char *handler;
};

#define FD_TAIL (FD_BODY_MAX + FD_CERTS_MAX)
#define STR(type, field)                                                                           \
	{                                                                                          \
		offsetof(type, field), sizeof(((type *)0)->field), #field                          \
	}
/* A type without string fields. */
#define NO_STRS                                                                                    \
	{                                                                                          \
		{                                                                                  \
			0, 0, NULL                                                                 \
		}                                                                                  \
	}
#define FD_STRS                                                                                    \
	{                                                                                          \
		STR(struct fd_request, request_id), STR(struct fd_request, client_addr),           \
		    STR(struct fd_request, reason), STR(struct fd_request, arg)                    \
	}
#define SR_STRS                                                                                    \
	{                                                                                          \
		STR(struct signer_request, vin), STR(struct signer_request, op),                   \
		    STR(struct signer_request, iss), STR(struct signer_request, workshop),         \
		    STR(struct signer_request, technician), STR(struct signer_request, work_order) \
	}

#define BC(field) STR(struct ps_boot, c.field)
#define BOOT_STRS                                                                                  \
	{                                                                                          \
		BC(listen_host), BC(admin_host), BC(tls_cert), BC(tls_key), BC(client_ca),         \
		    BC(crl), BC(key_uri), BC(pin_file), BC(policy_dir), BC(database), BC(issuer),  \
		    BC(refusal_contact), BC(technician_eku), BC(user),                             \
		    STR(struct ps_boot, pc.user), STR(struct ps_boot, empty_dir)                   \
	}

static const struct ps_msg_def defs[] = {
    {PS_FD_TOKEN, PS_CH_FRONT_TO_DECIDER, sizeof(struct fd_request), FD_TAIL, 0, FD_STRS,
     PS_H_DECIDER_REQUEST},
    {PS_FD_DECISION, PS_CH_FRONT_TO_DECIDER, sizeof(struct fd_request), FD_TAIL, 0, FD_STRS,
     PS_H_DECIDER_REQUEST},
    {PS_FD_POLL, PS_CH_FRONT_TO_DECIDER, sizeof(struct fd_request), FD_TAIL, 0, FD_STRS,
     PS_H_DECIDER_REQUEST},
    {PS_FD_REVOKED, PS_CH_FRONT_TO_DECIDER, sizeof(struct fd_request), FD_CERTS_MAX, 0, FD_STRS,
     PS_H_DECIDER_REQUEST},
    {PS_FD_RECEIPT, PS_CH_FRONT_TO_DECIDER, sizeof(struct fd_request), FD_TAIL, 0, FD_STRS,
     PS_H_DECIDER_REQUEST},
    {PS_DF_ANSWER,
     PS_CH_DECIDER_TO_FRONT,
     sizeof(struct token_answer),
     0,
     0,
     {STR(struct token_answer, location)},
     PS_REPLY},
    {PS_DF_STATUS, PS_CH_DECIDER_TO_FRONT, sizeof(struct broker_status), 0, 0, NO_STRS,
     PS_H_FRONT_STATUS},
    {PS_DS_ISSUE, PS_CH_DECIDER_TO_SIGNER, sizeof(struct signer_request), 0, 0, SR_STRS,
     PS_H_SIGNER_ISSUE},
    {PS_DS_CKPT, PS_CH_DECIDER_TO_SIGNER, sizeof(struct ps_ckpt), 0, 0, NO_STRS,
     PS_H_SIGNER_CHECKPOINT},
    {PS_DS_STATUS_REQ, PS_CH_DECIDER_TO_SIGNER, 0, 0, 0, NO_STRS, PS_H_SIGNER_STATUS},
    {PS_DS_PUBKEY_REQ, PS_CH_DECIDER_TO_SIGNER, 0, 0, 0, NO_STRS, PS_H_SIGNER_PUBKEY},
    {PS_SD_ISSUED, PS_CH_SIGNER_TO_DECIDER, sizeof(struct ps_issued), 0, 0, NO_STRS, PS_REPLY},
    {PS_SD_CKPT_SIG, PS_CH_SIGNER_TO_DECIDER, sizeof(struct ps_ckpt_sig), 0, 0, NO_STRS, PS_REPLY},
    {PS_SD_STATUS, PS_CH_SIGNER_TO_DECIDER, sizeof(struct ps_signer_status), 0, 0, NO_STRS,
     PS_REPLY},
    {PS_SD_PUBKEY, PS_CH_SIGNER_TO_DECIDER, sizeof(struct ps_pubkey), 0, 0, NO_STRS, PS_REPLY},
    {PS_MC_PEERS, PS_CH_MONITOR_TO_CHILD, sizeof(struct ps_peers), 0, 1, NO_STRS, PS_H_CHILD_PEERS},
    {PS_MC_RELOAD, PS_CH_MONITOR_TO_CHILD, 0, 0, 0, NO_STRS, PS_H_CHILD_RELOAD},
    {PS_MC_CRL, PS_CH_MONITOR_TO_CHILD, 0, 0, 1, NO_STRS, PS_H_CHILD_CRL},
    {PS_MC_BOOT, PS_CH_MONITOR_TO_CHILD, sizeof(struct ps_boot), 0, 0, BOOT_STRS, PS_H_CHILD_BOOT},
    {PS_CM_READY, PS_CH_CHILD_TO_MONITOR, sizeof(struct ps_role_msg), 0, 0, NO_STRS,
     PS_H_MONITOR_READY},
    {PS_CM_PEER_BAD, PS_CH_CHILD_TO_MONITOR, sizeof(struct ps_role_msg), 0, 0, NO_STRS,
     PS_H_MONITOR_PEER_BAD},
    /* the co-signer (cosign_msg.h) */
    {PS_DK_JOB, PS_CH_DECIDER_TO_COSIGNER, sizeof(struct cosign_job), COSIGN_TAIL_MAX, 0, NO_STRS,
     PS_H_COSIGNER_JOB},
    {PS_KD_RESULT,
     PS_CH_COSIGNER_TO_DECIDER,
     sizeof(struct cosign_result),
     0,
     0,
     {STR(struct cosign_result, code), STR(struct cosign_result, rule),
      STR(struct cosign_result, detail)},
     PS_REPLY},
};

/* A message and its header fit one datagram of the socket buffer (docs/privsep.md). */
_Static_assert(PS_MSG_MAX + sizeof(struct ps_hdr) < 200 * 1024, "a message must fit SO_SNDBUF");

static void close_fds(int *fds, size_t n);

static const struct ps_msg_def *def_of(uint32_t t)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].type == t)
			return &defs[i];
	return NULL;
}

const char *ps_role_name(enum ps_role r)
{
	static const char *const names[PS_ROLE_COUNT] = {"monitor", "signer", "decider", "front",
	                                                 "cosigner-client"};

	return (unsigned)r < PS_ROLE_COUNT ? names[r] : "?";
}

long ps_msg_size(uint32_t t)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL ? (long)d->size : -1;
}

size_t ps_msg_tail_max(uint32_t t)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL ? d->tail_max : 0;
}

size_t ps_msg_max(void)
{
	size_t m = 0;

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].size + defs[i].tail_max > m)
			m = defs[i].size + defs[i].tail_max;
	return m;
}

const struct ps_str_field *ps_msg_str_field(uint32_t t, size_t i)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL && i < PS_STR_MAX && d->strs[i].size > 0 ? &d->strs[i] : NULL;
}

int ps_chan_allows(enum ps_chan_kind k, uint32_t t)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL && d->chan == k;
}

const char *cosign_why_name(uint32_t why)
{
	static const char *const names[COSIGN_WHY_COUNT] = {"none", "timeout", "connect", "tls",
	                                                    "pin",  "http",    "busy",    "gone"};

	return why < COSIGN_WHY_COUNT ? names[why] : "?";
}

int ps_msg_has_fds(uint32_t t)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL && d->fds;
}

const char *ps_msg_handler(uint32_t t)
{
	const struct ps_msg_def *d = def_of(t);

	return d != NULL ? d->handler : NULL;
}

static ps_handler_fn handler_of(const struct ps_handler *tab, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && strcmp(name, PS_REPLY) != 0 && i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].fn;
	return NULL;
}

int ps_dispatch(const struct ps_handler *tab, size_t n, void *ctx, const struct ps_msg_in *m)
{
	const char *name = ps_msg_handler(m->hdr->type);
	ps_handler_fn fn = handler_of(tab, n, name);

	if (fn == NULL) {
		close_fds(m->fds, m->nfds);
		snprintf(m->ch->why, sizeof(m->ch->why),
		         "message type %u (handler %s) has no handler in this process",
		         m->hdr->type, name != NULL ? name : "none");
		return PL_E_NOTFOUND;
	}
	return fn(ctx, m);
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
	struct ps_hdr h = {.type = type, .len = (uint32_t)len, .id = id};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)(uintptr_t)payload, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * PS_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	if (c->fd < 0)
		return PL_E_IO;
	if (ps_msg_size(type) < 0 || len < (size_t)ps_msg_size(type) ||
	    len > (size_t)ps_msg_size(type) + ps_msg_tail_max(type) || nfds > PS_MAX_FDS ||
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
	struct pollfd p = {.fd = fd, .events = POLLIN};
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
	uint8_t buf[sizeof(struct ps_hdr) + PS_MSG_MAX + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * PS_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	int got[PS_MAX_FDS];
	struct ps_hdr h;
	long want, k;
	size_t got_len, tail, nstr = 0;
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
	got_len = (size_t)n - sizeof(h);
	tail = ps_msg_tail_max(h.type);
	if (h.len != got_len || got_len < (size_t)want || got_len > (size_t)want + tail) {
		char why[128];

		close_fds(got, (size_t)k);
		snprintf(why, sizeof(why),
		         "message type %u has %zu payload bytes (header says "
		         "%u), expected %ld (+ at most %zu)",
		         h.type, got_len, h.len, want, tail);
		return chan_fail(c, got_len < (size_t)want ? PL_E_TRUNCATED : PL_E_TRAILING, why);
	}
	if ((k > 0 && !ps_msg_has_fds(h.type)) || (size_t)k > nfds_cap || (k > 0 && fds == NULL)) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_INVAL, "descriptors on a message that takes none");
	}
	for (const struct ps_str_field *f; (f = ps_msg_str_field(h.type, nstr)) != NULL; nstr++) {
		if (memchr(buf + sizeof(h) + f->off, '\0', f->size) == NULL) {
			char why[128];

			close_fds(got, (size_t)k);
			snprintf(why, sizeof(why),
			         "message type %u has an unterminated string field %s (%u bytes)",
			         h.type, f->name, (unsigned)f->size);
			return chan_fail(c, PL_E_SYNTAX, why);
		}
	}
	if (got_len > cap) {
		close_fds(got, (size_t)k);
		return chan_fail(c, PL_E_INVAL, "the receive buffer is smaller than the message");
	}
	if (got_len > 0)
		memcpy(payload, buf + sizeof(h), got_len);
	if (k > 0)
		memcpy(fds, got, sizeof(int) * (size_t)k);
	if (nfds != NULL)
		*nfds = (size_t)k;
	*hdr = h;
	return 0;
}
