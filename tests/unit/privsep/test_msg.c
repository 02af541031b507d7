/*
 * The privsep message layer over real SOCK_SEQPACKET socketpairs:
 * REQ-PRIV-001..REQ-PRIV-006, REQ-PRIV-041, REQ-PRIV-047, REQ-PRIV-048 (docs/privsep.md).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pl_err.h"
#include "ps_msg.h"

static int sv[2];
static struct ps_chan tx, rx;
static uint8_t payload[PS_MSG_MAX + 64];

/* rx receives what tx sends; rx_kind says what may arrive. */
static void pair(enum ps_chan_kind rx_kind)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ps_chan_init(&tx, sv[0], PS_CH_CHILD_TO_MONITOR);
	ps_chan_init(&rx, sv[1], rx_kind);
}

static void unpair(void)
{
	ps_chan_close(&tx);
	ps_chan_close(&rx);
}

/* Sends raw bytes: a header claiming type/len followed by n payload bytes. */
static void send_raw(uint32_t type, uint32_t len, size_t n)
{
	static uint8_t buf[sizeof(struct ps_hdr) + PS_MSG_MAX + 64];
	struct ps_hdr h = { .type = type, .len = len, .id = 7 };

	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0xa5, n);
	cr_assert_eq(send(tx.fd, buf, sizeof(h) + n, 0), (ssize_t)(sizeof(h) + n));
}

/* Puts a NUL at the end of every string field of type t (the table's). */
static void terminate_strs(uint32_t t, uint8_t *p)
{
	const struct ps_str_field *f;

	for (size_t i = 0; (f = ps_msg_str_field(t, i)) != NULL; i++)
		p[f->off + f->size - 1] = '\0';
}

static int recv_one(struct ps_hdr *h)
{
	return ps_recv(&rx, h, payload, sizeof(payload), NULL, 0, NULL, 1000);
}

