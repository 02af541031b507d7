/*
 * libFuzzer target: the privsep receiving side (ps_recv, REQ-PRIV-042). The
 * first input byte picks the channel kind (mod 8); the rest is one datagram,
 * written into a SOCK_SEQPACKET socketpair and read with ps_recv(). It must
 * never crash and never accept what the message table forbids: when ps_recv()
 * returns 0 the type is allowed on that channel, the size is the type's (plus
 * at most its tail), the header's len agrees and every string field holds its NUL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pl_err.h"
#include "ps_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KINDS 8 /* enum ps_chan_kind */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[PS_MSG_MAX + 64];
	const struct ps_str_field *f;
	struct ps_chan rx;
	struct ps_hdr h;
	enum ps_chan_kind kind;
	int sv[2], sndbuf = 256 * 1024, r;
	long want;

	if (size < 1 || size - 1 > sizeof(struct ps_hdr) + PS_MSG_MAX + 64)
		return 0;
	kind = (enum ps_chan_kind)(data[0] % KINDS);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (send(sv[0], data + 1, size - 1, MSG_NOSIGNAL) != (ssize_t)(size - 1)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	ps_chan_init(&rx, sv[1], kind);
	memset(&h, 0, sizeof(h));
	r = ps_recv(&rx, &h, payload, sizeof(payload), NULL, 0, NULL, 1000);
	if (r == 0) {
		want = ps_msg_size(h.type);
		if (want < 0 || !ps_chan_allows(kind, h.type))
			abort();
		if (h.len != size - 1 - sizeof(struct ps_hdr) || h.len < (size_t)want ||
		    h.len > (size_t)want + ps_msg_tail_max(h.type))
			abort();
		if (memcmp(&h, data + 1, sizeof(h)) != 0 ||
		    memcmp(payload, data + 1 + sizeof(h), h.len) != 0)
			abort();
		for (size_t i = 0; (f = ps_msg_str_field(h.type, i)) != NULL; i++)
			if (memchr(payload + f->off, '\0', f->size) == NULL)
				abort();
		if (rx.fd < 0)
			abort();
	} else if (rx.fd >= 0 && !(r == PL_E_TIMEOUT && size == 1)) {
		abort(); /* every refusal ends the channel (the datagram is there: no timeout) */
	}
	ps_chan_close(&rx);
	close(sv[0]);
	return 0;
}
