/*
 * libFuzzer target: the co-signer's channel, receiving side (cosign/proto/cs_msg.c
 * cs_recv, REQ-COS-007). The first input byte picks the direction (even: network ->
 * core, odd: core -> network); the rest is one datagram, written into a SOCK_SEQPACKET
 * socketpair and read with cs_recv(). It must never crash and never accept what the
 * table forbids: when cs_recv() returns 0 the type travels in that direction, the size
 * is the type's (plus at most its tail), the header's len agrees and the payload is the
 * datagram's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cs_msg.h"
#include "pl_err.h"
#include "pl_err_cosign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CS_MSG_MAX];
	enum cs_dir dir;
	struct cs_hdr h;
	char why[192];
	int sv[2], sndbuf = 256 * 1024, r;
	long want;

	if (size < 1 || size - 1 > CS_MSG_MAX + 64)
		return 0;
	dir = (data[0] & 1) ? CS_CORE_TO_NET : CS_NET_TO_CORE;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (send(sv[0], data + 1, size - 1, MSG_NOSIGNAL) != (ssize_t)(size - 1)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	memset(&h, 0, sizeof(h));
	r = cs_recv(sv[1], dir, &h, buf, sizeof(buf), why, sizeof(why));
	if (r == 0) {
		want = cs_msg_size(h.type);
		if (want < 0 || !cs_dir_allows(dir, h.type))
			abort();
		if (h.len != size - 1 - sizeof(h) || h.len < (size_t)want ||
		    h.len > (size_t)want + cs_msg_tail_max(h.type))
			abort();
		if (memcmp(&h, data + 1, sizeof(h)) != 0 ||
		    memcmp(buf, data + 1 + sizeof(h), h.len) != 0)
			abort();
	} else if (r != PL_E_COS_CHANNEL && r != PL_E_IO && r != PL_E_TIMEOUT) {
		abort();
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