/* Every type of every channel, with the kind that accepts it. */
static const struct { uint32_t type; enum ps_chan_kind kind; } types[] = {
	{ PS_FD_TOKEN, PS_CH_FRONT_TO_DECIDER },
	{ PS_FD_DECISION, PS_CH_FRONT_TO_DECIDER },
	{ PS_FD_POLL, PS_CH_FRONT_TO_DECIDER },
	{ PS_FD_REVOKED, PS_CH_FRONT_TO_DECIDER },
	{ PS_FD_RECEIPT, PS_CH_FRONT_TO_DECIDER },
	{ PS_DF_ANSWER, PS_CH_DECIDER_TO_FRONT },
	{ PS_DF_STATUS, PS_CH_DECIDER_TO_FRONT },
	{ PS_DS_ISSUE, PS_CH_DECIDER_TO_SIGNER },
	{ PS_DS_CKPT, PS_CH_DECIDER_TO_SIGNER },
	{ PS_DS_STATUS_REQ, PS_CH_DECIDER_TO_SIGNER },
	{ PS_DS_PUBKEY_REQ, PS_CH_DECIDER_TO_SIGNER },
	{ PS_SD_ISSUED, PS_CH_SIGNER_TO_DECIDER },
	{ PS_SD_CKPT_SIG, PS_CH_SIGNER_TO_DECIDER },
	{ PS_SD_STATUS, PS_CH_SIGNER_TO_DECIDER },
	{ PS_SD_PUBKEY, PS_CH_SIGNER_TO_DECIDER },
	{ PS_MC_RELOAD, PS_CH_MONITOR_TO_CHILD },
	{ PS_MC_CRL, PS_CH_MONITOR_TO_CHILD },
	{ PS_MC_BOOT, PS_CH_MONITOR_TO_CHILD },
	{ PS_CM_READY, PS_CH_CHILD_TO_MONITOR },
	{ PS_CM_PEER_BAD, PS_CH_CHILD_TO_MONITOR },
	{ PS_DK_JOB, PS_CH_DECIDER_TO_COSIGNER },
	{ PS_KD_RESULT, PS_CH_COSIGNER_TO_DECIDER },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

Test(privsep_msg, REQ_PRIV_001_every_type_round_trips_with_its_size)
{
	for (size_t i = 0; i < NTYPES; i++) {
		long n = ps_msg_size(types[i].type);
		struct ps_hdr h;

		cr_assert_geq(n, 0);
		pair(types[i].kind);
		static uint8_t want[PS_MSG_MAX];

		memset(want, (int)i + 1, (size_t)n);
		terminate_strs(types[i].type, want);
		memcpy(payload, want, (size_t)n);
		cr_assert_eq(ps_send(&tx, types[i].type, 1000 + i, payload, (size_t)n, NULL, 0), 0);
		memset(payload, 0, sizeof(payload));
		cr_assert_eq(recv_one(&h), 0, "type %u", types[i].type);
		cr_assert_eq(h.type, types[i].type);
		cr_assert_eq(h.len, (uint32_t)n);
		cr_assert_eq(h.id, 1000 + i);
		for (long k = 0; k < n; k++)
			cr_assert_eq(payload[k], want[k]);
		unpair();
	}
}

Test(privsep_msg, REQ_PRIV_002_short_payload_rejected_and_channel_ended)
{
	for (size_t i = 0; i < NTYPES; i++) {
		long n = ps_msg_size(types[i].type);
		struct ps_hdr h;

		if (n == 0)
			continue;
		pair(types[i].kind);
		send_raw(types[i].type, (uint32_t)n, (size_t)n - 1);
		cr_assert_eq(recv_one(&h), PL_E_TRUNCATED, "type %u", types[i].type);
		cr_assert_eq(rx.fd, -1, "the channel must be closed");
		cr_assert_eq(recv_one(&h), PL_E_IO);
		unpair();
	}
}

Test(privsep_msg, REQ_PRIV_002_long_payload_rejected_and_channel_ended)
{
	for (size_t i = 0; i < NTYPES; i++) {
		long n = ps_msg_size(types[i].type);
		struct ps_hdr h;

		size_t tail = ps_msg_tail_max(types[i].type);

		pair(types[i].kind);
		send_raw(types[i].type, (uint32_t)((size_t)n + tail + 1), (size_t)n + tail + 1);
		cr_assert_eq(recv_one(&h), PL_E_TRAILING, "type %u", types[i].type);
		cr_assert_eq(rx.fd, -1);
		unpair();
	}
}

Test(privsep_msg, REQ_PRIV_002_header_len_disagreeing_with_size_rejected)
{
	long n = ps_msg_size(PS_FD_TOKEN);
	struct ps_hdr h;

	pair(PS_CH_FRONT_TO_DECIDER);
	send_raw(PS_FD_TOKEN, (uint32_t)n + 8, (size_t)n);
	cr_assert_eq(recv_one(&h), PL_E_TRAILING);
	unpair();
}

Test(privsep_msg, REQ_PRIV_002_message_shorter_than_header_rejected)
{
	uint8_t b[5] = { 1, 0, 0, 0, 0 };
	struct ps_hdr h;

	pair(PS_CH_FRONT_TO_DECIDER);
	cr_assert_eq(send(tx.fd, b, sizeof(b), 0), 5);
	cr_assert_eq(recv_one(&h), PL_E_TRUNCATED);
	cr_assert_eq(rx.fd, -1);
	unpair();
}

Test(privsep_msg, REQ_PRIV_002_oversized_datagram_rejected)
{
	struct ps_hdr h;

	pair(PS_CH_FRONT_TO_DECIDER);
	send_raw(PS_FD_TOKEN, (uint32_t)PS_MSG_MAX + 2, PS_MSG_MAX + 2);
	cr_assert_eq(recv_one(&h), PL_E_TOOBIG);
	unpair();
}

Test(privsep_msg, REQ_PRIV_003_unknown_type_rejected)
{
	static const uint32_t bad[] = { 0, 8, 9, 14, 19, 24, 29, 33, 39, 42, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ps_hdr h;

		pair(PS_CH_FRONT_TO_DECIDER);
		send_raw(bad[i], 0, 0);
		cr_assert_eq(recv_one(&h), PL_E_SYNTAX, "type %u", bad[i]);
		cr_assert(strstr(rx.why, "unknown") != NULL, "%s", rx.why);
		unpair();
	}
}

/* Every known type that a channel kind does not take is refused there. */
Test(privsep_msg, REQ_PRIV_004_type_of_another_channel_refused_and_peer_cut_off)
{
	static const enum ps_chan_kind kinds[] = {
		PS_CH_FRONT_TO_DECIDER, PS_CH_DECIDER_TO_FRONT, PS_CH_DECIDER_TO_SIGNER,
		PS_CH_SIGNER_TO_DECIDER, PS_CH_MONITOR_TO_CHILD, PS_CH_CHILD_TO_MONITOR,
		PS_CH_DECIDER_TO_COSIGNER, PS_CH_COSIGNER_TO_DECIDER,
	};
	size_t refused = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t i = 0; i < NTYPES; i++) {
			struct ps_hdr h;
			uint8_t one;

			if (types[i].kind == kinds[k])
				continue;
			pair(kinds[k]);
			cr_assert_eq(ps_send(&tx, types[i].type, 1, payload,
					     (size_t)ps_msg_size(types[i].type), NULL, 0), 0);
			cr_assert_eq(recv_one(&h), PL_E_SYNTAX, "type %u on kind %d",
				     types[i].type, kinds[k]);
			cr_assert(strstr(rx.why, "not allowed") != NULL, "%s", rx.why);
			/* The sender sees its peer gone. */
			cr_assert_eq(recv(tx.fd, &one, 1, 0), 0);
			cr_assert_neq(ps_send(&tx, types[i].type, 2, payload,
					      (size_t)ps_msg_size(types[i].type), NULL, 0), 0);
			refused++;
			unpair();
		}
	}
	cr_assert_eq(refused, 8 * NTYPES - NTYPES);
}

Test(privsep_msg, REQ_PRIV_004_signer_only_request_on_front_channel_refused)
{
	struct signer_request q;
	struct ps_hdr h;

	memset(&q, 0, sizeof(q));
	pair(PS_CH_FRONT_TO_DECIDER);
	cr_assert_eq(ps_send(&tx, PS_DS_ISSUE, 1, &q, sizeof(q), NULL, 0), 0);
	cr_assert_eq(recv_one(&h), PL_E_SYNTAX);
	cr_assert_eq(rx.fd, -1);
	unpair();
}

Test(privsep_msg, REQ_PRIV_005_descriptors_only_with_peers_message)
{
	struct ps_role_msg m = { .role = PS_ROLE_FRONT };
	struct ps_peers p = { .peer = PS_ROLE_DECIDER, .count = 1 };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), fds[4];
	struct ps_hdr h;
	size_t n = 0;

	cr_assert_geq(devnull, 0);
	/* ps_send refuses to attach descriptors to a type without them ... */
	pair(PS_CH_CHILD_TO_MONITOR);
	cr_assert_eq(ps_send(&tx, PS_CM_READY, 1, &m, sizeof(m), &devnull, 1), PL_E_INVAL);
	unpair();
	/* ... and a receiver refuses them when a peer attaches them by hand. */
	pair(PS_CH_CHILD_TO_MONITOR);
	{
		struct ps_hdr hh = { .type = PS_CM_READY, .len = sizeof(m), .id = 1 };
		uint8_t buf[sizeof(hh) + sizeof(m)];
		union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } u;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		memcpy(buf, &hh, sizeof(hh));
		memcpy(buf + sizeof(hh), &m, sizeof(m));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &devnull, sizeof(int));
		cr_assert_eq(sendmsg(tx.fd, &mh, 0), (ssize_t)sizeof(buf));
	}
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &n, 1000), PL_E_INVAL);
	cr_assert_eq(n, 0);
	unpair();
	/* PS_MC_PEERS carries them. */
	pair(PS_CH_MONITOR_TO_CHILD);
	cr_assert_eq(ps_send(&tx, PS_MC_PEERS, 3, &p, sizeof(p), &devnull, 1), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &n, 1000), 0);
	cr_assert_eq(h.type, PS_MC_PEERS);
	cr_assert_eq(n, 1);
	cr_assert_geq(fds[0], 0);
	cr_assert_neq(fds[0], devnull);
	cr_assert_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fds[0]);
	unpair();
	/* ... and so does PS_MC_CRL (the crl file for the front end), with no payload. */
	pair(PS_CH_MONITOR_TO_CHILD);
	cr_assert_eq(ps_send(&tx, PS_MC_CRL, 4, NULL, 0, &devnull, 1), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &n, 1000), 0);
	cr_assert_eq(h.type, PS_MC_CRL);
	cr_assert_eq(n, 1);
	cr_assert_neq(fds[0], devnull);
	close(fds[0]);
	close(devnull);
	unpair();
}

Test(privsep_msg, REQ_PRIV_006_send_refuses_wrong_size_and_timeout_keeps_channel)
{
	struct ps_hdr h;
	struct ps_role_msg m = { .role = 1 };

	pair(PS_CH_CHILD_TO_MONITOR);
	cr_assert_eq(ps_send(&tx, PS_CM_READY, 1, &m, sizeof(m) - 1, NULL, 0), PL_E_INVAL);
	cr_assert_eq(ps_send(&tx, 99, 1, &m, sizeof(m), NULL, 0), PL_E_INVAL);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), NULL, 0, NULL, 10), PL_E_TIMEOUT);
	cr_assert_geq(rx.fd, 0);
	cr_assert_eq(ps_send(&tx, PS_CM_READY, 5, &m, sizeof(m), NULL, 0), 0);
	cr_assert_eq(recv_one(&h), 0);
	cr_assert_eq(h.id, 5);
	/* The peer closing is PL_E_IO, not a violation. */
	ps_chan_close(&tx);
	cr_assert_eq(recv_one(&h), PL_E_IO);
	unpair();
}

Test(privsep_msg, REQ_PRIV_006_every_message_fits_the_receive_buffer)
{
	cr_assert_eq(ps_msg_max(), PS_MSG_MAX);
	cr_assert_eq(PS_MSG_MAX, sizeof(struct fd_request) + FD_BODY_MAX + FD_CERTS_MAX);
	/* one datagram within the default unix socket buffer (net.core.wmem_default) */
	cr_assert_lt(PS_MSG_MAX + sizeof(struct ps_hdr), 200u * 1024);
}

Test(privsep_msg, REQ_PRIV_001_front_requests_carry_a_bounded_tail)
{
	long n = ps_msg_size(PS_FD_TOKEN);
	size_t full = (size_t)n + FD_BODY_MAX + FD_CERTS_MAX;
	struct ps_hdr h;

	cr_assert_eq(ps_msg_tail_max(PS_FD_TOKEN), FD_BODY_MAX + FD_CERTS_MAX);
	cr_assert_eq(ps_msg_tail_max(PS_DF_ANSWER), 0);
	pair(PS_CH_FRONT_TO_DECIDER);
	for (size_t i = 0; i < full; i++)
		payload[i] = (uint8_t)(i * 7);
	terminate_strs(PS_FD_TOKEN, payload);
	cr_assert_eq(ps_send(&tx, PS_FD_TOKEN, 9, payload, full, NULL, 0), 0);
	memset(payload, 0, sizeof(payload));
	cr_assert_eq(recv_one(&h), 0);
	cr_assert_eq(h.len, (uint32_t)full);
	for (size_t i = (size_t)n; i < full; i++)
		cr_assert_eq(payload[i], (uint8_t)(i * 7));
	/* one byte more than the largest tail is refused when sent */
	cr_assert_eq(ps_send(&tx, PS_FD_TOKEN, 10, payload, full + 1, NULL, 0), PL_E_INVAL);
	unpair();
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

Test(privsep_msg, REQ_PRIV_005_too_many_descriptors_refused_and_closed)
{
	struct ps_peers p = { .peer = PS_ROLE_DECIDER, .count = 3 };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), three[3], fds[2];
	struct ps_hdr h;
	size_t n = 7;
	int before;

	cr_assert_geq(devnull, 0);
	three[0] = three[1] = three[2] = devnull;
	pair(PS_CH_MONITOR_TO_CHILD);
	before = open_fds();
	cr_assert_eq(ps_send(&tx, PS_MC_PEERS, 1, &p, sizeof(p), three, 3), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 2, &n, 1000), PL_E_INVAL);
	cr_assert_eq(n, 0);
	/* The receiving end is closed; none of the three received copies stays open. */
	cr_assert_eq(open_fds(), before - 1);
	close(devnull);
	unpair();
}

/* The table lists every char array of the messages that carry text. */
Test(privsep_msg, REQ_PRIV_041_table_lists_the_string_fields)
{
	const struct ps_str_field *f;
	size_t n = 0;

	for (size_t i = 0; (f = ps_msg_str_field(PS_FD_TOKEN, i)) != NULL; i++, n++)
		cr_assert_leq(f->off + f->size, sizeof(struct fd_request));
	cr_assert_eq(n, 4);
	f = ps_msg_str_field(PS_DF_ANSWER, 0);
	cr_assert_not_null(f);
	cr_assert_eq(f->off, offsetof(struct token_answer, location));
	cr_assert_eq(f->size, sizeof(((struct token_answer *)0)->location));
	cr_assert_null(ps_msg_str_field(PS_DF_ANSWER, 1));
	for (n = 0; ps_msg_str_field(PS_DS_ISSUE, n) != NULL; n++)
		;
	cr_assert_eq(n, 6);
	cr_assert_null(ps_msg_str_field(PS_DF_STATUS, 0));
	cr_assert_null(ps_msg_str_field(99, 0));
	/* the boot message: every char array of the configuration (REQ-PRIV-052) */
	for (n = 0; (f = ps_msg_str_field(PS_MC_BOOT, n)) != NULL; n++)
		cr_assert_leq(f->off + f->size, sizeof(struct ps_boot));
	cr_assert_eq(n, 16);
}

/* Each string field without its NUL is a violation; terminated it passes. */
Test(privsep_msg, REQ_PRIV_041_unterminated_string_refused_not_cut)
{
	static const uint32_t with_strs[] = { PS_FD_TOKEN, PS_FD_DECISION, PS_FD_POLL,
					      PS_FD_REVOKED, PS_FD_RECEIPT, PS_DF_ANSWER,
					      PS_DS_ISSUE };
	size_t checked = 0;

	for (size_t t = 0; t < sizeof(with_strs) / sizeof(with_strs[0]); t++) {
		uint32_t type = with_strs[t];
		enum ps_chan_kind kind = PS_CH_FRONT_TO_DECIDER;
		long n = ps_msg_size(type);
		const struct ps_str_field *f;

		for (size_t i = 0; i < NTYPES; i++)
			if (types[i].type == type)
				kind = types[i].kind;
		for (size_t i = 0; (f = ps_msg_str_field(type, i)) != NULL; i++) {
			struct ps_hdr h;

			/* terminated (a full-length string with its NUL in the last byte): ok */
			pair(kind);
			memset(payload, 0, (size_t)n);
			memset(payload + f->off, 'x', f->size - 1);
			cr_assert_eq(ps_send(&tx, type, 1, payload, (size_t)n, NULL, 0), 0);
			cr_assert_eq(recv_one(&h), 0, "type %u field %s", type, f->name);
			cr_assert_eq(payload[f->off + f->size - 1], 0);
			/* one byte more: no NUL within the field -> refused, channel dead */
			memset(payload, 0, (size_t)n);
			memset(payload + f->off, 'x', f->size);
			cr_assert_eq(ps_send(&tx, type, 2, payload, (size_t)n, NULL, 0), 0);
			cr_assert_eq(recv_one(&h), PL_E_SYNTAX, "type %u field %s", type, f->name);
			cr_assert(strstr(rx.why, "unterminated") != NULL, "%s", rx.why);
			cr_assert(strstr(rx.why, f->name) != NULL, "%s", rx.why);
			cr_assert_eq(rx.fd, -1, "the channel must be closed");
			cr_assert_eq(recv_one(&h), PL_E_IO);
			unpair();
			checked++;
		}
	}
	cr_assert_eq(checked, 5 * 4 + 1 + 6);
}

/* The handler each type names (the message table's handler column, REQ-PRIV-047). */
static const struct { uint32_t type; const char *handler; } handlers[] = {
	{ PS_FD_TOKEN, PS_H_DECIDER_REQUEST }, { PS_FD_DECISION, PS_H_DECIDER_REQUEST },
	{ PS_FD_POLL, PS_H_DECIDER_REQUEST }, { PS_FD_REVOKED, PS_H_DECIDER_REQUEST },
	{ PS_FD_RECEIPT, PS_H_DECIDER_REQUEST }, { PS_DF_ANSWER, PS_REPLY },
	{ PS_DF_STATUS, PS_H_FRONT_STATUS }, { PS_DS_ISSUE, PS_H_SIGNER_ISSUE },
	{ PS_DS_CKPT, PS_H_SIGNER_CHECKPOINT }, { PS_DS_STATUS_REQ, PS_H_SIGNER_STATUS },
	{ PS_DS_PUBKEY_REQ, PS_H_SIGNER_PUBKEY }, { PS_SD_ISSUED, PS_REPLY },
	{ PS_SD_CKPT_SIG, PS_REPLY }, { PS_SD_STATUS, PS_REPLY }, { PS_SD_PUBKEY, PS_REPLY },
	{ PS_MC_PEERS, PS_H_CHILD_PEERS }, { PS_MC_RELOAD, PS_H_CHILD_RELOAD },
	{ PS_MC_CRL, PS_H_CHILD_CRL }, { PS_MC_BOOT, PS_H_CHILD_BOOT }, { PS_CM_READY, PS_H_MONITOR_READY },
	{ PS_CM_PEER_BAD, PS_H_MONITOR_PEER_BAD },
};

Test(privsep_msg, REQ_PRIV_047_every_type_names_its_handler)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		const char *h = ps_msg_handler(handlers[i].type);

		cr_assert_not_null(h, "type %u names no handler", handlers[i].type);
		cr_assert_str_eq(h, handlers[i].handler, "type %u", handlers[i].type);
	}
	for (size_t i = 0; i < NTYPES; i++)
		cr_assert_not_null(ps_msg_handler(types[i].type));
	cr_assert_null(ps_msg_handler(9999));
}

static int called_with;

static int on_reload(void *ctx, const struct ps_msg_in *m)
{
	called_with = *(int *)ctx + (int)m->hdr->type;
	return 0;
}

static int on_crl(void *ctx, const struct ps_msg_in *m)
{
	(void)ctx;
	for (size_t i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	return PL_E_RANGE; /* whatever the handler says comes back */
}

Test(privsep_msg, REQ_PRIV_048_dispatch_runs_the_named_handler_or_refuses)
{
	static const struct ps_handler tab[] = {
		{ PS_H_CHILD_RELOAD, on_reload },
		{ PS_H_CHILD_CRL, on_crl },
	};
	struct ps_peers p = { .peer = PS_ROLE_DECIDER, .count = 1 };
	int ctx = 1000, fds[4];
	struct ps_hdr h;
	struct ps_msg_in m = { &rx, &h, payload, fds, 0 };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	pair(PS_CH_MONITOR_TO_CHILD);
	/* a type the table binds: its function runs with the context and the message */
	cr_assert_eq(ps_send(&tx, PS_MC_RELOAD, 1, NULL, 0, NULL, 0), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &m.nfds, 1000), 0);
	cr_assert_eq(ps_dispatch(tab, PS_NHANDLERS(tab), &ctx, &m), 0);
	cr_assert_eq(called_with, 1000 + PS_MC_RELOAD);
	cr_assert_eq(ps_send(&tx, PS_MC_CRL, 2, NULL, 0, &devnull, 1), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &m.nfds, 1000), 0);
	cr_assert_eq(ps_dispatch(tab, PS_NHANDLERS(tab), &ctx, &m), PL_E_RANGE);
	/* a type this process has no handler for: refused, its descriptors closed */
	cr_assert_eq(ps_send(&tx, PS_MC_PEERS, 3, &p, sizeof(p), &devnull, 1), 0);
	cr_assert_eq(ps_recv(&rx, &h, payload, sizeof(payload), fds, 4, &m.nfds, 1000), 0);
	cr_assert_eq(m.nfds, 1);
	called_with = 0;
	cr_assert_eq(ps_dispatch(tab, PS_NHANDLERS(tab), &ctx, &m), PL_E_NOTFOUND);
	cr_assert_eq(called_with, 0);
	cr_assert_eq(fcntl(fds[0], F_GETFD), -1, "the descriptor was not closed");
	cr_assert(strstr(rx.why, "type 30") != NULL, "%s", rx.why);
	cr_assert(strstr(rx.why, PS_H_CHILD_PEERS) != NULL, "%s", rx.why);
	cr_assert_geq(rx.fd, 0, "the channel stays");
	/* an empty table binds nothing; a reply is never dispatched */
	m.nfds = 0;
	cr_assert_eq(ps_dispatch(NULL, 0, &ctx, &m), PL_E_NOTFOUND);
	h.type = PS_SD_ISSUED;
	{
		static const struct ps_handler bad[] = { { PS_REPLY, on_reload } };

		cr_assert_eq(ps_dispatch(bad, PS_NHANDLERS(bad), &ctx, &m), PL_E_NOTFOUND);
	}
	close(devnull);
	unpair();
}
